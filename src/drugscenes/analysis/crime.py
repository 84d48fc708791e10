"""Crime at and around scenes: concentration, rate ratios, per-scene counts, WDQ.

All functions are pure: incidents (the clean frame of
:mod:`drugscenes.io.incidents`: ``time``, ``category``, ``x``, ``y``,
``police_activity``) and scenes/municipalities as GeoDataFrames in EPSG:3006 go in,
typed results with ``to_dict()`` come out.

Categories that measure police activity (drug offences: more patrols record more
drug crime) are computed like the others but flagged (``police_activity``) and
carried with :data:`POLICE_ACTIVITY_NOTE` in every result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from drugscenes.analysis.zones import (
    DEFAULT_RING_M,
    ZoneIndex,
    check_rings,
    zone_areas,
    zone_names,
)
from drugscenes.errors import UsageError
from drugscenes.stats.poisson import rate_ratio
from drugscenes.times import to_utc

POLICE_ACTIVITY_NOTE = (
    "Drug offences are mostly recorded when the police look for them: their counts "
    "measure police activity at a place as much as drug crime, and are not comparable "
    "with reported crimes such as violence."
)
SHOOTING = "shooting"


def check_incidents(incidents: pd.DataFrame) -> None:
    """Refuse a frame that is not an incident table (``time``, ``category``, ``x``, ``y``)."""
    if not isinstance(incidents, pd.DataFrame):
        raise UsageError(f"incidents should be a DataFrame, got {type(incidents)}")
    missing = {"time", "category", "x", "y"} - set(incidents.columns)
    if missing:
        raise UsageError(f"incidents lack columns {sorted(missing)}")


def in_period(
    incidents: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> pd.DataFrame:
    """Rows with ``start <= time < end`` (naive bounds are UTC)."""
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"period end ({e.date()}) must be after its start ({s.date()})")
    t = pd.to_datetime(incidents["time"], utc=True)
    return incidents[(t >= s) & (t < e)]


@dataclass(frozen=True)
class ZoneStats:
    """Counts in one zone. ``shares[c]`` is category c's share of the zone's incidents."""

    zone: str
    area_m2: float
    counts: dict[str, int]
    shares: dict[str, float | None]
    density_per_km2: dict[str, float]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "area_m2": self.area_m2,
            "counts": self.counts,
            "shares": self.shares,
            "density_per_km2": self.density_per_km2,
            "total": self.total,
        }


@dataclass(frozen=True)
class Concentration:
    """Share of the region's incidents of a category in a zone against its area share.

    ``ratio = share_of_incidents / share_of_area`` (a location quotient: 1 means no
    concentration).
    """

    category: str
    zone: str
    share_of_incidents: float | None
    share_of_area: float
    ratio: float | None
    police_activity: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RateRatioRow:
    """Incident rate per km² in a zone against the rest of the region (exact Poisson)."""

    category: str
    zone: str
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    count: int
    count_ref: int
    police_activity: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ShareDifference:
    """Category share of a zone's incidents minus that of the rest.

    ``p_value``: pooled two-proportion z-test (statsmodels ``proportions_ztest``,
    equal to Pearson's chi-squared test of the 2x2 table without continuity
    correction); ``ci_low``/``ci_high``: Newcombe's hybrid score interval
    (statsmodels ``confint_proportions_2indep(method="newcomb")``), valid at 0 %.
    """

    category: str
    zone: str
    share: float | None
    share_ref: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    police_activity: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SceneCrime:
    """Incidents at one scene: inside it or in its first ring (nearest scene)."""

    scene_id: str
    counts: dict[str, int]
    counts_inside: dict[str, int]
    total: int
    any_shooting: bool
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CrimeResult:
    """Concentration of crime at the scenes of a round in a period.

    Attributes
    ----------
    round : str
    period : dict
        ``from`` and ``to`` (ISO, half open).
    rings_m : tuple of float
    zones : list of ZoneStats
        ``scene``, ``near_<r>`` ..., ``rest`` (or ``rest:<code>`` per municipality).
    concentration : list of Concentration
    rate_ratios : list of RateRatioRow
        Each non-rest zone against the rest of the region.
    share_differences : list of ShareDifference
    scenes : list of SceneCrime
        Ranked by ``total`` of categories that are not police activity (1 = most).
    share_of_scenes_with_shooting : float
        Share of scenes with at least one shooting inside or in their first ring.
    police_activity_categories : list of str
    notes : list of str
    """

    round: str
    period: dict[str, str]
    rings_m: tuple[float, ...]
    zones: list[ZoneStats]
    concentration: list[Concentration]
    rate_ratios: list[RateRatioRow]
    share_differences: list[ShareDifference]
    scenes: list[SceneCrime]
    share_of_scenes_with_shooting: float
    police_activity_categories: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the keys ``round``, ``period``, ``zones``, ``rate_ratios``,
        ``scenes``, ``share_of_scenes_with_shooting`` and more."""
        return {
            "round": self.round,
            "period": self.period,
            "rings_m": list(self.rings_m),
            "zones": [z.to_dict() for z in self.zones],
            "concentration": [c.to_dict() for c in self.concentration],
            "rate_ratios": [r.to_dict() for r in self.rate_ratios],
            "share_differences": [s.to_dict() for s in self.share_differences],
            "scenes": [s.to_dict() for s in self.scenes],
            "share_of_scenes_with_shooting": self.share_of_scenes_with_shooting,
            "police_activity_categories": self.police_activity_categories,
            "notes": self.notes,
        }


def _none(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def crime_concentration(
    incidents: pd.DataFrame,
    scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    round_label: str,
    rings_m: ArrayLike = (DEFAULT_RING_M,),
    per_municipality: bool = False,
    categories: list[str] | None = None,
    alpha: float = 0.05,
) -> CrimeResult:
    """Concentration of incidents at scenes of a round in the period ``[start, end)``.

    Parameters
    ----------
    incidents : DataFrame
        ``time``, ``category``, ``x``, ``y`` and ``police_activity`` (EPSG:3006).
    scenes : GeoDataFrame
        The round's scenes (``scene_id``, polygons, EPSG:3006).
    municipalities : GeoDataFrame
        The region (``code``, ``geometry``); its union is the region's area.
    start, end : str or Timestamp
        The period, half open.
    round_label : str
    rings_m : sequence of float, default (200,)
    per_municipality : bool
        Split the rest of the region by municipality (zones ``rest:<code>``); rate
        ratios still use the whole rest as reference.
    categories : list of str, optional
        Categories to report, default those present plus the five standard ones.
    alpha : float
        1 - confidence level of intervals.

    Returns
    -------
    CrimeResult

    Notes
    -----
    Rate ratios compare incidents per km² in a zone with the rest of the region,
    with the exact conditional Poisson interval and test of
    :func:`drugscenes.stats.poisson.rate_ratio`. Zone membership follows
    :mod:`drugscenes.analysis.zones` (edges inside, ring distances inclusive).
    """
    check_incidents(incidents)
    rings = check_rings(rings_m)
    inc = in_period(incidents, start, end)
    names = zone_names(rings)
    n_zones = len(names)
    region = shapely.union_all(np.asarray(municipalities.geometry.values))
    areas = zone_areas(scenes, rings, region)

    za = ZoneIndex(scenes, rings).assign(inc["x"].to_numpy(float), inc["y"].to_numpy(float))
    cats_present = list(pd.unique(inc["category"].astype(str)))
    std = ["violence", "shooting", "explosion", "drug offence", "other"]
    cats = categories or [*std, *sorted(c for c in cats_present if c not in std)]
    pa_flags = _police_activity_flags(inc, cats)
    cat_codes = pd.Categorical(inc["category"].astype(str), categories=cats).codes
    ok = cat_codes >= 0
    table = np.zeros((n_zones, len(cats)), dtype=np.int64)
    np.add.at(table, (za.zone[ok], cat_codes[ok]), 1)

    zone_rows = _zone_rows(names, areas, table, cats)
    if per_municipality:
        zone_rows = zone_rows[:-1] + _rest_by_municipality(
            inc, za.zone, n_zones - 1, cat_codes, cats, municipalities, scenes, rings
        )

    region_area = float(areas.sum())
    region_counts = table.sum(axis=0)
    concentration = [
        Concentration(
            c,
            names[z],
            _none(table[z, j] / region_counts[j]) if region_counts[j] else None,
            float(areas[z] / region_area),
            _none((table[z, j] / region_counts[j]) / (areas[z] / region_area))
            if region_counts[j] and areas[z] > 0
            else None,
            pa_flags[c],
        )
        for z in range(n_zones - 1)
        for j, c in enumerate(cats)
    ]
    rest = n_zones - 1
    rate_rows = []
    diff_rows = []
    for z in range(n_zones - 1):
        for j, c in enumerate(cats):
            rr = rate_ratio(
                int(table[z, j]), areas[z] / 1e6, int(table[rest, j]), areas[rest] / 1e6, alpha
            )
            rate_rows.append(
                RateRatioRow(
                    c,
                    names[z],
                    _none(rr.ratio),
                    _none(rr.ci_low),
                    _none(rr.ci_high),
                    _none(rr.p_value),
                    rr.count,
                    rr.count_ref,
                    pa_flags[c],
                )
            )
            diff_rows.append(
                share_difference(
                    int(table[z, j]),
                    int(table[z].sum()),
                    int(table[rest, j]),
                    int(table[rest].sum()),
                    c,
                    names[z],
                    pa_flags[c],
                    alpha,
                )
            )
    scene_rows = _scene_rows(za.zone, za.scene_index, cat_codes, cats, scenes, pa_flags)
    share_shooting = (
        float(np.mean([s.any_shooting for s in scene_rows])) if scene_rows else math.nan
    )
    notes = []
    if any(pa_flags.values()):
        notes.append(POLICE_ACTIVITY_NOTE)
    if "shooting" not in cats:
        notes.append("no 'shooting' category: share of scenes with a shooting is 0 by definition")
    return CrimeResult(
        round=str(round_label),
        period={"from": to_utc(start).isoformat(), "to": to_utc(end).isoformat()},
        rings_m=rings,
        zones=zone_rows,
        concentration=concentration,
        rate_ratios=rate_rows,
        share_differences=diff_rows,
        scenes=scene_rows,
        share_of_scenes_with_shooting=share_shooting,
        police_activity_categories=[c for c in cats if pa_flags[c]],
        notes=notes,
    )


def _police_activity_flags(inc: pd.DataFrame, cats: list[str]) -> dict[str, bool]:
    flags = {c: c == "drug offence" for c in cats}
    if "police_activity" in inc.columns and len(inc):
        by = inc.groupby(inc["category"].astype(str))["police_activity"].any()
        flags.update({c: bool(v) or flags.get(c, False) for c, v in by.items() if c in flags})
    return flags


def _zone_rows(
    names: list[str], areas: np.ndarray, table: np.ndarray, cats: list[str]
) -> list[ZoneStats]:
    rows = []
    for z, name in enumerate(names):
        tot = int(table[z].sum())
        rows.append(
            ZoneStats(
                name,
                float(areas[z]),
                {c: int(table[z, j]) for j, c in enumerate(cats)},
                {c: (table[z, j] / tot if tot else None) for j, c in enumerate(cats)},
                {
                    c: float(table[z, j] / (areas[z] / 1e6)) if areas[z] > 0 else math.nan
                    for j, c in enumerate(cats)
                },
                tot,
            )
        )
    return rows


def _rest_by_municipality(
    inc: pd.DataFrame,
    zone: np.ndarray,
    rest_code: int,
    cat_codes: np.ndarray,
    cats: list[str],
    municipalities: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    rings: tuple[float, ...],
) -> list[ZoneStats]:
    from drugscenes.analysis.zones import assign_polygons

    geoms = np.asarray(municipalities.geometry.values, dtype=object)
    codes = municipalities["code"].astype(str).to_numpy()
    muni = assign_polygons(inc["x"].to_numpy(float), inc["y"].to_numpy(float), geoms)
    near = shapely.buffer(
        shapely.union_all(np.asarray(scenes.geometry.values)), rings[-1], quad_segs=16
    )
    rows = []
    for k, code in enumerate(codes):  # loop over municipalities
        m = (zone == rest_code) & (muni == k) & (cat_codes >= 0)
        counts = np.bincount(cat_codes[m], minlength=len(cats))
        area = float(shapely.area(shapely.difference(geoms[k], near)))
        rows.extend(_zone_rows([f"rest:{code}"], np.array([area]), counts[None, :], cats))
    return rows


def share_difference(
    count: int,
    nobs: int,
    count_ref: int,
    nobs_ref: int,
    category: str = "",
    zone: str = "",
    police_activity: bool = False,
    alpha: float = 0.05,
) -> ShareDifference:
    """Difference of a category's share in a zone and in the reference, with a test.

    See :class:`ShareDifference` for the methods. Undefined parts (a zone without
    incidents, or no variation at all) are None.

    Examples
    --------
    >>> d = share_difference(30, 100, 50, 1000)
    >>> round(d.difference, 2), d.p_value < 0.001
    (0.25, True)
    """
    share = count / nobs if nobs else None
    share_ref = count_ref / nobs_ref if nobs_ref else None
    if not nobs or not nobs_ref:
        return ShareDifference(
            category, zone, share, share_ref, None, None, None, None, police_activity
        )
    diff = share - share_ref
    pooled = (count + count_ref) / (nobs + nobs_ref)
    if pooled in (0.0, 1.0):
        p = None  # no variation: the z statistic is 0/0
    else:
        _, p = proportions_ztest([count, count_ref], [nobs, nobs_ref])
    lo, hi = confint_proportions_2indep(
        count, nobs, count_ref, nobs_ref, method="newcomb", alpha=alpha
    )
    return ShareDifference(
        category,
        zone,
        share,
        share_ref,
        diff,
        _none(lo),
        _none(hi),
        _none(p) if p is not None else None,
        police_activity,
    )


def _scene_rows(
    zone: np.ndarray,
    scene_index: np.ndarray,
    cat_codes: np.ndarray,
    cats: list[str],
    scenes: gpd.GeoDataFrame,
    pa_flags: dict[str, bool],
) -> list[SceneCrime]:
    n_sc = len(scenes)
    ok = (cat_codes >= 0) & (scene_index >= 0)
    at = ok & (zone <= 1)
    inside = ok & (zone == 0)
    tab = np.zeros((n_sc, len(cats)), dtype=np.int64)
    tab_in = np.zeros((n_sc, len(cats)), dtype=np.int64)
    np.add.at(tab, (scene_index[at], cat_codes[at]), 1)
    np.add.at(tab_in, (scene_index[inside], cat_codes[inside]), 1)
    reported = np.array([not pa_flags[c] for c in cats])
    total = tab[:, reported].sum(axis=1)
    rank = pd.Series(-total).rank(method="min").astype(int).to_numpy()
    shoot = tab[:, cats.index(SHOOTING)] > 0 if SHOOTING in cats else np.zeros(n_sc, bool)
    ids = scenes["scene_id"].astype(str).to_numpy()
    rows = [
        SceneCrime(
            ids[s],
            {c: int(tab[s, j]) for j, c in enumerate(cats)},
            {c: int(tab_in[s, j]) for j, c in enumerate(cats)},
            int(total[s]),
            bool(shoot[s]),
            int(rank[s]),
        )
        for s in range(n_sc)
    ]
    return sorted(rows, key=lambda r: (r.rank, r.scene_id))


# -- displacement --------------------------------------------------------------------
@dataclass(frozen=True)
class WDQ:
    """Weighted Displacement Quotient and its parts (Bowers & Johnson 2003).

    With counts in the response area ``R``, buffer ``D`` and control ``C`` before
    (``b``) and after (``a``)::

        success measure (SM)              = Ra/Ca - Rb/Cb
        buffer displacement measure (BDM) = Da/Ca - Db/Cb
        WDQ                               = BDM / SM
        total net effect (TNE)            = (Rb·Ca/Cb - Ra) + (Db·Ca/Cb - Da)

    SM < 0: the response area improved relative to the control. WDQ > 0: diffusion
    of benefits to the buffer; WDQ < 0: displacement (< -1: more than the gain).
    Where a measure would divide by zero it is None and ``reason`` says why.

    References
    ----------
    Bowers, K. J. & Johnson, S. D. (2003). Measuring the geographical displacement
    and diffusion of benefit effects of crime prevention activity. Journal of
    Quantitative Criminology 19(3), 275-301.
    """

    Ra: int
    Rb: int
    Da: int
    Db: int
    Ca: int
    Cb: int
    success_measure: float | None
    buffer_displacement_measure: float | None
    wdq: float | None
    total_net_effect: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def wdq(Ra: int, Rb: int, Da: int, Db: int, Ca: int, Cb: int) -> WDQ:
    """Weighted Displacement Quotient from the six counts; see :class:`WDQ`.

    Examples
    --------
    >>> w = wdq(Ra=50, Rb=100, Da=80, Db=90, Ca=190, Cb=200)
    >>> round(w.wdq, 4), round(w.total_net_effect, 1)
    (0.1222, 50.5)
    """
    for k, v in dict(Ra=Ra, Rb=Rb, Da=Da, Db=Db, Ca=Ca, Cb=Cb).items():
        if v < 0:
            raise UsageError(f"{k} must be a count >= 0, got {v}")
    if Ca == 0 or Cb == 0:
        which = "before" if Cb == 0 else "after"
        return WDQ(
            Ra,
            Rb,
            Da,
            Db,
            Ca,
            Cb,
            None,
            None,
            None,
            None,
            f"no incidents in the control area {which}: the control cannot scale the "
            "counts, so no measure is defined; choose a larger control area or period",
        )
    sm = Ra / Ca - Rb / Cb
    bdm = Da / Ca - Db / Cb
    tne = (Rb * Ca / Cb - Ra) + (Db * Ca / Cb - Da)
    if sm == 0:
        return WDQ(
            Ra,
            Rb,
            Da,
            Db,
            Ca,
            Cb,
            sm,
            bdm,
            None,
            tne,
            "the response area did not change relative to the control (success "
            "measure 0): WDQ is undefined",
        )
    reason = None
    if sm > 0:
        reason = (
            "the response area got worse relative to the control (success measure "
            "> 0): the WDQ is not interpretable as displacement"
        )
    return WDQ(Ra, Rb, Da, Db, Ca, Cb, sm, bdm, bdm / sm, tne, reason)


@dataclass(frozen=True)
class DisplacementResult:
    """WDQ for each ceased scene and for all ceased scenes together."""

    from_round: str
    to_round: str
    before: dict[str, str]
    after: dict[str, str]
    buffer_m: float
    category: str | None
    scenes: list[dict[str, Any]]
    all_ceased: WDQ | None
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_round": self.from_round,
            "to_round": self.to_round,
            "before": self.before,
            "after": self.after,
            "buffer_m": self.buffer_m,
            "category": self.category,
            "scenes": self.scenes,
            "all_ceased": self.all_ceased.to_dict() if self.all_ceased else None,
            "notes": self.notes,
        }


def ceased_by_overlap(scenes_a: gpd.GeoDataFrame, scenes_b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Scenes of round A that intersect no scene of round B (spatial fallback for fates)."""
    tree = shapely.STRtree(np.asarray(scenes_b.geometry.values))
    hit = np.unique(tree.query(np.asarray(scenes_a.geometry.values), predicate="intersects")[0])
    keep = np.ones(len(scenes_a), dtype=bool)
    keep[hit] = False
    return scenes_a[keep]


def displacement(
    incidents: pd.DataFrame,
    ceased: gpd.GeoDataFrame,
    all_scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    before: tuple[str, str],
    after: tuple[str, str],
    buffer_m: float = DEFAULT_RING_M,
    category: str | None = None,
    from_round: str = "",
    to_round: str = "",
) -> DisplacementResult:
    """WDQ of ceased scenes: response area, buffer and control before and after.

    For each ceased scene: ``R`` is the scene polygon, ``D`` the ring up to
    ``buffer_m`` around it (without R), ``C`` the scene's municipality without the
    ``buffer_m`` surroundings of every scene of both rounds (``all_scenes``), so the
    control holds no scene or buffer. Together: R, D and C are the unions over the
    ceased scenes. Points on an edge count in the first of R, D, C.

    Parameters
    ----------
    incidents : DataFrame
    ceased : GeoDataFrame
        Ceased scenes (``scene_id``, polygons), e.g. from the compare fates or
        :func:`ceased_by_overlap`.
    all_scenes : GeoDataFrame
        Scenes of both rounds.
    municipalities : GeoDataFrame
    before, after : (start, end)
        Half-open periods.
    buffer_m : float, default 200
    category : str, optional
        Only this category (default all incidents).
    """
    check_incidents(incidents)
    if not buffer_m > 0:
        raise UsageError(f"buffer_m must be positive, got {buffer_m}")
    inc = (
        incidents if category is None else incidents[incidents["category"].astype(str) == category]
    )
    inc_b = in_period(inc, *before)
    inc_a = in_period(inc, *after)
    excl = shapely.buffer(
        shapely.union_all(np.asarray(all_scenes.geometry.values)), buffer_m, quad_segs=16
    )
    mgeoms = np.asarray(municipalities.geometry.values, dtype=object)
    cgeoms = np.asarray(ceased.geometry.values, dtype=object)

    def areas_for(
        r: shapely.Geometry,
    ) -> tuple[shapely.Geometry, shapely.Geometry, shapely.Geometry]:
        d = shapely.difference(shapely.buffer(r, buffer_m, quad_segs=16), r)
        munis = mgeoms[shapely.intersects(mgeoms, r)]
        c = shapely.difference(shapely.union_all(munis), excl)
        return r, d, c

    def counts(geoms: tuple[shapely.Geometry, ...], df: pd.DataFrame) -> list[int]:
        x, y = df["x"].to_numpy(float), df["y"].to_numpy(float)
        free = np.ones(x.size, dtype=bool)
        out = []
        for g in geoms:  # R, D, C: first match wins
            hit = np.zeros(x.size, dtype=bool)
            hit[free] = shapely.intersects_xy(g, x[free], y[free])
            free &= ~hit
            out.append(int(hit.sum()))
        return out

    rows = []
    for sid, g in zip(ceased["scene_id"].astype(str), cgeoms, strict=True):  # per scene
        geoms = areas_for(g)
        rb, db, cb = counts(geoms, inc_b)
        ra, da, ca = counts(geoms, inc_a)
        rows.append({"scene_id": sid, **wdq(ra, rb, da, db, ca, cb).to_dict()})
    all_w = None
    if len(cgeoms):
        geoms = areas_for(shapely.union_all(cgeoms))
        rb, db, cb = counts(geoms, inc_b)
        ra, da, ca = counts(geoms, inc_a)
        all_w = wdq(ra, rb, da, db, ca, cb)
    notes = []
    if category == "drug offence" or (
        category is None and "police_activity" in inc.columns and inc["police_activity"].any()
    ):
        notes.append(POLICE_ACTIVITY_NOTE)
    if not len(cgeoms):
        notes.append("no ceased scenes between the two rounds")
    return DisplacementResult(
        from_round,
        to_round,
        {"from": to_utc(before[0]).isoformat(), "to": to_utc(before[1]).isoformat()},
        {"from": to_utc(after[0]).isoformat(), "to": to_utc(after[1]).isoformat()},
        float(buffer_m),
        category,
        rows,
        all_w,
        notes,
    )
