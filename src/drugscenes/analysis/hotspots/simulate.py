"""Planted truths for the hot-spot methods (tests and ``benchmarks/bench_hotspot_detection.py``).

One year of incidents over a region (the real county when its file is given, else the
demo county), in four scenarios:

- ``"csr"``: complete spatial randomness, ``n`` incidents uniform over the region (by
  area), uniform in time; no scene, no place: every hot cell, candidate and emerging
  pattern is false.
- ``"city"``: a dense city and a sparse countryside: ``city_share`` of the background
  uniform in one municipality, the rest uniform over the others, plus registered scenes
  (three quarters of them in the city) with ``per_scene`` incidents each.
- ``"planted"``: ``"city"`` plus two new places of ``n_planted`` incidents (a normal
  spread of 40 m): one in the city, one in the countryside, each at least 2 km from every
  scene. They should be candidates; the registered scenes should not.
- ``"ceased"``: ``"planted"`` where half of the scenes cease in mid-year (incidents in
  the first half only) and are no longer registered.

:func:`score` turns an analysis of a simulation into the benchmark's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import signal

from drugscenes.analysis.hotspots.analyse import HotspotAnalysis
from drugscenes.analysis.hotspots.emerging import HOT_PATTERNS
from drugscenes.analysis.hotspots.gistar import band_kernel
from drugscenes.demo.incidents import scenes_at_points
from drugscenes.errors import UsageError

__all__ = ["SCENARIOS", "Simulation", "load_region", "score", "simulate"]

SCENARIOS = ("csr", "city", "planted", "ceased")
START, END = "2023-01-01", "2024-01-01"
CATEGORY = "violence"
_SPREAD_M = 40.0


def load_region(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The municipalities (``code``, ``name``, geometry, EPSG:3006) of the real county when
    ``path`` exists (e.g. ``../shared/data/stockholm_municipalities_3006.geojson``), else
    of the synthetic demo county."""
    if path is not None and Path(path).exists():
        m = gpd.read_file(path)
        return m[["code", "name", "geometry"]].to_crs(3006)
    from drugscenes.demo.region import make_region

    return make_region().municipalities[["code", "name", "geometry"]].copy()


def _city_code(region: gpd.GeoDataFrame) -> str:
    codes = region["code"].astype(str).tolist()
    if "0180" in codes:
        return "0180"
    return str(region["code"].iloc[int(np.argmax(region.geometry.area.to_numpy()))])


@dataclass(frozen=True, eq=False)
class Simulation:
    """Incidents with a known truth.

    Attributes
    ----------
    scenario : str
    incidents : DataFrame
        ``incident_id``, ``time`` (UTC), ``category`` (all :data:`CATEGORY`), ``x``, ``y``.
    scenes : GeoDataFrame
        The registered scenes (not candidates by construction).
    ceased : GeoDataFrame
        Scenes that ceased in mid-year (not registered).
    planted : DataFrame
        ``kind`` ("city" or "sparse"), ``x``, ``y`` of the planted new places.
    city_code : str
    """

    scenario: str
    incidents: pd.DataFrame
    scenes: gpd.GeoDataFrame
    ceased: gpd.GeoDataFrame
    planted: pd.DataFrame
    city_code: str


def _uniform(rng: np.random.Generator, geom: shapely.Geometry, n: int) -> np.ndarray:
    out = np.empty((0, 2))
    x0, y0, x1, y1 = geom.bounds
    shapely.prepare(geom)
    while len(out) < n:
        pts = rng.uniform((x0, y0), (x1, y1), (2 * (n - len(out)) + 64, 2))
        ok = shapely.contains_xy(geom, pts[:, 0], pts[:, 1])
        out = np.vstack([out, pts[ok]])
    return out[:n]


def _far_point(
    rng: np.random.Generator, geom: shapely.Geometry, avoid: np.ndarray, min_m: float
) -> np.ndarray:
    inner = shapely.buffer(geom, -500.0)
    inner = inner if not inner.is_empty else geom
    for _ in range(200):
        p = _uniform(rng, inner, 1)[0]
        if avoid.size == 0 or np.hypot(*(avoid - p).T).min() >= min_m:
            return p
    raise UsageError(f"no point {min_m:g} m from every scene: fewer scenes, please")


def simulate(
    region: gpd.GeoDataFrame,
    scenario: str,
    seed: int,
    n: int = 40_000,
    city_share: float = 0.9,
    n_scenes: int = 20,
    per_scene: int = 60,
    n_planted: int = 40,
) -> Simulation:
    """One replication of a scenario (see the module docstring); deterministic in ``seed``."""
    if scenario not in SCENARIOS:
        raise UsageError(f"scenario must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
    rng = np.random.default_rng(seed)
    code = _city_code(region)
    is_city = region["code"].astype(str).to_numpy() == code
    city = shapely.union_all(region.geometry.to_numpy()[is_city])
    rest = shapely.union_all(region.geometry.to_numpy()[~is_city])
    everything = shapely.union_all(region.geometry.to_numpy())
    parts: list[np.ndarray] = []
    halves: list[np.ndarray] = []  # True: only in the first half of the year
    if scenario == "csr":
        parts.append(_uniform(rng, everything, n))
    else:
        n_city = int(rng.binomial(n, city_share))
        parts += [_uniform(rng, city, n_city), _uniform(rng, rest, n - n_city)]
    halves += [np.zeros(len(p), bool) for p in parts]
    scene_xy = np.empty((0, 2))
    ceased_mask = np.zeros(0, bool)
    planted = pd.DataFrame({"kind": pd.Series([], dtype=str), "x": [], "y": []})
    if scenario != "csr":
        n_in_city = (3 * n_scenes) // 4
        pts: list[np.ndarray] = []
        for k in range(n_scenes):
            geom = city if k < n_in_city else rest
            avoid = np.array(pts) if pts else np.empty((0, 2))
            pts.append(_far_point(rng, geom, avoid, 1000.0))
        scene_xy = np.array(pts)
        ceased_mask = np.zeros(n_scenes, bool)
        if scenario == "ceased":
            ceased_mask[rng.choice(n_scenes, n_scenes // 2, replace=False)] = True
        for (sx, sy), gone in zip(scene_xy, ceased_mask, strict=True):
            k = per_scene if not gone else per_scene // 2
            parts.append(np.c_[rng.normal(sx, _SPREAD_M, k), rng.normal(sy, _SPREAD_M, k)])
            halves.append(np.full(k, bool(gone)))
    if scenario in ("planted", "ceased"):
        rows = []
        for kind, geom in (("city", city), ("sparse", rest)):
            avoid = np.vstack([scene_xy, *[np.array([[r[1], r[2]]]) for r in rows]])
            px, py = _far_point(rng, geom, avoid, 2100.0)  # scenes reach < 100 m out
            rows.append((kind, px, py))
            k = n_planted
            parts.append(np.c_[rng.normal(px, _SPREAD_M, k), rng.normal(py, _SPREAD_M, k)])
            halves.append(np.zeros(k, bool))
        planted = pd.DataFrame(rows, columns=["kind", "x", "y"])
    xy = np.vstack(parts)
    first_half = np.concatenate(halves)
    t0, t1 = pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC")
    span = (t1 - t0).value
    frac = rng.random(len(xy)) * np.where(first_half, 0.5, 1.0)
    times = pd.to_datetime(t0.value + (frac * span).astype(np.int64), utc=True)
    incidents = pd.DataFrame(
        {
            "incident_id": [f"sim-{i}" for i in range(len(xy))],
            "time": times,
            "category": CATEGORY,
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    polys = (
        scenes_at_points(scene_xy[:, 0], scene_xy[:, 1], seed=seed)
        if len(scene_xy)
        else gpd.GeoDataFrame({"scene_id": []}, geometry=[], crs=3006)
    )
    return Simulation(
        scenario,
        incidents,
        polys[~ceased_mask].reset_index(drop=True) if len(polys) else polys,
        polys[ceased_mask].reset_index(drop=True) if len(polys) else polys.copy(),
        planted,
        code,
    )


def score(sim: Simulation, res: HotspotAnalysis, near_m: float = 500.0) -> dict[str, Any]:
    """The benchmark's figures for one analysed replication.

    - ``detected_city``, ``detected_sparse``: a candidate lies within 200 m of the planted
      place (None when not planted);
    - ``false_candidates``: candidates farther than ``near_m`` from every planted place
      and every ceased scene (registered scenes are never candidates);
    - ``candidate_at_scene``: candidates within 200 m of a registered scene (must be 0);
    - ``hot_cells``, ``false_hot_cells``: hot cells (bin ≥ 2), and those farther than
      ``near_m`` plus the band from every scene, ceased scene and planted place;
      ``fdp``: their ratio (0 without hot cells);
    - ``hot_pattern_cells``: cells with a hot emerging pattern, ``false_pattern_cells``
      those away from every true place as above;
    - ``trend_tests``, ``trend_rejections``: cells away from every true place with at
      least one incident within the band and a trend p-value, and those with p ≤ 0.05.
    """
    cands = res.candidates.candidates
    geoms = np.asarray(cands.geometry.values, dtype=object)
    truth_pts = list(shapely.points(sim.planted["x"].to_numpy(), sim.planted["y"].to_numpy()))
    out: dict[str, Any] = {"scenario": sim.scenario, "method": res.method}
    for kind in ("city", "sparse"):
        row = sim.planted[sim.planted["kind"] == kind]
        if len(row) == 0:
            out[f"detected_{kind}"] = None
            continue
        p = shapely.Point(float(row["x"].iloc[0]), float(row["y"].iloc[0]))
        out[f"detected_{kind}"] = bool(len(geoms) and (shapely.distance(geoms, p) <= 200).any())
    ceased = list(np.asarray(sim.ceased.geometry.values, dtype=object))
    true_places = truth_pts + ceased
    if len(geoms):
        d_true = (
            np.min([shapely.distance(geoms, t) for t in true_places], axis=0)
            if true_places
            else np.full(len(geoms), np.inf)
        )
        scenes = np.asarray(sim.scenes.geometry.values, dtype=object)
        d_scene = (
            np.min([shapely.distance(geoms, s) for s in scenes], axis=0)
            if len(scenes)
            else np.full(len(geoms), np.inf)
        )
    else:
        d_true = d_scene = np.zeros(0)
    out["false_candidates"] = int((d_true > near_m).sum())
    out["candidate_at_scene"] = int((d_scene <= 200).sum())
    every = true_places + list(np.asarray(sim.scenes.geometry.values, dtype=object))
    cx, cy = res.grid.centres()
    if every:
        tree = shapely.STRtree(every)
        pts = shapely.points(cx, cy)
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        away = dist > near_m + res.band_m
    else:
        away = np.ones(res.grid.n_cells, bool)
    hot = res.gi.bin >= 2
    out["hot_cells"] = int(hot.sum())
    out["false_hot_cells"] = int((hot & away).sum())
    out["fdp"] = out["false_hot_cells"] / out["hot_cells"] if out["hot_cells"] else 0.0
    if res.emerging is not None:
        hp = np.isin(res.emerging.pattern.astype(str), HOT_PATTERNS)
        out["hot_pattern_cells"] = int(hp.sum())
        out["false_pattern_cells"] = int((hp & away).sum())
        tp = res.emerging.trend.p
        k = band_kernel(res.band_m, res.grid.cell_m)
        raster = res.grid.raster(res.total, fill=0.0)
        nb = np.rint(res.grid.compact(signal.oaconvolve(raster, k, mode="same")))
        ok = away & (nb > 0) & np.isfinite(tp)
        out["trend_tests"] = int(ok.sum())
        out["trend_rejections"] = int((ok & (tp <= 0.05)).sum())
    return out
