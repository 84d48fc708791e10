"""Benchmark: band membership and exact nearest-scene distances for survey respondents.

Compares drugscenes' ``distance_band`` and ``nearest_scene_distance`` with what a user would pick
otherwise: ``geopandas.sjoin_nearest`` and ``shapely.STRtree.query_nearest`` on the same data, and
checks that all agree (distances to 1e-6 m, bands exactly).

Data: the real county (../shared/data, 26 municipalities) with ~60 scenes drawn as irregular
30-vertex polygons (40-200 m) around every 4th station, and N synthetic respondents from
``drugscenes.demo.survey.generate_survey`` (half of them around scenes). Without the shared data a
synthetic 135 x 180 km region is used.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_survey.py [--n 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from drugscenes.analysis.survey import band_index, distance_band, nearest_scene_distance
from drugscenes.demo.survey import generate_survey

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _region_and_scenes(seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    if (SHARED / "stockholm_municipalities_3006.geojson").exists():
        mun = gpd.read_file(SHARED / "stockholm_municipalities_3006.geojson")
        st = pd.read_csv(SHARED / "stockholm_stations.csv").iloc[::4].head(60)
        cx, cy = st["x_3006"].to_numpy(), st["y_3006"].to_numpy()
    else:
        mun = gpd.GeoDataFrame(
            {"code": ["0001"], "name": ["synthetic"]},
            geometry=[shapely.box(628_000, 6_507_000, 763_000, 6_689_000)],
            crs=3006,
        )
        cx, cy = rng.uniform(650_000, 700_000, 60), rng.uniform(6_550_000, 6_620_000, 60)
    polys = []
    for x, y in zip(cx, cy, strict=True):
        ang = np.sort(rng.uniform(0, 2 * np.pi, 30))
        r = rng.uniform(40, 200) * rng.uniform(0.6, 1.0, 30)
        polys.append(shapely.Polygon(np.column_stack([x + r * np.cos(ang), y + r * np.sin(ang)])))
    return mun, gpd.GeoDataFrame({"scene_id": range(len(polys))}, geometry=polys, crs=3006)


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    mun, scenes = _region_and_scenes(args.seed)
    t = time.perf_counter()
    resp = generate_survey(mun, scenes, n=args.n, seed=args.seed)
    t_gen = time.perf_counter() - t
    x, y = resp["x"].to_numpy(), resp["y"].to_numpy()
    edges = [500.0, 1000.0, 2000.0]
    print(
        f"{args.n:,} respondents, {len(scenes)} scenes "
        f"({int(shapely.get_num_coordinates(scenes.geometry.values).sum())} vertices); "
        f"demo survey generated in {t_gen:.2f} s; best of {args.repeat}"
    )

    t_band, bands = _best(lambda: distance_band(x, y, scenes, edges), args.repeat)
    t_exact, dist = _best(lambda: nearest_scene_distance(x, y, scenes), args.repeat)

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=3006)

    def sjoin() -> np.ndarray:
        j = gpd.sjoin_nearest(pts, scenes[["geometry"]], distance_col="d")
        return j.groupby(level=0)["d"].first().reindex(pts.index).to_numpy()

    def strtree() -> np.ndarray:
        tree = shapely.STRtree(scenes.geometry.values)
        (pi, _), d = tree.query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        out = np.empty(len(x))
        out[pi] = d
        return out

    t_sj, d_sj = _best(sjoin, args.repeat)
    t_tree, d_tree = _best(strtree, args.repeat)
    diff_tree = float(np.max(np.abs(dist - d_tree)))  # type: ignore[operator]
    diff_sj = float(np.max(np.abs(dist - d_sj)))  # type: ignore[operator]
    band_ok = bool((bands == band_index(d_tree, edges)).all())  # type: ignore[arg-type]

    print(f"{'method':<46}{'seconds':>9}{'vs sjoin_nearest':>18}")
    for name, sec in [
        ("geopandas.sjoin_nearest (exact distances)", t_sj),
        ("shapely STRtree.query_nearest (exact)", t_tree),
        ("drugscenes nearest_scene_distance (exact)", t_exact),
        ("drugscenes distance_band (band membership)", t_band),
    ]:
        print(f"{name:<46}{sec:>9.3f}{t_sj / sec:>17.1f}x")
    print(
        f"max |distance - STRtree| = {diff_tree:.2e} m, max |distance - sjoin| = {diff_sj:.2e} m, "
        f"bands identical to bands of STRtree distances: {band_ok}"
    )
    print(
        f"targets: bands < 1 s: {'met' if t_band < 1 else 'NOT met'}; exact >= 2x faster than "
        f"sjoin_nearest: {'met' if t_sj / t_exact >= 2 else 'NOT met'}; agreement 1e-6 m: "
        f"{'met' if max(diff_tree, diff_sj) <= 1e-6 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
