"""Near-repeat analysis of shootings: Knox test over space and time bands.

For every pair of events closer than the largest space band, the pair's distance
and time lag are put into bands; the observed count of each (space band, time band)
cell is compared with its expectation when the event times are shuffled among the
events (Monte Carlo permutations, seeded), as in Ratcliffe's Near Repeat Calculator
and Knox (1964); see Johnson et al. (2007), Journal of Quantitative Criminology 23,
201-219.

Band edges, stated exactly (the Near Repeat Calculator's labels are off by one, see
the domain notes): with edges ``e_1 < e_2 < ... < e_m`` the bands are
``[0, e_1]``, ``(e_1, e_2]``, ..., ``(e_{m-1}, e_m]``: each band **includes its upper
edge**. Time bands have one more band, ``(e_m, inf)``. Pairs farther apart than
``e_m`` in space are not enumerated (a KD-tree finds only the close pairs), so there
is no "beyond" space band.

Results per cell: ``observed``, ``expected`` (mean over permutations), ``ratio =
observed / expected`` and the one-sided pseudo p-value ``(k + 1) / (n + 1)``, with
``k`` the permutations whose count is at least the observed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from drugscenes.errors import UsageError

DEFAULT_SPACE_BANDS_M = (100.0, 200.0, 400.0, 800.0)
DEFAULT_TIME_BANDS_DAYS = (7.0, 14.0, 28.0)


def _edges(values: ArrayLike, name: str) -> NDArray[np.float64]:
    e = np.asarray(values, dtype=float).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0) or np.any(np.diff(e) <= 0):
        raise UsageError(f"{name}: give positive, strictly increasing band edges, got {e.tolist()}")
    return e


@dataclass(frozen=True)
class KnoxResult:
    """Knox test over bands.

    Attributes
    ----------
    space_edges_m, time_edges_days : tuple of float
        Upper edges of the bands (see the module docstring for inclusion).
    observed : ndarray of int, shape (n_space, n_time + 1)
        Pair counts; the last time column is ``(e_m, inf)``.
    expected : ndarray of float
        Mean count over the permutations.
    ratio : ndarray of float
        observed / expected (NaN where expected is 0).
    p_value : ndarray of float
        (k + 1) / (permutations + 1).
    n_events, n_pairs, permutations, seed : int
    """

    space_edges_m: tuple[float, ...]
    time_edges_days: tuple[float, ...]
    observed: NDArray[np.int64]
    expected: NDArray[np.float64]
    ratio: NDArray[np.float64]
    p_value: NDArray[np.float64]
    n_events: int
    n_pairs: int
    permutations: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """Cells as a list of dicts with exact band bounds."""
        cells = []
        s_lo = [0.0, *self.space_edges_m[:-1]]
        t_lo = [0.0, *self.time_edges_days]
        t_hi: list[float | None] = [*self.time_edges_days, None]
        for i, (a, b) in enumerate(zip(s_lo, self.space_edges_m, strict=True)):
            for j, (c, d) in enumerate(zip(t_lo, t_hi, strict=True)):
                r = self.ratio[i, j]
                cells.append(
                    {
                        "space_from_m": a,
                        "space_to_m": b,
                        "space_includes_from": i == 0,
                        "time_from_days": c,
                        "time_to_days": d,
                        "time_includes_from": j == 0,
                        "observed": int(self.observed[i, j]),
                        "expected": float(self.expected[i, j]),
                        "ratio": float(r) if math.isfinite(r) else None,
                        "p_value": float(self.p_value[i, j]),
                    }
                )
        return {
            "bands_rule": "each band includes its upper edge; the first band includes 0",
            "n_events": self.n_events,
            "n_pairs": self.n_pairs,
            "permutations": self.permutations,
            "seed": self.seed,
            "cells": cells,
        }


def _bin(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    # side="left": a value equal to an edge goes to the band that edge closes
    return np.searchsorted(edges, values, side="left")


def knox_bands(
    x: ArrayLike,
    y: ArrayLike,
    t_days: ArrayLike,
    space_edges_m: ArrayLike = DEFAULT_SPACE_BANDS_M,
    time_edges_days: ArrayLike = DEFAULT_TIME_BANDS_DAYS,
    permutations: int = 999,
    seed: int = 0,
) -> KnoxResult:
    """Knox test of space-time interaction over space and time bands.

    Parameters
    ----------
    x, y : array_like
        Event coordinates in metres (EPSG:3006).
    t_days : array_like
        Event times in days (any origin).
    space_edges_m, time_edges_days : array_like
        Upper band edges, strictly increasing.
    permutations : int, default 999
        Monte Carlo permutations of the times.
    seed : int, default 0
        Seed of the permutations; equal seeds give equal results.

    Returns
    -------
    KnoxResult

    Examples
    --------
    >>> r = knox_bands([0, 50, 1000], [0, 0, 0], [0, 1, 2], [100], [7], permutations=9)
    >>> r.observed.tolist()
    [[1, 0]]
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    ta = np.asarray(t_days, dtype=float)
    if not (xa.shape == ya.shape == ta.shape) or xa.ndim != 1:
        raise UsageError("x, y and t_days must be 1-d arrays of one length")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya)) and np.all(np.isfinite(ta))):
        raise UsageError("x, y and t_days must be finite")
    if permutations < 1:
        raise UsageError(f"permutations must be >= 1, got {permutations}")
    se = _edges(space_edges_m, "space bands")
    te = _edges(time_edges_days, "time bands")
    n_s, n_t = se.size, te.size + 1
    pairs = _close_pairs(xa, ya, se[-1])
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.hypot(xa[i] - xa[j], ya[i] - ya[j])
    sb = _bin(d, se)
    keep = sb < n_s  # query_pairs uses <= r; float rounding may add a pair just beyond
    i, j, sb = i[keep], j[keep], sb[keep]

    def table(t: NDArray[np.float64]) -> NDArray[np.int64]:
        tb = _bin(np.abs(t[i] - t[j]), te)
        return np.bincount(sb * n_t + tb, minlength=n_s * n_t).reshape(n_s, n_t)

    observed = table(ta)
    rng = np.random.default_rng(seed)
    total = np.zeros((n_s, n_t))
    exceed = np.zeros((n_s, n_t), dtype=np.int64)
    for _ in range(permutations):  # loop over permutations; each is vectorised over pairs
        sim = table(rng.permutation(ta))
        total += sim
        exceed += sim >= observed
    expected = total / permutations
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
    p = (exceed + 1) / (permutations + 1)
    return KnoxResult(
        tuple(se.tolist()),
        tuple(te.tolist()),
        observed,
        expected,
        ratio,
        p,
        int(xa.size),
        int(i.size),
        int(permutations),
        int(seed),
    )


def _close_pairs(x: NDArray[np.float64], y: NDArray[np.float64], r: float) -> NDArray[np.int64]:
    if x.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = cKDTree(np.column_stack([x, y]))
    return tree.query_pairs(r, output_type="ndarray").astype(np.int64)


def followed_within(
    x: ArrayLike, y: ArrayLike, t_days: ArrayLike, distance_m: float, days: float
) -> NDArray[np.bool_]:
    """For each event: is it followed by another within ``distance_m`` and ``days``?

    "Followed" means another event at distance ``<= distance_m`` and a time lag
    ``0 < lag <= days`` after it (simultaneous events do not follow each other).

    Examples
    --------
    >>> followed_within([0, 10, 5000], [0, 0, 0], [0, 3, 4], 100, 7).tolist()
    [True, False, False]
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    ta = np.asarray(t_days, dtype=float)
    out = np.zeros(xa.size, dtype=bool)
    pairs = _close_pairs(xa, ya, float(distance_m))
    if pairs.size == 0:
        return out
    i, j = pairs[:, 0], pairs[:, 1]
    lag = ta[j] - ta[i]
    out[i[(lag > 0) & (lag <= days)]] = True
    out[j[(-lag > 0) & (-lag <= days)]] = True
    return out


def followups_per_scene(
    followed: NDArray[np.bool_], scene_index: NDArray[np.int32], scene_ids: ArrayLike
) -> list[dict[str, Any]]:
    """Per scene: shootings at it and how many were followed by another within the bands.

    ``scene_index`` is the scene of each shooting (-1 for none), e.g. from
    :func:`drugscenes.analysis.zones.assign_zones` restricted to scene and first ring.
    """
    ids = np.asarray(scene_ids, dtype=object)
    at = scene_index >= 0
    n = np.bincount(scene_index[at], minlength=ids.size)
    f = np.bincount(scene_index[at & followed], minlength=ids.size)
    return [
        {"scene_id": str(ids[s]), "shootings": int(n[s]), "followed": int(f[s])}
        for s in range(ids.size)
    ]
