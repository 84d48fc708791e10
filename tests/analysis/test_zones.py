"""Zone assignment: hand-worked cases and an exact oracle (GEOS distances, geopandas sjoin)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely

from drugscenes.analysis.zones import (
    ZoneIndex,
    assign_polygons,
    assign_zones,
    zone_areas,
    zone_names,
)
from drugscenes.errors import UsageError


def _scenes(*geoms: shapely.Geometry) -> gpd.GeoDataFrame:
    ids = [f"S{i + 1}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"scene_id": ids}, geometry=list(geoms), crs=3006)


def test_hand_worked_square_and_rings() -> None:
    # Square 0..100; rings 200 and 500. Distances worked by hand.
    sc = _scenes(shapely.box(0, 0, 100, 100))
    x = np.array([50, 0, 100, 50, 300, 300.000001, 100 + 141.42, 600, 600.0001, 100 + 400, -1e6])
    y = np.array([50, 50, 100, 0, 50, 50, 100 + 141.42, 50, 50, 100 + 300, 0])
    za = assign_zones(x, y, sc, rings_m=(200, 500))
    # centre, three edge points (inside), exactly 200 m (ring 1), just beyond 200 (ring 2),
    # corner diagonal 199.998 m (ring 1), exactly 500 (ring 2), beyond 500 (rest),
    # corner at distance hypot(400, 300) = 500 exactly (ring 2), far (rest)
    assert za.zone.tolist() == [0, 0, 0, 0, 1, 2, 1, 2, 3, 2, 3]
    assert za.scene_id().tolist() == ["S1"] * 8 + [None, "S1", None]
    assert za.zone_names == ["scene", "near_200", "near_500", "rest"]


def test_exactly_at_ring_distance_along_arc() -> None:
    # Points exactly 200 m from a square's corner, on the arc where buffer polygons cut
    # the corner: all are within the ring (distance <= 200).
    sc = _scenes(shapely.box(0, 0, 100, 100))
    ang = np.linspace(0.01, np.pi / 2 - 0.01, 50)
    x = 100 + 200 * np.cos(ang)
    y = 100 + 200 * np.sin(ang)
    d = shapely.distance(sc.geometry.iloc[0], shapely.points(x, y))
    za = assign_zones(x, y, sc)
    assert np.array_equal(za.zone == 1, d <= 200)
    # and a hair outside the arc is rest
    za2 = assign_zones(100 + 200.01 * np.cos(ang), 100 + 200.01 * np.sin(ang), sc)
    assert (za2.zone == 2).all()


def test_polygon_with_hole_and_boundary() -> None:
    ring = shapely.Polygon(
        [(0, 0), (100, 0), (100, 100), (0, 100)], [[(40, 40), (60, 40), (60, 60), (40, 60)]]
    )
    sc = _scenes(ring)
    za = assign_zones([50, 40, 10], [50, 50, 10], sc)
    # centre of the hole is 10 m from the scene: ring; the hole's edge is inside.
    assert za.zone.tolist() == [1, 0, 0]


def test_overlapping_scenes_first_row_wins_and_nearest_ring() -> None:
    a = shapely.box(0, 0, 100, 100)
    b = shapely.box(50, 0, 150, 100)  # overlaps a
    c = shapely.box(400, 0, 500, 100)
    sc = _scenes(a, b, c)
    za = assign_zones([75, 140, 260, 250], [50, 50, 50, 50], sc)
    # (75,50) in a and b -> a (first row); (140,50) only in b; (260,50): 110 m from b,
    # 140 m from c -> b; (250, 50): 100 m from b, 150 m from c -> b
    assert za.scene_id().tolist() == ["S1", "S2", "S2", "S2"]
    za = assign_zones([275], [50], sc)  # 125 m from both b and c: tie -> first row (b)
    assert za.scene_id().tolist() == ["S2"]
    za = assign_zones([280], [50], sc)  # 130 from b, 120 from c -> c (nearest, not first)
    assert za.scene_id().tolist() == ["S3"]


def test_random_points_match_exact_oracle() -> None:
    rng = np.random.default_rng(7)
    polys = []
    for cx, cy in rng.uniform(0, 3000, (25, 2)):
        k = int(rng.integers(5, 15))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(10, 80, k)
        poly = shapely.Polygon(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)])
        if poly.is_valid:  # scenes are valid polygons (checked on import)
            polys.append(poly)
    sc = _scenes(*polys)
    n = 40_000
    x = rng.uniform(-400, 3400, n)
    y = rng.uniform(-400, 3400, n)
    # add points exactly on vertices and edges (midpoints of edges are on the boundary
    # up to rounding; vertices exactly)
    verts = shapely.get_coordinates(np.array(polys))
    x = np.concatenate([x, verts[:, 0]])
    y = np.concatenate([y, verts[:, 1]])
    za = ZoneIndex(sc, (100, 200), cell_m=37).assign(x, y, workers=2)
    pts = shapely.points(x, y)
    dist = np.stack([shapely.distance(g, pts) for g in polys])
    inside = np.stack([shapely.intersects(g, pts) for g in polys])
    dist[inside] = 0
    dmin = dist.min(axis=0)
    exp_zone = np.select([dmin == 0, dmin <= 100, dmin <= 200], [0, 1, 2], 3)
    exp_scene = np.where(exp_zone < 3, dist.argmin(axis=0), -1)
    assert np.array_equal(za.zone, exp_zone)
    assert np.array_equal(za.scene_index, exp_scene)
    assert (za.zone[n:] == 0).all()  # vertices are inside
    # geopandas sjoin (intersects) agrees on the inside test
    g = gpd.GeoDataFrame(geometry=pts, crs=3006)
    j = gpd.sjoin(g, sc, predicate="intersects", how="inner")
    assert set(j.index) == set(np.flatnonzero(za.zone == 0))


def test_pairs_list_every_scene_a_point_is_near_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    import drugscenes.analysis.zones as z

    monkeypatch.setattr(z, "_CHUNK", 700)  # pairs from several chunks keep their positions
    rng = np.random.default_rng(11)
    polys = [shapely.box(cx, cy, cx + 80, cy + 60) for cx, cy in rng.uniform(0, 1500, (12, 2))]
    sc = _scenes(*polys)
    x, y = rng.uniform(-300, 1900, 5000), rng.uniform(-300, 1900, 5000)
    pt, scene, level = z.ZoneIndex(sc, (100, 200)).pairs(x, y)
    pts = shapely.points(x, y)
    dist = np.stack([shapely.distance(g, pts) for g in polys])  # 0 inside and on edges
    exp_scene, exp_pt = np.nonzero(dist <= 200)
    order = np.lexsort((exp_scene, exp_pt))
    assert np.array_equal(pt, exp_pt[order]) and np.array_equal(scene, exp_scene[order])
    d = dist[scene, pt]
    assert np.array_equal(level, np.select([d == 0, d <= 100], [0, 1], 2))
    # the nearest of a point's pairs is the scene assign() gives it
    za = z.ZoneIndex(sc, (100, 200)).assign(x, y)
    assert set(np.unique(pt)) == set(np.flatnonzero(za.zone <= 2))


def test_chunks_and_threads_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import drugscenes.analysis.zones as z

    monkeypatch.setattr(z, "_CHUNK", 1000)
    sc = _scenes(shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100))
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-500, 900, 10_000), rng.uniform(-500, 600, 10_000)
    a = z.ZoneIndex(sc).assign(x, y, workers=1)
    b = z.ZoneIndex(sc).assign(x, y, workers=3)
    assert np.array_equal(a.zone, b.zone) and np.array_equal(a.scene_index, b.scene_index)


def test_zone_areas_hand_worked() -> None:
    # Square 100x100 in a big region; ring 200: area of the buffer = 100² + 4·100·200 + π·200².
    region = shapely.box(-10_000, -10_000, 10_000, 10_000)
    areas = zone_areas(_scenes(shapely.box(0, 0, 100, 100)), (200,), region)
    assert areas[0] == pytest.approx(10_000)
    assert areas[1] == pytest.approx(4 * 100 * 200 + np.pi * 200**2, rel=2e-3)
    assert areas.sum() == pytest.approx(region.area)


def test_zone_areas_overlapping_and_clipped_by_hand() -> None:
    # Region 0..1000 x 0..1000. Two overlapping squares 100x100 (A at 200, B shifted 50 to
    # the right: union 150x100), one alone in the middle of nowhere (C), one half outside
    # the region (D, x from -50 to 50). Ring 10 m: a square grows by 4·100·10 + π·10².
    region = shapely.box(0, 0, 1_000, 1_000)
    a, b = shapely.box(200, 200, 300, 300), shapely.box(250, 200, 350, 300)
    c, d = shapely.box(600, 600, 700, 700), shapely.box(-50, 500, 50, 600)
    areas = zone_areas(_scenes(a, b, c, d), (10,), region)
    assert areas[0] == pytest.approx(150 * 100 + 100 * 100 + 50 * 100)
    ring = 2 * (150 + 100) * 10 + np.pi * 100  # A∪B's buffer less A∪B (no clipping)
    ring += 4 * 100 * 10 + np.pi * 100  # C
    ring += (50 + 10) * (100 + 20) - 50 * 100 - (4 - np.pi) / 2 * 100  # D, inside part
    assert areas[1] == pytest.approx(ring, rel=1e-3)
    assert areas.sum() == pytest.approx(region.area)


def test_assign_polygons_edges_first_wins() -> None:
    polys = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)]
    x = np.array([5, 10, 15, 25, np.nan, 10])
    y = np.array([5, 5, 5, 5, 5, 10])
    assert assign_polygons(x, y, polys, cell_m=3).tolist() == [0, 0, 1, -1, -1, 0]


def test_assign_polygons_matches_sjoin_on_county(county_3006: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(3)
    b = county_3006.total_bounds
    x, y = rng.uniform(b[0], b[2], 20_000), rng.uniform(b[1], b[3], 20_000)
    got = assign_polygons(x, y, county_3006.geometry.values)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=3006)
    j = gpd.sjoin(pts, county_3006, predicate="intersects", how="left")
    j = j[~j.index.duplicated()]
    exp = j["index_right"].fillna(-1).astype(int).to_numpy()
    assert np.array_equal(got, exp)


def test_validation() -> None:
    sc = _scenes(shapely.box(0, 0, 1, 1))
    with pytest.raises(UsageError, match="increase"):
        assign_zones([0], [0], sc, rings_m=(200, 100))
    with pytest.raises(UsageError, match="scene_id"):
        assign_zones([0], [0], gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=3006))
    with pytest.raises(UsageError, match="3006"):
        assign_zones([0], [0], sc.set_crs(4326, allow_override=True))
    assert zone_names((200.0, 62.5)) == ["scene", "near_200", "near_62.5", "rest"]


def test_settled_cells_give_the_point_tests_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells settled whole (inside one scene, in one ring of one scene, beyond all rings)
    give every point the zone and scene the point-by-point tests give: random scenes with
    holes, parts and overlaps, points on vertices, on edges and at ring distances."""
    import drugscenes.analysis.zones as z

    rng = np.random.default_rng(23)
    polys = []
    for cx, cy in rng.uniform(0, 2500, (30, 2)):
        k = int(rng.integers(5, 12))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(20, 90, k)
        poly = shapely.Polygon(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)])
        if poly.is_valid:
            polys.append(poly)
    polys.append(shapely.box(3000, 0, 3200, 200).difference(shapely.box(3050, 50, 3150, 150)))
    polys.append(
        shapely.MultiPolygon([shapely.box(3400, 0, 3450, 50), shapely.box(3500, 0, 3550, 50)])
    )
    sc = _scenes(*polys)
    n = 300_000
    x = rng.uniform(-300, 3900, n)
    y = rng.uniform(-300, 2900, n)
    verts = shapely.get_coordinates(np.array(polys))
    edge = verts[:-1] + 0.5 * (verts[1:] - verts[:-1])
    ring = verts + np.array([200.0, 0.0])  # exactly 200 m east of a vertex, often
    x = np.concatenate([x, verts[:, 0], edge[:, 0], ring[:, 0]])
    y = np.concatenate([y, verts[:, 1], edge[:, 1], ring[:, 1]])
    index = ZoneIndex(sc, (100, 200), cell_m=50)
    monkeypatch.setattr(z, "_SETTLE_MIN", 1 << 62)
    exact = index.assign(x, y, workers=2)
    monkeypatch.setattr(z, "_SETTLE_MIN", 0)
    monkeypatch.setattr(ZoneIndex, "_settling_pays", lambda self, n: True)
    settled = index.assign(x, y, workers=2)
    assert (index._settled().zone >= 0).mean() > 0.5  # most small cells are settled
    assert np.array_equal(settled.zone, exact.zone)
    assert np.array_equal(settled.scene_index, exact.scene_index)
    # and the point tests agree with GEOS distances (as test_random_points_match_exact_oracle)
    pts = shapely.points(x, y)
    dist = np.stack([shapely.distance(g, pts) for g in polys])
    dmin = dist.min(axis=0)
    assert np.array_equal(
        exact.zone, np.select([dmin == 0, dmin <= 100, dmin <= 200], [0, 1, 2], 3)
    )


def test_assign_chunks_and_assign_near_are_assign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces end to end (e.g. an Arrow column's chunks) give what their concatenation
    gives; assign_near lists exactly the points that are not in the rest."""
    import drugscenes.analysis.zones as z

    monkeypatch.setattr(z, "_CHUNK", 1000)
    sc = _scenes(shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100))
    rng = np.random.default_rng(4)
    x, y = rng.uniform(-500, 900, 7000), rng.uniform(-500, 600, 7000)
    index = ZoneIndex(sc, (50, 200))
    whole = index.assign(x, y)
    cuts = [0, 1, 2500, 2500, 6999, 7000]
    parts = index.assign_chunks(
        [x[a:b] for a, b in itertools.pairwise(cuts)], [y[a:b] for a, b in itertools.pairwise(cuts)]
    )
    assert np.array_equal(parts.zone, whole.zone)
    assert np.array_equal(parts.scene_index, whole.scene_index)
    near = index.assign_near([x], [y])
    assert near.n == x.size
    assert np.array_equal(near.index, np.flatnonzero(whole.zone < 3))
    assert np.array_equal(near.zone, whole.zone[near.index])
    assert np.array_equal(near.scene_index, whole.scene_index[near.index])
