"""Benjamini-Hochberg FDR against statsmodels' multipletests."""

from __future__ import annotations

import numpy as np

from drugscenes.stats.multiple import fdr_bh


def test_fdr_equals_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(0, 1, 500), rng.uniform(0, 0.001, 50), [0.02, 0.02]])
    ref = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(fdr_bh(p), ref, rtol=1e-12, atol=0)
    q2 = fdr_bh(np.vstack([p, p[::-1]]))
    np.testing.assert_allclose(q2[1], ref[::-1], rtol=1e-12)
    withnan = np.r_[np.nan, p]
    assert np.isnan(fdr_bh(withnan)[0])
    np.testing.assert_allclose(fdr_bh(withnan)[1:], ref, rtol=1e-12)
