"""Outlines from the web: parse, check and convert, the same way the CLI import does.

Pure functions on shapely geometries and the region's municipalities (no Django), so
they are tested and documented on their own. The region checks are the import's own
(:func:`drugscenes.registry.prepare.prepare_round`); the web adds what a drawing needs:
a GeoJSON polygon in WGS84 (the map's CRS) or EPSG:3006, an outline that is valid as
drawn (no self-intersection to repair silently), a bounded number of vertices, and, for
a municipality's editor, an outline inside that municipality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

from drugscenes.registry.prepare import prepare_round

MAX_VERTICES = 10_000
"""Most vertices an outline may have."""

MUNICIPALITY_TOLERANCE_M = 5.0
"""How far (metres) a municipal editor's outline may reach over its municipality's
boundary: digitising along a boundary on a map is not exact."""

_TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)
_TO_4326 = Transformer.from_crs(3006, 4326, always_xy=True)


class GeometryProblem(ValueError):
    """An outline the app refuses, with a message for the person who drew it."""


@dataclass(frozen=True)
class Outline:
    """A checked outline in EPSG:3006.

    Attributes
    ----------
    geometry : MultiPolygon
    area_m2 : float
    municipality_code : str
        The municipality holding the largest part (or the editor's own).
    warnings : list of str
        The import's warnings (e.g. crossing a municipal border).
    """

    geometry: MultiPolygon
    area_m2: float
    municipality_code: str
    warnings: list[str]


def parse_geojson(data: object, crs: object = 4326) -> shapely.Geometry:
    """A GeoJSON geometry (dict) in ``crs`` (4326 or 3006) as a shapely geometry in 3006.

    Raises
    ------
    GeometryProblem
        Not a GeoJSON polygon, unreadable coordinates, or an unknown CRS.

    Examples
    --------
    >>> g = parse_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, 3006)
    >>> g.area
    0.5
    >>> parse_geojson({"type": "Point", "coordinates": [0, 0]}, 3006)
    Traceback (most recent call last):
    ...
    drugscenes.web.geometry.GeometryProblem: the outline must be a Polygon or MultiPolygon, not a Point
    """  # noqa: E501
    if str(crs) not in ("4326", "3006", "EPSG:4326", "EPSG:3006"):
        raise GeometryProblem(f"unknown crs {crs!r}: give 4326 (WGS84) or 3006 (SWEREF 99 TM)")
    if not isinstance(data, dict) or "type" not in data:
        raise GeometryProblem("geometry must be a GeoJSON geometry object")
    kind = data.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryProblem(f"the outline must be a Polygon or MultiPolygon, not a {kind}")
    try:
        geom = shape(data)
    except Exception as exc:  # shapely raises several types on malformed coordinates
        raise GeometryProblem(f"unreadable coordinates: {exc}") from None
    coords = shapely.get_coordinates(geom)
    if len(coords) == 0 or geom.is_empty:
        raise GeometryProblem("the outline is empty")
    if len(coords) > MAX_VERTICES:
        raise GeometryProblem(f"the outline has {len(coords)} vertices; at most {MAX_VERTICES}")
    if not all(math.isfinite(v) for v in coords.ravel()):
        raise GeometryProblem("coordinates must be finite numbers")
    if str(crs).endswith("4326"):
        lon, lat = coords[:, 0], coords[:, 1]
        if (abs(lon) > 180).any() or (abs(lat) > 90).any():
            raise GeometryProblem(
                "coordinates are not longitude/latitude (WGS84); give crs 3006 for metres"
            )
        geom = shapely.transform(geom, lambda xy: _project(xy, _TO_3006))
    return geom


def _project(xy, transformer: Transformer):  # type: ignore[no-untyped-def]
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def to_geojson_4326(geom: shapely.Geometry) -> dict[str, object]:
    """A geometry in EPSG:3006 as a GeoJSON dict in WGS84 (RFC 7946), 7 decimals (~1 cm)."""
    wgs = shapely.transform(geom, lambda xy: _project(xy, _TO_4326))
    return mapping(shapely.set_precision(wgs, 1e-7))  # type: ignore[return-value]


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    """A Polygon or MultiPolygon as a MultiPolygon (the column type)."""
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for p in parts:
        polys.extend([p] if isinstance(p, Polygon) else list(p.geoms))
    return MultiPolygon(polys)


def check_outline(
    geom: shapely.Geometry,
    municipalities: gpd.GeoDataFrame,
    own_municipality: str | None = None,
) -> Outline:
    """Check an outline (EPSG:3006) as the import checks a scene, and more strictly.

    Parameters
    ----------
    geom : shapely geometry
        A polygon or multipolygon in EPSG:3006.
    municipalities : GeoDataFrame
        The region (``code``, ``name``, geometry).
    own_municipality : str, optional
        A municipal editor's municipality code: the outline must lie inside it.

    Raises
    ------
    GeometryProblem
        An invalid polygon (with the reason and place, e.g. a self-intersection), an
        outline outside the region, or outside the editor's municipality.
    """
    if not isinstance(geom, Polygon | MultiPolygon):
        raise GeometryProblem(f"the outline must be a polygon, not a {geom.geom_type}")
    if not geom.is_valid:
        raise GeometryProblem(
            f"invalid polygon ({explain_validity(geom)}); redraw it without crossing edges"
        )
    if geom.area <= 0:
        raise GeometryProblem("the outline has no area")
    if own_municipality is not None:
        rows = municipalities[municipalities["code"] == own_municipality]
        if rows.empty:
            raise GeometryProblem(f"municipality {own_municipality} is not in the workspace")
        muni = rows.geometry.iloc[0]
        if not muni.buffer(MUNICIPALITY_TOLERANCE_M).covers(geom):
            outside = geom.difference(muni).area
            raise GeometryProblem(
                f"the outline lies partly outside municipality {own_municipality} "
                f"({outside:,.0f} m² outside); a municipality's editor draws inside it"
            )
    frame = gpd.GeoDataFrame(
        {"municipality_code": [own_municipality] if own_municipality else [None]},
        geometry=[geom],
        crs=3006,
    )
    prepared = prepare_round(frame, municipalities, "web", "outline")
    errors = [p for p in prepared.problems if p.severity == "error"]
    if errors:
        raise GeometryProblem("; ".join(p.message for p in errors))
    row = prepared.scenes.iloc[0]
    return Outline(
        as_multipolygon(geom),
        float(geom.area),
        str(row["municipality_code"]),
        [p.message for p in prepared.problems if p.severity == "warning"],
    )
