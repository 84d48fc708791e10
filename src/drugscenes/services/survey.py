"""The survey job: perceived safety by distance to the scenes, under disclosure control.

Every figure leaving this module is protected (:mod:`drugscenes.analysis.disclosure`):
band edges on the published grid and moved to atom boundaries, complementary suppression,
whole percent; a survey year is published against the scenes of its own round only, so
that two rounds' distance bands cannot be differenced either. ``full_precision`` skips
all of it, for the holder of the microdata, and marks the result as not for publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from drugscenes import config
from drugscenes.analysis.disclosure import atom_edges, round_result, snap_edges, to_grid
from drugscenes.analysis.survey import (
    DistanceTrend,
    SurveyResult,
    nearest_scene_distance,
    survey_estimates,
)
from drugscenes.errors import UsageError
from drugscenes.services.common import Progress, quiet, resolve_round
from drugscenes.services.scope import MunicipalityScope
from drugscenes.stats.survey_design import DEFAULT_METHOD, IntervalMethod
from drugscenes.store import Store


def survey_round(store: Store, year: int) -> str:
    """The round a survey year is published against: the latest one mapped by the end of
    that year (a round without a date counts at the end of its label's year), else the
    earliest round.

    Raises UsageError when the workspace has no rounds.
    """
    rounds = store.rounds()
    if rounds.empty:
        resolve_round(store, None)  # raises the "no rounds yet" message
    label = rounds["label"].astype(str)
    day = rounds["date"].where(
        rounds["date"].notna(), label.where(label.str.fullmatch(r"\d{4}"), None) + "-12-31"
    )
    known = day.notna() & (day.astype(str) <= f"{int(year)}-12-31")
    return str(label[known].iloc[-1]) if known.any() else str(label.iloc[0])


def survey(
    store: Store,
    *,
    year: int,
    round_label: str | None = None,
    band_edges_m: Sequence[float] = config.SURVEY_BAND_EDGES_M,
    min_n: int = config.SURVEY_MIN_N,
    method: IntervalMethod = DEFAULT_METHOD,
    full_precision: bool = False,
    progress: Progress | None = None,
) -> SurveyResult:
    """Weighted share feeling unsafe by distance band, region and municipality.

    Parameters
    ----------
    store : Store
        The workspace (its survey microdata are read: SurveyAccessError without the right);
        a :class:`~drugscenes.services.scope.MunicipalityScope` gives that municipality's
        figure as the county's protected result shows it.
    year : int
        Survey year.
    round_label : str, optional
        The round whose scenes give the distances; default and, for protected output,
        the only one allowed: the year's own round (:func:`survey_round`).
    band_edges_m : sequence of float
        Requested upper band edges; protected output publishes the nearest safe ones
        (``disclosure`` in the result says which).
    min_n : int
        Suppression threshold; protected output refuses one below the county's policy
        (:data:`~drugscenes.config.SURVEY_MIN_N`).
    method : {"beta", "logit", "wald"}
        Interval method.
    full_precision : bool
        No disclosure control: for the holder of the microdata, not for publication.
    """
    step = progress or quiet
    if isinstance(store, MunicipalityScope):
        return _municipality_view(store, year, band_edges_m, min_n, method, step)
    own = survey_round(store, year)
    label = resolve_round(store, round_label)[0] if round_label is not None else own
    if not full_precision:
        if min_n < config.SURVEY_MIN_N:
            raise UsageError(
                f"--min-n: published survey figures need at least {config.SURVEY_MIN_N} "
                f"respondents per group, got {min_n} (the holder of the microdata can work "
                "at full precision with --full-precision, not for publication)"
            )
        if label != own:
            raise UsageError(
                f"--round: the survey of {year} is published against the scenes of its own "
                f"round, {own} (comparing rounds on one survey could single out the people "
                "near the scenes that differ); use --round "
                f"{own}, or --full-precision as the holder of the microdata"
            )
    respondents = store.read_survey(year)
    scenes = store.round_scenes(label)
    step(f"estimating from {len(respondents):,} respondents")
    edges = [float(e) for e in band_edges_m]
    disclosure: dict[str, object] = {"protected": not full_precision, "requested_edges_m": edges}
    distance = None
    if not full_precision:
        grid = to_grid(edges, config.SURVEY_BAND_GRID_M)
        x = respondents["x"].to_numpy(float)
        y = respondents["y"].to_numpy(float)
        answered = pd.to_numeric(respondents["unsafe"], errors="coerce").notna().to_numpy()
        distance = nearest_scene_distance(x, y, scenes)  # once: the estimates reuse it
        atoms = atom_edges(
            distance,
            answered,
            grid_m=config.SURVEY_BAND_GRID_M,
            min_n=config.SURVEY_MIN_N,
            max_m=config.SURVEY_BAND_MAX_M,
        )
        edges = snap_edges(grid, atoms)
        disclosure |= {
            "grid_m": config.SURVEY_BAND_GRID_M,
            "published_edges_m": edges,
            "rounded_to": "whole percent",
        }
    result = survey_estimates(
        respondents,
        scenes,
        store.municipalities(),
        round_label=label,
        year=year,
        band_edges_m=edges,
        min_n=min_n,
        method=method,
        distance=distance,
    )
    if full_precision:
        note = "Full precision, no disclosure control: for the holder of the microdata only."
        return replace(result, disclosure=disclosure, notes=(*result.notes, note))
    note = (
        "Disclosure control: band edges on a "
        f"{config.SURVEY_BAND_GRID_M:g} m grid, moved where needed so that any two bands "
        f"differ by at least {config.SURVEY_MIN_N} respondents; shares in whole percent."
    )
    if edges != to_grid(band_edges_m, config.SURVEY_BAND_GRID_M):
        moved = ", ".join(f"{e:g}" for e in edges) or "none (too few respondents)"
        note += f" Band edges published: {moved} m."
    return round_result(replace(result, disclosure=disclosure, notes=(*result.notes, note)))


def _municipality_view(
    scope: MunicipalityScope,
    year: int,
    band_edges_m: Sequence[float],
    min_n: int,
    method: IntervalMethod,
    step: Progress,
) -> SurveyResult:
    """A municipality's figure exactly as the county's protected result shows it.

    Distance bands are published for the county only: a municipality's own bands could be
    differenced against the county's bands down to a handful of people.
    """
    county = survey(
        scope.unscoped,
        year=year,
        band_edges_m=band_edges_m,
        min_n=min_n,
        method=method,
        progress=step,
    )
    mine = [m for m in county.municipalities if m.code == scope.code]
    if not mine:
        raise UsageError(f"municipality {scope.code} has no survey figure for {year}")
    trend = DistanceTrend(
        None, None, None, county.trend.df, mine[0].n, False, "published for the county only"
    )
    note = (
        "Distance bands are published for the county only; the municipality's figure is "
        "the one in the county's table (suppressed there, suppressed here)."
    )
    return replace(
        county,
        region=replace(mine[0], diff_vs_region=None, diff_ci_low=None, diff_ci_high=None),
        bands=(),
        municipalities=tuple(mine),
        trend=trend,
        notes=(*county.notes, note),
    )
