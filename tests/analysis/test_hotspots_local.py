"""The local exact Poisson hot-spot test and the conditional Poisson trend: validity for
sparse counts, no findings under complete spatial randomness, planted places found in a
dense city and in the countryside (the default method of ``analyse_hotspots``).

Oracles: scipy's binomial distribution on hand-counted neighbourhoods and rings, exact
enumeration of the trend statistic, and planted truths from
:mod:`drugscenes.analysis.hotspots.simulate`. The benchmark
(``benchmarks/bench_hotspot_detection.py``) runs more replications and compares with Gi*.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from scipy import stats

from drugscenes.analysis.grid import make_grid
from drugscenes.analysis.hotspots import (
    HOT_PATTERNS,
    analyse_hotspots,
    local_poisson,
    poisson_trend,
)
from drugscenes.analysis.hotspots.simulate import load_region, score, simulate
from drugscenes.errors import UsageError


@pytest.fixture(scope="module")
def square():
    return make_grid(shapely.box(0, 0, 6000, 6000), 100.0)


def test_local_test_is_the_exact_binomial_of_the_counts_around(square) -> None:
    g = square
    rng = np.random.default_rng(3)
    x = rng.poisson(0.02, g.n_cells)
    i = int(g.locate([3050.0], [3050.0])[0])
    x[i] += 4
    res = local_poisson(g, x, 300.0, baseline_m=1500.0, radii_m=(300.0,), min_ratio=1.0)
    cx, cy = g.centres()
    dx, dy = cx - cx[i], cy - cy[i]
    d = np.hypot(dx, dy)
    near = d <= 300.0 + 1e-6
    ring = (d > 300.0 + 1e-6) & (d <= 1500.0 + 1e-6)
    n_obs = int(x[near].sum())
    # Halves as the module defines them; the convolution mirrors the kernel, which swaps
    # each half with its opposite: the set of four halves is the same.
    east = ring & ((dx > 0) | ((dx == 0) & (dy > 0)))
    north = ring & ((dy > 0) | ((dy == 0) & (dx < 0)))
    p = 0.0
    for half in (east, ring & ~east, north, ring & ~north):
        q = near.sum() / (near.sum() + half.sum())
        p = max(p, stats.binom.sf(n_obs - 1, n_obs + int(x[half].sum()), q))
    assert res.observed[i] == n_obs and res.n_neighbours[i] == near.sum()
    assert res.p_hot[i] == pytest.approx(p, rel=1e-9)
    assert res.expected[i] == pytest.approx(x[ring].sum() * near.sum() / ring.sum())


def test_local_test_keeps_its_level_for_sparse_counts(square) -> None:
    # Expected counts far below one: the unadjusted one-sided p-values reject at most
    # 5 % of the time (exact and discrete, so usually far less), and after FDR nothing is
    # left; Gi*'s normal approximation makes hot spots of single incidents.
    from drugscenes.analysis.hotspots import gi_star

    rng = np.random.default_rng(4)
    rej, rej_gi, n, hot = 0, 0, 0, 0
    for _ in range(20):
        x = rng.poisson(0.01, square.n_cells)
        res = local_poisson(square, x, 300.0, alpha=1.0)
        ok = ~np.isnan(res.p_hot)
        rej += int((res.p_hot[ok] <= 0.05).sum())
        n += int(ok.sum())
        gi = gi_star(square, x, 300.0)
        hot += int((res.bin >= 2).sum())
        rej_gi += int((gi.bin >= 2).sum())  # FDR-adjusted
    assert n > 0.9 * 20 * square.n_cells
    assert rej / n <= 0.05 and hot == 0
    assert rej_gi > 100


def test_local_test_refuses_what_it_cannot_do(square) -> None:
    x = np.zeros(square.n_cells, dtype=int)
    with pytest.raises(UsageError, match="counts"):
        local_poisson(square, x + 0.5, 300.0)
    with pytest.raises(UsageError, match="ring around a cell would be empty"):
        local_poisson(square, x, 300.0, baseline_m=350.0)
    with pytest.raises(UsageError, match="min_ratio"):
        local_poisson(square, x, 300.0, min_ratio=0.5)
    res = local_poisson(square, x, 300.0)  # no incident: nothing tested, nothing hot
    assert res.constant_slices == (0,) and (res.bin == 0).all()


def test_a_step_in_density_is_no_hot_spot(square) -> None:
    # A dense west half and an empty east half: with the county-wide mean every western
    # cell is a Gi* hot spot; against every side of its ring none is.
    from drugscenes.analysis.hotspots import gi_star

    rng = np.random.default_rng(5)
    cx, _ = square.centres()
    x = rng.poisson(np.where(cx < 3000, 3.0, 0.0))
    assert (local_poisson(square, x, 300.0).bin >= 2).sum() == 0
    assert (gi_star(square, x, 300.0).bin >= 2).sum() > 500


# -- trend ---------------------------------------------------------------------------------


def test_poisson_trend_is_exact_for_few_events() -> None:
    # Enumerate every way of placing 3 events in 5 periods with unequal totals.
    offset = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    pi = offset / offset.sum()
    series = np.array([[0, 0, 1, 0, 2], [2, 1, 0, 0, 0], [0, 1, 0, 1, 1]])
    res = poisson_trend(series, offset)
    for row, p in zip(series, res.p, strict=True):
        u = int(row @ np.arange(5))
        up = lo = 0.0
        for draw in itertools.product(range(5), repeat=3):
            prob = math.prod(pi[list(draw)])
            up += prob * (sum(draw) >= u)
            lo += prob * (sum(draw) <= u)
        assert p == pytest.approx(min(1.0, 2 * min(up, lo)), rel=1e-12)
    assert np.isnan(poisson_trend([[0, 0, 0, 0, 0]]).p[0])


@pytest.mark.parametrize("rate", [0.03, 0.3, 3.0, 40.0])
def test_poisson_trend_keeps_its_level_without_trend(rate: float) -> None:
    # Cells follow the region's totals (a busy summer, a quiet month): no cell's trend.
    rng = np.random.default_rng(6)
    offset = np.array([5, 4, 6, 8, 9, 12, 14, 13, 9, 7, 1, 6], dtype=float)
    y = rng.poisson(rate * offset / offset.mean(), (20_000, 12))
    res = poisson_trend(y, offset)
    ok = res.n_events > 0
    assert (res.p[ok] <= 0.05).mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / ok.sum())
    grow = rng.poisson(np.linspace(1, 10, 12) * offset / offset.mean(), (200, 12))
    assert (poisson_trend(grow, offset).p <= 0.05).mean() > 0.8


# -- planted truths ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county():
    """The demo county cut to Storstad (0180) and the municipalities around it."""
    region = load_region()
    city = region.loc[region["code"] == "0180"].geometry.iloc[0]
    near = region.geometry.distance(city) < 8000
    return region[near].reset_index(drop=True)


def _density_n(county) -> int:
    """40,000 incidents a year over the whole demo county, scaled to the cut."""
    return int(40_000 * county.area.sum() / load_region().area.sum())


@pytest.mark.parametrize("seed", [1, 2])
def test_complete_spatial_randomness_finds_nothing(county, seed: int) -> None:
    sim = simulate(county, "csr", seed, n=_density_n(county))
    res = analyse_hotspots(
        sim.incidents, county, sim.scenes, "2023-01-01", "2024-01-01", categories=["violence"]
    )
    s = score(sim, res)
    assert res.method == "local-poisson"
    assert s["hot_cells"] == 0 and len(res.candidates.candidates) == 0
    assert res.emerging is not None
    assert s["hot_pattern_cells"] == 0
    # The trends of the cells' neighbourhood counts: at most the nominal rate.
    assert s["trend_rejections"] <= 0.05 * s["trend_tests"]
    # Gi* on the same data: hundreds of "hot" cells where there is nothing.
    gi = analyse_hotspots(
        sim.incidents, county, sim.scenes, "2023-01-01", "2024-01-01",
        categories=["violence"], method="gistar", period=None,
    )  # fmt: skip
    assert score(sim, gi)["hot_cells"] > 100


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_places_in_a_dense_city_and_the_countryside_are_found(county, seed: int) -> None:
    # Three times the demo's density (40,000 a year over the county), 90 % of the
    # background in the city: about 225 incidents per km² there (Stockholm: ~170).
    sim = simulate(county, "planted", seed, n=3 * _density_n(county), n_scenes=8)
    planted = sim.planted.set_index("kind")
    scenes = np.asarray(sim.scenes.geometry.values, dtype=object)
    for kind in ("city", "sparse"):
        p = shapely.Point(*planted.loc[kind, ["x", "y"]])
        assert shapely.distance(scenes, p).min() >= 2000
    city = county.loc[county["code"] == "0180"].geometry.iloc[0]
    assert city.contains(shapely.Point(*planted.loc["city", ["x", "y"]]))
    res = analyse_hotspots(
        sim.incidents, county, sim.scenes, "2023-01-01", "2024-01-01", categories=["violence"]
    )
    s = score(sim, res)
    assert s["detected_city"] and s["detected_sparse"]
    assert s["candidate_at_scene"] == 0 and s["false_candidates"] == 0
    cands = res.candidates.candidates
    d = shapely.distance(np.asarray(cands.geometry.values)[:, None], scenes[None, :])
    assert (d > 200).all()
    assert len(res.candidates.near_registered) >= len(sim.scenes) // 2
    d = res.to_dict()
    assert d["method"] == "local-poisson" and d["local_test"]["baseline_m"] == 2000.0
    cells = res.cells()
    assert {"gi_z", "gi_bin", "expected", "rate_ratio", "pattern"} <= set(cells.columns)
    assert set(res.emerging.pattern_counts()) >= set(HOT_PATTERNS)


def test_blocks_of_periods_are_the_rows_of_one_call(square, monkeypatch) -> None:
    """Periods a few at a time (bounded memory) give exactly the arrays of all at once, and
    the emerging analysis keeps exactly the spots of the one call (issue 14)."""
    from drugscenes.analysis.hotspots import emerging, local

    rng = np.random.default_rng(5)
    x = rng.poisson(0.05, (7, square.n_cells))
    x[3] = 0  # an empty period
    x[5, square.locate([3050.0], [3050.0])] = 15
    whole = local_poisson(square, x, 300.0)
    monkeypatch.setattr(local, "_BLOCK_ELEMENTS", 1)  # one period per block
    blocks = list(local.local_poisson_blocks(square, x, 300.0))
    assert [sl.start for sl, _ in blocks] == list(range(7))
    for name in ("observed", "expected", "p_hot", "p_cold", "z", "p", "q", "bin", "tested_hot"):
        got = np.concatenate([getattr(r, name) for _, r in blocks])
        np.testing.assert_array_equal(got, getattr(whole, name), err_msg=name)
    assert local_poisson(square, x, 300.0).constant_slices == whole.constant_slices == (3,)
    spots = emerging._local_periods(square, x, 300.0, 2000.0, 1.5, 0.05, True)
    sig = whole.significant(0.05)
    np.testing.assert_array_equal(spots.hot, sig & (whole.z > 0))
    np.testing.assert_array_equal(spots.cold, sig & (whole.z < 0))
    np.testing.assert_array_equal(spots.observed, whole.observed)
    assert spots.constant_slices == (3,)
    # Integer and float counts are the same test.
    one = local_poisson(square, x[5].astype(float), 300.0)
    np.testing.assert_array_equal(one.q, whole.q[5])
    with pytest.raises(UsageError, match="non-negative"):
        local_poisson(square, -x, 300.0)


def test_period_totals_equal_the_sum_of_the_categories(square) -> None:
    import pandas as pd

    from drugscenes.analysis.hotspots import grid_counts

    rng = np.random.default_rng(2)
    n = 500
    inc = pd.DataFrame(
        {
            "time": pd.Timestamp("2023-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "category": rng.choice(["violence", "shooting", "other"], n),
            "x": rng.uniform(-100, 6100, n),
            "y": rng.uniform(0, 6000, n),
        }
    )
    cats = ["violence", "shooting"]
    by = grid_counts(square, inc, "2023-01-01", "2024-01-01", cats, "month")
    tot = grid_counts(square, inc, "2023-01-01", "2024-01-01", cats, "month", total=True)
    np.testing.assert_array_equal(tot.counts[0], by.total())
    assert tot.n_incidents.tolist() == [by.n_incidents.sum()]
    assert tot.n_outside.tolist() == [by.n_outside.sum()]


@pytest.mark.parametrize(
    ("band", "radii", "fdr"),
    [(300.0, None, True), (500.0, (100.0, 300.0, 500.0), True), (300.0, None, False)],
)
def test_spots_of_the_lean_test_are_those_of_the_dense_one(square, band, radii, fdr) -> None:
    """local_spots (p-values only where a cell can be a spot, small disks summed directly)
    finds exactly the hot and cold spots and band counts of local_poisson (issue 14); the
    500 m disk (81 cells) goes through the FFT, the smaller ones do not."""
    from drugscenes.analysis.hotspots.local import local_spots

    rng = np.random.default_rng(11)
    x = rng.poisson(1.0, (4, square.n_cells))  # dense enough for cold tests
    cx, cy = square.centres()
    hole = np.hypot(cx - 2000.0, cy - 2000.0) <= 700.0
    x[:, hole] = 0  # a cold place
    x[1, square.locate([4050.0], [4050.0])] += 25  # a hot one
    x[2] = 0  # an empty period
    x[3] = rng.poisson(0.01, square.n_cells)  # a sparse one
    dense = local_poisson(square, x, band, radii_m=radii, fdr=fdr)
    sig = dense.significant(0.05)
    assert (sig & (dense.z > 0)).any() and (sig & (dense.z < 0)).any()
    spots = list(local_spots(square, x, band, radii_m=radii, fdr=fdr))
    for t, s in enumerate(spots):
        np.testing.assert_array_equal(s.hot, np.flatnonzero(sig[t] & (dense.z[t] > 0)))
        np.testing.assert_array_equal(s.cold, np.flatnonzero(sig[t] & (dense.z[t] < 0)))
        np.testing.assert_array_equal(s.observed, dense.observed[t])
    assert [t for t, s in enumerate(spots) if s.constant] == list(dense.constant_slices)


def test_lean_spots_keep_the_cells_without_incidents_in_the_fdr_family(square) -> None:
    """The cells kept for the hot test with no incident within a radius (p = 1) still count
    in Benjamini-Hochberg: one place of growing strength in sparse periods crosses the FDR
    threshold at the same strength in both tests (without those cells it would cross
    earlier)."""
    from drugscenes.analysis.hotspots.local import local_spots

    rng = np.random.default_rng(12)
    x = np.repeat(rng.poisson(0.01, (1, square.n_cells)), 8, axis=0)
    x[:, square.locate([3050.0], [3050.0])[0]] += np.arange(1, 9)
    dense = local_poisson(square, x, 300.0)
    hot = dense.significant(0.05) & (dense.z > 0)
    got = [s.hot for s in local_spots(square, x, 300.0)]
    for t in range(8):
        np.testing.assert_array_equal(got[t], np.flatnonzero(hot[t]))
    assert [int(h.sum()) for h in hot] == [0, 0, 0, 5, 6, 20, 29, 29]


def test_trends_a_block_of_cells_at_a_time_equal_one_call(monkeypatch) -> None:
    """The trend tests of the emerging analysis run on blocks of cells, the Poisson trend on
    the cells with an incident only: the same values as one call on every cell."""
    from drugscenes.analysis.hotspots import emerging, mann_kendall

    rng = np.random.default_rng(4)
    y = rng.poisson(0.4, (12, 500)).astype(np.int16)
    y[:, rng.random(500) < 0.5] = 0  # half the cells without an incident
    y[:, 7] = np.arange(12) * 3  # a rising cell
    offset = y.sum(axis=1) + 5
    monkeypatch.setattr(emerging, "_TREND_ROWS", 37)
    rows = np.flatnonzero(y.any(axis=0))
    for test, which in ((lambda s: poisson_trend(s, offset), rows), (mann_kendall, None)):
        whole = test(y.T)
        got = emerging._trend_by_rows(y, test, which)
        for name in vars(whole):
            np.testing.assert_array_equal(getattr(got, name), getattr(whole, name), name)
    assert poisson_trend(y.T, offset).p[7] < 0.01


def test_small_counts_are_the_counts(square) -> None:
    """grid_counts(small=True) counts the same in int16 (a quarter of int64's memory)."""
    import pandas as pd

    from drugscenes.analysis.hotspots import grid_counts

    rng = np.random.default_rng(8)
    n = 3000
    inc = pd.DataFrame(
        {
            "time": pd.Timestamp("2023-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "category": rng.choice(["violence", "shooting"], n),
            "x": rng.normal(3000, 300, n),
            "y": rng.normal(3000, 300, n),
        }
    )
    for total in (False, True):
        big = grid_counts(square, inc, "2023-01-01", "2024-01-01", None, "month", total=total)
        small = grid_counts(
            square, inc, "2023-01-01", "2024-01-01", None, "month", total=total, small=True
        )
        assert small.counts.dtype == np.int16 and big.counts.dtype == np.int64
        np.testing.assert_array_equal(small.counts, big.counts)
        np.testing.assert_array_equal(small.total(), big.total())
        assert small.total().dtype == np.int64
