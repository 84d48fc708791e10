"""Zones of a round: inside a scene, rings around scenes, and the rest of the region.

The hot path of the crime analysis: tens of millions of incident points are given a
zone and a scene, working on plain ``x``/``y`` float arrays (EPSG:3006 metres). No
shapely Point objects are made except for the rare points whose distance must be
computed exactly.

Rules (exact, tested)
---------------------
- **Inside** a scene: the point intersects the scene polygon (shapely's
  ``intersects`` semantics): a point **on the edge counts as inside**.
- **Ring k**: the point is not inside any scene and its distance to the nearest scene
  is ``r_{k-1} < d <= r_k`` (``r_0 = 0``): a point **exactly at the ring distance
  counts as within that ring**.
- **Rest**: farther than the largest ring from every scene.
- **Scene of a point**: the scene whose polygon contains it, else the nearest scene
  within the largest ring. A point inside two overlapping scenes, or at exactly the
  same distance from two scenes, goes to the one first in the row order of
  ``scenes``. Rest points have no scene (index -1).

How it is fast
--------------
A grid (default 100 m cells) over the scenes' largest rings marks the few cells that
touch a ring; every point outside them is "rest" after integer arithmetic. Points in
marked cells are tested with prepared polygons (``shapely.intersects_xy``) against the
scene, and against an inner and an outer polygon of each ring (the ring buffered by
``r - delta`` and ``r + delta``, with ``delta`` larger than the chord error of the
buffer's arcs), which settle all but a thin band of points around each ring edge.
Only those, and points within rings of two scenes, get an exact GEOS distance.
Chunks of points are processed on threads (NumPy and Shapely release the GIL). GEOS
builds the indexes of prepared geometries lazily and not thread-safely, so each worker
thread works on its own copy of the polygons; none is shared between threads.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from drugscenes import config
from drugscenes.errors import UsageError

ZONE_SCENE = 0
"""Zone code of points inside a scene; ring k has code k; the rest has code len(rings)+1."""

_QUAD_SEGS = 16
_CHUNK = 1 << 20
_MAX_PAIRS = 1 << 22
"""(point, scene) pairs expanded at once per thread: a chunk of points is smaller where
many scenes' rings overlap (wide rings), so memory stays bounded."""
_MAX_BOXES = 250_000
_MAX_GRID = 16_000_000
"""Most grid cells tested against the scenes' outer rings, and most cells of the whole
grid: the cell grows beyond ``cell_m`` for wide rings or a round spread over a large
region (the result is the same, only more points get an exact test)."""
_MAX_RINGS = 10_000


def zone_names(rings_m: tuple[float, ...]) -> list[str]:
    """Names of the zone codes 0..len(rings_m)+1: ``scene``, ``near_<r>`` ..., ``rest``.

    Examples
    --------
    >>> zone_names((200.0, 500.0))
    ['scene', 'near_200', 'near_500', 'rest']
    """
    return ["scene", *[f"near_{_fmt_m(r)}" for r in rings_m], "rest"]


def _fmt_m(r: float) -> str:
    return str(int(r)) if float(r).is_integer() else f"{r:g}"


def check_rings(rings_m: ArrayLike) -> tuple[float, ...]:
    """Validate ring distances: positive, finite, strictly increasing; returned as floats."""
    rings = tuple(float(r) for r in np.atleast_1d(np.asarray(rings_m, dtype=float)))
    if not rings:
        raise UsageError("rings: give at least one ring distance in metres, e.g. 200")
    if len(rings) > _MAX_RINGS:
        raise UsageError(f"rings: at most {_MAX_RINGS:,} rings, got {len(rings):,}")
    if any(not math.isfinite(r) or r <= 0 for r in rings):
        raise UsageError(f"rings: distances must be positive metres, got {list(rings)}")
    if any(b <= a for a, b in itertools.pairwise(rings)):
        raise UsageError(f"rings: distances must increase strictly, got {list(rings)}")
    return rings


@dataclass(frozen=True)
class ZoneAssignment:
    """Zone and scene of each point.

    Attributes
    ----------
    zone : ndarray of int8 (int16 beyond 125 rings), shape (n,)
        0 inside a scene, k in ring k (``rings_m[k-1]``), ``len(rings_m) + 1`` rest.
    scene_index : ndarray of int32, shape (n,)
        Row position in ``scenes`` of the containing or nearest scene; -1 for rest.
    rings_m : tuple of float
        Outer distance of each ring in metres.
    scene_ids : ndarray of object
        ``scenes["scene_id"]`` in row order, to translate ``scene_index``.
    """

    zone: NDArray[np.int8]
    scene_index: NDArray[np.int32]
    rings_m: tuple[float, ...]
    scene_ids: NDArray[np.object_] = field(repr=False)

    @property
    def zone_names(self) -> list[str]:
        """Names of the zone codes, see :func:`zone_names`."""
        return zone_names(self.rings_m)

    def scene_id(self) -> NDArray[np.object_]:
        """Scene id of each point (None for rest points)."""
        ids = np.append(self.scene_ids, None)
        return ids[self.scene_index]  # -1 picks the appended None


def _copy(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """New GEOS objects equal to ``geoms`` (WKB keeps every coordinate bit)."""
    return shapely.from_wkb(shapely.to_wkb(geoms, output_dimension=2))


def _prepare(geoms: NDArray[np.object_], *rings: list[NDArray[np.object_]]) -> None:
    """Prepare the polygons and build their lazy point-in-area and distance indexes now."""
    arrays = [geoms, *itertools.chain(*rings)]
    for arr in arrays:
        shapely.prepare(arr)
    for arr in arrays:
        for g in arr:
            c = shapely.get_coordinates(g)[0]
            shapely.intersects_xy(g, np.array([c[0], c[0] + 1e9]), np.array([c[1], c[1]]))
    far = shapely.points(np.full(len(geoms), 1e9), np.full(len(geoms), 1e9))
    shapely.distance(geoms, far)


@dataclass(frozen=True)
class _Polygons:
    """The prepared scene, inner-ring and outer-ring polygons one thread works with."""

    geoms: NDArray[np.object_]
    inner: list[NDArray[np.object_]]
    outer: list[NDArray[np.object_]]

    @classmethod
    def private_copy(
        cls,
        geoms: NDArray[np.object_],
        inner: list[NDArray[np.object_]],
        outer: list[NDArray[np.object_]],
    ) -> _Polygons:
        polys = cls(_copy(geoms), [_copy(a) for a in inner], [_copy(a) for a in outer])
        _prepare(polys.geoms, polys.inner, polys.outer)
        return polys


class ZoneIndex:
    """Precomputed geometry for assigning points to the zones of one round.

    Parameters
    ----------
    scenes : GeoDataFrame
        Scene polygons in EPSG:3006 with a ``scene_id`` column (the round's scenes).
    rings_m : sequence of float
        Outer distances of the rings in metres, strictly increasing.
    cell_m : float, optional
        Grid cell size; default 100 m (about half a ring), a good trade between
        false candidates and table size.
    """

    def __init__(
        self,
        scenes: gpd.GeoDataFrame,
        rings_m: ArrayLike = (config.RING_M,),
        cell_m: float = 100.0,
    ) -> None:
        _check_scenes(scenes)
        self.rings_m = check_rings(rings_m)
        if not cell_m > 0:
            raise UsageError(f"cell_m must be positive, got {cell_m}")
        self.scene_ids = np.asarray(scenes["scene_id"].astype(object))
        # A copy: preparing mutates the GEOS objects, which stay the caller's.
        self.geoms = _copy(np.asarray(scenes.geometry.values, dtype=object))
        n_rings = len(self.rings_m)
        chord = 1.0 - math.cos(math.pi / (4 * _QUAD_SEGS))
        # inner[k][s] lies within distance r_k of scene s, outer[k][s] covers all of it.
        self.inner: list[NDArray[np.object_]] = []
        self.outer: list[NDArray[np.object_]] = []
        for r in self.rings_m:
            delta = 2.0 * (r + 1.0) * chord + 0.01
            self.outer.append(shapely.buffer(self.geoms, r + delta, quad_segs=_QUAD_SEGS))
            inner = (
                shapely.buffer(self.geoms, r - delta, quad_segs=_QUAD_SEGS)
                if r - delta > 0
                else self.geoms.copy()
            )
            self.inner.append(inner)
        _prepare(self.geoms, self.inner, self.outer)
        self.n_rings = n_rings
        # Zone codes 0 .. n_rings + 1 (many survey bands: more than int8 holds).
        self.dtype: type[np.signedinteger] = np.int8 if n_rings < 126 else np.int16
        self._build_grid(self._cell_size(float(cell_m)))
        # Fewer points at once where many scenes share a cell (wide rings).
        widest = int(self.cell_count.max()) if self.cell_count.size else 1
        self.chunk = int(min(_CHUNK, max(4096, _MAX_PAIRS // max(widest, 1))))

    def _cell_size(self, cell: float) -> float:
        """``cell``, or larger so that the grid and the cells tested against the outer rings
        stay within :data:`_MAX_BOXES` and :data:`_MAX_GRID` (wide rings, a round spread
        over a large region)."""
        b = shapely.bounds(self.outer[-1])
        tested = float(np.sum((b[:, 2] - b[:, 0] + 2 * cell) * (b[:, 3] - b[:, 1] + 2 * cell)))
        whole = float(b[:, 2].max() - b[:, 0].min() + 4 * cell) * float(
            b[:, 3].max() - b[:, 1].min() + 4 * cell
        )
        scale = max(tested / _MAX_BOXES, whole / _MAX_GRID) / (cell * cell)
        return cell * math.sqrt(scale) if scale > 1 else cell

    def _build_grid(self, cell: float) -> None:
        outer = self.outer[-1]
        b = shapely.bounds(outer)
        self.cell = cell
        self.x0 = float(b[:, 0].min()) - cell  # one empty cell of padding on each side
        self.y0 = float(b[:, 1].min()) - cell
        self.nx = math.ceil((b[:, 2].max() - self.x0) / cell) + 2
        self.ny = math.ceil((b[:, 3].max() - self.y0) / cell) + 2
        cells_list: list[NDArray[np.int64]] = []
        scene_list: list[NDArray[np.int32]] = []
        for s, g in enumerate(outer):
            gx0, gy0, gx1, gy1 = b[s]
            i0, i1 = int((gx0 - self.x0) // cell), int((gx1 - self.x0) // cell)
            j0, j1 = int((gy0 - self.y0) // cell), int((gy1 - self.y0) // cell)
            ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
            ii, jj = ii.ravel(), jj.ravel()
            boxes = shapely.box(
                self.x0 + ii * cell,
                self.y0 + jj * cell,
                self.x0 + (ii + 1) * cell,
                self.y0 + (jj + 1) * cell,
            )
            hit = shapely.intersects(g, boxes)
            cells_list.append(jj[hit].astype(np.int64) * self.nx + ii[hit])
            scene_list.append(np.full(int(hit.sum()), s, dtype=np.int32))
        cells = np.concatenate(cells_list)
        scene_of = np.concatenate(scene_list)
        order = np.lexsort((scene_of, cells))
        cells, scene_of = cells[order], scene_of[order]
        counts = np.bincount(cells, minlength=self.nx * self.ny)
        self.cell_count = counts.astype(np.int32)
        self.cell_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.cell_scenes = scene_of
        self.n_cand_cells = int((counts > 0).sum())

    # -- assignment -------------------------------------------------------------
    def assign(self, x: ArrayLike, y: ArrayLike, workers: int | None = None) -> ZoneAssignment:
        """Zone and scene of each point (x, y in EPSG:3006 metres).

        Parameters
        ----------
        x, y : array_like of float
            Coordinates; NaN is not allowed.
        workers : int, optional
            Threads; default the number of CPUs (at most 8).

        Returns
        -------
        ZoneAssignment
        """
        xa = np.ascontiguousarray(x, dtype=np.float64)
        ya = np.ascontiguousarray(y, dtype=np.float64)
        if xa.shape != ya.shape or xa.ndim != 1:
            raise UsageError(
                f"x and y must be 1-d arrays of one length, got {xa.shape}, {ya.shape}"
            )
        n = xa.size
        zone = np.empty(n, dtype=self.dtype)
        scene = np.empty(n, dtype=np.int32)
        starts = range(0, n, self.chunk)
        workers = workers or min(8, os.cpu_count() or 1)

        # Threads pay off for large inputs only; small chunks (wide rings) alone stay serial.
        threaded = workers > 1 and n > _CHUNK
        local = threading.local()

        def run(start: int) -> None:
            sl = slice(start, min(start + self.chunk, n))
            if not threaded:
                polys = _Polygons(self.geoms, self.inner, self.outer)
            elif (polys := getattr(local, "polys", None)) is None:
                polys = local.polys = _Polygons.private_copy(self.geoms, self.inner, self.outer)
            zone[sl], scene[sl] = self._assign_chunk(polys, xa[sl], ya[sl])

        if threaded:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, starts))
        else:
            for s in starts:
                run(s)
        return ZoneAssignment(zone, scene, self.rings_m, self.scene_ids)

    def _candidates(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        """Flat cell of each point (cell 0 is padding, never a candidate) or 0 when outside."""
        inv = 1.0 / self.cell
        fx = x * inv
        fx -= self.x0 * inv
        ix = fx.astype(np.int64)  # NaN/out of range -> garbage, clamped below
        fy = y * inv
        fy -= self.y0 * inv
        iy = fy.astype(np.int64)
        # Values below 0 or beyond the grid go to padding cell 0 (never a candidate).
        bad = (ix <= 0) | (ix >= self.nx - 1) | (iy <= 0) | (iy >= self.ny - 1)
        flat = iy * self.nx + ix
        flat[bad] = 0
        return flat

    def pairs(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int8]]:
        """Every (point, scene) pair where the point is inside or within a ring of the scene.

        Unlike :meth:`assign`, which gives each point its one nearest scene, this lists a
        point once for every scene it is near (overlapping rings), with the zone level
        it has with respect to that scene alone, by the same exact rules.

        Returns
        -------
        point, scene, level : ndarray
            Point position, scene row position and level (0 inside, k in ring k), sorted
            by point then scene. Points near no scene do not appear.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> scenes = gpd.GeoDataFrame({"scene_id": ["A", "B"]}, crs=3006,
        ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100)])
        >>> p, s, lvl = ZoneIndex(scenes, [200]).pairs([50, 200, 1000], [50, 50, 50])
        >>> p.tolist(), s.tolist(), lvl.tolist()
        ([0, 1, 1], [0, 0, 1], [0, 1, 1])
        """
        xa = np.ascontiguousarray(x, dtype=np.float64)
        ya = np.ascontiguousarray(y, dtype=np.float64)
        if xa.shape != ya.shape or xa.ndim != 1:
            raise UsageError(
                f"x and y must be 1-d arrays of one length, got {xa.shape}, {ya.shape}"
            )
        pts, scs, levels = (
            [np.empty(0, np.int64)],
            [np.empty(0, np.int32)],
            [np.empty(0, self.dtype)],
        )
        polys = _Polygons(self.geoms, self.inner, self.outer)
        for start in range(0, xa.size, self.chunk):
            sl = slice(start, start + self.chunk)
            p, q, lv = self._pair_levels(polys, xa[sl], ya[sl])
            pts.append(p + start)
            scs.append(q)
            levels.append(lv)
        pt, sc, level = np.concatenate(pts), np.concatenate(scs), np.concatenate(levels)
        order = np.lexsort((sc, pt))
        return pt[order], sc[order], level[order]

    def _pair_levels(
        self, polys: _Polygons, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int8]]:
        """(point, scene, level) of the pairs with level <= n_rings, grouped by scene."""
        flat = self._candidates(x, y)
        cnt = self.cell_count[flat]
        pts = np.flatnonzero(cnt)
        if pts.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, self.dtype)
        # Expand (point, scene) pairs from the cells' scene lists.
        c = cnt[pts].astype(np.int64)
        pair_pt = np.repeat(pts, c)
        first = np.repeat(self.cell_ptr[flat[pts]], c)
        run_start = np.repeat(np.cumsum(c) - c, c)
        pair_sc = self.cell_scenes[first + np.arange(pair_pt.size) - run_start]
        order = np.argsort(pair_sc, kind="stable")
        pair_pt, pair_sc = pair_pt[order], pair_sc[order]
        level = np.full(pair_pt.size, self.n_rings + 1, dtype=self.dtype)
        bounds = np.searchsorted(pair_sc, np.arange(len(self.geoms) + 1))
        for s in range(len(self.geoms)):
            lo, hi = bounds[s], bounds[s + 1]
            if lo == hi:
                continue
            level[lo:hi] = self._levels(polys, s, x[pair_pt[lo:hi]], y[pair_pt[lo:hi]])
        keep = level <= self.n_rings
        return pair_pt[keep], pair_sc[keep], level[keep]

    def _assign_chunk(
        self, polys: _Polygons, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.int8], NDArray[np.int32]]:
        zone = np.full(x.size, self.n_rings + 1, dtype=self.dtype)
        scene = np.full(x.size, -1, dtype=np.int32)
        pair_pt, pair_sc, level = self._pair_levels(polys, x, y)
        if pair_pt.size == 0:
            return zone, scene
        # Best pair per point: lowest level, then lowest scene row.
        order = np.lexsort((pair_sc, level, pair_pt))
        pair_pt, pair_sc, level = pair_pt[order], pair_sc[order], level[order]
        head = np.ones(pair_pt.size, dtype=bool)
        head[1:] = pair_pt[1:] != pair_pt[:-1]
        # Same ring of two scenes: the nearest wins, so compare exact distances.
        tie = ~head & (level > 0)
        tie[1:] &= level[1:] == level[:-1]
        if tie.any():
            group = np.cumsum(head) - 1
            tied_groups = np.unique(group[tie])
            in_tied = np.isin(group, tied_groups)
            best_lvl = level[head][group]
            sel = in_tied & (level == best_lvl)
            idx = np.flatnonzero(sel)
            d = shapely.distance(
                polys.geoms[pair_sc[idx]], shapely.points(x[pair_pt[idx]], y[pair_pt[idx]])
            )
            sub = np.lexsort((pair_sc[idx], d, group[idx]))
            idx_sorted = idx[sub]
            g_sorted = group[idx_sorted]
            first_of = np.ones(idx_sorted.size, dtype=bool)
            first_of[1:] = g_sorted[1:] != g_sorted[:-1]
            winners = idx_sorted[first_of]
            head[np.flatnonzero(head)[group[winners]]] = False
            head[winners] = True
        zone[pair_pt[head]] = level[head]
        scene[pair_pt[head]] = pair_sc[head]
        return zone, scene

    def _levels(
        self, polys: _Polygons, s: int, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> NDArray[np.int8]:
        """Zone level of points with respect to scene ``s`` alone (rest = n_rings + 1)."""
        n_rings = self.n_rings
        lvl = np.full(x.size, n_rings + 1, dtype=self.dtype)
        near = np.flatnonzero(shapely.intersects_xy(polys.outer[-1][s], x, y))
        if near.size == 0:
            return lvl
        xs, ys = x[near], y[near]
        sub = np.full(near.size, n_rings + 1, dtype=self.dtype)
        inside = shapely.intersects_xy(polys.geoms[s], xs, ys)
        sub[inside] = 0
        open_ = ~inside
        exact = np.zeros(near.size, dtype=bool)
        for k in range(n_rings):
            cand = np.flatnonzero(open_)
            if cand.size == 0:
                break
            in_inner = shapely.intersects_xy(polys.inner[k][s], xs[cand], ys[cand])
            in_outer = (
                np.ones(cand.size, dtype=bool)
                if k == n_rings - 1
                else shapely.intersects_xy(polys.outer[k][s], xs[cand], ys[cand])
            )
            sub[cand[in_inner]] = k + 1
            open_[cand[in_inner]] = False
            band = cand[in_outer & ~in_inner]
            exact[band] = True
            open_[band] = False
        ex = np.flatnonzero(exact)
        if ex.size:
            d = shapely.distance(polys.geoms[s], shapely.points(xs[ex], ys[ex]))
            rings = np.asarray(self.rings_m)
            k = np.searchsorted(rings, d, side="left")  # d <= r_k  ->  ring k+1
            sub[ex] = np.where(k < n_rings, k + 1, n_rings + 1).astype(self.dtype)
        lvl[near] = sub
        return lvl


def assign_zones(
    x: ArrayLike,
    y: ArrayLike,
    scenes: gpd.GeoDataFrame,
    rings_m: ArrayLike = (config.RING_M,),
    workers: int | None = None,
) -> ZoneAssignment:
    """Assign points to the zones of a round: inside a scene, rings, rest.

    Parameters
    ----------
    x, y : array_like of float
        Point coordinates in EPSG:3006 metres.
    scenes : GeoDataFrame
        The round's scenes (``scene_id``, polygon geometry) in EPSG:3006.
    rings_m : sequence of float, default (200,)
        Outer distances of the rings in metres, strictly increasing.
    workers : int, optional
        Threads to use; default the number of CPUs.

    Returns
    -------
    ZoneAssignment
        ``zone`` (0 scene, k ring k, ``len(rings_m)+1`` rest) and ``scene_index``.

    Notes
    -----
    On the edge of a scene counts as inside; a distance exactly equal to a ring's
    distance counts as within that ring; a point inside two overlapping scenes, or
    equally near two, goes to the scene first in row order. See the module docstring.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> scenes = gpd.GeoDataFrame({"scene_id": ["A"]},
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=3006)
    >>> za = assign_zones([50, 100, 300, 301], [50, 50, 50, 50], scenes)
    >>> za.zone.tolist(), za.scene_id().tolist()
    ([0, 0, 1, 2], ['A', 'A', 'A', None])
    """
    return ZoneIndex(scenes, rings_m).assign(x, y, workers=workers)


def zone_areas(
    scenes: gpd.GeoDataFrame, rings_m: ArrayLike, region: shapely.Geometry
) -> NDArray[np.float64]:
    """Area in m² of each zone within the region: scenes, ring bands, rest.

    Ring bands are the scenes' buffers (arcs as 64-gons per circle; the relative area
    error is below 0.2 %) minus the smaller buffers and the scenes, clipped to the
    region. The zone areas sum to the region's area.
    """
    _check_scenes(scenes)
    rings = check_rings(rings_m)
    union = shapely.union_all(np.asarray(scenes.geometry.values))
    inner = shapely.intersection(union, region)
    areas = [shapely.area(inner)]
    for r in rings:
        buf = shapely.intersection(shapely.buffer(union, r, quad_segs=_QUAD_SEGS), region)
        areas.append(shapely.area(buf) - sum(areas))
    areas.append(shapely.area(region) - sum(areas))
    return np.asarray(areas, dtype=float)


def assign_polygons(
    x: ArrayLike, y: ArrayLike, polygons: ArrayLike, cell_m: float = 1000.0
) -> NDArray[np.int32]:
    """Index of the first polygon covering each point (edges included), -1 for none.

    Used for municipalities and for the "outside the region" check on import. A grid
    settles the points of cells inside exactly one polygon (or none) with integer
    arithmetic; only points in cells crossed by a border are tested exactly, each
    against the polygons crossing its cell. :class:`PolygonGrid` keeps the grid for
    many calls (an import's batches).

    Parameters
    ----------
    x, y : array_like of float
        Point coordinates, same CRS as ``polygons``.
    polygons : array_like of shapely geometries
        E.g. the municipalities' geometries.
    cell_m : float, default 1000
        Grid cell size.

    Examples
    --------
    >>> import shapely
    >>> assign_polygons([0.5, 1.0, 5], [0.5, 0.5, 5],
    ...                 [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], 0.25).tolist()
    [0, 0, -1]
    """
    return PolygonGrid(polygons, cell_m).assign(x, y)


class PolygonGrid:
    """The grid of :func:`assign_polygons`, built once for many calls of :meth:`assign`.

    Parameters
    ----------
    polygons : array_like of shapely geometries
        Prepared here (in place), as :func:`assign_polygons` always did; use a grid from
        one thread (GEOS prepared geometries are not thread-safe).
    cell_m : float, default 1000
    """

    def __init__(self, polygons: ArrayLike, cell_m: float = 1000.0) -> None:
        self.geoms = np.asarray(polygons, dtype=object)
        self.cell_m = cell_m
        if self.geoms.size == 0:
            return
        geoms = self.geoms
        shapely.prepare(geoms)
        b = shapely.total_bounds(geoms)
        x0, y0 = b[0] - cell_m, b[1] - cell_m
        nx = math.ceil((b[2] - x0) / cell_m) + 2
        ny = math.ceil((b[3] - y0) / cell_m) + 2
        ii, jj = np.meshgrid(np.arange(nx), np.arange(ny))
        ii, jj = ii.ravel(), jj.ravel()
        boxes = shapely.box(
            x0 + ii * cell_m, y0 + jj * cell_m, x0 + (ii + 1) * cell_m, y0 + (jj + 1) * cell_m
        )
        tree = shapely.STRtree(geoms)
        bi, gi = tree.query(boxes, predicate="intersects")
        n_hit = np.bincount(bi, minlength=boxes.size)
        # -1: no polygon, k >= 0: the cell lies inside polygon k only, -2: test exactly.
        table = np.where(n_hit == 0, -1, -2).astype(np.int32)
        single = n_hit[bi] == 1
        covered = np.zeros(bi.size, dtype=bool)
        covered[single] = shapely.covers(geoms[gi[single]], boxes[bi[single]])
        table[bi[covered]] = gi[covered]
        # For the cells to test: which polygons cross each (a row per such cell).
        border = np.flatnonzero(table == -2)
        row = np.full(boxes.size, -1, dtype=np.int64)
        row[border] = np.arange(border.size)
        crossing = np.zeros((border.size, geoms.size), dtype=bool)
        at = row[bi] >= 0
        crossing[row[bi[at]], gi[at]] = True
        self.x0, self.y0, self.nx, self.ny = x0, y0, nx, ny
        self.table, self.row, self.crossing = table, row, crossing

    def assign(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.int32]:
        """Index of the first polygon covering each point (edges included), -1 for none."""
        xa = np.ascontiguousarray(x, dtype=np.float64)
        ya = np.ascontiguousarray(y, dtype=np.float64)
        out = np.full(xa.size, -1, dtype=np.int32)
        if self.geoms.size == 0 or xa.size == 0:
            return out
        nx, ny = self.nx, self.ny
        fx = (xa - self.x0) / self.cell_m
        fy = (ya - self.y0) / self.cell_m
        ok = np.isfinite(fx) & np.isfinite(fy)
        ix = np.where(ok, fx, -1).astype(np.int64)
        iy = np.where(ok, fy, -1).astype(np.int64)
        inside_grid = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        flat = np.where(inside_grid, iy * nx + ix, 0)
        out[:] = np.where(inside_grid, self.table[flat], -1)
        todo = np.flatnonzero(out == -2)
        out[todo] = -1
        if todo.size:
            # Test the border points against the polygons crossing their cell, in order;
            # the first hit wins (a polygon not crossing the cell cannot hold the point).
            cand = self.crossing[self.row[flat[todo]]]
            for k, g in enumerate(self.geoms):
                test = (out[todo] == -1) & cand[:, k]
                if not test.any():
                    continue
                open_ = todo[test]
                hit = shapely.intersects_xy(g, xa[open_], ya[open_])
                out[open_[hit]] = k
        return out


def _check_scenes(scenes: gpd.GeoDataFrame) -> None:
    if not isinstance(scenes, gpd.GeoDataFrame):
        raise UsageError(f"scenes should be a GeoDataFrame, got {type(scenes)}")
    if "scene_id" not in scenes.columns:
        raise UsageError("scenes must have a 'scene_id' column")
    if len(scenes) == 0:
        raise UsageError("the round has no scenes")
    if scenes.crs is not None and scenes.crs.to_epsg() != 3006:
        raise UsageError(f"scenes must be in EPSG:3006, got {scenes.crs}")
    geom = scenes.geometry
    if geom.isna().any() or geom.is_empty.any():
        raise UsageError("scenes have empty geometries")
    if not geom.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise UsageError("scene geometries must be polygons")
