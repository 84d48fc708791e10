"""Tests of drugscenes.analysis.change: matching, fates, displacement, totals.

Oracles: hand-worked geometry (squares and disks whose areas and distances are known), the
construction of the Stockholm rounds (every scene's fate is decided when it is built, and the
displacement distances are bounded by construction from the station coordinates), and
geopandas/pandas for areas and per-municipality counts.
"""

from __future__ import annotations

import doctest
import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import drugscenes.analysis.change as change_module
from drugscenes.analysis.change import (
    MatchParameters,
    compare_rounds,
    match_rounds,
    percent_change,
)
from drugscenes.errors import DataError, UsageError

# -- helpers -------------------------------------------------------------------------------


def frame(geoms: list, ids: list[str] | None = None, *, given: bool = True, code: str = "0180"):
    """A round of scenes in EPSG:3006."""
    ids = ids if ids is not None else [f"s{k}" for k in range(len(geoms))]
    return gpd.GeoDataFrame(
        {"scene_id": ids, "id_given": given, "municipality_code": code},
        geometry=geoms,
        crs=3006,
    )


def disk(x: float, y: float, r: float) -> shapely.Geometry:
    return Point(x, y).buffer(r, quad_segs=16)


def reconciles(c) -> bool:
    return c.n_to == c.n_from - c.ceased + c.new - c.lost_by_merging + c.gained_by_splitting


def test_docstring_examples_run() -> None:
    result = doctest.testmod(change_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3
    assert result.failed == 0


# -- hand-worked fates ---------------------------------------------------------------------


def test_ceased_and_new() -> None:
    # Two squares 10 km apart: nothing links them.
    c = compare_rounds(
        frame([box(0, 0, 100, 100)], ["a"]), frame([box(10_000, 0, 10_100, 100)], ["b"])
    )
    assert (c.ceased, c.new, c.persisting) == (1, 1, 0)
    assert c.scenes["status"].tolist() == ["ceased", "new"]
    assert c.scenes["from_ids"].tolist() == [["a"], []]
    assert c.scenes["to_ids"].tolist() == [[], ["b"]]
    assert reconciles(c)


@pytest.mark.parametrize(
    ("height_after", "expected"),
    [
        (100.0, "unchanged"),
        (110.0, "unchanged"),  # +10 % exactly: within the default tolerance (≤)
        (111.0, "grown"),  # +11 %
        (89.0, "shrunk"),  # −11 %
        (50.0, "shrunk"),
    ],
)
def test_persisting_size_change(height_after: float, expected: str) -> None:
    before = frame([box(0, 0, 100, 100)], ["a"])
    after = frame([box(0, 0, 100, height_after)], ["a"])
    c = compare_rounds(before, after)
    assert c.persisting == 1
    row = c.scenes.iloc[0]
    assert row["size_change"] == expected
    assert row["area_from_m2"] == pytest.approx(10_000.0)
    assert row["area_to_m2"] == pytest.approx(100.0 * height_after)
    assert row["area_pct_change"] == pytest.approx(height_after - 100.0)
    assert (c.grown, c.shrunk, c.unchanged) == (
        int(expected == "grown"),
        int(expected == "shrunk"),
        int(expected == "unchanged"),
    )


def test_size_tolerance_parameter() -> None:
    before = frame([box(0, 0, 100, 100)], ["a"])
    after = frame([box(0, 0, 100, 104)], ["a"])
    assert compare_rounds(before, after).scenes["size_change"].iloc[0] == "unchanged"
    strict = MatchParameters(size_tolerance=0.02)
    assert compare_rounds(before, after, params=strict).scenes["size_change"].iloc[0] == "grown"


def test_merged_two_into_one_without_ids() -> None:
    before = frame([box(0, 0, 100, 100), box(100, 0, 200, 100)], ["a", "b"], given=False)
    after = frame([box(0, 0, 200, 100)], ["c"], given=False)
    c = compare_rounds(before, after)
    assert (c.merged, c.split, c.ceased, c.new, c.persisting) == (1, 0, 0, 0, 0)
    assert (c.lost_by_merging, c.gained_by_splitting) == (1, 0)
    row = c.scenes.iloc[0]
    assert (row["from_ids"], row["to_ids"], row["status"]) == (["a", "b"], ["c"], "merged")
    assert row["area_from_m2"] == pytest.approx(20_000.0)
    assert row["size_change"] is None  # grown/shrunk are for persisting scenes only
    assert c.to_scenes["linked_ids"].tolist() == ["a;b"]
    assert reconciles(c)


def test_split_one_into_three_keeps_id_on_one_part() -> None:
    before = frame([box(0, 0, 300, 100)], ["a"])
    after = frame(
        [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)], ["a", "x", "y"]
    )
    c = compare_rounds(before, after)
    assert (c.split, c.merged, c.new, c.ceased) == (1, 0, 0, 0)
    assert (c.lost_by_merging, c.gained_by_splitting) == (0, 2)
    assert c.scenes["to_ids"].iloc[0] == ["a", "x", "y"]
    # x and y carry other ids than "a" but the component has an id link: a split, not a rename
    assert c.inconsistencies == ()
    assert reconciles(c)


def test_restructured_two_into_two_counts_neither_merge_nor_split() -> None:
    # Two horizontal strips redrawn as two vertical strips: each old strip overlaps both
    # new ones by half of its area.
    before = frame([box(0, 0, 200, 100), box(0, 100, 200, 200)], ["a", "b"], given=False)
    after = frame([box(0, 0, 100, 200), box(100, 0, 200, 200)], ["c", "d"], given=False)
    c = compare_rounds(before, after)
    assert c.restructured == 1
    assert (c.merged, c.split, c.persisting, c.ceased, c.new) == (0, 0, 0, 0, 0)
    assert (c.lost_by_merging, c.gained_by_splitting) == (0, 0)
    # Three strips redrawn as two: one scene lost by merging.
    before3 = frame([box(0, y, 300, y + 100) for y in (0, 100, 200)], given=False)
    after2 = frame([box(0, 0, 150, 300), box(150, 0, 300, 300)], given=False)
    c3 = compare_rounds(before3, after2)
    assert (c3.restructured, c3.lost_by_merging, c3.gained_by_splitting) == (1, 1, 0)
    assert reconciles(c3)


def test_small_overlap_does_not_link_when_both_have_other_links() -> None:
    # a → a' (same square); b' is new and overlaps a by 5 % of a's area.
    a = box(0, 0, 100, 100)
    b_new = box(95, 0, 195, 100)
    c = compare_rounds(frame([a], ["a"], given=False), frame([a, b_new], ["a2", "b"], given=False))
    assert (c.persisting, c.new, c.split) == (1, 1, 0)
    # With a 1 % threshold the 5 % overlap is a link, and a splits into two.
    low = MatchParameters(min_overlap=0.01)
    c_low = compare_rounds(
        frame([a], ["a"], given=False), frame([a, b_new], given=False), params=low
    )
    assert (c_low.split, c_low.persisting, c_low.new) == (1, 0, 0)


def test_proximity_link_for_a_redrawn_outline_beside_the_old_one() -> None:
    # 10 m squares, redrawn 15 m further east: 5 m apart, no overlap.
    before = frame([box(0, 0, 10, 10)], ["a"], given=False)
    after = frame([box(15, 0, 25, 10)], ["b"], given=False)
    c = compare_rounds(before, after)
    assert c.persisting == 1
    m = match_rounds(before, after)
    assert m.kind.tolist() == ["proximity"]
    assert m.distance_m.tolist() == pytest.approx([5.0])
    c_tight = compare_rounds(before, after, params=MatchParameters(tolerance_m=4.0))
    assert (c_tight.ceased, c_tight.new, c_tight.persisting) == (1, 1, 0)


def test_proximity_link_pairs_only_mutual_nearest() -> None:
    # One old outline, two new ones 5 m and 8 m away: only the nearer is linked.
    before = frame([box(0, 0, 10, 10)], ["a"], given=False)
    after = frame([box(15, 0, 25, 10), box(-18, 0, -8, 10)], ["near", "far"], given=False)
    c = compare_rounds(before, after)
    assert (c.persisting, c.new, c.split) == (1, 1, 0)
    persisting = c.scenes[c.scenes["status"] == "persisting"].iloc[0]
    assert persisting["to_ids"] == ["near"]


# -- ids and inconsistencies ---------------------------------------------------------------


def test_same_id_far_apart_is_linked_and_reported() -> None:
    before = frame([disk(0, 0, 50)], ["a"])
    after = frame([disk(5_000, 0, 50)], ["a"])
    c = compare_rounds(before, after)
    assert c.persisting == 1
    [issue] = c.inconsistencies
    assert issue.kind == "same-id-apart"
    assert (issue.from_id, issue.to_id, issue.linked) == ("a", "a", True)
    assert issue.distance_m == pytest.approx(4_900.0, abs=0.5)
    unlinked = compare_rounds(before, after, params=MatchParameters(link_distant_ids=False))
    assert (unlinked.ceased, unlinked.new, unlinked.persisting) == (1, 1, 0)
    assert unlinked.inconsistencies[0].linked is False


def test_different_ids_on_the_same_place_are_reported_and_linked() -> None:
    c = compare_rounds(frame([disk(0, 0, 50)], ["a"]), frame([disk(3, 0, 50)], ["b"]))
    assert c.persisting == 1
    [issue] = c.inconsistencies
    assert (issue.kind, issue.from_id, issue.to_id) == ("different-id-same-place", "a", "b")


def test_generated_ids_never_link() -> None:
    # Same id string on different places, but generated on import (id_given False).
    before = frame([disk(0, 0, 50)], ["gen-1"], given=False)
    after = frame([disk(5_000, 0, 50)], ["gen-1"], given=False)
    c = compare_rounds(before, after)
    assert (c.ceased, c.new, c.persisting) == (1, 1, 0)
    assert c.inconsistencies == ()
    # Given on one side only: still not an id link.
    after_given = frame([disk(5_000, 0, 50)], ["gen-1"], given=True)
    assert compare_rounds(before, after_given).persisting == 0


def test_missing_id_given_column_means_ids_were_given() -> None:
    before = frame([disk(0, 0, 50)], ["a"]).drop(columns="id_given")
    after = frame([disk(5_000, 0, 50)], ["a"]).drop(columns="id_given")
    assert compare_rounds(before, after).persisting == 1


# -- displacement ----------------------------------------------------------------------------


def test_displacement_near_ceased_and_elsewhere() -> None:
    # Ceased disk r=50 at x=0; new disks r=50 at x=900 (800 m away) and x=3000 (2900 m).
    before = frame([disk(0, 0, 50)], ["old"])
    after = frame([disk(900, 0, 50), disk(3_000, 0, 50)], ["near", "far"])
    c = compare_rounds(before, after)
    assert (c.ceased, c.new, c.new_near_previous, c.new_elsewhere) == (1, 2, 1, 1)
    assert not c.no_new_elsewhere
    new = c.scenes[c.scenes["status"] == "new"]
    new = new.set_index(new["to_ids"].str[0])
    assert new.loc["near", "displacement"] == "near_previous"
    assert new.loc["far", "displacement"] == "elsewhere"
    assert new.loc["near", "nearest_previous_m"] == pytest.approx(800.0, abs=0.5)
    assert new.loc["far", "nearest_previous_m"] == pytest.approx(2_900.0, abs=0.5)
    assert new.loc["near", "nearest_previous_id"] == "old"
    narrow = compare_rounds(before, after, params=MatchParameters(displacement_m=500.0))
    assert (narrow.new_near_previous, narrow.new_elsewhere) == (0, 2)


def test_displacement_counts_shrunk_scenes_as_sources() -> None:
    # "a" persists but shrinks from r=100 to r=50; a new scene 500 m from a's old outline.
    before = frame([disk(0, 0, 100)], ["a"])
    after = frame([disk(0, 0, 50), disk(600, 0, 20)], ["a", "n"])
    c = compare_rounds(before, after)
    assert (c.shrunk, c.new, c.new_near_previous) == (1, 1, 1)
    new = c.scenes[c.scenes["status"] == "new"].iloc[0]
    assert new["nearest_previous_m"] == pytest.approx(480.0, abs=0.5)  # 600 − 100 − 20
    # If "a" keeps its size, there is nothing the new scene could have moved from.
    c2 = compare_rounds(before, frame([disk(0, 0, 100), disk(600, 0, 20)], ["a", "n"]))
    assert (c2.new_near_previous, c2.new_elsewhere) == (0, 1)
    assert np.isnan(c2.scenes.loc[c2.scenes["status"] == "new", "nearest_previous_m"].iloc[0])
    assert c2.to_dict()["scenes"][1]["nearest_previous_m"] is None


def test_no_new_scenes_means_no_new_elsewhere() -> None:
    c = compare_rounds(frame([disk(0, 0, 50), disk(900, 0, 50)]), frame([disk(0, 0, 50)]))
    assert (c.new, c.new_elsewhere, c.no_new_elsewhere) == (0, 0, True)


# -- totals --------------------------------------------------------------------------------


def test_percent_change_is_none_from_zero() -> None:
    assert percent_change(64, 63) == pytest.approx(-1.5625)
    assert percent_change(0, 5) is None
    assert percent_change(0.0, 0.0) is None


def test_totals_and_per_municipality_with_names_and_zero_rows() -> None:
    munis = gpd.GeoDataFrame(
        {"code": ["0180", "0182", "0184"], "name": ["Stockholm", "Nacka", "Solna"]},
        geometry=[
            box(0, 0, 10_000, 10_000),
            box(10_000, 0, 20_000, 10_000),
            box(0, 10_000, 10_000, 20_000),
        ],
        crs=3006,
    )
    before = gpd.GeoDataFrame(
        {"scene_id": ["a", "b", "c"], "municipality_code": ["0180", "0180", "0182"]},
        geometry=[box(0, 0, 100, 100), box(5_000, 0, 5_100, 100), box(12_000, 0, 12_100, 100)],
        crs=3006,
    )
    after = gpd.GeoDataFrame(
        {"scene_id": ["a"]},  # no municipality column: assigned from the polygons
        geometry=[box(0, 0, 100, 200)],
        crs=3006,
    )
    c = compare_rounds(before, after, munis, from_round="2023", to_round="2024")
    assert (c.n_from, c.n_to, c.municipalities_from, c.municipalities_to) == (3, 1, 2, 1)
    assert (c.area_from_m2, c.area_to_m2) == (pytest.approx(30_000.0), pytest.approx(20_000.0))
    assert c.n_pct_change == pytest.approx(-200.0 / 3.0)
    t = c.by_municipality
    assert t.index.tolist() == ["0180", "0182", "0184"]
    assert t.loc["0180", ["n_from", "n_to", "ceased", "new"]].tolist() == [2, 1, 1, 0]
    assert t.loc["0180", "area_pct_change"] == pytest.approx(0.0)
    assert t.loc["0182", ["n_from", "n_to", "ceased"]].tolist() == [1, 0, 1]
    assert t.loc["0182", "n_pct_change"] == pytest.approx(-100.0)
    assert t.loc["0184", "name"] == "Solna"
    assert np.isnan(t.loc["0184", "n_pct_change"])  # 0 → 0: no percentage
    d = c.to_dict()
    solna = next(r for r in d["by_municipality"] if r["code"] == "0184")
    assert solna["n_pct_change"] is None


def test_to_dict_has_the_documented_keys_and_is_json() -> None:
    c = compare_rounds(
        frame([disk(0, 0, 50)], ["a"]),
        frame([disk(0, 0, 50)], ["a"]),
        from_round="2023",
        to_round="2024",
    )
    d = c.to_dict()
    required = {
        "from_round",
        "to_round",
        "n_from",
        "n_to",
        "ceased",
        "new",
        "persisting",
        "merged",
        "split",
        "grown",
        "shrunk",
        "new_near_previous",
        "new_elsewhere",
        "area_from_m2",
        "area_to_m2",
        "municipalities_from",
        "municipalities_to",
        "scenes",
    }
    assert required <= set(d)
    assert d["scenes"] == [
        {
            "from_ids": ["a"],
            "to_ids": ["a"],
            "status": "persisting",
            "area_from_m2": pytest.approx(c.area_from_m2),
            "area_to_m2": pytest.approx(c.area_to_m2),
            "size_change": "unchanged",
            "displacement": None,
            "nearest_previous_m": None,
            "nearest_previous_id": None,
            "municipality_code": "0180",
        }
    ]
    assert (d["from_round"], d["to_round"], d["n_from"]) == ("2023", "2024", 1)
    json.dumps(d)  # serialisable without a custom encoder


def test_empty_rounds() -> None:
    empty = frame([], [])
    c = compare_rounds(empty, frame([disk(0, 0, 50)]))
    assert (c.n_from, c.n_to, c.new, c.new_elsewhere) == (0, 1, 1, 1)
    assert c.area_pct_change is None
    c0 = compare_rounds(empty, empty)
    assert (c0.n_from, c0.n_to, len(c0.scenes)) == (0, 0, 0)


# -- input validation ----------------------------------------------------------------------


def test_rejects_wrong_crs_and_types() -> None:
    with pytest.raises(UsageError, match="'scenes_from' should be a GeoDataFrame"):
        compare_rounds(pd.DataFrame({"scene_id": ["a"]}), frame([disk(0, 0, 5)]))
    wgs = frame([disk(18, 59, 0.001)]).set_crs(4326, allow_override=True)
    with pytest.raises(DataError, match="EPSG:3006"):
        compare_rounds(frame([disk(0, 0, 5)]), wgs)
    with pytest.raises(UsageError, match="min_overlap"):
        MatchParameters(min_overlap=0.0)


def test_rejects_bad_rows_naming_each() -> None:
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    bad = frame([disk(0, 0, 5), Point(3, 3), bowtie, disk(50, 0, 5)], ["a", "b", "c", "a"])
    with pytest.raises(DataError) as info:
        compare_rounds(bad, frame([disk(0, 0, 5)]))
    found = {(p.code, p.row) for p in info.value.problems}
    assert found == {
        ("id-duplicate", 1),
        ("id-duplicate", 4),
        ("geometry-type", 2),
        ("geometry-invalid", 3),
    }


# -- property: reconciliation over random rounds -------------------------------------------

_disks = st.lists(
    st.tuples(
        st.floats(0, 1_500, allow_nan=False),
        st.floats(0, 1_500, allow_nan=False),
        st.floats(5, 150, allow_nan=False),
        st.integers(0, 30),  # id number: shared numbers between rounds give id links
        st.booleans(),  # id given
    ),
    max_size=25,
    unique_by=lambda t: t[3],
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_disks, after=_disks, tol=st.sampled_from([0.0, 25.0, 200.0]))
def test_reconciliation_holds_for_random_rounds(before, after, tol) -> None:
    def make(items):
        return gpd.GeoDataFrame(
            {
                "scene_id": [f"id{k}" for *_, k, _g in items],
                "id_given": [g for *_, g in items],
                "municipality_code": "0180",
            },
            geometry=[disk(x, y, r) for x, y, r, _k, _g in items],
            crs=3006,
        )

    a, b = make(before), make(after)
    c = compare_rounds(a, b, params=MatchParameters(tolerance_m=tol))
    assert reconciles(c)
    assert c.ceased + c.persisting + c.merged + c.split + c.restructured + c.new == len(c.scenes)
    assert c.grown + c.shrunk + c.unchanged == c.persisting
    assert c.new_near_previous + c.new_elsewhere == c.new
    # every scene of each round is in exactly one component
    from_ids = [i for ids in c.scenes["from_ids"] for i in ids]
    to_ids = [i for ids in c.scenes["to_ids"] for i in ids]
    assert sorted(from_ids) == sorted(a["scene_id"])
    assert sorted(to_ids) == sorted(b["scene_id"])
    # the status agrees with the component's sizes
    nf, nt = c.scenes["n_from"], c.scenes["n_to"]
    expect = np.select(
        [
            (nf == 1) & (nt == 1),
            (nf > 1) & (nt == 1),
            (nf == 1) & (nt > 1),
            (nf > 1) & (nt > 1),
            nt == 0,
        ],
        ["persisting", "merged", "split", "restructured", "ceased"],
        "new",
    )
    assert c.scenes["status"].tolist() == expect.tolist()
    assert c.area_from_m2 == pytest.approx(a.area.sum())
    assert c.area_to_m2 == pytest.approx(b.area.sum())


# -- published-style figures on the real Stockholm county --------------------------------


@dataclass(frozen=True)
class StockholmRounds:
    """Hand-made rounds 2021, 2023, 2024 with each scene's fate decided at construction.

    Columns besides the scene columns: ``exp_next`` / ``exp_next_size`` (status and size
    change in the comparison with the following round) and ``exp_prev`` /
    ``exp_prev_disp`` (status and displacement flag in the comparison with the previous
    round).
    """

    r2021: gpd.GeoDataFrame
    r2023: gpd.GeoDataFrame
    r2024: gpd.GeoDataFrame


GROW, SHRINK = 1.25, 0.8  # radius factors: area ×1.5625 and ×0.64, far outside the tolerance


def _spaced_stations(county: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> pd.DataFrame:
    """Stations at least 500 m from each other (greedy in code, name order), with their code."""
    s = gpd.sjoin(stations, county[["code", "geometry"]], predicate="within")
    s = s.sort_values(["code", "name"]).reset_index(drop=True)
    xy = s[["x_3006", "y_3006"]].to_numpy()
    keep: list[int] = []
    for k in range(len(s)):
        if not keep or np.hypot(*(xy[keep] - xy[k]).T).min() >= 500.0:
            keep.append(k)
    return s.iloc[keep].reset_index(drop=True)


def build_stockholm_rounds(county: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> StockholmRounds:
    """2021: 64 scenes; 2023: 63 (12 ceased, 11 new, 1 merge, 1 split); 2024: 53 (10 ceased).

    Scenes are disks (radius 40–120 m) at stations spaced ≥ 500 m apart, so scenes at
    different stations never overlap and are ≥ 260 m apart. Displacement by construction:
    the 4 "near" new scenes are ≤ 700 m (centre to centre) from a ceased one, so ≤ 700 m
    apart; the 7 "elsewhere" ones are ≥ 1500 m from every ceased or shrunk 2021 scene's
    station, so ≥ 1500 − 2·120 = 1260 m > 1000 m apart.
    """
    pool = _spaced_stations(county, stations)
    by_code = {code: g.reset_index(drop=True) for code, g in pool.groupby("code")}
    sthlm = by_code["0180"]
    sxy = sthlm[["x_3006", "y_3006"]].to_numpy()
    used: set[int] = set()

    # 4 pairs (ceased 2021, new 2023) 500–700 m apart in Stockholm.
    near_pairs: list[tuple[int, int]] = []
    for a in range(len(sthlm)):
        if len(near_pairs) == 4:
            break
        if a in used:
            continue
        d = np.hypot(*(sxy - sxy[a]).T)
        for b in np.flatnonzero((d >= 500) & (d <= 700)):
            if b not in used and b != a:
                near_pairs.append((a, int(b)))
                used.update({a, int(b)})
                break
    assert len(near_pairs) == 4

    def rows(code: str, n: int, start: int = 0) -> pd.DataFrame:
        return by_code[code].iloc[start : start + n]

    # Outside Stockholm: persisting 2021→2023 (29 stations) and ceased 2021 (8 stations).
    persist_out = {
        "0123": 2,
        "0183": 2,
        "0184": 5,
        "0182": 5,
        "0126": 4,
        "0127": 4,
        "0181": 4,
        "0136": 3,
    }
    ceased_out = {"0160": 2, "0162": 2, "0186": 2, "0115": 2}
    shrink21 = {("0182", 0), ("0182", 1), ("0184", 0), ("0184", 1), ("0126", 0), ("0126", 1)}
    grow21 = {("0127", 0), ("0127", 1), ("0181", 0), ("0181", 1), ("0136", 0)}
    # 2023→2024: ceased outside Stockholm: all of Järfälla, the last of 0127, 0181, 0136.
    ceased24_out = {("0123", 0), ("0123", 1), ("0127", 3), ("0181", 3), ("0136", 2)}
    grow24_out = {("0184", 3), ("0184", 4)}

    # Sources of possible displacement: ceased and shrunk 2021 scenes' stations.
    src = [sxy[a] for a, _ in near_pairs]
    src += [
        by_code[c].iloc[k][["x_3006", "y_3006"]].to_numpy(dtype=float)
        for c, n in ceased_out.items()
        for k in range(n)
    ]
    src += [by_code[c].iloc[k][["x_3006", "y_3006"]].to_numpy(dtype=float) for c, k in shrink21]
    src_xy = np.array(src, dtype=float)
    far = np.array([np.hypot(*(src_xy - p).T).min() >= 1500 for p in sxy])
    elsewhere = [k for k in np.flatnonzero(far) if k not in used][:7]
    assert len(elsewhere) == 7
    used.update(elsewhere)
    rest = [k for k in range(len(sthlm)) if k not in used]
    merge_st, split_st, persist_sthlm = rest[0], rest[1], rest[2:22]
    assert len(persist_sthlm) == 20

    recs21: list[dict] = []
    recs23: list[dict] = []
    recs24: list[dict] = []
    counter = iter(range(10_000))

    def radius() -> float:
        return 40.0 + (next(counter) * 37) % 81  # 40–120 m, deterministic spread

    def rec(st_row: pd.Series, sid: str, geom, **exp) -> dict:
        return {
            "scene_id": sid,
            "id_given": True,
            "name": st_row["name"],
            "municipality_code": st_row["code"],
            "geometry": geom,
            **exp,
        }

    def at(st_row: pd.Series, r: float, dx: float = 0.0):
        # 16 vertices: ≥ 12 m apart, so ±3 m of jitter cannot make a ring cross itself.
        return Point(st_row["x_3006"] + dx, st_row["y_3006"]).buffer(r, quad_segs=4)

    def persist_chain(st_row, key, *, s21: str | None, s24: str | None, ceased24: bool) -> None:
        sid = f"{st_row['code']}-{st_row['gtfs_stop_id']}"
        r = radius()
        r23 = r * (GROW if s21 == "grown" else SHRINK if s21 == "shrunk" else 1.0)
        recs21.append(
            rec(st_row, sid, at(st_row, r), exp_next="persisting", exp_next_size=s21 or "unchanged")
        )
        recs23.append(
            rec(
                st_row,
                sid,
                at(st_row, r23),
                exp_prev="persisting",
                exp_prev_disp=None,
                exp_next="ceased" if ceased24 else "persisting",
                exp_next_size=None if ceased24 else (s24 or "unchanged"),
            )
        )
        if not ceased24:
            r24 = r23 * (GROW if s24 == "grown" else SHRINK if s24 == "shrunk" else 1.0)
            recs24.append(
                rec(st_row, sid, at(st_row, r24), exp_prev="persisting", exp_prev_disp=None)
            )

    for code, n in persist_out.items():
        for k, (_, st_row) in enumerate(rows(code, n).iterrows()):
            persist_chain(
                st_row,
                (code, k),
                s21="shrunk" if (code, k) in shrink21 else "grown" if (code, k) in grow21 else None,
                s24="grown" if (code, k) in grow24_out else None,
                ceased24=(code, k) in ceased24_out,
            )
    # Stockholm persisting: #0–1 cease in 2024, #2–5 shrink in 2024.
    for k, idx in enumerate(persist_sthlm):
        persist_chain(
            sthlm.iloc[idx],
            ("0180", k),
            s21=None,
            s24="shrunk" if 2 <= k <= 5 else None,
            ceased24=k < 2,
        )
    for code, n in ceased_out.items():
        for _, st_row in rows(code, n).iterrows():
            recs21.append(
                rec(
                    st_row,
                    f"{code}-{st_row['gtfs_stop_id']}",
                    at(st_row, radius()),
                    exp_next="ceased",
                    exp_next_size=None,
                )
            )
    # Near pairs: the ceased 2021 scene and the new 2023 scene; the first 3 new ones cease in
    # 2024 (with 2 persisting Stockholm scenes: 5 worked away in Stockholm during 2023).
    for k, (a, b) in enumerate(near_pairs):
        sa, sb = sthlm.iloc[a], sthlm.iloc[b]
        recs21.append(
            rec(
                sa,
                f"0180-{sa['gtfs_stop_id']}",
                at(sa, radius()),
                exp_next="ceased",
                exp_next_size=None,
            )
        )
        geom = at(sb, radius())
        recs23.append(
            rec(
                sb,
                f"0180-{sb['gtfs_stop_id']}",
                geom,
                exp_prev="new",
                exp_prev_disp="near_previous",
                exp_next="ceased" if k < 3 else "persisting",
                exp_next_size=None if k < 3 else "unchanged",
            )
        )
        if k >= 3:
            recs24.append(
                rec(
                    sb,
                    f"0180-{sb['gtfs_stop_id']}",
                    geom,
                    exp_prev="persisting",
                    exp_prev_disp=None,
                )
            )
    for idx in elsewhere:
        s = sthlm.iloc[idx]
        geom = at(s, radius())
        recs23.append(
            rec(
                s,
                f"0180-{s['gtfs_stop_id']}",
                geom,
                exp_prev="new",
                exp_prev_disp="elsewhere",
                exp_next="persisting",
                exp_next_size="unchanged",
            )
        )
        recs24.append(
            rec(s, f"0180-{s['gtfs_stop_id']}", geom, exp_prev="persisting", exp_prev_disp=None)
        )
    # Merge: two disks r=40 at ±60 m become one disk r=110 around both (it keeps a's id).
    s = sthlm.iloc[merge_st]
    mid = f"0180-{s['gtfs_stop_id']}"
    recs21 += [
        rec(s, mid, at(s, 40, -60), exp_next="merged", exp_next_size=None),
        rec(s, mid + "-east", at(s, 40, 60), exp_next="merged", exp_next_size=None),
    ]
    merged = at(s, 110)
    recs23.append(
        rec(
            s,
            mid,
            merged,
            exp_prev="merged",
            exp_prev_disp=None,
            exp_next="persisting",
            exp_next_size="unchanged",
        )
    )
    recs24.append(rec(s, mid, merged, exp_prev="persisting", exp_prev_disp=None))
    # Split: one disk r=110 becomes two disks r=40 at ±60 m (the west part keeps the id).
    s = sthlm.iloc[split_st]
    sid = f"0180-{s['gtfs_stop_id']}"
    recs21.append(rec(s, sid, at(s, 110), exp_next="split", exp_next_size=None))
    for dx, part in ((-60, sid), (60, sid + "-east")):
        g = at(s, 40, dx)
        recs23.append(
            rec(
                s,
                part,
                g,
                exp_prev="split",
                exp_prev_disp=None,
                exp_next="persisting",
                exp_next_size="unchanged",
            )
        )
        recs24.append(rec(s, part, g, exp_prev="persisting", exp_prev_disp=None))

    def gdf(recs: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(recs, geometry="geometry", crs=3006)

    return StockholmRounds(gdf(recs21), gdf(recs23), gdf(recs24))


def jitter_xy(xy: np.ndarray, seed: int, amplitude: float = 3.0) -> np.ndarray:
    """Move every vertex by up to ±``amplitude`` m in x and y, pseudo-randomly.

    The offset is a hash of the vertex itself (the "fract(sin(dot))" hash of shader code),
    so a ring's closing vertex moves with its first one and rings stay closed.
    """
    u = np.modf(
        np.abs(np.sin(xy @ np.array([[12.9898, 39.3468], [78.233, 11.135]]) + seed) * 43758.5453)
    )[0]
    return xy + amplitude * (2.0 * u - 1.0)


def variant(scenes: gpd.GeoDataFrame, *, ids: bool, jitter: bool, seed: int) -> gpd.GeoDataFrame:
    """The same round with generated ids (shuffled rows) and/or outlines jittered by ±3 m."""
    out = scenes.copy()
    if jitter:
        out["geometry"] = shapely.transform(out.geometry.array, lambda c: jitter_xy(c, seed))
        assert out.geometry.is_valid.all()
    if not ids:
        out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        # Generated ids repeat across rounds on other places: they must not be matched.
        out["scene_id"] = [f"gen-{k:03d}" for k in range(len(out))]
        out["id_given"] = False
    return out


@pytest.fixture(scope="module")
def stockholm_rounds(county_3006, stations_3006) -> StockholmRounds:
    return build_stockholm_rounds(county_3006, stations_3006)


VARIANTS = [
    pytest.param(True, False, id="ids"),
    pytest.param(False, False, id="geometry-only"),
    pytest.param(True, True, id="ids-jittered"),
    pytest.param(False, True, id="geometry-only-jittered"),
]


def test_constructed_rounds_have_the_published_sizes(stockholm_rounds, county_3006) -> None:
    r = stockholm_rounds
    assert (len(r.r2021), len(r.r2023), len(r.r2024)) == (64, 63, 53)
    assert r.r2024["municipality_code"].nunique() == 8
    assert r.r2023["municipality_code"].nunique() == 9
    assert (r.r2023["exp_next"] == "ceased").sum() == 10
    for g in (r.r2021, r.r2023, r.r2024):
        assert g["scene_id"].is_unique
        assert g.geometry.is_valid.all()
        # every scene lies in the municipality it is coded with
        joined = gpd.sjoin(g.assign(geometry=g.geometry.centroid), county_3006, predicate="within")
        assert (joined["municipality_code"] == joined["code"]).all()


def _check_fates(c, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> None:
    """Every scene's status, size change and displacement flag as constructed."""
    assert c.from_scenes["status"].tolist() == before["exp_next"].tolist()
    persisting = before["exp_next"] == "persisting"
    assert (
        c.from_scenes.loc[persisting.to_numpy(), "size_change"].tolist()
        == before.loc[persisting, "exp_next_size"].tolist()
    )
    assert c.to_scenes["status"].tolist() == after["exp_prev"].tolist()
    assert (
        c.to_scenes["displacement"].fillna("-").tolist()
        == after["exp_prev_disp"].fillna("-").tolist()
    )


@pytest.mark.needs_shared
@pytest.mark.parametrize(("ids", "jitter"), VARIANTS)
def test_2021_to_2023_published_figures(stockholm_rounds, county_3006, ids, jitter) -> None:
    r = stockholm_rounds
    before = variant(r.r2021, ids=ids, jitter=False, seed=1)
    after = variant(r.r2023, ids=ids, jitter=jitter, seed=2)
    c = compare_rounds(before, after, county_3006, from_round="2021", to_round="2023")
    assert (c.n_from, c.n_to, c.ceased, c.new) == (64, 63, 12, 11)
    assert (c.merged, c.split, c.restructured, c.persisting) == (1, 1, 0, 49)
    assert (c.lost_by_merging, c.gained_by_splitting) == (1, 1)
    assert reconciles(c)
    assert (c.grown, c.shrunk, c.unchanged) == (5, 6, 38)
    assert (c.new_near_previous, c.new_elsewhere) == (4, 7)
    assert c.inconsistencies == ()
    _check_fates(c, before, after)
    assert c.area_from_m2 == pytest.approx(before.area.sum())
    assert c.area_to_m2 == pytest.approx(after.area.sum())
    assert (c.municipalities_from, c.municipalities_to) == (13, 9)
    expected = pd.DataFrame(
        {
            "n_from": before["municipality_code"].value_counts(),
            "n_to": after["municipality_code"].value_counts(),
        }
    ).fillna(0)
    got = c.by_municipality.loc[expected.index, ["n_from", "n_to"]]
    assert got.astype(int).to_numpy().tolist() == expected.astype(int).to_numpy().tolist()
    assert len(c.by_municipality) == 26
    if ids:
        merged = c.scenes[c.scenes["status"] == "merged"].iloc[0]
        assert len(merged["from_ids"]) == 2 and merged["to_ids"][0] in merged["from_ids"]
        split = c.scenes[c.scenes["status"] == "split"].iloc[0]
        assert len(split["to_ids"]) == 2 and split["from_ids"][0] in split["to_ids"]


@pytest.mark.needs_shared
@pytest.mark.parametrize(("ids", "jitter"), VARIANTS)
def test_2023_to_2024_published_figures(stockholm_rounds, county_3006, ids, jitter) -> None:
    r = stockholm_rounds
    before = variant(r.r2023, ids=ids, jitter=False, seed=3)
    after = variant(r.r2024, ids=ids, jitter=jitter, seed=4)
    c = compare_rounds(before, after, county_3006, from_round="2023", to_round="2024")
    assert (c.n_from, c.n_to, c.ceased, c.new) == (63, 53, 10, 0)
    assert (c.merged, c.split, c.restructured, c.persisting) == (0, 0, 0, 53)
    assert reconciles(c)
    assert (c.grown, c.shrunk) == (2, 4)
    assert (c.new_elsewhere, c.no_new_elsewhere) == (0, True)
    assert c.area_to_m2 < c.area_from_m2
    assert c.area_to_m2 == pytest.approx(after.area.sum())
    assert (c.municipalities_from, c.municipalities_to, c.municipalities_change) == (9, 8, -1)
    assert c.by_municipality.loc["0180", "ceased"] == 5  # Stockholm worked away 5
    assert c.by_municipality.loc["0123", ["n_from", "n_to"]].tolist() == [2, 0]
    assert c.inconsistencies == ()
    _check_fates(c, before, after)


def test_merge_and_split_with_new_ids_are_not_inconsistencies() -> None:
    # Two scenes merged into one with a new id, one split into two with new ids:
    # the fates explain the new ids, so nothing is reported.
    before = frame([disk(0, 0, 40), disk(70, 0, 40), disk(5_000, 0, 80)], ["a", "b", "c"])
    after = frame([disk(35, 0, 80), disk(4_960, 0, 35), disk(5_040, 0, 35)], ["m", "s1", "s2"])
    c = compare_rounds(before, after)
    assert (c.merged, c.split) == (1, 1)
    assert c.inconsistencies == ()
