"""Exact comparison of two Poisson rates (counts over exposures, e.g. incidents per km²).

Conditional on the total ``n = a + b``, the count ``a`` of the first zone is binomial
with probability ``p = E_a·RR / (E_a·RR + E_b)`` (Przyborowski & Wilenski 1940;
Breslow & Day 1987, §7.2). The confidence interval of the rate ratio ``RR`` is the
Clopper-Pearson interval of ``p`` transformed back,
``RR = p / (1 - p) · E_b / E_a``; the test of ``RR = 1`` is the exact binomial test of
``p = E_a / (E_a + E_b)`` (two-sided p-value by the "minlike" rule, as R's
``poisson.test`` and statsmodels' ``test_poisson_2indep(method="exact-cond")``).

The binomial and beta functions are SciPy's (:mod:`scipy.special`); the rules that use them
are written here, as R writes them in ``binom.test``, because importing :mod:`scipy.stats`
for ``binomtest`` costs about 0.8 s, more than ``crime`` takes to count ten million
incidents. The tests hold them to ``scipy.stats.binomtest``, statsmodels and R.

Zero counts are valid inputs: ``a = 0`` gives ratio 0 with a finite upper limit;
``b = 0`` gives an infinite ratio and upper limit (percent change would be undefined,
see the domain notes); ``a = b = 0`` gives no information (NaN ratio, interval 0 to
infinity, p-value 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from drugscenes.errors import UsageError


@dataclass(frozen=True)
class RateRatio:
    """Rate ratio of two Poisson counts with an exact conditional interval and test.

    Attributes
    ----------
    count, exposure : float
        Count and exposure of the first group (e.g. incidents and km² of scenes).
    count_ref, exposure_ref : float
        Count and exposure of the reference group (e.g. the rest of the region).
    ratio : float
        ``(count / exposure) / (count_ref / exposure_ref)``; ``inf`` when
        ``count_ref = 0 < count``, NaN when both counts are 0.
    ci_low, ci_high : float
        Exact conditional (Clopper-Pearson) interval at ``1 - alpha``.
    p_value : float
        Two-sided exact conditional test of ``ratio = 1``.
    alpha : float
        Level of the interval.
    """

    count: int
    exposure: float
    count_ref: int
    exposure_ref: float
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float = 0.05

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-safe dict; infinite or undefined values become None."""
        return {
            "count": self.count,
            "exposure": self.exposure,
            "count_ref": self.count_ref,
            "exposure_ref": self.exposure_ref,
            "ratio": _finite(self.ratio),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _finite(self.p_value),
        }


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def rate_ratio(
    count: int, exposure: float, count_ref: int, exposure_ref: float, alpha: float = 0.05
) -> RateRatio:
    """Exact conditional rate ratio, confidence interval and test of two Poisson rates.

    Parameters
    ----------
    count, exposure : int, float
        Events and exposure (area, person-time) of the group of interest.
    count_ref, exposure_ref : int, float
        Events and exposure of the reference group.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    RateRatio

    References
    ----------
    Breslow, N. E. & Day, N. E. (1987). Statistical Methods in Cancer Research II,
    IARC, §7.2 (exact conditional inference on the rate ratio). Clopper, C. J. &
    Pearson, E. S. (1934). Biometrika 26, 404-413.

    Examples
    --------
    >>> r = rate_ratio(30, 2.0, 100, 100.0)
    >>> round(r.ratio, 3), round(r.ci_low, 2), round(r.ci_high, 2)
    (15.0, 9.63, 22.75)
    """
    for name, v in (("count", count), ("count_ref", count_ref)):
        if v < 0 or int(v) != v:
            raise UsageError(f"{name} must be a non-negative integer, got {v}")
    for name, v in (("exposure", exposure), ("exposure_ref", exposure_ref)):
        if not (v > 0 and math.isfinite(v)):
            raise UsageError(f"{name} must be positive and finite, got {v}")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be between 0 and 1, got {alpha}")
    a, b = int(count), int(count_ref)
    n = a + b
    scale = exposure_ref / exposure
    if n == 0:
        return RateRatio(a, exposure, b, exposure_ref, math.nan, 0.0, math.inf, 1.0, alpha)
    ci_low, ci_high = clopper_pearson(a, n, alpha)

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * scale

    ratio = math.inf if b == 0 else (a / exposure) / (b / exposure_ref)
    p0 = exposure / (exposure + exposure_ref)
    p_value = binomial_two_sided_p(a, n, p0)
    return RateRatio(
        a, exposure, b, exposure_ref, ratio, to_ratio(ci_low), to_ratio(ci_high), p_value, alpha
    )


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Clopper-Pearson ("exact") interval of a binomial proportion ``k / n``.

    The ends are beta quantiles, ``B(alpha/2; k, n-k+1)`` and ``B(1-alpha/2; k+1, n-k)``
    (0 when ``k = 0``, 1 when ``k = n``), as R's ``binom.test`` computes them; SciPy's
    ``binomtest(...).proportion_ci(method="exact")`` finds the same ends by root finding.

    Examples
    --------
    >>> lo, hi = clopper_pearson(3, 15)  # R: binom.test(3, 15)$conf.int
    >>> round(lo, 6), round(hi, 6)
    (0.043312, 0.480891)
    """
    lo = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    hi = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return lo, hi


def binomial_two_sided_p(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial test of ``P(success) = p`` with ``k`` of ``n``: the
    probability of every outcome no more likely than ``k`` (the "minlike" rule of R's
    ``binom.test`` and ``scipy.stats.binomtest``, with their relative tolerance 1e-7).

    The other tail's end is found by bisection on the probability mass function, which
    is monotone on each side of the mode.

    Examples
    --------
    >>> round(binomial_two_sided_p(3, 15, 0.1), 6)  # scipy.stats.binomtest(3, 15, 0.1)
    0.184061
    """
    if k == p * n:
        return 1.0
    d = _pmf(k, n, p) * (1 + 1e-7)
    if k < p * n:  # the upper tail: the first x above the mode with pmf(x) <= d
        lo, hi = math.ceil(p * n), n
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if _pmf(mid, n, p) <= d else (mid + 1, hi)
        upper = _sf(lo - 1, n, p) if _pmf(lo, n, p) <= d else 0.0
        return min(1.0, _cdf(k, n, p) + upper)
    lo, hi = 0, math.floor(p * n)  # the lower tail: the last x below the mode with pmf <= d
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if _pmf(mid, n, p) <= d else (lo, mid - 1)
    lower = _cdf(lo, n, p) if _pmf(lo, n, p) <= d else 0.0
    return min(1.0, lower + _sf(k - 1, n, p))


def _pmf(x: int, n: int, p: float) -> float:
    """Binomial probability of ``x``, as the step of the distribution function in the
    tail that ``x`` lies in: accurate to about 1e-12 relative even at ``n = 10**7``, where
    the log-gamma formula's rounding (about 1e-7) would decide the test's ties."""
    if x <= p * n:
        return _cdf(x, n, p) - _cdf(x - 1, n, p)
    return _sf(x - 1, n, p) - _sf(x, n, p)


def _cdf(x: int, n: int, p: float) -> float:
    """``P(X <= x)``."""
    return 0.0 if x < 0 else 1.0 if x >= n else float(special.betaincc(x + 1, n - x, p))


def _sf(x: int, n: int, p: float) -> float:
    """``P(X > x)``."""
    return 1.0 if x < 0 else 0.0 if x >= n else float(special.betainc(x + 1, n - x, p))
