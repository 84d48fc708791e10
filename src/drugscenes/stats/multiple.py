"""Multiple testing: Benjamini-Hochberg false discovery rate.

Used by the hot-spot statistics (:mod:`drugscenes.analysis.hotspots`) to adjust the
p-values of the many cells of a grid tested at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["fdr_bh"]


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (NaN ignored and kept), along the last axis.

    ``q_(i) = min_{j ≥ i} min(1, m·p_(j)/j)`` for the ascending p-values of each row
    (Benjamini & Hochberg 1995, *JRSS B* 57:289-300); a cell is significant at FDR level α
    when ``q ≤ α``. Equals ``statsmodels.stats.multitest.multipletests(p, method='fdr_bh')``.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    arr = np.asarray(p, dtype=np.float64)
    flat = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
    out = np.full(flat.shape, np.nan)
    for r in range(flat.shape[0]):  # rows are periods, a handful
        row = flat[r]
        ok = np.flatnonzero(np.isfinite(row))
        m = ok.size
        if m == 0:
            continue
        order = np.argsort(row[ok], kind="mergesort")
        ranked = row[ok][order] / (np.arange(1, m + 1) / m)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        q = np.empty(m)
        q[order] = np.minimum(ranked, 1.0)
        out[r, ok] = q
    return out.reshape(arr.shape)
