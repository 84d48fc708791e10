"""The report job: run every job of a round on the reported scope and render the results.

:func:`report` resolves the rounds and the period, restricts the workspace to one
municipality when asked (:func:`~drugscenes.services.scope.municipality_scope`), runs
:func:`~drugscenes.services.workspace.inventory`,
:func:`~drugscenes.services.change.compare` (with its hot-spot check: the candidate
scenes), :func:`~drugscenes.services.change.history`,
:func:`~drugscenes.services.crime.crime`, :func:`~drugscenes.services.survey.survey` and,
with an earlier round, :func:`~drugscenes.services.evaluate.evaluate` (the worked-away
scenes of the earlier round against those that persisted), adds the report's story
(:class:`~drugscenes.analysis.story.ReportStory`: the region's name, every municipality
with a total, the rounds over time, the changes by scene name, and the candidate areas
split into crime remaining where scenes were worked away and new candidate places),
collects it all in a :class:`~drugscenes.report.model.ReportData` and hands it to the
renderer. The report
therefore shows exactly the figures the commands print. A job whose data is missing (no
earlier round, no incidents in the period, no survey, no right to read it, no scene
worked away) leaves its section out with the reason.
"""

from __future__ import annotations

from pathlib import Path

from drugscenes import config
from drugscenes.analysis.crime import CrimeResult
from drugscenes.analysis.hotspots.candidates import classify_candidates
from drugscenes.analysis.story import (
    ReportStory,
    category_counts,
    is_synthetic,
    municipality_table,
    named_changes,
    region_name,
    rounds_series,
)
from drugscenes.analysis.survey import SurveyResult
from drugscenes.errors import DataError, DrugscenesError, UsageError
from drugscenes.periods import Period
from drugscenes.report.build import render
from drugscenes.report.i18n import LANGS
from drugscenes.report.model import (
    CrimeAtScenes,
    ReportData,
    ReportOptions,
    ReportOutput,
    Unavailable,
)
from drugscenes.services import change
from drugscenes.services import crime as crime_job
from drugscenes.services import evaluate as evaluate_job
from drugscenes.services import survey as survey_job
from drugscenes.services.common import Progress, previous_round, quiet, resolve_round, round_period
from drugscenes.services.scope import MunicipalityScope, municipality_scope
from drugscenes.services.workspace import InventoryResult, inventory
from drugscenes.store import Store

__all__ = [
    "ReportData",
    "ReportOptions",
    "ReportOutput",
    "crime_at_scenes",
    "gather",
    "report",
    "story",
]


def report(
    store: Store,
    out_dir: str | Path,
    *,
    options: ReportOptions,
    progress: Progress | None = None,
) -> ReportOutput:
    """Write ``report.html``, ``report.xlsx`` and ``scenes.gpkg`` into ``out_dir``.

    The folder is created if needed. ``options`` name the round, the comparison, the
    period, the survey year, the municipality and the language; ``progress`` is told what
    the job is doing. Returns the files written and the :class:`ReportData` they show.

    Raises
    ------
    UsageError
        An unknown language; no rounds; a round without a date and no period.
    NotFoundError
        No such round or municipality.
    """
    data = gather(store, options=options, progress=progress)
    return render(data, out_dir, progress=progress)


def gather(store: Store, *, options: ReportOptions, progress: Progress | None = None) -> ReportData:
    """The results a report shows (see :func:`report`), without writing anything."""
    step = progress or quiet
    if options.lang not in LANGS:
        raise UsageError(f"--lang must be one of {', '.join(LANGS)}, got {options.lang!r}")
    step("reading the workspace")
    scoped = municipality_scope(store, options.municipality)
    municipality = (scoped.code, scoped.name) if isinstance(scoped, MunicipalityScope) else None
    rnd, _ = resolve_round(scoped, options.round)
    earlier = _earlier_round(scoped, rnd, options.compare)
    period = round_period(scoped, rnd, options.period)
    missing: dict[str, Unavailable] = {}

    step("inventory of the round")
    inv = inventory(scoped, round_label=rnd)
    compared: change.CompareResult | None = None
    if earlier is None:
        missing["change"] = missing["candidates"] = Unavailable("no_comparison")
    else:
        compared = _compare(scoped, earlier, rnd, period, missing, step)
    places = change.history(scoped, present_in=[rnd] if earlier is None else [rnd, earlier])
    crime = _crime(scoped, rnd, period, missing, step, has_scenes=inv.inventory.n_scenes > 0)
    year, survey = _survey(scoped, options, missing, step)
    evaluation = _evaluate(scoped, earlier, rnd, compared, options.min_n, missing, step)
    step("the report's story")
    told = story(store, scoped, rnd, earlier, inv, compared, period, with_crime=crime is None)
    return ReportData(
        options=options,
        round=rnd,
        compare=earlier,
        period=period,
        municipality=municipality,
        municipalities=scoped.municipalities(),
        rounds=scoped.rounds(),
        scenes=scoped.round_scenes(rnd) if compared is None else compared.after,
        inventory=inv,
        change=compared,
        history=places,
        crime=crime,
        crime_at_scenes={} if crime is None else crime_at_scenes(crime),
        survey=survey,
        survey_year=year,
        missing=missing,
        evaluation=evaluation,
        story=told,
    )


def story(
    store: Store,
    scoped: Store,
    rnd: str,
    earlier: str | None,
    inv: InventoryResult,
    compared: change.CompareResult | None,
    period: Period,
    *,
    with_crime: bool = False,
) -> ReportStory:
    """The report's story on the reported scope (:class:`~drugscenes.analysis.story.ReportStory`).

    Parameters
    ----------
    store : Store
        The whole workspace (its metadata and municipality names).
    scoped : Store
        The reported scope: ``store`` itself or a municipality's view of it.
    rnd, earlier : str, str or None
        The round reported on and the round it is compared with.
    inv : InventoryResult
        The round's inventory on the scope.
    compared : CompareResult or None
        The comparison with its hot-spot check.
    period : Period
        The days of the crime figures.
    with_crime : bool
        Count the period's incidents by category (for a scope where the crime job has no
        scenes to work with).
    """
    munis = store.municipalities()
    muni_names = dict(zip(munis["code"].astype(str), munis["name"].astype(str), strict=True))
    comparison = None if compared is None else compared.comparison
    rows, total = municipality_table(
        inv.inventory.by_municipality, None if comparison is None else comparison.by_municipality
    )
    rounds = scoped.rounds()
    dates = dict(zip(rounds["label"].astype(str), rounds["date"], strict=True))
    series = rounds_series(
        (inventory(scoped, round_label=label).inventory for label in scoped.round_labels()), dates
    )
    names: dict[str, str] = {}
    changes = None
    candidates = None
    if compared is not None and comparison is not None:
        for frame in (compared.before, compared.after):
            names |= {
                str(i): (n if isinstance(n, str) else "")
                for i, n in zip(frame["scene_id"], frame["name"], strict=True)
            }
        changes = named_changes(comparison.scenes, names, muni_names)
        check = compared.hotspot_check
        if check is not None and check.story is not None:
            candidates = check.story  # classified by the check (analysis.registry_check)
        elif check is not None:
            candidates = classify_candidates(
                check.analysis.candidates,
                comparison.ceased_scenes(compared.before),
                check.distance_m,
                scenes=compared.after,
                municipalities=munis,
            )
    else:
        after = scoped.round_scenes(rnd)
        names = {
            str(i): (n if isinstance(n, str) else "")
            for i, n in zip(after["scene_id"], after["name"], strict=True)
        }
    counts = None
    if with_crime and not inv.inventory.n_scenes:
        incidents = scoped.read_incidents(period.start, period.end, ["category"])
        counts = category_counts(incidents["category"]) if len(incidents) else None
    return ReportStory(
        region_name=region_name(store.metadata(), munis["code"]),
        synthetic=is_synthetic(store.metadata()),
        municipality=(scoped.code, scoped.name) if isinstance(scoped, MunicipalityScope) else None,
        round=rnd,
        compare=earlier,
        municipalities=rows,
        municipality_total=total,
        rounds=series,
        changes=changes,
        candidates=candidates,
        scene_names=names,
        crime_counts=counts,
    )


def crime_at_scenes(result: CrimeResult) -> dict[str, CrimeAtScenes]:
    """Each category's share of the region's incidents in the scenes or their rings (every
    zone but the rest of the region), against the share of the area they cover."""
    out: dict[str, CrimeAtScenes] = {}
    for row in result.concentration:
        if row.zone == "rest" or row.zone.startswith("rest:"):
            continue
        prev = out.get(row.category)
        if prev is None:
            out[row.category] = CrimeAtScenes(
                row.category, row.share_of_incidents, row.share_of_area
            )
            continue
        share = (
            None
            if prev.share_of_incidents is None or row.share_of_incidents is None
            else prev.share_of_incidents + row.share_of_incidents
        )
        out[row.category] = CrimeAtScenes(
            row.category, share, prev.share_of_area + row.share_of_area
        )
    return out


def _earlier_round(store: Store, rnd: str, given: str | None) -> str | None:
    """``given`` (checked: another round), else the round before ``rnd``, else None."""
    if given is not None:
        earlier = resolve_round(store, given)[0]
        if earlier == rnd:
            raise UsageError(
                f"--compare: '{given}' is the same round as the one reported (--round, default "
                "the latest); give another round, or leave --compare out for the round before"
            )
        return earlier
    return previous_round(store, rnd)


def _compare(
    store: Store,
    earlier: str,
    rnd: str,
    period: Period,
    missing: dict[str, Unavailable],
    step: Progress,
) -> change.CompareResult:
    """The comparison with its hot-spot check; without the check when that is refused."""
    params = dict(
        from_round=earlier,
        to_round=rnd,
        distance_m=config.DISPLACEMENT_DISTANCE_M,
        period=period,
        progress=step,
    )
    try:
        result = change.compare(store, check_hotspots=True, **params)  # type: ignore[arg-type]
    except UsageError:
        raise
    except DrugscenesError as exc:
        result = change.compare(store, check_hotspots=False, **params)  # type: ignore[arg-type]
        missing["candidates"] = Unavailable("error", str(exc))
        return result
    if result.hotspot_check is None:
        missing["candidates"] = Unavailable("no_incidents")
    return result


def _crime(
    store: Store,
    rnd: str,
    period: Period,
    missing: dict[str, Unavailable],
    step: Progress,
    *,
    has_scenes: bool = True,
) -> CrimeResult | None:
    """The crime job; None with the reason in ``missing["crime"]`` when it cannot run (no
    scene on the scope: the story then counts the period's incidents instead)."""
    if not has_scenes:
        empty = store.read_incidents(period.start, period.end, ["x", "y"]).empty
        missing["crime"] = Unavailable("no_incidents" if empty else "no_scenes")
        return None
    try:
        return crime_job.crime(
            store, round_label=rnd, period=period, rings_m=(config.RING_M,), progress=step
        )
    except DataError as exc:
        empty = store.read_incidents(period.start, period.end, ["x", "y"]).empty
        missing["crime"] = Unavailable("no_incidents") if empty else Unavailable("error", str(exc))
        return None


def _survey(
    store: Store,
    options: ReportOptions,
    missing: dict[str, Unavailable],
    step: Progress,
) -> tuple[int | None, SurveyResult | None]:
    try:
        years = store.survey_years()
    except DrugscenesError as exc:
        missing["survey"] = Unavailable("error", str(exc))
        return options.survey_year, None
    year = options.survey_year if options.survey_year is not None else max(years, default=None)
    if year is None or year not in years:
        missing["survey"] = Unavailable("no_survey", "" if year is None else str(year))
        return year, None
    try:
        result = survey_job.survey(
            store,
            year=year,
            band_edges_m=config.SURVEY_BAND_EDGES_M,
            min_n=options.min_n,
            progress=step,
        )
    except DrugscenesError as exc:
        missing["survey"] = Unavailable("error", str(exc))
        return year, None
    return year, result


def _evaluate(
    store: Store,
    earlier: str | None,
    rnd: str,
    compared: change.CompareResult | None,
    min_n: int,
    missing: dict[str, Unavailable],
    step: Progress,
) -> evaluate_job.EvaluationResult | None:
    """Worked-away against persisting scenes of ``earlier`` by ``rnd``, on the reported
    scope (a municipality's scenes, incidents and respondents); None with the reason in
    ``missing["evaluation"]`` when there is nothing to evaluate."""
    if earlier is None or compared is None:
        missing["evaluation"] = Unavailable("no_comparison")
        return None
    status = set(compared.comparison.from_scenes["status"])
    if "ceased" not in status or "persisting" not in status:
        missing["evaluation"] = Unavailable(
            "no_ceased" if "ceased" not in status else "no_persisting"
        )
        return None
    try:
        result = evaluate_job.evaluate(
            store,
            from_round=earlier,
            to_round=rnd,
            rings_m=(config.RING_M,),
            placebo_months=config.EVALUATION_PLACEBO_MONTHS,
            min_n=min_n,
            progress=step,
        )
    except DrugscenesError as exc:
        missing["evaluation"] = Unavailable("error", str(exc))
        return None
    if result.crime.first_month is None and result.survey.reason is not None:
        # No incident at all and no survey on both sides of the round: nothing estimated.
        missing["evaluation"] = Unavailable("no_history")
        return None
    return result
