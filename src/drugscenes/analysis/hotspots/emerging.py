"""Emerging hot spots: Gi* per period, the Mann-Kendall trend of each cell's z-series
(:func:`drugscenes.stats.trend.mann_kendall`) and the space-time pattern classes
("new", "intensifying", "persistent", … hot or cold spot) after ArcGIS Pro.

Trends need at least :data:`MIN_TREND_PERIODS` periods: with n periods the smallest
two-sided Mann-Kendall p-value is 2/n! (0.083 for n = 4), so with fewer no trend can be
significant at 0.05 and trend classes are refused instead of silently never assigned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drugscenes.analysis.grid import Grid
from drugscenes.analysis.hotspots.counts import Period, count_dtype
from drugscenes.analysis.hotspots.gistar import GiStar, gi_star
from drugscenes.analysis.hotspots.local import local_spots
from drugscenes.errors import UsageError
from drugscenes.stats.trend import MannKendall, PoissonTrend, mann_kendall, poisson_trend

__all__ = [
    "COLD_PATTERNS",
    "HOT_PATTERNS",
    "MIN_TREND_PERIODS",
    "NO_PATTERN",
    "EmergingHotSpots",
    "PeriodSpots",
    "classify_patterns",
    "emerging_hotspots",
]

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

_Trend = TypeVar("_Trend", MannKendall, PoissonTrend)


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
    out = np.empty(h.shape[0], dtype=object)
    out.fill(NO_PATTERN)  # one string shared (np.full copies it into every cell: ≈70 B each)
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
        As given (integer counts keep their type, e.g. the int16 of
        ``grid_counts(..., small=True)``; other values become int64).
    gi : GiStar or PeriodSpots
        Per period: arrays of shape (T, n_cells) (``method="local-poisson"``: the hot and
        cold spots of :func:`~drugscenes.analysis.hotspots.local.local_poisson`).
    alpha : float
        Significance of a hot/cold spot in a period (FDR-adjusted if ``gi.fdr``).
    trend : MannKendall or PoissonTrend
        ``method="gistar"``: Mann-Kendall of each cell's Gi* z-series;
        ``"local-poisson"``: exact conditional Poisson trend of each cell's neighbourhood
        counts against the region's totals per period.
    trend_alpha : float
    pattern : ndarray of str, shape (n_cells,)
    """

    periods: tuple[Period, ...]
    counts: NDArray[np.integer]
    gi: GiStar | PeriodSpots
    alpha: float
    trend: MannKendall | PoissonTrend
    trend_alpha: float
    pattern: NDArray[np.object_]

    @property
    def empty_periods(self) -> list[str]:
        """Periods without any incident (Gi* undefined there; taken as not significant)."""
        return [self.periods[i].label for i in self.gi.constant_slices]

    def pattern_counts(self) -> dict[str, int]:
        """Cells per pattern, in the order hot patterns, cold patterns, no pattern."""
        # A Counter over the names, not np.unique of a fixed-width string copy (≈100 bytes a
        # cell, sorted: the report's peak on a county grid).
        found = Counter(str(p) for p in self.pattern.tolist())
        return {p: found.get(p, 0) for p in (*HOT_PATTERNS, *COLD_PATTERNS, NO_PATTERN)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": getattr(self.gi, "method", "gistar"),
            "periods": [p.label for p in self.periods],
            "alpha": self.alpha,
            "trend_alpha": self.trend_alpha,
            "fdr": self.gi.fdr,
            "band_m": self.gi.band_m,
            "empty_periods": self.empty_periods,
            "pattern_counts": self.pattern_counts(),
        }


@dataclass(frozen=True, eq=False)
class PeriodSpots:
    """Hot and cold spots of each period by the local Poisson test, as the emerging analysis
    keeps them: what the patterns and trends use of
    :class:`~drugscenes.analysis.hotspots.local.LocalPoisson`, without its float arrays of
    every period (p, q, z, expected, ...: ten (T, n_cells) arrays, gigabytes on a national
    grid of months).

    Attributes
    ----------
    band_m, baseline_m, min_ratio : float
    fdr : bool
    alpha : float
        Significance the spots were taken at (BH-adjusted within the period when ``fdr``).
    hot, cold : ndarray of bool, shape (T, n_cells)
        Significant at ``alpha`` with a local rate above (below) that around.
    observed : ndarray of int, shape (T, n_cells)
        Incidents within the band, in the smallest integer type that holds them
        (:func:`~drugscenes.analysis.hotspots.counts.count_dtype`).
    constant_slices : tuple of int
        Periods without any incident.
    """

    band_m: float
    baseline_m: float
    min_ratio: float
    fdr: bool
    alpha: float
    hot: NDArray[np.bool_]
    cold: NDArray[np.bool_]
    observed: NDArray[np.integer]
    constant_slices: tuple[int, ...] = ()

    method = "local-poisson"

    @property
    def z(self) -> NDArray[np.int8]:
        """Sign of the significant spots (+1 hot, −1 cold, 0 neither): the sign the patterns
        read from Gi*'s z."""
        return self.hot.astype(np.int8) - self.cold.astype(np.int8)

    def significant(self, alpha: float | None = None) -> NDArray[np.bool_]:
        """Hot or cold spots (only at the ``alpha`` they were computed at)."""
        if alpha is not None and alpha != self.alpha:
            raise UsageError(f"the spots were taken at alpha = {self.alpha}, not {alpha}")
        return self.hot | self.cold


def _local_periods(
    grid: Grid,
    x: NDArray[np.integer],
    band_m: float,
    baseline_m: float,
    min_ratio: float,
    alpha: float,
    fdr: bool,
) -> PeriodSpots:
    """:func:`local_poisson` period by period (each is its own test and FDR family, so the
    spots are those of one call on all periods), keeping the spots and counts only
    (:func:`~drugscenes.analysis.hotspots.local.local_spots`: no float array of every cell
    and period, nor of every cell beyond a few at a time)."""
    t, n = x.shape
    hot = np.zeros((t, n), bool)
    cold = np.zeros((t, n), bool)
    # A cell's count within the band is at most its period's total.
    most = int(np.max(x.sum(axis=1), initial=0))
    observed = np.zeros((t, n), count_dtype(most))
    constant: list[int] = []
    spots = local_spots(
        grid, x, band_m, baseline_m=baseline_m, min_ratio=min_ratio, alpha=alpha, fdr=fdr
    )
    for i, s in enumerate(spots):
        hot[i, s.hot] = True
        cold[i, s.cold] = True
        observed[i] = s.observed
        if s.constant:
            constant.append(i)
    return PeriodSpots(
        float(band_m),
        float(baseline_m),
        float(min_ratio),
        fdr,
        alpha,
        hot,
        cold,
        observed,
        tuple(constant),
    )


_TREND_ROWS = 65_536
"""Cells whose trend is tested at once: the trend tests hold a few (cells, periods) float
arrays (and Mann-Kendall a (cells, periods - 1) one per period), so a county grid in one
call held hundreds of megabytes for a moment."""


def _trend_by_rows(
    series: NDArray[Any],
    test: Callable[[NDArray[Any]], _Trend],
    rows: NDArray[np.int64] | None = None,
) -> _Trend:
    """``test(series.T)`` (a row per cell) a block of :data:`_TREND_ROWS` cells at a time.

    Both tests treat each cell on its own, so the blocks give exactly the values of one
    call. ``rows``: the cells to test; every other cell gets the values of a series of
    zeros (for the Poisson trend: the cells without an incident within the band in any
    period, most of a county).
    """
    n = series.shape[1]
    fill = test(np.zeros((1, series.shape[0])))
    out = {
        f.name: np.full(n, getattr(fill, f.name)[0], dtype=getattr(fill, f.name).dtype)
        for f in fields(fill)
    }
    todo = np.arange(n) if rows is None else rows
    for lo in range(0, todo.size, _TREND_ROWS):
        idx = todo[lo : lo + _TREND_ROWS]
        part = test(series[:, idx].T)
        for name, values in out.items():
            values[idx] = getattr(part, name)
    return type(fill)(**out)


def emerging_hotspots(
    grid: Grid,
    counts: ArrayLike,
    periods: Sequence[Period],
    band_m: float,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_alpha: float = 0.05,
    method: str = "local-poisson",
    baseline_m: float = 2000.0,
    min_ratio: float = 1.5,
) -> EmergingHotSpots:
    """Hot spots per period, the trend of each cell, pattern classes.

    ``method="local-poisson"`` (default): hot and cold spots per period by
    :func:`~drugscenes.analysis.hotspots.local.local_poisson` (exact for sparse monthly
    counts), and the trend of each cell's neighbourhood counts (within ``band_m``)
    relative to the region's total of each period by
    :func:`~drugscenes.stats.trend.poisson_trend` (exact conditional: a county-wide quiet
    month is no cell's trend, and one or two incidents make no trend).

    ``method="gistar"``: Gi* per period and the Mann-Kendall trend of each cell's
    z-series (as ArcGIS), which is neither valid for sparse counts (the normal
    approximation of Gi* fails when expected counts are far below one) nor free of the
    region's monthly totals (each month's z is standardised by that month's mean).

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
    gi: GiStar | PeriodSpots
    trend: MannKendall | PoissonTrend
    if method == "gistar":
        gi = gi_star(grid, x, band_m, fdr=fdr)
        trend = _trend_by_rows(gi.z, mann_kendall)
        hot = np.empty((t, x.shape[1]), bool)
        cold = np.empty((t, x.shape[1]), bool)
        test = gi.q if gi.fdr else gi.p
        for i in range(t):  # GiStar.significant a period at a time: no (T, cells) floats
            sig = np.nan_to_num(test[i], nan=1.0) <= alpha
            hot[i] = sig & (gi.z[i] > 0)
            cold[i] = sig & (gi.z[i] < 0)
        hot, cold = hot.T, cold.T
    elif method == "local-poisson":
        gi = _local_periods(grid, x, band_m, baseline_m, min_ratio, alpha, fdr)
        totals = x.sum(axis=1)
        offset = totals if (totals > 0).any() else None
        # Only cells with an incident within the band in some period have a trend to test.
        active = np.flatnonzero(gi.observed.any(axis=0))
        trend = _trend_by_rows(gi.observed, lambda y: poisson_trend(y, offset), active)
        hot, cold = gi.hot.T, gi.cold.T  # significant(alpha) & the sign of z, as kept
    else:
        raise UsageError(f"method must be 'local-poisson' or 'gistar', got {method!r}")
    pattern = classify_patterns(hot, cold, trend.p, trend.s, trend_alpha)
    # Integer counts are kept in their (small) type, anything else as int64 as before.
    kept = x if np.issubdtype(x.dtype, np.integer) else np.asarray(x, dtype=np.int64)
    return EmergingHotSpots(tuple(periods), kept, gi, alpha, trend, trend_alpha, pattern)
