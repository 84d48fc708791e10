"""Map layers for the report: GeoJSON in WGS84 for Leaflet, one layer per role.

One description of the map serves the interactive map (``report.js`` draws it with
Leaflet), its legend and the static map of the PDF (:mod:`drugscenes.report.staticmap`):
the style of each layer (:data:`LAYER_STYLES`, in Leaflet's path options), the legend
entries (:func:`legend_entries`), the start view (:func:`view_bounds`) and the places of
the municipality labels (:func:`label_points`). Whatever is drawn is drawn with these
styles, so the legend shows each layer exactly as the map draws it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup, escape

BASE_SIMPLIFY_M = 20.0
"""Tolerance for simplifying the municipality base map (metres); scenes are not simplified."""
PRECISION_DEG = 1e-6
"""Coordinate grid in degrees (about 0.1 m): keeps the embedded GeoJSON small."""

MAP_BACKGROUND = "#e3e3e3"
"""Outside the region: a neutral light grey (neither sea nor land)."""
MARKER_RADIUS_PX = 5
"""Radius of the circle drawn at each scene when zoomed out (and in the static map)."""
MARKER_MAX_ZOOM = 14
"""Below this Leaflet zoom, scenes (a few thousand m²) are also drawn as circles."""

LAYER_STYLES: dict[str, dict[str, Any]] = {
    "municipalities": {
        "color": "#6b6b6b",
        "weight": 1,
        "opacity": 1.0,
        "fill": True,
        "fillColor": "#f6f3ec",
        "fillOpacity": 1.0,
        "dashArray": None,
    },
    "scenes": {
        "color": "#222222",
        "weight": 1,
        "opacity": 1.0,
        "fill": True,
        "fillColor": None,  # the scene's fate (FATE_COLORS)
        "fillOpacity": 0.85,
        "dashArray": None,
    },
    "ceased": {
        "color": "#555555",
        "weight": 2,
        "opacity": 1.0,
        "fill": False,
        "fillColor": None,
        "fillOpacity": 0.0,
        "dashArray": "4 3",
    },
    "candidates": {
        "color": "#d35400",
        "weight": 2,
        "opacity": 1.0,
        "fill": True,
        "fillColor": "#d35400",
        "fillOpacity": 0.15,
        "dashArray": "6 4",
    },
}
"""Leaflet path options of each layer (``report.js`` draws with exactly these)."""


def to_geojson(frame: gpd.GeoDataFrame, simplify_m: float = 0.0) -> dict:
    """A GeoDataFrame in EPSG:3006 as a GeoJSON FeatureCollection in WGS84."""
    frame = frame.copy()
    geoms = frame.geometry.to_numpy()
    if simplify_m > 0 and len(geoms):
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    frame = frame.set_geometry(list(geoms), crs=frame.crs).to_crs(4326)
    frame = frame.set_geometry(
        list(shapely.set_precision(frame.geometry.to_numpy(), PRECISION_DEG)), crs=4326
    )
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype.kind == "f":
            frame[col] = frame[col].round(1).astype(object).where(frame[col].notna(), None)
    return json.loads(frame.to_json(drop_id=True, na="null"))


def bounds_wgs84(frame: gpd.GeoDataFrame) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a layer, for Leaflet's fitBounds."""
    if frame.empty:
        return None
    minx, miny, maxx, maxy = frame.to_crs(4326).total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return None
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


# -- styles and legend ---------------------------------------------------------------------


def layer_style(layer: str, fill_color: str | None = None) -> dict[str, Any]:
    """The Leaflet path options of ``layer`` (a key of :data:`LAYER_STYLES`); scenes take
    the colour of their fate as ``fill_color``."""
    style = dict(LAYER_STYLES[layer])
    if fill_color is not None:
        style["fillColor"] = fill_color
    return style


def svg_attributes(style: Mapping[str, Any]) -> dict[str, str]:
    """The SVG presentation attributes Leaflet gives a path drawn with ``style``.

    Leaflet's SVG renderer sets ``stroke``, ``stroke-opacity``, ``stroke-width``,
    ``stroke-dasharray`` (only when given), ``fill`` (``none`` without fill) and
    ``fill-opacity``; the legend's swatches and the static map use the same.

    Examples
    --------
    >>> svg_attributes(LAYER_STYLES["ceased"])["stroke-dasharray"]
    '4 3'
    >>> svg_attributes(LAYER_STYLES["ceased"])["fill"]
    'none'
    """
    attrs = {
        "stroke": str(style["color"]),
        "stroke-opacity": _num(style["opacity"]),
        "stroke-width": _num(style["weight"]),
    }
    if style.get("dashArray"):
        attrs["stroke-dasharray"] = str(style["dashArray"])
    if style.get("fill"):
        attrs["fill"] = str(style.get("fillColor") or style["color"])
        attrs["fill-opacity"] = _num(style["fillOpacity"])
    else:
        attrs["fill"] = "none"
    return attrs


def _num(v: float) -> str:
    return f"{float(v):g}"


@dataclass(frozen=True)
class LegendEntry:
    """One line of the map's legend: a layer (or a fate within the scenes) as drawn.

    Attributes
    ----------
    layer : str
        ``scenes``, ``ceased``, ``candidates`` or ``municipalities``.
    key : str
        The fate for scenes (``persisting``, ``new``, ...), else the layer.
    label : str
        The text shown.
    style : dict
        The Leaflet path options the layer is drawn with.
    """

    layer: str
    key: str
    label: str
    style: dict[str, Any] = field(hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "key": self.key, "label": self.label, "style": self.style}


def legend_entries(
    fates: Iterable[tuple[str, str, str]],
    *,
    ceased: str | None,
    candidates: str | None,
    municipalities: str,
) -> list[LegendEntry]:
    """The legend of a map: each fate of the scenes drawn, then the ceased scenes and the
    candidate areas when the map draws any (``None``: not drawn), then the municipalities.

    Parameters
    ----------
    fates : iterable of (fate, label, colour)
        The fates present among the scenes drawn, in the order to list them.
    ceased, candidates : str or None
        The label of the layer, or None when it has no feature.
    municipalities : str
        The label of the base map.
    """
    entries = [LegendEntry("scenes", f, lbl, layer_style("scenes", c)) for f, lbl, c in fates]
    if ceased is not None:
        entries.append(LegendEntry("ceased", "ceased", ceased, layer_style("ceased")))
    if candidates is not None:
        entries.append(
            LegendEntry("candidates", "candidates", candidates, layer_style("candidates"))
        )
    entries.append(
        LegendEntry(
            "municipalities", "municipalities", municipalities, layer_style("municipalities")
        )
    )
    return entries


def legend_html(entries: Iterable[LegendEntry]) -> Markup:
    """The legend as HTML for the page without JavaScript (the PDF): each entry a swatch
    (an inline SVG with the layer's own attributes) and its label. The swatch's ground
    is what the layer is drawn over: the region for the layers, the outside for the
    municipalities (CSS classes ``on-land`` and ``on-outside``)."""
    items = []
    for e in entries:
        attrs = svg_attributes(e.style)
        rect = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
        ground = "on-outside" if e.layer == "municipalities" else "on-land"
        items.append(
            f'<span class="item" data-layer="{escape(e.layer)}" data-key="{escape(e.key)}">'
            f'<span class="sw {ground}"><svg viewBox="0 0 18 14" width="18" height="14" '
            f'aria-hidden="true"><rect x="2" y="2" width="14" height="10" {rect}/></svg></span>'
            f"{escape(e.label)}</span>"
        )
    return Markup("".join(items))


# -- start view and labels -----------------------------------------------------------------


def focus_geometries(
    layers: Iterable[gpd.GeoDataFrame],
    municipalities: gpd.GeoDataFrame,
    codes: Iterable[str],
) -> gpd.GeoSeries:
    """Everything the start view must show: the features of ``layers`` (scenes, ceased
    scenes, candidates) and the municipalities whose code is in ``codes`` (those with
    scenes); the whole region when none of them has a feature. EPSG:3006."""
    parts = [g.geometry for g in layers if g is not None and len(g)]
    wanted = set(codes)
    munis = municipalities[municipalities["code"].isin(wanted)]
    if len(munis):
        parts.append(munis.geometry)
    if not parts:
        parts = [municipalities.geometry]
    geoms = pd.concat([p.to_crs(municipalities.crs) for p in parts], ignore_index=True)
    geoms = geoms[~(geoms.is_empty | geoms.isna())]
    return gpd.GeoSeries(geoms.to_numpy(), crs=municipalities.crs)


def view_bounds(geoms: gpd.GeoSeries) -> tuple[tuple[float, ...], list[list[float]]] | None:
    """The box holding ``geoms``: in their CRS (minx, miny, maxx, maxy) and in WGS84 as
    Leaflet's ``[[south, west], [north, east]]``. The WGS84 box is that of the geometries
    themselves (projected one by one), so it holds each of them although a projected
    rectangle is not a rectangle in degrees, and it is widened by the grid the embedded
    GeoJSON is rounded to (:data:`PRECISION_DEG`), so it holds the features as embedded."""
    if geoms.empty:
        return None
    own = tuple(float(v) for v in geoms.total_bounds)
    minx, miny, maxx, maxy = geoms.to_crs(4326).total_bounds
    if not np.isfinite([*own, minx, miny, maxx, maxy]).all():
        return None
    e = PRECISION_DEG
    return own, [[float(miny) - e, float(minx) - e], [float(maxy) + e, float(maxx) + e]]


def label_points(municipalities: gpd.GeoDataFrame, first: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """A label place inside each municipality (its representative point), in the order in
    which labels are placed when they would overlap: the municipalities of ``first``
    (those with scenes), then the larger before the smaller. Columns ``code``, ``name``,
    ``geometry`` (points, the CRS of ``municipalities``)."""
    munis = municipalities[["code", "name", "geometry"]].copy()
    munis["_first"] = ~munis["code"].isin(set(first))
    munis["_area"] = -munis.geometry.area
    munis = munis.sort_values(["_first", "_area", "code"], kind="stable")
    points = munis.geometry.representative_point()
    return gpd.GeoDataFrame(
        {"code": munis["code"].to_numpy(), "name": munis["name"].to_numpy()},
        geometry=points.to_numpy(),
        crs=municipalities.crs,
    )
