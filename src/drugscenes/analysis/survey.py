"""Perceived safety by distance to open drug scenes: distances, bands, weighted estimates.

The published figure this reproduces: among people living up to 500 m from an open drug scene,
36 % feel unsafe in their neighbourhood, against 21 % in the whole county (safety survey 2023).

Privacy
-------
Respondents' ids, home coordinates and distances are inputs only. The typed result holds
aggregates (counts, shares, intervals) and nothing per respondent; a band or area with fewer than
``min_n`` respondents who answered is *suppressed*: no share, interval or difference, only the
count and the reason.

Distance bands
--------------
Edges are in metres and a band *includes its upper edge*: with the default edges 500, 1000, 2000
the bands are 0 <= d <= 500, 500 < d <= 1000, 1000 < d <= 2000 and d > 2000. A home inside a
scene has distance 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from drugscenes import CRS_EPSG
from drugscenes.analysis.disclosure import suppress_groups
from drugscenes.analysis.zones import ZoneIndex
from drugscenes.config import SURVEY_BAND_EDGES_M, SURVEY_MIN_N
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.stats.survey_design import (
    DEFAULT_METHOD,
    INTERVAL_METHODS,
    IntervalMethod,
    SurveyDesign,
    domain_difference,
    logistic_regression,
    proportion_ci,
)

_CHUNK = 4_000_000  # elements of a points x segments block kept in memory at once


# -- geometry: exact nearest-scene distance --------------------------------------------------


@dataclass(frozen=True, eq=False)
class _SceneSegments:
    """Boundary segments of the scenes, grouped by scene (exterior and interior rings)."""

    geoms: np.ndarray  # shapely geometries, one per scene
    bounds: np.ndarray  # (m, 4)
    ax: np.ndarray
    ay: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    inv_len2: np.ndarray
    start: np.ndarray  # segments of scene s: start[s]:start[s+1]
    vertices: np.ndarray  # (k, 2) all ring vertices
    vertex_scene: np.ndarray

    @classmethod
    def build(cls, geoms: np.ndarray) -> _SceneSegments:
        rings, ring_scene = shapely.get_parts(shapely.boundary(geoms), return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same = coord_ring[:-1] == coord_ring[1:]
        a, b = coords[:-1][same], coords[1:][same]
        seg_scene = ring_scene[coord_ring[:-1][same]]  # rings come out in scene order
        d = b - a
        len2 = (d**2).sum(axis=1)
        inv = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
        start = np.searchsorted(seg_scene, np.arange(len(geoms) + 1))
        return cls(
            geoms=geoms,
            bounds=shapely.bounds(geoms),
            ax=a[:, 0].copy(),
            ay=a[:, 1].copy(),
            dx=d[:, 0].copy(),
            dy=d[:, 1].copy(),
            inv_len2=inv,
            start=start,
            vertices=coords,
            vertex_scene=ring_scene[coord_ring],
        )

    def distance(self, s: int, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Exact Euclidean distance from points to scene ``s`` (0 inside), vectorised."""
        lo, hi = self.start[s], self.start[s + 1]
        ax, ay = self.ax[lo:hi], self.ay[lo:hi]
        dx, dy, inv = self.dx[lo:hi], self.dy[lo:hi], self.inv_len2[lo:hi]
        out = np.empty(px.shape[0])
        step = max(1, _CHUNK // max(hi - lo, 1))
        for i in range(0, px.shape[0], step):  # chunks of points, bounded memory
            qx = px[i : i + step, None] - ax
            qy = py[i : i + step, None] - ay
            t = np.clip((qx * dx + qy * dy) * inv, 0.0, 1.0)
            qx -= t * dx
            qy -= t * dy
            out[i : i + step] = np.sqrt((qx * qx + qy * qy).min(axis=1))
        x0, y0, x1, y1 = self.bounds[s]
        in_box = np.flatnonzero((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1))
        if in_box.size:
            inside = shapely.contains_xy(self.geoms[s], px[in_box], py[in_box])
            out[in_box[inside]] = 0.0
        return out


def _box_distance(
    bounds: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> np.ndarray:
    """Distance between the box ``bounds`` (4,) and boxes / points (x0, y0, x1, y1)."""
    gx = np.maximum(np.maximum(bounds[0] - x1, x0 - bounds[2]), 0.0)
    gy = np.maximum(np.maximum(bounds[1] - y1, y0 - bounds[3]), 0.0)
    return np.hypot(gx, gy)


def _group(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n_groups + 1))


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for all pairs, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total)


def _validate_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    px = np.ascontiguousarray(x, dtype=float)
    py = np.ascontiguousarray(y, dtype=float)
    if px.shape != py.shape or px.ndim != 1:
        raise UsageError("'x' and 'y' must be 1-d arrays of the same length")
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise UsageError("'x' and 'y' must be finite (EPSG:3006 metres)")
    return px, py


def _scene_geometries(scenes: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    if not isinstance(scenes, gpd.GeoDataFrame | gpd.GeoSeries):
        raise UsageError(f"'scenes' should be a GeoDataFrame, got {type(scenes)}")
    if scenes.crs is None or scenes.crs.to_epsg() != CRS_EPSG:
        raise UsageError(f"'scenes' must be in EPSG:{CRS_EPSG}, got {scenes.crs}")
    geoms = np.asarray(scenes.geometry.values, dtype=object)
    if len(geoms) == 0:
        raise UsageError("'scenes' is empty: the round has no scenes")
    kinds = shapely.get_type_id(geoms)
    if shapely.is_empty(geoms).any() or not np.isin(kinds, (3, 6)).all():
        raise UsageError("'scenes' must have non-empty Polygon or MultiPolygon geometries")
    return geoms


def nearest_scene_distance(
    x: np.ndarray, y: np.ndarray, scenes: gpd.GeoDataFrame | gpd.GeoSeries
) -> np.ndarray:
    """Exact distance in metres from each point to the nearest scene (0 inside a scene).

    Parameters
    ----------
    x, y : ndarray of float
        Point coordinates in EPSG:3006.
    scenes : GeoDataFrame or GeoSeries
        Scene polygons in EPSG:3006.

    Returns
    -------
    ndarray of float
        Distances, equal to ``shapely.distance(point, union_of_scenes)`` up to rounding
        (checked to 1e-6 m in the tests and the benchmark).

    Notes
    -----
    Branch and bound, vectorised over points with a loop over scenes only:

    1. the nearest scene *vertex* (k-d tree) gives a candidate scene and, after an exact
       point-to-segment computation against all its boundary segments, an upper bound ``d0``;
    2. every other scene whose bounding box is closer than ``d0`` is a candidate; candidates are
       found through a grid of the points (cell boxes against scene boxes) and refined by the
       exact point-to-box distance;
    3. candidates' exact distances replace ``d0`` when smaller. Inside tests use
       ``shapely.contains_xy`` only for points within a scene's bounding box.

    Examples
    --------
    >>> sc = gpd.GeoSeries([shapely.box(0, 0, 10, 10)], crs=3006)
    >>> nearest_scene_distance(np.array([5.0, 13.0]), np.array([5.0, 14.0]), sc).tolist()
    [0.0, 5.0]
    """
    px, py = _validate_points(x, y)
    segs = _SceneSegments.build(_scene_geometries(scenes))
    n, m = px.shape[0], len(segs.geoms)
    if n == 0:
        return np.empty(0)
    # 1. nearest vertex -> its scene -> exact distance to that scene.
    _, vidx = cKDTree(segs.vertices).query(np.column_stack([px, py]), workers=-1)
    s0 = segs.vertex_scene[vidx]
    dist = np.empty(n)
    order, start = _group(s0, m)
    for s in range(m):
        idx = order[start[s] : start[s + 1]]
        if idx.size:
            dist[idx] = segs.distance(s, px[idx], py[idx])
    if m == 1:
        return dist
    # 2. candidates: other scenes whose box is nearer than the current distance.
    cell = 500.0
    cx = np.floor((px - px.min()) / cell).astype(np.int64)
    cy = np.floor((py - py.min()) / cell).astype(np.int64)
    key = cx * (int(cy.max()) + 1) + cy
    corder = np.argsort(key, kind="stable")
    ukey, cstart, ccount = np.unique(key[corder], return_index=True, return_counts=True)
    cell_max = np.maximum.reduceat(dist[corder], cstart)
    ux, uy = ukey // (int(cy.max()) + 1), ukey % (int(cy.max()) + 1)
    bx0, by0 = px.min() + ux * cell, py.min() + uy * cell
    for s in range(m):
        near = _box_distance(segs.bounds[s], bx0, by0, bx0 + cell, by0 + cell) < cell_max
        if not near.any():
            continue
        idx = corder[_ranges(cstart[near], ccount[near])]
        lb = _box_distance(segs.bounds[s], px[idx], py[idx], px[idx], py[idx])
        idx = idx[(lb < dist[idx]) & (s0[idx] != s)]
        if idx.size:
            # 3. exact distance for the candidates.
            dist[idx] = np.minimum(dist[idx], segs.distance(s, px[idx], py[idx]))
    return dist


def band_index(distance: np.ndarray, edges: Sequence[float] = SURVEY_BAND_EDGES_M) -> np.ndarray:
    """Band of each distance: 0 for d <= edges[0], k for edges[k-1] < d <= edges[k], len(edges)
    beyond the last edge.

    Examples
    --------
    >>> band_index(np.array([0.0, 500.0, 500.5, 2500.0])).tolist()
    [0, 0, 1, 3]
    """
    e = _check_edges(edges)
    return np.searchsorted(e, np.asarray(distance, dtype=float), side="left")


def distance_band(
    x: np.ndarray,
    y: np.ndarray,
    scenes: gpd.GeoDataFrame | gpd.GeoSeries,
    edges: Sequence[float] = SURVEY_BAND_EDGES_M,
) -> np.ndarray:
    """Band of each point's distance to the nearest scene, by the one exact zone assignment.

    Same answer as ``band_index(nearest_scene_distance(x, y, scenes), edges)``: band 0 for
    a home inside a scene or within ``edges[0]`` of one, band k for
    ``edges[k-1] < d <= edges[k]``, ``len(edges)`` beyond the last edge. The bands are the
    zones of :class:`~drugscenes.analysis.zones.ZoneIndex` with the edges as rings, so
    "within 500 m" means exactly the same in the survey as in the crime analysis.

    Parameters
    ----------
    x, y : ndarray
        EPSG:3006 coordinates.
    scenes : GeoDataFrame or GeoSeries
        Scene polygons, EPSG:3006.
    edges : sequence of float
        Upper band edges in metres, increasing.

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> sc = gpd.GeoSeries([shapely.box(0, 0, 10, 10)], crs=3006)
    >>> distance_band(np.array([5.0, 600.0]), np.array([5.0, 5.0]), sc).tolist()
    [0, 1]
    """
    e = _check_edges(edges)
    px, py = _validate_points(x, y)
    geoms = _scene_geometries(scenes)
    frame = gpd.GeoDataFrame(
        {"scene_id": np.arange(len(geoms)).astype(str)}, geometry=geoms, crs=CRS_EPSG
    )
    zone = ZoneIndex(frame, e.tolist()).assign(px, py).zone.astype(np.int64)
    return np.maximum(zone - 1, 0)


def _check_edges(edges: Sequence[float]) -> np.ndarray:
    e = np.asarray(list(edges), dtype=float)
    if e.ndim != 1 or e.size == 0 or not np.isfinite(e).all() or (e <= 0).any():
        raise UsageError(f"band edges must be positive numbers of metres, got {list(edges)}")
    if (np.diff(e) <= 0).any():
        raise UsageError(f"band edges must increase, got {list(edges)}")
    return e


def band_labels(
    edges: Sequence[float] = SURVEY_BAND_EDGES_M,
) -> list[tuple[str, float, float | None]]:
    """(label, min_m, max_m) of each band; ``max_m`` is None for the open last band.

    Examples
    --------
    >>> band_labels([500, 1000])
    [('0–500 m', 0.0, 500.0), ('500–1000 m', 500.0, 1000.0), ('> 1000 m', 1000.0, None)]
    """
    e = _check_edges(edges)
    lows = [0.0, *e.tolist()]
    out: list[tuple[str, float, float | None]] = [
        (f"{_fmt(lo)}–{_fmt(hi)} m", lo, float(hi))
        for lo, hi in zip(lows, e.tolist(), strict=False)
    ]
    out.append((f"> {_fmt(e[-1])} m", float(e[-1]), None))
    return out


def _fmt(v: float) -> str:
    return f"{v:g}"


# -- estimates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupEstimate:
    """Share feeling unsafe in one group (the region, a band or a municipality).

    Attributes
    ----------
    label : str
        Name of the group ("0–500 m", "Stockholm", "region").
    n : int
        Unweighted respondents who answered, in the group.
    share_unsafe : float or None
        Weighted share feeling unsafe, a fraction in [0, 1]; None when suppressed.
    ci_low, ci_high : float or None
        Confidence interval of the share; None when suppressed or not estimable.
    se : float or None
        Linearised standard error; None when suppressed.
    df : int or None
        Design degrees of freedom of the interval.
    diff_vs_region, diff_ci_low, diff_ci_high : float or None
        Share minus the region's share with its interval (None for the region itself, when
        suppressed or not estimable).
    suppressed : bool
        True when ``n < min_n``: no value of the group is shown anywhere.
    estimable : bool
        False when the interval cannot be computed (``reason`` says why).
    reason : str or None
        Why the group is suppressed or its interval not estimable.
    min_m, max_m : float or None
        Band edges in metres (bands only; ``max_m`` None for the last band).
    code : str or None
        Municipality code (municipalities only).
    """

    label: str
    n: int
    share_unsafe: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    df: int | None
    diff_vs_region: float | None
    diff_ci_low: float | None
    diff_ci_high: float | None
    suppressed: bool
    estimable: bool
    reason: str | None
    min_m: float | None = None
    max_m: float | None = None
    code: str | None = None


@dataclass(frozen=True)
class DistanceTrend:
    """Weighted logistic regression of feeling unsafe on distance to the nearest scene.

    Attributes
    ----------
    odds_ratio_per_km : float or None
        exp(slope): the odds of feeling unsafe multiply by this for each km farther away.
    ci_low, ci_high : float or None
        Its confidence interval (design-based, t with ``df`` degrees of freedom).
    df : int
    n : int
    estimable : bool
    reason : str or None
    """

    odds_ratio_per_km: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    n: int
    estimable: bool
    reason: str | None = None


@dataclass(frozen=True)
class SurveyResult:
    """Perceived safety by distance to the scenes of a round.

    Attributes
    ----------
    round : str
        Label of the mapping round whose scenes give the distances.
    year : int
        Survey year.
    region : GroupEstimate
        All respondents who answered.
    bands : tuple of GroupEstimate
        One per distance band, nearest first.
    municipalities : tuple of GroupEstimate
        One per municipality of the region, by code.
    trend : DistanceTrend
        Odds ratio per km.
    method : str
        Interval method ("beta" = Korn-Graubard, "logit", "wald").
    level : float
        Confidence level.
    min_n : int
        Suppression threshold.
    n_missing_answer : int
        Respondents whose answer is missing ("vet ej"); left out of every estimate.
    design : dict
        ``strata``, ``psus``, ``df`` of the design (counts only).
    notes : tuple of str
        Statements a reader of the figures needs.
    disclosure : dict
        How the figures were protected before publication (set by the survey service:
        ``protected``, requested and published band edges, grid, rounding).
    """

    round: str
    year: int
    region: GroupEstimate
    bands: tuple[GroupEstimate, ...]
    municipalities: tuple[GroupEstimate, ...]
    trend: DistanceTrend
    method: str
    level: float
    min_n: int
    n_missing_answer: int
    design: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    disclosure: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: ``round``, ``year``, ``region`` {``n``, ``share_unsafe``, ``ci_low``,
        ``ci_high``, ...}, ``bands`` [{``label``, ``min_m``, ``max_m``, ``n``, ``share_unsafe``,
        ``ci_low``, ``ci_high``, ``suppressed``, ...}], ``municipalities``, ``trend``, ...
        Shares are fractions in [0, 1]."""

        def group(g: GroupEstimate, kind: str) -> dict[str, object]:
            d = asdict(g)
            if kind != "band":
                d.pop("min_m")
                d.pop("max_m")
            if kind != "municipality":
                d.pop("code")
            return d

        return {
            "round": self.round,
            "year": self.year,
            "method": self.method,
            "level": self.level,
            "min_n": self.min_n,
            "n_missing_answer": self.n_missing_answer,
            "design": dict(self.design),
            "region": group(self.region, "region"),
            "bands": [group(b, "band") for b in self.bands],
            "municipalities": [group(m, "municipality") for m in self.municipalities],
            "trend": asdict(self.trend),
            "notes": list(self.notes),
            "disclosure": dict(self.disclosure),
        }


RESPONDENT_COLUMNS = ["respondent_id", "x", "y", "weight", "unsafe", "stratum", "psu"]


def _check_respondents(respondents: pd.DataFrame) -> None:
    if not isinstance(respondents, pd.DataFrame):
        raise UsageError(f"'respondents' should be a DataFrame, got {type(respondents)}")
    missing = [c for c in ("x", "y", "weight", "unsafe") if c not in respondents.columns]
    if missing:
        raise UsageError(f"'respondents' lacks column(s) {', '.join(missing)}")
    if len(respondents) == 0:
        raise DataError("there are no respondents for this year")
    unsafe = pd.to_numeric(respondents["unsafe"], errors="coerce")
    bad = respondents["unsafe"].notna() & ~unsafe.isin([0, 1])
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} respondent(s) have an 'unsafe' value other than 0, 1 or missing",
            [Problem("unsafe-invalid", "unsafe must be 0, 1 or missing", field="unsafe")],
        )


def _optional_labels(respondents: pd.DataFrame, column: str) -> pd.Series | None:
    if column not in respondents.columns or respondents[column].isna().all():
        return None
    return respondents[column]


def municipality_of(x: np.ndarray, y: np.ndarray, municipalities: gpd.GeoDataFrame) -> np.ndarray:
    """Code of the municipality containing each point (None outside all), vectorised per
    municipality; a point on a shared border goes to the first municipality in frame order.

    Examples
    --------
    >>> mun = gpd.GeoDataFrame({"code": ["0180"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=3006)
    >>> municipality_of(np.array([1.0, 20.0]), np.array([1.0, 1.0]), mun).tolist()
    ['0180', None]
    """
    index = municipality_index(x, y, municipalities)
    out = np.full(len(x), None, dtype=object)
    codes = np.asarray(municipalities["code"], dtype=object)
    inside = index >= 0
    out[inside] = codes[index[inside]]
    return out


def municipality_index(
    x: np.ndarray, y: np.ndarray, municipalities: gpd.GeoDataFrame
) -> np.ndarray:
    """Row of the municipality containing each point (-1 outside all), as
    :func:`municipality_of` (a point on a shared border goes to the first in frame order):
    for millions of points, where an array of codes would be hundreds of MB.

    Examples
    --------
    >>> mun = gpd.GeoDataFrame({"code": ["0180"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=3006)
    >>> municipality_index(np.array([1.0, 20.0]), np.array([1.0, 1.0]), mun).tolist()
    [0, -1]
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = np.full(len(x), -1, dtype=np.int32)
    free = np.ones(len(x), dtype=bool)
    for k, geom in enumerate(municipalities.geometry):
        x0, y0, x1, y1 = shapely.bounds(geom)
        cand = np.flatnonzero(free & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        hit = cand[shapely.intersects_xy(geom, x[cand], y[cand])]  # border: first wins
        out[hit] = k
        free[hit] = False
    return out


def survey_estimates(
    respondents: pd.DataFrame,
    scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame | None = None,
    *,
    round_label: str,
    year: int,
    band_edges_m: Sequence[float] = SURVEY_BAND_EDGES_M,
    min_n: int = SURVEY_MIN_N,
    method: IntervalMethod = DEFAULT_METHOD,
    level: float = 0.95,
    distance: np.ndarray | None = None,
) -> SurveyResult:
    """Weighted share feeling unsafe by distance band, for the region and per municipality.

    Parameters
    ----------
    respondents : DataFrame
        Columns ``x``, ``y`` (EPSG:3006), ``weight`` (> 0), ``unsafe`` (0/1, missing for "vet ej"),
        optional ``stratum``, ``psu`` (design) and ``municipality_code``; as
        :func:`drugscenes.io.survey.read_survey` returns and the store keeps.
    scenes : GeoDataFrame
        The round's scene polygons, EPSG:3006.
    municipalities : GeoDataFrame or None
        ``code``, ``name``, ``geometry``; gives the per-municipality estimates. Respondents without
        a ``municipality_code`` are placed by point in polygon.
    round_label : str
        Label of the round (for the result).
    year : int
        Survey year.
    band_edges_m : sequence of float
        Upper band edges in metres (default 500, 1000, 2000); bands include their upper edge.
    min_n : int
        Groups with fewer respondents who answered are suppressed (default 30).
    method : {"beta", "logit", "wald"}
        Interval for shares (default Korn-Graubard).
    level : float
        Confidence level (default 0.95).
    distance : ndarray, optional
        :func:`nearest_scene_distance` of the respondents to ``scenes``, when the caller has
        it already (a million respondents: minutes); computed otherwise.

    Returns
    -------
    SurveyResult

    Notes
    -----
    The design is ``svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE)``
    (:mod:`drugscenes.stats.survey_design`); bands and municipalities are domains of it, and
    respondents without an answer are left out as a domain too (R: ``na.rm=TRUE``). Differences
    against the region use the linearised covariance of the two estimates. The trend is a
    design-based logistic regression of ``unsafe`` on distance in km (Binder 1983; R ``svyglm``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sc = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 50, 50)], crs=3006)
    >>> df = pd.DataFrame({"x": rng.uniform(0, 4000, 400), "y": rng.uniform(0, 4000, 400),
    ...                    "weight": 1.0, "unsafe": rng.integers(0, 2, 400)})
    >>> r = survey_estimates(df, sc, round_label="2023", year=2023)
    >>> r.region.n, [b.suppressed for b in r.bands]  # two small bands, and one to protect them
    (400, [True, True, True, False])
    """
    _check_respondents(respondents)
    if method not in INTERVAL_METHODS:
        raise UsageError(f"'method' must be one of {', '.join(INTERVAL_METHODS)}, got {method!r}")
    if not isinstance(min_n, int | np.integer) or min_n < 1:
        raise UsageError(f"'min_n' must be a whole number >= 1, got {min_n!r}")
    edges = _check_edges(band_edges_m) if len(band_edges_m) else None
    x, y = _validate_points(respondents["x"].to_numpy(), respondents["y"].to_numpy())
    unsafe = pd.to_numeric(respondents["unsafe"], errors="coerce").to_numpy(dtype=float)
    answered = np.isfinite(unsafe)
    design = SurveyDesign.from_arrays(
        respondents["weight"].to_numpy(dtype=float),
        _optional_labels(respondents, "stratum"),
        _optional_labels(respondents, "psu"),
    )
    if distance is None or len(distance) != len(x):
        distance = nearest_scene_distance(x, y, scenes)  # for the trend
    band = distance_band(x, y, scenes, edges) if edges is not None else None

    def estimate(
        label: str, dom: np.ndarray, *, is_region: bool = False, **extra: object
    ) -> GroupEstimate:
        n = int(dom.sum())
        if n < min_n:
            return GroupEstimate(
                label,
                n,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                True,
                False,
                f"suppressed: fewer than {min_n} respondents",
                **extra,  # type: ignore[arg-type]
            )
        p = proportion_ci(design, unsafe, dom, method=method, level=level)
        diff_v = diff_lo = diff_hi = None
        if not is_region:
            d = domain_difference(design, unsafe, dom, reference=answered, level=level)
            diff_v = d.estimate
            if d.estimable:
                diff_lo, diff_hi = d.ci_low, d.ci_high
        return GroupEstimate(
            label,
            n,
            p.estimate,
            p.ci_low,
            p.ci_high,
            p.se,
            p.df,
            diff_v,
            diff_lo,
            diff_hi,
            False,
            p.estimable,
            p.reason,
            **extra,  # type: ignore[arg-type]
        )

    region = estimate("region", answered, is_region=True)
    bands = (
        tuple(
            estimate(label, answered & (band == k), min_m=lo, max_m=hi)
            for k, (label, lo, hi) in enumerate(band_labels(edges))
        )
        if edges is not None and band is not None
        else ()
    )
    areas: list[GroupEstimate] = []
    if municipalities is not None:
        codes = (
            respondents["municipality_code"].to_numpy(dtype=object)
            if "municipality_code" in respondents.columns
            else np.full(len(respondents), None, dtype=object)
        )
        unknown = pd.isna(codes)
        if unknown.any():
            codes = codes.copy()
            codes[unknown] = municipality_of(x[unknown], y[unknown], municipalities)
        for code, name in zip(municipalities["code"], municipalities["name"], strict=True):
            areas.append(estimate(str(name), answered & (codes == code), code=str(code)))
    if not region.suppressed:
        bands = suppress_groups(bands, min_n)
        areas = list(suppress_groups(tuple(areas), min_n))
    trend = _trend(design, unsafe, distance, answered, min_n, level)
    notes = (
        "Shares are weighted fractions of respondents who answered; 'vet ej' answers are left out.",
        "Distance is from the home to the nearest scene of the round, 0 inside a scene; "
        "a band includes its upper edge.",
        f"Groups with fewer than {min_n} respondents are suppressed, and further groups, "
        f"smallest first, until the suppressed groups are at least two and hold at least "
        f"{min_n} respondents together (complementary suppression).",
    )
    return SurveyResult(
        round=str(round_label),
        year=int(year),
        region=region,
        bands=bands,
        municipalities=tuple(areas),
        trend=trend,
        method=method,
        level=level,
        min_n=int(min_n),
        n_missing_answer=int((~answered).sum()),
        design={"strata": design.n_strata, "psus": design.n_psu, "df": design.df(answered)},
        notes=notes,
    )


def _trend(
    design: SurveyDesign,
    unsafe: np.ndarray,
    distance: np.ndarray,
    answered: np.ndarray,
    min_n: int,
    level: float,
) -> DistanceTrend:
    n = int(answered.sum())
    if n < min_n:
        return DistanceTrend(None, None, None, 0, n, False, f"fewer than {min_n} respondents")
    fit = logistic_regression(
        design, unsafe, distance / 1000.0, ["distance_km"], domain=answered, level=level
    )
    if not fit.estimable:
        return DistanceTrend(None, None, None, fit.df, n, False, fit.reason)
    return DistanceTrend(
        float(np.exp(fit.coef[1])),
        float(np.exp(fit.ci_low[1])),
        float(np.exp(fit.ci_high[1])),
        fit.df,
        n,
        True,
    )
