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
