"""Command ``drugscenes hotspots``: hot-spot surveillance and candidate scenes.

Thin: parse the options, open the workspace, call
:func:`drugscenes.services.hotspots.hotspots`, print. Errors a user can cause are the
package's exceptions; the application turns them into one line and an exit status.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes import config
from drugscenes.cli.app import WorkspaceArg, err, out, print_json, safe, spinner
from drugscenes.errors import UsageError
from drugscenes.io.outputs import check_output_file
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.analysis.hotspots import HotspotAnalysis

# The analysis (SciPy, pandas) loads when the command runs; its constants that the help
# shows are repeated here (a test checks them against drugscenes.analysis.hotspots).
CANDIDATE_CATEGORIES = ("drug offence", "violence", "shooting")
"""Default categories of a candidate scene
(:data:`drugscenes.analysis.hotspots.CANDIDATE_CATEGORIES`)."""
METHODS = ("local-poisson", "gistar")
"""The hot-spot tests: :data:`drugscenes.analysis.hotspots.METHODS`."""

__all__ = ["hotspots", "register"]

_STEPS: dict[str, Literal["month", "quarter"] | None] = {
    "month": "month",
    "quarter": "quarter",
    "none": None,
}
"""``--period`` values and the emerging analysis' time step each asks for."""


def hotspots(
    workspace: WorkspaceArg,
    round_label: Annotated[
        str,
        typer.Option(
            "--round", metavar="LABEL", help="Round whose registered scenes are not candidates."
        ),
    ],
    date_from: Annotated[
        str, typer.Option("--from", metavar="DATE", help="First day of the period (YYYY-MM-DD).")
    ],
    date_to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="DATE",
            help="Last day of the period, included (YYYY-MM-DD, Swedish local days; months "
            "and quarters follow the Swedish calendar).",
        ),
    ],
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            metavar="C",
            help="Category to include (repeat for several; counts are combined). Default: "
            + ", ".join(CANDIDATE_CATEGORIES)
            + ".",
        ),
    ] = None,
    cell: Annotated[
        float, typer.Option("--cell", metavar="M", help="Grid cell size in metres.")
    ] = config.GRID_CELL_M,
    band: Annotated[
        float,
        typer.Option(
            "--band",
            metavar="M",
            help="Gi* distance band in metres (also the KDE radius).",
        ),
    ] = config.HOTSPOT_BAND_M,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            metavar="month|quarter|none",
            help="Time steps of the emerging hot-spot analysis (at least 5 are needed).",
        ),
    ] = "month",
    distance: Annotated[
        float,
        typer.Option(
            "--distance",
            metavar="M",
            min=0.0,
            help="A hot area within this many metres of a registered scene is not a candidate.",
        ),
    ] = config.CANDIDATE_DISTANCE_M,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            metavar="local-poisson|gistar",
            help="Hot-spot test: local-poisson (exact test of each cell against the "
            "incidents around it, valid for sparse counts) or gistar (Getis-Ord Gi* over "
            "the whole region).",
        ),
    ] = config.HOTSPOT_METHOD,
    no_fdr: Annotated[
        bool,
        typer.Option("--no-fdr", help="Bins from raw p-values instead of FDR-adjusted ones."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead of tables.")
    ] = False,
    gpkg: Annotated[
        Path | None,
        typer.Option(
            "--gpkg",
            metavar="FILE",
            help="Also write a GeoPackage: candidates, hot areas at registered scenes, and "
            "the cells with incidents or a significant Gi* (the file is replaced).",
        ),
    ] = None,
) -> None:
    """Hot spots of incidents, emerging trends, and candidate scenes outside the registry."""

    if method not in METHODS:
        raise UsageError(f"--method must be local-poisson or gistar, got '{method}'")
    if period not in _STEPS:
        raise UsageError(f"--period must be month, quarter or none, got '{period}'")
    from drugscenes.periods import Period

    days = Period.parse(date_from, date_to)
    check_output_file(gpkg, "--gpkg")
    from drugscenes.io.gpkg_export import write_hotspots_gpkg
    from drugscenes.services import hotspots as service

    with open_workspace(workspace) as store, spinner("hot spots") as step:
        result = service.hotspots(
            store,
            round_label=round_label,
            period=days,
            step=_STEPS[period],
            categories=category,
            cell_m=cell,
            band_m=band,
            distance_m=distance,
            fdr=not no_fdr,
            method=method,
            progress=step,
        )
    if gpkg is not None:
        write_hotspots_gpkg(gpkg, result)
        err.print(f"Map layers written to {escape(str(gpkg))}")
    for note in [*result.notes, result.trend_note]:
        if note:
            err.print(f"[yellow]note[/] {escape(note)}", soft_wrap=True)
    if as_json:
        print_json(result.to_dict())
        return
    _print_result(out, result)


def register(app: typer.Typer) -> None:
    """Add ``hotspots`` to the application."""
    app.command("hotspots")(hotspots)


def _print_result(console: Console, r: HotspotAnalysis) -> None:
    d = r.to_dict()
    console.print(
        f"Hot spots {r.start.date()} – {r.end.date()} of {safe(', '.join(r.categories))}: "
        f"{d['n_analysed']:,} incidents in {r.grid.n_cells:,} cells of {r.cell_m:g} m "
        f"(region only), {_method_text(r)}, "
        f"{'FDR-adjusted' if r.gi.fdr else 'unadjusted'} p-values"
    )
    test = "Gi*" if r.method == "gistar" else "local Poisson"
    bins = Table(title=f"Cells by {test} confidence bin")
    for col in ["bin", "meaning", "cells"]:
        bins.add_column(col, justify="right" if col == "cells" else "left")
    meaning = {3: "hot 99 %", 2: "hot 95 %", 1: "hot 90 %", 0: "not significant"}
    meaning.update({-k: v.replace("hot", "cold") for k, v in meaning.items() if k})
    for k in range(3, -4, -1):
        bins.add_row(f"{k:+d}" if k else "0", meaning[k], f"{d['cells_by_gi_bin'][str(k)]:,}")
    console.print(bins)
    if r.emerging is not None:
        pt = Table(title=f"Emerging patterns over {len(r.emerging.periods)} periods")
        pt.add_column("pattern")
        pt.add_column("cells", justify="right")
        for name, n in r.emerging.pattern_counts().items():
            if n:
                pt.add_row(name, f"{n:,}")
        console.print(pt)
    c = r.candidates
    ct = Table(
        title=f"Candidate scenes: bin ≥ {c.min_bin}, ≥ {c.min_count} incidents, more than "
        f"{c.distance_m:g} m from every scene of round {escape(r.round_label)}"
    )
    for col in [
        "id",
        "municipality",
        "incidents",
        "area (m²)",
        "max z",
        "trend",
        "pattern",
        "nearest scene",
    ]:
        right = col in ("incidents", "area (m²)", "max z")
        ct.add_column(col, justify="right" if right else "left")
    for row in c.candidates.itertuples(index=False):
        near = (
            ""
            if row.nearest_scene_id is None
            else f"{row.nearest_scene_id} ({row.nearest_scene_m:,.0f} m)"
        )
        ct.add_row(
            safe(row.candidate_id),
            safe(_s(row.municipality_code)),
            f"{row.count:,}",
            f"{row.area_m2:,.0f}",
            f"{row.max_z:.1f}",
            _s(row.trend),
            _s(row.pattern),
            Text(near),
        )
    console.print(ct)
    if len(c.candidates) == 0:
        console.print(
            "No candidate: every significant hot area lies at a registered scene "
            f"({len(c.near_registered)} such area(s))."
        )
    else:
        console.print(
            f"{len(c.candidates)} candidate area(s) away from the registry; "
            f"{len(c.near_registered)} hot area(s) lie at registered scenes."
        )


def _method_text(r: HotspotAnalysis) -> str:
    d = r.to_dict()
    local = d.get("local_test")
    if not local:
        return f"Gi* band {r.band_m:g} m"
    radii = ", ".join(f"{x:g}" for x in local["radii_m"])
    return (
        f"local exact Poisson test within {radii} m against the ring to "
        f"{local['baseline_m']:g} m (hot: rate > {local['min_rate_ratio']:g} × every side; "
        f"{local['n_tested_cells']:,} cells tested)"
    )


def _s(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
