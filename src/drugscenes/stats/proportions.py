"""Two independent proportions: the pooled z-test and Newcombe's interval of the difference.

The normal distribution is SciPy's (:func:`scipy.special.ndtr`, :func:`scipy.special.ndtri`);
the formulas are statsmodels' ``proportions_ztest`` and
``confint_proportions_2indep(method="newcomb")``, written here because importing
statsmodels' module loads :mod:`scipy.stats`, about 0.8 s, more than ``crime`` takes to count
ten million incidents. The tests hold both to statsmodels and to Newcombe's published
examples.
"""

from __future__ import annotations

import math

from scipy import special

__all__ = ["newcombe_interval", "pooled_z_test", "wilson_interval"]


def pooled_z_test(count1: int, nobs1: int, count2: int, nobs2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test of ``p1 = p2``.

    Equal to Pearson's chi-squared test of the 2x2 table without continuity correction.
    None when there is no variation (the pooled proportion is 0 or 1: z is 0/0).

    Examples
    --------
    >>> round(pooled_z_test(15, 50, 10, 50), 6)  # chi-squared of [[15, 35], [10, 40]]
    0.248213
    """
    pooled = (count1 + count2) / (nobs1 + nobs2)
    if pooled in (0.0, 1.0):
        return None
    se = math.sqrt(pooled * (1 - pooled) * (1 / nobs1 + 1 / nobs2))
    z = (count1 / nobs1 - count2 / nobs2) / se
    return float(2 * special.ndtr(-abs(z)))


def wilson_interval(count: int, nobs: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``count / nobs`` at ``1 - alpha``.

    Examples
    --------
    >>> lo, hi = wilson_interval(81, 263)  # Newcombe (1998), Table I: 0.2553 to 0.3662
    >>> round(lo, 4), round(hi, 4)
    (0.2553, 0.3662)
    """
    z = -float(special.ndtri(alpha / 2))
    q = count / nobs
    denom = 1 + z * z / nobs
    center = (q + z * z / (2 * nobs)) / denom
    half = z * math.sqrt(q * (1 - q) / nobs + z * z / (4 * nobs * nobs)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def newcombe_interval(
    count1: int, nobs1: int, count2: int, nobs2: int, alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``p1 - p2`` (Newcombe 1998, method 10), from
    the Wilson intervals of the two proportions.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> lo, hi = newcombe_interval(56, 70, 48, 80)  # Newcombe (1998), Table II: 0.0524, 0.3339
    >>> round(lo, 4), round(hi, 4)
    (0.0524, 0.3339)
    """
    p1, p2 = count1 / nobs1, count2 / nobs2
    low1, upp1 = wilson_interval(count1, nobs1, alpha)
    low2, upp2 = wilson_interval(count2, nobs2, alpha)
    diff = p1 - p2
    return (
        diff - math.sqrt((p1 - low1) ** 2 + (upp2 - p2) ** 2),
        diff + math.sqrt((p2 - low2) ** 2 + (upp1 - p1) ** 2),
    )
