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

:func:`near_repeat_analysis` is the whole job on a period's incidents: the Knox table,
which events were followed by another within the first bands, and those events per
scene of a round (the exact zones of :mod:`drugscenes.analysis.zones`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from drugscenes import config
from drugscenes.analysis.crime import categories_present, place_level_warning
from drugscenes.analysis.zones import ZoneIndex, check_rings
from drugscenes.errors import DataError, UsageError
from drugscenes.periods import Period


def _edges(values: ArrayLike, name: str) -> NDArray[np.float64]:
    e = np.asarray(values, dtype=float).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0) or np.any(np.diff(e) <= 0):
        raise UsageError(f"{name}: give positive, strictly increasing band edges, got {e.tolist()}")
    return e


@dataclass(frozen=True)
class KnoxResult:
    """Knox test over bands: observed and expected pair counts of each cell of space and
    time bands, their ratio and Monte Carlo p-value.

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
    space_edges_m: ArrayLike = config.KNOX_SPACE_BANDS_M,
    time_edges_days: ArrayLike = config.KNOX_TIME_BANDS_DAYS,
    permutations: int = config.KNOX_PERMUTATIONS,
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
    _check_work(xa, ya, float(se[-1]), int(permutations))
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


def _check_work(
    x: NDArray[np.float64], y: NDArray[np.float64], r: float, permutations: int
) -> None:
    """Refuse a test whose pairs would not fit in memory or take hours: more than
    :data:`~drugscenes.config.KNOX_MAX_PAIRS` pairs within ``r``, or more than
    :data:`~drugscenes.config.KNOX_MAX_PAIR_PERMUTATIONS` pairs times permutations.
    Counting the pairs (a KD-tree) does not list them."""
    if x.size < 2:
        return
    tree = cKDTree(np.column_stack([x, y]))
    n_pairs = (int(tree.count_neighbors(tree, r)) - x.size) // 2
    if n_pairs > config.KNOX_MAX_PAIRS:
        raise UsageError(
            f"{n_pairs:,} pairs of the {x.size:,} events lie within {r:g} m of each other (at "
            f"most {config.KNOX_MAX_PAIRS:,}): give narrower space bands (--space-bands) or a "
            "shorter period"
        )
    work = n_pairs * permutations
    if work > config.KNOX_MAX_PAIR_PERMUTATIONS:
        raise UsageError(
            f"{permutations:,} permutations of {n_pairs:,} pairs of events within {r:g} m are "
            f"{work:,} pair permutations (at most {config.KNOX_MAX_PAIR_PERMUTATIONS:,}): give "
            "fewer permutations (--simulations), narrower space bands (--space-bands) or a "
            "shorter period"
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


def band_labels(edges: Sequence[float], unit: str, open_end: bool) -> list[dict[str, Any]]:
    """Exact bands from upper edges: ``[0, e1]``, ``(e1, e2]``, ... (and ``(em, ∞)``).

    Examples
    --------
    >>> [b["label"] for b in band_labels((7.0, 14.0), "days", open_end=True)]
    ['[0, 7] days', '(7, 14] days', '(14, ∞) days']
    """
    highs: list[float | None] = [*edges, None] if open_end else list(edges)
    lows = [0.0, *edges][: len(highs)]
    bands = []
    for i, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
        left = "[" if i == 0 else "("
        right = "∞)" if hi is None else f"{hi:g}]"
        bands.append(
            {
                "label": f"{left}{lo:g}, {right} {unit}",
                "from": lo,
                "to": hi,
                "includes_from": i == 0,
                "includes_to": hi is not None,
            }
        )
    return bands


@dataclass(frozen=True)
class FollowUp:
    """How many events were followed by another within the first space and time bands.

    Attributes
    ----------
    distance_m, days : float
        The first band edges: another event at a distance ``<= distance_m`` and a lag
        ``0 < lag <= days`` later follows an event.
    category : str
    ring_m : float
        An event belongs to the scene it lies in or to the nearest scene within this.
    n_events, n_followed : int
    """

    distance_m: float
    days: float
    category: str
    ring_m: float
    n_events: int
    n_followed: int

    @property
    def share_followed(self) -> float:
        return self.n_followed / self.n_events if self.n_events else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_m": self.distance_m,
            "days": self.days,
            "rule": f"followed: another {self.category} at a distance <= {self.distance_m:g} m "
            f"and 0 < lag <= {self.days:g} days later",
            "ring_m": self.ring_m,
            "n_events": self.n_events,
            "n_followed": self.n_followed,
            "share_followed": self.share_followed,
        }


@dataclass(frozen=True)
class NearRepeatResult:
    """The near-repeat analysis of one category in a period.

    Attributes
    ----------
    round : str
        The round of the per-scene counts.
    category : str
    period : Period
    knox : KnoxResult
    followup : FollowUp
    scenes : list of dict
        Per scene of the round: ``scene_id``, ``shootings`` (events of the category
        inside or within ``ring_m``) and ``followed`` (of those, followed within the
        first bands), see :func:`followups_per_scene`.
    notes : list of str
        How the Monte Carlo was run, and every warning.
    warnings : list of str
        The notes that question the data itself (place-level coordinates).
    round_is_latest : bool
        The round was chosen as the latest, not named.
    """

    round: str
    category: str
    period: Period
    knox: KnoxResult
    followup: FollowUp
    scenes: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    round_is_latest: bool = False

    @property
    def space_bands(self) -> list[dict[str, Any]]:
        return band_labels(self.knox.space_edges_m, "m", open_end=False)

    @property
    def time_bands(self) -> list[dict[str, Any]]:
        return band_labels(self.knox.time_edges_days, "days", open_end=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "category": self.category,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "period_days": self.period.to_dict(),
            "space_bands": self.space_bands,
            "time_bands": self.time_bands,
            "knox": self.knox.to_dict(),
            "followup": self.followup.to_dict(),
            "scenes": self.scenes,
            "notes": self.notes,
            "warnings": self.warnings,
            "round_is_latest": self.round_is_latest,
        }


def near_repeat_analysis(
    incidents: pd.DataFrame,
    scenes: gpd.GeoDataFrame,
    *,
    period: Period,
    round_label: str,
    municipalities: gpd.GeoDataFrame,
    category: str = config.NEARREPEAT_CATEGORY,
    space_bands_m: ArrayLike = config.KNOX_SPACE_BANDS_M,
    time_bands_days: ArrayLike = config.KNOX_TIME_BANDS_DAYS,
    permutations: int = config.KNOX_PERMUTATIONS,
    seed: int = 0,
    ring_m: float = config.RING_M,
) -> NearRepeatResult:
    """Near repeats of one category's events in a period, overall and per scene.

    Parameters
    ----------
    incidents : DataFrame
        The period's incidents (``time``, ``category``, ``x``, ``y``); only those of
        ``category`` are events.
    scenes : GeoDataFrame
        The round's scenes, for the per-scene counts.
    period : Period
        The period the incidents are from (reported, not filtered on).
    round_label : str
    municipalities : GeoDataFrame
        The region, to tell place-level coordinates by its number of municipalities
        (:func:`~drugscenes.analysis.crime.place_level_warning`).
    category : str
    space_bands_m, time_bands_days : sequence of float
        Upper band edges (:func:`knox_bands`); the first of each is the follow-up rule.
    permutations, seed : int
        Monte Carlo permutations of the event times, and their seed.
    ring_m : float
        An event belongs to the scene it lies in, or to the nearest within this distance.

    Raises
    ------
    DataError
        Fewer than two events of the category.
    """
    ring = check_rings([ring_m])
    events = incidents[incidents["category"].astype(str) == category]
    if len(events) < 2:
        raise DataError(
            f"{len(events)} '{category}' event(s) from {period}: a near-repeat test needs at "
            f"least two (categories in the period: {', '.join(categories_present(incidents))})"
        )
    x = events["x"].to_numpy(float)
    y = events["y"].to_numpy(float)
    t = pd.to_datetime(events["time"], utc=True)
    t_days = ((t - t.min()) / pd.Timedelta(days=1)).to_numpy(float)
    knox = knox_bands(
        x, y, t_days, space_bands_m, time_bands_days, permutations=permutations, seed=seed
    )
    distance_m, days = knox.space_edges_m[0], knox.time_edges_days[0]
    followed = followed_within(x, y, t_days, distance_m, days)
    za = ZoneIndex(scenes, ring).assign(x, y)
    scene_index = np.where(za.zone <= 1, za.scene_index, -1).astype(np.int32)
    warnings = [w for w in [place_level_warning(events, len(municipalities))] if w]
    notes = [
        f"Monte Carlo with {permutations} permutations of the event times, seed {seed}: the "
        "same seed gives the same table.",
        *warnings,
    ]
    return NearRepeatResult(
        round=str(round_label),
        category=category,
        period=period,
        knox=knox,
        followup=FollowUp(distance_m, days, category, ring[0], len(events), int(followed.sum())),
        scenes=followups_per_scene(followed, scene_index, scenes["scene_id"].astype(str)),
        notes=notes,
        warnings=warnings,
    )
