"""Change between two mapping rounds: matching, fate of each scene, displacement, totals.

The analysis is a set of pure functions over the scenes of two rounds (GeoDataFrames in
EPSG:3006 with the column conventions of :mod:`drugscenes.store.base`). The public verb is
:func:`compare_rounds`; :func:`match_rounds` exposes the links it is built on (also used by
:mod:`drugscenes.analysis.history`).

How scenes are matched
----------------------
Scenes of the earlier round ("from") and the later round ("to") are the two sides of a
bipartite graph. An edge (a *link*) joins a from-scene and a to-scene when

1. **id link** — both carry the same ``scene_id`` and both ids were given in the source file
   (``id_given`` true on both sides; generated ids never match);
2. **overlap link** — their intersection covers at least ``min_overlap`` (default 10 %) of
   the smaller of the two polygons. Measured against the smaller polygon, a scene swallowed by
   a merger, or a part split off a larger one, is always linked; a few metres of redrawing
   change the share by a few per cent only;
3. **proximity link** — for outlines redrawn so that they no longer overlap enough: a from-scene
   and a to-scene that have no id or overlap link at all, lie within ``tolerance_m`` (default
   25 m) of each other (touching, overlapping less than ``min_overlap``, or a small gap) and
   are each other's nearest such candidate. This fallback only ever pairs scenes 1:1, so it
   never invents a merge or a split; ``min_overlap`` therefore only decides between scenes
   that have other candidates.

Each connected component of the graph is one *fate*:

==========  ==========  ===============  ==============================================
from side   to side     status           counts in the reconciliation as
==========  ==========  ===============  ==============================================
1           0           ``ceased``       ceased
0           1           ``new``          new
1           1           ``persisting``   (nothing; grown / shrunk / unchanged by area)
n ≥ 2       1           ``merged``       n − 1 scenes lost by merging
1           m ≥ 2       ``split``        m − 1 scenes gained by splitting
n ≥ 2       m ≥ 2       ``restructured`` n − m lost by merging if n > m, m − n gained by
                                         splitting if m > n, nothing if n = m
==========  ==========  ===============  ==============================================

so that, exactly, ``n_to = n_from − ceased + new − lost_by_merging + gained_by_splitting``
(summing ``m − n`` over all components). Merged, split and restructured scenes are neither
ceased nor new.

Inconsistencies between ids and geometry are reported, not silently resolved:
``same-id-apart`` when two scenes share a given id but lie more than ``tolerance_m`` apart
(they are still linked by their id unless ``link_distant_ids`` is false), and
``different-id-same-place`` when an overlap or proximity link joins two scenes with different
given ids and neither of them has an id link (a renamed scene; merges and splits are not
reported, since new ids are part of their fate).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from drugscenes import CRS_EPSG
from drugscenes.analysis.records import json_value, records
from drugscenes.errors import DataError, Problem, UsageError

__all__ = [
    "STATUSES",
    "Inconsistency",
    "MatchParameters",
    "RoundComparison",
    "RoundMatch",
    "compare_rounds",
    "match_rounds",
    "percent_change",
]

STATUSES = ("persisting", "merged", "split", "restructured", "ceased", "new")
"""Fates of a component, in the order tables list them."""

_STATUS_ORDER = {s: k for k, s in enumerate(STATUSES)}
_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


@dataclass(frozen=True)
class MatchParameters:
    """Thresholds of the matching, with their defaults.

    Attributes
    ----------
    min_overlap : float
        Share (0–1] of the smaller polygon that the intersection must cover for an overlap
        link. Default 0.10.
    tolerance_m : float
        Distance in metres within which two outlines count as the same place when nothing
        else links them (proximity link), and beyond which two scenes with the same id are
        reported as ``same-id-apart``. Default 25 m.
    size_tolerance : float
        Relative area change up to which a persisting scene is ``unchanged``:
        ``|area_to − area_from| ≤ size_tolerance × area_from``. Default 0.10 (hand-redrawn
        outlines of the same place easily differ by a few per cent).
    displacement_m : float
        A new scene within this distance of a ceased or shrunk scene of the earlier round
        is flagged ``near_previous`` (possible displacement). Default 1000 m.
    link_distant_ids : bool
        Link scenes with the same given id even when they lie more than ``tolerance_m``
        apart (reported either way). Default True: the mappers kept the id, so they consider
        it the same scene.
    """

    min_overlap: float = 0.10
    tolerance_m: float = 25.0
    size_tolerance: float = 0.10
    displacement_m: float = 1000.0
    link_distant_ids: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.min_overlap <= 1.0:
            raise UsageError(f"min_overlap must be in (0, 1], got {self.min_overlap}")
        if not self.tolerance_m >= 0.0:
            raise UsageError(f"tolerance_m must be >= 0 metres, got {self.tolerance_m}")
        if not self.size_tolerance >= 0.0:
            raise UsageError(f"size_tolerance must be >= 0, got {self.size_tolerance}")
        if not self.displacement_m >= 0.0:
            raise UsageError(f"displacement_m must be >= 0 metres, got {self.displacement_m}")


@dataclass(frozen=True)
class Inconsistency:
    """A disagreement between ids and geometry found while matching.

    Attributes
    ----------
    kind : {"same-id-apart", "different-id-same-place"}
        What disagrees.
    from_id, to_id : str
        The scene ids in the earlier and the later round.
    distance_m : float
        Distance between the two outlines (0 when they overlap).
    overlap_share : float
        Intersection area over the smaller polygon's area.
    linked : bool
        Whether the pair was linked despite the disagreement.
    message : str
        For a person.
    """

    kind: str
    from_id: str
    to_id: str
    distance_m: float
    overlap_share: float
    linked: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Round:
    """A validated round as arrays (positions are the rows of the input frame)."""

    geoms: np.ndarray
    ids: np.ndarray
    given: np.ndarray
    area: np.ndarray
    codes: np.ndarray

    @property
    def n(self) -> int:
        return len(self.geoms)


@dataclass(frozen=True)
class RoundMatch:
    """The links between two rounds.

    Attributes
    ----------
    from_index, to_index : ndarray of int
        Row positions of each linked pair in the earlier and the later frame.
    kind : ndarray of str
        ``"id"``, ``"overlap"`` or ``"proximity"`` (an id link that also overlaps is ``"id"``).
    overlap_share : ndarray of float
        Intersection area over the smaller polygon's area.
    distance_m : ndarray of float
        Distance between the outlines.
    inconsistencies : tuple of Inconsistency
    """

    from_index: np.ndarray
    to_index: np.ndarray
    kind: np.ndarray
    overlap_share: np.ndarray
    distance_m: np.ndarray
    inconsistencies: tuple[Inconsistency, ...]


@dataclass(frozen=True)
class RoundComparison:
    """Change between two mapping rounds (result of :func:`compare_rounds`).

    Counts follow the table in the module docstring; ``grown``, ``shrunk`` and ``unchanged``
    partition ``persisting``; ``new_near_previous`` and ``new_elsewhere`` partition ``new``.
    The identity ``n_to == n_from - ceased + new - lost_by_merging + gained_by_splitting``
    always holds.

    Attributes
    ----------
    from_round, to_round : str
        Labels of the two rounds.
    parameters : MatchParameters
    n_from, n_to : int
        Scenes in each round.
    ceased, new, persisting, merged, split, restructured : int
        Components of each status (``merged``: later scenes made of two or more earlier
        ones; ``split``: earlier scenes that became two or more).
    grown, shrunk, unchanged : int
        Persisting scenes by relative area change.
    lost_by_merging, gained_by_splitting : int
        Terms of the reconciliation identity.
    new_near_previous, new_elsewhere : int
        New scenes within / beyond ``displacement_m`` of a ceased or shrunk earlier scene.
    area_from_m2, area_to_m2 : float
        Sum of the scenes' polygon areas (overlaps within a round counted twice).
    municipalities_from, municipalities_to : int
        Municipalities with at least one scene.
    scenes : DataFrame
        One row per component: ``component``, ``status``, ``from_ids``, ``to_ids`` (sorted
        lists), ``n_from``, ``n_to``, ``area_from_m2`` / ``area_to_m2`` (NaN on the side
        without scenes), ``area_change_m2``, ``area_pct_change``, ``size_change``
        (grown/shrunk/unchanged for persisting, else None), ``displacement``
        (near_previous/elsewhere for new, else None), ``nearest_previous_m`` and
        ``nearest_previous_id`` (nearest ceased or shrunk earlier scene, for new ones),
        ``municipality_code``. Sorted by status (order of :data:`STATUSES`), then first id.
    from_scenes, to_scenes : DataFrame
        One row per input row, in input order (positional index): ``scene_id``,
        ``component``, ``status``, ``size_change``, ``displacement``, ``linked_ids``
        (the other round's ids of the component, ";"-joined).
    by_municipality : DataFrame
        Per municipality code: ``name``, ``n_from``, ``n_to``, ``n_change``,
        ``n_pct_change``, ``area_from_m2``, ``area_to_m2``, ``area_change_m2``,
        ``area_pct_change``, ``ceased``, ``new``. All municipalities given to
        :func:`compare_rounds` are listed, with zeros where there are no scenes.
    inconsistencies : tuple of Inconsistency
    """

    from_round: str
    to_round: str
    parameters: MatchParameters
    n_from: int
    n_to: int
    ceased: int
    new: int
    persisting: int
    merged: int
    split: int
    restructured: int
    grown: int
    shrunk: int
    unchanged: int
    lost_by_merging: int
    gained_by_splitting: int
    new_near_previous: int
    new_elsewhere: int
    area_from_m2: float
    area_to_m2: float
    municipalities_from: int
    municipalities_to: int
    scenes: pd.DataFrame = field(repr=False)
    from_scenes: pd.DataFrame = field(repr=False)
    to_scenes: pd.DataFrame = field(repr=False)
    by_municipality: pd.DataFrame = field(repr=False)
    inconsistencies: tuple[Inconsistency, ...] = ()

    @property
    def n_change(self) -> int:
        return self.n_to - self.n_from

    @property
    def n_pct_change(self) -> float | None:
        return percent_change(self.n_from, self.n_to)

    @property
    def area_change_m2(self) -> float:
        return self.area_to_m2 - self.area_from_m2

    @property
    def area_pct_change(self) -> float | None:
        return percent_change(self.area_from_m2, self.area_to_m2)

    @property
    def municipalities_change(self) -> int:
        return self.municipalities_to - self.municipalities_from

    @property
    def municipalities_pct_change(self) -> float | None:
        """Per cent change of the municipalities with scenes (None from none)."""
        return percent_change(self.municipalities_from, self.municipalities_to)

    @property
    def municipalities_with_scenes(self) -> pd.DataFrame:
        """Rows of ``by_municipality`` with a scene in either round."""
        bym = self.by_municipality
        return bym[(bym["n_from"] > 0) | (bym["n_to"] > 0)]

    def ceased_scenes(self, before: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The earlier round's ceased scenes: rows of ``before``, the frame given to
        :func:`compare_rounds`, whose status is ``ceased``."""
        return before[(self.from_scenes["status"] == "ceased").to_numpy()]

    def scene_fates(self, after: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The later round's scenes with their fate: rows of ``after``, the frame given to
        :func:`compare_rounds`, in its order, with its columns plus

        - ``status``: persisting, merged, split, restructured or new;
        - ``size_change``: grown, shrunk or unchanged (persisting scenes only);
        - ``fate``: ``size_change`` of a grown or shrunk persisting scene, else ``status``;
        - ``displacement``: near_previous or elsewhere (new scenes only);
        - ``from_ids``: the earlier round's ids of its scene(s), ";"-joined;
        - ``area_from_m2``, ``area_to_m2``: areas of the whole fate in each round (a merged
          scene's earlier area is the sum of its predecessors', a split part's the whole
          scene it came from; NaN before a new scene);
        - ``area_pct_change``: per cent change of a persisting scene's area (NaN for the
          other statuses, whose areas are not one scene's);
        - ``nearest_previous_m``: distance of a new scene to the nearest ceased or shrunk
          earlier scene.
        """
        per = self.to_scenes.reset_index(drop=True)
        comp = self.scenes.set_index("component").reindex(per["component"])
        out = after.reset_index(drop=True).copy()
        persisting = (per["status"] == "persisting").to_numpy()
        size = per["size_change"]
        out["status"] = per["status"].to_numpy()
        out["size_change"] = size.to_numpy()
        out["fate"] = size.where(persisting & size.isin(["grown", "shrunk"]), per["status"])
        out["displacement"] = per["displacement"].to_numpy()
        out["from_ids"] = per["linked_ids"].to_numpy()
        for col in ["area_from_m2", "area_to_m2", "nearest_previous_m"]:
            out[col] = comp[col].to_numpy()
        out["area_pct_change"] = comp["area_pct_change"].where(persisting).to_numpy()
        return out

    @property
    def no_new_elsewhere(self) -> bool:
        """True when no new scene lies beyond ``displacement_m`` of a ceased/shrunk one."""
        return self.new_elsewhere == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None; per cent changes are None when undefined)."""
        scalars = [
            "from_round",
            "to_round",
            "n_from",
            "n_to",
            "ceased",
            "new",
            "persisting",
            "merged",
            "split",
            "restructured",
            "grown",
            "shrunk",
            "unchanged",
            "lost_by_merging",
            "gained_by_splitting",
            "new_near_previous",
            "new_elsewhere",
            "area_from_m2",
            "area_to_m2",
            "municipalities_from",
            "municipalities_to",
            "n_change",
            "n_pct_change",
            "area_change_m2",
            "area_pct_change",
            "municipalities_change",
            "no_new_elsewhere",
        ]
        out: dict[str, Any] = {k: json_value(getattr(self, k)) for k in scalars}
        scene_cols = [
            "from_ids",
            "to_ids",
            "status",
            "area_from_m2",
            "area_to_m2",
            "size_change",
            "displacement",
            "nearest_previous_m",
            "nearest_previous_id",
            "municipality_code",
        ]
        out["scenes"] = records(self.scenes, scene_cols)
        bym = self.by_municipality.reset_index()
        out["by_municipality"] = records(bym, list(bym.columns))
        out["inconsistencies"] = [i.to_dict() for i in self.inconsistencies]
        out["parameters"] = asdict(self.parameters)
        return out


def percent_change(before: float, after: float) -> float | None:
    """Per cent change ``100 (after − before) / before``; None when ``before`` is 0.

    A change from nothing has no finite percentage: report the counts instead.

    Examples
    --------
    >>> percent_change(64, 63)
    -1.5625
    >>> percent_change(0, 3) is None
    True
    """
    if before == 0:
        return None
    return 100.0 * (after - before) / before


# -- validation ----------------------------------------------------------------------------


def _prepare(
    frame: Any,
    argument: str,
    municipalities: gpd.GeoDataFrame | None = None,
    *,
    need_codes: bool = True,
) -> _Round:
    """Check a round's scenes and turn them into arrays; raise DataError listing all problems."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise UsageError(f"'{argument}' should be a GeoDataFrame, got {type(frame)}")
    if frame.crs is None or frame.crs.to_epsg() != CRS_EPSG:
        raise DataError(
            f"'{argument}': scenes must be in EPSG:{CRS_EPSG} (SWEREF 99 TM), got "
            f"{frame.crs.to_string() if frame.crs is not None else 'no CRS'}",
            [Problem("crs", f"reproject with .to_crs({CRS_EPSG})", field="geometry")],
        )
    if "scene_id" not in frame.columns:
        raise DataError(
            f"'{argument}' has no 'scene_id' column",
            [Problem("column-missing", "a 'scene_id' column is required", field="scene_id")],
        )
    problems: list[Problem] = []
    geoms = np.asarray(frame.geometry.array, dtype=object)
    id_text = frame["scene_id"].astype("string")
    missing_id = (id_text.isna() | (id_text.str.strip() == "")).fillna(True).to_numpy(dtype=bool)
    ids = id_text.fillna("").to_numpy(dtype=object)
    for row in np.flatnonzero(missing_id):
        problems.append(
            Problem("id-missing", f"{argument}: empty scene_id", row=int(row) + 1, field="scene_id")
        )
    dup = pd.Series(ids).duplicated(keep=False).to_numpy() & ~missing_id
    for row in np.flatnonzero(dup):
        problems.append(
            Problem(
                "id-duplicate",
                f"{argument}: scene_id '{ids[row]}' occurs more than once",
                row=int(row) + 1,
                field="scene_id",
            )
        )
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    type_ok = np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    valid = shapely.is_valid(geoms)
    area = shapely.area(geoms)
    for row in np.flatnonzero(empty):
        problems.append(
            Problem(
                "geometry-empty",
                f"{argument}: scene '{ids[row]}' has no geometry",
                row=int(row) + 1,
                field="geometry",
            )
        )
    for row in np.flatnonzero(~empty & ~type_ok):
        problems.append(
            Problem(
                "geometry-type",
                f"{argument}: scene '{ids[row]}' is a "
                f"{shapely.get_type_id(geoms[row])!r}-type geometry, expected a "
                "polygon",
                row=int(row) + 1,
                field="geometry",
            )
        )
    for row in np.flatnonzero(~empty & type_ok & ~valid):
        problems.append(
            Problem(
                "geometry-invalid",
                f"{argument}: scene '{ids[row]}' is not a "
                f"valid polygon ({shapely.is_valid_reason(geoms[row])})",
                row=int(row) + 1,
                field="geometry",
            )
        )
    for row in np.flatnonzero(~empty & type_ok & valid & ~(area > 0)):
        problems.append(
            Problem(
                "geometry-no-area",
                f"{argument}: scene '{ids[row]}' has zero area",
                row=int(row) + 1,
                field="geometry",
            )
        )
    if problems:
        raise DataError(f"{len(problems)} problem(s) in '{argument}'", problems)

    # Without an id_given column the frame says nothing against its ids: treat them as given.
    if "id_given" in frame.columns:
        given = frame["id_given"].fillna(False).astype(bool).to_numpy()
    else:
        given = np.ones(len(frame), dtype=bool)
    if need_codes:
        codes = _municipality_codes(frame, geoms, argument, municipalities)
    else:
        codes = np.full(len(frame), None, dtype=object)
    return _Round(geoms=geoms, ids=ids, given=given, area=area, codes=codes)


def _municipality_codes(
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    argument: str,
    municipalities: gpd.GeoDataFrame | None,
) -> np.ndarray:
    """The scenes' municipality codes; missing ones are filled from ``municipalities``."""
    if "municipality_code" in frame.columns:
        codes = frame["municipality_code"].astype("string").to_numpy(dtype=object, na_value=None)
    else:
        codes = np.full(len(frame), None, dtype=object)
    todo = np.array([c is None for c in codes], dtype=bool)
    if todo.any() and municipalities is not None and len(municipalities):
        # Assign by the scene's representative point (always inside the polygon).
        points = shapely.point_on_surface(geoms[todo])
        tree = shapely.STRtree(np.asarray(municipalities.geometry.array, dtype=object))
        pt, poly = tree.query(points, predicate="within")
        filled = np.full(int(todo.sum()), None, dtype=object)
        # A point on a shared border may fall in two polygons: take the first by code order.
        order = np.lexsort((poly, pt))
        first = np.unique(pt[order], return_index=True)[1]
        municipal_codes = municipalities["code"].astype(str).to_numpy(dtype=object)
        filled[pt[order][first]] = municipal_codes[poly[order][first]]
        codes[todo] = filled
    if "municipality_code" not in frame.columns and municipalities is None:
        raise DataError(
            f"'{argument}' has no 'municipality_code' column and no municipalities were given "
            "to assign one",
            [
                Problem(
                    "column-missing",
                    "give municipalities or a municipality_code column",
                    field="municipality_code",
                )
            ],
        )
    return codes


# -- matching -------------------------------------------------------------------------------


def match_rounds(
    scenes_from: gpd.GeoDataFrame,
    scenes_to: gpd.GeoDataFrame,
    params: MatchParameters | None = None,
) -> RoundMatch:
    """Link the scenes of two rounds by given id and by geometry.

    Parameters
    ----------
    scenes_from, scenes_to : GeoDataFrame
        Scenes of the earlier and the later round (EPSG:3006; ``scene_id``, optional
        ``id_given``, polygon geometry).
    params : MatchParameters, optional
        Thresholds; the defaults are documented on :class:`MatchParameters`.

    Returns
    -------
    RoundMatch
        The links (row positions) with their kind, overlap share and distance, and the
        inconsistencies found. See the module docstring for the link rules.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> a = gpd.GeoDataFrame({"scene_id": ["x"], "municipality_code": ["0180"]},
    ...                      geometry=[Point(0, 0).buffer(50)], crs=3006)
    >>> b = gpd.GeoDataFrame({"scene_id": ["y"], "municipality_code": ["0180"]},
    ...                      geometry=[Point(5, 0).buffer(50)], crs=3006)
    >>> m = match_rounds(a, b)
    >>> m.kind.tolist(), [i.kind for i in m.inconsistencies]
    (['overlap'], ['different-id-same-place'])
    """
    params = params or MatchParameters()
    f = _prepare(scenes_from, "scenes_from", None, need_codes=False)
    t = _prepare(scenes_to, "scenes_to", None, need_codes=False)
    return _match(f, t, params)


def _match(f: _Round, t: _Round, params: MatchParameters) -> RoundMatch:
    tol = params.tolerance_m
    width = max(t.n, 1)  # pair key = i * width + j

    # Geometric candidates: every pair within the tolerance, from one STRtree query.
    if f.n and t.n:
        gi, gj = shapely.STRtree(t.geoms).query(f.geoms, predicate="dwithin", distance=tol)
    else:
        gi = gj = np.empty(0, dtype=np.int64)
    share = _overlap_share(f, t, gi, gj)
    # Distances only where nothing overlaps (overlapping pairs are 0 m apart).
    gdist = np.zeros(len(gi))
    apart = share == 0
    gdist[apart] = shapely.distance(f.geoms[gi[apart]], t.geoms[gj[apart]])
    overlap = share >= params.min_overlap
    gkey = gi * width + gj

    # Id links: given ids equal on both sides. Pairs outside the candidates are > tol apart.
    left = pd.DataFrame({"i": np.flatnonzero(f.given), "sid": f.ids[f.given]})
    right = pd.DataFrame({"j": np.flatnonzero(t.given), "sid": t.ids[t.given]})
    pairs = left.merge(right, on="sid")
    id_i = pairs["i"].to_numpy(dtype=np.int64)
    id_j = pairs["j"].to_numpy(dtype=np.int64)
    order_g = np.argsort(gkey, kind="stable")
    pos = np.searchsorted(gkey[order_g], id_i * width + id_j)
    pos = np.minimum(pos, max(len(gkey) - 1, 0))
    in_cand = (
        (gkey[order_g][pos] == id_i * width + id_j)
        if len(gkey)
        else np.zeros(len(id_i), dtype=bool)
    )
    id_share = np.zeros(len(id_i))
    id_dist = np.zeros(len(id_i))
    id_share[in_cand] = share[order_g][pos[in_cand]]
    id_dist[in_cand] = gdist[order_g][pos[in_cand]]
    id_apart = ~in_cand
    id_dist[id_apart] = shapely.distance(f.geoms[id_i[id_apart]], t.geoms[id_j[id_apart]])

    kept_id = ~id_apart | params.link_distant_ids
    has_f = np.zeros(f.n, dtype=bool)
    has_t = np.zeros(t.n, dtype=bool)
    has_f[id_i[kept_id]] = True
    has_t[id_j[kept_id]] = True
    has_f[gi[overlap]] = True
    has_t[gj[overlap]] = True

    # Proximity fallback: mutual nearest among pairs whose ends have no other link.
    cand = np.flatnonzero(~overlap & ~has_f[gi] & ~has_t[gj])
    prox = np.zeros(len(cand), dtype=bool)
    if len(cand):
        ci, cj, cd = gi[cand], gj[cand], gdist[cand]
        order = np.lexsort((cj, ci, cd))  # nearest first, ties by position
        best_t = np.full(f.n, -1)
        best_f = np.full(t.n, -1)
        _, first_i = np.unique(ci[order], return_index=True)
        best_t[ci[order][first_i]] = cj[order][first_i]
        _, first_j = np.unique(cj[order], return_index=True)
        best_f[cj[order][first_j]] = ci[order][first_j]
        prox = (best_t[ci] == cj) & (best_f[cj] == ci)
    geo = np.concatenate([np.flatnonzero(overlap), cand[prox]])
    geo_kind = np.where(overlap[geo], "overlap", "proximity").astype(object)
    geo_i, geo_j = gi[geo], gj[geo]

    # Merge id and geometric links; an id link that also qualifies geometrically stays "id".
    geo_new = ~np.isin(gkey[geo], id_i[kept_id] * width + id_j[kept_id])
    from_index = np.concatenate([id_i[kept_id], geo_i[geo_new]])
    to_index = np.concatenate([id_j[kept_id], geo_j[geo_new]])
    kind = np.concatenate([np.full(int(kept_id.sum()), "id", dtype=object), geo_kind[geo_new]])
    shares = np.concatenate([id_share[kept_id], share[geo][geo_new]])
    dists = np.concatenate([id_dist[kept_id], gdist[geo][geo_new]])
    order = np.lexsort((to_index, from_index))

    issues: list[Inconsistency] = []
    for k in np.flatnonzero(id_apart):
        i, j = int(id_i[k]), int(id_j[k])
        issues.append(
            Inconsistency(
                kind="same-id-apart",
                from_id=str(f.ids[i]),
                to_id=str(t.ids[j]),
                distance_m=float(id_dist[k]),
                overlap_share=float(id_share[k]),
                linked=bool(params.link_distant_ids),
                message=(
                    f"scene id '{f.ids[i]}' is in both rounds but the outlines are "
                    f"{id_dist[k]:.0f} m apart"
                    + ("; linked by id" if params.link_distant_ids else "; not linked")
                ),
            )
        )
    id_linked_f = np.zeros(f.n, dtype=bool)
    id_linked_t = np.zeros(t.n, dtype=bool)
    id_linked_f[id_i] = True
    id_linked_t[id_j] = True
    renamed = (
        f.given[geo_i]
        & t.given[geo_j]
        & (f.ids[geo_i] != t.ids[geo_j])
        & ~id_linked_f[geo_i]
        & ~id_linked_t[geo_j]
    )
    for k in np.flatnonzero(renamed):
        i, j = int(geo_i[k]), int(geo_j[k])
        issues.append(
            Inconsistency(
                kind="different-id-same-place",
                from_id=str(f.ids[i]),
                to_id=str(t.ids[j]),
                distance_m=float(gdist[geo][k]),
                overlap_share=float(share[geo][k]),
                linked=True,
                message=(
                    f"scene '{f.ids[i]}' and scene '{t.ids[j]}' mark the same place "
                    f"({geo_kind[k]}) with different ids; linked by geometry"
                ),
            )
        )
    return RoundMatch(
        from_index=from_index[order].astype(np.int64),
        to_index=to_index[order].astype(np.int64),
        kind=kind[order],
        overlap_share=shares[order],
        distance_m=dists[order],
        inconsistencies=tuple(issues),
    )


def _overlap_share(f: _Round, t: _Round, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Intersection area over the smaller polygon's area, for each pair (vectorised)."""
    if len(i) == 0:
        return np.empty(0)
    inter = shapely.area(shapely.intersection(f.geoms[i], t.geoms[j]))
    return inter / np.minimum(f.area[i], t.area[j])


# -- comparison -----------------------------------------------------------------------------


def compare_rounds(
    scenes_from: gpd.GeoDataFrame,
    scenes_to: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame | None = None,
    *,
    from_round: str = "from",
    to_round: str = "to",
    params: MatchParameters | None = None,
) -> RoundComparison:
    """Fate of every scene between two mapping rounds, displacement check and totals.

    Parameters
    ----------
    scenes_from, scenes_to : GeoDataFrame
        Scenes of the earlier and the later round in EPSG:3006: ``scene_id`` (unique per
        round), ``id_given`` (bool; absent means all ids were given), ``municipality_code``
        (filled from ``municipalities`` where missing), polygon geometry. ``area_m2`` is
        ignored: areas are recomputed from the geometry (planar, m²).
    municipalities : GeoDataFrame, optional
        ``code``, ``name``, ``geometry``: listed in ``by_municipality`` even without scenes,
        and used to assign missing municipality codes.
    from_round, to_round : str
        Labels used in the result.
    params : MatchParameters, optional
        Matching thresholds, size tolerance and displacement distance.

    Returns
    -------
    RoundComparison

    Notes
    -----
    Matching and counting rules are in the module docstring. Displacement follows the
    mapping practice of flagging a new scene that appears near one that was worked away
    (Swedish *förflyttning*): every ``new`` scene whose outline lies within
    ``displacement_m`` of a ``ceased`` scene or of the earlier outline of a ``shrunk``
    persisting scene is ``near_previous``; the other new scenes are ``elsewhere``. This is
    a spatial flag, not a causal test (for crime displacement see the Weighted
    Displacement Quotient, Bowers & Johnson 2003).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> def rnd(ids, xs, r):
    ...     return gpd.GeoDataFrame({"scene_id": ids, "municipality_code": "0180"},
    ...                             geometry=[Point(x, 0).buffer(r) for x in xs], crs=3006)
    >>> c = compare_rounds(rnd(["a", "b"], [0, 5000], 50), rnd(["a", "c"], [0, 5600], 40))
    >>> c.n_from, c.n_to, c.persisting, c.shrunk, c.ceased, c.new, c.new_near_previous
    (2, 2, 1, 1, 1, 1, 1)
    """
    params = params or MatchParameters()
    if municipalities is not None and not isinstance(municipalities, gpd.GeoDataFrame):
        raise UsageError(f"'municipalities' should be a GeoDataFrame, got {type(municipalities)}")
    if municipalities is not None and not {"code", "geometry"} <= set(municipalities.columns):
        raise UsageError("'municipalities' needs the columns 'code' and 'geometry'")
    f = _prepare(scenes_from, "scenes_from", municipalities)
    t = _prepare(scenes_to, "scenes_to", municipalities)
    match = _match(f, t, params)

    # Components of the bipartite link graph: from nodes 0..n-1, to nodes n..n+m-1.
    n, m = f.n, t.n
    if n + m:
        graph = coo_matrix(
            (np.ones(len(match.from_index)), (match.from_index, n + match.to_index)),
            shape=(n + m, n + m),
        )
        n_comp, labels = connected_components(graph, directed=False)
    else:
        n_comp, labels = 0, np.empty(0, dtype=np.int64)
    lab_f, lab_t = labels[:n], labels[n:]
    nf = np.bincount(lab_f, minlength=n_comp)
    nt = np.bincount(lab_t, minlength=n_comp)
    status = np.select(
        [
            (nf == 1) & (nt == 1),
            (nf >= 2) & (nt == 1),
            (nf == 1) & (nt >= 2),
            (nf >= 2) & (nt >= 2),
            nt == 0,
        ],
        ["persisting", "merged", "split", "restructured", "ceased"],
        default="new",
    ).astype(object)
    area_f = np.bincount(lab_f, weights=f.area, minlength=n_comp)
    area_t = np.bincount(lab_t, weights=t.area, minlength=n_comp)
    both = (nf > 0) & (nt > 0)

    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(nf > 0, (area_t - area_f) / area_f, np.nan)
    persisting = status == "persisting"
    size_change = np.full(n_comp, None, dtype=object)
    tol = params.size_tolerance
    size_change[persisting & (np.abs(rel) <= tol)] = "unchanged"
    size_change[persisting & (rel > tol)] = "grown"
    size_change[persisting & (rel < -tol)] = "shrunk"

    # Displacement: distance from each new scene to the nearest ceased or shrunk earlier one.
    is_new = status == "new"
    source = np.isin(lab_f, np.flatnonzero((status == "ceased") | (size_change == "shrunk")))
    near_m = np.full(n_comp, np.nan)
    near_id = np.full(n_comp, None, dtype=object)
    new_pos = np.flatnonzero(is_new[lab_t])  # to-rows that are new scenes
    if len(new_pos) and source.any():
        src_pos = np.flatnonzero(source)
        (qi, si), dist = shapely.STRtree(f.geoms[src_pos]).query_nearest(
            t.geoms[new_pos], return_distance=True, all_matches=False
        )
        near_m[lab_t[new_pos[qi]]] = dist
        near_id[lab_t[new_pos[qi]]] = f.ids[src_pos[si]]
    displacement = np.full(n_comp, None, dtype=object)
    near = is_new & (near_m <= params.displacement_m)
    displacement[near] = "near_previous"
    displacement[is_new & ~near] = "elsewhere"

    # Ids and municipality per component (sorted lists; grouping, no geometry loop).
    from_ids = _ids_per_component(lab_f, f.ids, n_comp)
    to_ids = _ids_per_component(lab_t, t.ids, n_comp)
    comp_code = _first_code(lab_t, t.codes, n_comp)
    fallback = _first_code(lab_f, f.codes, n_comp)
    comp_code = np.where(pd.isna(comp_code), fallback, comp_code)

    scenes = pd.DataFrame(
        {
            "status": status,
            "from_ids": from_ids,
            "to_ids": to_ids,
            "n_from": nf,
            "n_to": nt,
            "area_from_m2": np.where(nf > 0, area_f, np.nan),
            "area_to_m2": np.where(nt > 0, area_t, np.nan),
            "area_change_m2": np.where(both, area_t - area_f, np.nan),
            "area_pct_change": np.where(both, 100.0 * rel, np.nan),
            # object dtype keeps None for "not applicable" (pandas would turn it into NaN)
            "size_change": pd.Series(size_change, dtype=object),
            "displacement": pd.Series(displacement, dtype=object),
            "nearest_previous_m": near_m,
            "nearest_previous_id": pd.Series(near_id, dtype=object),
            "municipality_code": pd.Series(comp_code, dtype=object),
        }
    )
    first_id = [(a[0] if a else b[0]) for a, b in zip(from_ids, to_ids, strict=True)]
    sort_key = pd.DataFrame({"s": [_STATUS_ORDER[s] for s in status], "id": first_id}).sort_values(
        ["s", "id"], kind="stable"
    )
    new_label = np.empty(n_comp, dtype=np.int64)
    new_label[sort_key.index.to_numpy()] = np.arange(n_comp)
    scenes = scenes.loc[sort_key.index].reset_index(drop=True)
    scenes.insert(0, "component", np.arange(n_comp))

    from_scenes = _per_scene(f.ids, lab_f, new_label, status, size_change, displacement, to_ids)
    to_scenes = _per_scene(t.ids, lab_t, new_label, status, size_change, displacement, from_ids)

    nfc = pd.Series(status).value_counts()
    lost = int(np.sum(np.where((nt >= 1) & (nf > nt), nf - nt, 0)))
    gained = int(np.sum(np.where((nf >= 1) & (nt > nf), nt - nf, 0)))
    by_muni = _by_municipality(f, t, lab_f, lab_t, status, municipalities)
    return RoundComparison(
        from_round=str(from_round),
        to_round=str(to_round),
        parameters=params,
        n_from=n,
        n_to=m,
        ceased=int(nfc.get("ceased", 0)),
        new=int(nfc.get("new", 0)),
        persisting=int(nfc.get("persisting", 0)),
        merged=int(nfc.get("merged", 0)),
        split=int(nfc.get("split", 0)),
        restructured=int(nfc.get("restructured", 0)),
        grown=int(np.sum(size_change == "grown")),
        shrunk=int(np.sum(size_change == "shrunk")),
        unchanged=int(np.sum(size_change == "unchanged")),
        lost_by_merging=lost,
        gained_by_splitting=gained,
        new_near_previous=int(np.sum(displacement == "near_previous")),
        new_elsewhere=int(np.sum(displacement == "elsewhere")),
        area_from_m2=float(f.area.sum()),
        area_to_m2=float(t.area.sum()),
        municipalities_from=_n_codes(f.codes),
        municipalities_to=_n_codes(t.codes),
        scenes=scenes,
        from_scenes=from_scenes,
        to_scenes=to_scenes,
        by_municipality=by_muni,
        inconsistencies=_explained_away(match.inconsistencies, f, t, lab_f, lab_t, status),
    )


def _explained_away(
    issues: tuple[Inconsistency, ...],
    f: _Round,
    t: _Round,
    lab_f: np.ndarray,
    lab_t: np.ndarray,
    status: np.ndarray,
) -> tuple[Inconsistency, ...]:
    """Drop ``different-id-same-place`` where a merge or split explains the new id.

    Scenes that merge or split usually get new ids; that is the fate itself, not a
    disagreement between ids and geometry. A 1:1 pair with different ids (a renamed
    scene) is still reported.
    """
    comp_f = dict(zip(f.ids.tolist(), lab_f.tolist(), strict=True))
    comp_t = dict(zip(t.ids.tolist(), lab_t.tolist(), strict=True))
    kept = []
    for issue in issues:
        if issue.kind == "different-id-same-place":
            comp = comp_f.get(issue.from_id, comp_t.get(issue.to_id))
            if comp is not None and status[comp] in ("merged", "split", "restructured"):
                continue
        kept.append(issue)
    return tuple(kept)


def _ids_per_component(labels: np.ndarray, ids: np.ndarray, n_comp: int) -> list[list[str]]:
    """Sorted ids of each component's scenes on one side (numpy sort and split, no groupby)."""
    out: list[list[str]] = [[] for _ in range(n_comp)]
    if len(labels):
        text = ids.astype(str)
        order = np.lexsort((text, labels))
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for part in np.split(order, bounds):
            out[int(labels[part[0]])] = text[part].tolist()
    return out


def _first_code(labels: np.ndarray, codes: np.ndarray, n_comp: int) -> np.ndarray:
    """The smallest municipality code among a component's scenes on one side (None if none)."""
    out = np.full(n_comp, None, dtype=object)
    ok = np.array([c is not None for c in codes], dtype=bool)
    if ok.any():
        lab, text = labels[ok], codes[ok].astype(str)
        order = np.lexsort((text, lab))
        first = np.concatenate([[0], np.flatnonzero(np.diff(lab[order])) + 1])
        out[lab[order][first]] = text[order][first]
    return out


def _per_scene(
    ids: np.ndarray,
    labels: np.ndarray,
    new_label: np.ndarray,
    status: np.ndarray,
    size_change: np.ndarray,
    displacement: np.ndarray,
    other_ids: list[list[str]],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scene_id": pd.Series(ids, dtype=object),
            "component": new_label[labels] if len(labels) else np.empty(0, dtype=np.int64),
            "status": status[labels],
            "size_change": pd.Series(size_change[labels], dtype=object),
            "displacement": pd.Series(displacement[labels], dtype=object),
            "linked_ids": [";".join(other_ids[c]) for c in labels],
        }
    )


def _n_codes(codes: np.ndarray) -> int:
    return int(pd.Series(codes, dtype=object).dropna().nunique())


def _by_municipality(
    f: _Round,
    t: _Round,
    lab_f: np.ndarray,
    lab_t: np.ndarray,
    status: np.ndarray,
    municipalities: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    def side(r: _Round, labels: np.ndarray, which: str, fate: str) -> pd.DataFrame:
        df = pd.DataFrame(
            {
                "code": pd.Series(r.codes, dtype=object),
                "area": r.area,
                "fate": status[labels] == fate,
            }
        )
        g = df.dropna(subset=["code"]).groupby("code")
        return pd.DataFrame(
            {f"n_{which}": g.size(), f"area_{which}_m2": g["area"].sum(), fate: g["fate"].sum()}
        )

    table = side(f, lab_f, "from", "ceased").join(side(t, lab_t, "to", "new"), how="outer")
    if municipalities is not None:
        names = municipalities.set_index(municipalities["code"].astype(str))
        table = table.reindex(table.index.union(names.index))
        table.insert(0, "name", names["name"].reindex(table.index) if "name" in names else None)
    else:
        table.insert(0, "name", None)
    for col in ["n_from", "n_to", "ceased", "new"]:
        table[col] = table[col].fillna(0).astype(np.int64)
    for col in ["area_from_m2", "area_to_m2"]:
        table[col] = table[col].fillna(0.0).astype(float)
    table["n_change"] = table["n_to"] - table["n_from"]
    table["area_change_m2"] = table["area_to_m2"] - table["area_from_m2"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["n_pct_change"] = np.where(
            table["n_from"] > 0, 100.0 * table["n_change"] / table["n_from"], np.nan
        )
        table["area_pct_change"] = np.where(
            table["area_from_m2"] > 0,
            100.0 * table["area_change_m2"] / table["area_from_m2"],
            np.nan,
        )
    table.index.name = "code"
    cols = [
        "name",
        "n_from",
        "n_to",
        "n_change",
        "n_pct_change",
        "area_from_m2",
        "area_to_m2",
        "area_change_m2",
        "area_pct_change",
        "ceased",
        "new",
    ]
    return table[cols].sort_index()
