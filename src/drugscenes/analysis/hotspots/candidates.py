"""Candidate scenes: significant hot areas (of the local exact Poisson test or of Gi*) that
lie away from every registered scene (areas outside the registry), and those of them far
from ceased scenes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from drugscenes import CRS_EPSG
from drugscenes.analysis.grid import Grid
from drugscenes.analysis.hotspots.emerging import EmergingHotSpots
from drugscenes.analysis.hotspots.gistar import GiStar
from drugscenes.analysis.hotspots.local import LocalPoisson
from drugscenes.errors import UsageError
from drugscenes.stats.trend import MannKendall, PoissonTrend, mann_kendall, poisson_trend

__all__ = [
    "CandidateScenes",
    "CandidateStory",
    "candidate_scenes",
    "candidates_far_from",
    "classify_candidates",
]


@dataclass(frozen=True, eq=False)
class CandidateScenes:
    """Significant hot areas not near a registered scene (result of :func:`candidate_scenes`).

    Attributes
    ----------
    candidates : GeoDataFrame
        One row per candidate area, ranked: ``candidate_id`` ("C001", …), ``rank``,
        ``n_cells``, ``area_m2``, ``count`` (incidents in its cells), ``max_z``, ``mean_z``,
        ``max_bin``, ``x``, ``y`` (a point inside the area), ``municipality_code``,
        ``nearest_scene_id``, ``nearest_scene_m``, ``trend`` ("increasing", "decreasing",
        "no trend" or None without periods), ``trend_tau``, ``trend_p`` (the area's counts
        per period: with the local Poisson method the exact conditional Poisson trend
        against the region's totals, ``trend_tau`` then Kendall's tau of the counts as a
        descriptive value; with Gi* Mann-Kendall), ``pattern`` (emerging pattern of the
        area's cell with the highest z, None without periods), geometry (union of the cells,
        EPSG:3006).
    near_registered : GeoDataFrame
        The hot areas dropped because they lie within ``distance_m`` of a registered scene,
        same columns (without ranks): registered scenes show up here, not as candidates.
    distance_m, min_bin, min_count : parameters used
    n_hot_cells : int
        Cells with ``Gi_Bin ≥ min_bin``.
    """

    candidates: gpd.GeoDataFrame
    near_registered: gpd.GeoDataFrame
    distance_m: float
    min_bin: int
    min_count: int
    n_hot_cells: int

    def to_dict(self) -> dict[str, Any]:
        def records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
            return pd.DataFrame(frame.drop(columns="geometry")).to_dict("records")

        return {
            "distance_m": self.distance_m,
            "min_bin": self.min_bin,
            "min_count": self.min_count,
            "n_hot_cells": self.n_hot_cells,
            "n_candidates": len(self.candidates),
            "n_near_registered": len(self.near_registered),
            "candidates": records(self.candidates),
            "near_registered": records(self.near_registered),
        }


_CANDIDATE_COLUMNS = [
    "n_cells",
    "area_m2",
    "count",
    "max_z",
    "mean_z",
    "max_bin",
    "x",
    "y",
    "municipality_code",
    "nearest_scene_id",
    "nearest_scene_m",
    "trend",
    "trend_tau",
    "trend_p",
    "pattern",
]


def candidate_scenes(
    grid: Grid,
    counts: ArrayLike,
    gi: GiStar | LocalPoisson,
    scenes: gpd.GeoDataFrame,
    distance_m: float = 200.0,
    min_bin: int = 2,
    min_count: int = 5,
    emerging: EmergingHotSpots | None = None,
    municipalities: gpd.GeoDataFrame | None = None,
    trend_alpha: float = 0.05,
) -> CandidateScenes:
    """Significant hot areas away from every registered scene: candidates for mapping.

    1. Hot cells: ``gi.bin ≥ min_bin`` (default 2: 95 % confidence, FDR-adjusted if
       ``gi.fdr``).
    2. Areas: edge-adjacent hot cells (4-connectivity, ``scipy.ndimage.label``) are merged;
       an area's polygon is the union of its cells.
    3. Areas with fewer than ``min_count`` incidents in their cells are dropped (a hot area
       can be hot from its neighbours only).
    4. Areas within ``distance_m`` of a registered scene (polygon to polygon) are not
       candidates; they are listed in ``near_registered``.
    5. Candidates are ranked by ``count``, then ``max_z`` (descending).

    Parameters
    ----------
    grid : Grid
    counts : array_like, shape (n_cells,)
        The counts ``gi`` was computed from.
    gi : GiStar or LocalPoisson
        Single-slice Gi* or local Poisson test of ``counts`` (its ``z`` and ``bin``).
    scenes : GeoDataFrame
        Registered scenes of the round (``scene_id``, polygons, EPSG:3006); may be empty.
    distance_m : float, default 200
    min_bin : {1, 2, 3}, default 2
    min_count : int, default 5
    emerging : EmergingHotSpots, optional
        Adds each area's trend (Mann-Kendall of its summed counts per period) and pattern.
    municipalities : GeoDataFrame, optional
        ``code``, geometry: adds the municipality of each area's inside point.
    trend_alpha : float, default 0.05

    Returns
    -------
    CandidateScenes
    """
    x = np.asarray(counts)
    if x.shape != (grid.n_cells,):
        raise UsageError(f"counts must have shape ({grid.n_cells},), got {x.shape}")
    if np.ndim(gi.z) != 1:
        raise UsageError("gi must be a single-slice Gi* (one period)")
    if min_bin not in (1, 2, 3):
        raise UsageError(f"min_bin must be 1, 2 or 3, got {min_bin}")
    if not distance_m >= 0:
        raise UsageError(f"distance_m must be >= 0, got {distance_m}")
    if not isinstance(scenes, gpd.GeoDataFrame):
        raise UsageError(f"scenes should be a GeoDataFrame, got {type(scenes)}")
    if scenes.crs is not None and scenes.crs.to_epsg() != CRS_EPSG:
        raise UsageError(f"scenes should be in EPSG:{CRS_EPSG}, got {scenes.crs}")
    hot = gi.bin >= min_bin
    labels_r, n_lab = ndimage.label(grid.raster(hot.astype(float), fill=0.0) > 0)
    lab = grid.compact(labels_r).astype(np.int64) - 1  # −1: not hot
    idx = np.flatnonzero(lab >= 0)
    empty = _candidate_frame(pd.DataFrame(columns=_CANDIDATE_COLUMNS), [])
    if idx.size == 0:
        return CandidateScenes(empty, empty.copy(), distance_m, min_bin, min_count, 0)
    L = lab[idx]
    order = np.argsort(L, kind="stable")
    idx, L = idx[order], L[order]
    cell_count = np.bincount(L, x[idx], minlength=n_lab)
    n_cells = np.bincount(L, minlength=n_lab)
    z = gi.z[idx]
    max_z = np.full(n_lab, -np.inf)
    np.maximum.at(max_z, L, z)
    mean_z = np.bincount(L, z, minlength=n_lab) / np.maximum(n_cells, 1)
    max_bin = np.zeros(n_lab, dtype=np.int64)
    np.maximum.at(max_bin, L, gi.bin[idx].astype(np.int64))
    # Peak cell of each area: highest z (first in cell order on ties).
    peak_order = np.lexsort((-z, L))
    first = np.r_[True, L[peak_order][1:] != L[peak_order][:-1]]
    peak = idx[peak_order[first]]
    keep = np.flatnonzero(cell_count >= min_count)
    boxes = grid.boxes(idx)
    bounds = np.searchsorted(L, np.arange(n_lab + 1))
    polys = np.array(
        [shapely.union_all(boxes[bounds[k] : bounds[k + 1]]) for k in keep],  # per area
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "n_cells": n_cells[keep],
            "area_m2": n_cells[keep] * grid.cell_area_m2,
            "count": cell_count[keep].astype(np.int64),
            "max_z": max_z[keep],
            "mean_z": mean_z[keep],
            "max_bin": max_bin[keep],
        }
    )
    pts = shapely.point_on_surface(polys) if polys.size else np.array([], dtype=object)
    frame["x"] = shapely.get_x(pts) if polys.size else np.array([], float)
    frame["y"] = shapely.get_y(pts) if polys.size else np.array([], float)
    frame["municipality_code"] = _municipality(frame["x"], frame["y"], municipalities)
    near_id, near_m = _nearest(polys, scenes)
    frame["nearest_scene_id"] = near_id
    frame["nearest_scene_m"] = near_m
    if emerging is not None:
        series = np.zeros((keep.size, emerging.counts.shape[0]))
        pos = np.full(n_lab, -1)
        pos[keep] = np.arange(keep.size)
        sel = pos[L] >= 0
        for tt in range(emerging.counts.shape[0]):  # loop over periods
            series[:, tt] = np.bincount(
                pos[L][sel], emerging.counts[tt, idx[sel]], minlength=keep.size
            )
        mk: PoissonTrend | MannKendall | None = None
        if keep.size and isinstance(emerging.trend, PoissonTrend):
            totals = emerging.counts.sum(axis=1)
            mk = poisson_trend(series, totals if (totals > 0).any() else None)
        elif keep.size:
            mk = mann_kendall(series)
        if mk is not None:
            sig = mk.p <= trend_alpha
            frame["trend"] = np.where(
                sig & (mk.s > 0), "increasing", np.where(sig & (mk.s < 0), "decreasing", "no trend")
            )
            frame["trend_tau"] = mk.tau
            frame["trend_p"] = mk.p
        frame["pattern"] = emerging.pattern[peak[keep]]
    else:
        frame["trend"] = None
        frame["trend_tau"] = np.nan
        frame["trend_p"] = np.nan
        frame["pattern"] = None
    gframe = _candidate_frame(frame, list(polys))
    near = (gframe["nearest_scene_m"] <= distance_m).to_numpy()
    cands = gframe[~near].sort_values(["count", "max_z"], ascending=False, kind="stable")
    cands = cands.reset_index(drop=True)
    cands.insert(0, "rank", np.arange(1, len(cands) + 1))
    cands.insert(0, "candidate_id", [f"C{i:03d}" for i in range(1, len(cands) + 1)])
    dropped = gframe[near].sort_values("nearest_scene_m", kind="stable").reset_index(drop=True)
    return CandidateScenes(cands, dropped, distance_m, min_bin, min_count, int(hot.sum()))


def _candidate_frame(frame: pd.DataFrame, polys: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=gpd.GeoSeries(polys, crs=CRS_EPSG), crs=CRS_EPSG
    )


def _municipality(
    x: pd.Series, y: pd.Series, municipalities: gpd.GeoDataFrame | None
) -> NDArray[np.object_]:
    out = np.full(len(x), None, dtype=object)
    if municipalities is None or len(x) == 0:
        return out
    geoms = np.asarray(municipalities.geometry.values, dtype=object)
    codes = municipalities["code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    pts = shapely.points(x.to_numpy(), y.to_numpy())
    pi, gi_ = tree.query(pts, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = codes[gi_[first]]
    return out


def _nearest(
    geoms: NDArray[np.object_], scenes: gpd.GeoDataFrame
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """Id of and distance to the nearest scene of each geometry (None/NaN without scenes)."""
    ids = np.full(len(geoms), None, dtype=object)
    dist = np.full(len(geoms), np.nan)
    sg = np.asarray(scenes.geometry.values, dtype=object) if len(scenes) else np.array([])
    ok = ~shapely.is_missing(sg) & ~shapely.is_empty(sg) if sg.size else np.array([], bool)
    if len(geoms) == 0 or not ok.any():
        return ids, dist
    sg = sg[ok]
    sid = (
        scenes["scene_id"].astype(str).to_numpy()[ok]
        if "scene_id" in scenes.columns
        else np.flatnonzero(ok).astype(str)
    )
    tree = shapely.STRtree(sg)
    (qi, ti), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    ids[qi] = sid[ti]
    dist[qi] = d
    return ids, dist


def candidates_far_from(
    candidates: gpd.GeoDataFrame | CandidateScenes,
    ceased: gpd.GeoDataFrame,
    distance_m: float,
) -> gpd.GeoDataFrame:
    """Candidates farther than ``distance_m`` from every ceased scene.

    For the ``compare`` command: "no new scenes elsewhere" is backed by data when this is
    empty (no hot area away from the registry that is not next to a ceased scene). Adds
    ``nearest_ceased_id`` and ``nearest_ceased_m`` (None/NaN when there are no ceased
    scenes, in which case every candidate is far from them).

    Examples
    --------
    >>> import shapely
    >>> c = gpd.GeoDataFrame({"candidate_id": ["C001", "C002"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(5000, 0, 5100, 100)], crs=3006)
    >>> ceased = gpd.GeoDataFrame({"scene_id": ["S9"]},
    ...     geometry=[shapely.box(300, 0, 400, 100)], crs=3006)
    >>> candidates_far_from(c, ceased, 1000)["candidate_id"].tolist()
    ['C002']
    """
    frame = candidates.candidates if isinstance(candidates, CandidateScenes) else candidates
    if not isinstance(frame, gpd.GeoDataFrame):
        raise UsageError(f"candidates should be a GeoDataFrame, got {type(frame)}")
    if not isinstance(ceased, gpd.GeoDataFrame):
        raise UsageError(f"ceased should be a GeoDataFrame, got {type(ceased)}")
    if not distance_m >= 0:
        raise UsageError(f"distance_m must be >= 0, got {distance_m}")
    for f, name in ((frame, "candidates"), (ceased, "ceased")):
        if f.crs is not None and f.crs.to_epsg() != CRS_EPSG:
            raise UsageError(f"{name} should be in EPSG:{CRS_EPSG}, got {f.crs}")
    ids, dist = _nearest(np.asarray(frame.geometry.values, dtype=object), ceased)
    out = frame.copy()
    out["nearest_ceased_id"] = ids
    out["nearest_ceased_m"] = dist
    far = np.isnan(dist) | (dist > distance_m)
    return out[far].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class CandidateStory:
    """Candidate areas split by what they most likely are (result of
    :func:`classify_candidates`).

    A hot area within ``distance_m`` of a scene that ceased between the rounds is most
    likely crime remaining where a scene was worked away (the period of the crime data
    lies partly before the scene ceased); a hot area farther from every ceased scene is
    a new candidate place for the next mapping round.

    Attributes
    ----------
    remaining : GeoDataFrame
        Candidates within ``distance_m`` of a ceased scene: the candidates' columns plus
        ``ceased_ids`` (list of str, nearest first), ``ceased_names`` (list of str,
        same order), ``nearest_ceased_id`` and ``nearest_ceased_m``.
    new_places : GeoDataFrame
        Candidates farther than ``distance_m`` from every ceased scene (exactly those of
        :func:`candidates_far_from`): the candidates' columns plus
        ``municipality_name``, ``nearest_scene_name`` (the nearest registered scene),
        ``nearest_ceased_id`` and ``nearest_ceased_m``.
    worked_away : DataFrame
        One row per ceased scene with at least one candidate within ``distance_m``:
        ``scene_id``, ``name``, ``municipality_code``, ``municipality_name``,
        ``candidate_ids`` (list of str), ``count`` (incidents in those candidates),
        ``nearest_m`` (distance to the nearest of them); ordered by ``count`` (descending),
        then ``scene_id``.
    distance_m : float
    """

    remaining: gpd.GeoDataFrame
    new_places: gpd.GeoDataFrame
    worked_away: pd.DataFrame
    distance_m: float

    def to_dict(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            cols = [c for c in frame.columns if c != "geometry"]
            return pd.DataFrame(frame[cols]).to_dict("records")

        return {
            "distance_m": self.distance_m,
            "n_remaining": len(self.remaining),
            "n_new_places": len(self.new_places),
            "n_worked_away_with_crime": len(self.worked_away),
            "worked_away": records(self.worked_away),
            "new_places": records(self.new_places),
            "remaining": records(self.remaining),
        }


def classify_candidates(
    candidates: gpd.GeoDataFrame | CandidateScenes,
    ceased: gpd.GeoDataFrame,
    distance_m: float,
    *,
    scenes: gpd.GeoDataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
) -> CandidateStory:
    """Split candidates into crime remaining at worked-away scenes and new places.

    A candidate lies at a worked-away scene when a ceased scene is within ``distance_m``
    of it (polygon to polygon, the rule of :func:`candidates_far_from`, so that
    ``new_places`` is exactly its result).

    Parameters
    ----------
    candidates : GeoDataFrame or CandidateScenes
        ``candidate_id``, ``count``, ``municipality_code``, ``nearest_scene_id`` and
        polygons (EPSG:3006), as :func:`candidate_scenes` makes them.
    ceased : GeoDataFrame
        The scenes of the earlier round that ceased (``scene_id``, optional ``name`` and
        ``municipality_code``, polygons in EPSG:3006); may be empty.
    distance_m : float
        The displacement distance of the comparison.
    scenes : GeoDataFrame, optional
        The later round's registered scenes (``scene_id``, ``name``): names the nearest
        scene of each new place.
    municipalities : DataFrame, optional
        ``code``, ``name``: names the municipalities.

    Returns
    -------
    CandidateStory

    Examples
    --------
    >>> import shapely
    >>> c = gpd.GeoDataFrame({"candidate_id": ["C001", "C002"], "count": [9, 7],
    ...     "municipality_code": ["0180", "0184"], "nearest_scene_id": [None, None]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(5000, 0, 5100, 100)], crs=3006)
    >>> ceased = gpd.GeoDataFrame({"scene_id": ["S9"], "name": ["Torget"]},
    ...     geometry=[shapely.box(300, 0, 400, 100)], crs=3006)
    >>> story = classify_candidates(c, ceased, 1000)
    >>> story.worked_away[["scene_id", "name", "count"]].to_dict("records")
    [{'scene_id': 'S9', 'name': 'Torget', 'count': 9}]
    >>> story.new_places["candidate_id"].tolist()
    ['C002']
    """
    frame = candidates.candidates if isinstance(candidates, CandidateScenes) else candidates
    if "candidate_id" not in frame.columns:  # no hot area at all: an empty frame without ids
        frame = frame.assign(candidate_id=pd.Series([], dtype=object, index=frame.index))
    far = candidates_far_from(frame, ceased, distance_m)  # validates the inputs
    muni_names = (
        {}
        if municipalities is None or "name" not in municipalities.columns
        else dict(zip(municipalities["code"].astype(str), municipalities["name"], strict=True))
    )
    scene_names = {} if scenes is None else _names(scenes)
    ceased_names = _names(ceased)
    ceased_munis = (
        dict(zip(ceased["scene_id"].astype(str), ceased["municipality_code"], strict=True))
        if "municipality_code" in ceased.columns
        else {}
    )
    near_mask = ~frame["candidate_id"].isin(set(far["candidate_id"])).to_numpy()
    remaining = frame[near_mask].reset_index(drop=True)
    ids_near, dists_near = _ceased_within(remaining, ceased, distance_m)
    remaining = remaining.assign(
        ceased_ids=ids_near,
        ceased_names=[[ceased_names.get(i, "") for i in ids] for ids in ids_near],
        nearest_ceased_id=[ids[0] if ids else None for ids in ids_near],
        nearest_ceased_m=[d[0] if d else float("nan") for d in dists_near],
    )
    new_places = far.assign(
        municipality_name=[muni_names.get(str(c)) if c else None for c in far["municipality_code"]],
        nearest_scene_name=[
            scene_names.get(str(i)) if i else None for i in far["nearest_scene_id"]
        ],
    )
    rows: dict[str, dict[str, Any]] = {}
    for cid, count, ids, dists in zip(
        remaining["candidate_id"], remaining["count"], ids_near, dists_near, strict=True
    ):
        for sid, d in zip(ids, dists, strict=True):
            row = rows.setdefault(
                sid,
                {
                    "scene_id": sid,
                    "name": ceased_names.get(sid, ""),
                    "municipality_code": ceased_munis.get(sid),
                    "municipality_name": muni_names.get(str(ceased_munis.get(sid))),
                    "candidate_ids": [],
                    "count": 0,
                    "nearest_m": float("inf"),
                },
            )
            row["candidate_ids"].append(str(cid))
            row["count"] += int(count)
            row["nearest_m"] = min(row["nearest_m"], float(d))
    worked = pd.DataFrame(
        list(rows.values()),
        columns=[
            "scene_id",
            "name",
            "municipality_code",
            "municipality_name",
            "candidate_ids",
            "count",
            "nearest_m",
        ],
    )
    if len(worked):
        worked = worked.sort_values(
            ["count", "scene_id"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)
    return CandidateStory(remaining, new_places, worked, float(distance_m))


def _names(scenes: gpd.GeoDataFrame) -> dict[str, str]:
    """Scene id → name (empty when the scene has none)."""
    if "scene_id" not in scenes.columns:
        return {}
    names = scenes["name"] if "name" in scenes.columns else pd.Series([""] * len(scenes))
    return {
        str(i): (n if isinstance(n, str) else "")
        for i, n in zip(scenes["scene_id"], names, strict=True)
    }


def _ceased_within(
    frame: gpd.GeoDataFrame, ceased: gpd.GeoDataFrame, distance_m: float
) -> tuple[list[list[str]], list[list[float]]]:
    """Per candidate: ids of and distances to the ceased scenes within ``distance_m``,
    nearest first (ties by id)."""
    n = len(frame)
    ids: list[list[str]] = [[] for _ in range(n)]
    dist: list[list[float]] = [[] for _ in range(n)]
    if n == 0 or len(ceased) == 0:
        return ids, dist
    geoms = np.asarray(frame.geometry.values, dtype=object)
    cg = np.asarray(ceased.geometry.values, dtype=object)
    sid = ceased["scene_id"].astype(str).to_numpy()
    qi, ti = shapely.STRtree(cg).query(geoms, predicate="dwithin", distance=distance_m)
    d = shapely.distance(geoms[qi], cg[ti])
    for k in np.lexsort((sid[ti], d, qi)):  # by candidate, then distance, then id
        ids[qi[k]].append(str(sid[ti[k]]))
        dist[qi[k]].append(float(d[k]))
    return ids, dist
