"""``drugscenes demo``: build the synthetic demo county and show its inventory."""

from __future__ import annotations

from pathlib import Path

import typer

from drugscenes.cli.app import app, err, out, safe, spinner
from drugscenes.cli.report import print_pdf_line, run_report
from drugscenes.cli.workspace import summary
from drugscenes.io.outputs import check_output_dir

DEFAULT_SEED = 2023
"""Seed of the demo county: :data:`drugscenes.demo.build.DEFAULT_SEED`, repeated here so that
the help needs no generator (a test checks that the two agree)."""

DEMO_FILES = ("demo.gpkg", "demo.survey.gpkg")
"""Files the demo replaces in its folder besides the source files (which it removes and
writes anew, never through a link); it also writes the folders ``demo.incidents`` and
``report``. None of them may be a link."""


@app.command("demo")
def demo(
    out_dir: Path = typer.Option(Path("demo"), "--out", help="Folder for the demo files."),
    seed: int = typer.Option(DEFAULT_SEED, help="Seed of the synthetic county."),
    lang: str = typer.Option("sv", help="Language of the report: sv or en."),
) -> None:
    """Build the demo county (synthetic), its workspace and its full mapping report."""
    check_output_dir(out_dir, "--out", DEMO_FILES, ("demo.incidents", "report"))
    from drugscenes.demo.build import build_demo
    from drugscenes.report.model import ReportOptions

    with spinner("demo") as step:
        build = build_demo(out_dir, seed, progress=step)
    for imp in build.imports:
        err.print(f"  round {safe(imp.round)}: {imp.n_scenes} scenes from {safe(imp.file)}")

    summary(build.workspace, round_label=None, largest=5, as_json=False)
    result = run_report(build.workspace, out_dir / "report", ReportOptions(lang=lang))
    out.print()
    for line in result.headline:
        out.print(safe(line))
    out.print(
        f"\nDemo workspace: [bold]{safe(build.workspace)}[/] (open it in QGIS)", soft_wrap=True
    )
    out.print(
        f"Report: [bold]{safe(result.html)}[/] (open it in a browser; it works offline),",
        soft_wrap=True,
    )
    out.print(f"        {safe(result.xlsx)} and {safe(result.gpkg)}", soft_wrap=True)
    print_pdf_line(result)
