"""Commands on the workspace and the scene registry: init, import scenes, rounds, summary,
copy, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes import config
from drugscenes.cli.app import (
    WorkspaceArg,
    app,
    check_problems_file,
    err,
    fmt_area,
    import_app,
    out,
    print_json,
    print_problems,
    safe,
    spinner,
    write_problems,
)
from drugscenes.cli.options import parse_crs
from drugscenes.errors import DataError
from drugscenes.store import is_url, open_workspace

# The services (and with them pandas, GeoPandas and the readers) load inside the commands,
# so that ``drugscenes --help`` and ``summary`` start fast.


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
    from drugscenes.services.workspace import init_workspace

    result = init_workspace(
        workspace,
        municipalities,
        code_field=code_field,
        name_field=name_field,
        crs=parse_crs(crs),
        layer=layer,
        region_name=region_name,
        overwrite=overwrite,
    )
    if as_json:
        print_json(result.to_dict())
        return
    print_problems(result.problems)
    out.print(
        f"Created [bold]{escape(result.workspace)}[/] with {result.n_municipalities} "
        f"municipalities ({result.area_km2:,.0f} km², read in {result.source_crs}, "
        "stored in EPSG:3006)."
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
    check_problems_file(problems_file)
    src_crs = parse_crs(crs)
    from drugscenes.services.imports import import_scenes

    with open_workspace(workspace) as store:
        try:
            result = import_scenes(
                store,
                file,
                round_label,
                date=date,
                crs=src_crs,
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
            f"Round [bold]{safe(result.round)}[/] already holds {safe(result.file)} "
            f"({result.n_scenes} scenes); nothing changed."
        )
    else:
        verb = "Replaced" if result.status == "replaced" else "Imported"
        warn = f", {len(result.problems)} warning(s)" if result.problems else ""
        out.print(
            f"{verb} round [bold]{safe(result.round)}[/]: {result.n_scenes} scenes from "
            f"{safe(result.file)} ({result.source_crs}){warn}."
        )


@app.command("rounds")
def rounds(
    workspace: WorkspaceArg,
    as_json: bool = typer.Option(False, "--json", help="Print the rounds as JSON."),
) -> None:
    """List the mapping rounds of a workspace."""
    from drugscenes.services import workspace as services

    with open_workspace(workspace) as store:
        result = services.rounds(store)
    if as_json:
        print_json(result.to_dict())
        return
    t = Table(header_style="bold")
    for col in ("round", "date", "scenes", "source", "imported"):
        t.add_column(col)
    for r in result.rounds.itertuples():
        t.add_row(
            Text(r.label),
            r.date or "",
            str(r.n_scenes),
            Text(r.source_file or ""),
            r.imported_at[:19],
        )
    out.print(t)


@app.command("summary")
def summary(
    workspace: WorkspaceArg,
    round_label: str | None = typer.Option(
        None, "--round", help="The round (default: the latest)."
    ),
    largest: int = typer.Option(
        config.LARGEST_SCENES, help="How many of the largest scenes to list."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the inventory as JSON."),
) -> None:
    """Inventory of a round: scenes, municipalities with scenes, area."""
    data, latest = _inventory(workspace, round_label, largest, with_union=as_json)
    if latest:
        err.print(f"Round {escape(data['round'])} (the latest; choose another with --round).")
    if as_json:
        print_json(data)
        return
    by_muni = data["by_municipality"]
    out.print(
        f"[bold]Round {safe(data['round'])}[/]: {data['n_scenes']} scenes in "
        f"{data['n_municipalities_with_scenes']} of the region's {data['n_municipalities']} "
        f"municipalities, total area {fmt_area(data['total_area_m2'])}."
    )
    t = Table(title="Scenes per municipality", header_style="bold")
    t.add_column("code")
    t.add_column("municipality")
    t.add_column("scenes", justify="right")
    t.add_column("area", justify="right")
    with_scenes = [r for r in by_muni if r["n_scenes"] > 0]
    for r in with_scenes:
        t.add_row(safe(r["code"]), safe(r["name"]), str(r["n_scenes"]), fmt_area(r["area_m2"]))
    out.print(t)
    none = len(by_muni) - len(with_scenes)
    if none:
        out.print(f"{none} municipalities have no scene.")
    if data["largest_scenes"]:
        t = Table(title="Largest scenes", header_style="bold")
        for col in ("scene", "name", "municipality", "area"):
            t.add_column(col, justify="right" if col == "area" else "left")
        for r in data["largest_scenes"]:
            t.add_row(
                safe(r["scene_id"]),
                safe(r["name"] or ""),
                safe(r["municipality_code"]),
                fmt_area(r["area_m2"]),
            )
        out.print(t)


def _inventory(
    workspace: str, round_label: str | None, largest: int, with_union: bool
) -> tuple[dict[str, Any], bool]:
    """The inventory of a round as ``InventoryResult.to_dict()`` gives it, and whether the
    round was taken as the latest.

    A GeoPackage workspace is read with sqlite3 (:mod:`drugscenes.store.gpkg_light`) and
    summed in plain Python (:mod:`drugscenes.analysis.inventory_light`), to the same bits
    and without pandas or GeoPandas; ``with_union`` (the JSON's union area) and shapes the
    plain reader does not vouch for take shapely. Anything else (a PostGIS URL, an error of
    any kind) goes through the service as before, which gives its usual message.
    """
    if largest >= 0 and not is_url(workspace):
        from drugscenes.analysis import inventory_light as light_inv
        from drugscenes.store import gpkg_light

        light = gpkg_light.read_round(workspace, round_label)
        if light is not None:
            shapes = None if with_union else gpkg_light.polygons(light.blobs)
            union = None
            if shapes is not None:
                areas = [light_inv.polygon_area(s) for s in shapes]
            else:
                try:
                    areas, union = light_inv.shapely_areas(light.geometries())
                except Exception:  # a damaged geometry: the store says so
                    areas = None
            if areas is not None:
                data = light_inv.summarize_rows(
                    light.label,
                    light.scene_ids,
                    light.names,
                    light.municipality_codes,
                    areas,
                    light.municipality_codes_region,
                    light.municipality_names,
                    largest,
                    union,
                )
                return data, light.latest_by_default
    from drugscenes.services import workspace as services

    with open_workspace(workspace) as store:
        result = services.inventory(store, round_label=round_label, largest=largest)
    return result.to_dict(), result.latest_by_default


@app.command("copy")
def copy(
    source: str = typer.Argument(..., metavar="SOURCE", help="Workspace to copy (file or URL)."),
    target: str = typer.Argument(
        ..., metavar="TARGET", help="New workspace: a .gpkg file or a postgresql:// URL."
    ),
    overwrite: bool = typer.Option(False, help="Replace an existing workspace at TARGET."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Copy a whole workspace GeoPackage <-> PostGIS: rounds, scenes, history, incidents, and
    the survey microdata where you may read it."""
    from drugscenes.services import workspace as services

    with spinner("copying") as step:
        result = services.copy(source, target, overwrite=overwrite, progress=step)
    if as_json:
        print_json(result.to_dict())
        return
    for key, value in result.to_dict().items():
        out.print(f"{key}: {escape(str(value))}")


@app.command("migrate")
def migrate(
    workspace: WorkspaceArg,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Upgrade an older workspace file: the survey microdata moves to a file of its own."""
    from drugscenes.services import workspace as services

    result = services.migrate(workspace)
    if as_json:
        print_json(result.to_dict())
        return
    if result.from_version == result.to_version:
        out.print(f"{escape(result.workspace)} is up to date (schema {result.to_version}).")
        return
    moved = (
        f"; survey years {', '.join(map(str, result.survey_years))} moved to "
        f"{escape(str(result.survey_file))} (readable by you only: keep it with the survey)"
        if result.survey_years
        else ""
    )
    out.print(
        f"Upgraded {escape(result.workspace)} from schema {result.from_version} to "
        f"{result.to_version}{moved}."
    )
