"""Two proportions against Newcombe's published intervals and statsmodels."""

from __future__ import annotations

import itertools

import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from drugscenes.stats.proportions import newcombe_interval, pooled_z_test, wilson_interval

# Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, method 10, to 4 decimals.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]

GRID = [
    (c1, n1, c2, n2)
    for (n1, n2) in [(7, 7), (10, 1000), (345, 12_000), (250_000, 9_750_000)]
    for c1, c2 in itertools.product(
        sorted({0, 1, n1 // 3, n1 - 1, n1}), sorted({0, 1, n2 // 50, n2 // 2, n2})
    )
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_is_the_published_one(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    lo, hi = newcombe_interval(*counts)
    assert (round(lo, 4), round(hi, 4)) == expected


@pytest.mark.parametrize("case", GRID)
def test_equal_to_statsmodels(case: tuple[int, int, int, int]) -> None:
    c1, n1, c2, n2 = case
    lo, hi = newcombe_interval(c1, n1, c2, n2, alpha=0.1)
    ref = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb", alpha=0.1)
    assert (lo, hi) == pytest.approx(ref, rel=1e-12, abs=1e-14)
    assert wilson_interval(c1, n1) == pytest.approx(
        proportion_confint(c1, n1, method="wilson"), rel=1e-12, abs=1e-14
    )
    p = pooled_z_test(c1, n1, c2, n2)
    if c1 + c2 in (0, n1 + n2):
        assert p is None  # no variation: statsmodels' z would be 0/0
    else:
        assert p == pytest.approx(proportions_ztest([c1, c2], [n1, n2])[1], rel=1e-12)


def test_z_test_is_pearsons_chi_squared() -> None:
    p = pooled_z_test(30, 100, 50, 1000)
    _, ref, _, _ = stats.chi2_contingency([[30, 70], [50, 950]], correction=False)
    assert p == pytest.approx(ref, rel=1e-9)
