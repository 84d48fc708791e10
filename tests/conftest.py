"""Shared fixtures: the real public data in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the real public data; skips the test cleanly when it is not beside the repo."""
    if not (SHARED_DATA / "stockholm_municipalities_3006.geojson").exists():
        pytest.skip(f"real public data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def county_3006(shared_data: Path):
    """The 26 municipalities of Stockholm county in EPSG:3006 (code, name, geometry)."""
    import geopandas as gpd

    return gpd.read_file(shared_data / "stockholm_municipalities_3006.geojson")


@pytest.fixture(scope="session")
def stations_3006(shared_data: Path):
    """The county's 250 rail, metro and tram stations as points in EPSG:3006."""
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(shared_data / "stockholm_stations.csv", dtype={"gtfs_stop_id": str})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["x_3006"], df["y_3006"]), crs=3006)


# -- PostGIS: one throwaway server per test run, a fresh database per test -------------
# (drugscenes.store.postgis.localserver; a missing PostgreSQL/PostGIS fails these tests,
# it does not skip them: .ci/run installs the server.)

_POSTGIS_TEMPLATE = "ds_template"
_postgis_databases: list[str] = []


@pytest.fixture(scope="session")
def postgis_server():
    """A local PostgreSQL + PostGIS server for the whole run, stopped at the end.

    Yields the :class:`~drugscenes.store.postgis.localserver.LocalServer`; it has a
    database ``ds_template`` with the PostGIS extension to copy per test.
    """
    import shutil
    import tempfile

    from drugscenes.store.postgis import localserver

    # Not under pytest's tmp dir: that is private to root, and the server runs as the
    # 'postgres' system user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="ds-pg-"))
    server = localserver.start(folder)
    try:
        server.create_database(_POSTGIS_TEMPLATE)
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgis_url(postgis_server, request):
    """URL of a fresh, empty database with PostGIS (dropped after the test)."""
    import re

    stem = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    name = f"t{len(_postgis_databases)}_{stem}"
    _postgis_databases.append(name)
    url = postgis_server.create_database(name, template=_POSTGIS_TEMPLATE)
    yield url
    if postgis_server.is_running():
        postgis_server.drop_database(name)
