"""Getis-Ord Gi* on a grid by convolution, with two-sided p-values, Benjamini-Hochberg FDR
(:func:`drugscenes.stats.multiple.fdr_bh`) and ArcGIS-style confidence bins (``Gi_Bin``).

Gi* is the *star* statistic (the cell is its own neighbour), always; esda's ``G_Local``
computes Gi unless ``star=True`` is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from drugscenes.analysis.grid import Grid
from drugscenes.errors import UsageError
from drugscenes.stats.multiple import fdr_bh
from drugscenes.stats.normal import two_sided_p

__all__ = ["GiStar", "band_kernel", "check_band", "confidence_bin", "gi_star"]

_LEVELS = ((0.10, 1), (0.05, 2), (0.01, 3))  # Gi_Bin: 90, 95, 99 % confidence


def check_band(grid: Grid, band_m: float) -> None:
    """A UsageError unless ``band_m`` is a positive number of metres of at least a cell."""
    if not (math.isfinite(band_m) and band_m > 0):
        raise UsageError(f"the band must be a positive number of metres, got {band_m}")
    if band_m < grid.cell_m:
        raise UsageError(
            f"the band ({band_m:g} m) is smaller than a cell ({grid.cell_m:g} m): no cell "
            "would have a neighbour; use a band of at least one cell"
        )


def band_kernel(band_m: float, cell_m: float) -> NDArray[np.float64]:
    """Binary distance-band weights on the grid: 1 where the distance between cell centres
    is at most ``band_m`` (the centre cell included), as an odd square array.

    A relative tolerance of 1e-9 keeps a neighbour lying exactly on the band (e.g. 300 m on
    a 100 m grid), as libpysal's ``DistanceBand`` (``d <= threshold``) does.
    """
    r = math.floor(band_m / cell_m * (1 + 1e-9))
    off = np.arange(-r, r + 1, dtype=np.float64)
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    return (d2 <= (band_m / cell_m) ** 2 * (1 + 1e-9)).astype(np.float64)


@dataclass(frozen=True, eq=False)
class GiStar:
    """Getis-Ord Gi* on a grid (result of :func:`gi_star`).

    Arrays have the shape of the values given: ``(n_cells,)`` or ``(n_slices, n_cells)``.

    Attributes
    ----------
    band_m : float
    fdr : bool
        Whether ``bin`` uses FDR-adjusted p-values.
    n : int
        In-region cells (the n of the statistic).
    n_neighbours : ndarray of int, shape (n_cells,)
        ``Σ_j w_ij``, the cell included (fewer near the region's edge).
    z : ndarray
        Gi* z-scores; NaN where the band covers every cell (no variance).
    p : ndarray
        Two-sided normal p-values, ``2·(1 − Φ(|z|))``.
    q : ndarray
        Benjamini-Hochberg adjusted p-values (per slice over its cells).
    bin : ndarray of int8
        −3..3 as ArcGIS' ``Gi_Bin`` (see :func:`confidence_bin`).
    constant_slices : tuple of int
        Slices in which all cells have the same value (e.g. a period with no incidents):
        Gi* is undefined there; their z are 0 and p 1.
    """

    band_m: float
    fdr: bool
    n: int
    n_neighbours: NDArray[np.int64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    bin: NDArray[np.int8]
    constant_slices: tuple[int, ...] = ()

    def significant(self, alpha: float = 0.05) -> NDArray[np.bool_]:
        """Cells significant at ``alpha`` (FDR-adjusted if ``fdr``)."""
        test = self.q if self.fdr else self.p
        return np.nan_to_num(test, nan=1.0) <= alpha


def confidence_bin(z: ArrayLike, p: ArrayLike) -> NDArray[np.int8]:
    """ArcGIS-style ``Gi_Bin``: ±3, ±2, ±1 when ``p ≤`` 0.01, 0.05, 0.10 (99, 95, 90 %
    confidence), signed by z; 0 otherwise. Pass FDR-adjusted p-values to get ArcGIS' bins
    "with FDR correction" (its FDR option lowers the critical p-values per level by
    Benjamini-Hochberg, which is the same as comparing BH-adjusted p-values with them).

    Examples
    --------
    >>> confidence_bin([2.7, -2.0, 1.7, 0.5], [0.007, 0.046, 0.089, 0.62]).tolist()
    [3, -2, 1, 0]
    """
    za = np.asarray(z, dtype=np.float64)
    pa = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0)
    level = np.zeros(za.shape, dtype=np.int8)
    for alpha, k in _LEVELS:
        level[pa <= alpha] = k
    return (np.sign(np.nan_to_num(za)).astype(np.int8) * level).astype(np.int8)


def gi_star(grid: Grid, values: ArrayLike, band_m: float, fdr: bool = True) -> GiStar:
    """Getis-Ord Gi* with binary distance-band weights, by convolution over the grid.

    For cell i with weights ``w_ij = 1`` when centres are within ``band_m`` (``w_ii = 1``):

    ``Gi* = (Σ_j w_ij x_j − X̄ Σ_j w_ij) / (S · sqrt((n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1)))``

    with ``X̄`` and ``S`` (population standard deviation) over the n in-region cells (Ord &
    Getis 1995, *Geogr. Anal.* 27:286-306, eq. 14). ``Σ_j w_ij x_j`` and ``Σ_j w_ij`` are
    FFT convolutions of the grid (zeros outside the region) and of the region mask with
    :func:`band_kernel`, so cells outside the region contribute nothing and are not counted
    in n. Both sums are rounded to integers when the values are integers (counts), which
    makes the result exact. Equal to ``esda.G_Local(x, DistanceBand(centres, band_m,
    binary=True), transform='B', star=True).Zs`` on the in-region cell centres (esda sets
    the self-weight to 1 for binary weights).

    Parameters
    ----------
    grid : Grid
    values : array_like, shape (n_cells,) or (n_slices, n_cells)
        Compact values (e.g. counts); several slices (periods) at once.
    band_m : float
        Distance band in metres; at least one cell.
    fdr : bool, default True
        Bins from Benjamini-Hochberg adjusted p-values.

    Returns
    -------
    GiStar

    Raises
    ------
    UsageError
        A band smaller than a cell, or (for a single slice) values that are all equal
        (e.g. no incidents), for which Gi* is undefined.
    """
    check_band(grid, band_m)
    v = np.asarray(values)
    if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.bool_)):
        v = v.astype(np.float64)  # integer counts go to floats a slice at a time
    single = v.ndim == 1
    v2 = v[None, :] if single else v
    if v2.ndim != 2 or v2.shape[1] != grid.n_cells:
        raise UsageError(
            f"values must have shape (n_cells,) or (n_slices, n_cells) with n_cells = "
            f"{grid.n_cells}, got {v.shape}"
        )
    if v2.dtype == np.float64 and not all(np.isfinite(row).all() for row in v2):
        raise UsageError("values must be finite (cells outside the region are not passed)")
    n = grid.n_cells
    if n < 3:
        raise UsageError(f"Gi* needs at least 3 cells in the region, the grid has {n}")
    k = band_kernel(band_m, grid.cell_m)
    mask = grid.inside.astype(np.float64)
    w = np.rint(grid.compact(signal.fftconvolve(mask, k, mode="same")))
    del mask
    var_factor = (n * w - w * w) / (n - 1)  # binary weights: Σw² = Σw
    root = np.sqrt(var_factor)
    integral = v2.dtype != np.float64 or all(np.array_equal(row, np.rint(row)) for row in v2)
    z = np.empty(v2.shape)
    constant: list[int] = []
    # A slice at a time: its FFT, z and p-values are the same as those of all slices at
    # once (every step works per slice), without (slices, cells) temporaries.
    for i in range(v2.shape[0]):
        row = v2[i : i + 1].astype(np.float64)
        raster = grid.raster(row, fill=0.0)
        swx = grid.compact(signal.fftconvolve(raster, k[None], mode="same", axes=(1, 2)))
        del raster
        if integral:
            swx = np.rint(swx)
        mean = row.mean(axis=1, keepdims=True)
        sd = row.std(axis=1, keepdims=True)
        del row
        if sd[0, 0] == 0:
            constant.append(i)
        with np.errstate(divide="ignore", invalid="ignore"):
            den = np.where(sd > 0, sd, 1.0) * root
            z[i] = np.where(var_factor > 0, (swx - mean * w) / den, np.nan)[0]
        del swx, den
    if constant and single:
        raise UsageError(
            "every cell has the same value (e.g. no incidents in the period): Gi* is undefined"
        )
    if constant:
        z[constant] = 0.0
    p = np.empty(z.shape)
    for i in range(z.shape[0]):  # elementwise: per slice, without (slices, cells) temporaries
        p[i] = two_sided_p(z[i])
    q = fdr_bh(p)
    b = np.empty(z.shape, np.int8)
    for i in range(z.shape[0]):
        b[i] = confidence_bin(z[i], q[i] if fdr else p[i])
    if single:
        z, p, q, b = z[0], p[0], q[0], b[0]
    return GiStar(float(band_m), fdr, n, w.astype(np.int64), z, p, q, b, tuple(constant))
