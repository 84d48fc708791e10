"""Kernel density of incidents on a grid: binned FFT KDE and the dual KDE (a ratio of two
densities)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from drugscenes.analysis.grid import Grid
from drugscenes.errors import DataError, UsageError

__all__ = ["DualKDE", "KDEResult", "dual_kde", "kde", "rule_of_thumb_bandwidth"]

_KERNELS = ("quartic", "gaussian")
_GAUSS_TRUNCATE = 4.0  # Gaussian kernel cut at 4 bandwidths (renormalised on the grid)
_QUARTIC_PER_GAUSS = 2.0 * math.sqrt(2.0)  # quartic radius with the sd of a unit Gaussian


def rule_of_thumb_bandwidth(x: ArrayLike, y: ArrayLike) -> float:
    """Bandwidth (sd of a Gaussian kernel, metres) by the normal-reference rule in 2-D.

    ``h = σ̂ · n^(−1/6)`` with ``σ̂ = sqrt((s_x² + s_y²)/2)`` and each axis' spread
    ``s = min(sd, IQR/1.349)`` (Silverman 1986, §3.4.2, robust spread; the factor
    ``n^(−1/(d+4))`` is Scott's and, for d = 2, also Silverman's, as in
    ``scipy.stats.gaussian_kde``). It smooths for the region's overall spread: over a
    county it gives kilometres, too wide for scene-sized hot spots, which is why the
    ``hotspots`` command uses the Gi* band instead.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    n = xa.size
    if n < 2:
        raise UsageError("a bandwidth rule needs at least 2 points; give the bandwidth in metres")

    def spread(v: NDArray[np.float64]) -> float:
        sd = float(np.std(v, ddof=1))
        q75, q25 = np.percentile(v, [75, 25])
        iqr = float(q75 - q25) / 1.349
        return min(sd, iqr) if iqr > 0 else sd

    sigma = math.sqrt((spread(xa) ** 2 + spread(ya) ** 2) / 2.0)
    if not sigma > 0:
        raise UsageError("all points are at one place; give the bandwidth in metres")
    return sigma * n ** (-1.0 / 6.0)


def _kernel(bandwidth_m: float, cell_m: float, kernel: str) -> NDArray[np.float64]:
    """Kernel sampled at cell-centre offsets, normalised to sum 1 (odd square)."""
    reach = bandwidth_m * (_GAUSS_TRUNCATE if kernel == "gaussian" else 1.0)
    r = math.ceil(reach / cell_m)
    off = np.arange(-r, r + 1) * cell_m
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    h2 = bandwidth_m * bandwidth_m
    if kernel == "quartic":
        k = np.where(d2 < h2, (1.0 - d2 / h2) ** 2, 0.0)
    else:
        k = np.where(d2 <= reach * reach, np.exp(-0.5 * d2 / h2), 0.0)
    return k / k.sum()


@dataclass(frozen=True, eq=False)
class KDEResult:
    """A kernel density on a grid (result of :func:`kde`).

    Attributes
    ----------
    density : ndarray, shape (grid.n_cells,)
        Incidents per m² in each in-region cell (multiply by ``grid.cell_area_m2`` for
        expected incidents per cell; by 1e6 for per km²).
    bandwidth_m : float
        Quartic: the kernel radius; Gaussian: the kernel's standard deviation.
    bandwidth_rule : str
        ``"given"`` or how it was computed.
    kernel : {"quartic", "gaussian"}
    binning : {"linear", "simple"}
    n_points : int
        Points smoothed.
    n_outside : int
        Points beyond the grid and its kernel margin, not smoothed.
    mass_total : float
        ``Σ density × cell area`` over the grid and its margin: equals ``n_points`` (up to
        rounding), since the kernel's support always lies inside the padded grid.
    mass_in_region : float
        The same over the in-region cells only (less near the region's edges).
    """

    density: NDArray[np.float64]
    bandwidth_m: float
    bandwidth_rule: str
    kernel: str
    binning: str
    n_points: int
    n_outside: int
    mass_total: float
    mass_in_region: float

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "density"}
        d["max_density_per_km2"] = float(np.nanmax(self.density) * 1e6) if self.density.size else 0
        return d


def _bin_points(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    ox: float,
    oy: float,
    cell: float,
    shape: tuple[int, int],
    binning: str,
) -> tuple[NDArray[np.float64], int]:
    """Points binned on a grid with lower-left corner (ox, oy); returns (grid, n dropped)."""
    ny, nx = shape
    if binning == "simple":
        col = np.floor((x - ox) / cell)
        row = np.floor((y - oy) / cell)
        ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        flat = (row[ok] * nx + col[ok]).astype(np.int64)
        out = np.bincount(flat, minlength=nx * ny).astype(np.float64)
        return out.reshape(ny, nx), int(x.size - ok.sum())
    # Linear binning (Wand & Jones 1995, §D.2): each point's unit mass is split among the
    # four nearest cell centres by bilinear weights; the mass is kept exactly.
    u = (x - ox) / cell - 0.5
    v = (y - oy) / cell - 0.5
    i = np.floor(u)
    j = np.floor(v)
    ok = (i >= 0) & (i < nx - 1) & (j >= 0) & (j < ny - 1)
    fu = (u - i)[ok]
    fv = (v - j)[ok]
    base = (j[ok] * nx + i[ok]).astype(np.int64)
    size = nx * ny
    out = np.bincount(base, (1 - fu) * (1 - fv), minlength=size)
    out += np.bincount(base + 1, fu * (1 - fv), minlength=size)
    out += np.bincount(base + nx, (1 - fu) * fv, minlength=size)
    out += np.bincount(base + nx + 1, fu * fv, minlength=size)
    return out.reshape(ny, nx), int(x.size - ok.sum())


def kde(
    grid: Grid,
    x: ArrayLike,
    y: ArrayLike,
    bandwidth_m: float | None = None,
    kernel: Literal["quartic", "gaussian"] = "quartic",
    binning: Literal["linear", "simple"] = "linear",
) -> KDEResult:
    """Binned kernel density estimate by FFT convolution.

    The points are binned on the grid extended by the kernel's reach plus one cell
    (linear binning by default, see ``_bin_points``), convolved with the kernel sampled at
    cell-centre offsets and normalised to sum 1 on the grid (``scipy.signal.fftconvolve``),
    divided by the cell area, then clipped to the region. Because the discrete kernel sums
    to 1 and its support lies inside the extended grid, the density integrates
    (``Σ density × cell area``) to the number of points exactly, up to floating rounding
    (Wand & Jones 1995, *Kernel Smoothing*, App. D; Silverman 1982, *Appl. Stat.* 31).

    Parameters
    ----------
    grid : Grid
    x, y : array_like
        Points in EPSG:3006.
    bandwidth_m : float, optional
        Quartic: the radius beyond which a point adds nothing (ArcGIS' "search radius",
        ``K(d) ∝ (1 − d²/h²)²``); Gaussian: the standard deviation (cut at 4 h). Default:
        :func:`rule_of_thumb_bandwidth`, times 2√2 for the quartic kernel (the quartic
        radius whose kernel has the same standard deviation). At least one cell.
    kernel : {"quartic", "gaussian"}
    binning : {"linear", "simple"}
        ``simple`` counts each point in the cell containing it.

    Returns
    -------
    KDEResult

    Examples
    --------
    >>> import shapely
    >>> from drugscenes.analysis.grid import make_grid
    >>> g = make_grid(shapely.box(0, 0, 2000, 2000), cell_m=100)
    >>> r = kde(g, [1000.0, 1020.0], [1000.0, 990.0], bandwidth_m=300)
    >>> round(r.mass_total, 9), round(float(r.density.sum() * g.cell_area_m2), 9)
    (2.0, 2.0)
    """
    if kernel not in _KERNELS:
        raise UsageError(f"kernel must be one of {_KERNELS}, got {kernel!r}")
    if binning not in ("linear", "simple"):
        raise UsageError(f"binning must be 'linear' or 'simple', got {binning!r}")
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if xa.shape != ya.shape:
        raise UsageError(f"x and y differ in length ({xa.size} and {ya.size})")
    finite = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[finite], ya[finite]
    if xa.size == 0:
        raise DataError("no points to smooth: there are no incidents to estimate a density from")
    if bandwidth_m is None:
        h = rule_of_thumb_bandwidth(xa, ya)
        rule = "normal reference, h = σ̂·n^(−1/6) (Scott/Silverman, robust spread)"
        if kernel == "quartic":
            h *= _QUARTIC_PER_GAUSS
            rule += ", × 2√2 for the quartic radius"
        h = max(h, grid.cell_m)
    else:
        h = float(bandwidth_m)
        rule = "given"
        if not (math.isfinite(h) and h >= grid.cell_m):
            raise UsageError(
                f"the bandwidth ({h:g} m) must be at least one cell ({grid.cell_m:g} m)"
            )
    k = _kernel(h, grid.cell_m, kernel)
    pad = k.shape[0] // 2 + 1
    c = grid.cell_m
    shape = (grid.ny + 2 * pad, grid.nx + 2 * pad)
    binned, n_out = _bin_points(xa, ya, grid.x0 - pad * c, grid.y0 - pad * c, c, shape, binning)
    smooth = signal.fftconvolve(binned, k, mode="same")
    np.maximum(smooth, 0.0, out=smooth)  # FFT round-off leaves ~1e-17 negatives
    mass_total = float(smooth.sum())
    inner = smooth[pad : pad + grid.ny, pad : pad + grid.nx]
    per_cell = grid.compact(inner)
    area = grid.cell_area_m2
    return KDEResult(
        density=per_cell / area,
        bandwidth_m=h,
        bandwidth_rule=rule,
        kernel=kernel,
        binning=binning,
        n_points=int(xa.size - n_out),
        n_outside=int(n_out + (~finite).sum()),
        mass_total=mass_total,
        mass_in_region=float(per_cell.sum()),
    )


@dataclass(frozen=True, eq=False)
class DualKDE:
    """Ratio of two kernel densities with the same kernel and bandwidth.

    Attributes
    ----------
    ratio : ndarray, shape (grid.n_cells,)
        ``numerator.density / denominator.density``; NaN where the denominator's expected
        count per cell is below ``min_denominator`` (no data to form a ratio).
    numerator, denominator : KDEResult
    min_denominator : float
    """

    ratio: NDArray[np.float64]
    numerator: KDEResult
    denominator: KDEResult
    min_denominator: float


def dual_kde(
    grid: Grid,
    numerator_xy: tuple[ArrayLike, ArrayLike],
    denominator_xy: tuple[ArrayLike, ArrayLike],
    bandwidth_m: float | None = None,
    kernel: Literal["quartic", "gaussian"] = "quartic",
    min_denominator: float = 1e-6,
) -> DualKDE:
    """Dual KDE: the ratio of two densities, e.g. shootings over all violence.

    Both densities use the same kernel and bandwidth (by default the rule-of-thumb
    bandwidth of the *denominator*'s points), so the ratio estimates the local share of the
    numerator's events when the numerator is a subset of the denominator. Cells where the
    denominator's smoothed count (density × cell area) is below ``min_denominator`` get NaN.

    Examples
    --------
    >>> import shapely
    >>> from drugscenes.analysis.grid import make_grid
    >>> g = make_grid(shapely.box(0, 0, 2000, 2000), cell_m=100)
    >>> d = dual_kde(g, ([1000.0], [1000.0]), ([1000.0, 1000.0], [1000.0, 1000.0]), 300)
    >>> float(np.nanmax(d.ratio)), bool(np.isnan(d.ratio).any())
    (0.5, True)
    """
    if not min_denominator > 0:
        raise UsageError(f"min_denominator must be > 0, got {min_denominator}")
    den = kde(grid, *denominator_xy, bandwidth_m=bandwidth_m, kernel=kernel)
    num = kde(grid, *numerator_xy, bandwidth_m=den.bandwidth_m, kernel=kernel)
    den_cell = den.density * grid.cell_area_m2
    ok = den_cell >= min_denominator
    ratio = np.full(grid.n_cells, np.nan)
    ratio[ok] = num.density[ok] / den.density[ok]
    return DualKDE(ratio, num, den, min_denominator)
