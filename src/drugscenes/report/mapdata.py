"""Map layers for the report: GeoJSON in WGS84 for Leaflet, one layer per role."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely

BASE_SIMPLIFY_M = 20.0
"""Tolerance for simplifying the municipality base map (metres); scenes are not simplified."""
PRECISION_DEG = 1e-6
"""Coordinate grid in degrees (about 0.1 m): keeps the embedded GeoJSON small."""


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
