"""Commands ``drugscenes compare`` and ``drugscenes history``.

Thin: read the workspace, call :mod:`drugscenes.analysis.change` /
:mod:`drugscenes.analysis.history`, print. Errors a user can cause are raised as the
package's exceptions; the application turns them into one line and an exit status.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes.analysis.change import MatchParameters, RoundComparison, compare_rounds
from drugscenes.analysis.history import scene_history, summarize_history
from drugscenes.analysis.hotspots import RegistryCheck, registry_check
from drugscenes.analysis.periods import local_day, period_before_round
from drugscenes.cli.app import WorkspaceArg, err, out, print_json
from drugscenes.errors import NotFoundError, UsageError
from drugscenes.io.gpkg_export import write_gpkg_layers
from drugscenes.store import incidents_path, open_workspace
from drugscenes.store.base import RoundRecord
from drugscenes.store.incidents_parquet import read_incidents

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
    ] = 1000.0,
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

    if from_round == to_round:
        raise UsageError(f"FROM and TO are the same round ('{from_round}'); give two rounds")
    with open_workspace(workspace) as store:
        before = store.round_scenes(from_round)
        after = store.round_scenes(to_round)
        municipalities = store.municipalities()
        record = store.round_record(to_round)
    result = compare_rounds(
        before,
        after,
        municipalities,
        from_round=from_round,
        to_round=to_round,
        params=MatchParameters(displacement_m=distance),
    )
    if gpkg is not None:
        write_change_gpkg(gpkg, before, after, result)
    if gpkg is not None:
        err.print(f"Map layers written to {escape(str(gpkg))}")
    for issue in result.inconsistencies:
        err.print(f"[yellow]warning[/] {escape(issue.message)}", soft_wrap=True)
    check = (
        _registry_check(workspace, before, after, municipalities, result, record)
        if (hotspots)
        else None
    )
    if as_json:
        data = result.to_dict()
        data["hotspot_check"] = None if check is None else check.to_dict()
        print_json(data)
        return
    _print_comparison(out, result)
    if check is not None:
        _print_registry_check(out, check)


def _registry_check(
    workspace: Path,
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    result: RoundComparison,
    record: RoundRecord | None,
) -> RegistryCheck | None:
    """Hot areas outside the registry far from every ceased scene, when incidents exist."""

    folder = incidents_path(workspace)
    if not (folder / "CURRENT").exists():
        return None
    days = period_before_round(result.to_round, record.date if record else None)
    start, end = local_day(days[0]), local_day(days[1])
    incidents = read_incidents(folder, start, end, columns=["time", "category", "x", "y"])
    if len(incidents) == 0:
        err.print(f"[yellow]note[/] no incidents {days[0]} – {days[1]}: no hot-spot check")
        return None
    ceased = before[(result.from_scenes["status"] == "ceased").to_numpy()]
    return registry_check(
        incidents,
        municipalities,
        after,
        ceased,
        start,
        end,
        result.parameters.displacement_m,
        result.to_round,
    )


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
            f"  {row.candidate_id}: {row.count} incidents, municipality {row.municipality_code}, "
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

    with open_workspace(workspace) as store:
        labels = [str(x) for x in store.round_labels()]
        table = store.read_table("scene_history")
        for col in ("id_given", "came_back"):  # stored as 0/1
            if col in table.columns:
                table[col] = table[col].astype(bool)
        stale = table.empty or not set(table["round"].astype(str)) <= set(labels)
        if stale and labels:
            # Not stored yet (or out of date): compute it now; nothing is written.
            table = scene_history([(label, store.round_scenes(label)) for label in labels])
    summary = summarize_history(table, labels)
    if scene is not None:
        hit = summary["place_id"].eq(scene) | summary["scene_ids"].map(lambda ids: scene in ids)
        if not hit.any():
            raise NotFoundError(f"no scene or place '{scene}' in the history of {workspace}")
        summary = summary[hit]
        table = table[table["place_id"].isin(summary["place_id"])]
    if as_json:
        data: dict[str, Any] = {"rounds": labels, "places": summary.to_dict("records")}
        if scene is not None:
            data["observations"] = table.to_dict("records")
        print_json(data)
        return
    _print_history(out, summary, table if scene is not None else None, labels)


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``history`` to the application."""
    app.command("compare")(compare)
    app.command("history")(history)


# -- output ---------------------------------------------------------------------------------


def write_change_gpkg(
    path: Path, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, result: RoundComparison
) -> None:
    """Write the later round with each scene's status, and the ceased scenes, to a GeoPackage.

    Layers: ``scenes_<TO>`` (every scene of the later round with ``status``, ``size_change``,
    ``displacement``, ``from_ids``, ``area_from_m2``, ``area_to_m2``, ``nearest_previous_m``)
    and ``ceased_<FROM>`` (the earlier round's scenes that have no successor).
    """
    comp = result.scenes.set_index("component")
    later = after.reset_index(drop=True).copy()
    per = result.to_scenes
    later["status"] = per["status"].to_numpy()
    later["size_change"] = per["size_change"].to_numpy()
    later["displacement"] = per["displacement"].to_numpy()
    later["from_ids"] = per["linked_ids"].to_numpy()
    for col in ["area_from_m2", "area_to_m2", "nearest_previous_m"]:
        later[col] = comp[col].reindex(per["component"]).to_numpy()
    earlier = before.reset_index(drop=True)
    ceased = earlier[(result.from_scenes["status"] == "ceased").to_numpy()].copy()
    ceased["status"] = "ceased"
    ceased["area_m2"] = ceased.geometry.area
    write_gpkg_layers(
        path, {f"scenes_{result.to_round}": later, f"ceased_{result.from_round}": ceased}
    )


def _print_comparison(console: Console, c: RoundComparison) -> None:
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
        _pct(_safe_pct(c.municipalities_from, c.municipalities_to)),
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

    bym = c.by_municipality[(c.by_municipality["n_from"] > 0) | (c.by_municipality["n_to"] > 0)]
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
                str(code),
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
            _s(r.municipality_code),
            _m2(r.area_from_m2),
            _m2(r.area_to_m2),
            _pct(r.area_pct_change),
            _s(r.size_change),
            disp,
        )
    console.print(st)


def _print_history(
    console: Console, summary: pd.DataFrame, observations: pd.DataFrame | None, labels: list[str]
) -> None:
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
    back = int(summary["came_back"].sum()) if len(summary) else 0
    console.print(f"{len(summary)} place(s); {back} ceased for at least one round and came back.")
    if observations is not None and len(observations):
        o = Table(title="Observations")
        for col in ["place", "round", "scene id", "municipality", "area (m²)", "came back"]:
            o.add_column(col, justify="right" if col.startswith("area") else "left")
        for r in observations.to_dict("records"):
            o.add_row(
                Text(str(r["place_id"])),
                Text(str(r["round"])),
                Text(str(r["scene_id"])),
                "" if pd.isna(r["municipality_code"]) else str(r["municipality_code"]),
                _m2(r["area_m2"]),
                "yes" if bool(r["came_back"]) else "",
            )
        console.print(o)


def _s(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _m2(v: Any) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def _pct(v: Any) -> str:
    # None/NaN: the earlier value is 0, so there is no percentage to give.
    return "–" if v is None or pd.isna(v) else f"{float(v):+.1f}"


def _safe_pct(before: float, after: float) -> float | None:
    return None if before == 0 else 100.0 * (after - before) / before
