"""Trend tests: the Mann-Kendall test of monotonic trend, vectorised over many series.

Used by the emerging hot-spot analysis (:mod:`drugscenes.analysis.hotspots`) on each
cell's Gi* z-series and on each candidate area's counts per period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drugscenes.errors import UsageError
from drugscenes.stats.normal import two_sided_p

__all__ = ["MannKendall", "mann_kendall"]


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
