"""Local exact Poisson hot spots: each cell's neighbourhood count against the incidents
around it, a test that is valid for sparse counts (the default method of
:func:`~drugscenes.analysis.hotspots.analyse_hotspots`).

For cell i and a neighbourhood radius r (the cells within r, as :func:`band_kernel`),
``N`` is the neighbourhood's count and ``S_k`` the count of half k (east, west, north,
south) of the *surrounding ring*: the in-region cells farther than the band and at most
``baseline_m`` away. Given ``N + S_k``, under a rate in the neighbourhood of at most
``min_ratio`` times that of half k, ``N`` is at most binomial with
``p_k = ρ·a_N / (ρ·a_N + a_k)`` (ρ = ``min_ratio``, ``a`` = in-region cells): the exact
conditional test of two Poisson rates (Przyborowski & Wilenski 1940; Breslow & Day 1987,
§7.2). A cell is hot only when the test rejects against *every* half
(intersection-union: ``p = max_k p(k)``, Berger 1982), so a step (the edge of a dense city)
or a gradient does not make hot spots, since the half facing the denser side is never
exceeded. Hot spots are cells whose local rate is significantly above ``min_ratio`` times
that of every side around them: places, not districts.

Why the ring excludes the neighbourhood (and the band around the smaller radii): the
conditional test needs disjoint areas, and a place's own incidents must not raise its
own expected count. Why conditional: the ring's rate is estimated from the same data,
so plugging it in as known would be anti-conservative where the ring holds few
incidents; conditioning on ``N + S_k`` makes the test exact for any count, however sparse,
and no normal approximation is made.

Several radii (default: one cell and the band) catch both a small place in a dense city
and a diffuse one; the p-value of a cell is the smallest over the radii times their number
(Bonferroni). Cells whose smallest attainable p-value (every incident of the window in
the neighbourhood) exceeds ``alpha`` are not tested (Tarone 1990: they could never be
significant; the filter depends only on the window's total, which leaves the test exact),
and Benjamini-Hochberg (1995) runs over the tested cells, per slice and per side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sp_fft
from scipy import ndimage, special, stats

from drugscenes.analysis.grid import Grid
from drugscenes.analysis.hotspots.gistar import band_kernel, check_band, confidence_bin
from drugscenes.errors import UsageError
from drugscenes.stats.multiple import fdr_bh

__all__ = ["LocalPoisson", "local_poisson", "local_poisson_blocks"]

_Z_CAP = 37.5  # z-equivalent of p = 1e-308


@dataclass(frozen=True, eq=False)
class LocalPoisson:
    """Local exact Poisson hot spots on a grid (result of :func:`local_poisson`).

    Arrays have the shape of the values given: ``(n_cells,)`` or ``(n_slices, n_cells)``.
    The attributes ``band_m``, ``fdr``, ``n``, ``n_neighbours``, ``z``, ``p``, ``q``,
    ``bin``, ``constant_slices`` and :meth:`significant` mean what they mean for
    :class:`~drugscenes.analysis.hotspots.gistar.GiStar`, so both feed the candidates and
    the emerging patterns alike.

    Attributes
    ----------
    band_m, baseline_m : float
    radii_m : tuple of float
        Neighbourhood radii tested.
    min_ratio : float
        ρ: hot means a local rate above ρ times that of every side around.
    fdr : bool
    n : int
        In-region cells.
    n_neighbours : ndarray of int
        In-region cells within the band.
    observed : ndarray of int
        Incidents within the band.
    expected : ndarray
        The band's share of the surrounding ring's incidents (its area times the ring's
        rate): what the band would hold at the rate around it.
    rate_ratio : ndarray
        ``observed / expected`` (inf when nothing is expected but something observed,
        NaN when both are 0).
    p_hot, p_cold : ndarray
        One-sided exact p-values (Bonferroni over the radii); NaN where not tested.
    z : ndarray
        Normal equivalent of the smaller one-sided p-value, signed (+ hot, − cold); 0
        where not tested. A display value: the test is the exact p-value.
    p : ndarray
        The smaller one-sided p-value (``p_hot`` where z ≥ 0, else ``p_cold``).
    q : ndarray
        Its Benjamini-Hochberg adjusted value (over the tested cells of its slice and side).
    bin : ndarray of int8
        −3..3 as Gi_Bin, from ``q`` (``fdr``) or ``p``.
    tested_hot, tested_cold : ndarray of bool
    constant_slices : tuple of int
        Slices without any incident.
    """

    band_m: float
    baseline_m: float
    radii_m: tuple[float, ...]
    min_ratio: float
    fdr: bool
    n: int
    n_neighbours: NDArray[np.int64]
    observed: NDArray[np.int64]
    expected: NDArray[np.float64]
    rate_ratio: NDArray[np.float64]
    p_hot: NDArray[np.float64]
    p_cold: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    bin: NDArray[np.int8]
    tested_hot: NDArray[np.bool_]
    tested_cold: NDArray[np.bool_]
    constant_slices: tuple[int, ...] = ()

    method = "local-poisson"

    def significant(self, alpha: float = 0.05) -> NDArray[np.bool_]:
        """Cells significant at ``alpha`` (FDR-adjusted if ``fdr``)."""
        test = self.q if self.fdr else self.p
        return np.nan_to_num(test, nan=1.0) <= alpha

    def parameters(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "band_m": self.band_m,
            "baseline_m": self.baseline_m,
            "radii_m": list(self.radii_m),
            "min_rate_ratio": self.min_ratio,
        }


def _ring_kernels(
    band_m: float, baseline_m: float, cell_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The ring (band < d ≤ baseline) and its east and north halves, as odd squares.

    The halves are proper halves (a 180° turn maps east onto west): cells on the x axis
    (dx = 0) belong to the east half when dy > 0, and on the y axis to north when dx < 0.
    """
    outer = band_kernel(baseline_m, cell_m)
    r = outer.shape[0] // 2
    inner = np.zeros_like(outer)
    b = band_kernel(band_m, cell_m)
    rb = b.shape[0] // 2
    inner[r - rb : r + rb + 1, r - rb : r + rb + 1] = b
    ring = outer * (1 - inner)
    off = np.arange(-r, r + 1)
    dy, dx = off[:, None], off[None, :]  # row offset is y (rows grow northwards)
    east = ring * ((dx > 0) | ((dx == 0) & (dy > 0)))
    north = ring * ((dy > 0) | ((dy == 0) & (dx < 0)))
    return ring, east, north


_Spectra = dict[tuple[int, int], tuple[list[NDArray[np.complex128]], NDArray[np.int64]]]
"""Per padded shape: the kernels' transforms and the in-region cells' flat indices."""


def _sums(
    grid: Grid,
    raster: NDArray[np.float64],
    kernels: list[NDArray[np.float64]],
    spectra: _Spectra | None = None,
    direct_taps: int = 0,
) -> list[NDArray[np.float64]]:
    """Sums over each kernel (odd squares, centred) at every in-region cell, rounded
    (integer inputs): one forward FFT of the raster (last two axes) shared by the kernels
    of more than ``direct_taps`` cells, the smaller ones summed directly (the same whole
    numbers, and no spectrum of theirs is kept; only a zero's sign may differ, −0.0 from
    the FFT's rounding noise).

    ``spectra``, a dict kept by the caller, holds the kernels' transforms for the next call
    on a raster of the same shape (every block of periods)."""
    large = [i for i, k in enumerate(kernels) if np.count_nonzero(k) > direct_taps]
    out: list[NDArray[np.float64] | None] = [None] * len(kernels)
    if large:
        found = _fft_sums(grid, raster, [kernels[i] for i in large], spectra)
        for i, values in zip(large, found, strict=True):
            out[i] = values
        del found
    for i, k in enumerate(kernels):
        if out[i] is None:
            weights = k.reshape((1,) * (raster.ndim - 2) + k.shape)  # per slice
            full = ndimage.correlate(raster, weights, mode="constant", cval=0.0)
            out[i] = np.rint(grid.compact(full))
            del full
    return [v for v in out if v is not None]


_DIRECT_TAPS = 64
"""In :func:`local_spots`, kernels with at most this many cells (the default radii of one
cell and 300 m on 100 m cells: 5 and 29) are summed directly: as fast as their FFT, and
no spectrum is held. :func:`local_poisson_blocks` sums every kernel by FFT, as it always
did: the sign of a zero count there (−0.0 from rounding noise) shows in ``rate_ratio``."""


def _fft_sums(
    grid: Grid,
    raster: NDArray[np.float64],
    kernels: list[NDArray[np.float64]],
    spectra: _Spectra | None = None,
) -> list[NDArray[np.float64]]:
    """Sums over each kernel by FFT (see :func:`_sums`), rounded."""
    r = max(k.shape[0] for k in kernels) // 2
    ny, nx = raster.shape[-2:]
    shape = (sp_fft.next_fast_len(ny + 2 * r, real=True), sp_fft.next_fast_len(nx + 2 * r, True))
    spec = sp_fft.rfft2(raster, s=shape, workers=-1)
    cached = None if spectra is None else spectra.get(shape)
    if cached is None:
        transforms = []
        for k in kernels:
            big = np.zeros(shape)
            h = k.shape[0] // 2
            # The kernel centred on (0, 0) with wrap-around: a circular convolution of the
            # zero-padded raster equals the linear one inside the raster.
            big[np.ix_(np.arange(-h, h + 1) % shape[0], np.arange(-h, h + 1) % shape[1])] = k
            transforms.append(sp_fft.rfft2(big, workers=-1))
        # The in-region cells within the padded result: read there directly, without a
        # copy of the (ny, nx) corner.
        index = grid.cells // nx * shape[1] + grid.cells % nx
        cached = (transforms, index)
        if spectra is not None:
            spectra[shape] = cached
    transforms, index = cached
    out = []
    product = np.empty_like(spec)
    for kspec in transforms:
        np.multiply(spec, kspec, out=product)
        conv = sp_fft.irfft2(product, s=shape, workers=-1)
        values = conv.reshape(*conv.shape[:-2], -1)[..., index]
        del conv
        out.append(np.rint(values, out=values))
    return out


_BLOCK_ELEMENTS = 1_000_000
"""Raster cells (slices x padded grid) whose sums are computed at once: bounds the FFT's
memory (a few arrays of this many complex numbers) whatever the number of periods."""


def _null_q(
    a_n: NDArray[np.number], a_k: NDArray[np.number], r: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Null proportions (hot, cold) of a neighbourhood of area ``a_n`` against a half of
    area ``a_k`` (elementwise: the same values for all cells or any subset of them)."""
    a_n, a_k = np.asarray(a_n, np.float64), np.asarray(a_k, np.float64)  # areas are int32
    with np.errstate(divide="ignore", invalid="ignore"):
        q_hot = np.where(a_k > 0, r * a_n / (r * a_n + a_k), 1.0)
        q_cold = np.where(a_k > 0, a_n / (a_n + r * a_k), 1.0)
    return q_hot, q_cold


def _tarone(
    disk_n: list[NDArray[np.float64]],
    ring_n: NDArray[np.float64],
    logs: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
    level: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The Tarone filter: the cells (of any shape of slices and cells) whose hot or cold
    test can reach ``level`` at some radius.

    ``logs`` holds per radius the filter's ``log max_k q_hot`` and ``log(1 - min_k
    q_cold)`` of each cell."""
    log_level = math.log(level)
    tested_hot = np.zeros(ring_n.shape, bool)
    tested_cold = np.zeros(ring_n.shape, bool)
    for n_obs, (log_h, log_c) in zip(disk_n, logs, strict=True):
        # Smallest attainable p-value given the window's total W (every incident of the
        # window in the neighbourhood for hot, none there for cold) is max_k q_k^W, so a
        # cell can reach alpha / m when W·log(max_k q_k) ≤ log(alpha / m).
        window = n_obs + ring_n  # the filter's statistic: independent of the split
        tested_hot |= (window * log_h <= log_level) & (log_h < 0)
        tested_cold |= (window * log_c <= log_level) & (log_c < 0)
    return tested_hot, tested_cold


def _exact(
    disk_n: list[NDArray[np.float64]],
    counts: list[NDArray[np.float64]],
    disk_a: list[NDArray[np.int32]],
    areas: list[NDArray[np.int32]],
    r: float,
    tested: tuple[NDArray[np.bool_], NDArray[np.bool_]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The exact p-values (hot, cold; Bonferroni over the radii) of the cells the filter
    kept (``tested``, from :func:`_tarone`), NaN elsewhere. The null proportions are
    computed for the tested cells only (:func:`_null_q`), not kept for all cells, halves
    and radii."""
    tested_hot, tested_cold = tested
    p_hot = np.ones(tested_hot.shape)
    p_cold = np.ones(tested_cold.shape)
    for n_obs, a_n in zip(disk_n, disk_a, strict=True):
        ih = np.nonzero(tested_hot & (n_obs > 0))  # no incident: P(X ≥ 0) = 1
        ic = np.nonzero(tested_cold)
        ph = np.zeros(ih[0].size)
        pc = np.zeros(ic[0].size)
        cell_h, cell_c = ih[-1], ic[-1]  # the cell axis: q depends on the cell only
        nh, nc = n_obs[ih].astype(np.int64), n_obs[ic].astype(np.int64)
        for s_k, a_k in zip(counts, areas, strict=True):
            q_hot = _null_q(a_n[cell_h], a_k[cell_h], r)[0]
            q_cold = _null_q(a_n[cell_c], a_k[cell_c], r)[1]
            th, tc = nh + s_k[ih].astype(np.int64), nc + s_k[ic].astype(np.int64)
            ph = np.maximum(ph, special.bdtrc(nh - 1, th, q_hot))  # P(X ≥ N)
            pc = np.maximum(pc, special.bdtr(nc, tc, q_cold))  # P(X ≤ N)
        p_hot[ih] = np.minimum(p_hot[ih], ph)
        p_cold[ic] = np.minimum(p_cold[ic], pc)
    m = len(disk_n)
    np.minimum(1.0, m * p_hot, out=p_hot)
    np.minimum(1.0, m * p_cold, out=p_cold)
    p_hot[~tested_hot] = np.nan
    p_cold[~tested_cold] = np.nan
    return p_hot, p_cold


def local_poisson(
    grid: Grid,
    values: ArrayLike,
    band_m: float,
    baseline_m: float = 2000.0,
    radii_m: tuple[float, ...] | None = None,
    min_ratio: float = 1.5,
    alpha: float = 0.05,
    fdr: bool = True,
) -> LocalPoisson:
    """Exact local Poisson test of each cell's neighbourhood against the ring around it.

    See the module docstring for the test. Hot at radius r against half k:
    ``P(X ≥ N)``, ``X ~ Bin(N + S_k, ρ·a_N/(ρ·a_N + a_k))``; cold:
    ``P(X ≤ N)``, ``X ~ Bin(N + S_k, a_N/(a_N + ρ·a_k))``; a cell's one-sided p-value is
    the largest over the halves and the smallest over the radii times their number.

    Parameters
    ----------
    grid : Grid
    values : array_like of int, shape (n_cells,) or (n_slices, n_cells)
        Counts (several slices, e.g. months, at once).
    band_m : float
        The widest neighbourhood (as the Gi* band); at least one cell.
    baseline_m : float, default 2000
        Outer radius of the surrounding ring; more than ``band_m``.
    radii_m : tuple of float, optional
        Neighbourhood radii, each from one cell to ``band_m``; default ``(cell, band)``.
    min_ratio : float, default 1.5
        ρ ≥ 1.
    alpha : float, default 0.05
        Cells whose smallest attainable p-value exceeds it are not tested.
    fdr : bool, default True

    Returns
    -------
    LocalPoisson

    Examples
    --------
    >>> import shapely
    >>> from drugscenes.analysis.grid import make_grid
    >>> g = make_grid(shapely.box(0, 0, 6000, 6000), 100.0)
    >>> x = np.zeros(g.n_cells, dtype=int)
    >>> x[g.locate([3050.0] * 12, [3050.0] * 12)] = 12  # 12 incidents in one cell, else none
    >>> r = local_poisson(g, x, 300.0)
    >>> int(r.bin[g.locate([3050.0], [3050.0])][0]), int((r.bin >= 2).sum()) > 1
    (3, True)
    """
    return _assemble(
        local_poisson_blocks(
            grid,
            values,
            band_m,
            baseline_m=baseline_m,
            radii_m=radii_m,
            min_ratio=min_ratio,
            alpha=alpha,
            fdr=fdr,
        ),
        np.ndim(values) == 1,
    )


def _assemble(blocks: Iterator[tuple[slice, LocalPoisson]], single: bool) -> LocalPoisson:
    """One result from the blocks of :func:`local_poisson_blocks`."""
    parts = list(blocks)
    first = parts[0][1]
    names = [
        "observed", "expected", "rate_ratio", "p_hot", "p_cold", "z", "p", "q", "bin",
        "tested_hot", "tested_cold",
    ]  # fmt: skip
    arrays = {k: np.concatenate([getattr(b, k) for _, b in parts]) for k in names}
    constant = tuple(sl.start + i for sl, b in parts for i in b.constant_slices)
    if single:
        arrays = {k: a[0] for k, a in arrays.items()}
    return replace(first, constant_slices=constant, **arrays)


def local_poisson_blocks(
    grid: Grid,
    values: ArrayLike,
    band_m: float,
    baseline_m: float = 2000.0,
    radii_m: tuple[float, ...] | None = None,
    min_ratio: float = 1.5,
    alpha: float = 0.05,
    fdr: bool = True,
) -> Iterator[tuple[slice, LocalPoisson]]:
    """:func:`local_poisson` a block of slices at a time: ``(slices, result)`` pairs whose
    arrays have shape (block, n_cells) (``constant_slices`` within the block).

    Slices are independent (the FFT and the FDR work per slice), so the blocks are exactly
    the rows of one call; the padded rasters, spectra and p-values of all periods are never
    held at once. A caller that keeps only the spots of each period uses
    :func:`local_spots` instead. Parameters as :func:`local_poisson`; ``values`` 1-D is
    one slice.
    """
    radii = _radii(grid, band_m, baseline_m, radii_m, min_ratio)
    v2 = _counts(grid, values)
    f = _frame(grid, band_m, baseline_m, radii, min_ratio, alpha)
    n_sl, n = v2.shape
    ny, nx = grid.shape
    step = max(1, _BLOCK_ELEMENTS // max(n, (ny + 2 * f.reach) * (nx + 2 * f.reach)))
    band_a = f.disk_a[f.band_at]
    for lo in range(0, n_sl, step):
        sl = slice(lo, min(lo + step, n_sl))
        vb = v2[sl].astype(np.float64)
        raster = grid.raster(vb, fill=0.0)
        ring_n, east_n, north_n, *disk_n = _sums(grid, raster, f.kernels, f.spectra)
        del raster
        counts = [east_n, ring_n - east_n, north_n, ring_n - north_n]
        tested_hot, tested_cold = _tarone(disk_n, ring_n, f.logs, f.level)
        p_hot, p_cold = _exact(
            disk_n, counts, f.disk_a, f.areas, f.ratio, (tested_hot, tested_cold)
        )
        del counts, east_n, north_n
        observed = disk_n[f.band_at]
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.where(f.ring_a > 0, ring_n * band_a / f.ring_a, np.nan)
        del ring_n, disk_n
        q_hot, q_cold = fdr_bh(p_hot), fdr_bh(p_cold)
        p, q, z = _sides(p_hot, p_cold, q_hot, q_cold)
        del q_hot, q_cold
        b = confidence_bin(z, q if fdr else p)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(
                expected > 0, observed / expected, np.where(observed > 0, np.inf, np.nan)
            )
        constant = tuple(int(i) for i in np.flatnonzero(vb.sum(axis=1) == 0))
        yield (
            sl,
            LocalPoisson(
                band_m=float(band_m),
                baseline_m=float(baseline_m),
                radii_m=f.radii,
                min_ratio=f.ratio,
                fdr=fdr,
                n=grid.n_cells,
                n_neighbours=band_a.astype(np.int64),
                observed=observed.astype(np.int64),
                expected=expected,
                rate_ratio=ratio,
                p_hot=p_hot,
                p_cold=p_cold,
                z=z,
                p=p,
                q=q,
                bin=b,
                tested_hot=tested_hot,
                tested_cold=tested_cold,
                constant_slices=constant,
            ),
        )


@dataclass(frozen=True, eq=False)
class SliceSpots:
    """The significant spots of one slice (result of :func:`local_spots`).

    Attributes
    ----------
    hot, cold : ndarray of int64
        In-region cells (compact indices, ascending) that are a hot (cold) spot at
        ``alpha``: exactly ``significant(alpha) & (z > 0)`` (``< 0``) of
        :func:`local_poisson` on the slice.
    observed : ndarray of float64, shape (n_cells,)
        Incidents within the band (whole numbers).
    constant : bool
        The slice has no incident.
    """

    hot: NDArray[np.int64]
    cold: NDArray[np.int64]
    observed: NDArray[np.float64]
    constant: bool


def local_spots(
    grid: Grid,
    values: ArrayLike,
    band_m: float,
    baseline_m: float = 2000.0,
    radii_m: tuple[float, ...] | None = None,
    min_ratio: float = 1.5,
    alpha: float = 0.05,
    fdr: bool = True,
) -> Iterator[SliceSpots]:
    """The hot and cold spots of :func:`local_poisson`, one slice at a time, without its
    arrays of every cell.

    The p-values, their FDR adjustment and z are computed only for the cells that can be a
    spot: those the Tarone filter keeps for the cold test, and those it keeps for the hot
    test with an incident within a radius. Every other cell the filter keeps for the hot
    test has ``p_hot = 1`` (no incident: ``P(X ≥ 0) = 1``) and is never a spot (z = 0), so
    it enters the Benjamini-Hochberg family as a 1 only; a cell the filter drops has no
    p-value at all. BH depends on the multiset of p-values only (tied values get one q), so
    the spots are exactly those of :func:`local_poisson`, while a monthly county grid holds
    a few arrays of its cells at a time instead of some thirty (issue 14).
    Parameters as :func:`local_poisson`.
    """
    radii = _radii(grid, band_m, baseline_m, radii_m, min_ratio)
    v2 = _counts(grid, values)
    f = _frame(grid, band_m, baseline_m, radii, min_ratio, alpha, _DIRECT_TAPS)
    for row in v2:
        vb = row.astype(np.float64)
        raster = grid.raster(vb, fill=0.0)
        constant = not vb.any()
        del vb
        ring_n, east_n, north_n, *disk_n = _sums(grid, raster, f.kernels, f.spectra, f.direct_taps)
        del raster
        tested_hot, tested_cold = _tarone(disk_n, ring_n, f.logs, f.level)
        seen = np.logical_or.reduce([n_obs > 0 for n_obs in disk_n])  # within some radius
        work = np.flatnonzero(tested_cold | (tested_hot & seen))
        n_ones = int(np.count_nonzero(tested_hot)) - int(np.count_nonzero(tested_hot[work]))
        tested = (tested_hot[work], tested_cold[work])
        del tested_hot, tested_cold, seen
        sub_n = [d[work] for d in disk_n]
        sub_ring = ring_n[work]
        sub_east, sub_north = east_n[work], north_n[work]
        sub_counts = [sub_east, sub_ring - sub_east, sub_north, sub_ring - sub_north]
        observed = disk_n[f.band_at]
        del ring_n, east_n, north_n, disk_n
        size = work.size
        sub_a = [a[work] for a in f.disk_a]
        p_hot, p_cold = _exact(
            sub_n, sub_counts, sub_a, [a[work] for a in f.areas], f.ratio, tested
        )
        # The hot family: these cells and the n_ones kept cells without an incident (p = 1).
        q_hot = _bh(np.concatenate([p_hot, np.ones(n_ones)]))[:size]
        q_cold = _bh(p_cold)
        p, q, z = _sides(p_hot, p_cold, q_hot, q_cold)
        sig = np.nan_to_num(q if fdr else p, nan=1.0) <= alpha  # LocalPoisson.significant
        yield SliceSpots(work[sig & (z > 0)], work[sig & (z < 0)], observed, constant)


def _bh(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`fdr_bh` of a 1-D array that may be empty (a slice where no cell can be a
    spot)."""
    return fdr_bh(p) if p.size else p.copy()


def _sides(
    p_hot: NDArray[np.float64],
    p_cold: NDArray[np.float64],
    q_hot: NDArray[np.float64],
    q_cold: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The side shown of each cell (the smaller p-value, hot on ties): its ``p``, ``q`` and
    signed normal equivalent ``z`` (0 where not tested)."""
    hot_side = np.nan_to_num(p_hot, nan=1.0) <= np.nan_to_num(p_cold, nan=1.0)
    p = np.where(hot_side, p_hot, p_cold)
    q = np.where(hot_side, q_hot, q_cold)
    tested = ~np.isnan(p)
    zabs = np.zeros(p.shape)
    zabs[tested] = np.clip(stats.norm.isf(np.maximum(p[tested], 1e-308)), 0.0, _Z_CAP)
    return p, q, np.where(hot_side, zabs, -zabs)


def _counts(grid: Grid, values: ArrayLike) -> NDArray[Any]:
    """``values`` as checked counts of shape (n_slices, n_cells), integer or float."""
    v = np.asarray(values)
    if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.bool_)):
        v = v.astype(np.float64)  # integer counts go to floats a block at a time
    v2 = v[None, :] if v.ndim == 1 else v
    if v2.ndim != 2 or v2.shape[1] != grid.n_cells:
        raise UsageError(
            f"values must have shape (n_cells,) or (n_slices, n_cells) with n_cells = "
            f"{grid.n_cells}, got {v.shape}"
        )
    if v2.dtype == np.float64:
        if not (np.isfinite(v2).all() and (v2 >= 0).all() and np.array_equal(v2, np.rint(v2))):
            raise UsageError("values must be counts: non-negative integers")
    elif v2.size and v2.min() < 0:
        raise UsageError("values must be counts: non-negative integers")
    return v2


@dataclass(frozen=True, eq=False)
class _Frame:
    """What the test of every slice shares: kernels (ring, east, north halves, the radii's
    disks) and their spectra, in-region areas of the ring, its halves and the disks, the
    Tarone filter's logs per radius, and the levels."""

    radii: tuple[float, ...]
    kernels: list[NDArray[np.float64]]
    spectra: _Spectra
    direct_taps: int
    reach: int
    ring_a: NDArray[np.int32]
    disk_a: list[NDArray[np.int32]]
    areas: list[NDArray[np.int32]]
    logs: list[tuple[NDArray[np.float64], NDArray[np.float64]]]
    band_at: int
    ratio: float
    level: float


def _radii(
    grid: Grid,
    band_m: float,
    baseline_m: float,
    radii_m: tuple[float, ...] | None,
    min_ratio: float,
) -> tuple[float, ...]:
    """Check the parameters of the test (before its values); the radii tested."""
    for v, name in ((band_m, "band"), (baseline_m, "baseline")):
        if not (math.isfinite(v) and v > 0):
            raise UsageError(f"the {name} must be a positive number of metres, got {v}")
    check_band(grid, band_m)
    if baseline_m < band_m + grid.cell_m:
        raise UsageError(
            f"the baseline ({baseline_m:g} m) must reach at least one cell beyond the band "
            f"({band_m:g} m): the ring around a cell would be empty"
        )
    if not (math.isfinite(min_ratio) and min_ratio >= 1):
        raise UsageError(f"min_ratio must be at least 1, got {min_ratio}")
    radii = tuple(dict.fromkeys((grid.cell_m, band_m) if radii_m is None else radii_m))
    if not radii or any(not (grid.cell_m <= r <= band_m) for r in radii):
        raise UsageError(f"radii must lie between one cell and the band, got {radii}")
    return radii


def _frame(
    grid: Grid,
    band_m: float,
    baseline_m: float,
    radii: tuple[float, ...],
    min_ratio: float,
    alpha: float,
    direct_taps: int = 0,
) -> _Frame:
    """What every slice shares (:class:`_Frame`), for parameters checked by
    :func:`_radii`; ``direct_taps`` as :func:`_sums`."""
    ring_k, east_k, north_k = _ring_kernels(band_m, baseline_m, grid.cell_m)
    disks = [band_kernel(rad, grid.cell_m) for rad in radii]
    kernels = [ring_k, east_k, north_k, *disks]
    mask = grid.inside.astype(np.float64)
    # The kernels' spectra, computed once here, serve every slice (same padded shape).
    spectra: _Spectra = {}
    ring_a, east_a, north_a, *disk_a = _sums(grid, mask, kernels, spectra, direct_taps)
    del mask
    areas = [east_a, ring_a - east_a, north_a, ring_a - north_a]  # east, west, north, south
    r = float(min_ratio)
    m = len(radii)
    logs = []  # per radius: the filter's log max_k q_hot and log(1 - min_k q_cold)
    for a_n in disk_a:
        # One half at a time: not the eight (hot, cold) arrays of all halves at once.
        q_max, q_min = _null_q(a_n, areas[0], r)
        for a_k in areas[1:]:
            q_hot, q_cold = _null_q(a_n, a_k, r)
            np.maximum(q_max, q_hot, out=q_max)
            np.minimum(q_min, q_cold, out=q_min)
            del q_hot, q_cold
        with np.errstate(divide="ignore"):
            log_h = np.log(q_max)
            log_c = np.log(np.subtract(1, q_min, out=q_min))
        logs.append((log_h, log_c))
        del q_max, q_min
    band_at = radii.index(band_m) if band_m in radii else None
    assert band_at is not None  # as before: the band is among the radii
    # Areas are whole numbers of cells: kept as int32 (half the memory), exact in float64.
    ring_a = ring_a.astype(np.int32)
    disk_a = [a.astype(np.int32) for a in disk_a]
    areas = [a.astype(np.int32) for a in areas]
    return _Frame(
        radii=tuple(float(x) for x in radii),
        kernels=kernels,
        spectra=spectra,
        direct_taps=direct_taps,
        reach=max(k.shape[0] for k in kernels) // 2,
        ring_a=ring_a,
        disk_a=disk_a,
        areas=areas,
        logs=logs,
        band_at=band_at,
        ratio=r,
        level=alpha / m,
    )
