"""Knox test over bands against pointpats' Knox on the same data, and hand-worked cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pointpats.spacetime import Knox

from drugscenes.analysis.nearrepeat import (
    band_labels,
    followed_within,
    followups_per_scene,
    knox_bands,
    near_repeat_analysis,
)
from drugscenes.errors import DataError, UsageError
from drugscenes.periods import Period


def _events(seed: int = 3, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, y, t = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    k = 40  # near repeats: copies close in space and shortly after
    x[:k] = x[k : 2 * k] + rng.normal(0, 40, k)
    y[:k] = y[k : 2 * k] + rng.normal(0, 40, k)
    t[:k] = t[k : 2 * k] + rng.uniform(0, 10, k)
    return x, y, t


@pytest.mark.parametrize(("delta", "tau"), [(200.0, 14.0), (500.0, 30.0)])
def test_single_band_matches_pointpats(delta: float, tau: float) -> None:
    x, y, t = _events()
    ours = knox_bands(x, y, t, [delta], [tau], permutations=999, seed=11)
    np.random.seed(  # noqa: NPY002 - pointpats draws from the global generator
        5
    )
    pp = Knox(np.c_[x, y], t[:, None], delta=delta, tau=tau, permutations=999)
    assert ours.observed[0, 0] == pp.nst
    assert ours.observed[0].sum() == pp.observed[0].sum()  # all spatial pairs
    # permutation expectation is exactly NS·NT/pairs (pointpats' analytic "expected");
    # our Monte Carlo mean must lie within 4 standard errors of it
    sd = np.sqrt(pp.expected[0, 0] / 999)  # Poisson approximation of the per-draw spread
    assert abs(ours.expected[0, 0] - pp.expected[0, 0]) < 4 * sd + 1e-9
    # both p-values are Monte Carlo estimates with 999 draws: within sampling error
    p = max(pp.p_sim, 1 / 1000)
    assert abs(ours.p_value[0, 0] - pp.p_sim) < 4 * np.sqrt(2 * p * (1 - p) / 999) + 2 / 1000


def test_no_interaction_when_times_are_random() -> None:
    rng = np.random.default_rng(0)
    x, y, t = rng.uniform(0, 3000, 400), rng.uniform(0, 3000, 400), rng.uniform(0, 365, 400)
    r = knox_bands(x, y, t, [300], [14], permutations=499, seed=1)
    np.random.seed(  # noqa: NPY002 - pointpats draws from the global generator
        2
    )
    pp = Knox(np.c_[x, y], t[:, None], delta=300, tau=14, permutations=499)
    assert r.observed[0, 0] == pp.nst
    assert abs(r.p_value[0, 0] - pp.p_sim) < 0.15


def test_band_edges_are_inclusive_upper() -> None:
    # pairs at exactly 100 m / 7 days belong to the first bands; 100.001 m to the second
    x = np.array([0.0, 100.0, 5000.0, 5100.001])
    y = np.zeros(4)
    t = np.array([0.0, 7.0, 0.0, 7.0])
    r = knox_bands(x, y, t, [100, 200], [7], permutations=9, seed=0)
    assert r.observed.tolist() == [[1, 0], [1, 0]]
    cell = r.to_dict()["cells"][0]
    assert (cell["space_from_m"], cell["space_to_m"], cell["time_to_days"]) == (0.0, 100.0, 7.0)
    assert cell["space_includes_from"] is True


def test_seed_reproducible() -> None:
    x, y, t = _events(4)
    a = knox_bands(x, y, t, permutations=99, seed=3)
    b = knox_bands(x, y, t, permutations=99, seed=3)
    assert np.array_equal(a.p_value, b.p_value) and np.array_equal(a.expected, b.expected)


def test_followed_within_and_per_scene() -> None:
    # A at t=0, B 50 m away at t=3 (follows A), C 50 m from B at t=20 (too late), D far
    x = np.array([0.0, 50.0, 100.0, 9000.0])
    t = np.array([0.0, 3.0, 20.0, 1.0])
    f = followed_within(x, np.zeros(4), t, 100, 7)
    assert f.tolist() == [True, False, False, False]
    rows = followups_per_scene(f, np.array([0, 0, 1, -1], dtype=np.int32), ["S1", "S2"])
    assert rows == [
        {"scene_id": "S1", "shootings": 2, "followed": 1},
        {"scene_id": "S2", "shootings": 1, "followed": 0},
    ]


def test_validation() -> None:
    with pytest.raises(UsageError, match="increasing"):
        knox_bands([0, 1], [0, 1], [0, 1], [200, 100], [7])


REGION = gpd.GeoDataFrame(
    {"code": ["0001", "0002"]},
    geometry=[shapely.box(-5000, -5000, 5000, 10_000), shapely.box(5000, -5000, 15_000, 10_000)],
    crs=3006,
)


def _shootings(points: list[tuple[float, float, int]], category: str = "shooting") -> pd.DataFrame:
    t0 = pd.Timestamp("2022-05-01T12:00:00Z")
    return pd.DataFrame(
        {
            "time": [t0 + pd.Timedelta(days=d) for *_, d in points],
            "category": category,
            "x": [p[0] for p in points],
            "y": [p[1] for p in points],
        }
    )


def test_near_repeat_analysis_by_hand() -> None:
    # The CLI test's line of shootings: A at the scene, B +50 m 3 days later, C +150 m
    # on day 20, E -300 m on day 7, D far away; plus a violence incident (not an event).
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["S1", "S2"]},
        geometry=[shapely.box(-10, -10, 10, 10), shapely.box(5000, 5000, 5100, 5100)],
        crs=3006,
    )
    shots = _shootings([(0, 0, 0), (50, 0, 3), (150, 0, 20), (-300, 0, 7), (9000, 0, 90)])
    other = _shootings([(0, 0, 1)], "violence")
    period = Period.parse("2022-01-01", "2022-12-31")
    r = near_repeat_analysis(
        pd.concat([shots, other]),
        scenes,
        period=period,
        round_label="2024",
        municipalities=REGION,
        space_bands_m=[100, 200, 400],
        time_bands_days=[7, 14, 30],
        permutations=19,
        seed=5,
    )
    observed = {
        (c["space_to_m"], c["time_to_days"]): c["observed"] for c in r.knox.to_dict()["cells"]
    }
    assert {k: n for k, n in observed.items() if n} == {
        (100.0, 7.0): 1, (100.0, 30.0): 1, (200.0, 30.0): 1, (400.0, 7.0): 2,
    }  # fmt: skip
    d = r.to_dict()
    assert d["followup"]["n_events"] == 5 and d["followup"]["n_followed"] == 1  # A, by B
    assert d["followup"]["share_followed"] == pytest.approx(0.2)
    # within 200 m of S1: A (inside), B (40 m), C (140 m); E is 290 m away
    assert d["scenes"] == [
        {"scene_id": "S1", "shootings": 3, "followed": 1},
        {"scene_id": "S2", "shootings": 0, "followed": 0},
    ]
    assert [b["label"] for b in d["space_bands"]] == ["[0, 100] m", "(100, 200] m", "(200, 400] m"]
    assert d["period_days"] == period.to_dict() and d["round"] == "2024"
    assert d["notes"][0].startswith("Monte Carlo with 19 permutations") and not d["warnings"]
    with pytest.raises(DataError, match=r"1 'shooting' event.*categories in the period: sh"):
        near_repeat_analysis(
            shots.iloc[:1], scenes, period=period, round_label="2024", municipalities=REGION
        )


def test_band_labels_state_inclusion() -> None:
    bands = band_labels((100.0, 200.0), "m", open_end=False)
    assert [(b["from"], b["to"], b["includes_from"], b["includes_to"]) for b in bands] == [
        (0.0, 100.0, True, True),
        (100.0, 200.0, False, True),
    ]
    assert band_labels((7.0,), "days", open_end=True)[-1]["label"] == "(7, ∞) days"
