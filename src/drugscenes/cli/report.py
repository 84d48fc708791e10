"""``drugscenes report``: the mapping report as HTML, Excel and GeoPackage.

Thin: parse the options, open the workspace, call :func:`drugscenes.services.report.report`,
print what was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drugscenes import config
from drugscenes.cli.app import WorkspaceArg, app, err, out, print_json, safe, spinner
from drugscenes.errors import UsageError
from drugscenes.io.outputs import check_output_dir
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.periods import Period
    from drugscenes.report.model import ReportOptions, ReportOutput

# The report's modules (pandas, GeoPandas, matplotlib, Jinja) load when the command runs.


def run_report(workspace: Path, out_dir: Path, options: ReportOptions) -> ReportOutput:
    """Build the report with a progress display on standard error.

    The output folder is checked first (:func:`~drugscenes.io.outputs.check_output_dir`):
    a link, a file where the folder should be, or a link among its report files ends the
    command before any work is done.
    """
    from drugscenes.report.build import OUTPUT_FILES
    from drugscenes.services import report as services

    check_output_dir(out_dir, "--out", OUTPUT_FILES)
    with spinner("report") as step, open_workspace(workspace) as store:
        return services.report(store, out_dir, options=options, progress=step)


def parse_period(date_from: str | None, date_to: str | None) -> Period | None:
    """``--from``/``--to`` as a Period (both or neither), like the ``crime`` command."""
    if date_from is None and date_to is None:
        return None
    if date_from is None or date_to is None:
        raise UsageError("give both --from and --to, or neither")
    from drugscenes.periods import Period

    return Period.parse(date_from, date_to)


@app.command("report")
def report(
    workspace: WorkspaceArg,
    out_dir: Path = typer.Option(
        ..., "--out", help="Folder for report.html, report.xlsx, scenes.gpkg and report.pdf."
    ),
    round_label: str | None = typer.Option(None, "--round", help="Round (default: the latest)."),
    compare: str | None = typer.Option(
        None, "--compare", help="Earlier round to compare with (default: the one before)."
    ),
    date_from: str | None = typer.Option(
        None,
        "--from",
        help="First day of the crime period (YYYY-MM-DD; default: the 12 months before the round).",
    ),
    date_to: str | None = typer.Option(
        None, "--to", help="Last day of the crime period, included (YYYY-MM-DD)."
    ),
    survey_year: int | None = typer.Option(None, help="Survey year (default: the latest)."),
    municipality: str | None = typer.Option(
        None, help="Report for one municipality (code or name)."
    ),
    lang: str = typer.Option("sv", help="Language: sv or en."),
    tile_url: str | None = typer.Option(
        None,
        help="Tile server URL template for a background map, e.g. "
        "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png (none by default: offline).",
    ),
    min_n: int = typer.Option(
        config.SURVEY_MIN_N, help="Survey cells with fewer respondents are suppressed."
    ),
    pdf: bool = typer.Option(
        True, "--pdf/--no-pdf", help="Also print report.pdf (needs Chromium, Chrome or Edge)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
) -> None:
    """Write the mapping report: report.html (offline), report.xlsx, scenes.gpkg, report.pdf."""
    from drugscenes.report.model import ReportOptions

    options = ReportOptions(
        round=round_label,
        compare=compare,
        period=parse_period(date_from, date_to),
        survey_year=survey_year,
        municipality=municipality,
        lang=lang,
        tile_url=tile_url,
        min_n=min_n,
        pdf=pdf,
    )
    result = run_report(workspace, out_dir, options)
    if as_json:
        print_json(
            {
                "html": str(result.html),
                "xlsx": str(result.xlsx),
                "gpkg": str(result.gpkg),
                "pdf": None if result.pdf is None else str(result.pdf),
                "pdf_skipped": result.pdf_skipped,
                "round": result.round,
                "compare": result.compare,
                "headline": result.headline,
                "sections": result.sections,
                "missing": result.missing,
                # The story: region, every municipality, rounds, changes by name, and
                # the candidates split into remaining crime and new places.
                "story": None if result.data.story is None else result.data.story.to_dict(),
            }
        )
        return
    for line in result.headline:
        out.print(safe(line))
    for key, why in result.missing.items():
        err.print(f"[yellow]{key}[/]: {safe(why)}")
    out.print(
        f"Report: [bold]{safe(result.html)}[/] (also report.xlsx and scenes.gpkg in "
        f"{safe(result.directory)})"
    )
    print_pdf_line(result)


def print_pdf_line(result: ReportOutput) -> None:
    """Where ``report.pdf`` is, or one line on standard error saying why it was skipped
    and how to get it (no browser to print it)."""
    if result.pdf is not None:
        out.print(f"PDF: [bold]{safe(result.pdf)}[/]", soft_wrap=True)
    elif result.pdf_skipped:
        err.print(f"[yellow]report.pdf skipped[/]: {safe(result.pdf_skipped)}", soft_wrap=True)
