"""Every analysis ends in a result or in one clear line, never a traceback, on the demo county.

Each case runs through the command line in-process (``helpers.run``: an exception escaping
a command fails the test) and checks the exit status (1 bad data, 2 wrong usage), the
message naming the option or the input, and that nothing was written. Options that would
make an analysis allocate without bound (``--rings 1e9``, ``--band 1e9``, ``--cell 0.001``,
``--simulations 10000000``, ...) are refused against the bounds in :mod:`drugscenes.config`
before any work is done.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from drugscenes import config
from drugscenes.analysis.history import scene_history
from drugscenes.analysis.zones import ZoneIndex
from drugscenes.demo.build import build_demo
from drugscenes.store import open_workspace
from drugscenes.store.base import RoundRecord
from helpers import digest, run

YEAR = ("--from", "2023-01-01", "--to", "2023-12-31")
HALVES = ("--before", "2023-01-01:2023-06-30", "--after", "2023-07-01:2023-12-31")


def one_line(err: str) -> str:
    """The message of a command that failed with one line."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


def snapshot(ws: Path) -> dict[str, str]:
    """Digest of the workspace file and of every file of its incident folder."""
    incidents = ws.with_name(ws.stem + ".incidents")
    return {str(p): digest(p) for p in [ws, *sorted(incidents.rglob("*"))] if p.is_file()}


def copy_workspace(ws: Path, folder: Path) -> Path:
    """A copy of a workspace with its incidents (not its survey) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ws.name
    shutil.copy2(ws, target)
    shutil.copytree(
        ws.with_name(ws.stem + ".incidents"), target.with_name(target.stem + ".incidents")
    )
    return target


def fails(args: tuple[Any, ...], code: int, message: str, ws: Path) -> str:
    """Run a command that must fail with ``code`` and one line containing ``message``,
    leaving the workspace as it was."""
    before = snapshot(ws)
    got, _, err = run(*args)
    assert got == code, err
    line = one_line(err)
    assert message in line, line
    assert snapshot(ws) == before
    return line


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county: rounds 2021, 2023, 2024 and incidents of 2023-2024."""
    return build_demo(tmp_path_factory.mktemp("demo")).workspace


# -- 1. bounds that keep memory sane -------------------------------------------------------
BOUNDS = [
    (("crime", "--round", "2024", *YEAR, "--rings", "1e9"), "--rings: at most 50000 m, got 1e+09"),
    (("crime", "--round", "2024", *YEAR, "--rings", "0"), "--rings: more than 0 m, got 0"),
    (
        ("crime", "--round", "2024", *YEAR, "--rings", ",".join(str(10 * k) for k in range(1, 30))),
        f"--rings: at most {config.RINGS_MAX_N} values, got 29",
    ),
    (("hotspots", "--round", "2024", *YEAR, "--band", "1e9"), "--band: at most 10000 m, got 1e+09"),
    (
        ("hotspots", "--round", "2024", *YEAR, "--band", "50"),
        "--band: 50 m is smaller than a cell (--cell 100 m)",
    ),
    (("hotspots", "--round", "2024", *YEAR, "--cell", "0.001"), "--cell: at least 10 m, got 0.001"),
    (("hotspots", "--round", "2024", *YEAR, "--cell", "1e9"), "--cell: at most 10000 m, got 1e+09"),
    (("hotspots", "--round", "2024", *YEAR, "--cell", "nan"), "--cell: give a number, got nan"),
    (
        ("hotspots", "--round", "2024", *YEAR, "--cell", "10", "--band", "300"),
        f"cells (at most {config.GRID_MAX_CELLS:,}); choose a larger cell size (--cell)",
    ),
    (
        ("hotspots", "--round", "2024", *YEAR, "--cell", "35"),
        f"cell-periods (at most {config.GRID_MAX_CELL_PERIODS:,})",
    ),
    (
        ("hotspots", "--round", "2024", *YEAR, "--distance", "1e12"),
        "--distance: at most 50000 m, got 1e+12",
    ),
    (("compare", "2023", "2024", "--distance", "1e12"), "--distance: at most 50000 m, got 1e+12"),
    (("nearrepeat", *YEAR, "--space-bands", "0,1e9"), "--space-bands: at most 10000 m, got 1e+09"),
    (
        ("nearrepeat", *YEAR, "--simulations", "10000000"),
        "--simulations: at most 99999 permutations, got 1e+07",
    ),
    (
        ("nearrepeat", *YEAR, "--category", "other", "--space-bands", "0,10000"),
        f"m of each other (at most {config.KNOX_MAX_PAIRS:,}): give narrower space bands",
    ),
    (
        (
            "nearrepeat",
            *YEAR,
            "--category",
            "violence",
            "--space-bands",
            "0,10000",
            "--simulations",
            "99999",
        ),
        f"(at most {config.KNOX_MAX_PAIR_PERMUTATIONS:,}): give fewer permutations",
    ),
    (("nearrepeat", *YEAR, "--ring", "1e9"), "--ring: at most 50000 m, got 1e+09"),
    (("nearrepeat", *YEAR, "--seed", "-5"), "--seed: at least 0, got -5"),
    (
        ("displacement", "--from-round", "2023", "--to-round", "2024", *HALVES, "--buffer", "1e9"),
        "--buffer: at most 50000 m, got 1e+09",
    ),
    (
        ("displacement", "--from-round", "2023", "--to-round", "2024", *HALVES, "--buffer", "0"),
        "--buffer: more than 0 m, got 0",
    ),
]


@pytest.mark.parametrize(("args", "message"), BOUNDS, ids=[" ".join(a) for a, _ in BOUNDS])
def test_an_option_beyond_its_bound_is_one_line(
    demo: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    command, *rest = args
    gpkg = tmp_path / "layers.gpkg"
    extra = ("--gpkg", gpkg) if command in ("hotspots", "compare") else ()
    fails((command, demo, *rest, *extra), 2, message, demo)
    assert not gpkg.exists()


def test_the_widest_accepted_ring_gives_a_result(demo: Path) -> None:
    """50 km rings (RING_MAX_M) cover the demo county: the rest is empty, so every rate
    ratio is undefined with its reason, and the zone index stays small and quick."""
    code, out, err = run("crime", demo, "--round", "2024", *YEAR, "--rings", "50000", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["zones"][-1]["zone"] == "rest" and result["zones"][-1]["area_m2"] == 0
    assert all(r["ratio"] is None and "whole region" in r["reason"] for r in result["rate_ratios"])


# -- 2. the report compared with its own round ---------------------------------------------
@pytest.mark.parametrize("given", [("--round", "2024", "--compare", "2024"), ("--compare", "2024")])
def test_report_compared_with_its_own_round(
    demo: Path, tmp_path: Path, given: tuple[str, ...]
) -> None:
    out = tmp_path / "report"
    line = fails(("report", demo, "--out", out, *given), 2, "the same round", demo)
    assert line.startswith("error: --compare: '2024'")
    assert not out.exists()


# -- 3. a scene covering the whole county --------------------------------------------------
@pytest.fixture(scope="module")
def covered(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with round 'all' (one scene equal to the region) and round 'beyond' (one
    scene larger than the region), imported as rounds."""
    ws = copy_workspace(demo, tmp_path_factory.mktemp("covered"))
    with open_workspace(ws) as store:
        region = shapely.union_all(np.asarray(store.municipalities().geometry.values))
    for label, date, geom in (
        ("all", "2025-02-01", region),
        ("beyond", "2026-02-01", shapely.box(*shapely.buffer(region, 5000).bounds)),
    ):
        path = ws.with_name(f"{label}.geojson")
        gpd.GeoDataFrame({"scene_id": [label.upper()]}, geometry=[geom], crs=3006).to_file(path)
        code, _, err = run("import", "scenes", ws, path, "--round", label, "--date", date)
        assert code == 0, err
    return ws


@pytest.mark.parametrize("label", ["all", "beyond"])
def test_crime_with_a_scene_covering_the_county(covered: Path, label: str) -> None:
    for extra in ((), ("--by-municipality",)):
        code, out, err = run("crime", covered, "--round", label, *YEAR, *extra, "--json")
        assert code == 0, err
        result = json.loads(out)
        rest = [z for z in result["zones"] if z["zone"].startswith("rest")]
        assert rest and all(z["area_m2"] == 0 and z["total"] == 0 for z in rest)
        assert result["zones"][0]["total"] == result["n_incidents"] > 0
        for row in result["rate_ratios"]:
            assert row["ratio"] is None and row["p_value"] is None
            assert "cover the whole region" in row["reason"]
    code, out, err = run("crime", covered, "--round", label, *YEAR)
    assert code == 0, err
    assert "Rate ratio undefined: the scenes and their rings cover the whole region" in out


@pytest.mark.parametrize("label", ["all", "beyond"])
def test_every_job_with_a_scene_covering_the_county(
    covered: Path, tmp_path: Path, label: str
) -> None:
    jobs: list[tuple[Any, ...]] = [
        ("hotspots", covered, "--round", label, *YEAR),
        ("compare", covered, "2024", label),
        ("compare", covered, label, "2024"),
        ("nearrepeat", covered, *YEAR, "--round", label),
        ("displacement", covered, "--from-round", label, "--to-round", "2024", *HALVES),
        ("displacement", covered, "--from-round", "2024", "--to-round", label, *HALVES),
        ("report", covered, "--out", tmp_path / "a", "--round", label, *YEAR),
        ("report", covered, "--out", tmp_path / "b", "--round", label, "--compare", "2024"),
    ]
    for args in jobs:
        code, _, err = run(*args)
        assert code == 0, (args, err)
    assert (tmp_path / "a" / "report.html").exists() and (tmp_path / "b" / "report.html").exists()


# -- 4. rounds dated in year 1 and 9999 ----------------------------------------------------
@pytest.fixture(scope="module")
def odd_dates(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with rounds 'Y1' (0001-06-01) and 'Y9999' (9999-12-31) written with the
    store directly, past the import's checks."""
    ws = copy_workspace(demo, tmp_path_factory.mktemp("odd"))
    with open_workspace(ws) as store:
        scenes = store.round_scenes("2024")
        for label, date in (("Y1", "0001-06-01"), ("Y9999", "9999-12-31")):
            record = RoundRecord(label, date, source_file="x", source_sha256=label)
            store.write_round(record, scenes, replace=False, history=scene_history)
    return ws


@pytest.mark.parametrize("label", ["Y1", "Y9999"])
def test_a_round_dated_out_of_range_has_no_default_period(
    odd_dates: Path, tmp_path: Path, label: str
) -> None:
    out = tmp_path / "report"
    line = fails(("report", odd_dates, "--out", out, "--round", label), 1, label, odd_dates)
    assert "outside the years 1900–2199" in line and "--from and --to" in line
    assert not out.exists()
    code, _, err = run("report", odd_dates, "--out", out, "--round", label, *YEAR)
    assert code == 0, err
    # compare has no --from/--to: it compares the rounds and says why there is no check
    code, data, err = run("compare", odd_dates, "2024", label, "--json")
    assert code == 0, err
    assert json.loads(data)["hotspot_check"] is None
    assert f"no hot-spot check: round '{label}' has the date" in err
    # the reported round's period does not depend on the compared round's date
    code, _, err = run("report", odd_dates, "--out", tmp_path / "b", "--round", "2024",
                       "--compare", label)  # fmt: skip
    assert code == 0, err


def test_the_latest_round_dated_out_of_range_refuses_the_default_report(
    odd_dates: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    line = fails(("report", odd_dates, "--out", out), 1, "round 'Y9999'", odd_dates)
    assert "9999-12-31 is outside the years 1900–2199" in line
    assert not out.exists()


# -- 5. short periods, unknown categories, too few events, nothing ceased -------------------
def test_hotspots_with_fewer_than_five_months_say_why_there_is_no_trend(demo: Path) -> None:
    code, _, err = run("hotspots", demo, "--round", "2024", "--from", "2023-01-01",
                       "--to", "2023-03-31", "--period", "month")  # fmt: skip
    assert code == 0, err
    assert "only 3 month(s) in 2023-01-01 – 2023-03-31" in err


def test_hotspots_with_a_partial_month_name_the_local_days(demo: Path) -> None:
    line = fails(
        ("hotspots", demo, "--round", "2024", "--from", "2023-01-15", "--to", "2023-12-31"),
        2,
        "got 2023-01-15 – 2023-12-31, days included; e.g. 2023-01-01 – 2023-12-31",
        demo,
    )
    assert "monthly periods need whole months" in line


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("hotspots", "--round", "2024", *YEAR, "--category", "nosuch"),
            1,
            "no incidents of nosuch",
        ),
        (("nearrepeat", *YEAR, "--category", "nosuch"), 1, "0 'nosuch' event(s)"),
        (
            (
                "displacement",
                "--from-round",
                "2023",
                "--to-round",
                "2024",
                *HALVES,
                "--category",
                "nosuch",
            ),
            1,
            "no 'nosuch' incidents in the before period",
        ),
    ],
)
def test_nothing_to_analyse_is_one_line(
    demo: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    command, *rest = args
    fails((command, demo, *rest), code, message, demo)


def test_nearrepeat_with_one_event_is_one_line(demo: Path) -> None:
    with open_workspace(demo) as store:
        shootings = store.read_incidents(None, None, ["time", "category"]).query(
            "category == 'shooting'"
        )
    days = shootings["time"].dt.tz_convert(config.TIMEZONE).dt.date.astype(str).value_counts()
    day = days[days == 1].index[0]
    fails(
        ("nearrepeat", demo, "--from", day, "--to", day),
        1,
        f"1 'shooting' event(s) from {day}",
        demo,
    )


def test_displacement_without_ceased_scenes_says_so(demo: Path) -> None:
    code, out, err = run("displacement", demo, "--from-round", "2024", "--to-round", "2023",
                         *HALVES, "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["scenes"] == [] and result["all_ceased"] is None
    assert "no ceased scenes between the two rounds" in result["notes"]


# -- 6. a period without incidents ---------------------------------------------------------
EMPTY = ("--from", "2030-01-01", "--to", "2030-12-31")


@pytest.mark.parametrize(
    "args",
    [
        ("crime", "--round", "2024", *EMPTY),
        ("hotspots", "--round", "2024", *EMPTY),
        ("nearrepeat", *EMPTY),
        (
            "displacement",
            "--from-round",
            "2023",
            "--to-round",
            "2024",
            "--before",
            "2030-01-01:2030-06-30",
            "--after",
            "2030-07-01:2030-12-31",
        ),
    ],
    ids=["crime", "hotspots", "nearrepeat", "displacement"],
)
def test_a_period_without_incidents_is_one_line(demo: Path, args: tuple[str, ...]) -> None:
    command, *rest = args
    fails((command, demo, *rest), 1, "from 2030-01-01 – 2030-", demo)


def test_compare_and_report_without_incidents_in_the_period_say_so(
    demo: Path, tmp_path: Path
) -> None:
    # round 2021 (2021-10-01): no incidents in the twelve months before it
    code, out, err = run("compare", demo, "2023", "2021", "--json")
    assert code == 0, err
    assert json.loads(out)["hotspot_check"] is None and "no hot-spot check" in err
    code, out, err = run("report", demo, "--out", tmp_path / "r", *EMPTY, "--json")
    assert code == 0, err
    assert {"crime", "candidates"} <= set(json.loads(out)["missing"])


# -- 7. days outside 1900-2199 -------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "option", "day"),
    [
        (
            ("crime", "--round", "2024", "--from", "1677-01-01", "--to", "2023-12-31"),
            "--from",
            "1677-01-01",
        ),
        (
            ("hotspots", "--round", "2024", "--from", "2023-01-01", "--to", "2300-01-01"),
            "--to",
            "2300-01-01",
        ),
        (("nearrepeat", "--from", "1677-01-01", "--to", "2023-12-31"), "--from", "1677-01-01"),
        (
            ("report", "--out", "OUT", "--from", "2023-01-01", "--to", "2300-01-01"),
            "--to",
            "2300-01-01",
        ),
        (
            (
                "displacement",
                "--from-round",
                "2023",
                "--to-round",
                "2024",
                "--before",
                "1677-01-01:2023-06-30",
                "--after",
                "2023-07-01:2023-12-31",
            ),
            "--before",
            "1677-01-01",
        ),
        (
            (
                "displacement",
                "--from-round",
                "2023",
                "--to-round",
                "2024",
                "--before",
                "2023-01-01:2023-06-30",
                "--after",
                "2023-07-01:2300-01-01",
            ),
            "--after",
            "2300-01-01",
        ),
    ],
)
def test_a_day_outside_the_years_is_one_line(
    demo: Path, tmp_path: Path, args: tuple[str, ...], option: str, day: str
) -> None:
    command, *rest = args
    rest = [str(tmp_path / "out") if a == "OUT" else a for a in rest]
    line = fails((command, demo, *rest), 2, "outside the years 1900–2199", demo)
    assert line == f"error: {option}: {day} is outside the years 1900–2199"
    assert not (tmp_path / "out").exists()


# -- the zone index under wide and many rings ----------------------------------------------
def test_wide_and_many_rings_keep_exact_zones() -> None:
    """Rings of tens of kilometres (a coarser candidate grid) and more rings than int8
    holds give the zones of the exact distances."""
    rng = np.random.default_rng(1)
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["a", "b", "c"]},
        geometry=[shapely.box(0, 0, 300, 200), shapely.box(40_000, 5_000, 40_100, 5_100),
                  shapely.box(-30_000, 60_000, -29_000, 61_000)],
        crs=3006,
    )  # fmt: skip
    x, y = rng.uniform(-90_000, 90_000, 20_000), rng.uniform(-60_000, 120_000, 20_000)
    d = shapely.distance(
        np.asarray(scenes.geometry.values)[:, None], shapely.points(x, y)[None, :]
    ).min(axis=0)
    for rings in ([200.0, 30_000.0, 50_000.0], list(np.arange(1, 131) * 300.0)):
        index = ZoneIndex(scenes, rings)
        zone = index.assign(x, y).zone
        expected = np.where(d == 0, 0, np.searchsorted(rings, d, side="left") + 1)
        assert np.array_equal(zone.astype(np.int64), expected)
        assert index.cell >= 100.0


def test_compare_fits_its_hotspot_check_in_the_bounds(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region and period too large for 100 m cells: ``hotspots`` refuses them in one line
    naming --cell, ``compare`` (which has no --cell) checks on larger cells and says so."""
    monkeypatch.setattr(config, "GRID_MAX_CELL_PERIODS", 5_000_000)
    fails(
        ("hotspots", demo, "--round", "2024", "--from", "2023-02-01", "--to", "2024-01-31"),
        2,
        "cell-periods (at most 5,000,000): choose a larger cell (--cell)",
        demo,
    )
    code, out, err = run("compare", demo, "2023", "2024", "--json")
    assert code == 0, err
    assert json.loads(out)["hotspot_check"] is not None
    assert "hot-spot check 2023-02-01 – 2024-01-31 on cells of" in err
