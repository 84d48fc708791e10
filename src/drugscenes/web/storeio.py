"""The drugscenes store from the web app: open it, and write a closed round through the
same validated path as ``drugscenes import scenes``.

An adapter: :func:`drugscenes.services.imports.import_scenes` reads a file, so the
accepted scenes are written to a temporary GeoPackage (EPSG:3006) and imported from it;
every check of the CLI import runs on them, and a failure writes nothing.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd

from drugscenes.services.imports import ImportResult, import_scenes
from drugscenes.store import Store, open_workspace


@contextmanager
def workspace(url: str) -> Iterator[Store]:
    """The workspace at ``url``, open for one request."""
    store = open_workspace(url)
    try:
        yield store
    finally:
        store.close()


MUNICIPALITIES_TTL_S = 60.0
"""How long a worker thread keeps the region's municipalities between reads of the store
(every outline is checked against them; they change only with ``drugscenes init``)."""

_local = threading.local()


def municipalities(url: str) -> gpd.GeoDataFrame:
    """The region's municipalities of the workspace at ``url``, read at most once a minute
    per worker thread.

    Each thread has its own copy: GEOS builds prepared geometries and spatial indexes
    lazily and not thread-safely, so geometries are never shared between threads (the
    load test hung with one shared frame).
    """
    now = time.monotonic()
    cache: dict[str, tuple[float, gpd.GeoDataFrame]] = getattr(_local, "cache", {})
    hit = cache.get(url)
    if hit is not None and now - hit[0] < MUNICIPALITIES_TTL_S:
        return hit[1]
    with workspace(url) as store:
        frame = store.municipalities()
    cache[url] = (now, frame)
    _local.cache = cache
    return frame


def write_round(
    store: Store,
    label: str,
    date: str | None,
    scenes: gpd.GeoDataFrame,
    replace: bool,
    note: str | None = None,
) -> ImportResult:
    """Import ``scenes`` (EPSG:3006, the scene file's columns) as round ``label``.

    Raises
    ------
    DataError
        Any scene fails the import's checks (nothing is written).
    """
    with tempfile.TemporaryDirectory(prefix="drugscenes-web-") as tmp:
        path = Path(tmp) / f"round-{label.replace(' ', '_').replace(':', '_')}.gpkg"
        scenes.to_file(path, driver="GPKG", layer="scenes")
        return import_scenes(store, path, label, date=date, replace=replace, note=note)
