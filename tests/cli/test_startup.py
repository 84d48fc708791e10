"""Start-up: a command loads only what it uses.

``drugscenes --help`` (and every command's ``--help``) must not load pandas, GeoPandas,
SciPy, statsmodels, pyproj or the report's libraries, and ``summary`` of a GeoPackage
workspace reads it with sqlite3 and shapely alone (:mod:`drugscenes.store.gpkg_light`,
:mod:`drugscenes.analysis.inventory_light`) and prints exactly what the full store and
:func:`drugscenes.analysis.inventory.summarize_round` give. No timing here: the times are in
``benchmarks/e2e.py``; these tests check which modules a process has loaded.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import box

from drugscenes.analysis.inventory import summarize_round
from drugscenes.analysis.inventory_light import (
    numpy_sum,
    polygon_area,
    shapely_areas,
    summarize_rows,
)
from drugscenes.cli.app import _clean
from drugscenes.store import create_workspace, gpkg_blob, open_workspace
from drugscenes.store.gpkg_light import polygons, read_round
from helpers import run

HEAVY = (
    "pandas",
    "geopandas",
    "scipy",
    "statsmodels",
    "pyproj",
    "pyarrow",
    "matplotlib",
    "jinja2",
    "openpyxl",
    "sqlalchemy",
    "psycopg",
)
"""Modules that take long to load and that ``--help`` never needs."""

_PROBE = """
import contextlib, io, json, sys
import typer
from drugscenes.cli import app, main

def commands(cmd, path):
    yield path
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(None):
            yield from commands(cmd.get_command(None, name), [*path, name])

todo = json.loads(sys.argv[1])
if todo == "every --help":
    todo = [[*c, "--help"] for c in commands(typer.main.get_command(app), [])]
report = {}
for args in todo:
    sys.argv = ["drugscenes", *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code
    report[" ".join(args)] = {"code": code, "out": out.getvalue(), "err": err.getvalue()}
report["modules"] = sorted(m.split(".")[0] for m in sys.modules)
print(json.dumps(report))
"""


def _probe(*commands: list[str] | str) -> dict:
    """Run the commands in one fresh interpreter (``"every --help"``: each command's help);
    their outputs and the modules it loaded."""
    todo = commands[0] if commands == ("every --help",) else [[str(a) for a in c] for c in commands]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(todo)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_help_loads_no_heavy_module():
    """``drugscenes --help`` and the help of every command and subcommand, in one process."""
    report = _probe("every --help")
    helps = [k for k in report if k.endswith("--help")]
    assert {"--help", "summary --help", "import incidents --help", "crime --help"} <= set(helps)
    for k in helps:
        assert report[k]["code"] == 0, (k, report[k]["err"])
    assert "summary" in report["--help"]["out"] and "crime" in report["--help"]["out"]
    loaded = set(report["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "numpy" not in loaded and "shapely" not in loaded


def test_importing_the_cli_loads_no_heavy_module():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json, drugscenes, drugscenes.cli, drugscenes.store, drugscenes.services;"
            "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert not loaded & {*HEAVY, "numpy", "shapely"}, sorted(loaded & {*HEAVY, "numpy", "shapely"})


# -- summary through the quick path -------------------------------------------------------


def _region() -> gpd.GeoDataFrame:
    codes = ["0180", "0114", "0127", "0999"]
    return gpd.GeoDataFrame(
        {"code": codes, "name": ["Storstad", "Norrvik", "Ö [b]", "Tom"]},
        geometry=[
            box(600_000 + 10_000 * i, 6_500_000, 610_000 + 10_000 * i, 6_510_000) for i in range(4)
        ],
        crs=3006,
    )


def _round(seed: int, n: int) -> gpd.GeoDataFrame:
    """``n`` random, partly overlapping scenes (many per municipality, so that a
    municipality's area is a long sum), some without a name."""
    rng = np.random.default_rng(seed)
    munis = rng.choice(["0180", "0114", "0127"], size=n, p=[0.6, 0.3, 0.1])
    x0 = {"0180": 600_000, "0114": 610_000, "0127": 620_000}
    geoms = [
        shapely.buffer(
            shapely.Point(x0[m] + rng.uniform(500, 9_500), 6_500_000 + rng.uniform(500, 9_500)),
            rng.uniform(5, 80),
            quad_segs=int(rng.integers(2, 9)),
        )
        for m in munis
    ]
    names = [None if rng.random() < 0.2 else f"plats {i}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"scene_id": [f"S{i:04d}" for i in range(n)], "name": names, "municipality_code": munis},
        geometry=geoms,
        crs=3006,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with three rounds of random scenes, written through the store."""
    from drugscenes.store.base import RoundRecord

    ws = tmp_path_factory.mktemp("startup") / "ws.gpkg"
    with create_workspace(ws, _region(), "Test") as store:
        for label, date, seed, n in (
            ("2021", "2021-10-01", 1, 40),
            ("2023", "2023-10-01", 2, 300),
            ("b", None, 3, 7),
        ):
            scenes = _round(seed, n)
            scenes["id_given"] = True
            scenes["area_m2"] = scenes.geometry.area
            record = RoundRecord(
                label, date, None, f"{label}.gpkg", label * 8, "2024-01-01T00:00:00"
            )
            store.write_round(record, scenes, replace=False)
    return ws


def test_quick_inventory_is_the_full_inventory(workspace: Path):
    """Both quick paths (plain Python; shapely) give the service's JSON to the last bit."""
    with open_workspace(workspace) as store:
        labels = store.round_labels()
        munis = store.municipalities()
        for label in [None, *labels]:
            light = read_round(workspace, label)
            assert light is not None
            assert light.latest_by_default == (label is None)
            assert light.label == (label or labels[-1])
            full = summarize_round(store.round_scenes(light.label), munis, light.label, 10_000)
            shapes = polygons(light.blobs)
            assert shapes is not None
            shapely_area, union = shapely_areas(light.geometries())
            for areas in ([polygon_area(p) for p in shapes], shapely_area):
                quick = summarize_rows(
                    light.label,
                    light.scene_ids,
                    light.names,
                    light.municipality_codes,
                    areas,
                    light.municipality_codes_region,
                    light.municipality_names,
                    10_000,
                    union,
                )
                assert json.dumps(_clean(quick)) == json.dumps(_clean(full.to_dict()))


def _flat(geom: shapely.Geometry) -> list[list[tuple[float, ...]]]:
    parts = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    return [
        [tuple(shapely.get_coordinates(r).ravel().tolist()) for r in (p.exterior, *p.interiors)]
        for p in parts
    ]


@pytest.mark.parametrize("seed", range(3))
def test_plain_areas_and_sums_are_the_libraries_to_the_bit(seed: int):
    """GEOS's area of random (multi)polygons with holes at any rounding, NumPy's pairwise
    sum of arrays of every length, and pandas' grouped sums (where naive sums differ)."""
    rng = np.random.default_rng(seed)
    for _ in range(2_000):
        parts = []
        for j in range(int(rng.integers(1, 4))):
            k = int(rng.integers(3, 40))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            r = rng.uniform(0.5, 1, k) * rng.uniform(5, 300)
            cx, cy = rng.uniform(3e5, 9e5) + 1_000 * j, rng.uniform(6.1e6, 7.6e6)
            shell = np.round(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)], rng.integers(0, 9))
            holes = (
                [np.c_[cx + np.cos(ang[:5]), cy + np.sin(ang[:5])]] if rng.random() < 0.3 else []
            )
            parts.append(shapely.Polygon(shell, holes))
        g = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        assert polygon_area(_flat(g)) == shapely.area(g)
    for n in [*range(300), *rng.integers(300, 5_000, 30).tolist()]:
        values = (rng.uniform(0, 1, n) * rng.choice([1e-3, 1.0, 1e4], n)).tolist()
        assert numpy_sum(values) == float(np.sum(np.array(values)))
    scenes = _round(seed, 2_000)
    scale = rng.choice([1e-2, 1.0, 30.0], size=len(scenes))
    geoms = [shapely.affinity.scale(g, s, s) for g, s in zip(scenes.geometry, scale, strict=True)]
    scenes = scenes.set_geometry(gpd.GeoSeries(geoms, crs=3006))
    region = _region()
    full = summarize_round(scenes, region, "r", 50).to_dict()
    areas, union = shapely_areas(scenes.geometry.to_numpy())
    plain = [polygon_area(_flat(g)) for g in scenes.geometry]
    assert areas == plain
    quick = summarize_rows(
        "r",
        list(scenes["scene_id"]),
        list(scenes["name"]),
        list(scenes["municipality_code"]),
        plain,
        list(region["code"]),
        list(region["name"]),
        50,
        union,
    )
    assert json.dumps(_clean(quick)) == json.dumps(_clean(full))


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--json"],
        ["--round", "2021"],
        ["--round", "2021", "--json"],
        ["--round", "b", "--largest", "0"],
        ["--largest", "3", "--json"],
    ],
)
def test_summary_output_is_the_services_output(workspace: Path, args: list[str], monkeypatch):
    """The command prints the same bytes through the quick path and through the store."""
    code, out, err = run("summary", workspace, *args)
    assert code == 0, err
    import drugscenes.store.gpkg_light as light

    monkeypatch.setattr(light, "read_round", lambda *_a: None)  # force the full store
    code_full, out_full, err_full = run("summary", workspace, *args)
    assert (code, out, err) == (code_full, out_full, err_full)


def test_summary_loads_neither_pandas_nor_geopandas(workspace: Path):
    """The text needs sqlite3 alone; the JSON (the union's area) adds shapely, not pandas."""
    report = _probe(["summary", workspace])
    assert report[f"summary {workspace}"]["code"] == 0
    loaded = set(report["modules"])
    assert not loaded & {*HEAVY, "numpy", "shapely"}, sorted(loaded & {*HEAVY, "numpy", "shapely"})
    report = _probe(["summary", workspace, "--round", "2021", "--json"])
    data = json.loads(report[f"summary {workspace} --round 2021 --json"]["out"])
    assert data["round"] == "2021" and data["n_scenes"] == 40 and data["union_area_m2"] > 0
    loaded = set(report["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_damaged_geometry_is_left_to_the_store(workspace: Path, tmp_path: Path):
    """A scene whose coordinates disagree with their envelope: the plain reader declines,
    and the command says what the store says (the workspace is damaged)."""
    ws = tmp_path / "damaged.gpkg"
    shutil.copy(workspace, ws)
    with sqlite3.connect(ws) as conn:
        fid, blob = conn.execute(
            "SELECT fid, geom FROM scene_observations WHERE round = '2021' ORDER BY fid LIMIT 1"
        ).fetchone()
        blob = bytearray(blob)
        blob[-32:-24] = struct.pack("<d", 1.0)  # a vertex's x: far outside the envelope
        gpkg_blob.register_functions(conn)  # the R-tree triggers' functions
        conn.execute("UPDATE scene_observations SET geom = ? WHERE fid = ?", (bytes(blob), fid))
    light = read_round(ws, "2021")
    assert light is not None and polygons(light.blobs) is None
    for args in ([], ["--json"]):
        code, out, err = run("summary", ws, "--round", "2021", *args)
        assert code == 1 and "damaged" in err and out == "", err


def test_quick_path_leaves_errors_to_the_store(tmp_path: Path, workspace: Path):
    """No file, not a workspace, an unknown round: the quick reader declines and the
    command gives the store's message."""
    assert read_round(tmp_path / "none.gpkg", None) is None
    assert read_round(workspace, "1999") is None
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a database" * 100)
    assert read_round(bad, None) is None
    code, _out, err = run("summary", workspace, "--round", "1999")
    assert code == 1 and "no round '1999'" in err
    code, _out, err = run("summary", tmp_path / "none.gpkg")
    assert code == 1 and "no workspace at" in err


def test_constants_repeated_for_the_help_agree():
    from drugscenes.analysis import hotspots
    from drugscenes.cli import crime, demo
    from drugscenes.cli import hotspots as hotspots_cli
    from drugscenes.demo import build
    from drugscenes.io import incidents
    from drugscenes.store import SCHEMA_VERSION, gpkg_light

    assert crime.INCIDENT_FORMATS == incidents.FORMATS
    assert hotspots_cli.METHODS == hotspots.METHODS
    assert hotspots_cli.CANDIDATE_CATEGORIES == hotspots.CANDIDATE_CATEGORIES
    assert demo.DEFAULT_SEED == build.DEFAULT_SEED
    assert gpkg_light.SCHEMA_VERSION == str(SCHEMA_VERSION)
