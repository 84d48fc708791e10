"""Benchmark: matching two mapping rounds of 5,000 scenes each.

Times :func:`drugscenes.analysis.change.compare_rounds` (validation, id and geometric links,
components, fates, displacement, totals) on two synthetic rounds of 5,000 scenes, with ids
and geometry-only, and compares it with what an analyst would write with geopandas: an
``overlay`` (intersection) of the two rounds, the overlap share per pair, then pandas
grouping to count how many partners each scene has (ceased / new / 1:1 / merged / split by
degree, without connected components). A second baseline uses ``sjoin`` for the candidate
pairs and a row-wise ``apply`` for the intersection areas.

Run from the project root::

    .venv/bin/python benchmarks/bench_match.py [--n 5000] [--repeat 3]

The rounds: 5,000 disks (radius 30–120 m) scattered over 60 × 60 km of SWEREF 99 TM; the
later round keeps 90 % of them with every vertex moved by up to ±3 m (a quarter of them
resized by ±30 %), drops 5 % (ceased), adds 5 % new ones, and turns 100 pairs of small disks
into one larger disk (merges) and 100 large disks into two small ones (splits).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

from drugscenes.analysis.change import compare_rounds


def jitter_xy(xy: np.ndarray, amplitude: float = 3.0) -> np.ndarray:
    """Move each vertex by up to ±amplitude m, by a hash of the vertex (rings stay closed)."""
    u = np.modf(np.abs(np.sin(xy @ np.array([[12.9898, 39.3468], [78.233, 11.135]])) * 43758.5))
    return xy + amplitude * (2.0 * u[0] - 1.0)


def make_rounds(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two rounds of about ``n`` scenes each with ceased, new, merged, split and jittered ones."""
    rng = np.random.default_rng(seed)
    origin, side = np.array([640_000.0, 6_540_000.0]), 60_000.0
    n_pairs = min(100, n // 50)
    n_plain = n - 2 * n_pairs - n_pairs  # merge pairs count 2, splits 1 in the earlier round
    xy = rng.uniform(0, side, (n_plain, 2)) + origin
    r = rng.uniform(30, 120, n_plain)
    mxy = rng.uniform(0, side, (n_pairs, 2)) + origin
    sxy = rng.uniform(0, side, (n_pairs, 2)) + origin

    def disks(c: np.ndarray, radius: np.ndarray | float) -> np.ndarray:
        return shapely.buffer(shapely.points(c), radius, quad_segs=4)

    east = np.array([60.0, 0.0])
    g_from = np.concatenate(
        [disks(xy, r), disks(mxy - east, 40.0), disks(mxy + east, 40.0), disks(sxy, 110.0)]
    )
    ids_from = [f"s{k}" for k in range(len(g_from))]

    keep = rng.random(n_plain) >= 0.05
    factor = np.where(rng.random(n_plain) < 0.25, rng.choice([0.7, 1.3], n_plain), 1.0)
    kept = disks(xy[keep], r[keep] * factor[keep])
    kept = shapely.transform(kept, jitter_xy)
    n_new = n - int(keep.sum()) - n_pairs - 2 * n_pairs
    new_xy = rng.uniform(0, side, (n_new, 2)) + origin
    g_to = np.concatenate(
        [
            kept,
            disks(mxy, 110.0),
            disks(sxy - east, 40.0),
            disks(sxy + east, 40.0),
            disks(new_xy, rng.uniform(30, 120, n_new)),
        ]
    )
    plain_ids = np.array(ids_from[:n_plain])[keep].tolist()
    ids_to = (
        plain_ids
        + ids_from[n_plain : n_plain + n_pairs]  # the merged disk keeps the west part's id
        + ids_from[n_plain + 2 * n_pairs :]  # the west part of a split keeps the id
        + [f"s-east-{k}" for k in range(n_pairs)]
        + [f"n{k}" for k in range(n_new)]
    )
    a = gpd.GeoDataFrame(
        {"scene_id": ids_from, "id_given": True, "municipality_code": "0180"},
        geometry=g_from,
        crs=3006,
    )
    b = gpd.GeoDataFrame(
        {"scene_id": ids_to, "id_given": True, "municipality_code": "0180"},
        geometry=g_to,
        crs=3006,
    )
    return a, b


def naive_overlay(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, min_share: float = 0.1) -> dict:
    """What an analyst would write: overlay, overlap share, degree counts with pandas."""
    a = a.assign(area_a=a.area, key_a=np.arange(len(a)))
    b = b.assign(area_b=b.area, key_b=np.arange(len(b)))
    inter = gpd.overlay(
        a[["key_a", "area_a", "geometry"]],
        b[["key_b", "area_b", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    inter["share"] = inter.area / np.minimum(inter["area_a"], inter["area_b"])
    links = inter.loc[inter["share"] >= min_share, ["key_a", "key_b"]]
    deg_a = links.groupby("key_a").size().reindex(range(len(a)), fill_value=0)
    deg_b = links.groupby("key_b").size().reindex(range(len(b)), fill_value=0)
    links = links.join(deg_a.rename("deg_a"), on="key_a").join(deg_b.rename("deg_b"), on="key_b")
    return {
        "ceased": int((deg_a == 0).sum()),
        "new": int((deg_b == 0).sum()),
        "persisting": int(((links["deg_a"] == 1) & (links["deg_b"] == 1)).sum()),
        "merged": int(links.loc[links["deg_b"] > 1, "key_b"].nunique()),
        "split": int(links.loc[links["deg_a"] > 1, "key_a"].nunique()),
    }


def naive_sjoin(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, min_share: float = 0.1) -> dict:
    """sjoin for candidate pairs, then a row-wise apply for the intersection areas."""
    pairs = gpd.sjoin(a, b, predicate="intersects", how="inner")
    gb = b.geometry
    shares = pairs.apply(
        lambda row: (
            row.geometry.intersection(gb.iloc[row["index_right"]]).area
            / min(row.geometry.area, gb.iloc[row["index_right"]].area)
        ),
        axis=1,
    )
    links = pairs.loc[shares >= min_share]
    deg_a = links.groupby(level=0).size().reindex(a.index, fill_value=0)
    deg_b = links.groupby("index_right").size().reindex(b.index, fill_value=0)
    return {"ceased": int((deg_a == 0).sum()), "new": int((deg_b == 0).sum())}


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="scenes per round")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    args = parser.parse_args()

    a, b = make_rounds(args.n)
    a_geo = a.assign(id_given=False)
    b_geo = b.assign(id_given=False)
    c = compare_rounds(a, b)
    print(
        f"rounds: {c.n_from} -> {c.n_to} scenes; ceased {c.ceased}, new {c.new}, "
        f"persisting {c.persisting} (grown {c.grown}, shrunk {c.shrunk}), merged {c.merged}, "
        f"split {c.split}, restructured {c.restructured}; new near previous "
        f"{c.new_near_previous}, elsewhere {c.new_elsewhere}"
    )

    t_ids = best_of(lambda: compare_rounds(a, b), args.repeat)
    t_geo = best_of(lambda: compare_rounds(a_geo, b_geo), args.repeat)
    print(f"compare_rounds, ids given:     {t_ids:7.3f} s")
    print(f"compare_rounds, geometry only: {t_geo:7.3f} s")

    t_overlay = best_of(lambda: naive_overlay(a, b), 1)
    print(
        f"naive geopandas overlay + pandas degree counts: {t_overlay:7.3f} s "
        f"(its time / compare_rounds' time: {t_overlay / t_geo:.2f})"
    )
    print(f"  its counts (no components, no displacement): {naive_overlay(a, b)}")
    t_sjoin = best_of(lambda: naive_sjoin(a, b), 1)
    print(
        f"naive sjoin + row-wise intersection apply:      {t_sjoin:7.3f} s "
        f"(its time / compare_rounds' time: {t_sjoin / t_geo:.2f})"
    )


if __name__ == "__main__":
    main()
