"""Benchmark of hot-spot surveillance: Gi* by convolution and binned FFT KDE.

Gi*: drugscenes' ``gi_star`` on an N × N grid (100 m cells, 300 m band: 29 neighbours per
cell, cell included) against what a Python user would pick, PySAL: libpysal
``DistanceBand`` weights over the cell centres plus ``esda.G_Local(star=True,
transform='B')`` with analytical p-values only (``permutations=0``; esda's default of 999
permutations would be far slower still). esda cannot run 1,000 × 1,000 cells in reasonable
time and memory, so it is timed on smaller grids and its time extrapolated to 10⁶ cells
with the exponent fitted (least squares on log time vs log cells) over those grids. The
z-scores of both are compared on the largest esda grid.

KDE: drugscenes' ``kde`` (linear binning + FFT, quartic and Gaussian kernels) of N points
on a 1,000 × 1,000 grid (100 m cells, h = 300 m) against ``scipy.stats.gaussian_kde``
fitted on the same points and evaluated on a random sample of grid cells, its time per
evaluated cell extrapolated to all 10⁶ cells (its cost is linear in the cells evaluated).

Usage::

    .venv/bin/python benchmarks/bench_hotspots.py [--grid 1000] [--esda-sizes 50,100,200]
        [--points 1e7] [--kde-sample 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings
from collections.abc import Callable

import numpy as np
import shapely

from drugscenes.analysis.grid import make_grid
from drugscenes.analysis.hotspots import gi_star, kde

CELL = 100.0
BAND = 300.0


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def counts_for(n_cells: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.3, n_cells).astype(float)
    x[rng.choice(n_cells, max(n_cells // 500, 1), replace=False)] += rng.poisson(
        8, max(n_cells // 500, 1)
    )
    return x


def bench_gi(size: int, esda_sizes: list[int], repeat: int) -> None:
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    print(f"== Gi* ({CELL:g} m cells, band {BAND:g} m) ==")
    grid = make_grid(shapely.box(0, 0, size * CELL, size * CELL), CELL)
    x = counts_for(grid.n_cells)
    t_ours, _ = best_of(lambda: gi_star(grid, x, BAND), repeat)
    print(f"drugscenes gi_star  {size} x {size} ({grid.n_cells:,} cells): {t_ours:.3f} s")
    cells, times, t_weights = [], [], []
    z_diff = float("nan")
    for n in esda_sizes:
        g = make_grid(shapely.box(0, 0, n * CELL, n * CELL), CELL)
        v = counts_for(g.n_cells, seed=n)
        cx, cy = g.centres()

        def run_esda(cx=cx, cy=cy, v=v) -> tuple[float, np.ndarray]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                w = DistanceBand(np.c_[cx, cy], threshold=BAND, binary=True, silence_warnings=True)
                tw = time.perf_counter() - t0
                z = G_Local(v, w, transform="B", star=True, permutations=0).Zs
            return tw, z

        t, (tw, z) = best_of(run_esda, 1 if n >= 200 else repeat)
        t_o, ours = best_of(lambda g=g, v=v: gi_star(g, v, BAND), repeat)
        z_diff = float(np.abs(ours.z - z).max())
        cells.append(g.n_cells)
        times.append(t)
        t_weights.append(tw)
        print(
            f"esda G_Local      {n} x {n} ({g.n_cells:,} cells): {t:.3f} s "
            f"(of which DistanceBand {tw:.3f} s); drugscenes {t_o:.4f} s; "
            f"ratio {t / t_o:,.0f}x; max |z diff| {z_diff:.1e}"
        )
    slope, icpt = np.polyfit(np.log(cells), np.log(times), 1)
    t_ext = float(np.exp(icpt) * grid.n_cells**slope)
    print(
        f"esda extrapolated to {grid.n_cells:,} cells with time ∝ cells^{slope:.2f} "
        f"(fitted on {', '.join(f'{c:,}' for c in cells)} cells): {t_ext:,.1f} s"
    )
    print(f"speed-up at {size} x {size}: {t_ext / t_ours:,.0f}x (target >= 100x)")


def bench_kde(size: int, n_points: int, sample: int, repeat: int) -> None:
    from scipy.stats import gaussian_kde

    print(f"== KDE ({n_points:,} points, {size} x {size} grid of {CELL:g} m, h = 300 m) ==")
    extent = size * CELL
    grid = make_grid(shapely.box(0, 0, extent, extent), CELL)
    rng = np.random.default_rng(1)
    # A mixture: uniform background plus 200 tight clusters, as incidents are.
    n_bg = n_points // 2
    centres = rng.uniform(0.1 * extent, 0.9 * extent, (200, 2))
    pick = rng.integers(0, 200, n_points - n_bg)
    x = np.concatenate(
        [rng.uniform(0, extent, n_bg), centres[pick, 0] + rng.normal(0, 150, pick.size)]
    )
    y = np.concatenate(
        [rng.uniform(0, extent, n_bg), centres[pick, 1] + rng.normal(0, 150, pick.size)]
    )
    for kernel in ("quartic", "gaussian"):
        t, r = best_of(lambda kernel=kernel: kde(grid, x, y, 300.0, kernel=kernel), repeat)
        print(
            f"drugscenes kde ({kernel}): {t:.3f} s  (mass {r.mass_total:,.6f} of "
            f"{r.n_points:,} points, |diff| {abs(r.mass_total - r.n_points):.1e})"
            f"  {'< 2 s OK' if t < 2 else '>= 2 s: target missed'}"
        )
    t0 = time.perf_counter()
    sk = gaussian_kde(np.vstack([x, y]))
    t_fit = time.perf_counter() - t0
    cx, cy = grid.centres()
    idx = rng.choice(grid.n_cells, sample, replace=False)
    t0 = time.perf_counter()
    sk(np.vstack([cx[idx], cy[idx]]))
    t_eval = time.perf_counter() - t0
    t_all = t_fit + t_eval / sample * grid.n_cells
    print(
        f"scipy gaussian_kde: fit {t_fit:.2f} s, {sample} cells evaluated in {t_eval:.2f} s "
        f"-> all {grid.n_cells:,} cells extrapolated (linear in cells) {t_all:,.0f} s "
        f"({t_all / 3600:,.1f} h)"
    )
    t_q, _ = best_of(lambda: kde(grid, x, y, 300.0, kernel="gaussian"), 1)
    print(f"speed-up (Gaussian vs gaussian_kde extrapolated): {t_all / t_q:,.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=1000, help="grid side in cells")
    ap.add_argument("--esda-sizes", default="50,100,200", help="grid sides timed with esda")
    ap.add_argument("--points", type=float, default=1e7, help="points for the KDE")
    ap.add_argument("--kde-sample", type=int, default=20, help="cells gaussian_kde evaluates")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["gi", "kde"], default=None)
    a = ap.parse_args()
    if a.only in (None, "gi"):
        bench_gi(a.grid, [int(s) for s in a.esda_sizes.split(",")], a.repeat)
    if a.only in (None, "kde"):
        bench_kde(a.grid, int(a.points), a.kde_sample, a.repeat)


if __name__ == "__main__":
    main()
