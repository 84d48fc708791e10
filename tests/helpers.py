"""Small builders shared by tests: tiny regions, scene files, a CLI runner."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
from shapely import box
from typer.testing import CliRunner

from drugscenes.cli import app


def square_region() -> gpd.GeoDataFrame:
    """Two 10 km × 10 km municipalities side by side, in EPSG:3006 near Stockholm."""
    x0, y0 = 660_000, 6_570_000
    return gpd.GeoDataFrame(
        {"code": ["0180", "0183"], "name": ["Stockholm", "Sundbyberg"]},
        geometry=[
            box(x0, y0, x0 + 10_000, y0 + 10_000),
            box(x0 + 10_000, y0, x0 + 20_000, y0 + 10_000),
        ],
        crs=3006,
    )


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes: a workspace is unchanged iff this is."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
