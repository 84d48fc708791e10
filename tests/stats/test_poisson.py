"""Exact Poisson rate ratio and the binomial test and interval under it, against
statsmodels, SciPy and R."""

from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats import rates
from statsmodels.stats.proportion import proportion_confint

from drugscenes.errors import UsageError
from drugscenes.stats.poisson import binomial_two_sided_p, clopper_pearson, rate_ratio

CASES = [(30, 2.0, 100, 100.0), (5, 1.0, 20, 10.0), (0, 0.5, 40, 200.0), (3, 0.17, 9000, 11000.0)]


@pytest.mark.parametrize(("a", "ea", "b", "eb"), CASES)
def test_p_value_equals_statsmodels_exact_cond(a: int, ea: float, b: int, eb: float) -> None:
    r = rate_ratio(a, ea, b, eb)
    sm = rates.test_poisson_2indep(a, ea, b, eb, method="exact-cond")
    assert r.p_value == pytest.approx(sm.pvalue, rel=1e-9)
    assert r.ratio == pytest.approx(sm.ratio)


@pytest.mark.parametrize(("a", "ea", "b", "eb"), CASES)
def test_interval_is_clopper_pearson_transformed(a: int, ea: float, b: int, eb: float) -> None:
    r = rate_ratio(a, ea, b, eb)
    lo, hi = proportion_confint(a, a + b, alpha=0.05, method="beta")  # Clopper-Pearson
    assert r.ci_low == pytest.approx(lo / (1 - lo) * eb / ea, rel=1e-9, abs=1e-12)
    assert r.ci_high == pytest.approx(hi / (1 - hi) * eb / ea, rel=1e-9)


def test_interval_inverts_the_one_sided_exact_tests() -> None:
    # The exact interval's ends are where the one-sided exact conditional tests give 0.025.
    r = rate_ratio(30, 2.0, 100, 100.0)
    up = rates.test_poisson_2indep(
        30, 2.0, 100, 100.0, value=r.ci_high, method="exact-cond", alternative="smaller"
    )
    lo = rates.test_poisson_2indep(
        30, 2.0, 100, 100.0, value=r.ci_low, method="exact-cond", alternative="larger"
    )
    assert up.pvalue == pytest.approx(0.025, rel=1e-6)
    assert lo.pvalue == pytest.approx(0.025, rel=1e-6)


def test_zero_cells() -> None:
    r = rate_ratio(0, 1.0, 10, 1.0)
    assert r.ratio == 0 and r.ci_low == 0
    # upper limit: p_hi = 1 - 0.025**(1/10) (Clopper-Pearson with x = 0), by hand
    p_hi = 1 - 0.025 ** (1 / 10)
    assert r.ci_high == pytest.approx(p_hi / (1 - p_hi))
    r = rate_ratio(4, 1.0, 0, 1.0)
    assert math.isinf(r.ratio) and math.isinf(r.ci_high)
    assert r.to_dict()["ratio"] is None
    assert r.p_value == pytest.approx(stats.binomtest(4, 4, 0.5).pvalue)
    r = rate_ratio(0, 1.0, 0, 1.0)
    assert math.isnan(r.ratio) and r.p_value == 1.0


def test_validation() -> None:
    with pytest.raises(UsageError, match="exposure"):
        rate_ratio(1, 0.0, 1, 1.0)
    with pytest.raises(UsageError, match="count"):
        rate_ratio(-1, 1.0, 1, 1.0)


# R 4.2: binom.test(k, n, p)$p.value and $conf.int, formatted with 10 and 11 digits.
R_BINOM_TEST = [
    ((3, 15, 0.1), 0.1840610691, (0.043312005106, 0.48089113381)),
    ((682, 925, 0.75), 0.3824915596, (0.70766826408, 0.76540655824)),
    ((0, 20, 0.3), 0.00105896967, (0.0, 0.16843347098)),
    ((20, 20, 0.3), 3.486784401e-11, (0.83156652902, 1.0)),
    ((104, 9998, 0.0104), 0.96070304, (0.008506939937, 0.012589961055)),
]

BINOM_GRID = [
    (k, n, p)
    for n, p in [(1, 0.5), (10, 0.37), (200, 0.05), (12_345, 0.6), (10_000_000, 0.0104)]
    for k in sorted(
        {0, 1, n, int(n * p), int(n * p) + 1, int(n * p * 1.01), int(n * p * 0.99), n // 2}
    )
]


@pytest.mark.parametrize(("args", "p_value", "interval"), R_BINOM_TEST)
def test_binomial_test_and_interval_equal_r(
    args: tuple[int, int, float], p_value: float, interval: tuple[float, float]
) -> None:
    k, n, p = args
    assert binomial_two_sided_p(k, n, p) == pytest.approx(p_value, rel=1e-9)
    assert clopper_pearson(k, n) == pytest.approx(interval, rel=1e-9, abs=1e-11)


@pytest.mark.parametrize(("k", "n", "p"), BINOM_GRID)
def test_binomial_test_equals_scipy(k: int, n: int, p: float) -> None:
    # up to ten million trials, where a log-gamma probability would already be too coarse
    # to tell the outcomes "as likely as k" (SciPy's tolerance is 1e-7) from the others
    ref = stats.binomtest(k, n, p)
    assert binomial_two_sided_p(k, n, p) == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
    ci = ref.proportion_ci(method="exact")
    assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-11)
