"""Normal-distribution tail probabilities shared by the tests of :mod:`drugscenes.stats`
and the hot-spot statistics (Gi*, Mann-Kendall)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = ["two_sided_p"]


def two_sided_p(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """``2·(1 − Φ(|z|))`` computed as ``2·Φ(−|z|)`` (no cancellation for large z).

    Examples
    --------
    >>> two_sided_p(np.array([0.0, 1.959963984540054])).round(6).tolist()
    [1.0, 0.05]
    """
    return 2.0 * special.ndtr(-np.abs(z))
