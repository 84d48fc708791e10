"""Exact comparison of two Poisson rates (counts over exposures, e.g. incidents per km²).

Conditional on the total ``n = a + b``, the count ``a`` of the first zone is binomial
with probability ``p = E_a·RR / (E_a·RR + E_b)`` (Przyborowski & Wilenski 1940;
Breslow & Day 1987, §7.2). The confidence interval of the rate ratio ``RR`` is the
Clopper-Pearson interval of ``p`` transformed back,
``RR = p / (1 - p) · E_b / E_a``; the test of ``RR = 1`` is the exact binomial test of
``p = E_a / (E_a + E_b)`` (two-sided p-value by the "minlike" rule, as R's
``poisson.test`` and statsmodels' ``test_poisson_2indep(method="exact-cond")``).

Zero counts are valid inputs: ``a = 0`` gives ratio 0 with a finite upper limit;
``b = 0`` gives an infinite ratio and upper limit (percent change would be undefined,
see the domain notes); ``a = b = 0`` gives no information (NaN ratio, interval 0 to
infinity, p-value 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

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
    ci = stats.binomtest(a, n).proportion_ci(confidence_level=1 - alpha, method="exact")

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * scale

    ratio = math.inf if b == 0 else (a / exposure) / (b / exposure_ref)
    p0 = exposure / (exposure + exposure_ref)
    p_value = float(stats.binomtest(a, n, p0, alternative="two-sided").pvalue)
    return RateRatio(
        a, exposure, b, exposure_ref, ratio, to_ratio(ci.low), to_ratio(ci.high), p_value, alpha
    )
