"""The crime jobs: crime at the scenes, displacement around ceased scenes, near repeats.

Each reads the workspace through its :class:`~drugscenes.store.Store` and hands the
frames to a pure analysis (:mod:`drugscenes.analysis.crime`,
:mod:`drugscenes.analysis.nearrepeat`), whose result, with its notes and warnings, is
all an edge shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from drugscenes import config
from drugscenes.analysis import crime as analysis
from drugscenes.analysis.crime import CrimeResult, DisplacementResult, categories_present
from drugscenes.analysis.zones import check_rings
from drugscenes.errors import DataError, UsageError
from drugscenes.periods import Period
from drugscenes.services.common import (
    Progress,
    check_number,
    check_numbers,
    quiet,
    read_period,
    resolve_round,
)
from drugscenes.services.early import CRIME_STATS
from drugscenes.stats.preload import preload
from drugscenes.store import Store

if TYPE_CHECKING:  # imported where used: crime needs neither (nor their SciPy modules)
    from drugscenes.analysis.nearrepeat import NearRepeatResult

__all__ = ["ANALYSIS_COLUMNS", "crime", "displacement", "nearrepeat"]

ANALYSIS_COLUMNS = list(config.CRIME_COLUMNS)
"""The incident columns the crime analyses read."""


@dataclass(frozen=True)
class _Inputs:
    """A round's scenes, the region and a period's incidents, as a job reads them."""

    round: str
    latest: bool
    scenes: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame
    incidents: pd.DataFrame | pa.Table


def _round_and_period(
    store: Store, round_label: str | None, period: Period, step: Progress, coded: bool = False
) -> _Inputs:
    """The round (None: the latest) and the incidents of the period (a DataError if none).

    ``coded``: the incidents are the Arrow table of :meth:`Store.read_incident_table`
    (``category`` as the stored dictionary codes, never a string per row), which
    :func:`drugscenes.analysis.crime.crime_concentration` counts as it is; the analyses
    count the same either way.
    """
    label, latest = resolve_round(store, round_label)
    scenes = store.round_scenes(label)
    municipalities = store.municipalities()
    step(f"reading incidents {period}")
    if coded:
        incidents = _read_coded(store, period)
    else:
        incidents = read_period(store, period, ANALYSIS_COLUMNS)
    return _Inputs(label, latest, scenes, municipalities, incidents)


def _read_coded(store: Store, period: Period) -> pa.Table:
    """The incidents of a period as Arrow (a DataError if none)."""
    table = store.read_incident_table(period.start, period.end, ANALYSIS_COLUMNS)
    if table.num_rows == 0:
        read_period(store, period, ANALYSIS_COLUMNS)  # raises its DataError
    return table


def crime(
    store: Store,
    *,
    round_label: str,
    period: Period,
    rings_m: Sequence[float] = (config.RING_M,),
    per_municipality: bool = False,
    progress: Progress | None = None,
) -> CrimeResult:
    """Crime at and around the scenes of a round in a period.

    Counts, shares and density per zone (inside a scene, each ring, the rest of the
    region, or the rest per municipality), rate ratios against the rest, scenes ranked,
    shootings (:func:`drugscenes.analysis.crime.crime_concentration`).

    Raises
    ------
    UsageError
        Rings that are not positive and increasing, more than
        :data:`~drugscenes.config.RINGS_MAX_N` or beyond
        :data:`~drugscenes.config.RING_MAX_M`.
    NotFoundError
        No such round.
    DataError
        No incidents in the period.
    """
    step = progress or quiet
    rings = check_rings(
        check_numbers(rings_m, "--rings", high=config.RING_MAX_M, most=config.RINGS_MAX_N)
    )
    # The tests of the rate ratios and share differences load scipy.special: on a thread,
    # while the incidents are read and counted without the GIL (started already when the
    # command called services.early.start_crime).
    preload(*CRIME_STATS)
    at = _round_and_period(store, round_label, period, step, coded=True)
    step(f"counting {len(at.incidents):,} incidents in zones")
    return analysis.crime_concentration(
        at.incidents,
        at.scenes,
        at.municipalities,
        period.start,
        period.end,
        at.round,
        rings_m=rings,
        per_municipality=per_municipality,
        period_days=period,
    )


def displacement(
    store: Store,
    *,
    from_round: str,
    to_round: str,
    before: Period,
    after: Period,
    buffer_m: float = config.RING_M,
    category: str | None = None,
    progress: Progress | None = None,
) -> DisplacementResult:
    """Displacement around the scenes that ceased between two rounds.

    The scenes of ``from_round`` that ceased by ``to_round`` (the fates of
    :func:`drugscenes.analysis.change.compare_rounds`) and the Weighted Displacement
    Quotient of each and of all together, with its reading in words
    (:func:`drugscenes.analysis.crime.displacement`).

    Raises
    ------
    UsageError
        The same round twice, ``before`` not ending before ``after`` starts, or a buffer
        that is not positive or beyond :data:`~drugscenes.config.RING_MAX_M`.
    NotFoundError
        No such round.
    DataError
        No incidents (of the category) in one of the periods.
    """
    step = progress or quiet
    buffer_m = check_number(buffer_m, "--buffer", high=config.RING_MAX_M)
    if from_round == to_round:
        raise UsageError(f"--from-round and --to-round are the same round ('{from_round}')")
    if before.last >= after.first:
        raise UsageError(f"--before ({before}) must end before --after ({after}) starts")
    scenes_a = store.round_scenes(from_round)
    scenes_b = store.round_scenes(to_round)
    municipalities = store.municipalities()
    step(f"comparing rounds {from_round} and {to_round}")
    from drugscenes.analysis.change import compare_rounds

    fates = compare_rounds(
        scenes_a, scenes_b, municipalities, from_round=from_round, to_round=to_round
    ).from_scenes
    ceased_ids = set(fates.loc[fates["status"] == "ceased", "scene_id"].astype(str))
    ceased = scenes_a[scenes_a["scene_id"].astype(str).isin(ceased_ids)]
    parts = []
    for label, period in (("before", before), ("after", after)):
        step(f"reading incidents {period}")
        incidents = read_period(store, period, ANALYSIS_COLUMNS, f"incidents ({label} period)")
        if category is not None and not (incidents["category"].astype(str) == category).any():
            raise DataError(
                f"no '{category}' incidents in the {label} period {period}; categories "
                f"there: {', '.join(categories_present(incidents))}"
            )
        parts.append(incidents)
    incidents = pd.concat(parts, ignore_index=True)
    all_scenes = gpd.GeoDataFrame(
        pd.concat([scenes_a[["scene_id", "geometry"]], scenes_b[["scene_id", "geometry"]]]),
        geometry="geometry",
        crs=scenes_a.crs,
    )
    step(f"counting {len(incidents):,} incidents around {len(ceased)} ceased scenes")
    return analysis.displacement(
        incidents,
        ceased,
        all_scenes,
        municipalities,
        before,
        after,
        buffer_m=buffer_m,
        category=category,
        from_round=from_round,
        to_round=to_round,
    )


def nearrepeat(
    store: Store,
    *,
    period: Period,
    category: str = config.NEARREPEAT_CATEGORY,
    space_bands_m: Sequence[float] = config.KNOX_SPACE_BANDS_M,
    time_bands_days: Sequence[float] = config.KNOX_TIME_BANDS_DAYS,
    permutations: int = config.KNOX_PERMUTATIONS,
    seed: int = 0,
    round_label: str | None = None,
    ring_m: float = config.RING_M,
    progress: Progress | None = None,
) -> NearRepeatResult:
    """Near repeats of a category's events in a period: the Knox test and, per scene of a
    round (default the latest), the events followed by another within the first bands
    (:func:`drugscenes.analysis.nearrepeat.near_repeat_analysis`).

    Raises
    ------
    UsageError
        A ring, a band or a number of permutations out of bounds
        (:data:`~drugscenes.config.RING_MAX_M`, :data:`~drugscenes.config.BAND_MAX_M`,
        :data:`~drugscenes.config.KNOX_MAX_PERMUTATIONS`), a negative seed; too many pairs
        of events for the bands (:func:`~drugscenes.analysis.nearrepeat.knox_bands`).
    NotFoundError, UsageError
        No such round; no rounds at all.
    DataError
        No incidents in the period, or fewer than two events of the category.
    """
    step = progress or quiet
    ring_m = check_number(ring_m, "--ring", high=config.RING_MAX_M)
    space_bands_m = check_numbers(space_bands_m, "--space-bands", high=config.BAND_MAX_M)
    time_bands_days = check_numbers(time_bands_days, "--time-bands", high=float("inf"), unit="days")
    permutations = int(
        check_number(
            permutations,
            "--simulations",
            low=1,
            low_included=True,
            high=config.KNOX_MAX_PERMUTATIONS,
            unit="permutations",
        )
    )
    if int(seed) < 0:
        raise UsageError(f"--seed: at least 0, got {seed}")
    at = _round_and_period(store, round_label, period, step)
    step(f"Monte Carlo: {permutations:,} permutations of the '{category}' event times")
    from drugscenes.analysis.nearrepeat import near_repeat_analysis

    result = near_repeat_analysis(
        at.incidents,
        at.scenes,
        period=period,
        round_label=at.round,
        municipalities=at.municipalities,
        category=category,
        space_bands_m=space_bands_m,
        time_bands_days=time_bands_days,
        permutations=permutations,
        seed=seed,
        ring_m=ring_m,
    )
    return replace(result, round_is_latest=at.latest)
