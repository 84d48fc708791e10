"""Planted-effect simulations of the crime evaluation (for the benchmark and the tests).

One replication draws a small county (four municipalities), scenes at random points, two
years of monthly incidents concentrated at them (:func:`~drugscenes.demo.incidents.
generate_incidents`) with scene-by-month noise (over-dispersion), and then works some scenes
away: each ceases in a month drawn uniformly between the rounds, after which incidents in its
area (scene and 200 m ring, the evaluation's own zones) are kept with probability
``rate_ratio``. The true rate ratio after round B is therefore exactly ``rate_ratio``;
:func:`~drugscenes.analysis.evaluation.evaluate_crime` should cover it in 95 % of
replications (and cover 1 when ``rate_ratio`` is 1).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from drugscenes.analysis.evaluation import CrimeEvaluation, evaluate_crime, local_months
from drugscenes.analysis.zones import ZoneIndex
from drugscenes.demo.incidents import generate_incidents, scenes_at_points

ORIGIN = (660_000.0, 6_570_000.0)
"""South-west corner of the planted county in EPSG:3006 (near Stockholm)."""
DATE_A = "2022-10-01"
DATE_B = "2023-02-01"
START, END = "2022-01-01", "2024-01-01"


def planted_county(
    seed: int, n_scenes: int = 40, n_ceased: int = 10
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, np.ndarray]:
    """Municipalities (2 x 2 boxes of 10 km), scenes and their status (ceased/persisting)."""
    rng = np.random.default_rng(seed)
    ox, oy = ORIGIN
    boxes = [shapely.box(ox + i * 10_000, oy + j * 10_000, ox + (i + 1) * 10_000,
                         oy + (j + 1) * 10_000) for i in (0, 1) for j in (0, 1)]  # fmt: skip
    munis = gpd.GeoDataFrame(
        {"code": ["0114", "0115", "0117", "0120"], "name": ["A", "B", "C", "D"]},
        geometry=boxes,
        crs=3006,
    )
    x, y = rng.uniform(1_000, 19_000, n_scenes), rng.uniform(1_000, 19_000, n_scenes)
    scenes = scenes_at_points(ox + x, oy + y, seed=seed)
    code = (x // 10_000).astype(int) * 2 + (y // 10_000).astype(int)
    scenes["municipality_code"] = munis["code"].to_numpy()[code]
    status = np.full(n_scenes, "persisting", dtype=object)
    status[rng.choice(n_scenes, n_ceased, replace=False)] = "ceased"
    return munis, scenes, status


def planted_incidents(
    seed: int,
    munis: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    status: np.ndarray,
    rate_ratio: float,
    n_per_year: int = 12_000,
) -> pd.DataFrame:
    """Two years of incidents with the planted effect at the ceased scenes."""
    rng = np.random.default_rng(seed + 1)
    inc = generate_incidents(
        munis, scenes, 2 * n_per_year, START, END, seed=seed + 2, share_scene=0.15, share_near=0.1
    )
    zones = ZoneIndex(scenes).assign(inc["x"].to_numpy(), inc["y"].to_numpy())
    scene = np.where(zones.zone <= 1, zones.scene_index, -1)
    month = local_months(inc["time"])
    month = month - month.min()
    n_months = int(month.max()) + 1
    # Scene-by-month noise: each area keeps a random share (0.4-1) of its incidents.
    keep_prob = rng.uniform(0.4, 1.0, (len(scenes), n_months))
    keep = np.ones(len(inc), dtype=bool)
    in_area = scene >= 0
    keep[in_area] = rng.random(int(in_area.sum())) < keep_prob[scene[in_area], month[in_area]]
    # Ceasing month: uniform over the months between the rounds (Oct 2022 - Jan 2023).
    ceased = np.flatnonzero(status == "ceased")
    a = pd.Timestamp(DATE_A)
    first = (a.year * 12 + a.month - 1) - (pd.Timestamp(START).year * 12)
    cease_month = np.full(len(scenes), 10**6)
    cease_month[ceased] = rng.integers(first, first + 4, ceased.size)
    after = in_area & (month >= cease_month[np.maximum(scene, 0)])
    keep[after] &= rng.random(int(after.sum())) < rate_ratio
    return inc[keep].reset_index(drop=True)


def replicate(seed: int, rate_ratio: float, *, extras: bool = False) -> CrimeEvaluation:
    """One planted replication, evaluated (the main estimate only unless ``extras``)."""
    munis, scenes, status = planted_county(seed)
    inc = planted_incidents(seed, munis, scenes, status, rate_ratio)
    return evaluate_crime(inc, scenes, status, munis, DATE_A, DATE_B, extras=extras)


def coverage(seeds: range, rate_ratio: float) -> tuple[int, int, list[float]]:
    """(covered, estimable, estimates): how often the 95 % interval holds ``rate_ratio``."""
    covered = n = 0
    estimates: list[float] = []
    for s in seeds:
        m = replicate(s, rate_ratio).main
        if not m.estimable or m.ci_low is None or m.ci_high is None:
            continue
        n += 1
        estimates.append(float(m.rate_ratio or 0.0))
        covered += int(m.ci_low <= rate_ratio <= m.ci_high)
    return covered, n, estimates
