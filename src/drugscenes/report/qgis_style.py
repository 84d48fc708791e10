"""QGIS layer styles for the report's ``scenes.gpkg``: the layers open as the map draws them.

QGIS reads a layer's default style from the GeoPackage's ``layer_styles`` table (written
by :func:`drugscenes.io.gpkg_export.write_gpkg_layers`) when it loads the layer. The
styles here are QML documents translated from the report map's own description of its
layers (:data:`drugscenes.report.mapdata.LAYER_STYLES`, Leaflet path options, and
:data:`drugscenes.report.build.FATE_COLORS`), so QGIS draws what the report draws:

- ``scenes``: filled by the scene's fate with a dark outline, and a dot at each scene
  when zoomed out (as the map's circle markers: a scene is a few thousand m² in a county
  of thousands of km²);
- ``ceased_scenes``: a dashed grey outline without fill (a dotted ring when zoomed out);
- ``candidate_scenes``: a dashed orange outline over a faint orange fill;
- ``municipalities``: the map's grey outline with the municipality's name as label, but
  no fill: in QGIS the layer may lie above the others and must not hide them.

Category labels and style names are in the report's language.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from drugscenes.io.gpkg_export import LayerStyle
from drugscenes.report.i18n import label, t

__all__ = [
    "OTHER_FATE",
    "LineLook",
    "ceased_qml",
    "marker_scale",
    "municipality_qml",
    "outline_qml",
    "report_layer_styles",
    "scene_qml",
]

QGIS_VERSION = "3.22.0"
"""The QGIS version the documents are written for (checked with QGIS 3.22, the version of
Debian 12; they use the plain ``<prop>`` form that later versions read as well)."""

OTHER_FATE = "#999999"
"""Fill of a scene whose fate has no colour (as the report's map)."""

_METRES_PER_PIXEL_Z0 = 156_543.03392804097
"""Web Mercator ground resolution at the equator at zoom 0 (metres per pixel)."""


@dataclass(frozen=True)
class LineLook:
    """A layer's look in the report's map, from Leaflet path options.

    Attributes
    ----------
    color : str
        Outline colour, ``#rrggbb``.
    width_px : float
        Outline width in pixels (Leaflet's ``weight``).
    dash_px : tuple of float
        Dash and gap lengths in pixels (``dashArray``); empty for a solid line.
    fill : str or None
        Fill colour, None for no fill.
    fill_opacity : float
    """

    color: str
    width_px: float
    dash_px: tuple[float, ...] = ()
    fill: str | None = None
    fill_opacity: float = 1.0

    @classmethod
    def from_leaflet(cls, options: Mapping[str, Any], fill: str | None = None) -> LineLook:
        """The look of Leaflet path options (``color``, ``weight``, ``dashArray``,
        ``fill``, ``fillColor``, ``fillOpacity``; Leaflet's defaults where absent).
        ``fill`` overrides ``fillColor`` (a scene's fate)."""
        dash = options.get("dashArray")
        filled = options.get("fill", True)
        color = str(options.get("color", "#3388ff"))
        return cls(
            color=color,
            width_px=float(options.get("weight", 3)),
            dash_px=tuple(float(d) for d in str(dash).replace(",", " ").split()) if dash else (),
            fill=(fill or options.get("fillColor") or color) if filled else None,
            fill_opacity=float(options.get("fillOpacity", 0.2)) if filled else 0.0,
        )


def marker_scale(max_zoom: float, latitude: float = 59.33) -> int:
    """The map scale (denominator, at the OGC's 0.28 mm pixel) of a Leaflet zoom level at
    ``latitude`` (default Stockholm), rounded to a thousand: the map draws scenes as
    circles below ``max_zoom``, QGIS at scales above this.

    Examples
    --------
    >>> marker_scale(14)
    17000
    """
    metres_per_px = _METRES_PER_PIXEL_Z0 * math.cos(math.radians(latitude)) / 2**max_zoom
    return int(round(metres_per_px / 0.00028, -3))


# -- QML pieces ----------------------------------------------------------------------------


def _rgba(color: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,a``."""
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"a colour must be #rrggbb, got {color!r}")
    r, g, b = (int(c[k : k + 2], 16) for k in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


def _props(layer: ET.Element, props: Mapping[str, str]) -> None:
    for k, v in props.items():
        ET.SubElement(layer, "prop", k=k, v=v)


def _symbol_layer(cls: str, props: Mapping[str, str]) -> ET.Element:
    layer = ET.Element("layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    _props(layer, props)
    return layer


def _symbol(kind: str, name: str, layers: Iterable[ET.Element]) -> ET.Element:
    symbol = ET.Element(
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    symbol.extend(layers)
    return symbol


def _simple_fill(fill: str | None, opacity: float, outline: LineLook | None) -> ET.Element:
    """A fill, with a solid outline (``outline``) or none."""
    return _symbol_layer(
        "SimpleFill",
        {
            "color": _rgba(fill, opacity) if fill else "0,0,0,0",
            "style": "solid" if fill else "no",
            "outline_color": _rgba(outline.color) if outline else "0,0,0,0",
            "outline_style": "solid" if outline else "no",
            "outline_width": str(outline.width_px) if outline else "0",
            "outline_width_unit": "Pixel",
            "joinstyle": "round",
            "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
            "offset": "0,0",
            "offset_unit": "MM",
        },
    )


def _line(look: LineLook) -> ET.Element:
    """An outline (QGIS "Simple line" inside a fill symbol), dashed as the map draws it."""
    dashed = bool(look.dash_px)
    return _symbol_layer(
        "SimpleLine",
        {
            "line_color": _rgba(look.color),
            "line_width": str(look.width_px),
            "line_width_unit": "Pixel",
            "line_style": "solid",
            "use_custom_dash": "1" if dashed else "0",
            "customdash": ";".join(f"{d:g}" for d in look.dash_px) if dashed else "5;2",
            "customdash_unit": "Pixel",
            "capstyle": "flat",
            "joinstyle": "round",
            "offset": "0",
            "offset_unit": "MM",
        },
    )


def _zoomed_out_dot(
    fill: str | None, outline: LineLook, scale: int, radius_px: float, dotted: bool = False
) -> ET.Element:
    """A dot at the polygon (a point on its surface) of ``radius_px``, drawn only at scales
    above 1:``scale`` (zoomed out), as the report's map draws its circle markers."""
    layer = ET.Element(
        "layer", {"class": "CentroidFill", "enabled": "1", "locked": "0", "pass": "0"}
    )
    _props(layer, {"point_on_surface": "1", "point_on_all_parts": "0", "clip_points": "0"})
    ddp = ET.SubElement(layer, "data_defined_properties")
    collection = ET.SubElement(ddp, "Option", type="Map")
    ET.SubElement(collection, "Option", type="QString", name="name", value="")
    properties = ET.SubElement(collection, "Option", type="Map", name="properties")
    enabled = ET.SubElement(properties, "Option", type="Map", name="enabled")
    ET.SubElement(enabled, "Option", type="bool", name="active", value="true")
    ET.SubElement(
        enabled, "Option", type="QString", name="expression", value=f"@map_scale > {scale}"
    )
    ET.SubElement(enabled, "Option", type="int", name="type", value="3")
    ET.SubElement(collection, "Option", type="QString", name="type", value="collection")
    marker = _symbol_layer(
        "SimpleMarker",
        {
            "name": "circle",
            "size": f"{2 * radius_px:g}",
            "size_unit": "Pixel",
            "scale_method": "diameter",
            "color": _rgba(fill, 0.9) if fill else "0,0,0,0",
            "outline_color": _rgba(outline.color),
            "outline_style": "dot" if dotted else "solid",
            "outline_width": f"{min(outline.width_px, 1.5):g}",
            "outline_width_unit": "Pixel",
        },
    )
    layer.append(_symbol("marker", "@0@1", [marker]))
    return layer


def _document(renderer: ET.Element, labeling: ET.Element | None = None) -> str:
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "Symbology|Labeling",
            "labelsEnabled": "1" if labeling is not None else "0",
        },
    )
    root.append(renderer)
    if labeling is not None:
        root.append(labeling)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _single(symbol: ET.Element) -> ET.Element:
    renderer = ET.Element(
        "renderer-v2",
        {"type": "singleSymbol", "symbollevels": "0", "enableorderby": "0", "forceraster": "0"},
    )
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(symbol)
    return renderer


# -- the layers' styles ----------------------------------------------------------------------


def scene_qml(
    categories: Sequence[tuple[str, str, str]],
    look: LineLook,
    *,
    field: str = "fate",
    marker_scale: int = 17_000,
    marker_radius_px: float = 5,
) -> str:
    """The scenes: one category per fate, filled with its colour.

    Parameters
    ----------
    categories : sequence of (value, label, colour)
        The fates in legend order: the value of ``field``, the legend's label, ``#rrggbb``.
        Scenes with any other value are filled grey (:data:`OTHER_FATE`).
    look : LineLook
        The outline and the fill's opacity (the fill colour is the category's).
    field : str
        The column holding the fate.
    marker_scale, marker_radius_px
        Zoomed out beyond 1:``marker_scale`` each scene also gets a dot of this radius.
    """
    renderer = ET.Element(
        "renderer-v2",
        {
            "type": "categorizedSymbol",
            "attr": field,
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
        },
    )
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    looks = [*categories, ("", "–", OTHER_FATE)]  # the catch-all category
    for k, (value, text, color) in enumerate(looks):
        ET.SubElement(
            cats,
            "category",
            {"render": "true", "symbol": str(k), "value": value, "label": text, "type": "string"},
        )
        symbols.append(
            _symbol(
                "fill",
                str(k),
                [
                    _simple_fill(color, look.fill_opacity, look),
                    _zoomed_out_dot(color, look, marker_scale, marker_radius_px),
                ],
            )
        )
    return _document(renderer)


def ceased_qml(look: LineLook, *, marker_scale: int = 17_000, marker_radius_px: float = 5) -> str:
    """The ceased scenes: the (dashed) outline of ``look``, and a dotted ring when zoomed
    out beyond 1:``marker_scale``."""
    layers = [_line(look)]
    if look.fill:
        layers.insert(0, _simple_fill(look.fill, look.fill_opacity, None))
    layers.append(_zoomed_out_dot(None, look, marker_scale, marker_radius_px, dotted=True))
    return _document(_single(_symbol("fill", "0", layers)))


def outline_qml(look: LineLook) -> str:
    """A layer drawn as ``look``: its fill (if any) under its (dashed) outline."""
    layers = [_line(look)]
    if look.fill:
        layers.insert(0, _simple_fill(look.fill, look.fill_opacity, None))
    return _document(_single(_symbol("fill", "0", layers)))


def municipality_qml(look: LineLook, name_field: str = "name") -> str:
    """The municipalities: the outline of ``look`` without fill, and the name as a
    label."""
    renderer = _single(_symbol("fill", "0", [_line(replace(look, dash_px=()))]))
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": name_field,
            "isExpression": "0",
            "fontSize": "9",
            "fontSizeUnit": "Point",
            "textColor": _rgba("#333333"),
            "textOpacity": "1",
            "fontWeight": "50",
            "fontItalic": "0",
        },
    )
    ET.SubElement(
        settings,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "1",
            "bufferSizeUnits": "MM",
            "bufferColor": _rgba("#ffffff"),
            "bufferOpacity": "0.8",
        },
    )
    # Placement 1 ("over point"): at the polygon's centroid, kept inside the polygon.
    ET.SubElement(settings, "placement", {"placement": "1", "centroidInside": "1"})
    ET.SubElement(settings, "rendering", {"obstacle": "0", "displayAll": "0"})
    return _document(renderer, labeling)


def report_layer_styles(
    *,
    lang: str,
    round_label: str,
    compare: str | None,
    fates: Sequence[str],
    fate_colors: Mapping[str, str],
    leaflet: Mapping[str, Mapping[str, Any]],
    marker_max_zoom: float = 14,
    marker_radius_px: float = 5,
) -> list[LayerStyle]:
    """The default styles of the report's ``scenes.gpkg`` layers.

    Parameters
    ----------
    lang : {"sv", "en"}
        Language of the legend labels and style names.
    round_label, compare : str, str or None
        The reported round and the round compared with (for the style names).
    fates : sequence of str
        The values of the scenes' ``fate`` column, in legend order.
    fate_colors : mapping of str to str
        Colour of each fate, as on the report's map.
    leaflet : mapping
        The map's Leaflet path options of ``municipalities``, ``scenes``, ``ceased`` and
        ``candidates`` (:data:`drugscenes.report.mapdata.LAYER_STYLES`).
    marker_max_zoom, marker_radius_px
        The map draws scenes also as circles of this radius below this zoom.

    Returns
    -------
    list of LayerStyle
        One default style for each of ``scenes``, ``ceased_scenes``, ``candidate_scenes``
        and ``municipalities`` (a layer the file lacks is skipped when writing).
    """
    scale = marker_scale(marker_max_zoom)
    cats = [
        (
            f,
            t("map_scenes", lang, round=round_label) if f == "current" else label(f, lang),
            fate_colors.get(f, OTHER_FATE),
        )
        for f in fates
    ]
    scenes = LineLook.from_leaflet(leaflet["scenes"], fill=OTHER_FATE)
    ceased = LineLook.from_leaflet(leaflet["ceased"])
    markers = {"marker_scale": scale, "marker_radius_px": marker_radius_px}
    return [
        LayerStyle(
            "scenes",
            t("map_scenes", lang, round=round_label),
            scene_qml(cats, scenes, **markers),
        ),
        LayerStyle(
            "ceased_scenes",
            t("map_ceased", lang, round=compare or "–"),
            ceased_qml(ceased, **markers),
        ),
        LayerStyle(
            "candidate_scenes",
            t("sheet_candidates", lang),
            outline_qml(LineLook.from_leaflet(leaflet["candidates"])),
        ),
        LayerStyle(
            "municipalities",
            t("map_municipalities", lang),
            municipality_qml(LineLook.from_leaflet(leaflet["municipalities"])),
        ),
    ]
