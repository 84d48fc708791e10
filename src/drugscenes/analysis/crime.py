"""Crime at and around scenes: concentration, rate ratios, per-scene counts, WDQ.

All functions are pure: incidents (the clean frame of
:mod:`drugscenes.io.incidents`: ``time``, ``category``, ``x``, ``y``,
``police_activity``) and scenes/municipalities as GeoDataFrames in EPSG:3006 go in,
typed results with ``to_dict()`` come out.

Every "within r metres of a scene" is the exact zone assignment of
:mod:`drugscenes.analysis.zones` (a point on a scene's edge is inside it, a point at
exactly r metres is within r): the crime zones and the WDQ's buffer and control agree
to the millimetre. Polygons buffered by r (arcs as 64-gons) serve only for areas.

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
import pyarrow as pa
import shapely
from numpy.typing import ArrayLike, NDArray

from drugscenes import config
from drugscenes.analysis.zones import (
    NearAssignment,
    PolygonGrid,
    ZoneIndex,
    assign_polygons,
    check_rings,
    within_distance,
    zone_areas,
    zone_names,
)
from drugscenes.errors import UsageError
from drugscenes.periods import Period
from drugscenes.times import to_utc

POLICE_ACTIVITY_NOTE = (
    "Drug offences are mostly recorded when the police look for them: their counts "
    "measure police activity at a place as much as drug crime, and are not comparable "
    "with reported crimes such as violence."
)
SHOOTING = "shooting"

Instant = str | pd.Timestamp
"""A time bound: a timezone-aware Timestamp, or ISO text (naive means UTC)."""

PLACE_LEVEL_SAMPLE = 200_000
"""Rows looked at to tell place-level coordinates from point data."""

_BLOCK = 1 << 20
"""Rows counted at once: temporaries stay a few MB however many incidents there are."""


def check_incidents(incidents: pd.DataFrame) -> None:
    """Refuse a frame that is not an incident table (``time``, ``category``, ``x``, ``y``)."""
    if not isinstance(incidents, pd.DataFrame):
        raise UsageError(f"incidents should be a DataFrame, got {type(incidents)}")
    missing = {"time", "category", "x", "y"} - set(incidents.columns)
    if missing:
        raise UsageError(f"incidents lack columns {sorted(missing)}")


def place_level_warning(incidents: pd.DataFrame, n_municipalities: int) -> str | None:
    """Say so when coordinates are place-level (e.g. Police events at a municipality centre).

    Place-level data has at most about one point per municipality, each shared by several
    incidents; point or address data has many more points. The first
    :data:`PLACE_LEVEL_SAMPLE` rows suffice.

    Returns
    -------
    str or None
        A warning for the result's notes, None for point data.

    Examples
    --------
    >>> centres = pd.DataFrame({"x": [1.0, 2.0] * 10, "y": [5.0, 6.0] * 10})
    >>> place_level_warning(centres, 26)[:38]
    '20 incidents lie on only 2 distinct po'
    >>> place_level_warning(pd.DataFrame({"x": range(20), "y": range(20)}), 26) is None
    True
    """
    sample = incidents.iloc[:PLACE_LEVEL_SAMPLE]
    n = len(sample)
    points = len(sample.drop_duplicates(["x", "y"]))
    if n == 0 or points > 2 * n_municipalities or n < 3 * points:
        return None
    return (
        f"{n:,} incidents lie on only {points} distinct points: the coordinates look "
        "place-level (e.g. Police events at a municipality's centre), so distances to "
        "scenes, zones and near repeats are not meaningful for them"
    )


def categories_present(incidents: pd.DataFrame) -> list[str]:
    """The categories of some incidents, sorted (for messages naming what there is)."""
    return sorted(incidents["category"].astype(str).unique())


def in_period(incidents: pd.DataFrame, start: Instant, end: Instant) -> pd.DataFrame:
    """Rows with ``start <= time < end`` (naive bounds are UTC)."""
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"period end ({e.date()}) must be after its start ({s.date()})")
    col = incidents["time"]
    bounds = _ns_bounds(s, e) if _aware_ns(col.dtype) else None
    if bounds is not None:
        # Aware nanoseconds are UTC instants underneath: compare them as integers (NaT,
        # the smallest int64, is never in a period), no converted copy of the column.
        ns = col.array.asi8
        keep = (ns >= bounds[0]) & (ns < bounds[1])
    else:
        t = pd.to_datetime(col, utc=True)
        keep = ((t >= s) & (t < e)).to_numpy()
    return incidents if keep.all() else incidents[keep]  # no copy when all are in


def _aware_ns(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ns"


def _ns_bounds(s: pd.Timestamp, e: pd.Timestamp) -> tuple[int, int] | None:
    """The bounds as int64 nanoseconds since the epoch; None beyond that range."""
    try:
        return int(s.value), int(e.value)
    except (OverflowError, ValueError):
        return None


class _Record:
    """A result whose JSON form is its fields, in order (nested results and tuples as
    dicts and lists)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(v) for k, v in self.__dict__.items()}


def _json(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


@dataclass(frozen=True)
class _CategoryInZone(_Record):
    """A figure of one category in one zone (the fields every such row starts with)."""

    category: str
    zone: str


@dataclass(frozen=True)
class ZoneStats(_Record):
    """Counts in one zone. ``shares[c]`` is category c's share of the zone's incidents.

    ``name`` is the municipality's name of a ``rest:<code>`` zone, else None.
    """

    zone: str
    area_m2: float
    counts: dict[str, int]
    shares: dict[str, float | None]
    density_per_km2: dict[str, float]
    total: int
    name: str | None = None


@dataclass(frozen=True)
class Concentration(_CategoryInZone):
    """Share of the region's incidents of a category in a zone against its area share.

    ``ratio = share_of_incidents / share_of_area`` (a location quotient: 1 means no
    concentration).
    """

    share_of_incidents: float | None
    share_of_area: float
    ratio: float | None
    police_activity: bool


@dataclass(frozen=True)
class RateRatioRow(_CategoryInZone):
    """Incident rate per km² in a zone against the rest of the region (exact Poisson).

    ``reason`` says why the ratio, interval and p-value are None when a zone has no area
    in the region (e.g. a scene covering the whole region leaves no rest); else None.
    """

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    count: int
    count_ref: int
    police_activity: bool
    reason: str | None = None


@dataclass(frozen=True)
class ShareDifference(_CategoryInZone):
    """Category share of a zone's incidents minus that of the rest.

    ``p_value``: pooled two-proportion z-test (as statsmodels ``proportions_ztest``,
    equal to Pearson's chi-squared test of the 2x2 table without continuity
    correction); ``ci_low``/``ci_high``: Newcombe's hybrid score interval (as statsmodels
    ``confint_proportions_2indep(method="newcomb")``), valid at 0 %
    (:mod:`drugscenes.stats.proportions`).
    """

    share: float | None
    share_ref: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    police_activity: bool


@dataclass(frozen=True)
class SceneCrime(_Record):
    """Incidents at one scene: inside it or in its first ring (nearest scene)."""

    scene_id: str
    counts: dict[str, int]
    counts_inside: dict[str, int]
    total: int
    any_shooting: bool
    rank: int


@dataclass(frozen=True)
class CrimeResult(_Record):
    """Concentration of crime at the scenes of a round in a period, in the exact zones of
    :mod:`drugscenes.analysis.zones`; ``to_dict()`` gives every field, in order.

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
        Caveats, including every warning.
    period_days : dict or None
        The calendar days of the period (:meth:`drugscenes.periods.Period.to_dict`) when
        it was given as a Period.
    n_scenes : int
        Scenes of the round.
    n_incidents : int
        Incidents in the period (all categories).
    warnings : list of str
        The notes that question the data itself (place-level coordinates).
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
    period_days: dict[str, Any] | None = None
    n_scenes: int = 0
    n_incidents: int = 0
    warnings: list[str] = field(default_factory=list)


def _none(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def crime_concentration(
    incidents: pd.DataFrame | pa.Table,
    scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    start: Instant,
    end: Instant,
    round_label: str,
    rings_m: ArrayLike = (config.RING_M,),
    per_municipality: bool = False,
    categories: list[str] | None = None,
    alpha: float = 0.05,
    period_days: Period | None = None,
) -> CrimeResult:
    """Concentration of incidents at scenes of a round in the period ``[start, end)``.

    Parameters
    ----------
    incidents : DataFrame or pyarrow.Table
        ``time``, ``category``, ``x``, ``y`` and ``police_activity`` (EPSG:3006). A
        table as the stores read it (:meth:`drugscenes.store.base.Store.read_incident_table`:
        ``category`` dictionary-encoded) is counted chunk by chunk on NumPy views of its
        columns, never converted to pandas; any other table goes through pandas. Both
        give the same result.
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
    period_days : Period, optional
        The calendar days ``[start, end)`` stands for, reported as ``period_days``.

    Returns
    -------
    CrimeResult
        Its notes include a warning when the coordinates look place-level
        (:func:`place_level_warning`).

    Notes
    -----
    Rate ratios compare incidents per km² in a zone with the rest of the region,
    with the exact conditional Poisson interval and test of
    :func:`drugscenes.stats.poisson.rate_ratio`. Zone membership follows
    :mod:`drugscenes.analysis.zones` (edges inside, ring distances inclusive).
    """
    rings = check_rings(rings_m)
    inc = _incident_columns(incidents, start, end)
    names = zone_names(rings)
    n_zones = len(names)
    region = shapely.union_all(np.asarray(municipalities.geometry.values))
    areas = _no_slivers(zone_areas(scenes, rings, region))

    near = ZoneIndex(scenes, rings).assign_near(inc.x, inc.y)
    coded = inc.coded
    std = ["violence", "shooting", "explosion", "drug offence", "other"]
    cats = categories or [*std, *sorted(c for c in coded.present() if c not in std)]
    pa_flags = coded.police_activity_flags(cats)
    near_codes = coded.codes_at(cats, near.index)
    table = _zone_table(near, near_codes, coded.totals(cats), n_zones)

    zone_rows = _zone_rows(names, areas, table, cats)
    if per_municipality:
        rest = np.ones(near.n, dtype=bool)
        rest[near.index] = False
        zone_rows = zone_rows[:-1] + _rest_by_municipality(
            inc, rest, coded.codes(cats), cats, municipalities, scenes, rings
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
            rate_rows.append(
                _rate_ratio_row(
                    c,
                    names[z],
                    (int(table[z, j]), float(areas[z])),
                    (int(table[rest, j]), float(areas[rest])),
                    pa_flags[c],
                    alpha,
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
    scene_rows = _scene_rows(near.zone, near.scene_index, near_codes, cats, scenes, pa_flags)
    share_shooting = (
        float(np.mean([s.any_shooting for s in scene_rows])) if scene_rows else math.nan
    )
    notes = []
    if any(pa_flags.values()):
        notes.append(POLICE_ACTIVITY_NOTE)
    if "shooting" not in cats:
        notes.append("no 'shooting' category: share of scenes with a shooting is 0 by definition")
    warnings = [w for w in [place_level_warning(inc.head, len(municipalities))] if w]
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
        notes=notes + warnings,
        period_days=None if period_days is None else period_days.to_dict(),
        n_scenes=len(scenes),
        n_incidents=inc.n,
        warnings=warnings,
    )


@dataclass(frozen=True)
class _Columns:
    """The incidents of the period as the counts read them.

    ``x`` and ``y`` are pieces end to end (one array for a frame, one NumPy view per
    record batch for an Arrow table), ``coded`` their categories (:class:`_Coded` or
    :class:`_ArrowCoded`), ``head`` a frame of the first :data:`PLACE_LEVEL_SAMPLE`
    rows' ``x`` and ``y`` (for :func:`place_level_warning`).
    """

    n: int
    x: list[NDArray[np.float64]]
    y: list[NDArray[np.float64]]
    coded: _Coded | _ArrowCoded
    head: pd.DataFrame


def _incident_columns(incidents: pd.DataFrame | pa.Table, start: Instant, end: Instant) -> _Columns:
    """The incidents of ``[start, end)``; an Arrow table that :func:`_arrow_countable` refuses
    goes through pandas, as any frame does."""
    if isinstance(incidents, pa.Table):
        missing = {"time", "category", "x", "y"} - set(incidents.column_names)
        if missing:
            raise UsageError(f"incidents lack columns {sorted(missing)}")
        if _arrow_countable(incidents):
            table = _arrow_in_period(incidents, start, end)
            if table is not None:
                return _arrow_columns(table)
        incidents = incidents.to_pandas(split_blocks=True)
    check_incidents(incidents)
    inc = in_period(incidents, start, end)
    return _Columns(
        len(inc),
        [inc["x"].to_numpy(float)],
        [inc["y"].to_numpy(float)],
        _Coded(inc),
        inc.iloc[:PLACE_LEVEL_SAMPLE][["x", "y"]],
    )


def _arrow_countable(table: pa.Table) -> bool:
    """Whether the chunk-by-chunk count reads ``table`` as pandas would: nanosecond
    timezone-aware times, float64 coordinates, dictionary-encoded text categories,
    boolean ``police_activity`` (if any), and no missing value in them."""
    types = {f.name: f.type for f in table.schema}
    t, c = types["time"], types["category"]
    if not (pa.types.is_timestamp(t) and t.unit == "ns" and t.tz is not None):
        return False
    if not (pa.types.is_dictionary(c) and pa.types.is_string(c.value_type)):
        return False
    if types["x"] != pa.float64() or types["y"] != pa.float64():
        return False
    cols = ["time", "category", "x", "y"]
    if "police_activity" in types:
        if types["police_activity"] != pa.bool_():
            return False
        cols.append("police_activity")
    if any(table[k].null_count for k in cols):
        return False
    return not any(ch.dictionary.null_count for ch in table["category"].chunks)


def _arrow_in_period(table: pa.Table, start: Instant, end: Instant) -> pa.Table | None:
    """The rows with ``start <= time < end`` (as :func:`in_period`); None when the bounds
    do not fit in int64 nanoseconds (pandas then decides)."""
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"period end ({e.date()}) must be after its start ({s.date()})")
    bounds = _ns_bounds(s, e)
    if bounds is None:
        return None
    lo, hi = bounds
    chunks = [ch.to_numpy().view(np.int64) for ch in table["time"].chunks]
    if all(ns.size == 0 or (ns.min() >= lo and ns.max() < hi) for ns in chunks):
        return table  # a store's read of the period: nothing to drop, no copy
    keep = np.concatenate([(ns >= lo) & (ns < hi) for ns in chunks]) if chunks else []
    return table.filter(pa.array(keep, pa.bool_()))


def _arrow_columns(table: pa.Table) -> _Columns:
    """The columns of an Arrow table as NumPy views, one per record batch."""
    batches = [b for b in table.to_batches() if b.num_rows]
    x = [b.column("x").to_numpy() for b in batches]
    y = [b.column("y").to_numpy() for b in batches]
    head = table.slice(0, PLACE_LEVEL_SAMPLE)
    head_frame = pd.DataFrame({"x": head["x"].to_numpy(), "y": head["y"].to_numpy()}, copy=False)
    return _Columns(table.num_rows, x, y, _ArrowCoded(batches), head_frame)


def _no_slivers(areas: NDArray[np.float64]) -> NDArray[np.float64]:
    """Zone areas with rounding leftovers set to 0: a zone that is empty (the rest of a
    region a scene covers whole) comes out of the subtractions as ±1e-12 m², not 0."""
    tolerance = 1e-9 * max(float(np.abs(areas).sum()), 1.0)
    return np.where(areas > tolerance, areas, 0.0)


def _rate_ratio_row(
    category: str,
    zone: str,
    zone_count_area: tuple[int, float],
    rest_count_area: tuple[int, float],
    police_activity: bool,
    alpha: float,
) -> RateRatioRow:
    """The rate ratio of a zone against the rest; undefined (None, with the reason) when
    either has no area in the region."""
    from drugscenes.stats.poisson import rate_ratio  # SciPy: imported when first needed

    (count, area), (count_ref, area_ref) = zone_count_area, rest_count_area
    if area <= 0 or area_ref <= 0:
        reason = (
            "the scenes and their rings cover the whole region, so there is no rest of the "
            "region to compare with: the rate ratio is undefined"
            if area_ref <= 0
            else f"zone {zone} has no area in the region (the scenes cover it), so it has no "
            "rate per km²: the rate ratio is undefined"
        )
        return RateRatioRow(
            category, zone, None, None, None, None, count, count_ref, police_activity, reason
        )
    rr = rate_ratio(count, area / 1e6, count_ref, area_ref / 1e6, alpha)
    return RateRatioRow(
        category,
        zone,
        _none(rr.ratio),
        _none(rr.ci_low),
        _none(rr.ci_high),
        _none(rr.p_value),
        rr.count,
        rr.count_ref,
        police_activity,
    )


class _Coded:
    """The incidents' categories as integer codes, counted with NumPy.

    A ``category`` column that is a pandas Categorical (as the stores' Arrow reads give
    it: :meth:`drugscenes.store.base.Store.read_incident_table`) is never turned into a
    string per row; any other column (or a Categorical with missing values) goes the way
    of strings (``astype(str)``), as it always did. Both give the same codes.
    """

    def __init__(self, inc: pd.DataFrame) -> None:
        self.inc = inc
        col = inc["category"]
        self.categorical = isinstance(col.dtype, pd.CategoricalDtype)
        if self.categorical:
            self.raw = np.asarray(col.cat.codes.to_numpy(), dtype=np.int64)
            self.categorical = not bool((self.raw < 0).any())
        if self.categorical:
            self.names = [str(c) for c in col.cat.categories]
            self.used = np.bincount(self.raw, minlength=len(self.names)) > 0
        self._codes: tuple[list[str], NDArray[np.int64]] | None = None

    def present(self) -> list[str]:
        """The categories of the incidents (in no particular order)."""
        if self.categorical:
            return [c for c, u in zip(self.names, self.used, strict=True) if u]
        return list(pd.unique(self.inc["category"].astype(str)))

    def codes(self, cats: list[str]) -> NDArray[np.int64]:
        """Each incident's index in ``cats`` (-1 for a category not in it)."""
        if self._codes is not None and self._codes[0] == cats:
            return self._codes[1]
        if self.categorical:
            where = {c: k for k, c in enumerate(cats)}
            lut = np.array([where.get(c, -1) for c in self.names], dtype=np.int64)
            codes = lut[self.raw] if lut.size else np.full(self.raw.size, -1, dtype=np.int64)
        else:
            codes = np.asarray(
                pd.Categorical(self.inc["category"].astype(str), categories=cats).codes, np.int64
            )
        self._codes = (list(cats), codes)
        return codes

    def codes_at(self, cats: list[str], index: NDArray[np.int64]) -> NDArray[np.int64]:
        """:meth:`codes` of the incidents at positions ``index``."""
        return self.codes(cats)[index]

    def totals(self, cats: list[str]) -> NDArray[np.int64]:
        """Incidents of each category of ``cats``."""
        return _code_counts(self.codes(cats), len(cats))

    def police_activity_flags(self, cats: list[str]) -> dict[str, bool]:
        """Per category of ``cats``: police activity (see :func:`_police_activity_flags`)."""
        if not self.categorical:
            return _police_activity_flags(self.inc, cats)
        flags = {c: c == "drug offence" for c in cats}
        if "police_activity" in self.inc.columns and len(self.inc):
            police = self.inc["police_activity"].to_numpy(dtype=bool)
            any_police = np.bincount(self.raw[police], minlength=len(self.names)) > 0
            for k, c in enumerate(self.names):
                if self.used[k] and c in flags:
                    flags[c] = bool(any_police[k]) or flags[c]
        return flags


class _ArrowCoded:
    """:class:`_Coded` for the record batches of an Arrow table whose ``category`` is
    dictionary-encoded without missing values (:func:`_arrow_countable`).

    Each batch has its own dictionary; its entries are mapped to one list of names, in the
    order they are first met, and the indices are counted with NumPy, no string per row.
    """

    def __init__(self, batches: list[pa.RecordBatch]) -> None:
        where: dict[str, int] = {}
        self.indices: list[NDArray[np.integer]] = []
        self.maps: list[NDArray[np.int64]] = []
        # the dictionary indices of the rows with police_activity (Arrow's filter reads the
        # bits as they are: no bool per row)
        self.police: list[NDArray[np.integer]] | None = (
            [] if batches and "police_activity" in batches[0].schema.names else None
        )
        for b in batches:
            col = b.column("category")
            self.maps.append(
                np.array(
                    [where.setdefault(v, len(where)) for v in col.dictionary.to_pylist()],
                    dtype=np.int64,
                )
            )
            self.indices.append(col.indices.to_numpy())
            if self.police is not None:
                self.police.append(col.indices.filter(b.column("police_activity")).to_numpy())
        self.names = list(where)
        self.counts = np.zeros(len(self.names), dtype=np.int64)  # incidents per name
        for idx, m in zip(self.indices, self.maps, strict=True):
            np.add.at(self.counts, m, np.bincount(idx, minlength=m.size))
        self.used = self.counts > 0

    def present(self) -> list[str]:
        """The categories of the incidents (in no particular order)."""
        return [c for c, u in zip(self.names, self.used, strict=True) if u]

    def codes(self, cats: list[str]) -> NDArray[np.integer]:
        """Each incident's index in ``cats`` (-1 for a category not in it), all batches
        end to end, in the smallest integer type that holds them."""
        lut = self._lut(cats)
        out = np.empty(sum(i.size for i in self.indices), dtype=lut.dtype)
        at = 0
        for idx, m in zip(self.indices, self.maps, strict=True):
            np.take(lut[m], idx, out=out[at : at + idx.size])
            at += idx.size
        return out

    def codes_at(self, cats: list[str], index: NDArray[np.int64]) -> NDArray[np.integer]:
        """:meth:`codes` of the incidents at positions ``index`` (increasing), without the
        codes of the others."""
        lut = self._lut(cats)
        out = np.empty(index.size, dtype=lut.dtype)
        starts = np.cumsum([0, *(i.size for i in self.indices)])
        cut = np.searchsorted(index, starts)
        for k, (idx, m) in enumerate(zip(self.indices, self.maps, strict=True)):
            if cut[k] < cut[k + 1]:
                at = index[cut[k] : cut[k + 1]] - starts[k]
                out[cut[k] : cut[k + 1]] = lut[m][idx[at]]
        return out

    def _lut(self, cats: list[str]) -> NDArray[np.integer]:
        """Each name's index in ``cats`` (-1 if absent), in the smallest type that holds it."""
        where = {c: k for k, c in enumerate(cats)}
        dtype = np.int8 if len(cats) < 127 else np.int32
        return np.array([where.get(c, -1) for c in self.names], dtype=dtype)

    def totals(self, cats: list[str]) -> NDArray[np.int64]:
        """Incidents of each category of ``cats`` (from the dictionaries' counts)."""
        where = {c: k for k, c in enumerate(self.names)}
        return np.array([self.counts[where[c]] if c in where else 0 for c in cats], np.int64)

    def police_activity_flags(self, cats: list[str]) -> dict[str, bool]:
        """Per category of ``cats``: police activity (see :func:`_police_activity_flags`)."""
        flags = {c: c == "drug offence" for c in cats}
        if self.police is None or not self.indices:
            return flags
        any_police = np.zeros(len(self.names), dtype=bool)
        for m, police in zip(self.maps, self.police, strict=True):
            any_police[m[np.bincount(police, minlength=m.size) > 0]] = True
        for k, c in enumerate(self.names):
            if self.used[k] and c in flags:
                flags[c] = bool(any_police[k]) or flags[c]
        return flags


def _zone_table(
    near: NearAssignment,
    near_codes: NDArray[np.integer],
    totals: NDArray[np.int64],
    n_zones: int,
) -> NDArray[np.int64]:
    """Incidents by zone (rows) and category (columns): the zones of the near points and,
    in the last row, the rest (each category's total less its near points); codes -1 are
    not counted."""
    n_cats = totals.size
    ok = near_codes >= 0
    flat = near.zone[ok].astype(np.intp) * n_cats + near_codes[ok]
    near_counts = np.bincount(flat, minlength=(n_zones - 1) * n_cats).reshape(-1, n_cats)
    return np.vstack([near_counts, totals - near_counts.sum(axis=0)])


def _code_counts(codes: NDArray[np.integer], n_cats: int) -> NDArray[np.int64]:
    """Occurrences of each code 0..n_cats-1 (-1 not counted), a block at a time."""
    counts = np.zeros(n_cats, dtype=np.int64)
    for start in range(0, codes.size, _BLOCK):
        block = codes[start : start + _BLOCK]
        counts += np.bincount(block[block >= 0], minlength=n_cats)
    return counts


def _police_activity_flags(inc: pd.DataFrame, cats: list[str]) -> dict[str, bool]:
    flags = {c: c == "drug offence" for c in cats}
    if "police_activity" in inc.columns and len(inc):
        by = inc.groupby(inc["category"].astype(str))["police_activity"].any()
        flags.update({c: bool(v) or flags.get(c, False) for c, v in by.items() if c in flags})
    return flags


def _zone_rows(
    names: list[str],
    areas: np.ndarray,
    table: np.ndarray,
    cats: list[str],
    label: str | None = None,
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
                label,
            )
        )
    return rows


def _rest_by_municipality(
    inc: _Columns,
    rest: NDArray[np.bool_],
    cat_codes: np.ndarray,
    cats: list[str],
    municipalities: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    rings: tuple[float, ...],
) -> list[ZoneStats]:
    geoms = np.asarray(municipalities.geometry.values, dtype=object)
    codes = municipalities["code"].astype(str).to_numpy()
    labels = (
        municipalities["name"].astype(str).to_numpy()
        if "name" in municipalities.columns
        else np.full(len(codes), None, dtype=object)
    )
    grid = PolygonGrid(geoms)  # as assign_polygons, piece by piece
    muni = np.concatenate([grid.assign(x, y) for x, y in zip(inc.x, inc.y, strict=True)])
    m = rest & (muni >= 0) & (cat_codes >= 0)
    by_muni = np.bincount(
        muni[m].astype(np.int64) * len(cats) + cat_codes[m], minlength=len(codes) * len(cats)
    ).reshape(len(codes), len(cats))
    near = within_distance(scenes.geometry.values, rings[-1])
    rows = []
    for k, code in enumerate(codes):  # loop over municipalities
        counts = by_muni[k]
        area = float(shapely.area(shapely.difference(geoms[k], near)))
        area = area if area > 1e-9 * float(shapely.area(geoms[k])) else 0.0
        rows.extend(
            _zone_rows([f"rest:{code}"], np.array([area]), counts[None, :], cats, labels[k])
        )
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
    from drugscenes.stats.proportions import newcombe_interval, pooled_z_test

    share = count / nobs if nobs else None
    share_ref = count_ref / nobs_ref if nobs_ref else None
    if not nobs or not nobs_ref:
        return ShareDifference(
            category, zone, share, share_ref, None, None, None, None, police_activity
        )
    diff = share - share_ref
    p = pooled_z_test(count, nobs, count_ref, nobs_ref)  # None without variation
    lo, hi = newcombe_interval(count, nobs, count_ref, nobs_ref, alpha=alpha)
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
    near = np.flatnonzero(scene_index >= 0)  # a few per cent of the points
    zone, scene_index, cat_codes = zone[near], scene_index[near], cat_codes[near]
    ok = cat_codes >= 0
    at = ok & (zone <= 1)
    inside = ok & (zone == 0)
    size = n_sc * len(cats)

    def table(m: np.ndarray) -> np.ndarray:
        flat = scene_index[m].astype(np.int64) * len(cats) + cat_codes[m]
        return np.bincount(flat, minlength=size).reshape(n_sc, len(cats))

    tab, tab_in = table(at), table(inside)
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
class WDQ(_Record):
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
        """The counts and measures, with the reading in words (``interpretation``) and in
        a few (``reading``)."""
        return {
            **super().to_dict(),
            "interpretation": interpret_wdq(self),
            "reading": wdq_reading(self),
        }


def interpret_wdq(w: WDQ) -> str:
    """What a WDQ says, in words (Bowers & Johnson 2003; see the domain notes).

    An undefined or uninterpretable WDQ gives its ``reason``.

    Examples
    --------
    >>> interpret_wdq(wdq(Ra=2, Rb=10, Da=6, Db=4, Ca=25, Cb=20))
    'displacement to the buffer, smaller than the gain at the scene'
    """
    if w.wdq is None or (w.success_measure or 0) > 0:
        return str(w.reason)
    if w.wdq > 0:
        return "diffusion of benefits: the buffer improved too"
    if w.wdq == 0:
        return "no change in the buffer relative to the control"
    if w.wdq >= -1:
        return "displacement to the buffer, smaller than the gain at the scene"
    return "displacement to the buffer larger than the gain: the effect is more than erased"


def wdq_reading(w: WDQ) -> str:
    """The reading of a WDQ in a few words, for a table cell (see :func:`interpret_wdq`).

    Examples
    --------
    >>> wdq_reading(wdq(Ra=2, Rb=10, Da=6, Db=4, Ca=25, Cb=20))
    'displacement'
    """
    if w.wdq is None:
        return "undefined"
    if (w.success_measure or 0) > 0:
        return "not interpretable"
    if w.wdq > 0:
        return "diffusion of benefits"
    if w.wdq == 0:
        return "buffer unchanged"
    return "displacement" if w.wdq >= -1 else "displacement > gain"


def wdq(Ra: int, Rb: int, Da: int, Db: int, Ca: int, Cb: int) -> WDQ:
    """Weighted Displacement Quotient from the six counts; see :class:`WDQ`.

    Examples
    --------
    >>> w = wdq(Ra=50, Rb=100, Da=80, Db=90, Ca=190, Cb=200)
    >>> round(w.wdq, 4), round(w.total_net_effect, 1)
    (0.1222, 50.5)
    """
    counts = dict(Ra=Ra, Rb=Rb, Da=Da, Db=Db, Ca=Ca, Cb=Cb)
    for k, v in counts.items():
        if v < 0:
            raise UsageError(f"{k} must be a count >= 0, got {v}")
    if Ca == 0 or Cb == 0:
        which = "before" if Cb == 0 else "after"
        return WDQ(
            **counts,
            success_measure=None,
            buffer_displacement_measure=None,
            wdq=None,
            total_net_effect=None,
            reason=f"no incidents in the control area {which}: the control cannot scale the "
            "counts, so no measure is defined; choose a larger control area or period",
        )
    sm = Ra / Ca - Rb / Cb
    bdm = Da / Ca - Db / Cb
    tne = (Rb * Ca / Cb - Ra) + (Db * Ca / Cb - Da)
    reason = None
    if sm == 0:
        reason = (
            "the response area did not change relative to the control (success "
            "measure 0): WDQ is undefined"
        )
    elif sm > 0:
        reason = (
            "the response area got worse relative to the control (success measure "
            "> 0): the WDQ is not interpretable as displacement"
        )
    return WDQ(
        **counts,
        success_measure=sm,
        buffer_displacement_measure=bdm,
        wdq=bdm / sm if sm else None,
        total_net_effect=tne,
        reason=reason,
    )


@dataclass(frozen=True)
class DisplacementResult(_Record):
    """WDQ for each ceased scene and for all ceased scenes together.

    Attributes
    ----------
    from_round, to_round : str
    before, after : dict
        ``from`` and ``to`` of each period (ISO instants, UTC, half open).
    buffer_m : float
    category : str or None
        The category counted (None: all incidents).
    scenes : list of dict
        One row per ceased scene: ``scene_id`` and the :class:`WDQ` fields, with its
        ``interpretation`` and ``reading``.
    all_ceased : WDQ or None
        All ceased scenes together (None when none ceased).
    notes : list of str
    before_days, after_days : dict or None
        The periods as calendar days (:meth:`drugscenes.periods.Period.to_dict`) when
        given as Periods.
    ceased_scene_ids : list of str
        The ceased scenes, sorted.
    """

    from_round: str
    to_round: str
    before: dict[str, str]
    after: dict[str, str]
    buffer_m: float
    category: str | None
    scenes: list[dict[str, Any]]
    all_ceased: WDQ | None
    notes: list[str]
    before_days: dict[str, Any] | None = None
    after_days: dict[str, Any] | None = None
    ceased_scene_ids: list[str] = field(default_factory=list)


def ceased_by_overlap(scenes_a: gpd.GeoDataFrame, scenes_b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Scenes of round A that intersect no scene of round B (spatial fallback for fates)."""
    tree = shapely.STRtree(np.asarray(scenes_b.geometry.values))
    hit = np.unique(tree.query(np.asarray(scenes_a.geometry.values), predicate="intersects")[0])
    keep = np.ones(len(scenes_a), dtype=bool)
    keep[hit] = False
    return scenes_a[keep]


Bounds = tuple[Instant, Instant]


def _bounds(period: Period | Bounds) -> tuple[Bounds, dict[str, Any] | None]:
    """Half-open bounds of a period and its calendar days (None for bare bounds)."""
    if isinstance(period, Period):
        return (period.start, period.end), period.to_dict()
    return (period[0], period[1]), None


def displacement(
    incidents: pd.DataFrame,
    ceased: gpd.GeoDataFrame,
    all_scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    before: Period | Bounds,
    after: Period | Bounds,
    buffer_m: float = config.RING_M,
    category: str | None = None,
    from_round: str = "",
    to_round: str = "",
) -> DisplacementResult:
    """WDQ of ceased scenes: response area, buffer and control before and after.

    For each ceased scene: ``R`` is the scene (its polygon, edge included), ``D`` the
    points not in R within ``buffer_m`` of it, ``C`` the points of the scene's
    municipality farther than ``buffer_m`` from every scene of both rounds
    (``all_scenes``), so the control holds no scene or buffer. Together: R is inside any
    ceased scene, D within ``buffer_m`` of one and not inside any, C the municipalities
    of all ceased scenes without the surroundings of every scene.

    Distances are exact, as in :mod:`drugscenes.analysis.zones` (the rules of
    :func:`crime_concentration`): a point at exactly ``buffer_m`` is in the buffer, one
    a hair farther is in the control. A point on a border between municipalities
    belongs to the first of them (:func:`~drugscenes.analysis.zones.assign_polygons`).

    Parameters
    ----------
    incidents : DataFrame
    ceased : GeoDataFrame
        Ceased scenes (``scene_id``, polygons), e.g. from the compare fates or
        :func:`ceased_by_overlap`.
    all_scenes : GeoDataFrame
        Scenes of both rounds.
    municipalities : GeoDataFrame
    before, after : Period or (start, end)
        The periods: calendar days, or half-open bounds.
    buffer_m : float, default 200
    category : str, optional
        Only this category (default all incidents).
    """
    check_incidents(incidents)
    if not buffer_m > 0:
        raise UsageError(f"buffer_m must be positive, got {buffer_m}")
    (b_bounds, before_days), (a_bounds, after_days) = _bounds(before), _bounds(after)
    inc = (
        incidents if category is None else incidents[incidents["category"].astype(str) == category]
    )
    inc_b = in_period(inc, *b_bounds)
    inc_a = in_period(inc, *a_bounds)
    both = pd.concat([inc_b[["x", "y"]], inc_a[["x", "y"]]], ignore_index=True)
    x, y = both["x"].to_numpy(float), both["y"].to_numpy(float)
    after_flag = np.r_[np.zeros(len(inc_b), np.int64), np.ones(len(inc_a), np.int64)]
    ids = ceased["scene_id"].astype(str).tolist()

    rows = []
    all_w = None
    if ids:
        counts = _wdq_counts(x, y, after_flag, ceased, all_scenes, municipalities, buffer_m)
        for k, sid in enumerate(ids):  # per ceased scene
            rows.append({"scene_id": sid, **wdq(*counts[k].tolist()).to_dict()})
        all_w = wdq(*counts[-1].tolist())
    notes = []
    if category == "drug offence" or (
        category is None and "police_activity" in inc.columns and inc["police_activity"].any()
    ):
        notes.append(POLICE_ACTIVITY_NOTE)
    if not ids:
        notes.append("no ceased scenes between the two rounds")
    return DisplacementResult(
        from_round,
        to_round,
        {"from": to_utc(b_bounds[0]).isoformat(), "to": to_utc(b_bounds[1]).isoformat()},
        {"from": to_utc(a_bounds[0]).isoformat(), "to": to_utc(a_bounds[1]).isoformat()},
        float(buffer_m),
        category,
        rows,
        all_w,
        notes,
        before_days,
        after_days,
        sorted(ids),
    )


def _wdq_counts(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    after: NDArray[np.int64],
    ceased: gpd.GeoDataFrame,
    all_scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    buffer_m: float,
) -> NDArray[np.int64]:
    """``(Ra, Rb, Da, Db, Ca, Cb)`` of each ceased scene and, in the last row, of all.

    ``after`` is 1 for a point of the after period and 0 for one of the before period.
    """
    n = len(ceased)
    # [scene or all, R/D/C, after/before]: the order of wdq()'s arguments
    tab = np.zeros((n + 1, 3, 2), dtype=np.int64)
    pt, sc, level = ZoneIndex(ceased, [buffer_m]).pairs(x, y)  # level 0 R, 1 D of scene sc
    np.add.at(tab, (sc, level, 1 - after[pt]), 1)
    # All ceased together: a point's lowest level over the scenes it is near (inside any
    # is R; else within buffer_m of the nearest, i.e. of their union, is D).
    zone = np.full(x.size, 2, dtype=np.int8)
    np.minimum.at(zone, pt, level)
    at = zone <= 1
    np.add.at(tab, (n, zone[at], 1 - after[at]), 1)
    # Control: in a municipality of the scene, beyond the buffer of every scene
    # (ceased scenes included, should all_scenes lack one).
    beyond = ZoneIndex(all_scenes, [buffer_m]).assign(x, y).zone == 2
    beyond[pt] = False
    mgeoms = np.asarray(municipalities.geometry.values, dtype=object)
    muni = assign_polygons(x, y, mgeoms)
    control = beyond & (muni >= 0)
    by_muni = np.zeros((len(mgeoms), 2), dtype=np.int64)
    np.add.at(by_muni, (muni[control], 1 - after[control]), 1)
    cgeoms = np.asarray(ceased.geometry.values, dtype=object)
    of_scene = [shapely.intersects(mgeoms, g) for g in cgeoms]
    for k, hit in enumerate([*of_scene, np.logical_or.reduce(of_scene)]):
        tab[k, 2] = by_muni[hit].sum(axis=0)
    return tab.reshape(n + 1, 6)
