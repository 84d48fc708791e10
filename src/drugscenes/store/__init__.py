"""Workspaces: the embedded GeoPackage store now, a PostGIS store later, one interface."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd

from drugscenes.store.base import SCHEMA_VERSION, RoundRecord, Store
from drugscenes.store.gpkg import GeoPackageStore


def open_workspace(path: str | Path) -> Store:
    """Open an existing workspace; use it as a context manager.

    Raises
    ------
    WorkspaceError
        If there is no workspace at ``path`` or it has an unknown schema version.
    """
    return GeoPackageStore.open(path)


def create_workspace(
    path: str | Path,
    municipalities: gpd.GeoDataFrame,
    region_name: str = "",
    overwrite: bool = False,
) -> Store:
    """Create a workspace for a region given by its municipalities (EPSG:3006).

    With ``overwrite``, an existing workspace is replaced together with its incidents
    (:func:`incidents_path`), so that nothing of the old one lingers.
    """
    store = GeoPackageStore.create(path, municipalities, region_name, overwrite)
    if overwrite:
        shutil.rmtree(incidents_path(path), ignore_errors=True)
    return store


__all__ = [
    "SCHEMA_VERSION",
    "GeoPackageStore",
    "RoundRecord",
    "Store",
    "create_workspace",
    "incidents_path",
    "open_workspace",
]


def incidents_path(workspace: str | Path) -> Path:
    """Folder of a workspace's incidents: ``<workspace stem>.incidents/`` beside the file.

    Incidents (tens of millions of rows) live in a GeoParquet dataset partitioned by
    year next to the GeoPackage, so that an analysis reads only the period it needs.
    """
    p = Path(workspace)
    return p.with_name(p.stem + ".incidents")
