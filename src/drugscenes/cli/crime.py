"""Commands of the crime feature: ``import incidents``, ``crime``, ``displacement``, ``nearrepeat``.

Thin: parse the options, open the workspace, call one job of
:mod:`drugscenes.services.crime` (or :func:`drugscenes.services.imports.import_incidents`),
print its result: ``--json`` prints the result's ``to_dict()``, otherwise tables. Wire
them with :func:`register`.

Periods
-------
Dates are ISO calendar days (``YYYY-MM-DD``) in Swedish local time (Europe/Stockholm),
the time the Police and the municipalities count in. ``--from`` is the first day and
``--to`` the last day, **both included**: ``--from 2023-01-01 --to 2023-12-31`` is the
whole year 2023, i.e. from 2023-01-01 00:00 up to, not including, 2024-01-01 00:00 local
time. ``--before``/``--after`` take ``FIRST:LAST`` with the same rule. A date that is not
a valid ``YYYY-MM-DD`` is a usage error (exit 2).

Incident import
---------------
Police and crime-register extracts always hold rows that cannot be placed (events known
only at county level, missing coordinates, types that are not one incident). Such rows are
**rejected with their reasons and the accepted rows are stored**: every rejected row is
counted by reason, listed on standard error and, with ``--problems FILE``, written to a
CSV. The import exits 0 when at least one row was accepted and 1 when the file cannot be
read or no row is accepted (then nothing is stored). Stored rows are keyed by incident id:
importing the same file again replaces the rows with the same ids and changes nothing
else. The write is all or nothing (a crash leaves the previous dataset live).
"""

from __future__ import annotations

import collections
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import JustifyMethod
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes import config
from drugscenes.cli.app import (
    WorkspaceArg,
    check_problems_file,
    err,
    fmt_area,
    out,
    print_json,
    print_problems,
    spinner,
    write_problems,
)
from drugscenes.cli.options import (
    column_mapping,
    parse_band_edges,
    parse_crs,
    parse_numbers,
)
from drugscenes.errors import DataError
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.analysis.crime import CrimeResult, DisplacementResult, ZoneStats
    from drugscenes.analysis.nearrepeat import NearRepeatResult
    from drugscenes.services import imports

# The analyses, the readers and pandas load when a command runs, not when the command line
# is parsed: ``drugscenes --help`` and the other commands do not pay for them.

INCIDENT_FORMATS = ("csv", "police-csv", "police-json", "gpkg", "parquet")
"""The formats of ``--format``: :data:`drugscenes.io.incidents.FORMATS`, repeated here so that
the help needs no reader (a test checks that the two agree)."""

__all__ = ["crime", "displacement_cmd", "import_incidents", "nearrepeat", "register"]

Result = TypeVar("Result")

REASONS = {
    "id-missing": "no id",
    "id-duplicate": "id repeats an earlier row",
    "time-invalid": "no or unparseable time",
    "time-out-of-range": "time outside the years 1900–2199",
    "csv-field-count": "other number of fields than the header",
    "encoding": "text neither UTF-8 nor Windows-1252",
    "coordinates-missing": "no or unparseable coordinates",
    "outside-region": "outside the region",
    "location-county-level": "located only at county level",
    "type-excluded": "excluded type (summary, notice, ...)",
    "type-missing": "no type",
    "type-unmapped": "unmapped type",
}
"""Short label of each rejection reason (Problem code) for the count table."""

FirstDay = Annotated[
    str, typer.Option("--from", metavar="DATE", help="First day, YYYY-MM-DD (local time).")
]
LastDay = Annotated[
    str, typer.Option("--to", metavar="DATE", help="Last day, YYYY-MM-DD, included.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
LatestRound = Annotated[
    str | None,
    typer.Option(
        "--round", metavar="LABEL", help="Round for the per-scene counts (default: the latest)."
    ),
]


# -- running and printing -------------------------------------------------------------------
def _run(workspace: str, job: Callable[..., Result], **params: Any) -> Result:
    """Open the workspace and run one job on it; a spinner shows the job's progress."""
    with spinner("opening the workspace") as step, open_workspace(workspace) as store:
        return job(store, progress=step, **params)


def _show(result: Any, as_json: bool, tables: Callable[..., None], *args: Any) -> None:
    """Print a result: with ``--json`` exactly its ``to_dict()``, else ``tables(result, *args)``."""
    if as_json:
        print_json(result.to_dict())
    else:
        tables(result, *args)


def _print_warnings(warnings: list[str]) -> None:
    """A result's warnings on standard error (its notes hold them too)."""
    for w in warnings:
        err.print(f"[yellow]warning[/] {escape(w)}", soft_wrap=True)


def _print_table(table: Table) -> None:
    """Print a table; numbers that do not fit wrap instead of being cut to "1,2…"."""
    for col in table.columns:
        col.overflow = "fold"
    out.print(table)


def _days(days: dict[str, Any] | None) -> str:
    """A period's days as :class:`~drugscenes.periods.Period` prints them."""
    return "–" if days is None else f"{days['from']} – {days['to']}"


def _num(v: float | None, spec: str = ".2f") -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def _share(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def _p(v: float | None) -> str:
    if v is None:
        return "–"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _cat_label(category: str, police_activity: list[str]) -> str:
    return f"{category} †" if category in police_activity else category


def _by_category(
    title: str,
    head: list[tuple[str, JustifyMethod]],
    cats: list[str],
    police_activity: list[str],
    rows: list[list[str | Text]],
) -> None:
    """A table with the ``head`` columns (name, justify) and then one per category."""
    t = Table(title=title, header_style="bold")
    for name, justify in head:
        t.add_column(name, justify=justify)
    for c in cats:
        t.add_column(_cat_label(c, police_activity), justify="right")
    for row in rows:
        t.add_row(*row)
    _print_table(t)


# -- import incidents -----------------------------------------------------------------------
def import_incidents(
    workspace: WorkspaceArg,
    file: Annotated[
        Path,
        typer.Argument(
            help="Incidents: CSV (x/y with --crs, or lat/lon), the Police events JSON or "
            "CSV archive, GeoPackage or GeoParquet points."
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="F",
            help=f"One of {', '.join(INCIDENT_FORMATS)} (default: from the file name).",
        ),
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            metavar="EPSG",
            help="CRS of x/y columns (required for CSV with x/y), e.g. 3006; lat/lon are WGS84.",
        ),
    ] = None,
    id_field: Annotated[str | None, typer.Option(help="Column of the incident id.")] = None,
    time_field: Annotated[
        str | None, typer.Option(help="Column of the time (ISO; no offset = Swedish local time).")
    ] = None,
    type_field: Annotated[str | None, typer.Option(help="Column of the source type.")] = None,
    category_field: Annotated[
        str | None, typer.Option(help="Column of an analysis category (instead of a type).")
    ] = None,
    x_field: Annotated[str | None, typer.Option(help="Column of x (easting).")] = None,
    y_field: Annotated[str | None, typer.Option(help="Column of y (northing).")] = None,
    lat_field: Annotated[str | None, typer.Option(help="Column of the latitude.")] = None,
    lon_field: Annotated[str | None, typer.Option(help="Column of the longitude.")] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            metavar="FIELD=COLUMN",
            help="Column of a field, repeatable, e.g. --column id=ärendenummer.",
        ),
    ] = None,
    categories: Annotated[
        Path | None,
        typer.Option(
            "--categories",
            metavar="FILE",
            help="Category mapping (TOML, like drugscenes/data/categories.toml); default the "
            "built-in mapping of the Police event types.",
        ),
    ] = None,
    problems_file: Annotated[
        Path | None,
        typer.Option(
            "--problems", metavar="FILE", help="Write every rejected row with its reason to a CSV."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import incidents: accepted rows are stored (by id, idempotent); every rejected row is
    reported with its reason. Exit 1 when no row is accepted."""

    columns = column_mapping(
        {
            "id": id_field,
            "time": time_field,
            "type": type_field,
            "category": category_field,
            "x": x_field,
            "y": y_field,
            "lat": lat_field,
            "lon": lon_field,
        },
        column or [],
    )
    check_problems_file(problems_file)
    from drugscenes.io.incidents import load_categories
    from drugscenes.services import imports

    try:
        result = _run(
            workspace,
            imports.import_incidents,
            file=file,
            fmt=fmt,
            crs=parse_crs(crs),
            columns=columns or None,
            mapping=None if categories is None else load_categories(categories),
        )
    except DataError as exc:
        if problems_file is not None:
            write_problems(problems_file, exc.problems)
        raise
    if problems_file is not None:
        write_problems(problems_file, result.read.problems)
        result.problems_file = str(problems_file)
    print_problems(result.rejected)  # on stderr, also with --json: the JSON holds only the counts
    _show(result, as_json, _print_import, problems_file is not None)


def _print_import(result: imports.IncidentImportResult, wrote_problems: bool) -> None:
    r = result.to_dict()
    out.print(
        f"Read {r['n_read']:,} rows of {escape(Path(r['file']).name)} ({r['format']}): "
        f"[bold]{r['n_accepted']:,} accepted[/], {r['n_rejected']:,} rejected."
    )
    if r["rejected_by_reason"]:
        t = Table(title="Rejected rows by reason", header_style="bold")
        t.add_column("reason")
        t.add_column("code", style="dim")
        t.add_column("rows", justify="right")
        for code, n in r["rejected_by_reason"].items():
            t.add_row(REASONS.get(code, code), code, f"{n:,}")
        _print_table(t)
        if sum(r["rejected_by_reason"].values()) > r["n_rejected"]:
            out.print("A row can be rejected for more than one reason.")
        if not wrote_problems:
            out.print("Write every rejected row with its reason with --problems FILE.")
    t = Table(title="Accepted by category", header_style="bold")
    t.add_column("category")
    t.add_column("incidents", justify="right")
    for cat, n in r["accepted_by_category"].items():
        t.add_row(Text(cat), f"{n:,}")
    _print_table(t)
    out.print(f"Times from {r['first_time']} to {r['last_time']} (UTC).")
    out.print(
        f"Stored: {r['n_new']:,} new, {r['n_replaced']:,} replaced by id; the store now holds "
        f"{r['stored_after']:,} incidents (was {r['stored_before']:,})."
    )
    for note in r["notes"]:
        out.print(f"[yellow]Note:[/] {escape(note)}")


# -- crime ----------------------------------------------------------------------------------
def crime(
    workspace: WorkspaceArg,
    round_label: Annotated[
        str, typer.Option("--round", metavar="LABEL", help="Round whose scenes are counted.")
    ],
    date_from: FirstDay,
    date_to: LastDay,
    rings: Annotated[
        str,
        typer.Option(
            "--rings",
            metavar="M[,M...]",
            help="Ring distances around the scenes in metres, e.g. 100,200; a point exactly "
            "at a distance is within that ring.",
        ),
    ] = f"{config.RING_M:g}",
    by_municipality: Annotated[
        bool,
        typer.Option("--by-municipality", help="Split the rest of the region by municipality."),
    ] = False,
    top: Annotated[int, typer.Option(min=0, help="How many scenes to list.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Crime at and around the scenes of a round: counts, shares and density per zone, rate
    ratios against the rest of the region, scenes ranked, shootings."""
    from drugscenes.cli.memory import COUNT_MMAP_THRESHOLD, set_policy
    from drugscenes.services import early

    set_policy(mmap_threshold=COUNT_MMAP_THRESHOLD)
    early.start_crime(workspace, date_from, date_to)  # beside the job's imports
    from drugscenes.periods import Period
    from drugscenes.services import crime as services

    result = _run(
        workspace,
        services.crime,
        round_label=round_label,
        period=Period.parse(date_from, date_to),
        rings_m=parse_numbers(rings, "--rings", "metres"),
        per_municipality=by_municipality,
    )
    _print_warnings(result.warnings)
    _show(result, as_json, _print_crime, top)
    _end_process()


def _end_process() -> None:
    """End a ``drugscenes`` process now, its output flushed, skipping the interpreter's
    teardown (freeing the modules of pandas, SciPy, ... one object at a time: 0.25-0.4 s
    after ``crime``). Any other caller (a test, a program running the command in its own
    process) carries on."""
    main = sys.modules.get("__main__")
    if Path(getattr(main, "__file__", None) or "").stem != "drugscenes":
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _zone_label(zone: ZoneStats) -> str:
    return escape(
        f"{zone.zone} {zone.name or ''}".rstrip() if zone.zone.startswith("rest:") else zone.zone
    )


def _print_crime(r: CrimeResult, top: int) -> None:
    from drugscenes.analysis.crime import POLICE_ACTIVITY_NOTE

    pa = r.police_activity_categories
    cats = [c for c in r.zones[0].counts if any(z.counts[c] for z in r.zones)] or list(
        r.zones[0].counts
    )
    out.print(
        f"[bold]Crime at the {r.n_scenes} scenes of round {escape(r.round)}[/], "
        f"{_days(r.period_days)} (local time, both days included): {r.n_incidents:,} incidents."
    )
    zones = [(_zone_label(z), z) for z in r.zones]
    head: list[tuple[str, JustifyMethod]] = [("zone", "left"), ("area", "right")]
    _by_category(
        "Incidents by zone",
        [*head, ("total", "right")],
        cats,
        pa,
        [
            [n, fmt_area(z.area_m2), f"{z.total:,}", *[f"{z.counts[c]:,}" for c in cats]]
            for n, z in zones
        ],
    )
    _by_category(
        "Share of the zone's incidents",
        head[:1],
        cats,
        pa,
        [[n, *[_share(z.shares[c]) for c in cats]] for n, z in zones],
    )
    _by_category(
        "Density: incidents per km²",
        head[:1],
        cats,
        pa,
        [[n, *[_num(z.density_per_km2[c], ",.1f") for c in cats]] for n, z in zones],
    )

    rr = Table(
        title="Rate ratio per km² against the rest of the region (exact Poisson, 95 % CI)",
        header_style="bold",
    )
    for col in ("category", "zone", "count", "rest", "ratio", "95 % CI", "p"):
        rr.add_column(col, justify="left" if col in ("category", "zone") else "right")
    undefined: dict[str, None] = {}  # why some ratios are undefined, each reason once
    for row in r.rate_ratios:
        if row.category not in cats:
            continue
        if row.reason is not None:
            undefined[row.reason] = None
            ratio, ci = "undefined", "–"
        else:
            inf = row.ratio is None and row.count > 0 and row.count_ref == 0
            ratio = "∞ (rest 0)" if inf else _num(row.ratio)
            ci = f"{_num(row.ci_low)} – {_num(row.ci_high) if row.ci_high is not None else '∞'}"
        rr.add_row(
            _cat_label(row.category, pa),
            escape(row.zone),
            f"{row.count:,}",
            f"{row.count_ref:,}",
            ratio,
            ci,
            _p(row.p_value),
        )
    _print_table(rr)
    for reason in undefined:
        out.print(Text(f"Rate ratio undefined: {reason}."))

    ring = f"{r.rings_m[0]:g} m"
    if top and r.scenes:
        _by_category(
            f"Scenes by incidents inside or within {ring} (top {min(top, len(r.scenes))} "
            f"of {len(r.scenes)}; total without police-activity categories)",
            [("rank", "right"), ("scene", "left"), ("total", "right")],
            cats,
            pa,
            [
                [str(s.rank), Text(s.scene_id), f"{s.total:,}", *[f"{s.counts[c]:,}" for c in cats]]
                for s in r.scenes[:top]
            ],
        )

    out.print()
    out.print("[bold]Shootings[/]")
    with_shooting = [s for s in r.scenes if s.any_shooting]
    if math.isnan(r.share_of_scenes_with_shooting):
        out.print("No scenes in the round.")
    else:
        out.print(
            f"{len(with_shooting)} of {len(r.scenes)} scenes "
            f"({_share(r.share_of_scenes_with_shooting)}) had at least one shooting inside or "
            f"within {ring}."
        )
    by_zone = ", ".join(f"{z.zone} {z.counts.get('shooting', 0):,}" for z in r.zones)
    out.print(f"Shootings by zone: {escape(by_zone)}.")
    if with_shooting:
        listed = sorted(with_shooting, key=lambda s: (-s.counts["shooting"], s.scene_id))
        shown = ", ".join(f"{s.scene_id} ({s.counts['shooting']})" for s in listed[: top or None])
        more = f" and {len(listed) - top} more" if top and len(listed) > top else ""
        out.print(Text(f"Scenes with shootings: {shown}{more}."))

    for n in r.notes:
        if n != POLICE_ACTIVITY_NOTE:
            out.print(f"[yellow]Note:[/] {escape(n)}")
    if pa:
        out.print()
        out.print(f"[bold yellow]† {', '.join(pa)}:[/] {escape(POLICE_ACTIVITY_NOTE)}")


# -- displacement ---------------------------------------------------------------------------
def displacement_cmd(
    workspace: WorkspaceArg,
    from_round: Annotated[
        str, typer.Option("--from-round", metavar="A", help="Earlier round (the scenes worked on).")
    ],
    to_round: Annotated[
        str, typer.Option("--to-round", metavar="B", help="Later round (which scenes ceased).")
    ],
    before: Annotated[
        str,
        typer.Option(
            "--before", metavar="D1:D2", help="Before period, first:last day (both included)."
        ),
    ],
    after: Annotated[
        str,
        typer.Option(
            "--after", metavar="D3:D4", help="After period, first:last day (both included)."
        ),
    ],
    buffer_m: Annotated[
        float,
        typer.Option(
            "--buffer", metavar="M", min=0.0, help="Width of the buffer around each ceased scene."
        ),
    ] = config.RING_M,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Only this category, e.g. violence (default: all)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Displacement around the scenes that ceased between two rounds: the Weighted
    Displacement Quotient (Bowers & Johnson 2003) per scene and for all together."""
    from drugscenes.periods import Period
    from drugscenes.services import crime as services

    result = _run(
        workspace,
        services.displacement,
        from_round=from_round,
        to_round=to_round,
        before=Period.parse_range(before, "--before"),
        after=Period.parse_range(after, "--after"),
        buffer_m=buffer_m,
        category=category,
    )
    _show(result, as_json, _print_displacement)


def _print_displacement(r: DisplacementResult) -> None:
    from drugscenes.analysis.crime import POLICE_ACTIVITY_NOTE

    data = r.to_dict()
    what = "all incidents" if r.category is None else f"'{r.category}' incidents"
    out.print(
        f"[bold]Displacement around the scenes of round {escape(r.from_round)} that had ceased "
        f"by round {escape(r.to_round)}[/]: {len(r.scenes)} ceased scene(s); {what}; before "
        f"{_days(r.before_days)}, after {_days(r.after_days)} (local time, days included); "
        f"buffer {r.buffer_m:g} m."
    )
    out.print(
        "R: the scene, D: the buffer around it, C: control (its municipality without any "
        f"scene of either round and their {r.buffer_m:g} m); counts before → after."
    )
    t = Table(title="Weighted Displacement Quotient (Bowers & Johnson 2003)", header_style="bold")
    for col in ("scene", "R", "D", "C", "success", "buffer", "WDQ", "TNE", "reading"):
        t.add_column(
            col,
            justify="left" if col in ("scene", "reading") else "right",
            no_wrap=col != "reading",
        )

    def add(label: str, w: dict[str, Any], style: str = "") -> None:
        t.add_row(
            Text(label),
            f"{w['Rb']} → {w['Ra']}",
            f"{w['Db']} → {w['Da']}",
            f"{w['Cb']} → {w['Ca']}",
            _num(w["success_measure"], ".3f"),
            _num(w["buffer_displacement_measure"], ".3f"),
            _num(w["wdq"], ".3f"),
            _num(w["total_net_effect"], ".1f"),
            w["reading"],
            style=style,
        )

    rows = [(row["scene_id"], row) for row in data["scenes"]]
    for label, row in rows:
        add(label, row)
    if data["all_ceased"] is not None:
        t.add_section()
        add("all ceased together", data["all_ceased"], "bold")
        rows.append(("all ceased together", data["all_ceased"]))
    if data["scenes"]:
        _print_table(t)
    # Why a WDQ is undefined or not to be read, once per reason (too long for a cell).
    why: dict[str, list[str]] = collections.defaultdict(list)
    for label, row in rows:
        if row["reason"]:
            why[row["reason"]].append(label)
    for reason, labels in why.items():
        out.print(Text(f"{', '.join(labels)}: {reason}."))
    out.print(
        "success = Ra/Ca − Rb/Cb (< 0: the scene improved relative to the control); "
        "buffer = Da/Ca − Db/Cb; WDQ = buffer / success (> 0 diffusion of benefits, < 0 "
        "displacement, < −1 more than the gain); TNE = (Rb·Ca/Cb − Ra) + (Db·Ca/Cb − Da)."
    )
    for n in r.notes:
        if n != POLICE_ACTIVITY_NOTE:
            out.print(f"[yellow]Note:[/] {escape(n)}")
    if POLICE_ACTIVITY_NOTE in r.notes:
        out.print()
        out.print(f"[bold yellow]Drug offences:[/] {escape(POLICE_ACTIVITY_NOTE)}")


# -- near repeat ----------------------------------------------------------------------------
_DEFAULT_SPACE = ",".join(f"{v:g}" for v in (0.0, *config.KNOX_SPACE_BANDS_M))
_DEFAULT_TIME = ",".join(f"{v:g}" for v in (0.0, *config.KNOX_TIME_BANDS_DAYS))


def nearrepeat(
    workspace: WorkspaceArg,
    date_from: FirstDay,
    date_to: LastDay,
    category: Annotated[
        str, typer.Option(help="Category of the events.")
    ] = config.NEARREPEAT_CATEGORY,
    space_bands: Annotated[
        str,
        typer.Option(
            "--space-bands",
            metavar="M,M,...",
            help="Distance band edges in metres; each band includes its upper edge, the first "
            "also 0: 0,100,200 means [0, 100] and (100, 200]. Pairs farther apart than the "
            "last edge are not counted.",
        ),
    ] = _DEFAULT_SPACE,
    time_bands: Annotated[
        str,
        typer.Option(
            "--time-bands",
            metavar="D,D,...",
            help="Time-lag band edges in days, same rule; a last band (last edge, ∞) is added.",
        ),
    ] = _DEFAULT_TIME,
    simulations: Annotated[
        int, typer.Option(min=1, help="Monte Carlo permutations of the event times.")
    ] = config.KNOX_PERMUTATIONS,
    seed: Annotated[
        int, typer.Option(help="Seed of the permutations (same seed, same result).")
    ] = 0,
    round_label: LatestRound = None,
    ring_m: Annotated[
        float,
        typer.Option(
            "--ring",
            metavar="M",
            min=0.0,
            help="An event belongs to the scene it lies in or to the nearest scene within this "
            "distance.",
        ),
    ] = config.RING_M,
    as_json: JsonFlag = False,
) -> None:
    """Near repeats (Knox test): are events close in space also close in time? And per
    scene: how many events were followed by another within the first bands."""
    from drugscenes.periods import Period
    from drugscenes.services import crime as services

    result = _run(
        workspace,
        services.nearrepeat,
        period=Period.parse(date_from, date_to),
        category=category,
        space_bands_m=parse_band_edges(space_bands, "--space-bands", "metres"),
        time_bands_days=parse_band_edges(time_bands, "--time-bands", "days"),
        permutations=simulations,
        seed=seed,
        round_label=round_label,
        ring_m=ring_m,
    )
    if result.round_is_latest:
        err.print(f"Round {escape(result.round)} (the latest; choose another with --round).")
    _print_warnings(result.warnings)
    _show(result, as_json, _print_nearrepeat)


def _print_nearrepeat(r: NearRepeatResult) -> None:
    data, knox, period = r.to_dict(), r.knox, r.period
    cat = escape(data["category"])
    out.print(
        f"[bold]Near repeats of {cat}[/], {period} (local time, both days included): "
        f"{knox.n_events:,} events, {knox.n_pairs:,} pairs within "
        f"{knox.space_edges_m[-1]:g} m."
    )
    out.print(
        "Bands include their upper edge; the first band also includes 0: "
        "(100, 200] m means more than 100 m and at most 200 m."
    )
    t = Table(
        title="Observed / expected pairs (Knox ratio); observed count and Monte Carlo p",
        header_style="bold",
    )
    t.add_column("distance \\ time lag")
    for b in data["time_bands"]:
        t.add_column(b["label"], justify="right")
    for i, sb in enumerate(data["space_bands"]):
        cells = []
        for j in range(len(data["time_bands"])):
            obs, r, p = knox.observed[i, j], knox.ratio[i, j], knox.p_value[i, j]
            text = f"{_num(float(r))} ({obs}; p {_p(float(p))})"
            hot = math.isfinite(r) and r > 1 and p < 0.05
            cells.append(Text(text, style="bold red" if hot else ""))
        t.add_row(sb["label"], *cells)
    _print_table(t)
    f = data["followup"]
    out.print(
        f"{f['n_followed']:,} of {f['n_events']:,} {cat} events ({_share(f['share_followed'])}) "
        f"were followed by another within {f['distance_m']:g} m and {f['days']:g} days "
        "(0 < lag)."
    )
    rows = sorted(
        (s for s in data["scenes"] if s["shootings"]),
        key=lambda s: (-s["followed"], -s["shootings"], s["scene_id"]),
    )
    if rows:
        st = Table(
            title=f"Scenes of round {escape(str(data['round']))}: {cat} events inside or within "
            f"{f['ring_m']:g} m",
            header_style="bold",
        )
        st.add_column("scene")
        st.add_column("events", justify="right")
        st.add_column(f"followed within {f['distance_m']:g} m, {f['days']:g} days", justify="right")
        for s in rows:
            st.add_row(Text(s["scene_id"]), str(s["shootings"]), str(s["followed"]))
        _print_table(st)
    else:
        out.print(f"No {cat} events inside or within {f['ring_m']:g} m of a scene.")
    for n in data["notes"]:
        out.print(f"[yellow]Note:[/] {escape(n)}")


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add ``crime``, ``displacement`` and ``nearrepeat`` to ``app`` and ``incidents`` to the
    ``import`` group."""
    import_app.command("incidents")(import_incidents)
    app.command("crime")(crime)
    app.command("displacement")(displacement_cmd)
    app.command("nearrepeat")(nearrepeat)
