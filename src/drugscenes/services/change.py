"""Change between mapping rounds: :func:`compare` two rounds, the :func:`history` of places.

:func:`compare` matches two rounds (:func:`~drugscenes.analysis.change.compare_rounds`)
and, when incidents are stored, backs "no new scenes elsewhere" with data: hot areas
outside the later round's registry, far from every ceased scene, in the twelve months
before the later round (:func:`~drugscenes.analysis.hotspots.registry_check`).

:func:`history` chains every round's scenes into places; it reads the history the store
keeps and recomputes it (without writing) when it is missing or out of date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from drugscenes import config
from drugscenes.analysis.change import MatchParameters, RoundComparison, compare_rounds
from drugscenes.analysis.history import scene_history, summarize_history
from drugscenes.analysis.hotspots import RegistryCheck, registry_check
from drugscenes.errors import DataError, NotFoundError, UsageError
from drugscenes.periods import FIRST_YEAR, LAST_YEAR, Period
from drugscenes.services.common import Progress, check_number, quiet
from drugscenes.store import Store

__all__ = ["CompareResult", "HistoryResult", "compare", "history"]

_CHECK_COLUMNS = ["time", "category", "x", "y"]


@dataclass(frozen=True, eq=False)
class CompareResult:
    """Two rounds compared (result of :func:`compare`).

    Attributes
    ----------
    comparison : RoundComparison
        Counts, fates, areas and displacement of the two rounds.
    hotspot_check : RegistryCheck or None
        Hot areas outside the later round's registry and those of them far from every
        ceased scene; None when the check was not asked for, no incidents are stored, or
        none fall in the period (``notes`` says which).
    before, after : GeoDataFrame
        The earlier and the later round's scenes as compared (for map layers:
        :func:`drugscenes.io.gpkg_export.write_change_gpkg`).
    notes : tuple of str
        Messages for the reader, e.g. why there is no hot-spot check.
    """

    comparison: RoundComparison
    hotspot_check: RegistryCheck | None
    before: gpd.GeoDataFrame
    after: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The comparison's keys plus ``hotspot_check`` (None without a check)."""
        data = self.comparison.to_dict()
        check = self.hotspot_check
        data["hotspot_check"] = None if check is None else check.to_dict()
        return data


def compare(
    store: Store,
    *,
    from_round: str,
    to_round: str,
    distance_m: float = config.DISPLACEMENT_DISTANCE_M,
    check_hotspots: bool = True,
    period: Period | None = None,
    progress: Progress | None = None,
) -> CompareResult:
    """Compare two mapping rounds: ceased, new, merged, split, area change, displacement.

    Parameters
    ----------
    store : Store
        An open workspace.
    from_round, to_round : str
        Labels of the earlier and the later round.
    distance_m : float
        A new scene within this distance of a ceased or shrunk scene is possible
        displacement; also the distance beyond which a hot area counts as "elsewhere".
    check_hotspots : bool
        Run the hot-spot check of the registry when incidents are stored.
    period : Period, optional
        Incidents of the check; default the twelve months before ``to_round``
        (:meth:`Period.before_round <drugscenes.periods.Period.before_round>`).
    progress : callable, optional
        Told what the job is doing.

    Raises
    ------
    UsageError
        The same round twice, or a distance beyond :data:`~drugscenes.config.RING_MAX_M`.
    NotFoundError
        No such round.

    Notes
    -----
    The comparison never fails for the sake of the hot-spot check: when the later round
    has no date (nor a year as its label) or a stored date out of range, or the period
    holds no incident of the check's categories inside the region, ``notes`` says so and
    ``hotspot_check`` is None.
    """
    step = progress or quiet
    distance_m = check_number(distance_m, "--distance", low_included=True, high=config.RING_MAX_M)
    if from_round == to_round:
        raise UsageError(f"FROM and TO are the same round ('{from_round}'); give two rounds")
    step(f"reading rounds {from_round} and {to_round}")
    before = store.round_scenes(from_round)
    after = store.round_scenes(to_round)
    municipalities = store.municipalities()
    step("matching the rounds")
    comparison = compare_rounds(
        before,
        after,
        municipalities,
        from_round=from_round,
        to_round=to_round,
        params=MatchParameters(displacement_m=distance_m),
    )
    check: RegistryCheck | None = None
    notes: list[str] = []
    if check_hotspots and store.count_incidents() > 0:
        try:
            days = period or _before(store, to_round)
        except UsageError as exc:  # no date, or one out of range: compare without the check
            notes.append(f"no hot-spot check: {exc}")
            return CompareResult(comparison, None, before, after, tuple(notes))
        step(f"reading incidents {days}")
        incidents = store.read_incidents(days.start, days.end, _CHECK_COLUMNS)
        if incidents.empty:
            notes.append(f"no incidents {days}: no hot-spot check")
        else:
            step("checking the registry against hot spots")
            try:
                check = registry_check(
                    incidents,
                    municipalities,
                    after,
                    comparison.ceased_scenes(before),
                    days.start,
                    days.end,
                    distance_m,
                    to_round,
                )
            except DataError as exc:  # e.g. none of the check's categories in the period
                notes.append(f"no hot-spot check {days}: {exc}")
            else:
                if check.analysis.cell_m != config.GRID_CELL_M:
                    notes.append(
                        f"hot-spot check {days} on cells of {check.analysis.cell_m:g} m: the "
                        f"region and the period are too large for {config.GRID_CELL_M:g} m "
                        "cells within the memory bounds"
                    )
    return CompareResult(comparison, check, before, after, tuple(notes))


def _before(store: Store, label: str) -> Period:
    """The twelve months before a round (its hot-spot check period); a UsageError saying
    why there are none (no date, or a stored date out of range)."""
    record = store.round_record(label)
    date = record.date if record is not None else None
    try:
        return Period.before_round(label, date)
    except UsageError:
        years = f"{FIRST_YEAR}–{LAST_YEAR}"
        what = (
            f"the date {date!r}, no day of {years}"
            if date
            else "no date"
            if not label.isdigit()
            else f"no date and its label is no year of {years}"
        )
        raise UsageError(
            f"round '{label}' has {what}, so there are no twelve months before it to check"
        ) from None


@dataclass(frozen=True, eq=False)
class HistoryResult:
    """The history of scene places (result of :func:`history`).

    Attributes
    ----------
    rounds : list of str
        All round labels in chronological order.
    places : DataFrame
        One row per place (:func:`~drugscenes.analysis.history.summarize_history`), only
        the asked-for place with ``scene_id``.
    observations : DataFrame or None
        With ``scene_id``: the place's scene observations (columns of
        :data:`~drugscenes.analysis.history.HISTORY_COLUMNS`); None otherwise.
    recomputed : bool
        The stored history was missing or out of date and was computed now (not written).
    """

    rounds: list[str]
    places: pd.DataFrame
    observations: pd.DataFrame | None = None
    recomputed: bool = False

    @property
    def n_came_back(self) -> int:
        """Places that ceased for at least one round and came back."""
        return int(self.places["came_back"].sum()) if len(self.places) else 0

    def rounds_of_scenes(self) -> dict[str, list[str]]:
        """The rounds each scene id's place is present in (a scene id of several places:
        its first place's rounds)."""
        out: dict[str, list[str]] = {}
        for ids, present in zip(
            self.places["scene_ids"], self.places["rounds_present"], strict=True
        ):
            for sid in ids:
                out.setdefault(str(sid), list(present))
        return out

    def to_dict(self) -> dict[str, Any]:
        """``rounds``, ``places`` and, for one place, ``observations``."""
        data: dict[str, Any] = {
            "rounds": list(self.rounds),
            "places": self.places.to_dict("records"),
        }
        if self.observations is not None:
            data["observations"] = self.observations.to_dict("records")
        return data


def history(
    store: Store, *, scene_id: str | None = None, present_in: Sequence[str] | None = None
) -> HistoryResult:
    """History of every scene place across all rounds: first and last round, gaps, areas.

    Parameters
    ----------
    store : Store
        An open workspace.
    scene_id : str, optional
        Only the place that carried this scene id (or has this place id), with its
        observations.
    present_in : sequence of str, optional
        Only the places present in at least one of these rounds (the report: the places of
        the rounds it reports on).

    Raises
    ------
    NotFoundError
        ``scene_id`` is no scene or place of the history.
    """
    labels = store.round_labels()
    table = store.scene_history()
    # Missing, or not of exactly the stored rounds (written without a history): recompute.
    recomputed = bool(labels) and set(table["round"].astype(str)) != set(labels)
    if recomputed:
        table = scene_history([(label, store.round_scenes(label)) for label in labels])
    places = summarize_history(table, labels)
    if present_in is not None and len(places):
        wanted = set(present_in)
        places = places[places["rounds_present"].map(lambda r: bool(wanted & set(r)))]
        places = places.reset_index(drop=True)
    if scene_id is None:
        return HistoryResult(labels, places, None, recomputed)
    hit = places["place_id"].eq(scene_id) | places["scene_ids"].map(lambda ids: scene_id in ids)
    if not hit.any():
        raise NotFoundError(f"no scene or place '{scene_id}' in the history of {store.target}")
    places = places[hit]
    observations = table[table["place_id"].isin(places["place_id"])]
    return HistoryResult(labels, places, observations, recomputed)
