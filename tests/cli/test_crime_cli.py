"""The crime commands end to end: ``import incidents``, ``crime``, ``displacement``,
``nearrepeat``, run in-process on the demo workspace with incidents made in the test.

One module-scoped workspace holds every hand-made case, each in its own period:
generated incidents in 2023 (crime), displacement counts in 2020/2021, shootings for the
near-repeat bands in 2022. The oracles are independent: geopandas ``sjoin`` and shapely
distances for zone counts, the WDQ worked by hand, pair bands worked by hand.
"""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from drugscenes.demo.build import build_demo
from drugscenes.demo.incidents import generate_incidents
from drugscenes.store import open_workspace
from helpers import run

N_GEN = 4000
COLUMNS = ["ärendenummer", "tid", "typ", "östlig", "nordlig"]
MAPPING = ["--id-field", "ärendenummer", "--x-field", "östlig", "--y-field", "nordlig"]
# Rows appended after the generated ones: (id, time, type, x, y); row numbers follow.
# X and Y stand for a point inside the region.
BAD = [
    ("b1", "", "Misshandel", "X", "Y"),  # no time
    ("b2", "31/12/2023", "Misshandel", "X", "Y"),  # unparseable time
    ("b3", "2023-06-01T12:00:00Z", "Misshandel", "", ""),  # no coordinates
    ("b4", "2023-06-01T12:00:00Z", "Misshandel", "0", "0"),  # outside the region
    ("b5", "2023-06-01T12:00:00Z", "Vattenläcka", "X", "Y"),  # unmapped type
]
BAD_CODES = {
    N_GEN + 1: "time-invalid",
    N_GEN + 2: "time-invalid",
    N_GEN + 3: "coordinates-missing",
    N_GEN + 4: "outside-region",
    N_GEN + 5: "type-unmapped",
}
# Displacement case (hand-worked): counts in R, D, C before (2020) and after (2021).
RB, DB, CB, RA, DA, CA = 10, 4, 20, 2, 6, 25


def _json(*args: Any) -> tuple[int, dict[str, Any], str]:
    code, stdout, stderr = run(*args, "--json")
    return code, (json.loads(stdout) if code == 0 else {}), stderr


def _far_point(geom: shapely.Geometry, scenes: shapely.Geometry, gap: float) -> tuple[float, float]:
    """A point of ``geom`` (a municipality) farther than ``gap`` from every scene."""
    x0, y0, x1, y1 = geom.bounds
    xs, ys = np.meshgrid(np.arange(x0, x1, 250.0), np.arange(y0, y1, 250.0))
    pts = shapely.points(xs.ravel(), ys.ravel())
    ok = shapely.contains(geom, pts) & (shapely.distance(scenes, pts) > gap)
    p = pts[np.flatnonzero(ok)[0]]
    return float(round(p.x)), float(round(p.y))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace (copied by :func:`_fresh` without its incidents)."""
    return build_demo(tmp_path_factory.mktemp("demo")).workspace


def _fresh(demo: Path, folder: Path) -> Path:
    """A copy of the demo's GeoPackage alone: its rounds, no incidents (the tests bring
    their own)."""
    ws = folder / "ws.gpkg"
    shutil.copy(demo, ws)
    with open_workspace(ws) as store:
        assert store.count_incidents() == 0
    return ws


def _stored(ws: Path) -> pd.DataFrame:
    with open_workspace(ws) as store:
        return store.read_incidents()


@pytest.fixture(scope="module")
def case(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace with all hand-made cases imported through the CLI."""
    folder = tmp_path_factory.mktemp("case")
    ws = _fresh(demo, folder)
    with open_workspace(ws) as store:
        munis = store.municipalities()
        s23, s24 = store.round_scenes("2023"), store.round_scenes("2024")
    gen = generate_incidents(munis, s24, N_GEN, "2023-01-10", "2023-12-20", seed=7)
    rows = list(
        zip(
            gen["incident_id"].astype(str),
            gen["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            gen["source_type"].astype(str),
            gen["x"].map(repr),
            gen["y"].map(repr),
            strict=True,
        )
    )
    inside = {"X": rows[0][3], "Y": rows[0][4]}
    rows += [(*r[:3], inside.get(r[3], r[3]), inside.get(r[4], r[4])) for r in BAD]
    all_scenes = shapely.union_all(np.r_[s23.geometry.values, s24.geometry.values])

    # Near repeats: an isolated scene of 2024 and shootings along a line through it.
    g24 = np.asarray(s24.geometry.values)
    others = [shapely.distance(g, np.delete(g24, k)).min() for k, g in enumerate(g24)]
    k_nr = int(np.argmax(np.asarray(others) > 1000))
    assert others[k_nr] > 1000
    rep = g24[k_nr].representative_point()
    ax, ay = float(round(rep.x)), float(round(rep.y))
    assert shapely.intersects_xy(g24[k_nr], ax, ay)
    nr_xy = {"A": (ax, ay), "B": (ax + 50, ay), "C": (ax + 150, ay), "E": (ax - 300, ay)}
    nr_day = {"A": 0, "B": 3, "C": 20, "E": 7}
    far = _far_point(munis.geometry.iloc[0], all_scenes, 2000)
    t0 = pd.Timestamp("2022-05-01T12:00:00Z")
    for key, (x, y) in nr_xy.items():
        t = (t0 + pd.Timedelta(days=nr_day[key])).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append((f"nr-{key}", t, "Skottlossning", repr(x), repr(y)))
    rows.append(("nr-D", "2022-08-01T12:00:00Z", "Skottlossning", repr(far[0]), repr(far[1])))
    # The last day of a period is included, in Swedish local time (UTC+1 in winter).
    rows.append(("g1", "2023-12-31T23:30:00+01:00", "Misshandel", repr(ax), repr(ay)))
    rows.append(("g2", "2024-01-01T00:00:00+01:00", "Misshandel", repr(ax), repr(ay)))

    # Displacement: a 2023 scene that is gone in 2024 (no 2024 scene touches it).
    gone = s23[~s23["scene_id"].isin(s24["scene_id"]) & ~s23.intersects(s24.union_all())]
    s_d = gone.iloc[0]
    g_d = s_d.geometry
    ring = shapely.buffer(g_d, 100.0, quad_segs=16).exterior
    d_pt = shapely.get_point(ring, 0)
    assert 99.0 < shapely.distance(g_d, d_pt) <= 100.5
    assert shapely.distance(shapely.union_all(np.r_[s23.geometry.values, g24]), d_pt) > 50
    r_pt = g_d.representative_point()
    muni = munis.geometry[munis.intersects(r_pt)].iloc[0]
    c_xy = _far_point(muni, all_scenes, 500)
    spots = {"R": (r_pt.x, r_pt.y), "D": (d_pt.x, d_pt.y), "C": c_xy}
    for year, counts in ((2020, {"R": RB, "D": DB, "C": CB}), (2021, {"R": RA, "D": DA, "C": CA})):
        for area, n in counts.items():
            for i in range(n):
                t = f"{year}-04-{i + 1:02d}T12:00:00Z"
                x, y = spots[area]
                rows.append((f"wdq-{year}-{area}-{i}", t, "Misshandel", repr(x), repr(y)))

    path = folder / "incidents.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    problems = folder / "problems.csv"
    code, result, stderr = _json(
        "import", "incidents", ws, path, "--crs", "3006", *MAPPING, "--problems", problems
    )
    assert code == 0, stderr
    return {
        "ws": ws,
        "csv": path,
        "n_rows": len(rows),
        "import": result,
        "import_stderr": stderr,
        "problems": problems,
        "generated": gen,
        "scenes24": s24,
        "nr_scene": s24["scene_id"].iloc[k_nr],
        "nr_xy": nr_xy,
        "wdq_scene": s_d["scene_id"],
    }


# -- import ---------------------------------------------------------------------------------
def test_import_counts_every_rejected_row_with_its_reason(case: dict[str, Any]) -> None:
    r = case["import"]
    assert r["n_read"] == case["n_rows"]
    assert r["n_rejected"] == len(BAD)
    assert r["n_accepted"] == case["n_rows"] - len(BAD) == r["stored_after"]
    assert r["rejected_by_reason"] == {"time-invalid": 2, "coordinates-missing": 1,
                                       "outside-region": 1, "type-unmapped": 1}  # fmt: skip
    assert (r["n_new"], r["n_replaced"], r["stored_before"]) == (r["n_accepted"], 0, 0)
    exp = case["generated"]["category"].astype(str).value_counts()
    assert r["accepted_by_category"]["drug offence"] == exp["drug offence"]
    # every rejected row is in the problems CSV with its row number and reason
    with case["problems"].open(encoding="utf-8-sig") as fh:
        got = {int(p["row"]): p["code"] for p in csv.DictReader(fh) if p["severity"] == "warning"}
    assert got == BAD_CODES
    assert "Vattenläcka" in case["import_stderr"]  # listed on stderr too


def test_reimport_is_idempotent(case: dict[str, Any]) -> None:
    before = len(_stored(case["ws"]))
    code, stdout, _ = run("import", "incidents", case["ws"], case["csv"], "--crs", "3006", *MAPPING)
    assert code == 0
    assert len(_stored(case["ws"])) == before == case["import"]["n_accepted"]
    assert f"0 new, {before:,} replaced by id" in stdout
    assert "Rejected rows by reason" in stdout and "unmapped type" in stdout


def test_import_with_no_accepted_row_exits_1_and_stores_nothing(demo: Path, tmp_path: Path) -> None:
    ws = _fresh(demo, tmp_path)
    path = tmp_path / "bad.csv"
    path.write_text("id,time,type,x,y\n1,,Rån,650000,6580000\n2,2023-01-01,Rån,0,0\n")
    problems = tmp_path / "p.csv"
    code, stdout, stderr = run(
        "import", "incidents", ws, path, "--crs", "3006", "--problems", problems
    )
    assert code == 1 and stdout == ""
    assert "no row of bad.csv was accepted" in stderr and "outside the region" in stderr
    assert len(_stored(ws)) == 0
    assert problems.read_text(encoding="utf-8-sig").count("warning") == 2
    broken = tmp_path / "events.json"
    broken.write_text("[{", encoding="utf-8")
    code, _, stderr = run("import", "incidents", ws, broken)
    assert code == 1 and "not valid JSON" in stderr


def test_import_crash_mid_write_keeps_the_previous_dataset(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _fresh(demo, tmp_path)
    with open_workspace(ws) as store:
        x, y = store.round_scenes("2024").geometry.iloc[0].representative_point().coords[0]
    first = tmp_path / "a.csv"
    first.write_text(f"id,time,type,x,y\n1,2023-01-05T10:00Z,Rån,{x},{y}\n")
    assert run("import", "incidents", ws, first, "--crs", "3006")[0] == 0
    second = tmp_path / "b.csv"
    second.write_text(
        f"id,time,type,x,y\n2,2022-01-05T10:00Z,Rån,{x},{y}\n3,2024-01-05T10:00Z,Rån,{x},{y}\n"
    )
    import drugscenes.store.incidents_parquet as parquet

    real = parquet._write_year
    calls: list[Path] = []

    def crash_on_second_year(table: Any, path: Path) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(table, path)

    monkeypatch.setattr(parquet, "_write_year", crash_on_second_year)
    with pytest.raises(OSError, match="disk full"):
        run("import", "incidents", ws, second, "--crs", "3006")
    assert _stored(ws)["incident_id"].tolist() == ["1"]


@pytest.mark.needs_shared
def test_import_real_police_api_json(
    shared_data: Path, county_3006: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    ws = tmp_path / "county.gpkg"
    code, _, stderr = run("init", ws, "-m", shared_data / "stockholm_municipalities_3006.geojson")
    assert code == 0, stderr
    src = shared_data / "polisen_events_api_stockholm.json"
    events = json.loads(src.read_text(encoding="utf-8"))
    text = resources.files("drugscenes.data").joinpath("categories.toml").read_text("utf-8")
    excluded = {t.casefold() for t in tomllib.loads(text)["exclude"]}
    is_county = [e["location"]["name"].endswith(" län") for e in events]
    is_notice = [e["type"].casefold() in excluded for e in events]
    county, notice = sum(is_county), sum(is_notice)
    either = sum(a or b for a, b in zip(is_county, is_notice, strict=True))  # a row, two reasons
    code, r, stderr = _json("import", "incidents", ws, src)
    assert code == 0, stderr
    assert r["format"] == "police-json" and r["n_read"] == len(events) == 2000
    assert r["rejected_by_reason"]["location-county-level"] == county
    assert r["rejected_by_reason"]["type-excluded"] == notice
    assert r["n_accepted"] == len(events) - either == r["stored_after"]
    assert any("place-level" in n for n in r["notes"])
    code, again, _ = _json("import", "incidents", ws, src)
    assert code == 0 and again["stored_after"] == r["stored_after"] and again["n_new"] == 0
    # crime on place-level events runs, but says that distances mean nothing for them
    c = county_3006.set_index("code").geometry["0180"].representative_point()
    scenes = tmp_path / "scenes.csv"
    wkt = shapely.box(c.x, c.y, c.x + 100, c.y + 100).wkt
    scenes.write_text(f"scene_id;name;municipality_code;wkt\nA1;Torget;0180;{wkt}\n")
    assert run("import", "scenes", ws, scenes, "--round", "2025", "--crs", "3006")[0] == 0
    code, crime, stderr = _json(
        "crime", ws, "--round", "2025", "--from", "2025-09-01", "--to", "2026-01-31"
    )
    assert code == 0 and "place-level" in stderr
    assert any("place-level" in n for n in crime["notes"])
    assert sum(z["total"] for z in crime["zones"]) == r["n_accepted"]


# -- crime ----------------------------------------------------------------------------------
def _crime(case: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any], str]:
    return _json(
        "crime", case["ws"], "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31",
        *extra,
    )  # fmt: skip


def test_crime_json_against_sjoin(case: dict[str, Any]) -> None:
    code, r, stderr = _crime(case, "--rings", "100,200")
    assert code == 0, stderr
    assert "place-level" not in stderr  # point data: no warning
    assert {"round", "period", "zones", "rate_ratios", "scenes",
            "share_of_scenes_with_shooting"} <= set(r)  # fmt: skip
    assert r["round"] == "2024"
    assert r["period_days"] == {"from": "2023-01-01", "to": "2023-12-31", "to_included": True,
                                "timezone": "Europe/Stockholm"}  # fmt: skip
    assert [z["zone"] for z in r["zones"]] == ["scene", "near_100", "near_200", "rest"]
    for z in r["zones"]:
        assert {"zone", "area_m2", "counts", "shares"} <= set(z)
    for row in r["rate_ratios"]:
        assert {"category", "zone", "ratio", "ci_low", "ci_high", "p_value"} <= set(row)
    assert {"scene_id", "counts"} <= set(r["scenes"][0])

    # oracle: the incidents of the period (generated ones and g1, not g2) joined to the scenes
    gen = case["generated"]
    x0, y0 = case["nr_xy"]["A"]
    pts = pd.concat(
        [
            gen[["incident_id", "category", "x", "y"]].astype({"category": str}),
            pd.DataFrame({"incident_id": ["g1"], "category": ["violence"], "x": [x0], "y": [y0]}),
        ],
        ignore_index=True,
    )
    pts = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["x"], pts["y"]), crs=3006)
    scenes = case["scenes24"]
    joined = gpd.sjoin(pts, scenes[["scene_id", "geometry"]], predicate="intersects")
    inside = joined.drop_duplicates("incident_id")["category"].value_counts()
    scene_zone = r["zones"][0]
    for cat, n in scene_zone["counts"].items():
        assert n == inside.get(cat, 0), cat
    assert scene_zone["counts"]["violence"] > 0
    assert sum(z["total"] for z in r["zones"]) == len(pts)  # g2 (2024 local) is not counted
    assert scene_zone["shares"]["violence"] == pytest.approx(
        inside["violence"] / inside.sum(), rel=1e-12
    )
    # share of scenes with a shooting inside or within the first ring (100 m), nearest scene
    shots = pts[pts["category"] == "shooting"]
    d = shapely.distance(
        np.asarray(scenes.geometry.values)[:, None], np.asarray(shots.geometry.values)[None, :]
    )
    hit = np.unique(d.argmin(axis=0)[d.min(axis=0) <= 100.0])
    assert r["share_of_scenes_with_shooting"] == pytest.approx(hit.size / len(scenes))


def test_crime_terminal_tables_and_caveat(case: dict[str, Any]) -> None:
    code, stdout, _ = run(
        "crime", case["ws"], "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31",
        "--top", "3",
    )  # fmt: skip
    assert code == 0
    for title in ("Incidents by zone", "Density", "Rate ratio", "Scenes by incidents", "Shootings"):
        assert title in stdout
    # the drug-offence caveat comes apart, after the tables
    assert stdout.rindex("† drug offence:") > stdout.index("Shootings")
    assert "measure police activity" in stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--round", "2024", "--from", "2019-01-01", "--to", "2019-12-31"], 1, "no incidents"),
        (["--round", "2024", "--from", "2023-13-01", "--to", "2023-12-31"], 2, "--from"),
        (["--round", "2024", "--from", "2023-01-01", "--to", "31/12/2023"], 2, "YYYY-MM-DD"),
        (["--round", "2024", "--from", "2023-06-01", "--to", "2023-01-01"], 2, "before"),
        (["--round", "1999", "--from", "2023-01-01", "--to", "2023-12-31"], 1, "no round '1999'"),
        (["--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31", "--rings", "200,100"],
         2, "increase"),
    ],
)  # fmt: skip
def test_crime_exit_codes(case: dict[str, Any], args: list[str], status: int, message: str) -> None:
    code, stdout, stderr = run("crime", case["ws"], *args)
    assert code == status and stdout == ""
    assert message in stderr


# -- displacement ---------------------------------------------------------------------------
def test_displacement_wdq_by_hand(case: dict[str, Any]) -> None:
    code, r, stderr = _json(
        "displacement", case["ws"], "--from-round", "2023", "--to-round", "2024",
        "--before", "2020-01-01:2020-12-31", "--after", "2021-01-01:2021-12-31",
    )  # fmt: skip
    assert code == 0, stderr
    assert case["wdq_scene"] in r["ceased_scene_ids"]
    assert [s["scene_id"] for s in r["scenes"]] == sorted(r["ceased_scene_ids"])
    # by hand: SM = 2/25 - 10/20 = -0.42, BDM = 6/25 - 4/20 = 0.04,
    # WDQ = 0.04 / -0.42, TNE = (10*25/20 - 2) + (4*25/20 - 6) = 10.5 - 1 = 9.5
    row = next(s for s in r["scenes"] if s["scene_id"] == case["wdq_scene"])
    for w in (row, r["all_ceased"]):
        assert (w["Rb"], w["Db"], w["Cb"], w["Ra"], w["Da"], w["Ca"]) == (RB, DB, CB, RA, DA, CA)
        assert w["success_measure"] == pytest.approx(-0.42)
        assert w["buffer_displacement_measure"] == pytest.approx(0.04)
        assert w["wdq"] == pytest.approx(-0.04 / 0.42)
        assert w["total_net_effect"] == pytest.approx(9.5)
        assert w["interpretation"].startswith("displacement to the buffer, smaller")
    # scenes where the WDQ is undefined say why
    undefined = [s for s in r["scenes"] if s["wdq"] is None]
    assert undefined and all(s["reason"] and s["interpretation"] == s["reason"] for s in undefined)


def test_displacement_usage_errors(case: dict[str, Any]) -> None:
    base = ["displacement", case["ws"], "--from-round", "2023", "--to-round", "2024"]
    code, _, stderr = run(
        *base, "--before", "2020-01-01:2021-06-30", "--after", "2021-01-01:2021-12-31"
    )
    assert code == 2 and "must end before" in stderr
    code, _, stderr = run(*base, "--before", "2020-01-01", "--after", "2021-01-01:2021-12-31")
    assert code == 2 and "FIRST:LAST" in stderr


# -- near repeat ----------------------------------------------------------------------------
def test_nearrepeat_bands_by_hand(case: dict[str, Any]) -> None:
    args = [
        "nearrepeat", case["ws"], "--from", "2022-01-01", "--to", "2022-12-31",
        "--space-bands", "0,100,200,400", "--time-bands", "0,7,14,30",
        "--simulations", "99", "--seed", "5",
    ]  # fmt: skip
    code, r, stderr = _json(*args)
    assert code == 0, stderr
    assert r["round"] == "2024" and "latest" in stderr
    assert {"knox", "space_bands", "time_bands", "followup", "scenes"} <= set(r)
    assert [b["label"] for b in r["space_bands"]] == ["[0, 100] m", "(100, 200] m", "(200, 400] m"]
    assert [b["label"] for b in r["time_bands"]] == [
        "[0, 7] days", "(7, 14] days", "(14, 30] days", "(30, ∞) days",
    ]  # fmt: skip
    k = r["knox"]
    assert k["bands_rule"].startswith("each band includes its upper edge")
    assert (k["n_events"], k["n_pairs"], k["seed"], k["permutations"]) == (5, 5, 5, 99)
    # Pairs by hand (x offsets A 0, B +50, C +150, E -300; days A 0, B 3, C 20, E 7):
    # A-B 50 m 3 d; A-C 150 m 20 d; A-E 300 m 7 d; B-C 100 m 17 d; B-E 350 m 4 d;
    # C-E 450 m is beyond the last band. 100 m and 7 d fall in the bands they close.
    observed = {(c["space_to_m"], c["time_to_days"]): c["observed"] for c in k["cells"]}
    assert {key: n for key, n in observed.items() if n} == {
        (100.0, 7.0): 1, (100.0, 30.0): 1, (200.0, 30.0): 1, (400.0, 7.0): 2,
    }  # fmt: skip
    # followed within the first bands (100 m, 7 days): only A (by B)
    f = r["followup"]
    assert (f["distance_m"], f["days"], f["n_events"], f["n_followed"]) == (100.0, 7.0, 5, 1)
    scenes = case["scenes24"].set_index("scene_id")
    g = scenes.geometry[case["nr_scene"]]
    at_scene = sum(shapely.distance(g, shapely.Point(p)) <= 200 for p in case["nr_xy"].values())
    row = next(s for s in r["scenes"] if s["scene_id"] == case["nr_scene"])
    assert (row["shootings"], row["followed"]) == (at_scene, 1)
    # the same seed gives the same Monte Carlo
    _, again, _ = _json(*args)
    assert again["knox"] == k


def test_nearrepeat_terminal_states_band_edges(case: dict[str, Any]) -> None:
    code, stdout, _ = run(
        "nearrepeat", case["ws"], "--from", "2022-01-01", "--to", "2022-12-31",
        "--simulations", "19", "--round", "2024",
    )  # fmt: skip
    assert code == 0
    assert "[0, 100] m" in stdout and "(28, ∞) days" in stdout  # documented defaults
    assert "include their upper edge" in stdout


def test_nearrepeat_too_few_events_and_bad_bands(case: dict[str, Any]) -> None:
    base = ["nearrepeat", case["ws"], "--from", "2022-01-01", "--to", "2022-12-31"]
    code, _, stderr = run(*base, "--category", "explosion")
    assert code == 1 and "at least two" in stderr
    code, _, stderr = run(*base, "--space-bands", "0,200,100")
    assert code == 2 and "--space-bands" in stderr
