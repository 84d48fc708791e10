"""Mann-Kendall trend test against pymannkendall.original_test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drugscenes.stats.trend import mann_kendall


def test_mann_kendall_equals_pymannkendall() -> None:
    import pymannkendall as pmk

    rng = np.random.default_rng(10)
    series = [
        rng.normal(size=12),
        np.arange(12.0) + rng.normal(0, 2, 12),
        np.array([1.0, 1, 2, 2, 2, 3, 1, 4, 4, 5]),  # ties
        np.array([5.0, 4, 4, 3, 1, 1, 1, 0]),
        np.array([1.0, 2, 3, 4, 5]),
        np.array([2.0, 2, 2, 2, 2, 2]),  # all tied: S = 0
        rng.integers(0, 3, 24).astype(float),
    ]
    for s in series:
        ref = pmk.original_test(s)
        mk = mann_kendall(s[None, :])
        assert mk.s[0] == ref.s
        assert mk.var_s[0] == pytest.approx(ref.var_s, rel=1e-12)
        assert mk.z[0] == pytest.approx(ref.z, rel=1e-12, abs=1e-15)
        assert mk.p[0] == pytest.approx(ref.p, rel=1e-9, abs=1e-14)
        assert mk.tau[0] == pytest.approx(ref.Tau, rel=1e-12)
    # Vectorised over rows of equal length.
    block = rng.normal(size=(50, 9))
    mk = mann_kendall(block)
    for i in (0, 17, 49):
        assert mk.p[i] == pytest.approx(pmk.original_test(block[i]).p, rel=1e-9)


def test_mann_kendall_floor_with_four_periods() -> None:
    # The smallest p-value of 4 steps is above 0.05: why trends need 5 periods.
    assert mann_kendall([[1.0, 2, 3, 4]]).p[0] > 0.05
    assert mann_kendall([[1.0, 2, 3, 4, 5]]).p[0] < 0.05
    assert 2 / math.factorial(4) > 0.05 > 2 / math.factorial(5)
