"""Hot-spot surveillance: grid, counts, KDE, Gi*, patterns, candidates.

Oracles: esda.G_Local(star=True) on libpysal DistanceBand weights (Gi*), a direct sum of
Gaussian kernels (KDE), hand-made series (pattern classes), and a planted cluster in the
demo county (candidates). BH FDR and Mann-Kendall are tested in tests/stats.
"""

from __future__ import annotations

import math
import shutil
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from drugscenes.analysis.grid import make_grid
from drugscenes.analysis.hotspots import (
    COLD_PATTERNS,
    HOT_PATTERNS,
    NO_PATTERN,
    POLICE_ACTIVITY_NOTE,
    analyse_hotspots,
    band_kernel,
    candidate_scenes,
    candidates_far_from,
    classify_patterns,
    confidence_bin,
    dual_kde,
    emerging_hotspots,
    fdr_bh,
    gi_star,
    grid_counts,
    kde,
    make_periods,
)
from drugscenes.errors import DataError, UsageError

# A 3 × 3 km square with its north-east corner cut off (a "sea" the grid must not count).
REGION = shapely.difference(shapely.box(0, 0, 3000, 3000), shapely.box(2000, 2000, 3100, 3100))


@pytest.fixture(scope="module")
def grid():
    return make_grid(REGION, 100.0)


# -- grid ----------------------------------------------------------------------------------


def test_grid_is_aligned_and_clipped(grid) -> None:
    assert (grid.x0, grid.y0, grid.nx, grid.ny) == (0.0, 0.0, 30, 30)
    assert grid.n_cells == 900 - 100  # the 10 × 10 cut-off corner is absent
    cx, cy = grid.centres()
    assert not ((cx > 2000) & (cy > 2000)).any()
    # A region not at a multiple of the cell: origin snapped down to multiples of 100 m.
    g = make_grid(shapely.box(674_012.5, 6_580_033.0, 674_990.0, 6_580_870.0), 100.0)
    assert (g.x0, g.y0) == (674_000.0, 6_580_000.0)
    assert g.cell_ids()[0] == "100m_E674000_N6580000"


def test_outside_cells_are_nan_not_zero(grid) -> None:
    counts, outside = grid.count([50.0, 50.0, 2500.0, -10.0], [50.0, 60.0, 2500.0, 5.0])
    assert outside == 2  # one in the cut corner, one west of the region
    r = grid.raster(counts)
    assert r[0, 0] == 2 and r[0, 1] == 0
    assert np.isnan(r[25, 25])
    assert np.isnan(r).sum() == 100


def test_cell_larger_than_region_is_refused() -> None:
    with pytest.raises(UsageError, match="cell size is too large"):
        make_grid(shapely.box(10, 10, 60, 60), 1000.0)
    with pytest.raises(UsageError, match="positive"):
        make_grid(REGION, 0.0)


def test_region_in_wrong_crs_is_refused() -> None:
    gdf = gpd.GeoDataFrame(geometry=[shapely.box(18, 59, 18.1, 59.1)], crs=4326)
    with pytest.raises(UsageError, match="EPSG:3006"):
        make_grid(gdf, 100.0)


# -- counts and periods -------------------------------------------------------------------


def test_grid_counts_by_category_and_month(grid) -> None:
    inc = pd.DataFrame(
        {
            "time": pd.to_datetime(
                [
                    "2023-01-31 23:59",
                    "2023-02-01 00:00",
                    "2023-02-15 12:00",
                    "2023-03-01 00:00",
                    "2022-12-31 10:00",
                ],
                utc=True,
            ),
            "category": ["violence", "violence", "shooting", "violence", "violence"],
            "x": [150.0, 150.0, 2500.0, 150.0, 150.0],
            "y": [250.0, 250.0, 2500.0, 250.0, 250.0],
        }
    )
    gc = grid_counts(grid, inc, "2023-01-01", "2023-03-01", period="month")
    assert gc.categories == ("shooting", "violence")
    assert [p.label for p in gc.periods] == ["2023-01", "2023-02"]
    cell = grid.lookup[2 * 30 + 1]
    assert gc.counts[1, :, cell].tolist() == [1, 1]  # half-open months
    assert gc.n_incidents.tolist() == [1, 2]
    assert gc.n_outside.tolist() == [1, 0]  # the shooting is in the cut-off corner
    assert gc.counts.sum() == 2
    frame = gc.to_frame(nonzero=True)
    assert frame["count"].sum() == 2 and set(frame["period"]) == {"2023-01", "2023-02"}
    with pytest.raises(UsageError, match="categories in the data: shooting, violence"):
        grid_counts(grid, inc, "2023-01-01", "2023-03-01", categories=["drugs"])


def test_periods_must_be_whole() -> None:
    assert [p.label for p in make_periods("2023-01-01", "2024-01-01", "quarter")] == [
        "2023Q1",
        "2023Q2",
        "2023Q3",
        "2023Q4",
    ]
    assert len(make_periods("2023-01-01", "2024-01-01", "month")) == 12
    with pytest.raises(UsageError, match="first day of a month"):
        make_periods("2023-01-15", "2023-06-01", "month")


# -- KDE -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
@pytest.mark.parametrize("binning", ["linear", "simple"])
def test_kde_integrates_to_point_count(kernel: str, binning: str) -> None:
    g = make_grid(shapely.box(0, 0, 5000, 5000), 100.0)
    rng = np.random.default_rng(2)
    x = rng.uniform(1500, 3500, 5000)
    y = rng.uniform(1500, 3500, 5000)
    r = kde(g, x, y, bandwidth_m=250.0, kernel=kernel, binning=binning)
    assert r.n_points == 5000
    assert abs(r.mass_total - 5000) < 1e-6
    # The kernel's support (≤ 4 × 250 m) stays inside the region: nothing lost by clipping.
    assert abs(r.density.sum() * g.cell_area_m2 - 5000) < 1e-6
    assert abs(r.mass_in_region - 5000) < 1e-6


def test_kde_mass_near_the_edge_is_clipped_not_lost_silently() -> None:
    g = make_grid(shapely.box(0, 0, 2000, 2000), 100.0)
    r = kde(g, [20.0, 1000.0], [20.0, 1000.0], bandwidth_m=300.0)
    assert abs(r.mass_total - 2.0) < 1e-9
    assert 1.0 < r.mass_in_region < 2.0  # the corner point's mass partly outside


def test_gaussian_kde_matches_direct_sum() -> None:
    # Oracle: f(c) = Σ_i exp(−|c − p_i|² / 2h²) / (2π h²), evaluated at cell centres.
    g = make_grid(shapely.box(0, 0, 4000, 4000), 20.0)
    rng = np.random.default_rng(7)
    x = rng.normal(2000, 300, 400)
    y = rng.normal(2000, 200, 400)
    h = 150.0
    r = kde(g, x, y, bandwidth_m=h, kernel="gaussian")
    cx, cy = g.centres()
    sel = np.flatnonzero((np.abs(cx - 2000) < 600) & (np.abs(cy - 2000) < 400))[::7]
    d2 = (cx[sel, None] - x[None]) ** 2 + (cy[sel, None] - y[None]) ** 2
    direct = np.exp(-0.5 * d2 / h**2).sum(axis=1) / (2 * np.pi * h**2)
    np.testing.assert_allclose(r.density[sel], direct, rtol=0.01)


def test_kde_bandwidth_rule_and_validation() -> None:
    g = make_grid(shapely.box(0, 0, 5000, 5000), 100.0)
    rng = np.random.default_rng(3)
    x, y = rng.normal(2500, 400, 2000), rng.normal(2500, 400, 2000)
    r = kde(g, x, y, kernel="gaussian")
    # σ̂ ≈ 400 m, n^(−1/6) = 2000^(−1/6) ≈ 0.282 → h ≈ 113 m
    assert 95 < r.bandwidth_m < 130 and "n^(−1/6)" in r.bandwidth_rule
    with pytest.raises(UsageError, match="at least one cell"):
        kde(g, x, y, bandwidth_m=50.0)
    with pytest.raises(DataError, match="no points"):
        kde(g, [], [], bandwidth_m=300.0)


def test_dual_kde_ratio() -> None:
    g = make_grid(shapely.box(0, 0, 3000, 3000), 100.0)
    rng = np.random.default_rng(4)
    vx, vy = rng.uniform(500, 2500, 3000), rng.uniform(500, 2500, 3000)
    shoot = rng.random(3000) < 0.1
    d = dual_kde(g, (vx[shoot], vy[shoot]), (vx, vy), bandwidth_m=400.0)
    ok = np.isfinite(d.ratio)
    assert ok.any() and np.isnan(d.ratio).any()  # no denominator far outside the points
    assert (d.ratio[ok] <= 1 + 1e-9).all()  # a subset's share
    # Overall the share is the shooting share of all points.
    w = d.denominator.density[ok]
    share = (d.ratio[ok] * w).sum() / w.sum()
    assert abs(share - shoot.mean()) < 0.01
    assert d.numerator.bandwidth_m == d.denominator.bandwidth_m == 400.0


# -- Gi* -----------------------------------------------------------------------------------


def _esda_gi_star(grid, values: np.ndarray, band: float) -> np.ndarray:
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    cx, cy = grid.centres()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(np.c_[cx, cy], threshold=band, binary=True, silence_warnings=True)
        return G_Local(values, w, transform="B", star=True, permutations=0).Zs


@pytest.mark.parametrize("band", [100.0, 300.0, 450.0])
def test_gi_star_equals_esda(grid, band: float) -> None:
    rng = np.random.default_rng(1)
    x = rng.poisson(0.7, grid.n_cells).astype(float)
    x[:40] += rng.poisson(4, 40)
    gi = gi_star(grid, x, band, fdr=False)
    np.testing.assert_allclose(gi.z, _esda_gi_star(grid, x, band), rtol=0, atol=1e-9)
    # Non-integer values: no rounding to integers, still equal.
    v = rng.gamma(2.0, 1.5, grid.n_cells)
    np.testing.assert_allclose(
        gi_star(grid, v, band).z, _esda_gi_star(grid, v, band), rtol=0, atol=1e-9
    )


def test_gi_star_is_not_gi(grid) -> None:
    # The pitfall: esda computes Gi without star=True. Ours differs from that.
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(5)
    x = rng.poisson(1.0, grid.n_cells).astype(float)
    cx, cy = grid.centres()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(np.c_[cx, cy], threshold=300.0, binary=True, silence_warnings=True)
        gi_plain = G_Local(x, w, transform="B", star=False, permutations=0).Zs
    assert np.abs(gi_star(grid, x, 300.0).z - gi_plain).max() > 0.1


def test_gi_star_stacked_slices_and_empty_slice(grid) -> None:
    rng = np.random.default_rng(6)
    x = rng.poisson(1.0, (3, grid.n_cells)).astype(float)
    x[1] = 0.0  # a period without incidents
    gi = gi_star(grid, x, 300.0)
    assert gi.z.shape == (3, grid.n_cells) and gi.constant_slices == (1,)
    assert (gi.z[1] == 0).all() and (gi.bin[1] == 0).all()
    np.testing.assert_allclose(gi.z[2], _esda_gi_star(grid, x[2], 300.0), atol=1e-9)
    np.testing.assert_allclose(gi.z[0], gi_star(grid, x[0], 300.0).z, atol=1e-12)


@pytest.mark.parametrize("counts", [True, False])
def test_gi_star_a_slice_at_a_time_is_the_formula_on_all_slices(grid, counts: bool) -> None:
    """gi_star works a slice at a time (issue 14): exactly the numbers of the formula
    computed on all slices at once (sums rounded for counts only)."""
    from scipy import signal

    from drugscenes.stats.normal import two_sided_p

    rng = np.random.default_rng(9)
    x = rng.poisson(0.8, (4, grid.n_cells)).astype(float)
    x[2] = 0.0  # a period without incidents
    x[0, grid.n_cells // 2 - 2 : grid.n_cells // 2 + 3] += 10  # a hot spot
    if not counts:
        x[3] += rng.random(grid.n_cells)
    gi = gi_star(grid, x if not counts else x.astype(np.int16), 300.0)
    n, k = grid.n_cells, band_kernel(300.0, grid.cell_m)
    w = np.rint(grid.compact(signal.fftconvolve(grid.inside.astype(float), k, mode="same")))
    raster = grid.raster(x, fill=0.0)
    swx = grid.compact(signal.fftconvolve(raster, k[None], mode="same", axes=(1, 2)))
    swx = np.rint(swx) if counts else swx
    mean, sd = x.mean(axis=1, keepdims=True), x.std(axis=1, keepdims=True)
    var = (n * w - w * w) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(sd > 0, sd, 1.0) * np.sqrt(var)
        z = np.where(var > 0, (swx - mean * w) / den, np.nan)
    z[2] = 0.0
    p = two_sided_p(z)
    q = fdr_bh(p)
    for got, want in ((gi.z, z), (gi.p, p), (gi.q, q), (gi.bin, confidence_bin(z, q))):
        np.testing.assert_array_equal(got, want)
    assert gi.constant_slices == (2,) and gi.bin[0].any()


def test_gi_star_refuses_what_it_cannot_analyse(grid) -> None:
    with pytest.raises(UsageError, match="smaller than a cell"):
        gi_star(grid, np.ones(grid.n_cells), 50.0)
    with pytest.raises(UsageError, match="no incidents"):
        gi_star(grid, np.zeros(grid.n_cells), 300.0)
    with pytest.raises(UsageError, match="shape"):
        gi_star(grid, np.zeros(10), 300.0)


def test_band_kernel_counts_neighbours_on_the_band() -> None:
    k = band_kernel(300.0, 100.0)
    assert k.shape == (7, 7) and k.sum() == 29  # offsets with i² + j² ≤ 9
    assert band_kernel(100.0, 100.0).sum() == 5


def test_confidence_bin_levels() -> None:
    z = np.array([3.0, 2.0, 1.7, 1.0, -1.7, -2.0, -3.0])
    p = 2 * (1 - __import__("scipy").stats.norm.cdf(np.abs(z)))
    assert confidence_bin(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3]


def test_gi_bin_with_fdr_is_stricter(grid) -> None:
    rng = np.random.default_rng(9)
    x = rng.poisson(1.0, grid.n_cells).astype(float)
    x[100:110] += 6
    a = gi_star(grid, x, 300.0, fdr=True)
    b = gi_star(grid, x, 300.0, fdr=False)
    assert (np.abs(a.bin) <= np.abs(b.bin)).all()
    assert (np.abs(a.bin) < np.abs(b.bin)).any()
    # Bins with FDR are the bins of the BH-adjusted p-values.
    np.testing.assert_array_equal(a.bin, confidence_bin(a.z, fdr_bh(a.p)))


# -- patterns --------------------------------------------------------------------------------


def _series(*codes: str) -> tuple[np.ndarray, np.ndarray]:
    """'h' hot, 'c' cold, '.' not significant → (hot, cold) rows."""
    hot = np.array([[ch == "h" for ch in s] for s in codes])
    cold = np.array([[ch == "c" for ch in s] for s in codes])
    return hot, cold


@pytest.mark.parametrize(
    ("series", "trend", "expected"),
    [
        ("..........h", 0, "new hot spot"),
        ("........hhh", 0, "consecutive hot spot"),
        ("hhhhhhhhhhh", +1, "intensifying hot spot"),
        ("hhhhhhhhhhh", 0, "persistent hot spot"),
        (".hhhhhhhhhh", 0, "persistent hot spot"),  # 10 of 11 ≥ 90 %
        ("hhhhhhhhhhh", -1, "diminishing hot spot"),
        ("..h..h...hh", 0, "sporadic hot spot"),
        ("..c......hh", 0, "oscillating hot spot"),
        ("c.........h", 0, "oscillating hot spot"),  # cold before: not "new"
        ("hhhhhhhhhh.", 0, "historical hot spot"),
        ("..........c", 0, "new cold spot"),
        ("........ccc", 0, "consecutive cold spot"),
        ("ccccccccccc", -1, "intensifying cold spot"),
        ("ccccccccccc", 0, "persistent cold spot"),
        ("ccccccccccc", +1, "diminishing cold spot"),
        ("c..c....c.c", 0, "sporadic cold spot"),
        ("h.......ccc", 0, "oscillating cold spot"),
        ("cccccccccc.", 0, "historical cold spot"),
        ("...........", 0, NO_PATTERN),
        ("hhhhh......", 0, NO_PATTERN),  # hot once, not any more, < 90 %
        ("hhhhhhhh.hh", +1, "consecutive hot spot"),  # 10/11 hot would be ≥ 90 % …
    ],
)
def test_pattern_classes(series: str, trend: int, expected: str) -> None:
    if expected == "consecutive hot spot" and series == "hhhhhhhh.hh":
        # … so this one is intensifying, not consecutive: ≥ 90 % takes the cell.
        expected = "intensifying hot spot"
    hot, cold = _series(series)
    p = np.array([0.01 if trend else 0.5])
    got = classify_patterns(hot, cold, p, np.array([float(trend) * 10]))
    assert got.tolist() == [expected]


def test_every_pattern_class_is_exercised() -> None:
    codes = [
        "..........h",
        "........hhh",
        "hhhhhhhhhhh",
        "hhhhhhhhhhh",
        "hhhhhhhhhhh",
        "..h..h...hh",
        "..c......hh",
        "hhhhhhhhhh.",
    ]
    trend = [0, 0, 1, 0, -1, 0, 0, 0]
    hot, cold = _series(*codes)
    got_hot = classify_patterns(hot, cold, np.where(trend, 0.01, 0.5), np.array(trend) * 10.0)
    got_cold = classify_patterns(cold, hot, np.where(trend, 0.01, 0.5), -np.array(trend) * 10.0)
    assert got_hot.tolist() == [
        "new hot spot",
        "consecutive hot spot",
        "intensifying hot spot",
        "persistent hot spot",
        "diminishing hot spot",
        "sporadic hot spot",
        "oscillating hot spot",
        "historical hot spot",
    ]
    assert sorted(got_hot) == sorted(HOT_PATTERNS)
    assert sorted(got_cold) == sorted(COLD_PATTERNS)


def test_emerging_refuses_fewer_than_five_periods(grid) -> None:
    periods = make_periods("2023-01-01", "2024-01-01", "quarter")
    with pytest.raises(UsageError, match=r"2/n! \(0\.083 for n = 4\)"):
        emerging_hotspots(grid, np.ones((4, grid.n_cells)), periods, 300.0)


@pytest.mark.parametrize("method", ["local-poisson", "gistar"])
def test_emerging_finds_a_growing_cluster(grid, method: str) -> None:
    rng = np.random.default_rng(11)
    periods = make_periods("2023-01-01", "2024-01-01", "month")
    counts = rng.poisson(0.3, (12, grid.n_cells))
    centre = grid.lookup[15 * 30 + 5]
    near = np.flatnonzero(
        np.hypot(grid.centres()[0] - grid.centres()[0][centre], grid.centres()[1] - 1550) <= 150
    )
    for t in range(12):
        counts[t, near] += t  # grows month by month
    e = emerging_hotspots(grid, counts, periods, 300.0, method=method)
    assert e.pattern[centre] in ("intensifying hot spot", "consecutive hot spot")
    assert e.trend.s[centre] > 0 and e.trend.p[centre] < 0.05
    pc = e.pattern_counts()
    assert sum(pc.values()) == grid.n_cells
    if method == "gistar":
        np.testing.assert_allclose(e.gi.z[6], gi_star(grid, counts[6], 300.0).z, atol=1e-12)


# -- candidates ------------------------------------------------------------------------------


def _scene(x: float, y: float, sid: str) -> dict[str, object]:
    return {"scene_id": sid, "geometry": shapely.box(x - 40, y - 40, x + 40, y + 40)}


def test_candidates_drop_registered_scenes(grid) -> None:
    rng = np.random.default_rng(12)
    counts = rng.poisson(0.2, grid.n_cells)
    off = np.repeat([-100.0, 0.0, 100.0], 3), np.tile([-100.0, 0.0, 100.0], 3)
    counts[grid.locate(550.0 + off[0], 550.0 + off[1])] += 6  # 3 × 3 cells, 54 incidents
    counts[grid.locate(1550.0 + off[0], 1550.0 + off[1])] += 4  # 36 incidents
    gi = gi_star(grid, counts, 300.0)
    scenes = gpd.GeoDataFrame([_scene(1620.0, 1560.0, "S1")], crs=3006)
    res = candidate_scenes(grid, counts, gi, scenes, distance_m=200.0)
    assert len(res.candidates) == 1 and len(res.near_registered) == 1
    c = res.candidates.iloc[0]
    assert c["geometry"].contains(shapely.Point(550, 550))
    assert c["count"] >= 54 and c["rank"] == 1 and c["candidate_id"] == "C001"
    assert res.near_registered.iloc[0]["nearest_scene_id"] == "S1"
    assert res.near_registered.iloc[0]["nearest_scene_m"] == 0.0
    # The polygon is the union of the area's cells.
    assert c["area_m2"] == pytest.approx(c["geometry"].area)
    d = res.to_dict()
    assert d["n_candidates"] == 1 and "geometry" not in d["candidates"][0]
    # No scenes: both areas are candidates, ranked by count.
    none = candidate_scenes(grid, counts, gi, scenes.iloc[:0], distance_m=200.0)
    assert none.candidates["count"].is_monotonic_decreasing and len(none.candidates) == 2


def test_candidates_far_from_ceased() -> None:
    cands = gpd.GeoDataFrame(
        {"candidate_id": ["C001", "C002"]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(5000, 0, 5100, 100)],
        crs=3006,
    )
    ceased = gpd.GeoDataFrame([_scene(340.0, 50.0, "S9")], crs=3006)
    far = candidates_far_from(cands, ceased, 1000.0)
    assert far["candidate_id"].tolist() == ["C002"]
    assert far["nearest_ceased_id"].tolist() == ["S9"]
    assert far["nearest_ceased_m"].iloc[0] == pytest.approx(5000 - 380)
    assert len(candidates_far_from(cands, ceased, 100.0)) == 2
    assert len(candidates_far_from(cands, ceased.iloc[:0], 100.0)) == 2


@pytest.fixture(scope="module")
def demo():
    """The demo county, its 2023 round, synthetic incidents and a planted unregistered
    cluster (drug offences and violence from July, 2+ km from every scene of every round)."""
    from drugscenes.demo.incidents import generate_incidents
    from drugscenes.demo.region import make_region, make_rounds

    region = make_region()
    rounds = make_rounds(region)
    scenes = rounds["2023"]
    inc = generate_incidents(region.municipalities, scenes, 60_000, "2023-01-01", "2024-01-01", 3)
    every = shapely.union_all(np.concatenate([r.geometry.values for r in rounds.values()]))
    land = shapely.union_all(region.municipalities.geometry.values)
    rng = np.random.default_rng(5)
    b = region.municipalities.total_bounds
    pts = shapely.points(rng.uniform(b[0], b[2], 4000), rng.uniform(b[1], b[3], 4000))
    ok = shapely.contains(shapely.buffer(land, -1000), pts) & (shapely.distance(pts, every) > 2500)
    px, py = shapely.get_x(pts[ok][0]), shapely.get_y(pts[ok][0])
    k = 50
    t0 = pd.Timestamp("2023-07-01", tz="UTC")
    planted = pd.DataFrame(
        {
            "incident_id": [f"planted-{i}" for i in range(k)],
            "time": t0 + pd.to_timedelta(np.sort(rng.uniform(0, 180, k)), unit="D"),
            "category": rng.choice(["drug offence", "violence"], k),
            "x": px + rng.normal(0, 40, k),
            "y": py + rng.normal(0, 40, k),
        }
    )
    base = inc[["incident_id", "time", "category", "x", "y"]].astype({"category": str})
    both = pd.concat([base, planted], ignore_index=True)
    return region.municipalities, scenes, both, (px, py)


def test_demo_planted_scene_is_found_and_registered_scenes_are_not(demo) -> None:
    municipalities, scenes, incidents, (px, py) = demo
    res = analyse_hotspots(
        incidents, municipalities, scenes, "2023-01-01", "2024-01-01", cell_m=200.0, band_m=400.0
    )
    cands = res.candidates.candidates
    assert len(cands) >= 1
    top = cands.iloc[0]
    assert top["geometry"].distance(shapely.Point(px, py)) < 200
    assert top["count"] >= 40
    # No candidate within 200 m of a registered scene of the round …
    assert (cands["nearest_scene_m"] > 200).all()
    d = shapely.distance(
        np.asarray(cands.geometry.values)[:, None], np.asarray(scenes.geometry.values)[None, :]
    )
    assert (d > 200).all()
    # … while the registered scenes were hot (the filter did something).
    assert len(res.candidates.near_registered) >= 20
    assert res.emerging is not None and len(res.emerging.periods) == 12
    assert top["trend"] == "increasing"
    assert POLICE_ACTIVITY_NOTE in res.notes
    out = res.to_dict()
    assert out["candidates"]["n_candidates"] == len(cands)
    assert sum(out["cells_by_gi_bin"].values()) == res.grid.n_cells


def test_analyse_says_why_it_cannot(demo) -> None:
    municipalities, scenes, incidents, _ = demo
    with pytest.raises(DataError, match="no incidents of violence inside the region"):
        analyse_hotspots(
            incidents, municipalities, scenes, "2030-01-01", "2030-07-01", categories=["violence"]
        )
    with pytest.raises(UsageError, match="smaller than a cell"):
        analyse_hotspots(incidents, municipalities, scenes, "2023-01-01", "2024-01-01", band_m=50)
    with pytest.raises(UsageError, match="too large"):
        analyse_hotspots(
            incidents, municipalities, scenes, "2023-01-01", "2024-01-01",
            cell_m=500_000.0, band_m=600_000.0,
        )  # fmt: skip
    short = analyse_hotspots(
        incidents,
        municipalities,
        scenes,
        "2023-01-01",
        "2024-01-01",
        categories=["shooting"],
        cell_m=500.0,
        band_m=1000.0,
        period="quarter",
    )
    assert short.emerging is None and "2/n!" in (short.trend_note or "")
    assert POLICE_ACTIVITY_NOTE not in short.notes


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, demo):
    """A workspace of the demo county with round 2023 and the demo incidents stored."""
    from drugscenes.store import RoundRecord, create_workspace, open_workspace

    municipalities, scenes, incidents, _ = demo
    path = tmp_path_factory.mktemp("hs") / "county.gpkg"
    with create_workspace(path, municipalities[["code", "name", "geometry"]], "Demo") as store:
        sc = scenes.copy()
        sc["id_given"] = True
        store.write_round(RoundRecord("2023", "2023-10-01", None, "x", "x"), sc, replace=False)
    inc = incidents.copy()
    inc["source_type"] = inc["category"]
    inc["police_activity"] = inc["category"] == "drug offence"
    inc["municipality_code"] = "0180"
    with open_workspace(path) as store:
        store.write_incidents(inc)
    return path


def _cli(*args: object) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from drugscenes.cli.app import DrugscenesTyper
    from drugscenes.cli.hotspots import register

    app = DrugscenesTyper()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "hotspots" a sub-command, as in the real application
        pass

    r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_cli_hotspots_json_and_gpkg(workspace, demo, tmp_path) -> None:
    import json

    import pyogrio

    _, _, _, (px, py) = demo
    out = tmp_path / "hs.gpkg"
    code, stdout, stderr = _cli(
        "hotspots", workspace, "--round", "2023", "--from", "2023-01-01", "--to", "2023-12-31",
        "--cell", "200", "--band", "400", "--json", "--gpkg", out,
    )  # fmt: skip
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["round"] == "2023" and data["candidates"]["n_candidates"] >= 1
    top = data["candidates"]["candidates"][0]
    assert math.hypot(top["x"] - px, top["y"] - py) < 600
    assert "police activity" in stderr
    layers = dict(pyogrio.list_layers(out))
    assert {"candidates", "near_registered", "cells"} <= set(layers)
    cells = pyogrio.read_dataframe(out, layer="cells")
    assert cells.crs.to_epsg() == 3006 and (cells["gi_bin"].abs() <= 3).all()


def test_cli_hotspots_clear_messages(workspace, tmp_path) -> None:
    base = ["hotspots", workspace, "--round", "2023", "--from", "2023-01-01"]
    code, stdout, stderr = _cli(*base, "--to", "2023-03-31", "--cell", "500", "--band", "1000")
    assert code == 0 and "2/n!" in stderr and "Candidate scenes" in stdout
    code, _, stderr = _cli(*base, "--to", "2023-12-31", "--band", "50")
    assert code == 2 and "smaller than a cell" in stderr
    code, _, stderr = _cli(*base[:4], "--from", "2030-01-01", "--to", "2030-06-30")
    assert code == 1 and "no incidents" in stderr
    code, _, stderr = _cli(*base, "--to", "2023-12-31", "--category", "drugs")
    assert code == 1 and "categories present" in stderr
    # A copy of the workspace has no incidents folder beside it.
    bare = tmp_path / "bare.gpkg"
    shutil.copy(workspace, bare)
    code, _, stderr = _cli("hotspots", bare, *base[2:], "--to", "2023-12-31")
    assert code == 1 and "no incidents are imported" in stderr and "bare.gpkg" in stderr
    code, _, stderr = _cli(
        "hotspots", workspace, "--round", "1999", *base[4:], "--to", "2023-12-31"
    )
    assert code == 1 and "1999" in stderr
    # --to is the last day, included, as in the other commands; before --from is refused.
    code, _, stderr = _cli(*base, "--to", "2022-12-31")
    assert code == 2 and "before --from" in stderr


def test_months_follow_the_calendar_of_the_start() -> None:
    # 2023-01-31 23:30 UTC is 00:30 on 1 February in Stockholm: with local days the
    # incident belongs to February, with UTC days to January.
    from drugscenes.periods import local_day

    local = make_periods(local_day("2023-01-01"), local_day("2023-03-01"), "month")
    assert [p.label for p in local] == ["2023-01", "2023-02"]
    assert local[1].start == pd.Timestamp("2023-01-31 23:00", tz="UTC")
    utc = make_periods("2023-01-01", "2023-03-01", "month")
    assert utc[1].start == pd.Timestamp("2023-02-01 00:00", tz="UTC")
    t = pd.Timestamp("2023-01-31 23:30", tz="UTC")
    assert local[1].start <= t < local[1].end and utc[0].start <= t < utc[0].end
    # Summer time: July starts at 22:00 UTC the day before.
    july = make_periods(local_day("2023-07-01"), local_day("2023-08-01"), "month")
    assert july[0].start == pd.Timestamp("2023-06-30 22:00", tz="UTC")
