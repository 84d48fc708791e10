"""Commands ``drugscenes compare`` and ``drugscenes history``.

Thin: parse the options, open the workspace, call :func:`drugscenes.services.change.compare`
or :func:`drugscenes.services.change.history`, print. Errors a user can cause are raised as
the package's exceptions; the application turns them into one line and an exit status.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes import config
from drugscenes.cli.app import WorkspaceArg, err, out, print_json, safe, spinner
from drugscenes.io.outputs import check_output_file
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.analysis.change import RoundComparison
    from drugscenes.analysis.hotspots import RegistryCheck
    from drugscenes.services.change import HistoryResult

# The services, pandas and the GeoPackage writer load when a command runs (fast --help).

__all__ = ["compare", "history", "register"]


def compare(
    workspace: WorkspaceArg,
    from_round: Annotated[str, typer.Argument(metavar="FROM", help="Label of the earlier round.")],
    to_round: Annotated[str, typer.Argument(metavar="TO", help="Label of the later round.")],
    distance: Annotated[
        float,
        typer.Option(
            "--distance",
            metavar="M",
            min=0.0,
            help="A new scene within this many metres of a ceased or shrunk scene is flagged "
            "as possible displacement.",
        ),
    ] = config.DISPLACEMENT_DISTANCE_M,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead of tables.")
    ] = False,
    gpkg: Annotated[
        Path | None,
        typer.Option(
            "--gpkg",
            metavar="FILE",
            help="Also write a GeoPackage for a map: the later round's scenes with their "
            "status, and the ceased scenes of the earlier round (the file is replaced).",
        ),
    ] = None,
    hotspots: Annotated[
        bool,
        typer.Option(
            "--hotspots/--no-hotspots",
            help="When incidents are imported, check 'no new scenes elsewhere' with data: "
            "hot areas outside the registry in the twelve months before TO, far from every "
            "ceased scene.",
        ),
    ] = True,
) -> None:
    """Compare two mapping rounds: ceased, new, merged, split, area change, displacement."""

    check_output_file(gpkg, "--gpkg")
    from drugscenes.io.gpkg_export import write_change_gpkg
    from drugscenes.services import change

    with open_workspace(workspace) as store, spinner("comparing rounds") as step:
        result = change.compare(
            store,
            from_round=from_round,
            to_round=to_round,
            distance_m=distance,
            check_hotspots=hotspots,
            progress=step,
        )
    if gpkg is not None:
        write_change_gpkg(gpkg, result.before, result.after, result.comparison)
        err.print(f"Map layers written to {escape(str(gpkg))}")
    messages = [("warning", i.message) for i in result.comparison.inconsistencies]
    for kind, text in [*messages, *(("note", note) for note in result.notes)]:
        err.print(f"[yellow]{kind}[/] {escape(text)}", soft_wrap=True)
    if as_json:
        print_json(result.to_dict())
        return
    _print_comparison(out, result.comparison)
    if result.hotspot_check is not None:
        _print_registry_check(out, result.hotspot_check)


def _print_registry_check(console: Console, check: RegistryCheck) -> None:
    d = check.to_dict()
    period = f"{d['period']['from'][:10]} – {d['period']['to'][:10]} (end excluded)"
    far = check.elsewhere
    console.print(
        f"\nHot-spot check, {period}: {d['n_candidates']} hot area(s) outside the registry, "
        f"{len(far)} of them more than {check.distance_m:,.0f} m from every ceased scene.",
        soft_wrap=True,
    )
    for row in far.itertuples():
        console.print(
            f"  {safe(row.candidate_id)}: {row.count} incidents, "
            f"municipality {safe(row.municipality_code)}, "
            f"trend {row.trend or '–'}, {row.nearest_ceased_m:,.0f} m from the nearest "
            "ceased scene — a candidate for the next mapping round",
            soft_wrap=True,
        )


def history(
    workspace: WorkspaceArg,
    scene: Annotated[
        str | None,
        typer.Option(
            "--scene", metavar="ID", help="Only the place that carried this scene id (or place id)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the history as JSON instead of tables.")
    ] = False,
) -> None:
    """History of every scene place across all rounds: first and last round, gaps, areas."""
    from drugscenes.services import change

    with open_workspace(workspace) as store:
        result = change.history(store, scene_id=scene)
    if as_json:
        print_json(result.to_dict())
        return
    _print_history(out, result)


# -- output ---------------------------------------------------------------------------------


def _print_comparison(console: Console, c: RoundComparison) -> None:
    import pandas as pd

    a, b = escape(c.from_round), escape(c.to_round)
    totals = Table(title=f"Change {a} → {b}")
    for col in ["", a, b, "change", "%"]:
        totals.add_column(col, justify="left" if col == "" else "right")
    totals.add_row("scenes", str(c.n_from), str(c.n_to), f"{c.n_change:+d}", _pct(c.n_pct_change))
    totals.add_row(
        "municipalities with scenes",
        str(c.municipalities_from),
        str(c.municipalities_to),
        f"{c.municipalities_change:+d}",
        _pct(c.municipalities_pct_change),
    )
    totals.add_row(
        "total area (m²)",
        _m2(c.area_from_m2),
        _m2(c.area_to_m2),
        f"{c.area_change_m2:+,.0f}",
        _pct(c.area_pct_change),
    )
    console.print(totals)

    fates = Table(title="Fates")
    fates.add_column("fate")
    fates.add_column("count", justify="right")
    fates.add_row("persisting", str(c.persisting))
    fates.add_row("  grown / shrunk / unchanged", f"{c.grown} / {c.shrunk} / {c.unchanged}")
    fates.add_row("ceased", str(c.ceased))
    fates.add_row("new", str(c.new))
    fates.add_row(
        f"  within {c.parameters.displacement_m:,.0f} m of a ceased or shrunk scene",
        str(c.new_near_previous),
    )
    fates.add_row("  elsewhere", str(c.new_elsewhere))
    fates.add_row("merged (later scenes from 2+ earlier)", str(c.merged))
    fates.add_row("split (earlier scenes into 2+ later)", str(c.split))
    if c.restructured:
        fates.add_row("restructured (several into several)", str(c.restructured))
    console.print(fates)
    console.print(
        f"{c.n_from} − {c.ceased} ceased + {c.new} new − {c.lost_by_merging} lost by merging "
        f"+ {c.gained_by_splitting} gained by splitting = {c.n_to} scenes in {b}"
    )
    if c.new == 0:
        console.print("No new scenes, so no new scenes elsewhere (no sign of displacement).")
    elif c.no_new_elsewhere:
        console.print(
            f"No new scenes elsewhere: all {c.new} new scenes lie within "
            f"{c.parameters.displacement_m:,.0f} m of a ceased or shrunk scene "
            "(possible displacement)."
        )
    else:
        console.print(
            f"{c.new_elsewhere} new scene(s) elsewhere, more than "
            f"{c.parameters.displacement_m:,.0f} m from any ceased or shrunk scene."
        )

    bym = c.municipalities_with_scenes
    if len(bym):
        mt = Table(title="By municipality")
        for col in [
            "code",
            "name",
            a,
            b,
            "change",
            "ceased",
            "new",
            f"area {a} (m²)",
            f"area {b} (m²)",
            "area %",
        ]:
            mt.add_column(col, justify="left" if col in ("code", "name") else "right")
        for code, r in bym.iterrows():
            mt.add_row(
                safe(code),
                Text("" if pd.isna(r["name"]) else str(r["name"])),
                str(r["n_from"]),
                str(r["n_to"]),
                f"{r['n_change']:+d}",
                str(r["ceased"]),
                str(r["new"]),
                _m2(r["area_from_m2"]),
                _m2(r["area_to_m2"]),
                _pct(r["area_pct_change"]),
            )
        console.print(mt)

    st = Table(title="Scenes")
    for col in [
        "status",
        f"{a} ids",
        f"{b} ids",
        "municipality",
        f"area {a} (m²)",
        f"area {b} (m²)",
        "area %",
        "size",
        "displacement",
    ]:
        st.add_column(col, justify="right" if col.startswith("area") else "left")
    for r in c.scenes.itertuples(index=False):
        disp = ""
        if isinstance(r.displacement, str):
            near = "" if math.isnan(r.nearest_previous_m) else f" ({r.nearest_previous_m:,.0f} m)"
            disp = f"{r.displacement}{near}"
        st.add_row(
            r.status,
            Text(", ".join(r.from_ids)),
            Text(", ".join(r.to_ids)),
            safe(_s(r.municipality_code)),
            _m2(r.area_from_m2),
            _m2(r.area_to_m2),
            _pct(r.area_pct_change),
            _s(r.size_change),
            disp,
        )
    console.print(st)


def _print_history(console: Console, result: HistoryResult) -> None:
    import pandas as pd

    summary, observations, labels = result.places, result.observations, result.rounds
    t = Table(title=f"Scene places across {len(labels)} round(s)")
    cols = ["place", "first", "last", "rounds", "absent in", "current run", "scene ids"]
    cols += [f"area {escape(label)} (m²)" for label in labels]
    for col in cols:
        t.add_column(
            col, justify="right" if col.startswith(("area", "rounds", "current")) else "left"
        )
    for r in summary.to_dict("records"):
        t.add_row(
            Text(r["place_id"]),
            Text(r["first_round"]),
            Text(r["last_round"]),
            str(r["n_rounds"]),
            Text(", ".join(r["rounds_absent"])),
            str(r["current_run"]),
            Text(", ".join(r["scene_ids"])),
            *[_m2(r[f"area_m2_{label}"]) for label in labels],
        )
    console.print(t)
    console.print(
        f"{len(summary)} place(s); {result.n_came_back} ceased for at least one round and "
        "came back."
    )
    if observations is not None and len(observations):
        o = Table(title="Observations")
        for col in ["place", "round", "scene id", "municipality", "area (m²)", "came back"]:
            o.add_column(col, justify="right" if col.startswith("area") else "left")
        for r in observations.to_dict("records"):
            o.add_row(
                Text(str(r["place_id"])),
                Text(str(r["round"])),
                Text(str(r["scene_id"])),
                "" if pd.isna(r["municipality_code"]) else safe(r["municipality_code"]),
                _m2(r["area_m2"]),
                "yes" if bool(r["came_back"]) else "",
            )
        console.print(o)


def _s(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _m2(v: Any) -> str:
    import pandas as pd

    return "" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def _pct(v: Any) -> str:
    # None/NaN: the earlier value is 0, so there is no percentage to give.
    import pandas as pd

    return "–" if v is None or pd.isna(v) else f"{float(v):+.1f}"


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``history`` to the application."""
    app.command("compare")(compare)
    app.command("history")(history)
