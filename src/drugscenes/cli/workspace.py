"""Commands on the workspace and the scene registry: init, import scenes, rounds, summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from drugscenes.analysis.inventory import summarize_round
from drugscenes.cli.app import (
    WorkspaceArg,
    app,
    err,
    fmt_area,
    import_app,
    out,
    print_json,
    print_problems,
    write_problems,
)
from drugscenes.errors import DataError, UsageError
from drugscenes.imports import import_scenes
from drugscenes.io.vector import read_vector
from drugscenes.registry.region import prepare_municipalities
from drugscenes.store import create_workspace, open_workspace


@app.command("init")
def init(
    workspace: WorkspaceArg,
    municipalities: Path = typer.Option(
        ..., "--municipalities", "-m", help="Municipality polygons (GeoPackage, GeoJSON, ...)."
    ),
    code_field: str | None = typer.Option(
        None, help="Column of the 4-digit municipality code (default: code, kommunkod, ...)."
    ),
    name_field: str | None = typer.Option(
        None, help="Column of the municipality name (default: name, namn, ...)."
    ),
    crs: str | None = typer.Option(None, help="CRS of the file if it has none, e.g. 3006."),
    layer: str | None = typer.Option(None, help="Layer of a multi-layer file."),
    region_name: str = typer.Option("", help="Name of the region, e.g. 'Stockholms län'."),
    overwrite: bool = typer.Option(False, help="Replace an existing workspace file."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create a workspace for a region from its municipality boundaries."""
    read = read_vector(municipalities, crs=crs, layer=layer)
    munis, problems = prepare_municipalities(read, municipalities.name, code_field, name_field)
    with create_workspace(workspace, munis, region_name, overwrite=overwrite):
        pass
    area_km2 = float(munis.geometry.area.sum()) / 1e6
    if as_json:
        print_json(
            {
                "workspace": str(workspace),
                "n_municipalities": len(munis),
                "area_km2": area_km2,
                "source_crs": read.source_crs,
                "problems": [p.to_dict() for p in problems],
            }
        )
        return
    print_problems(problems)
    out.print(
        f"Created [bold]{workspace}[/] with {len(munis)} municipalities "
        f"({area_km2:,.0f} km², read in {read.source_crs}, stored in EPSG:3006)."
    )


@import_app.command("scenes")
def import_scenes_cmd(
    workspace: WorkspaceArg,
    file: Path = typer.Argument(..., help="Scenes: GeoPackage, GeoJSON, Shapefile or CSV+WKT."),
    round_label: str = typer.Option(..., "--round", help="The mapping round, e.g. 2023."),
    date: str | None = typer.Option(None, help="Date of the mapping, YYYY-MM-DD."),
    crs: str | None = typer.Option(
        None, help="CRS of the coordinates (required for CSV), e.g. 3006 or 4326."
    ),
    replace: bool = typer.Option(False, help="Replace the round if it exists."),
    wkt_field: str | None = typer.Option(None, help="CSV column holding WKT (default: wkt)."),
    layer: str | None = typer.Option(None, help="Layer of a multi-layer file."),
    id_field: str | None = typer.Option(
        None, help="Column of the scene id (default: scene_id, id)."
    ),
    name_field: str | None = typer.Option(None, help="Column of the scene name (default: name)."),
    code_field: str | None = typer.Option(
        None, help="Column of the municipality code (default: municipality_code, kommunkod)."
    ),
    note: str | None = typer.Option(None, help="Free text stored with the round."),
    problems_file: Path | None = typer.Option(
        None, "--problems", help="Write every problem found to this CSV file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import the scenes of one mapping round (all or nothing)."""
    fields = {
        k: v
        for k, v in {
            "scene_id": id_field,
            "name": name_field,
            "municipality_code": code_field,
        }.items()
        if v
    }
    with open_workspace(workspace) as store:
        try:
            result = import_scenes(
                store,
                file,
                round_label,
                date=date,
                crs=crs,
                replace=replace,
                wkt_field=wkt_field,
                layer=layer,
                fields=fields,
                note=note,
            )
        except DataError as exc:
            if problems_file:
                write_problems(problems_file, exc.problems)
            raise
    if problems_file:
        write_problems(problems_file, result.problems)
    if as_json:
        print_json(result.to_dict())
        return
    print_problems(result.problems)
    if result.status == "unchanged":
        out.print(
            f"Round [bold]{result.round}[/] already holds {result.file} "
            f"({result.n_scenes} scenes); nothing changed."
        )
    else:
        verb = "Replaced" if result.status == "replaced" else "Imported"
        warn = f", {len(result.problems)} warning(s)" if result.problems else ""
        out.print(
            f"{verb} round [bold]{result.round}[/]: {result.n_scenes} scenes from "
            f"{result.file} ({result.source_crs}){warn}."
        )


@app.command("rounds")
def rounds(
    workspace: WorkspaceArg,
    as_json: bool = typer.Option(False, "--json", help="Print the rounds as JSON."),
) -> None:
    """List the mapping rounds of a workspace."""
    with open_workspace(workspace) as store:
        table = store.rounds()
    if as_json:
        print_json(table.drop(columns=["source_sha256"]).to_dict(orient="records"))
        return
    t = Table(header_style="bold")
    for col in ("round", "date", "scenes", "source", "imported"):
        t.add_column(col)
    for r in table.itertuples():
        t.add_row(r.label, r.date or "", str(r.n_scenes), r.source_file or "", r.imported_at[:19])
    out.print(t)


@app.command("summary")
def summary(
    workspace: WorkspaceArg,
    round_label: str | None = typer.Option(
        None, "--round", help="The round (default: the latest)."
    ),
    largest: int = typer.Option(10, help="How many of the largest scenes to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the inventory as JSON."),
) -> None:
    """Inventory of a round: scenes, municipalities with scenes, area."""
    with open_workspace(workspace) as store:
        labels = store.round_labels()
        if round_label is None:
            if not labels:
                raise UsageError(
                    f"{workspace} has no rounds yet; import one with 'drugscenes import scenes'"
                )
            round_label = labels[-1]
            err.print(f"Round {round_label} (the latest; choose another with --round).")
        inv = summarize_round(
            store.round_scenes(round_label), store.municipalities(), round_label, largest
        )
    if as_json:
        print_json(inv.to_dict())
        return
    out.print(
        f"[bold]Round {inv.round}[/]: {inv.n_scenes} scenes in "
        f"{inv.n_municipalities_with_scenes} of the region's {inv.n_municipalities} "
        f"municipalities, total area {fmt_area(inv.total_area_m2)}."
    )
    t = Table(title="Scenes per municipality", header_style="bold")
    t.add_column("code")
    t.add_column("municipality")
    t.add_column("scenes", justify="right")
    t.add_column("area", justify="right")
    with_scenes = inv.by_municipality[inv.by_municipality["n_scenes"] > 0]
    for r in with_scenes.itertuples():
        t.add_row(r.code, r.name, str(r.n_scenes), fmt_area(r.area_m2))
    out.print(t)
    none = len(inv.by_municipality) - len(with_scenes)
    if none:
        out.print(f"{none} municipalities have no scene.")
    if len(inv.largest):
        t = Table(title="Largest scenes", header_style="bold")
        for col in ("scene", "name", "municipality", "area"):
            t.add_column(col, justify="right" if col == "area" else "left")
        for r in inv.largest.itertuples():
            t.add_row(r.scene_id, r.name or "", r.municipality_code, fmt_area(r.area_m2))
        out.print(t)
