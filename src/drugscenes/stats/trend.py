"""Trend tests: the Mann-Kendall test of monotonic trend, vectorised over many series.

Used by the emerging hot-spot analysis (:mod:`drugscenes.analysis.hotspots`) on each
cell's Gi* z-series and on each candidate area's counts per period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from drugscenes.errors import UsageError
from drugscenes.stats.normal import two_sided_p

__all__ = ["MannKendall", "PoissonTrend", "mann_kendall", "poisson_trend"]


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
    p = two_sided_p(z)
    return MannKendall(s, var_s, z, p, s / (t * (t - 1) / 2.0))


_EXACT_MAX_EVENTS = 400
"""Series with at most this many events get the exact conditional distribution of the
score; above it the normal approximation (with continuity correction) is used, which is
then a sum of hundreds of bounded i.i.d. terms."""


@dataclass(frozen=True, eq=False)
class PoissonTrend:
    """Conditional Poisson trend test of many count series against a common offset.

    Attributes
    ----------
    s : ndarray of float
        Score ``U = Σ_t t·(y_t − Y·π_t)``: positive when the series grows faster than the
        offset (e.g. the region's monthly totals), negative when it falls behind.
    var_s : ndarray
        ``Y·(Σ t²π_t − (Σ tπ_t)²)``, the null variance of U given Y.
    z : ndarray
        ``U / sqrt(var_s)`` (0 when the variance is 0).
    p : ndarray
        Two-sided p-value, exact given Y (see :func:`poisson_trend`); NaN without events.
    tau : ndarray
        Kendall's tau of the raw counts (descriptive direction and strength only).
    n_events : ndarray of int
        Y, the series' total.
    """

    s: NDArray[np.float64]
    var_s: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    tau: NDArray[np.float64]
    n_events: NDArray[np.int64]


def poisson_trend(series: ArrayLike, offset: ArrayLike | None = None) -> PoissonTrend:
    """Trend of each row of counts relative to an offset, exact for sparse counts.

    Model: ``y_t ~ Poisson(exp(a + b·t)·T_t)`` with the offset ``T_t`` (e.g. the region's
    total of the same categories in period t; default constant). Conditional on the row's
    total ``Y``, under ``b = 0`` the counts are multinomial with probabilities
    ``π_t = T_t / Σ T``, so ``Σ t·y_t`` is the sum of Y independent draws from π. Its exact
    distribution (computed by repeated convolution for ``Y ≤ 400``, normal with continuity
    correction above) gives the two-sided p-value ``min(1, 2·min(P(≥), P(≤)))`` of the
    score test of ``b = 0`` (the conditional score test of a Poisson regression with the
    offset; Cox & Hinkley 1974, §5.2; Breslow & Day 1987, §7.2). Because the test
    conditions on Y and uses the offset, the region's rise and fall (seasons, a quiet
    month) is not a cell's trend, and with one or two events no trend can be significant:
    under no trend the rejection rate is at most the nominal level for any Y.

    Examples
    --------
    >>> r = poisson_trend([[0, 1, 2, 3, 4, 6], [1, 0, 0, 0, 0, 0]])
    >>> bool(r.p[0] < 0.05), bool(r.p[1] > 0.3), r.n_events.tolist()
    (True, True, [16, 1])
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    t_len = y.shape[1]
    if t_len < 2:
        raise UsageError(f"a trend needs at least 2 periods, got {t_len}")
    if not (np.isfinite(y).all() and (y >= 0).all() and np.array_equal(y, np.rint(y))):
        raise UsageError("counts must be non-negative integers")
    w = np.ones(t_len) if offset is None else np.asarray(offset, dtype=np.float64)
    if w.shape != (t_len,) or not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise UsageError(f"offset must be {t_len} non-negative numbers, not all 0")
    pi = w / w.sum()
    t = np.arange(t_len, dtype=np.float64)
    mu, var1 = float(pi @ t), float(pi @ t**2 - (pi @ t) ** 2)
    total = y.sum(axis=1)
    u_raw = y @ t  # Σ t·y_t, an integer
    s = u_raw - total * mu
    var_s = total * var1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var_s > 0, s / np.sqrt(var_s), 0.0)
    upper = np.full(total.shape, np.nan)
    lower = np.full(total.shape, np.nan)
    big = total > _EXACT_MAX_EVENTS
    if big.any():
        sd = np.sqrt(var_s[big])
        with np.errstate(divide="ignore", invalid="ignore"):
            upper[big] = special.ndtr(-(u_raw[big] - 0.5 - total[big] * mu) / sd)
            lower[big] = special.ndtr((u_raw[big] + 0.5 - total[big] * mu) / sd)
    small = (total > 0) & ~big
    if small.any():
        ys = total[small].astype(np.int64)
        us = np.rint(u_raw[small]).astype(np.int64)
        up, lo = np.empty(ys.size), np.empty(ys.size)
        order = np.argsort(ys, kind="stable")
        bounds = np.searchsorted(ys[order], np.arange(int(ys.max()) + 2))
        dist = np.array([1.0])
        for n_ev in range(1, int(ys.max()) + 1):  # one convolution per number of events
            dist = np.convolve(dist, pi)
            sel = order[bounds[n_ev] : bounds[n_ev + 1]]
            if sel.size:
                lo[sel] = np.minimum(np.cumsum(dist)[us[sel]], 1.0)
                up[sel] = np.minimum(np.cumsum(dist[::-1])[::-1][us[sel]], 1.0)  # P(U ≥ u)
        upper[small], lower[small] = up, lo
    p = np.minimum(1.0, 2.0 * np.minimum(upper, lower))
    tau = mann_kendall(y).tau
    return PoissonTrend(s, var_s, z, p, tau, total.astype(np.int64))
