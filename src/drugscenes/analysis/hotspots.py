"""Hot-spot surveillance: grid counts, kernel density, Gi* with FDR, emerging hot spots,
candidate scenes outside the registry.

Everything lives on a :class:`~drugscenes.analysis.grid.Grid` aligned to SWEREF 99 TM
and clipped to the region: cells outside the region are absent, never zeros. Values are
compact arrays over the in-region cells (``grid.n_cells`` long); ``grid.raster`` expands
them to maps with NaN outside.

Verbs (one vocabulary: ``cell_m``, ``band_m``, ``period``, ``categories``):

- :func:`grid_counts` — incidents per cell, category and period;
- :func:`kde`, :func:`dual_kde` — binned FFT kernel density and the ratio of two densities;
- :func:`gi_star`, :func:`fdr_bh`, :func:`confidence_bin` — Getis-Ord Gi* by convolution,
  two-sided p-values, Benjamini-Hochberg FDR and ArcGIS-style ``Gi_Bin``;
- :func:`mann_kendall`, :func:`classify_patterns`, :func:`emerging_hotspots` — emerging hot
  spots over months or quarters;
- :func:`candidate_scenes`, :func:`candidates_far_from` — significant hot areas not near a
  registered scene;
- :func:`analyse_hotspots` — all of it for one period, as the ``hotspots`` command runs it.

Differences from the reference tools, on purpose
-------------------------------------------------
- Gi* is the *star* statistic (the cell is its own neighbour), always; esda's ``G_Local``
  computes Gi unless ``star=True`` is given.
- Grids are clipped to the region (ArcGIS/sfhotspot grids over a bounding box add sea
  cells with zero counts, which lowers the mean and invents cold spots / inflates hot ones).
- Mann-Kendall trends need at least 5 periods: with n periods the smallest two-sided
  p-value is 2/n! (0.083 for n = 4), so with fewer no trend can be significant at 0.05 and
  trend classes are refused instead of silently never assigned.
- Drug offences are mostly found by police activity; every result that counts them says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage, signal, special

from drugscenes import CRS_EPSG
from drugscenes.analysis.crime import check_incidents
from drugscenes.analysis.grid import Grid, make_grid
from drugscenes.errors import DataError, UsageError
from drugscenes.times import to_utc

__all__ = [
    "CANDIDATE_CATEGORIES",
    "COLD_PATTERNS",
    "HOT_PATTERNS",
    "MIN_TREND_PERIODS",
    "NO_PATTERN",
    "POLICE_ACTIVITY_NOTE",
    "CandidateScenes",
    "DualKDE",
    "EmergingHotSpots",
    "GiStar",
    "GridCounts",
    "HotspotAnalysis",
    "KDEResult",
    "MannKendall",
    "Period",
    "analyse_hotspots",
    "band_kernel",
    "candidate_scenes",
    "candidates_far_from",
    "classify_patterns",
    "confidence_bin",
    "dual_kde",
    "emerging_hotspots",
    "fdr_bh",
    "gi_star",
    "grid_counts",
    "kde",
    "make_periods",
    "mann_kendall",
    "rule_of_thumb_bandwidth",
]

CANDIDATE_CATEGORIES = ("drug offence", "violence", "shooting")
"""Categories whose concentration marks a possible open drug scene (default of the command)."""

POLICE_ACTIVITY_NOTE = (
    "Drug offences are mostly recorded through police activity: more patrols at a place "
    "produce more recorded drug crime. Their hot spots show where the police look as much "
    "as where drugs are sold; do not read them like reported crimes."
)

MIN_TREND_PERIODS = 5
"""Fewest periods for a Mann-Kendall trend that can be significant at 0.05 (2/4! = 0.083)."""

HOT_PATTERNS = (
    "new hot spot",
    "consecutive hot spot",
    "intensifying hot spot",
    "persistent hot spot",
    "diminishing hot spot",
    "sporadic hot spot",
    "oscillating hot spot",
    "historical hot spot",
)
COLD_PATTERNS = tuple(p.replace("hot", "cold") for p in HOT_PATTERNS)
NO_PATTERN = "no pattern detected"

_KERNELS = ("quartic", "gaussian")
_GAUSS_TRUNCATE = 4.0  # Gaussian kernel cut at 4 bandwidths (renormalised on the grid)
_QUARTIC_PER_GAUSS = 2.0 * math.sqrt(2.0)  # quartic radius with the sd of a unit Gaussian
_LEVELS = ((0.10, 1), (0.05, 2), (0.01, 3))  # Gi_Bin: 90, 95, 99 % confidence


# -- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A time step ``[start, end)`` in UTC, labelled ``2023-01`` (month) or ``2023Q1``."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp


def _ns(times: pd.Series) -> NDArray[np.int64]:
    """Nanoseconds since the epoch (UTC) of a time column; naive values are UTC."""
    t = pd.to_datetime(times, utc=True).dt.tz_convert(None)
    return t.to_numpy().astype("datetime64[ns]").view(np.int64)


def make_periods(
    start: str | pd.Timestamp, end: str | pd.Timestamp, period: Literal["month", "quarter"]
) -> list[Period]:
    """Calendar months or quarters exactly covering ``[start, end)``.

    The calendar is that of ``start``'s timezone (``Europe/Stockholm`` for local days),
    UTC when ``start`` is naive; the periods' bounds are returned in UTC. Raises
    UsageError when ``start``/``end`` do not fall on period boundaries: a partial first
    or last period would have fewer incidents and fake a trend.

    Examples
    --------
    >>> [p.label for p in make_periods("2023-01-01", "2023-07-01", "quarter")]
    ['2023Q1', '2023Q2']
    """
    if period not in ("month", "quarter"):
        raise UsageError(f"period must be 'month' or 'quarter', got {period!r}")
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    tz = _calendar(start)
    freq = "M" if period == "month" else "Q"
    naive_s, naive_e = s.tz_convert(tz).tz_localize(None), e.tz_convert(tz).tz_localize(None)
    first = naive_s.to_period(freq)
    last = (naive_e - pd.Timedelta(1, "ns")).to_period(freq)
    if first.start_time != naive_s or (last + 1).start_time != naive_e:
        raise UsageError(
            f"for {period}ly periods the start and end must be the first day of a {period} "
            f"(got {s.date()} to {e.date()}; e.g. {first.start_time.date()} to "
            f"{(last + 1).start_time.date()}): a partial {period} would fake a trend"
        )
    out = []
    for p in pd.period_range(first, last, freq=freq):
        label = str(p) if period == "month" else f"{p.year}Q{p.quarter}"
        bounds = (p.start_time, (p + 1).start_time)
        out.append(Period(label, *(b.tz_localize(tz).tz_convert("UTC") for b in bounds)))
    return out


def _calendar(start: str | pd.Timestamp) -> object:
    """Timezone whose calendar the periods follow: ``start``'s own, else UTC."""
    ts = pd.Timestamp(start)
    return ts.tz if ts.tzinfo is not None else "UTC"


# -- counts ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GridCounts:
    """Incidents per in-region cell, category and period (result of :func:`grid_counts`).

    Attributes
    ----------
    grid : Grid
    categories : tuple of str
    periods : tuple of Period
        One period ``[start, end)`` when counted without periods.
    counts : ndarray of int64, shape (n_categories, n_periods, grid.n_cells)
    n_incidents : ndarray of int64, shape (n_categories,)
        Incidents of each category in ``[start, end)``.
    n_outside : ndarray of int64, shape (n_categories,)
        Of those, incidents in no in-region cell (sea, outside the county): not counted.
    """

    grid: Grid
    categories: tuple[str, ...]
    periods: tuple[Period, ...]
    counts: NDArray[np.int64]
    n_incidents: NDArray[np.int64]
    n_outside: NDArray[np.int64]

    def total(self, categories: Sequence[str] | None = None) -> NDArray[np.int64]:
        """Counts summed over ``categories`` (default all): shape (n_periods, n_cells)."""
        cats = self.categories if categories is None else tuple(categories)
        unknown = set(cats) - set(self.categories)
        if unknown:
            raise UsageError(f"categories {sorted(unknown)} were not counted")
        idx = [self.categories.index(c) for c in cats]
        return self.counts[idx].sum(axis=0)

    def to_frame(self, nonzero: bool = False) -> pd.DataFrame:
        """Long table ``cell_id``, ``x``, ``y`` (centre), ``category``, ``period``, ``count``.

        Only in-region cells appear; with ``nonzero`` only cells with incidents.
        """
        c, p, n = self.counts.shape
        cx, cy = self.grid.centres()
        ids = self.grid.cell_ids()
        frame = pd.DataFrame(
            {
                "cell_id": np.tile(ids, c * p),
                "x": np.tile(cx, c * p),
                "y": np.tile(cy, c * p),
                "category": np.repeat(np.array(self.categories, dtype=object), p * n),
                "period": np.tile(np.repeat([q.label for q in self.periods], n), c),
                "count": self.counts.ravel(),
            }
        )
        return frame[frame["count"] > 0].reset_index(drop=True) if nonzero else frame


def grid_counts(
    grid: Grid,
    incidents: pd.DataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    categories: Sequence[str] | None = None,
    period: Literal["month", "quarter"] | None = None,
) -> GridCounts:
    """Count incidents per in-region cell, category and period.

    Parameters
    ----------
    grid : Grid
        From :func:`~drugscenes.analysis.grid.make_grid`.
    incidents : DataFrame
        ``time`` (UTC), ``category``, ``x``, ``y`` (EPSG:3006).
    start, end : str or Timestamp
        The period ``[start, end)``; naive values are UTC.
    categories : sequence of str, optional
        Categories to count (default: every category present in ``incidents``).
        A name that no incident carries raises UsageError listing those that exist.
    period : {"month", "quarter"}, optional
        Split into calendar periods (see :func:`make_periods`); default one period.

    Returns
    -------
    GridCounts

    Examples
    --------
    >>> import shapely
    >>> g = make_grid(shapely.box(0, 0, 300, 200), cell_m=100)
    >>> inc = pd.DataFrame({"time": ["2023-01-05", "2023-02-07", "2023-02-08"],
    ...     "category": ["violence"] * 3, "x": [50.0, 150, 160], "y": [50.0, 50, 60]})
    >>> gc = grid_counts(g, inc, "2023-01-01", "2023-03-01", period="month")
    >>> gc.counts[0].tolist()
    [[1, 0, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0]]
    """
    check_incidents(incidents)
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    periods = make_periods(start, end, period) if period is not None else [Period("all", s, e)]
    cat_all = incidents["category"].astype(str).to_numpy()
    known = sorted(set(np.unique(cat_all).tolist()))
    cats = tuple(known if categories is None else dict.fromkeys(categories))
    unknown = [c for c in cats if c not in known]
    if unknown:
        raise UsageError(
            f"no incident has the category {', '.join(map(repr, unknown))}; "
            f"categories in the data: {', '.join(known) or '(none)'}"
        )
    t = _ns(incidents["time"])
    in_time = (t >= s.value) & (t < e.value)
    code = pd.Index(list(cats)).get_indexer(cat_all).astype(np.int64)
    keep = in_time & (code >= 0)
    starts = np.array([p.start.value for p in periods], dtype=np.int64)
    per = np.searchsorted(starts, t[keep], side="right") - 1
    cell = grid.locate(incidents["x"].to_numpy()[keep], incidents["y"].to_numpy()[keep])
    ck = code[keep]
    n_cat, n_per, n = len(cats), len(periods), grid.n_cells
    n_inc = np.bincount(ck, minlength=n_cat).astype(np.int64)
    inside = cell >= 0
    n_out = np.bincount(ck[~inside], minlength=n_cat).astype(np.int64)
    flat = (ck[inside] * n_per + per[inside]) * n + cell[inside]
    counts = np.bincount(flat, minlength=n_cat * n_per * n).reshape(n_cat, n_per, n)
    return GridCounts(grid, cats, tuple(periods), counts.astype(np.int64), n_inc, n_out)


# -- kernel density --------------------------------------------------------------------------


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


def _two_sided_p(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """``2·(1 − Φ(|z|))`` computed as ``2·Φ(−|z|)`` (no cancellation for large z)."""
    return 2.0 * special.ndtr(-np.abs(z))


# -- Gi* ---------------------------------------------------------------------------------------


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


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (NaN ignored and kept), along the last axis.

    ``q_(i) = min_{j ≥ i} min(1, m·p_(j)/j)`` for the ascending p-values of each row
    (Benjamini & Hochberg 1995, *JRSS B* 57:289-300); a cell is significant at FDR level α
    when ``q ≤ α``. Equals ``statsmodels.stats.multitest.multipletests(p, method='fdr_bh')``.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    arr = np.asarray(p, dtype=np.float64)
    flat = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
    out = np.full(flat.shape, np.nan)
    for r in range(flat.shape[0]):  # rows are periods, a handful
        row = flat[r]
        ok = np.flatnonzero(np.isfinite(row))
        m = ok.size
        if m == 0:
            continue
        order = np.argsort(row[ok], kind="mergesort")
        ranked = row[ok][order] / (np.arange(1, m + 1) / m)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        q = np.empty(m)
        q[order] = np.minimum(ranked, 1.0)
        out[r, ok] = q
    return out.reshape(arr.shape)


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
    if not (math.isfinite(band_m) and band_m > 0):
        raise UsageError(f"the band must be a positive number of metres, got {band_m}")
    if band_m < grid.cell_m:
        raise UsageError(
            f"the band ({band_m:g} m) is smaller than a cell ({grid.cell_m:g} m): no cell "
            "would have a neighbour; use a band of at least one cell"
        )
    v = np.asarray(values, dtype=np.float64)
    single = v.ndim == 1
    v2 = v[None, :] if single else v
    if v2.ndim != 2 or v2.shape[1] != grid.n_cells:
        raise UsageError(
            f"values must have shape (n_cells,) or (n_slices, n_cells) with n_cells = "
            f"{grid.n_cells}, got {v.shape}"
        )
    if not np.isfinite(v2).all():
        raise UsageError("values must be finite (cells outside the region are not passed)")
    n = grid.n_cells
    if n < 3:
        raise UsageError(f"Gi* needs at least 3 cells in the region, the grid has {n}")
    k = band_kernel(band_m, grid.cell_m)
    mask = grid.inside.astype(np.float64)
    w = np.rint(grid.compact(signal.fftconvolve(mask, k, mode="same")))
    raster = grid.raster(v2, fill=0.0)
    swx = grid.compact(signal.fftconvolve(raster, k[None], mode="same", axes=(1, 2)))
    if np.array_equal(v2, np.rint(v2)):
        swx = np.rint(swx)
    mean = v2.mean(axis=1, keepdims=True)
    sd = v2.std(axis=1, keepdims=True)
    constant = tuple(int(i) for i in np.flatnonzero(sd[:, 0] == 0))
    if constant and single:
        raise UsageError(
            "every cell has the same value (e.g. no incidents in the period): Gi* is undefined"
        )
    var_factor = (n * w - w * w) / (n - 1)  # binary weights: Σw² = Σw
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(sd > 0, sd, 1.0) * np.sqrt(var_factor)
        z = np.where(var_factor > 0, (swx - mean * w) / den, np.nan)
    if constant:
        z[list(constant)] = 0.0
    p = _two_sided_p(z)
    q = fdr_bh(p)
    b = confidence_bin(z, q if fdr else p)
    if single:
        z, p, q, b = z[0], p[0], q[0], b[0]
    return GiStar(float(band_m), fdr, n, w.astype(np.int64), z, p, q, b, constant)


# -- trends and emerging hot spots ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Mann-Kendall trend test of many series at once (one per row).

    Attributes
    ----------
    s : ndarray of float
        ``S = Σ_{k<j} sign(x_j − x_k)``.
    var_s : ndarray
        ``(n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)) / 18`` over tie groups of size t.
    z : ndarray
        ``(S − sign(S)) / sqrt(var_s)`` (continuity correction), 0 when S = 0.
    p : ndarray
        Two-sided normal p-value ``2·(1 − Φ(|z|))``.
    tau : ndarray
        Kendall's tau ``S / (n(n−1)/2)``.
    """

    s: NDArray[np.float64]
    var_s: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    tau: NDArray[np.float64]


def mann_kendall(series: ArrayLike) -> MannKendall:
    """Mann-Kendall test (Mann 1945; Kendall 1975; Gilbert 1987, §16.4) of each row.

    Vectorised over rows (cells); the loops run over the time axis only. Ties (exactly equal
    values) reduce the variance. The same numbers as ``pymannkendall.original_test`` for a
    series without missing values; rows with a NaN give NaN.

    Examples
    --------
    >>> r = mann_kendall([[1.0, 2.0, 3.0, 4.0, 5.0]])
    >>> float(r.s[0]), round(float(r.p[0]), 4)
    (10.0, 0.0275)
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    t = x.shape[1]
    if t < 2:
        raise UsageError(f"a trend needs at least 2 periods, got {t}")
    s = np.zeros(x.shape[0])
    ties = np.zeros(x.shape[0])
    for k in range(t):
        if k < t - 1:
            s += np.sign(x[:, k + 1 :] - x[:, k : k + 1]).sum(axis=1)
        # Each member of a tie group of size c adds (c−1)(2c+5); summed over the group
        # that is c(c−1)(2c+5), the term of the variance formula.
        c = (x == x[:, k : k + 1]).sum(axis=1)
        ties += (c - 1) * (2 * c + 5)
    var_s = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s == 0, 0.0, (s - np.sign(s)) / np.sqrt(var_s))
    bad = np.isnan(x).any(axis=1)
    s[bad] = np.nan
    var_s[bad] = np.nan
    z[bad] = np.nan
    p = _two_sided_p(z)
    return MannKendall(s, var_s, z, p, s / (t * (t - 1) / 2.0))


def classify_patterns(
    hot: ArrayLike,
    cold: ArrayLike,
    trend_p: ArrayLike,
    trend_s: ArrayLike,
    trend_alpha: float = 0.05,
) -> NDArray[np.object_]:
    """Emerging hot/cold spot pattern of each cell from its per-period significance.

    After ArcGIS Pro, "How Emerging Hot Spot Analysis works". ``hot[i, t]``: cell i is a
    significant hot spot in period t (``cold`` likewise); T periods, the last is "final";
    "≥ 90 %" means ``10·n_hot ≥ 9·T`` (exact integers); the trend is the Mann-Kendall test of
    the cell's Gi* z-series, significant when ``trend_p ≤ trend_alpha``, its sign that of S.

    Hot patterns (cold ones mirror them with hot and cold swapped):

    ==============  ===========================================================================
    intensifying    hot in the final period, hot in ≥ 90 % of periods, significant upward trend
    persistent      hot in the final period, hot in ≥ 90 % of periods, no significant trend
    diminishing     hot in the final period, hot in ≥ 90 % of periods, significant downward
                    trend
    new             hot in the final period only, never before (and never cold)
    consecutive     hot in an uninterrupted final run of ≥ 2 periods, never hot before the run
                    (and never cold), < 90 % of periods hot
    sporadic        hot in the final period, hot on and off before, < 90 % of periods hot,
                    never cold
    oscillating     hot in the final period, cold in some earlier period, < 90 % of periods hot
    historical      not significant in the final period, hot in ≥ 90 % of periods
    ==============  ===========================================================================

    Precedence where ArcGIS' wording overlaps: the final period decides the side (a cell cold
    in the final period gets a cold pattern even if it was hot 90 % of the time); a cell with
    any earlier cold period is oscillating, never new, consecutive or sporadic (those three
    are defined by a hot history only). Everything else: :data:`NO_PATTERN`.

    Parameters
    ----------
    hot, cold : array_like of bool, shape (n_cells, T)
    trend_p, trend_s : array_like, shape (n_cells,)
        Mann-Kendall p-value and S of each cell (NaN: no trend).
    trend_alpha : float, default 0.05

    Returns
    -------
    ndarray of str (object), shape (n_cells,)

    Examples
    --------
    >>> hot = [[False, False, False, False, True]]
    >>> classify_patterns(hot, [[False] * 5], [0.5], [1.0]).tolist()
    ['new hot spot']
    """
    h = np.asarray(hot, dtype=bool)
    c = np.asarray(cold, dtype=bool)
    if h.ndim != 2 or h.shape != c.shape:
        raise UsageError(f"hot and cold must be (n_cells, T) arrays of one shape: {h.shape}")
    if (h & c).any():
        raise UsageError("a cell cannot be a hot and a cold spot in the same period")
    tp = np.nan_to_num(np.asarray(trend_p, dtype=np.float64), nan=1.0)
    ts = np.nan_to_num(np.asarray(trend_s, dtype=np.float64))
    sig_trend = tp <= trend_alpha
    out = np.full(h.shape[0], NO_PATTERN, dtype=object)
    _assign_side(out, h, c, sig_trend & (ts > 0), sig_trend & (ts < 0), sig_trend, HOT_PATTERNS)
    _assign_side(out, c, h, sig_trend & (ts < 0), sig_trend & (ts > 0), sig_trend, COLD_PATTERNS)
    return out


def _assign_side(
    out: NDArray[np.object_],
    this: NDArray[np.bool_],
    other: NDArray[np.bool_],
    stronger: NDArray[np.bool_],
    weaker: NDArray[np.bool_],
    sig_trend: NDArray[np.bool_],
    names: tuple[str, ...],
) -> None:
    """Patterns of one side (hot or cold); ``names`` in the order of :data:`HOT_PATTERNS`.

    For cold spots "intensifying" means z falling (becoming colder): ``stronger`` is the
    trend direction that strengthens this side.
    """
    new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, hist = names
    t = this.shape[1]
    final = this[:, -1]
    n_this = this.sum(axis=1)
    ge90 = 10 * n_this >= 9 * t
    other_before = other[:, :-1].any(axis=1) if t > 1 else np.zeros(len(out), bool)
    rev = this[:, ::-1]
    run = np.where(rev.all(axis=1), t, np.argmin(rev, axis=1))  # final run length
    final_other = other[:, -1]
    rules = [
        (final & ge90 & stronger, intensifying),
        (final & ge90 & weaker, diminishing),
        (final & ge90 & ~sig_trend, persistent),
        (~final & ~final_other & ge90, hist),
        (final & ~ge90 & other_before, oscillating),
        (final & ~ge90 & ~other_before & (n_this == 1), new),
        (final & ~ge90 & ~other_before & (run >= 2) & (n_this == run), consecutive),
        (final & ~ge90 & ~other_before & (n_this > run), sporadic),
    ]
    for cond, name in rules:  # conditions are disjoint; the order only documents them
        out[cond] = name


@dataclass(frozen=True, eq=False)
class EmergingHotSpots:
    """Emerging hot-spot analysis over periods (result of :func:`emerging_hotspots`).

    Attributes
    ----------
    periods : tuple of Period
    counts : ndarray of int, shape (T, n_cells)
    gi : GiStar
        Per period: arrays of shape (T, n_cells).
    alpha : float
        Significance of a hot/cold spot in a period (FDR-adjusted if ``gi.fdr``).
    trend : MannKendall
        Of each cell's Gi* z-series.
    trend_alpha : float
    pattern : ndarray of str, shape (n_cells,)
    """

    periods: tuple[Period, ...]
    counts: NDArray[np.int64]
    gi: GiStar
    alpha: float
    trend: MannKendall
    trend_alpha: float
    pattern: NDArray[np.object_]

    @property
    def empty_periods(self) -> list[str]:
        """Periods without any incident (Gi* undefined there; taken as not significant)."""
        return [self.periods[i].label for i in self.gi.constant_slices]

    def pattern_counts(self) -> dict[str, int]:
        """Cells per pattern, in the order hot patterns, cold patterns, no pattern."""
        vals, cnt = np.unique(self.pattern.astype(str), return_counts=True)
        found = dict(zip(vals.tolist(), cnt.tolist(), strict=True))
        return {p: found.get(p, 0) for p in (*HOT_PATTERNS, *COLD_PATTERNS, NO_PATTERN)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "periods": [p.label for p in self.periods],
            "alpha": self.alpha,
            "trend_alpha": self.trend_alpha,
            "fdr": self.gi.fdr,
            "band_m": self.gi.band_m,
            "empty_periods": self.empty_periods,
            "pattern_counts": self.pattern_counts(),
        }


def emerging_hotspots(
    grid: Grid,
    counts: ArrayLike,
    periods: Sequence[Period],
    band_m: float,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_alpha: float = 0.05,
) -> EmergingHotSpots:
    """Gi* per period, Mann-Kendall trend of each cell's z-series, pattern classes.

    A cell is a hot (cold) spot in a period when its Gi* is positive (negative) and
    significant at ``alpha`` (BH-adjusted within the period when ``fdr``). The trend is
    :func:`mann_kendall` on the cell's z-scores over the periods; the classes are those of
    :func:`classify_patterns`. Differs from ArcGIS in one respect: the neighbourhood is
    spatial only (no time-step window).

    Parameters
    ----------
    grid : Grid
    counts : array_like, shape (T, n_cells)
        E.g. ``grid_counts(..., period="month").total(categories)``.
    periods : sequence of Period
        The T periods, in time order.
    band_m : float
    alpha, trend_alpha : float
    fdr : bool

    Raises
    ------
    UsageError
        Fewer than :data:`MIN_TREND_PERIODS` periods: with n periods the smallest two-sided
        Mann-Kendall p-value is 2/n! (n = 4: 0.083), so no trend could be significant at
        0.05 and the trend classes would be silently empty.
    """
    x = np.asarray(counts)
    t = len(periods)
    if x.ndim != 2 or x.shape[0] != t:
        raise UsageError(f"counts must have shape (n_periods={t}, n_cells), got {x.shape}")
    if t < MIN_TREND_PERIODS:
        raise UsageError(
            f"{t} period(s) are too few for trends: with n periods the smallest two-sided "
            f"Mann-Kendall p-value is 2/n! ({2 / math.factorial(max(t, 1)):.3f} for n = {t}), "
            f"so no trend can be significant at 0.05; use at least {MIN_TREND_PERIODS} "
            "periods (months or quarters rather than years)"
        )
    for a, name in ((alpha, "alpha"), (trend_alpha, "trend_alpha")):
        if not 0 < a < 1:
            raise UsageError(f"{name} must be in (0, 1), got {a}")
    gi = gi_star(grid, x, band_m, fdr=fdr)
    sig = gi.significant(alpha)
    hot = (sig & (gi.z > 0)).T
    cold = (sig & (gi.z < 0)).T
    trend = mann_kendall(gi.z.T)
    pattern = classify_patterns(hot, cold, trend.p, trend.s, trend_alpha)
    return EmergingHotSpots(
        tuple(periods), x.astype(np.int64), gi, alpha, trend, trend_alpha, pattern
    )


# -- candidate scenes ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CandidateScenes:
    """Significant hot areas not near a registered scene (result of :func:`candidate_scenes`).

    Attributes
    ----------
    candidates : GeoDataFrame
        One row per candidate area, ranked: ``candidate_id`` ("C001", …), ``rank``,
        ``n_cells``, ``area_m2``, ``count`` (incidents in its cells), ``max_z``, ``mean_z``,
        ``max_bin``, ``x``, ``y`` (a point inside the area), ``municipality_code``,
        ``nearest_scene_id``, ``nearest_scene_m``, ``trend`` ("increasing", "decreasing",
        "no trend" or None without periods), ``trend_tau``, ``trend_p`` (Mann-Kendall of the
        area's counts per period), ``pattern`` (emerging pattern of the area's cell with the
        highest z, None without periods), geometry (union of the cells, EPSG:3006).
    near_registered : GeoDataFrame
        The hot areas dropped because they lie within ``distance_m`` of a registered scene,
        same columns (without ranks): registered scenes show up here, not as candidates.
    distance_m, min_bin, min_count : parameters used
    n_hot_cells : int
        Cells with ``Gi_Bin ≥ min_bin``.
    """

    candidates: gpd.GeoDataFrame
    near_registered: gpd.GeoDataFrame
    distance_m: float
    min_bin: int
    min_count: int
    n_hot_cells: int

    def to_dict(self) -> dict[str, Any]:
        def records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
            return pd.DataFrame(frame.drop(columns="geometry")).to_dict("records")

        return {
            "distance_m": self.distance_m,
            "min_bin": self.min_bin,
            "min_count": self.min_count,
            "n_hot_cells": self.n_hot_cells,
            "n_candidates": len(self.candidates),
            "n_near_registered": len(self.near_registered),
            "candidates": records(self.candidates),
            "near_registered": records(self.near_registered),
        }


_CANDIDATE_COLUMNS = [
    "n_cells",
    "area_m2",
    "count",
    "max_z",
    "mean_z",
    "max_bin",
    "x",
    "y",
    "municipality_code",
    "nearest_scene_id",
    "nearest_scene_m",
    "trend",
    "trend_tau",
    "trend_p",
    "pattern",
]


def candidate_scenes(
    grid: Grid,
    counts: ArrayLike,
    gi: GiStar,
    scenes: gpd.GeoDataFrame,
    distance_m: float = 200.0,
    min_bin: int = 2,
    min_count: int = 5,
    emerging: EmergingHotSpots | None = None,
    municipalities: gpd.GeoDataFrame | None = None,
    trend_alpha: float = 0.05,
) -> CandidateScenes:
    """Significant hot areas away from every registered scene: candidates for mapping.

    1. Hot cells: ``gi.bin ≥ min_bin`` (default 2: 95 % confidence, FDR-adjusted if
       ``gi.fdr``).
    2. Areas: edge-adjacent hot cells (4-connectivity, ``scipy.ndimage.label``) are merged;
       an area's polygon is the union of its cells.
    3. Areas with fewer than ``min_count`` incidents in their cells are dropped (a hot area
       can be hot from its neighbours only).
    4. Areas within ``distance_m`` of a registered scene (polygon to polygon) are not
       candidates; they are listed in ``near_registered``.
    5. Candidates are ranked by ``count``, then ``max_z`` (descending).

    Parameters
    ----------
    grid : Grid
    counts : array_like, shape (n_cells,)
        The counts ``gi`` was computed from.
    gi : GiStar
        Single-slice Gi* of ``counts``.
    scenes : GeoDataFrame
        Registered scenes of the round (``scene_id``, polygons, EPSG:3006); may be empty.
    distance_m : float, default 200
    min_bin : {1, 2, 3}, default 2
    min_count : int, default 5
    emerging : EmergingHotSpots, optional
        Adds each area's trend (Mann-Kendall of its summed counts per period) and pattern.
    municipalities : GeoDataFrame, optional
        ``code``, geometry: adds the municipality of each area's inside point.
    trend_alpha : float, default 0.05

    Returns
    -------
    CandidateScenes
    """
    x = np.asarray(counts)
    if x.shape != (grid.n_cells,):
        raise UsageError(f"counts must have shape ({grid.n_cells},), got {x.shape}")
    if np.ndim(gi.z) != 1:
        raise UsageError("gi must be a single-slice Gi* (one period)")
    if min_bin not in (1, 2, 3):
        raise UsageError(f"min_bin must be 1, 2 or 3, got {min_bin}")
    if not distance_m >= 0:
        raise UsageError(f"distance_m must be >= 0, got {distance_m}")
    if not isinstance(scenes, gpd.GeoDataFrame):
        raise UsageError(f"scenes should be a GeoDataFrame, got {type(scenes)}")
    if scenes.crs is not None and scenes.crs.to_epsg() != CRS_EPSG:
        raise UsageError(f"scenes should be in EPSG:{CRS_EPSG}, got {scenes.crs}")
    hot = gi.bin >= min_bin
    labels_r, n_lab = ndimage.label(grid.raster(hot.astype(float), fill=0.0) > 0)
    lab = grid.compact(labels_r).astype(np.int64) - 1  # −1: not hot
    idx = np.flatnonzero(lab >= 0)
    empty = _candidate_frame(pd.DataFrame(columns=_CANDIDATE_COLUMNS), [])
    if idx.size == 0:
        return CandidateScenes(empty, empty.copy(), distance_m, min_bin, min_count, 0)
    L = lab[idx]
    order = np.argsort(L, kind="stable")
    idx, L = idx[order], L[order]
    cell_count = np.bincount(L, x[idx], minlength=n_lab)
    n_cells = np.bincount(L, minlength=n_lab)
    z = gi.z[idx]
    max_z = np.full(n_lab, -np.inf)
    np.maximum.at(max_z, L, z)
    mean_z = np.bincount(L, z, minlength=n_lab) / np.maximum(n_cells, 1)
    max_bin = np.zeros(n_lab, dtype=np.int64)
    np.maximum.at(max_bin, L, gi.bin[idx].astype(np.int64))
    # Peak cell of each area: highest z (first in cell order on ties).
    peak_order = np.lexsort((-z, L))
    first = np.r_[True, L[peak_order][1:] != L[peak_order][:-1]]
    peak = idx[peak_order[first]]
    keep = np.flatnonzero(cell_count >= min_count)
    boxes = grid.boxes(idx)
    bounds = np.searchsorted(L, np.arange(n_lab + 1))
    polys = np.array(
        [shapely.union_all(boxes[bounds[k] : bounds[k + 1]]) for k in keep],  # per area
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "n_cells": n_cells[keep],
            "area_m2": n_cells[keep] * grid.cell_area_m2,
            "count": cell_count[keep].astype(np.int64),
            "max_z": max_z[keep],
            "mean_z": mean_z[keep],
            "max_bin": max_bin[keep],
        }
    )
    pts = shapely.point_on_surface(polys) if polys.size else np.array([], dtype=object)
    frame["x"] = shapely.get_x(pts) if polys.size else np.array([], float)
    frame["y"] = shapely.get_y(pts) if polys.size else np.array([], float)
    frame["municipality_code"] = _municipality(frame["x"], frame["y"], municipalities)
    near_id, near_m = _nearest(polys, scenes)
    frame["nearest_scene_id"] = near_id
    frame["nearest_scene_m"] = near_m
    if emerging is not None:
        series = np.zeros((keep.size, emerging.counts.shape[0]))
        pos = np.full(n_lab, -1)
        pos[keep] = np.arange(keep.size)
        sel = pos[L] >= 0
        for tt in range(emerging.counts.shape[0]):  # loop over periods
            series[:, tt] = np.bincount(
                pos[L][sel], emerging.counts[tt, idx[sel]], minlength=keep.size
            )
        mk = mann_kendall(series) if keep.size else None
        if mk is not None:
            sig = mk.p <= trend_alpha
            frame["trend"] = np.where(
                sig & (mk.s > 0), "increasing", np.where(sig & (mk.s < 0), "decreasing", "no trend")
            )
            frame["trend_tau"] = mk.tau
            frame["trend_p"] = mk.p
        frame["pattern"] = emerging.pattern[peak[keep]]
    else:
        frame["trend"] = None
        frame["trend_tau"] = np.nan
        frame["trend_p"] = np.nan
        frame["pattern"] = None
    gframe = _candidate_frame(frame, list(polys))
    near = (gframe["nearest_scene_m"] <= distance_m).to_numpy()
    cands = gframe[~near].sort_values(["count", "max_z"], ascending=False, kind="stable")
    cands = cands.reset_index(drop=True)
    cands.insert(0, "rank", np.arange(1, len(cands) + 1))
    cands.insert(0, "candidate_id", [f"C{i:03d}" for i in range(1, len(cands) + 1)])
    dropped = gframe[near].sort_values("nearest_scene_m", kind="stable").reset_index(drop=True)
    return CandidateScenes(cands, dropped, distance_m, min_bin, min_count, int(hot.sum()))


def _candidate_frame(frame: pd.DataFrame, polys: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=gpd.GeoSeries(polys, crs=CRS_EPSG), crs=CRS_EPSG
    )


def _municipality(
    x: pd.Series, y: pd.Series, municipalities: gpd.GeoDataFrame | None
) -> NDArray[np.object_]:
    out = np.full(len(x), None, dtype=object)
    if municipalities is None or len(x) == 0:
        return out
    geoms = np.asarray(municipalities.geometry.values, dtype=object)
    codes = municipalities["code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    pts = shapely.points(x.to_numpy(), y.to_numpy())
    pi, gi_ = tree.query(pts, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = codes[gi_[first]]
    return out


def _nearest(
    geoms: NDArray[np.object_], scenes: gpd.GeoDataFrame
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """Id of and distance to the nearest scene of each geometry (None/NaN without scenes)."""
    ids = np.full(len(geoms), None, dtype=object)
    dist = np.full(len(geoms), np.nan)
    sg = np.asarray(scenes.geometry.values, dtype=object) if len(scenes) else np.array([])
    ok = ~shapely.is_missing(sg) & ~shapely.is_empty(sg) if sg.size else np.array([], bool)
    if len(geoms) == 0 or not ok.any():
        return ids, dist
    sg = sg[ok]
    sid = (
        scenes["scene_id"].astype(str).to_numpy()[ok]
        if "scene_id" in scenes.columns
        else np.flatnonzero(ok).astype(str)
    )
    tree = shapely.STRtree(sg)
    (qi, ti), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    ids[qi] = sid[ti]
    dist[qi] = d
    return ids, dist


def candidates_far_from(
    candidates: gpd.GeoDataFrame | CandidateScenes,
    ceased: gpd.GeoDataFrame,
    distance_m: float,
) -> gpd.GeoDataFrame:
    """Candidates farther than ``distance_m`` from every ceased scene.

    For the ``compare`` command: "no new scenes elsewhere" is backed by data when this is
    empty (no hot area away from the registry that is not next to a ceased scene). Adds
    ``nearest_ceased_id`` and ``nearest_ceased_m`` (None/NaN when there are no ceased
    scenes, in which case every candidate is far from them).

    Examples
    --------
    >>> import shapely
    >>> c = gpd.GeoDataFrame({"candidate_id": ["C001", "C002"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(5000, 0, 5100, 100)], crs=3006)
    >>> ceased = gpd.GeoDataFrame({"scene_id": ["S9"]},
    ...     geometry=[shapely.box(300, 0, 400, 100)], crs=3006)
    >>> candidates_far_from(c, ceased, 1000)["candidate_id"].tolist()
    ['C002']
    """
    frame = candidates.candidates if isinstance(candidates, CandidateScenes) else candidates
    if not isinstance(frame, gpd.GeoDataFrame):
        raise UsageError(f"candidates should be a GeoDataFrame, got {type(frame)}")
    if not isinstance(ceased, gpd.GeoDataFrame):
        raise UsageError(f"ceased should be a GeoDataFrame, got {type(ceased)}")
    if not distance_m >= 0:
        raise UsageError(f"distance_m must be >= 0, got {distance_m}")
    for f, name in ((frame, "candidates"), (ceased, "ceased")):
        if f.crs is not None and f.crs.to_epsg() != CRS_EPSG:
            raise UsageError(f"{name} should be in EPSG:{CRS_EPSG}, got {f.crs}")
    ids, dist = _nearest(np.asarray(frame.geometry.values, dtype=object), ceased)
    out = frame.copy()
    out["nearest_ceased_id"] = ids
    out["nearest_ceased_m"] = dist
    far = np.isnan(dist) | (dist > distance_m)
    return out[far].reset_index(drop=True)


# -- the whole analysis ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HotspotAnalysis:
    """Hot-spot surveillance of one period (result of :func:`analyse_hotspots`).

    Attributes
    ----------
    round_label : str
        Round whose registered scenes were excluded.
    start, end : Timestamp
    categories : tuple of str
        Categories combined into the analysed counts.
    cell_m, band_m : float
    grid : Grid
    counts : GridCounts
        By category, one period.
    total : ndarray, shape (n_cells,)
        Counts of the combined categories.
    gi : GiStar
        Of ``total``.
    density : KDEResult
        Quartic KDE of the combined categories, bandwidth = ``band_m``.
    emerging : EmergingHotSpots or None
    trend_note : str or None
        Why there is no emerging analysis, when there is none.
    candidates : CandidateScenes
    notes : tuple of str
        Messages for the reader (police activity, incidents outside the region, …).
    """

    round_label: str
    start: pd.Timestamp
    end: pd.Timestamp
    categories: tuple[str, ...]
    cell_m: float
    band_m: float
    grid: Grid
    counts: GridCounts
    total: NDArray[np.int64]
    gi: GiStar
    density: KDEResult
    emerging: EmergingHotSpots | None
    trend_note: str | None
    candidates: CandidateScenes
    notes: tuple[str, ...] = field(default_factory=tuple)

    def cells(self) -> gpd.GeoDataFrame:
        """In-region cells with ``count``, ``density_km2``, ``gi_z``, ``gi_p``, ``gi_q``,
        ``gi_bin`` (and ``pattern``, ``trend_tau``, ``trend_p`` with periods)."""
        cols: dict[str, ArrayLike] = {
            "count": self.total,
            "density_km2": self.density.density * 1e6,
            "gi_z": self.gi.z,
            "gi_p": self.gi.p,
            "gi_q": self.gi.q,
            "gi_bin": self.gi.bin,
        }
        if self.emerging is not None:
            cols["pattern"] = self.emerging.pattern
            cols["trend_tau"] = self.emerging.trend.tau
            cols["trend_p"] = self.emerging.trend.p
        return self.grid.to_frame(**cols)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: parameters, totals, bins, patterns, candidates, notes."""
        bins, nb = np.unique(self.gi.bin, return_counts=True)
        by_bin = {int(b): 0 for b in range(-3, 4)}
        by_bin.update({int(b): int(c) for b, c in zip(bins, nb, strict=True)})
        return {
            "round": self.round_label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "categories": list(self.categories),
            "cell_m": self.cell_m,
            "band_m": self.band_m,
            "fdr": self.gi.fdr,
            "n_cells_in_region": self.grid.n_cells,
            "incidents": {
                c: {"in_period": int(n), "outside_region": int(o)}
                for c, n, o in zip(
                    self.counts.categories,
                    self.counts.n_incidents,
                    self.counts.n_outside,
                    strict=True,
                )
            },
            "n_analysed": int(self.total.sum()),
            "cells_by_gi_bin": {str(k): v for k, v in by_bin.items()},
            "density": self.density.to_dict(),
            "emerging": None if self.emerging is None else self.emerging.to_dict(),
            "trend_note": self.trend_note,
            "candidates": self.candidates.to_dict(),
            "notes": list(self.notes),
        }


def analyse_hotspots(
    incidents: pd.DataFrame,
    region: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    categories: Sequence[str] = CANDIDATE_CATEGORIES,
    cell_m: float = 100.0,
    band_m: float = 300.0,
    period: Literal["month", "quarter"] | None = "month",
    distance_m: float = 200.0,
    alpha: float = 0.05,
    fdr: bool = True,
    min_bin: int = 2,
    min_count: int = 5,
    round_label: str = "",
) -> HotspotAnalysis:
    """Counts, density, Gi*, emerging hot spots and candidate scenes for one period.

    The categories are combined (summed) into one count per cell. Gi* and the candidates
    use the whole period ``[start, end)``; the emerging analysis splits it into months or
    quarters. With fewer than :data:`MIN_TREND_PERIODS` periods (or ``period=None``) there
    is no emerging analysis and ``trend_note`` says why; the rest is still computed.

    Parameters
    ----------
    incidents : DataFrame
        ``time``, ``category``, ``x``, ``y`` (EPSG:3006).
    region : GeoDataFrame
        The municipalities (``code``, geometry) in EPSG:3006.
    scenes : GeoDataFrame
        Registered scenes of the round.
    start, end : str or Timestamp
        ``[start, end)``, UTC.
    categories : sequence of str
        Default :data:`CANDIDATE_CATEGORIES`; only those present in the data are used.
    cell_m, band_m, period, distance_m, alpha, fdr, min_bin, min_count
        See :func:`make_grid`, :func:`gi_star`, :func:`emerging_hotspots`,
        :func:`candidate_scenes`.
    round_label : str
        Recorded in the result.

    Raises
    ------
    DataError
        No incident of the categories in the period inside the region.
    UsageError
        A cell larger than the region, a band smaller than a cell, unaligned periods, …
    """
    check_incidents(incidents)
    if not categories:
        raise UsageError("give at least one category")
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    if not (math.isfinite(band_m) and band_m >= cell_m):
        raise UsageError(
            f"the band ({band_m:g} m) is smaller than a cell ({cell_m:g} m): no cell would "
            "have a neighbour; use a band of at least one cell"
        )
    periods = make_periods(start, end, period) if period is not None else None
    present = set(incidents["category"].astype(str).unique().tolist())
    used = tuple(c for c in dict.fromkeys(categories) if c in present)
    notes: list[str] = []
    missing = [c for c in dict.fromkeys(categories) if c not in present]
    if missing:
        notes.append(f"no incidents at all of: {', '.join(missing)}")
    if not used:
        raise DataError(
            f"no incidents of {', '.join(categories)} in the data; categories present: "
            f"{', '.join(sorted(present)) or '(none)'}"
        )
    grid = make_grid(region, cell_m)
    counts = grid_counts(grid, incidents, s, e, categories=used)
    total = counts.total()[0]
    if total.sum() == 0:
        raise DataError(
            f"no incidents of {', '.join(used)} inside the region between {s.date()} and "
            f"{e.date()}: nothing to analyse (a map would be empty, not a finding)"
        )
    out = int(counts.n_outside.sum())
    if out:
        notes.append(f"{out} incident(s) lie outside the region's cells and are not counted")
    if "drug offence" in used:
        notes.append(POLICE_ACTIVITY_NOTE)
    gi = gi_star(grid, total, band_m, fdr=fdr)
    t = _ns(incidents["time"])
    sel = (t >= s.value) & (t < e.value) & incidents["category"].astype(str).isin(used).to_numpy()
    density = kde(
        grid, incidents["x"].to_numpy()[sel], incidents["y"].to_numpy()[sel], bandwidth_m=band_m
    )
    emerging: EmergingHotSpots | None = None
    trend_note: str | None = None
    if periods is None:
        trend_note = "no periods asked for: no emerging hot-spot analysis"
    elif len(periods) < MIN_TREND_PERIODS:
        n = len(periods)
        trend_note = (
            f"only {n} {period}(s) from {s.date()} to {e.date()}: with n periods the smallest "
            f"two-sided Mann-Kendall p-value is 2/n! ({2 / math.factorial(n):.3f} here), so "
            f"no trend can be significant at 0.05; trend classes need at least "
            f"{MIN_TREND_PERIODS} periods"
        )
    else:
        per = grid_counts(grid, incidents, start, end, categories=used, period=period).total()
        emerging = emerging_hotspots(grid, per, periods, band_m, alpha=alpha, fdr=fdr)
        if emerging.empty_periods:
            notes.append(
                "periods without incidents (taken as no hot or cold spot): "
                + ", ".join(emerging.empty_periods)
            )
    cands = candidate_scenes(
        grid,
        total,
        gi,
        scenes,
        distance_m=distance_m,
        min_bin=min_bin,
        min_count=min_count,
        emerging=emerging,
        municipalities=region if "code" in region.columns else None,
    )
    return HotspotAnalysis(
        round_label=round_label,
        start=s,
        end=e,
        categories=used,
        cell_m=float(cell_m),
        band_m=float(band_m),
        grid=grid,
        counts=counts,
        total=total,
        gi=gi,
        density=density,
        emerging=emerging,
        trend_note=trend_note,
        candidates=cands,
        notes=tuple(notes),
    )


@dataclass(frozen=True, eq=False)
class RegistryCheck:
    """Hot areas outside the registry, and those of them far from every ceased scene.

    Attributes
    ----------
    analysis : HotspotAnalysis
        The hot-spot analysis of the period (candidates in ``analysis.candidates``).
    elsewhere : GeoDataFrame
        Candidates farther than ``distance_m`` from every ceased scene: places where a
        new scene may have appeared elsewhere, not displaced from a worked-away one.
    distance_m : float
    start, end : Timestamp
        The period ``[start, end)`` as given (e.g. Swedish local days).
    """

    analysis: HotspotAnalysis
    elsewhere: gpd.GeoDataFrame
    distance_m: float
    start: pd.Timestamp
    end: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        cols = [c for c in self.elsewhere.columns if c != "geometry"]
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "categories": list(self.analysis.categories),
            "n_candidates": len(self.analysis.candidates.candidates),
            "distance_m": self.distance_m,
            "candidates_elsewhere": pd.DataFrame(self.elsewhere[cols]).to_dict("records"),
        }


def registry_check(
    incidents: pd.DataFrame,
    region: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    ceased: gpd.GeoDataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    distance_m: float = 1000.0,
    round_label: str = "",
) -> RegistryCheck:
    """Back "no new scenes elsewhere" with data.

    Runs :func:`analyse_hotspots` with its defaults on the period (monthly trends when
    the period is whole months, none otherwise) against the later round's registered
    scenes, then keeps the candidates farther than ``distance_m`` (the displacement
    distance of :func:`drugscenes.analysis.change.compare_rounds`) from every ceased
    scene of the earlier round (:func:`candidates_far_from`).
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)  # keep their timezone: it is the calendar
    whole_months = s == s.normalize() and e == e.normalize() and s.day == 1 and e.day == 1
    analysis = analyse_hotspots(
        incidents,
        region,
        scenes,
        s,
        e,
        period="month" if whole_months else None,
        round_label=round_label,
    )
    elsewhere = candidates_far_from(analysis.candidates, ceased, distance_m)
    return RegistryCheck(analysis, elsewhere, distance_m, s, e)
