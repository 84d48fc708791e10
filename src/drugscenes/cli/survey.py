"""Commands ``drugscenes survey`` and ``drugscenes import survey`` (thin: parse, call, print).

Wire them with :func:`register`. Errors are the package's own exceptions; the application turns
them into one line and an exit status.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from drugscenes import config
from drugscenes.cli.app import (
    WorkspaceArg,
    check_problems_file,
    plain,
    print_json,
    spinner,
    write_problems,
)
from drugscenes.cli.options import parse_crs, parse_numbers
from drugscenes.errors import DataError, Problem
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.analysis.survey import GroupEstimate, SurveyResult

# The readers, the services and pandas load when a command runs (fast --help).


def _split(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _row(g: GroupEstimate, d: int) -> str:
    """One group; ``d`` decimals of percent (0 for published, rounded figures)."""

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.{d}f} %"

    if g.suppressed:
        return f"{g.label:<22} {g.n:>7}  {'(suppressed)':<32} {g.reason}"
    ci = f"[{pct(g.ci_low)}, {pct(g.ci_high)}]" if g.estimable else "(no interval)"
    diff = ""
    if g.diff_vs_region is not None:
        diff = f"{100 * g.diff_vs_region:+.{d}f} pp"
        if g.diff_ci_low is not None and g.diff_ci_high is not None:
            diff += f" [{100 * g.diff_ci_low:+.{d}f}, {100 * g.diff_ci_high:+.{d}f}]"
    note = "" if g.estimable else f"  {g.reason}"
    return f"{g.label:<22} {g.n:>7}  {pct(g.share_unsafe):>8} {ci:<23} {diff}{note}"


def render_survey(result: SurveyResult) -> str:
    """Plain-text table of a result for the terminal (aggregates only)."""
    d = 0 if result.disclosure.get("protected") else 1
    lines = [
        f"Perceived safety, survey {result.year}, distance to the scenes of round {result.round}",
        f"Share feeling unsafe (weighted), {int(100 * result.level)} % CI "
        f"({'Korn-Graubard' if result.method == 'beta' else result.method}); "
        f"difference to the region in percentage points",
        f"{'group':<22} {'n':>7}  {'share':>8} {'interval':<23} difference",
        _row(result.region, d),
        "",
        "By distance to the nearest scene:",
        *(_row(b, d) for b in result.bands),
    ]
    if result.municipalities:
        lines += ["", "By municipality:", *(_row(m, d) for m in result.municipalities)]
    t = result.trend
    lines.append("")
    if t.estimable and t.odds_ratio_per_km is not None:
        lines.append(
            f"Trend: odds ratio per km farther from a scene {t.odds_ratio_per_km:.3f} "
            f"[{t.ci_low:.3f}, {t.ci_high:.3f}]"
        )
    else:
        lines.append(f"Trend: not estimable ({t.reason})")
    lines.append(f"Answers 'vet ej' left out: {result.n_missing_answer}")
    lines += [f"Note: {n}" for n in result.notes]
    return "\n".join(lines)


def survey(
    workspace: WorkspaceArg,
    year: Annotated[int, typer.Option("--year", help="Survey year")],
    round_label: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Mapping round whose scenes count (default, and for published figures the "
            "only one allowed: the survey year's own round)",
        ),
    ] = None,
    bands: Annotated[str, typer.Option("--bands", help="Band edges in metres")] = ",".join(
        f"{v:g}" for v in config.SURVEY_BAND_EDGES_M
    ),
    min_n: Annotated[int, typer.Option("--min-n", help="Suppress groups below this n")] = (
        config.SURVEY_MIN_N
    ),
    method: Annotated[str, typer.Option("--method", help="beta (Korn-Graubard), logit or wald")] = (
        "beta"
    ),
    full_precision: Annotated[
        bool,
        typer.Option(
            "--full-precision",
            help="No disclosure control (exact edges, any --min-n, any round, unrounded): for "
            "the holder of the microdata, never for publication",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Weighted share feeling unsafe by distance to the scenes, with confidence intervals.

    Published figures are protected: band edges on a 100 m grid and moved so that bands
    differ by at least the policy's minimum of respondents, small groups suppressed with
    their complements, shares in whole percent."""

    edges = parse_numbers(bands, "--bands", "metres")
    from drugscenes.services import survey as services

    with spinner("reading the survey") as step, open_workspace(workspace) as store:
        result = services.survey(
            store,
            round_label=round_label,
            year=year,
            band_edges_m=edges,
            min_n=min_n,
            method=method,  # type: ignore[arg-type]
            full_precision=full_precision,
            progress=step,
        )
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(plain(render_survey(result)))


def import_survey_cmd(
    workspace: WorkspaceArg,
    file: Annotated[Path, typer.Argument(help="Survey microdata, .csv or .gpkg")],
    year: Annotated[int, typer.Option("--year", help="Survey year")],
    crs: Annotated[str | None, typer.Option("--crs", help="EPSG of x/y columns")] = None,
    id_column: Annotated[str, typer.Option("--id-column")] = "respondent_id",
    x_column: Annotated[str, typer.Option("--x-column")] = "x",
    y_column: Annotated[str, typer.Option("--y-column")] = "y",
    lat_column: Annotated[str, typer.Option("--lat-column")] = "lat",
    lon_column: Annotated[str, typer.Option("--lon-column")] = "lon",
    weight_column: Annotated[str, typer.Option("--weight-column")] = "weight",
    answer_column: Annotated[str, typer.Option("--answer-column")] = "answer",
    stratum_column: Annotated[str, typer.Option("--stratum-column")] = "stratum",
    psu_column: Annotated[str, typer.Option("--psu-column")] = "psu",
    unsafe_answers: Annotated[
        str | None, typer.Option("--unsafe-answers", help="Comma-separated answers meaning unsafe")
    ] = None,
    safe_answers: Annotated[str | None, typer.Option("--safe-answers")] = None,
    missing_answers: Annotated[str | None, typer.Option("--missing-answers")] = None,
    answer_scale: Annotated[str, typer.Option("--answer-scale", help="auto, binary, ordinal")] = (
        "auto"
    ),
    replace: Annotated[bool, typer.Option("--replace", help="Replace this year's survey")] = False,
    problems_file: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            metavar="FILE",
            help="Write every problem found (row, field, reason; never a value) to this CSV.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Import survey microdata for a year: all rows or nothing; bad rows are listed with reasons."""
    from drugscenes.io.survey import AnswerMapping, SurveyColumns
    from drugscenes.services.imports import import_survey

    default = AnswerMapping()
    answers = AnswerMapping(
        unsafe=_split(unsafe_answers) or default.unsafe,
        safe=_split(safe_answers) or default.safe,
        missing=_split(missing_answers) or default.missing,
        scale=answer_scale,  # type: ignore[arg-type]
    )
    columns = SurveyColumns(
        respondent_id=id_column,
        x=x_column,
        y=y_column,
        lat=lat_column,
        lon=lon_column,
        weight=weight_column,
        answer=answer_column,
        stratum=stratum_column,
        psu=psu_column,
    )
    src_crs = parse_crs(crs)
    check_problems_file(problems_file)
    found: list[Problem] | None = None  # for --problems, whether the import fails or not
    try:
        with spinner(f"reading {file.name}"), open_workspace(workspace) as store:
            result = import_survey(store, file, year, src_crs, columns, answers, replace)
        found = result.read.problems
    except DataError as exc:
        found = exc.problems
        raise
    finally:
        if problems_file is not None and found is not None:
            write_problems(problems_file, found)
    if as_json:
        print_json(result.to_dict())
        return
    if result.status == "unchanged":
        typer.echo(f"Survey {year} is already imported from this file; nothing changed.")
        return
    for p in result.read.problems:  # warnings and infos: row numbers, never ids or places
        typer.echo(plain(f"{p.severity}: {p}"), err=True)
    typer.echo(
        f"{result.status.capitalize()} {len(result.read.respondents)} respondents for {year} "
        f"from {file.name} ({result.n_missing_answer} without a usable answer)."
    )


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add ``survey`` to ``app`` and ``survey`` to the ``import`` group."""
    app.command("survey")(survey)
    import_app.command("survey")(import_survey_cmd)
