"""The survey job: perceived safety by distance to the scenes of a round."""

from __future__ import annotations

from collections.abc import Sequence

from drugscenes import config
from drugscenes.analysis.survey import SurveyResult, survey_estimates
from drugscenes.services.common import Progress, quiet, resolve_round
from drugscenes.stats.survey_design import DEFAULT_METHOD, IntervalMethod
from drugscenes.store import Store


def survey(
    store: Store,
    *,
    round_label: str,
    year: int,
    band_edges_m: Sequence[float] = config.SURVEY_BAND_EDGES_M,
    min_n: int = config.SURVEY_MIN_N,
    method: IntervalMethod = DEFAULT_METHOD,
    progress: Progress | None = None,
) -> SurveyResult:
    """Weighted share feeling unsafe by distance band, region and municipality.

    Reads the survey microdata (SurveyAccessError without the right to) and returns
    only aggregates, with small groups suppressed
    (:func:`drugscenes.analysis.survey.survey_estimates`).
    """
    step = progress or quiet
    label, _ = resolve_round(store, round_label)
    respondents = store.read_survey(year)
    scenes = store.round_scenes(label)
    step(f"estimating from {len(respondents):,} respondents")
    return survey_estimates(
        respondents,
        scenes,
        store.municipalities(),
        round_label=label,
        year=year,
        band_edges_m=band_edges_m,
        min_n=min_n,
        method=method,
    )
