"""Statistical disclosure control of the survey figures: what may be published.

The safety survey's microdata are personal data; its published figures (shares feeling
unsafe by distance band and by municipality) must not be differenced into one person's
answer, whatever sequence of queries a user runs. The method is that of statistical
offices' frequency-table protection (Hundepool et al., *Statistical Disclosure Control*,
Wiley 2012, ch. 5 and 7: threshold rule, primary and complementary suppression, and
disclosure by differencing of overlapping groups), made deterministic so that there is
no noise to average away:

1. **A published grid.** Band edges are rounded to whole multiples of
   :data:`~drugscenes.config.SURVEY_BAND_GRID_M` (100 m): an edge moved by a fraction of a
   metre gives the very same figures.
2. **Atoms.** For a survey year and the scenes it is measured against, the 100 m rings
   around the scenes are merged from the inside out into *atoms* holding at least
   ``min_n`` respondents who answered (the outermost remainder joins the last atom). Band
   edges are moved to the nearest atom boundary, so every published band is a union of
   atoms, and any two bands — of this query or of any other — differ by whole atoms: at
   least ``min_n`` people. This is the "refuse any query that differs from an allowed
   one by fewer than min_n respondents" rule, applied by construction, with no query log.
3. **Complementary suppression.** In a partition of the region (the bands; the
   municipalities) a group below ``min_n`` is suppressed, and further groups, smallest
   first, until the suppressed groups together hold at least ``min_n`` respondents and
   are at least two: the published region minus the published groups then reveals only
   a group of at least ``min_n``. Municipality reports show a municipality's figure only
   where the county's pattern shows it, so county and municipality reports are
   consistent.
4. **Rounding.** Shares, intervals and differences are published in whole percent.

Perturbation (the Australian Bureau of Statistics' cell-key method) is not used: averaging
attacks recover true values from many perturbed queries (Rinott, O'Keefe, Shlomo &
Skinner, "Confidentiality and differential privacy in the dissemination of frequency
tables", *Statistical Science* 33, 2018), while atoms leave nothing to average.
Microdata work at full precision stays with whoever holds the microdata (the survey file,
or the ``drugscenes_survey`` database role) and is not for publication.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from drugscenes.errors import UsageError

if TYPE_CHECKING:  # survey.py applies the suppression below, so no import at run time
    from drugscenes.analysis.survey import GroupEstimate, SurveyResult

__all__ = [
    "SECONDARY_REASON",
    "atom_edges",
    "complementary_suppression",
    "round_result",
    "snap_edges",
    "suppress_groups",
    "to_grid",
]

SECONDARY_REASON = "suppressed to protect a suppressed group (secondary suppression)"


def to_grid(edges: Sequence[float], grid_m: float) -> list[float]:
    """Band edges rounded to whole multiples of ``grid_m`` (halves up), positive, unique.

    Examples
    --------
    >>> to_grid([499.6, 500.4, 1049.9, 30], 100)
    [100.0, 500.0, 1000.0]
    """
    if not grid_m > 0:
        raise UsageError(f"the band grid must be positive metres, got {grid_m}")
    out = sorted({max(grid_m, math.floor(float(e) / grid_m + 0.5) * grid_m) for e in edges})
    return [float(e) for e in out]


def atom_edges(
    distance: np.ndarray, answered: np.ndarray, *, grid_m: float, min_n: int, max_m: float
) -> list[float]:
    """Boundaries of the atoms: grid rings merged until each holds ``min_n`` who answered.

    Parameters
    ----------
    distance : ndarray
        Each respondent's exact distance to the nearest scene (0 inside one).
    answered : ndarray of bool
        Respondents with a usable answer (the ones counted in every figure).
    grid_m : float
        Ring width (the published grid).
    min_n : int
        Fewest respondents in an atom.
    max_m : float
        No boundary beyond this distance (the last band is open).

    Returns
    -------
    list of float
        Increasing boundaries in metres; each of the intervals ``[0, b1]``, ``(b1, b2]``,
        ..., ``(bk, inf)`` holds at least ``min_n`` answered respondents (all of them in
        one open interval, and no boundary, if there are fewer than ``2 * min_n``).

    Examples
    --------
    >>> d = np.array([10, 20, 150, 160, 170, 420, 430, 900, 950, 990.0])
    >>> atom_edges(d, np.ones(10, bool), grid_m=100, min_n=3, max_m=5000)
    [200.0]

    (``[0, 200]`` holds 5; a boundary at 900 would leave 2 beyond it, so the outer
    remainder joins the last atom.)
    """
    d = np.asarray(distance, dtype=float)[np.asarray(answered, dtype=bool)]
    n_rings = max(1, math.ceil(max_m / grid_m))
    ring = np.clip(np.ceil(d / grid_m), 1, n_rings + 1).astype(np.int64)  # n_rings+1: beyond
    counts = np.bincount(ring, minlength=n_rings + 2)[1:]
    edges: list[float] = []
    since = 0
    for k in range(n_rings):  # ring k + 1 is ((k) g, (k + 1) g]
        since += int(counts[k])
        if since >= min_n:
            edges.append((k + 1) * grid_m)
            since = 0
    tail = since + int(counts[n_rings])
    if edges and tail < min_n:
        edges.pop()  # the remainder joins the last atom
    return [float(e) for e in edges]


def snap_edges(requested: Sequence[float], allowed: Sequence[float]) -> list[float]:
    """Each requested edge moved to the nearest allowed boundary (ties inward), unique.

    Examples
    --------
    >>> snap_edges([500, 1000, 2000], [200, 500, 1300, 1700])
    [500.0, 1300.0, 1700.0]
    >>> snap_edges([500], [])
    []
    """
    if not len(allowed):
        return []
    a = np.asarray(allowed, dtype=float)
    out = {float(a[np.argmin(np.abs(a - float(e)))]) for e in requested}
    return sorted(out)


def complementary_suppression(
    n: Sequence[int], suppressed: Sequence[bool], min_n: int
) -> np.ndarray:
    """Suppress more groups of a partition until the hidden ones are safe together.

    With the region total published, the hidden groups together are revealed as the
    region minus the shown groups; so hidden groups (with respondents) must be at least
    two and hold at least ``min_n`` respondents together. The smallest shown group is
    hidden next (ties: the first).

    Returns
    -------
    ndarray of bool
        The new suppression mask.

    Examples
    --------
    >>> complementary_suppression([5, 40, 35, 300], [True, False, False, False], 30).tolist()
    [True, False, True, False]
    >>> complementary_suppression([5, 4, 40, 300], [True, True, False, False], 30).tolist()
    [True, True, True, False]
    """
    counts = np.asarray(n, dtype=np.int64)
    hidden = np.asarray(suppressed, dtype=bool).copy()

    def unsafe() -> bool:
        h = hidden & (counts > 0)
        return bool(h.any()) and (int(h.sum()) < 2 or int(counts[h].sum()) < min_n)

    while unsafe() and (~hidden & (counts > 0)).any():
        shown = np.flatnonzero(~hidden & (counts > 0))
        hidden[shown[np.argmin(counts[shown])]] = True
    return hidden


def suppress_groups(groups: tuple[GroupEstimate, ...], min_n: int) -> tuple[GroupEstimate, ...]:
    """Apply :func:`complementary_suppression` to a partition of estimates."""
    mask = complementary_suppression([g.n for g in groups], [g.suppressed for g in groups], min_n)
    return tuple(
        g if (g.suppressed or not hide) else _blank(g, SECONDARY_REASON)
        for g, hide in zip(groups, mask, strict=True)
    )


def _blank(g: GroupEstimate, reason: str) -> GroupEstimate:
    return replace(
        g,
        share_unsafe=None,
        ci_low=None,
        ci_high=None,
        se=None,
        df=None,
        diff_vs_region=None,
        diff_ci_low=None,
        diff_ci_high=None,
        suppressed=True,
        estimable=False,
        reason=reason,
    )


def _r(v: float | None, digits: int) -> float | None:
    # + 0.0 turns a rounded -0.0 into 0.0
    return None if v is None or not math.isfinite(v) else round(float(v), digits) + 0.0


def round_result(result: SurveyResult, digits: int = 2) -> SurveyResult:
    """The result with shares, intervals and differences rounded to ``digits`` decimals of
    a fraction (2: whole percent), standard errors to one more, the trend to two."""

    def group(g: GroupEstimate) -> GroupEstimate:
        return replace(
            g,
            share_unsafe=_r(g.share_unsafe, digits),
            ci_low=_r(g.ci_low, digits),
            ci_high=_r(g.ci_high, digits),
            se=_r(g.se, digits + 1),
            diff_vs_region=_r(g.diff_vs_region, digits),
            diff_ci_low=_r(g.diff_ci_low, digits),
            diff_ci_high=_r(g.diff_ci_high, digits),
        )

    t = result.trend
    trend = replace(
        t,
        odds_ratio_per_km=_r(t.odds_ratio_per_km, 2),
        ci_low=_r(t.ci_low, 2),
        ci_high=_r(t.ci_high, 2),
    )
    return replace(
        result,
        region=group(result.region),
        bands=tuple(group(b) for b in result.bands),
        municipalities=tuple(group(m) for m in result.municipalities),
        trend=trend,
    )
