"""The evaluation job: did working scenes away reduce crime and unsafety around them?

:func:`evaluate` compares the scenes of round A that had ceased by round B with those that
persisted (:func:`~drugscenes.services.change.compare`), for crime over the whole incident
history (event study and difference in differences by PPML,
:func:`~drugscenes.analysis.evaluation.evaluate_crime`) and for perceived safety with a
survey year before and one after round B
(:func:`~drugscenes.analysis.evaluation.evaluate_survey`). Survey figures leave under
disclosure control: cells under :data:`~drugscenes.config.SURVEY_MIN_N` respondents give no
estimate, and the difference is published in whole percentage points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from drugscenes import config
from drugscenes.analysis.evaluation import (
    CrimeEvaluation,
    EffectEstimate,
    SurveyDiD,
    evaluate_crime,
    evaluate_survey,
    month_label,
)
from drugscenes.errors import DataError, DrugscenesError, UsageError
from drugscenes.services import change
from drugscenes.services.common import Progress, quiet, resolve_round
from drugscenes.store import Store

__all__ = ["EvaluationResult", "evaluate", "survey_years_around"]

DESIGN_NOTES = (
    "Scenes were not worked away at random: the agencies chose where to work, so a "
    "difference may partly reflect that choice rather than the work itself.",
    "When a scene ceased is known only to the round: the months between the two rounds are "
    "a transition with their own coefficient; 'after' starts with the first month after "
    "round B.",
    "The pre-trend test and the placebo check only the months before round A; a "
    "non-significant pre-trend does not prove that the groups would have moved in parallel.",
)
POLICE_ACTIVITY_NOTE = (
    "Drug offences are mostly found by police activity: more patrols at a worked-away scene "
    "record more of them, so their change measures policing as much as crime."
)


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    from_round, to_round : str
    from_date, to_date : str
        The rounds' dates (round B's is the event time).
    category : str or None
        The incident category evaluated; None: all categories except those measuring police
        activity (drug offences).
    crime : CrimeEvaluation
    survey : SurveyDiD
        Disclosure-controlled (whole percent) unless ``full_precision``.
    survey_protected : bool
    notes : tuple of str
    """

    from_round: str
    to_round: str
    from_date: str
    to_date: str
    category: str | None
    crime: CrimeEvaluation
    survey: SurveyDiD
    survey_protected: bool = True
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``crime`` and ``survey`` (see the command's documentation)."""
        return {
            "from_round": self.from_round,
            "to_round": self.to_round,
            "from_date": self.from_date,
            "to_date": self.to_date,
            "category": self.category if self.category is not None else "all but drug offences",
            "crime": _crime_dict(self.crime),
            "survey": _survey_dict(self.survey, self.survey_protected),
            "notes": list(self.notes),
        }


def _effect_dict(e: EffectEstimate | None) -> dict[str, Any] | None:
    return None if e is None else e.to_dict()


def _crime_dict(c: CrimeEvaluation) -> dict[str, Any]:
    m = c.main
    t = c.timing
    return {
        "rate_ratio": m.rate_ratio,
        "ci_low": m.ci_low,
        "ci_high": m.ci_high,
        "p_value": m.p_value,
        "coef": m.coef,
        "se": m.se,
        "n_ceased": c.n_ceased,
        "n_persisting": c.n_persisting,
        "n_ceased_used": m.n_treated,
        "n_persisting_used": m.n_control,
        "event_study": [e.to_dict() for e in c.event_study],
        "pretrend_p_value": c.pretrend_p_value,
        "pretrend_stat": c.pretrend_stat,
        "pretrend_df": c.pretrend_df,
        "first_month": c.first_month,
        "last_month": c.last_month,
        "event_month": None if t is None else month_label(t.event),
        "reference_month": None if t is None else month_label(t.reference),
        "between_rounds": _effect_dict(c.transition),
        "placebo": _effect_dict(c.placebo),
        "displacement": {
            "ring": _effect_dict(c.ring),
            "rest_of_municipality": _effect_dict(c.rest_of_municipality),
        },
        "monthly": c.monthly.to_dict(orient="records"),
        "reason": c.reason or m.reason,
        "notes": list(c.notes),
    }


def _survey_dict(s: SurveyDiD, protected: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "difference": s.difference,
        "ci_low": s.ci_low,
        "ci_high": s.ci_high,
        "se": s.se,
        "df": s.df,
        "years": list(s.years),
        "within_year_differences": [d for d, _ in s.within],
        "protected": protected,
    }
    if not protected:
        data["cells"] = [vars(c) for c in s.cells]
    if s.reason is not None:
        data["reason"] = s.reason
    return data


def survey_years_around(years: Sequence[int], date_b: str) -> tuple[int | None, int | None]:
    """The latest survey year wholly before round B's date and the earliest wholly after it.

    A year containing round B's date is neither: its respondents answered partly before,
    partly after the scenes had ceased.

    Examples
    --------
    >>> survey_years_around([2022, 2023, 2024, 2025], "2024-02-01")
    (2023, 2025)
    >>> survey_years_around([2023], "2024-02-01")
    (2023, None)
    """
    before = [y for y in years if f"{int(y):04d}-12-31" < date_b]
    after = [y for y in years if f"{int(y):04d}-01-01" > date_b]
    return (max(before) if before else None, min(after) if after else None)


def evaluate(
    store: Store,
    *,
    from_round: str,
    to_round: str,
    category: str | None = None,
    rings_m: Sequence[float] = (config.RING_M,),
    near_m: float = config.NEAR_BAND_M,
    min_n: int = config.SURVEY_MIN_N,
    placebo_months: int = config.EVALUATION_PLACEBO_MONTHS,
    survey_years: tuple[int, int] | None = None,
    full_precision: bool = False,
    level: float = 0.95,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Did working scenes away help? Crime and unsafety at worked-away vs persisting scenes.

    Parameters
    ----------
    store : Store
        The workspace; survey microdata are read when there are any and the store allows it
        (otherwise the survey part has a ``reason``).
    from_round, to_round : str
        Rounds A and B (A earlier); scenes of A that ceased by B are the worked-away ones.
    category : str, optional
        Incident category; default all except those measuring police activity.
    rings_m : sequence of float
        Rings of a scene's area (the crime job's default 200 m).
    near_m : float
        "Near" distance of the survey part.
    min_n : int
        Fewest respondents per cell; below the county's policy only with ``full_precision``.
    placebo_months : int
        Months by which the placebo event precedes the real one.
    survey_years : (int, int), optional
        The survey years before and after round B; default :func:`survey_years_around`.
    full_precision : bool
        Survey figures unrounded (for the holder of the microdata, not for publication).
    level : float
        Confidence level.
    progress : callable, optional

    Raises
    ------
    UsageError
        Fewer than two rounds, the same round twice, rounds in the wrong order, a round
        without a date, an unknown category.
    NotFoundError
        No such round.
    DataError
        No scene ceased between the rounds, or none persisted.
    """
    step = progress or quiet
    labels = store.round_labels()
    if len(labels) < 2:
        raise UsageError(
            f"evaluate needs two mapping rounds; {store.target} has {len(labels)} "
            "(import another with 'drugscenes import scenes')"
        )
    if from_round == to_round:
        raise UsageError(f"--from-round and --to-round are the same round ('{from_round}')")
    for label in (from_round, to_round):
        resolve_round(store, label)
    if labels.index(from_round) > labels.index(to_round):
        raise UsageError(f"round {from_round} is later than {to_round}; give the earlier first")
    dates = []
    for label in (from_round, to_round):
        record = store.round_record(label)
        if record is None or not record.date:
            raise UsageError(
                f"round {label} has no date; the evaluation needs the rounds' dates "
                "(re-import it with --date)"
            )
        dates.append(str(record.date)[:10])
    if not full_precision and min_n < config.SURVEY_MIN_N:
        raise UsageError(
            f"--min-n: published survey figures need at least {config.SURVEY_MIN_N} "
            f"respondents per cell, got {min_n}"
        )
    compared = change.compare(
        store, from_round=from_round, to_round=to_round, check_hotspots=False, progress=step
    )
    status = compared.comparison.from_scenes["status"].to_numpy()
    n_ceased, n_persisting = int((status == "ceased").sum()), int((status == "persisting").sum())
    if n_ceased == 0:
        raise DataError(
            f"no scene of round {from_round} ceased by round {to_round}: nothing to evaluate"
        )
    if n_persisting == 0:
        raise DataError(
            f"no scene of round {from_round} persisted to {to_round}: no comparison group"
        )
    scenes = compared.before
    step("reading the incident history")
    notes = list(DESIGN_NOTES)
    if category is None:
        incidents = _history(store)
    else:
        incidents = store.read_incidents(
            None, None, ["time", "category", "x", "y", "police_activity"]
        )
        known = sorted(set(incidents["category"].astype(str)))
        if known and category not in known:
            raise UsageError(
                f"--category: no incidents of '{category}' (categories: {', '.join(known)})"
            )
        sel = incidents["category"].astype(str) == category
        if incidents.loc[sel, "police_activity"].astype(bool).any():
            notes.append(POLICE_ACTIVITY_NOTE)
        incidents = incidents.loc[sel.to_numpy(), ["time", "x", "y"]]
    step(f"fitting the crime model on {len(incidents):,} incidents")
    crime = evaluate_crime(
        incidents.reset_index(drop=True),
        scenes,
        status,
        store.municipalities(),
        dates[0],
        dates[1],
        rings_m=rings_m,
        placebo_months=placebo_months,
        level=level,
    )
    step("estimating the change in perceived safety")
    survey = _survey_part(
        store, scenes, status, dates[1], survey_years, near_m, min_n, level, full_precision
    )
    return EvaluationResult(
        from_round=from_round,
        to_round=to_round,
        from_date=dates[0],
        to_date=dates[1],
        category=category,
        crime=crime,
        survey=survey,
        survey_protected=not full_precision,
        notes=tuple(notes),
    )


def _history(store: Store) -> pd.DataFrame:
    """``time``, ``x``, ``y`` of every incident not measuring police activity.

    Read as an Arrow table (categories stay codes) and filtered column by column: the
    whole history of a country is tens of millions of rows, and a frame with every column
    and its filtered copy took about 250 bytes an incident."""
    table = store.read_incident_table(None, None, ["time", "x", "y", "police_activity"])
    police = table["police_activity"].to_pandas().astype(bool).to_numpy()  # as the frame's
    keep = np.flatnonzero(~police)
    del police
    time = table["time"].to_pandas().iloc[keep].reset_index(drop=True)
    x = table["x"].to_numpy()[keep]
    y = table["y"].to_numpy()[keep]
    del table
    return pd.DataFrame({"time": time, "x": x, "y": y})


def _survey_part(
    store: Store,
    scenes: Any,
    status: np.ndarray,
    date_b: str,
    years: tuple[int, int] | None,
    near_m: float,
    min_n: int,
    level: float,
    full_precision: bool,
) -> SurveyDiD:
    try:
        stored = store.survey_years()
    except DrugscenesError as exc:
        return SurveyDiD((), reason=f"no survey microdata available: {exc}")
    if years is None:
        before, after = survey_years_around(stored, date_b)
        if before is None or after is None:
            have = ", ".join(str(y) for y in stored) or "none"
            side = "before" if before is None else "after"
            return SurveyDiD(
                tuple(y for y in (before, after) if y is not None),
                reason=f"no survey year wholly {side} round B's date {date_b} "
                f"(survey years: {have}); two years are needed, one on each side",
            )
        years = (before, after)
    missing = [y for y in years if y not in stored]
    if missing:
        raise UsageError(f"no survey of {missing[0]} (survey years: {stored})")
    result = evaluate_survey(
        store.read_survey(years[0]),
        store.read_survey(years[1]),
        (int(years[0]), int(years[1])),
        scenes,
        status,
        near_m=near_m,
        min_n=min_n,
        level=level,
    )
    if full_precision:
        return result
    return _rounded(result)


def _rounded(s: SurveyDiD) -> SurveyDiD:
    """Whole percentage points (two decimals of a fraction); SE to one more; no cells."""

    def r(v: float | None, digits: int = 2) -> float | None:
        return None if v is None else round(float(v), digits)

    return replace(
        s,
        difference=r(s.difference),
        ci_low=r(s.ci_low),
        ci_high=r(s.ci_high),
        se=r(s.se, 3),
        df=r(s.df, 1),
        within=tuple((r(d) or 0.0, r(e, 3) or 0.0) for d, e in s.within),
        cells=(),
    )
