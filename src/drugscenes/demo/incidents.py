"""Deterministic synthetic incidents for demos, tests and benchmarks.

Incidents are a mixture of three parts: points inside scenes, points near scenes
(the scene plus an offset uniform in a disc, so density falls with distance) and a
background spread over the municipalities in proportion to their ``population``
column if there is one, else to their area. Category probabilities differ by part
so that scenes have a higher share of violence and shootings, as published for the
Stockholm region (see docs/domain). Everything is vectorised; 30 million incidents
take seconds. The same seed gives the same frame.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
import shapely.affinity
from numpy.typing import NDArray

from drugscenes.analysis.zones import assign_polygons
from drugscenes.errors import UsageError
from drugscenes.times import to_utc

CATEGORIES = ["violence", "shooting", "explosion", "drug offence", "other"]
"""Categories in the order used by the generator (matches the default mapping)."""

# Probability of each category (order of CATEGORIES) in each part of the mixture.
_P_CATEGORY = {
    "scene": [0.34, 0.03, 0.02, 0.26, 0.35],
    "near": [0.24, 0.012, 0.01, 0.12, 0.618],
    "background": [0.12, 0.0015, 0.0015, 0.04, 0.837],
}
# A Swedish police event type for each category (what the source would have said).
_SOURCE_TYPES = {
    "violence": ["Misshandel", "Misshandel, grov", "Rån", "Mord/dråp, försök", "Olaga hot"],
    "shooting": ["Skottlossning"],
    "explosion": ["Explosion", "Detonation"],
    "drug offence": ["Narkotikabrott"],
    "other": ["Stöld", "Brand", "Skadegörelse", "Trafikbrott", "Bedrägeri"],
}


def generate_incidents(
    municipalities: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    n: int,
    start: str | pd.Timestamp = "2023-01-01",
    end: str | pd.Timestamp = "2024-01-01",
    seed: int = 0,
    share_scene: float = 0.03,
    share_near: float = 0.05,
    near_m: float = 250.0,
    id_prefix: str = "demo-",
) -> pd.DataFrame:
    """Make ``n`` synthetic incidents in the region, concentrated at scenes.

    Parameters
    ----------
    municipalities : GeoDataFrame
        The region (``code``, ``geometry``; optional ``population``) in EPSG:3006.
    scenes : GeoDataFrame
        Scene polygons in EPSG:3006.
    n : int
        Number of incidents.
    start, end : str or Timestamp
        Time range, half open ``[start, end)``, interpreted as UTC when naive.
    seed : int
        Seed of the NumPy generator; equal seeds give equal frames.
    share_scene, share_near : float
        Expected shares of incidents drawn inside scenes and around them (an offset
        uniform in a disc of radius ``near_m`` from a point of the scene).
    id_prefix : str
        Prefix of the ``incident_id`` values (followed by a running number).

    Returns
    -------
    DataFrame
        ``incident_id`` (str), ``time`` (datetime64[ns, UTC]), ``source_type``,
        ``category`` (categorical), ``x``, ``y`` (float64, EPSG:3006),
        ``police_activity`` (bool, true for drug offences). Points near scenes are
        kept inside the region.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> region = gpd.GeoDataFrame({"code": ["0180"]},
    ...     geometry=[shapely.box(0, 0, 5000, 5000)], crs=3006)
    >>> scenes = gpd.GeoDataFrame({"scene_id": ["A"]},
    ...     geometry=[shapely.box(2000, 2000, 2100, 2100)], crs=3006)
    >>> df = generate_incidents(region, scenes, 1000, seed=1)
    >>> len(df), df["category"].isin(CATEGORIES).all()
    (1000, np.True_)
    """
    if n < 0:
        raise UsageError(f"n must be >= 0, got {n}")
    if not (0 <= share_scene and 0 <= share_near and share_scene + share_near <= 1):
        raise UsageError("share_scene and share_near must be >= 0 and sum to at most 1")
    t0, t1 = to_utc(start), to_utc(end)
    if t1 <= t0:
        raise UsageError(f"end ({t1}) must be after start ({t0})")
    rng = np.random.default_rng(seed)
    region = np.asarray(municipalities.geometry.values, dtype=object)
    scene_geoms = np.asarray(scenes.geometry.values, dtype=object)
    n_scene, n_near, n_bg = rng.multinomial(
        n, [share_scene, share_near, 1 - share_scene - share_near]
    )
    if len(scene_geoms) == 0:
        n_bg += n_scene + n_near
        n_scene = n_near = 0

    xs, ys = _in_polygons(rng, scene_geoms, shapely.area(scene_geoms), n_scene)
    nx_, ny_ = _in_polygons(rng, scene_geoms, shapely.area(scene_geoms), n_near)
    nx_, ny_ = _disc_offset(rng, nx_, ny_, near_m)
    # Keep near points in the region: redraw the few that fell outside from the scene.
    outside = assign_polygons(nx_, ny_, region) < 0
    nx_[outside], ny_[outside] = _in_polygons(
        rng, scene_geoms, shapely.area(scene_geoms), int(outside.sum())
    )
    weights = (
        municipalities["population"].to_numpy(dtype=float)
        if "population" in municipalities.columns
        else shapely.area(region)
    )
    bx, by = _in_polygons(rng, region, weights, n_bg)

    x = np.concatenate([xs, nx_, bx])
    y = np.concatenate([ys, ny_, by])
    part = np.repeat(np.arange(3, dtype=np.int8), [n_scene, n_near, n_bg])
    # Shuffle so that row order says nothing about the part.
    perm = rng.permutation(n)
    x, y, part = x[perm], y[perm], part[perm]

    cat = np.empty(n, dtype=np.int8)
    for k, name in enumerate(["scene", "near", "background"]):
        m = part == k
        cat[m] = rng.choice(len(CATEGORIES), size=int(m.sum()), p=_P_CATEGORY[name])
    # Source type: one of the category's types, uniformly.
    all_types = [t for c in CATEGORIES for t in _SOURCE_TYPES[c]]
    offset = np.cumsum([0] + [len(_SOURCE_TYPES[c]) for c in CATEGORIES])
    n_types = np.diff(offset)
    type_code = offset[cat] + (rng.random(n) * n_types[cat]).astype(np.int64)

    span = (t1 - t0).value  # nanoseconds
    ns = t0.value + (rng.random(n) * span).astype(np.int64)
    ids = pc.binary_join_element_wise(
        id_prefix, pa.array(np.arange(1, n + 1)).cast(pa.string()), ""
    )
    return pd.DataFrame(
        {
            "incident_id": pd.array(ids, dtype=pd.ArrowDtype(pa.string())),
            "time": pd.Series(ns.view("M8[ns]")).dt.tz_localize("UTC"),
            "source_type": pd.Categorical.from_codes(type_code, all_types),
            "category": pd.Categorical.from_codes(cat, CATEGORIES),
            "x": x,
            "y": y,
            "police_activity": cat == CATEGORIES.index("drug offence"),
        }
    )


def _in_polygons(
    rng: np.random.Generator, geoms: NDArray[np.object_], weights: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` points uniform within polygons chosen with the given weights (rejection)."""
    x = np.empty(n)
    y = np.empty(n)
    if n == 0:
        return x, y
    w = np.asarray(weights, dtype=float)
    counts = rng.multinomial(n, w / w.sum())
    bounds = shapely.bounds(geoms)
    pos = 0
    for k, m in enumerate(counts):  # loop over polygons, not incidents
        if m == 0:
            continue
        g = geoms[k]
        shapely.prepare(g)
        x0, y0, x1, y1 = bounds[k]
        accept = max(shapely.area(g) / ((x1 - x0) * (y1 - y0)), 0.01)
        got = 0
        while got < m:
            draw = int((m - got) / accept * 1.1) + 16
            px = rng.uniform(x0, x1, draw)
            py = rng.uniform(y0, y1, draw)
            ok = np.flatnonzero(shapely.intersects_xy(g, px, py))[: m - got]
            x[pos + got : pos + got + ok.size] = px[ok]
            y[pos + got : pos + got + ok.size] = py[ok]
            got += ok.size
        pos += m
    return x, y


def _disc_offset(
    rng: np.random.Generator, x: NDArray[np.float64], y: NDArray[np.float64], radius: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r = radius * np.sqrt(rng.random(x.size))
    a = rng.uniform(0, 2 * np.pi, x.size)
    return x + r * np.cos(a), y + r * np.sin(a)


def scenes_at_points(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    seed: int = 0,
    area_m2: tuple[float, float] = (500.0, 8000.0),
    prefix: str = "S",
) -> gpd.GeoDataFrame:
    """Irregular scene polygons around given points (e.g. stations), for demos and tests.

    Each polygon is a star-shaped ring of 6 to 24 vertices around its point with an
    area drawn log-uniformly from ``area_m2``. Returns ``scene_id`` and ``geometry``
    in EPSG:3006.

    Examples
    --------
    >>> s = scenes_at_points(np.array([0.0, 1000.0]), np.array([0.0, 0.0]), seed=2)
    >>> list(s["scene_id"]), bool(s.area.between(100, 20000).all())
    (['S001', 'S002'], True)
    """
    rng = np.random.default_rng(seed)
    polys = []
    for cx, cy in zip(np.asarray(x, float), np.asarray(y, float), strict=True):  # per scene
        k = int(rng.integers(6, 25))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(0.6, 1.0, k)
        poly = shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])
        target = np.exp(rng.uniform(np.log(area_m2[0]), np.log(area_m2[1])))
        poly = shapely.affinity.scale(poly, *(2 * [np.sqrt(target / poly.area)]), origin=(cx, cy))
        polys.append(shapely.make_valid(poly))
    return gpd.GeoDataFrame(
        {"scene_id": [f"{prefix}{i + 1:03d}" for i in range(len(polys))]},
        geometry=polys,
        crs=3006,
    )
