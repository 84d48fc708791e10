"""The report's map as a static SVG, for the PDF (no JavaScript, no tiles).

The layers, their styles and the view are those of the interactive map
(:mod:`drugscenes.report.mapdata`): the same municipalities, scenes, ceased scenes and
candidate areas, drawn in the same order with the same SVG attributes Leaflet gives
them, fitted to the same box, with the municipality labels and a scale bar. The map is
drawn in EPSG:3006 itself (a transverse Mercator projection in metres: one map unit is
a metre, so the scale bar is exact to well under 0.1 % in the county), y upwards.

The SVG holds presentation attributes only, no ``style`` attribute or element, so the
page's Content-Security-Policy needs no ``'unsafe-inline'`` (as the charts,
:mod:`drugscenes.report.charts`).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from drugscenes.io.outputs import strip_controls
from drugscenes.report.mapdata import (
    MAP_BACKGROUND,
    MARKER_RADIUS_PX,
    layer_style,
    svg_attributes,
)

_SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", _SVG)

WIDTH_PX = 640
"""Width of the map in CSS pixels (about 17 cm printed): Leaflet's line widths and marker
sizes, given in pixels, keep their size."""
MAX_ASPECT = 1.0
"""The map is at most as tall as wide (it fits an A4 page with its heading and legend),
and at least half as tall."""
MARKER_BELOW_M_PER_PX = 4.8
"""Scenes are also drawn as circles when a pixel is larger than this (Leaflet below zoom
14 at Stockholm's latitude, where ``report.js`` shows its markers)."""
LABEL_FONT_PX = 11.0


def _el(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, f"{{{_SVG}}}{tag}", {k: str(v) for k, v in attrs.items()})


class _Frame:
    """The view: map coordinates (EPSG:3006, metres) to SVG pixels."""

    def __init__(self, bounds: tuple[float, ...], width: float) -> None:
        minx, miny, maxx, maxy = bounds
        dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        pad = max(0.05 * max(dx, dy), 500.0)
        minx, maxx, miny, maxy = minx - pad, maxx + pad, miny - pad, maxy + pad
        dx, dy = maxx - minx, maxy - miny
        # Widen the short side so that the map keeps a printable shape.
        if dy > MAX_ASPECT * dx:
            grow = (dy / MAX_ASPECT - dx) / 2
            minx, maxx = minx - grow, maxx + grow
        elif dy < 0.5 * dx:
            grow = (0.5 * dx - dy) / 2
            miny, maxy = miny - grow, maxy + grow
        self.box = (minx, miny, maxx, maxy)
        self.scale = width / (maxx - minx)  # pixels per metre
        self.width = width
        self.height = (maxy - miny) * self.scale

    def xy(self, coords: np.ndarray) -> np.ndarray:
        minx, _, _, maxy = self.box
        return np.column_stack(
            ((coords[:, 0] - minx) * self.scale, (maxy - coords[:, 1]) * self.scale)
        )

    def path(self, geom: shapely.Geometry) -> str:
        """SVG path data of a (multi)polygon's rings, clipped to the view."""
        geom = shapely.clip_by_rect(geom, *self.box)
        parts = []
        for poly in shapely.get_parts(geom):
            if not isinstance(poly, shapely.Polygon) or poly.is_empty:
                continue
            for ring in (poly.exterior, *poly.interiors):
                pts = self.xy(shapely.get_coordinates(ring))
                head, *rest = (f"{x:.1f} {y:.1f}" for x, y in pts)
                parts.append(f"M{head}L" + "L".join(rest) + "Z")
        return "".join(parts)


def static_map_svg(
    *,
    municipalities: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    ceased: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame | None,
    fate_colors: Mapping[str, str],
    labels: gpd.GeoDataFrame,
    bounds: tuple[float, ...],
    title: str = "",
    width: float = WIDTH_PX,
) -> str:
    """The map as an inline SVG element.

    Parameters
    ----------
    municipalities : GeoDataFrame
        The base map (EPSG:3006).
    scenes : GeoDataFrame
        The round's scenes with a ``fate`` column (their colour in ``fate_colors``).
    ceased : GeoDataFrame
        Ceased scenes (may be empty).
    candidates : GeoDataFrame or None
        Candidate areas.
    fate_colors : mapping
        Fill colour of each fate, as on the interactive map.
    labels : GeoDataFrame
        ``name`` and a point per municipality, in placing order
        (:func:`~drugscenes.report.mapdata.label_points`); a label that would overlap one
        placed before it is left out.
    bounds : tuple
        (minx, miny, maxx, maxy) the map must show (EPSG:3006), as the interactive map's
        start view (:func:`~drugscenes.report.mapdata.view_bounds`).
    title : str
        The map's accessible name.
    width : float
        Width in CSS pixels.

    Returns
    -------
    str
        ``<svg>`` markup with presentation attributes only.
    """
    frame = _Frame(bounds, width)
    svg = ET.Element(
        f"{{{_SVG}}}svg",
        {
            "viewBox": f"0 0 {frame.width:.0f} {frame.height:.0f}",
            "width": f"{frame.width:.0f}",
            "height": f"{frame.height:.0f}",
            "role": "img",
            "aria-label": strip_controls(title),
            "font-family": "DejaVu Sans, Arial, sans-serif",
        },
    )
    _el(
        svg,
        "rect",
        x=0,
        y=0,
        width=f"{frame.width:.0f}",
        height=f"{frame.height:.0f}",
        fill=MAP_BACKGROUND,
    )

    def polygons(layer_frame: gpd.GeoDataFrame, layer: str, cls: str) -> None:
        group = _el(svg, "g", **{"class": cls})
        colours = _fill_colours(layer_frame, layer, fate_colors)
        for geom, colour in zip(layer_frame.geometry, colours, strict=True):
            d = frame.path(geom)
            if d:
                attrs = svg_attributes(layer_style(layer, colour))
                _el(group, "path", d=d, **attrs, **{"fill-rule": "evenodd"})

    polygons(municipalities, "municipalities", "ds-muni")
    if len(ceased):
        polygons(ceased, "ceased", "ds-ceased")
    polygons(scenes, "scenes", "ds-scene")
    if candidates is not None and len(candidates):
        polygons(candidates, "candidates", "ds-candidate")
    if 1.0 / frame.scale > MARKER_BELOW_M_PER_PX:
        _markers(svg, frame, ceased, scenes, fate_colors)
    _labels(svg, frame, labels)
    _scale_bar(svg, frame)
    return ET.tostring(svg, encoding="unicode")


def _fill_colours(
    layer_frame: gpd.GeoDataFrame, layer: str, fate_colors: Mapping[str, str]
) -> list[str | None]:
    """Each feature's fill: its fate's colour for scenes, the layer's own otherwise."""
    if layer != "scenes":
        return [None] * len(layer_frame)
    return [fate_colors.get(f, "#999999") for f in layer_frame["fate"]]


def _markers(
    svg: ET.Element,
    frame: _Frame,
    ceased: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    fate_colors: Mapping[str, str],
) -> None:
    """A circle at each scene and ceased scene, above every polygon (as ``report.js``)."""
    group = _el(svg, "g", **{"class": "ds-markers"})
    for layer, frame_ in (("ceased", ceased), ("scenes", scenes)):
        if not len(frame_):
            continue
        pts = frame.xy(shapely.get_coordinates(frame_.geometry.representative_point().to_numpy()))
        colours = _fill_colours(frame_, layer, fate_colors)
        for (x, y), colour in zip(pts, colours, strict=True):
            attrs = svg_attributes(layer_style(layer, colour))
            _el(group, "circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r=MARKER_RADIUS_PX, **attrs)


def _labels(svg: ET.Element, frame: _Frame, labels: gpd.GeoDataFrame) -> None:
    """Municipality names at their label points; a label overlapping one placed earlier
    (or leaving the map) is left out."""
    group = _el(
        svg,
        "g",
        **{
            "class": "ds-muni-labels",
            "font-size": f"{LABEL_FONT_PX:g}",
            "text-anchor": "middle",
            # No halo drawn as a stroke: a PDF would then hold each name twice.
            "fill": "#333333",
        },
    )
    if not len(labels):
        return
    pts = frame.xy(shapely.get_coordinates(labels.geometry.to_numpy()))
    placed: list[tuple[float, float, float, float]] = []
    for (x, y), name in zip(pts, labels["name"], strict=True):
        text = strip_controls(name)
        half = 0.3 * LABEL_FONT_PX * len(text) + 2  # DejaVu Sans: about 0.6 em a letter
        box = (x - half, y - LABEL_FONT_PX / 2 - 2, x + half, y + LABEL_FONT_PX / 2 + 2)
        if box[0] < 0 or box[1] < 0 or box[2] > frame.width or box[3] > frame.height:
            continue
        if any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3] for b in placed):
            continue
        placed.append(box)
        el = _el(group, "text", x=f"{x:.1f}", y=f"{y + LABEL_FONT_PX * 0.35:.1f}")
        el.text = text


def nice_length(max_m: float) -> float:
    """The longest 1, 2 or 5 × 10ⁿ metres not above ``max_m`` (as Leaflet's scale).

    Examples
    --------
    >>> nice_length(7300.0), nice_length(180.0), nice_length(1000.0)
    (5000.0, 100.0, 1000.0)
    """
    power = 10 ** math.floor(math.log10(max_m))
    return float(power * max(d for d in (1, 2, 5) if d * power <= max_m))


def _scale_bar(svg: ET.Element, frame: _Frame) -> None:
    """A scale bar in the lower left corner, as Leaflet's (at most 100 px long)."""
    metres = nice_length(100.0 / frame.scale)
    px = metres * frame.scale
    x0, y0 = 10.0, frame.height - 12.0
    group = _el(svg, "g", **{"class": "ds-scale"})
    _el(
        group,
        "rect",
        x=x0 - 2,
        y=y0 - 16,
        width=f"{px + 4:.1f}",
        height=20,
        fill="#ffffff",
        **{"fill-opacity": "0.8"},
    )
    _el(
        group,
        "path",
        d=f"M{x0:.1f} {y0 - 6:.1f}V{y0:.1f}H{x0 + px:.1f}V{y0 - 6:.1f}",
        fill="none",
        stroke="#333333",
        **{"stroke-width": "2"},
    )
    text = _el(
        group, "text", x=f"{x0 + 3:.1f}", y=f"{y0 - 4:.1f}", fill="#333333", **{"font-size": "11"}
    )
    text.text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


__all__ = ["nice_length", "static_map_svg"]
