"""Workspaces: one storage contract (:class:`Store`), a GeoPackage and a PostGIS backend.

:func:`open_workspace` and :func:`create_workspace` take a *target*: a GeoPackage path
(the embedded, one-analyst workspace, with its incidents and survey files beside it) or
a ``postgresql://`` URL (the shared server). Nobody outside this package knows paths,
SQL or layouts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

    from drugscenes.store.base import (
        SCHEMA_VERSION,
        IncidentWrite,
        RoundRecord,
        Store,
        SurveyRecord,
    )

_FROM_BASE = frozenset({"SCHEMA_VERSION", "IncidentWrite", "RoundRecord", "Store", "SurveyRecord"})


def __getattr__(name: str) -> Any:
    """The contract's names (:mod:`drugscenes.store.base`, which loads pandas and GeoPandas)
    on first use, so that importing :func:`open_workspace` costs nothing."""
    if name in _FROM_BASE:
        from drugscenes.store import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION",
    "IncidentWrite",
    "RoundRecord",
    "Store",
    "SurveyRecord",
    "create_workspace",
    "is_url",
    "open_workspace",
]


def is_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostGIS database rather than a GeoPackage file.

    Examples
    --------
    >>> is_url("postgresql://analyst@localhost/drugscenes"), is_url("county.gpkg")
    (True, False)
    """
    return str(target).startswith(("postgresql://", "postgres://"))


def open_workspace(target: str | Path) -> Store:
    """Open an existing workspace (GeoPackage path or ``postgresql://`` URL).

    Use it as a context manager.

    Raises
    ------
    WorkspaceError
        No workspace there, an unreachable server, or an unknown schema version.
    """
    if is_url(target):
        from drugscenes.store.postgis import PostGISStore  # the driver only when needed

        return PostGISStore.open(str(target))
    from drugscenes.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(target)


def create_workspace(
    target: str | Path,
    municipalities: gpd.GeoDataFrame,
    region_name: str = "",
    overwrite: bool = False,
    metadata: dict[str, str] | None = None,
) -> Store:
    """Create a workspace for a region given by its municipalities (EPSG:3006).

    Parameters
    ----------
    target : str or Path
        A GeoPackage path or a ``postgresql://`` URL (an empty database, or one whose
        workspace is replaced with ``overwrite``).
    municipalities : GeoDataFrame
        ``code``, ``name`` and polygon geometry.
    region_name : str
    overwrite : bool
        Replace an existing workspace there, with its incidents and survey data, so
        that nothing of the old one lingers.
    metadata : dict, optional
        Facts to keep (:data:`~drugscenes.store.base.KEPT_METADATA`: ``created_at``,
        ``created_by`` when copying; ``synthetic`` = ``"yes"`` for a workspace of
        invented data, such as the demo, which the report then marks as such).
    """
    if is_url(target):
        from drugscenes.store.postgis import PostGISStore

        return PostGISStore.create(str(target), municipalities, region_name, overwrite, metadata)
    from drugscenes.store.gpkg import GeoPackageStore

    return GeoPackageStore.create(target, municipalities, region_name, overwrite, metadata)
