"""Tests of drugscenes.analysis.history: places across rounds, gaps, came-back scenes.

Oracles: hand-worked rounds (disks whose links are obvious), the construction of the
Stockholm rounds of test_change.py (how many places start, end and persist is decided when
they are built), and compare_rounds for consecutive rounds (the history must not split what
the pairwise comparison links).
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import drugscenes.analysis.history as history_module
from drugscenes.analysis.change import compare_rounds
from drugscenes.analysis.history import HISTORY_COLUMNS, scene_history, summarize_history
from drugscenes.errors import UsageError

# The Stockholm rounds are built by test_change.py; load it by path (tests are no package).
_spec = importlib.util.spec_from_file_location(
    "_change_rounds", Path(__file__).with_name("test_change.py")
)
assert _spec is not None and _spec.loader is not None
_rounds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_rounds)
build_stockholm_rounds = _rounds.build_stockholm_rounds
variant = _rounds.variant


def rnd(ids: list[str], xs: list[float], r: float = 50.0, *, given: bool = True):
    return gpd.GeoDataFrame(
        {"scene_id": ids, "id_given": given, "municipality_code": "0180"},
        geometry=[Point(x, 0).buffer(r) for x in xs],
        crs=3006,
    )


def test_docstring_examples_run() -> None:
    result = doctest.testmod(history_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1
    assert result.failed == 0


def test_ceased_and_came_back_at_the_same_place() -> None:
    # "a" is worked away after A, absent in B, and back in C (redrawn, new id "c").
    rounds = [
        ("A", rnd(["a"], [0])),
        ("B", rnd(["b"], [5_000])),
        ("C", rnd(["c", "d"], [3, 5_000])),
    ]
    h = scene_history(rounds)
    assert list(h.columns) == HISTORY_COLUMNS
    assert h["place_id"].tolist() == ["A:a", "A:a", "B:b", "B:b"]
    assert h["came_back"].tolist() == [False, True, False, False]
    s = summarize_history(h, ["A", "B", "C"]).set_index("place_id")
    assert s.loc["A:a", "rounds_present"] == ["A", "C"]
    assert s.loc["A:a", "rounds_absent"] == ["B"]
    assert bool(s.loc["A:a", "came_back"]) is True
    assert s.loc["A:a", "current_run"] == 1
    assert s.loc["A:a", "scene_ids"] == ["a", "c"]
    assert (s.loc["B:b", "first_round"], s.loc["B:b", "n_rounds"]) == ("B", 2)
    assert s.loc["B:b", "current_run"] == 2
    assert np.isnan(s.loc["A:a", "area_m2_B"])
    assert s.loc["A:a", "area_m2_A"] == pytest.approx(rounds[0][1].area.iloc[0])


def test_merge_joins_places_and_the_earlier_id_wins() -> None:
    # Two scenes 120 m apart in 2021; one disk around both in 2023.
    r21 = rnd(["west", "east"], [-60, 60], 40)
    r23 = rnd(["joined"], [0], 110)
    h = scene_history([("2021", r21), ("2023", r23)])
    assert h["place_id"].unique().tolist() == ["2021:east"]  # smallest id of the earliest round
    s = summarize_history(h)
    assert len(s) == 1
    assert s.loc[0, "scene_ids"] == ["east", "west", "joined"]
    assert s.loc[0, "area_m2_2021"] == pytest.approx(r21.area.sum())


def test_split_place_sums_its_parts() -> None:
    r1 = rnd(["whole"], [0], 110)
    r2 = rnd(["w", "e"], [-60, 60], 40)
    s = summarize_history(scene_history([("1", r1), ("2", r2)]))
    assert len(s) == 1
    assert s.loc[0, "area_m2_2"] == pytest.approx(r2.area.sum())
    assert (s.loc[0, "area_first_m2"], s.loc[0, "area_last_m2"]) == (
        pytest.approx(r1.area.iloc[0]),
        pytest.approx(r2.area.sum()),
    )


def test_same_id_comes_back_after_a_gap() -> None:
    h = scene_history([("1", rnd(["x"], [0])), ("2", rnd(["y"], [9_000])), ("3", rnd(["x"], [0]))])
    s = summarize_history(h).set_index("place_id")
    assert s.loc["1:x", "rounds_absent"] == ["2"]
    assert s.loc["1:x", "scene_ids"] == ["x"]


def test_empty_round_between_is_a_gap_when_labels_are_given() -> None:
    empty = rnd([], [])
    h = scene_history([("1", rnd(["x"], [0])), ("2", empty), ("3", rnd(["x"], [0]))])
    assert h["came_back"].tolist() == [False, True]
    s = summarize_history(h, ["1", "2", "3"])
    assert s.loc[0, "rounds_absent"] == ["2"]
    assert "area_m2_2" in s.columns


def test_rejects_bad_rounds() -> None:
    with pytest.raises(UsageError, match="more than once"):
        scene_history([("2023", rnd(["a"], [0])), ("2023", rnd(["a"], [0]))])
    with pytest.raises(UsageError, match="pair"):
        scene_history([rnd(["a"], [0])])  # type: ignore[list-item]
    h = scene_history([])
    assert list(h.columns) == HISTORY_COLUMNS and len(h) == 0
    assert len(summarize_history(h)) == 0


@pytest.fixture(scope="module")
def stockholm(county_3006, stations_3006):
    return build_stockholm_rounds(county_3006, stations_3006)


@pytest.mark.needs_shared
@pytest.mark.parametrize("ids", [True, False], ids=["ids", "geometry-only"])
def test_stockholm_places_as_constructed(stockholm, ids: bool) -> None:
    rounds = [
        ("2021", variant(stockholm.r2021, ids=ids, jitter=False, seed=11)),
        ("2023", variant(stockholm.r2023, ids=ids, jitter=True, seed=12)),
        ("2024", variant(stockholm.r2024, ids=ids, jitter=True, seed=13)),
    ]
    h = scene_history(rounds)
    assert len(h) == 64 + 63 + 53
    s = summarize_history(h, ["2021", "2023", "2024"])
    # 64 scenes of 2021 are 63 places (one pair merges), plus 11 new places in 2023.
    assert len(s) == 74
    assert (s["first_round"] == "2023").sum() == 11
    assert ((s["first_round"] == "2021") & (s["last_round"] == "2021")).sum() == 12
    assert (s["last_round"] == "2023").sum() == 10
    assert (s["n_rounds"] == 3).sum() == 44
    assert s["in_latest_round"].sum() == 52  # 53 scenes: the split place has two
    assert not s["came_back"].any()

    # Whatever compare_rounds links between consecutive rounds lies in one place.
    for (la, a), (lb, b) in itertools.pairwise(rounds):
        c = compare_rounds(a, b)
        place_a = h[h["round"] == la].set_index("scene_id")["place_id"]
        place_b = h[h["round"] == lb].set_index("scene_id")["place_id"]
        linked = c.scenes[(c.scenes["n_from"] > 0) & (c.scenes["n_to"] > 0)]
        for from_ids, to_ids in zip(linked["from_ids"], linked["to_ids"], strict=True):
            places = set(place_a[from_ids]) | set(place_b[to_ids])
            assert len(places) == 1


@pytest.mark.needs_shared
def test_place_ids_are_deterministic_and_stable(stockholm) -> None:
    two = [("2021", stockholm.r2021), ("2023", stockholm.r2023)]
    three = [*two, ("2024", stockholm.r2024)]
    h2 = scene_history(two)
    h3 = scene_history(three)
    shuffled = [(lbl, g.sample(frac=1.0, random_state=5)) for lbl, g in three]
    pd.testing.assert_frame_equal(scene_history(shuffled), h3)
    # Adding a round changes no place id of the earlier observations.
    key = ["round", "scene_id"]
    merged = h2.merge(h3, on=key, suffixes=("_2", "_3"))
    assert len(merged) == len(h2)
    assert (merged["place_id_2"] == merged["place_id_3"]).all()


@pytest.mark.needs_shared
def test_a_worked_away_scene_that_returns_is_found(stockholm) -> None:
    # The 12 scenes that ceased after 2021 are mapped again in 2024 (same outlines, new ids).
    r21 = stockholm.r2021
    back = r21[r21["exp_next"] == "ceased"].assign(scene_id=lambda d: "back-" + d["scene_id"])
    r24 = pd.concat([stockholm.r2024, back], ignore_index=True)
    h = scene_history([("2021", r21), ("2023", stockholm.r2023), ("2024", r24)])
    s = summarize_history(h)
    came_back = s[s["came_back"]]
    assert len(came_back) == 12
    assert (came_back["rounds_absent"].map(tuple) == ("2023",)).all()
    assert sorted(came_back["place_id"]) == sorted("2021:" + back["scene_id"].str[5:])
