"""Commands of the crime feature: ``import incidents``, ``crime``, ``displacement``, ``nearrepeat``.

Thin: parse, read the workspace and its incident store, call
:mod:`drugscenes.analysis.crime` / :mod:`drugscenes.analysis.nearrepeat`, print. Wire them
with :func:`register`.

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
import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import typer
from pyproj import CRS
from pyproj.exceptions import CRSError
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drugscenes import imports
from drugscenes.analysis.change import compare_rounds
from drugscenes.analysis.crime import (
    POLICE_ACTIVITY_NOTE,
    CrimeResult,
    DisplacementResult,
    crime_concentration,
    displacement,
)
from drugscenes.analysis.nearrepeat import (
    DEFAULT_SPACE_BANDS_M,
    DEFAULT_TIME_BANDS_DAYS,
    KnoxResult,
    followed_within,
    followups_per_scene,
    knox_bands,
)
from drugscenes.analysis.periods import TIMEZONE, parse_day
from drugscenes.analysis.zones import DEFAULT_RING_M, ZoneIndex, check_rings
from drugscenes.cli.app import (
    WorkspaceArg,
    err,
    fmt_area,
    out,
    print_json,
    print_problems,
    spinner,
    write_problems,
)
from drugscenes.errors import DataError, UsageError
from drugscenes.io.incidents import FORMATS, load_categories
from drugscenes.store import incidents_path, open_workspace
from drugscenes.store.incidents_parquet import count_incidents
from drugscenes.store.incidents_parquet import read_incidents as read_store

__all__ = ["crime", "displacement_cmd", "import_incidents", "nearrepeat", "register"]

"""Time zone of the calendar days given on the command line."""

ANALYSIS_COLUMNS = ["time", "category", "x", "y", "police_activity"]

REASONS = {
    "id-missing": "no id",
    "id-duplicate": "id repeats an earlier row",
    "time-invalid": "no or unparseable time",
    "coordinates-missing": "no or unparseable coordinates",
    "outside-region": "outside the region",
    "location-county-level": "located only at county level",
    "type-excluded": "excluded type (summary, notice, ...)",
    "type-missing": "no type",
    "type-unmapped": "unmapped type",
}
"""Short label of each rejection reason (Problem code) for the count table."""

PLACE_LEVEL_SAMPLE = 200_000
"""Rows looked at to tell place-level coordinates from point data."""


# -- parsing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """Calendar days ``first``..``last`` (both included) in Swedish local time.

    ``start`` and ``end`` are the half-open bounds the analyses take (tz-aware).
    """

    first: date
    last: date

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.first).tz_localize(TIMEZONE)

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.last + timedelta(days=1)).tz_localize(TIMEZONE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "to_included": True,
            "timezone": TIMEZONE,
        }

    def __str__(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def parse_date(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` day (see :func:`drugscenes.analysis.periods.parse_day`).

    Examples
    --------
    >>> p = Period(parse_date("2023-01-01", "--from"), parse_date("2023-12-31", "--to"))
    >>> p.start.isoformat(), p.end.isoformat()  # --to is included: the end is the next day
    ('2023-01-01T00:00:00+01:00', '2024-01-01T00:00:00+01:00')
    """
    return parse_day(text, option)


def parse_period(first: str, last: str) -> Period:
    """Period of the days ``--from first`` .. ``--to last``, both included."""
    a, b = parse_date(first, "--from"), parse_date(last, "--to")
    if b < a:
        raise UsageError(f"--to ({b}) is before --from ({a})")
    return Period(a, b)


def parse_range(text: str, option: str) -> Period:
    """``FIRST:LAST`` (e.g. ``2023-01-01:2023-06-30``), both days included."""
    first, sep, last = text.partition(":")
    if not sep:
        raise UsageError(
            f"{option}: give FIRST:LAST days, e.g. 2023-01-01:2023-06-30; got '{text}'"
        )
    a, b = parse_date(first, option), parse_date(last, option)
    if b < a:
        raise UsageError(f"{option}: the last day ({b}) is before the first ({a})")
    return Period(a, b)


def parse_numbers(text: str, option: str, unit: str) -> list[float]:
    """``"100,200"`` -> ``[100.0, 200.0]``; a wrong list is a UsageError."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) for v in values):
        raise UsageError(f"{option}: give {unit} separated by commas, e.g. 100,200; got '{text}'")
    return values


def parse_band_edges(text: str, option: str, unit: str) -> list[float]:
    """Band edges ``0,100,200`` or ``100,200`` -> upper edges ``[100, 200]``.

    A leading 0 is the lower bound of the first band and may be left out.

    Examples
    --------
    >>> parse_band_edges("0,100,200,400", "--space-bands", "metres")
    [100.0, 200.0, 400.0]
    """
    values = parse_numbers(text, option, unit)
    if values[0] == 0:
        values = values[1:]
    if (
        not values
        or any(v <= 0 for v in values)
        or any(b <= a for a, b in itertools.pairwise(values))
    ):
        raise UsageError(
            f"{option}: give increasing positive band edges in {unit}, e.g. 0,100,200; got '{text}'"
        )
    return values


def _crs(text: str | None) -> int | str | None:
    if text is None:
        return None
    value: int | str = int(text) if text.strip().isdigit() else text.strip()
    try:
        CRS.from_user_input(value)
    except CRSError:
        raise UsageError(f"--crs: unknown CRS '{text}'; give an EPSG code, e.g. 3006") from None
    return value


def _column_mapping(given: dict[str, str | None], pairs: list[str]) -> dict[str, str]:
    columns = {k: v for k, v in given.items() if v}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise UsageError(f"--column: give FIELD=COLUMN, e.g. id=ärendenummer; got '{pair}'")
        columns[field_name.strip()] = column.strip()
    return columns


# -- shared steps ---------------------------------------------------------------------------
def _incident_root(workspace: Path) -> Path:

    return incidents_path(workspace)


def _read_period(workspace: Path, period: Period, what: str = "incidents") -> pd.DataFrame:
    """Stored incidents of a period; a DataError (exit 1) when there are none."""

    root = _incident_root(workspace)
    with spinner(f"reading incidents {period}"):
        inc = read_store(root, period.start, period.end, columns=ANALYSIS_COLUMNS)
    if inc.empty:
        n = count_incidents(root)
        held = (
            f"the store holds {n:,} incidents in other periods"
            if n
            else "no incidents are imported yet; import them with 'drugscenes import incidents'"
        )
        raise DataError(
            f"no {what} from {period} (local time, both days included) in {workspace}: {held}"
        )
    return inc


def _place_level_warning(inc: pd.DataFrame, n_municipalities: int) -> str | None:
    """Police events are placed at municipality centres: say so instead of measuring them.

    Place-level data has at most about one point per municipality, each shared by several
    incidents; point or address data has many more points. The first rows suffice.
    """
    sample = inc.iloc[:PLACE_LEVEL_SAMPLE]
    n = len(sample)
    points = len(sample.drop_duplicates(["x", "y"]))
    if n == 0 or points > 2 * n_municipalities or n < 3 * points:
        return None
    return (
        f"{n:,} incidents lie on only {points} distinct points: the coordinates look "
        "place-level (e.g. Police events at a municipality's centre), so distances to "
        "scenes, zones and near repeats are not meaningful for them"
    )


def _latest_round(store: Any, workspace: Path, round_label: str | None) -> str:
    if round_label is not None:
        return round_label
    labels = store.round_labels()
    if not labels:
        raise UsageError(
            f"{workspace} has no rounds yet; import one with 'drugscenes import scenes'"
        )
    err.print(f"Round {escape(str(labels[-1]))} (the latest; choose another with --round).")
    return str(labels[-1])


def _print_table(table: Table) -> None:
    """Print a table; numbers that do not fit wrap instead of being cut to "1,2…"."""
    for col in table.columns:
        col.overflow = "fold"
    out.print(table)


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
            help=f"One of {', '.join(FORMATS)} (default: from the file name).",
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import incidents: accepted rows are stored (by id, idempotent); every rejected row is
    reported with its reason. Exit 1 when no row is accepted."""

    columns = _column_mapping(
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
    src_crs = _crs(crs)
    mapping = load_categories(categories) if categories is not None else None
    with open_workspace(workspace) as store:
        region = store.municipalities()
    try:
        with spinner(f"reading {file.name}") as step:
            imported = imports.import_incidents(
                workspace, file, region, fmt, src_crs, columns or None, mapping, step
            )
    except DataError as exc:
        if problems_file is not None:
            write_problems(problems_file, exc.problems)
        raise
    res = imported.read
    rejected = [p for p in res.problems if p.severity == "warning"]
    if problems_file is not None:
        write_problems(problems_file, res.problems)
    root, before, after, n_new = (
        imported.store,
        imported.stored_before,
        imported.stored_after,
        imported.n_new,
    )
    by_reason = dict(collections.Counter(p.code for p in rejected).most_common())
    times = res.incidents["time"]
    result = {
        "workspace": str(workspace),
        "file": str(file),
        "format": res.format,
        "n_read": res.n_read,
        "n_accepted": len(res.incidents),
        "n_rejected": res.n_rejected,
        "rejected_by_reason": by_reason,
        "accepted_by_category": {
            str(k): int(v) for k, v in res.incidents["category"].value_counts().items()
        },
        "first_time": times.min().isoformat(),
        "last_time": times.max().isoformat(),
        "n_new": n_new,
        "n_replaced": len(res.incidents) - n_new,
        "stored_before": before,
        "stored_after": after,
        "store": str(root),
        "problems_file": str(problems_file) if problems_file else None,
        "notes": res.notes,
    }
    print_problems(rejected)  # on stderr, also with --json: the JSON holds only the counts
    if as_json:
        print_json(result)
        return
    _print_import(result, problems_file is not None)


def _print_import(r: dict[str, Any], wrote_problems: bool) -> None:
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
    date_from: Annotated[
        str, typer.Option("--from", metavar="DATE", help="First day, YYYY-MM-DD (local time).")
    ],
    date_to: Annotated[
        str, typer.Option("--to", metavar="DATE", help="Last day, YYYY-MM-DD, included.")
    ],
    rings: Annotated[
        str,
        typer.Option(
            "--rings",
            metavar="M[,M...]",
            help="Ring distances around the scenes in metres, e.g. 100,200; a point exactly "
            "at a distance is within that ring.",
        ),
    ] = f"{DEFAULT_RING_M:g}",
    by_municipality: Annotated[
        bool,
        typer.Option("--by-municipality", help="Split the rest of the region by municipality."),
    ] = False,
    top: Annotated[int, typer.Option(min=0, help="How many scenes to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Crime at and around the scenes of a round: counts, shares and density per zone, rate
    ratios against the rest of the region, scenes ranked, shootings."""

    period = parse_period(date_from, date_to)
    ring_m = check_rings(parse_numbers(rings, "--rings", "metres"))
    with open_workspace(workspace) as store:
        scenes = store.round_scenes(round_label)
        municipalities = store.municipalities()
    inc = _read_period(workspace, period)
    warning = _place_level_warning(inc, len(municipalities))
    with spinner(f"counting {len(inc):,} incidents in zones"):
        result = crime_concentration(
            inc,
            scenes,
            municipalities,
            period.start,
            period.end,
            round_label,
            rings_m=ring_m,
            per_municipality=by_municipality,
        )
    if warning:
        err.print(f"[yellow]warning[/] {escape(warning)}", soft_wrap=True)
    if as_json:
        data = result.to_dict()
        data["period_days"] = period.to_dict()
        data["n_scenes"] = len(scenes)
        data["n_incidents"] = len(inc)
        if warning:
            data["notes"] = [*data["notes"], warning]
        print_json(data)
        return
    names = dict(
        zip(municipalities["code"].astype(str), municipalities["name"].astype(str), strict=True)
    )
    _print_crime(result, period, len(scenes), len(inc), top, warning, names)


def _zone_label(zone: str, municipality_names: dict[str, str]) -> str:
    if zone.startswith("rest:"):
        code = zone.removeprefix("rest:")
        return f"{zone} {municipality_names.get(code, '')}".rstrip()
    return zone


def _print_crime(
    r: CrimeResult,
    period: Period,
    n_scenes: int,
    n_incidents: int,
    top: int,
    warning: str | None,
    municipality_names: dict[str, str],
) -> None:
    pa = r.police_activity_categories
    cats = [c for c in r.zones[0].counts if any(z.counts[c] for z in r.zones)] or list(
        r.zones[0].counts
    )
    out.print(
        f"[bold]Crime at the {n_scenes} scenes of round {escape(r.round)}[/], "
        f"{period} (local time, both days included): {n_incidents:,} incidents."
    )
    names = [_zone_label(z.zone, municipality_names) for z in r.zones]
    t = Table(title="Incidents by zone", header_style="bold")
    t.add_column("zone")
    t.add_column("area", justify="right")
    t.add_column("total", justify="right")
    for c in cats:
        t.add_column(_cat_label(c, pa), justify="right")
    for name, z in zip(names, r.zones, strict=True):
        t.add_row(name, fmt_area(z.area_m2), f"{z.total:,}", *[f"{z.counts[c]:,}" for c in cats])
    _print_table(t)
    sh = Table(title="Share of the zone's incidents", header_style="bold")
    sh.add_column("zone")
    for c in cats:
        sh.add_column(_cat_label(c, pa), justify="right")
    for name, z in zip(names, r.zones, strict=True):
        sh.add_row(name, *[_share(z.shares[c]) for c in cats])
    _print_table(sh)
    d = Table(title="Density: incidents per km²", header_style="bold")
    d.add_column("zone")
    for c in cats:
        d.add_column(_cat_label(c, pa), justify="right")
    for name, z in zip(names, r.zones, strict=True):
        d.add_row(name, *[_num(z.density_per_km2[c], ",.1f") for c in cats])
    _print_table(d)

    rr = Table(
        title="Rate ratio per km² against the rest of the region (exact Poisson, 95 % CI)",
        header_style="bold",
    )
    for col in ("category", "zone", "count", "rest", "ratio", "95 % CI", "p"):
        rr.add_column(col, justify="left" if col in ("category", "zone") else "right")
    for row in r.rate_ratios:
        if row.category not in cats:
            continue
        if row.ratio is None and row.count > 0 and row.count_ref == 0:
            ratio = "∞ (rest 0)"
        else:
            ratio = _num(row.ratio)
        ci = f"{_num(row.ci_low)} – {_num(row.ci_high) if row.ci_high is not None else '∞'}"
        rr.add_row(
            _cat_label(row.category, pa),
            row.zone,
            f"{row.count:,}",
            f"{row.count_ref:,}",
            ratio,
            ci,
            _p(row.p_value),
        )
    _print_table(rr)

    ring = f"{r.rings_m[0]:g} m"
    if top and r.scenes:
        st = Table(
            title=f"Scenes by incidents inside or within {ring} (top {min(top, len(r.scenes))} "
            f"of {len(r.scenes)}; total without police-activity categories)",
            header_style="bold",
        )
        st.add_column("rank", justify="right")
        st.add_column("scene")
        st.add_column("total", justify="right")
        for c in cats:
            st.add_column(_cat_label(c, pa), justify="right")
        for s in r.scenes[:top]:
            st.add_row(
                str(s.rank), Text(s.scene_id), f"{s.total:,}", *[f"{s.counts[c]:,}" for c in cats]
            )
        _print_table(st)

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
    out.print(f"Shootings by zone: {by_zone}.")
    if with_shooting:
        listed = sorted(with_shooting, key=lambda s: (-s.counts["shooting"], s.scene_id))
        shown = ", ".join(f"{s.scene_id} ({s.counts['shooting']})" for s in listed[: top or None])
        more = f" and {len(listed) - top} more" if top and len(listed) > top else ""
        out.print(Text(f"Scenes with shootings: {shown}{more}."))

    notes = [n for n in r.notes if n != POLICE_ACTIVITY_NOTE]
    if warning:
        notes.append(warning)
    for n in notes:
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
    ] = DEFAULT_RING_M,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Only this category, e.g. violence (default: all)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Displacement around the scenes that ceased between two rounds: the Weighted
    Displacement Quotient (Bowers & Johnson 2003) per scene and for all together."""

    if from_round == to_round:
        raise UsageError(f"--from-round and --to-round are the same round ('{from_round}')")
    p_before, p_after = parse_range(before, "--before"), parse_range(after, "--after")
    if p_before.last >= p_after.first:
        raise UsageError(f"--before ({p_before}) must end before --after ({p_after}) starts")
    with open_workspace(workspace) as store:
        scenes_a = store.round_scenes(from_round)
        scenes_b = store.round_scenes(to_round)
        municipalities = store.municipalities()
    fates = compare_rounds(
        scenes_a, scenes_b, municipalities, from_round=from_round, to_round=to_round
    ).from_scenes
    ceased_ids = set(fates.loc[fates["status"] == "ceased", "scene_id"].astype(str))
    ceased = scenes_a[scenes_a["scene_id"].astype(str).isin(ceased_ids)]
    what = "incidents" if category is None else f"'{category}' incidents"
    parts = []
    for label, period in (("before", p_before), ("after", p_after)):
        inc = _read_period(workspace, period, f"incidents ({label} period)")
        if category is not None:
            present = sorted(inc["category"].astype(str).unique())
            inc = inc[inc["category"].astype(str) == category]
            if inc.empty:
                raise DataError(
                    f"no {what} in the {label} period {period}; categories there: "
                    f"{', '.join(present)}"
                )
        parts.append(inc)
    incidents = pd.concat(parts, ignore_index=True)
    all_scenes = gpd.GeoDataFrame(
        pd.concat([scenes_a[["scene_id", "geometry"]], scenes_b[["scene_id", "geometry"]]]),
        geometry="geometry",
        crs=scenes_a.crs,
    )
    with spinner(f"counting {len(incidents):,} incidents around {len(ceased)} ceased scenes"):
        result = displacement(
            incidents,
            ceased,
            all_scenes,
            municipalities,
            (p_before.start, p_before.end),
            (p_after.start, p_after.end),
            buffer_m=buffer_m,
            category=category,
            from_round=from_round,
            to_round=to_round,
        )
    data = result.to_dict()
    for row in data["scenes"]:
        row["interpretation"] = interpret_wdq(row)
    if data["all_ceased"] is not None:
        data["all_ceased"]["interpretation"] = interpret_wdq(data["all_ceased"])
    data["before_days"] = p_before.to_dict()
    data["after_days"] = p_after.to_dict()
    data["ceased_scene_ids"] = sorted(ceased_ids)
    if as_json:
        print_json(data)
        return
    _print_displacement(result, data, p_before, p_after)


def interpret_wdq(w: dict[str, Any]) -> str:
    """What a WDQ row says, in words (Bowers & Johnson 2003; see the domain notes)."""
    if w["wdq"] is None or (w["success_measure"] or 0) > 0:
        return str(w["reason"])
    q = w["wdq"]
    if q > 0:
        return "diffusion of benefits: the buffer improved too"
    if q == 0:
        return "no change in the buffer relative to the control"
    if q >= -1:
        return "displacement to the buffer, smaller than the gain at the scene"
    return "displacement to the buffer larger than the gain: the effect is more than erased"


def _short_reading(w: dict[str, Any]) -> str:
    if w["wdq"] is None:
        return "undefined"
    if w["success_measure"] > 0:
        return "not interpretable"
    q = w["wdq"]
    if q > 0:
        return "diffusion of benefits"
    if q == 0:
        return "buffer unchanged"
    return "displacement" if q >= -1 else "displacement > gain"


def _print_displacement(
    r: DisplacementResult, data: dict[str, Any], p_before: Period, p_after: Period
) -> None:
    what = "all incidents" if r.category is None else f"'{r.category}' incidents"
    out.print(
        f"[bold]Displacement around the scenes of round {escape(r.from_round)} that had ceased "
        f"by round {escape(r.to_round)}[/]: {len(r.scenes)} ceased scene(s); {what}; before "
        f"{p_before}, after {p_after} (local time, days included); buffer {r.buffer_m:g} m."
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
            _short_reading(w),
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
_DEFAULT_SPACE = ",".join(f"{v:g}" for v in (0.0, *DEFAULT_SPACE_BANDS_M))
_DEFAULT_TIME = ",".join(f"{v:g}" for v in (0.0, *DEFAULT_TIME_BANDS_DAYS))


def band_labels(edges: tuple[float, ...], unit: str, open_end: bool) -> list[dict[str, Any]]:
    """Exact bands from upper edges: ``[0, e1]``, ``(e1, e2]``, ... (and ``(em, ∞)``).

    Examples
    --------
    >>> [b["label"] for b in band_labels((7.0, 14.0), "days", open_end=True)]
    ['[0, 7] days', '(7, 14] days', '(14, ∞) days']
    """
    highs: list[float | None] = [*edges, None] if open_end else list(edges)
    lows = [0.0, *edges][: len(highs)]
    bands = []
    for i, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
        left = "[" if i == 0 else "("
        right = "∞)" if hi is None else f"{hi:g}]"
        bands.append(
            {
                "label": f"{left}{lo:g}, {right} {unit}",
                "from": lo,
                "to": hi,
                "includes_from": i == 0,
                "includes_to": hi is not None,
            }
        )
    return bands


def nearrepeat(
    workspace: WorkspaceArg,
    date_from: Annotated[
        str, typer.Option("--from", metavar="DATE", help="First day, YYYY-MM-DD (local time).")
    ],
    date_to: Annotated[
        str, typer.Option("--to", metavar="DATE", help="Last day, YYYY-MM-DD, included.")
    ],
    category: Annotated[str, typer.Option(help="Category of the events.")] = "shooting",
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
    ] = 999,
    seed: Annotated[
        int, typer.Option(help="Seed of the permutations (same seed, same result).")
    ] = 0,
    round_label: Annotated[
        str | None,
        typer.Option(
            "--round", metavar="LABEL", help="Round for the per-scene counts (default: the latest)."
        ),
    ] = None,
    ring_m: Annotated[
        float,
        typer.Option(
            "--ring",
            metavar="M",
            min=0.0,
            help="An event belongs to the scene it lies in or to the nearest scene within this "
            "distance.",
        ),
    ] = DEFAULT_RING_M,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Near repeats (Knox test): are events close in space also close in time? And per
    scene: how many events were followed by another within the first bands."""

    period = parse_period(date_from, date_to)
    space = parse_band_edges(space_bands, "--space-bands", "metres")
    days = parse_band_edges(time_bands, "--time-bands", "days")
    ring = check_rings([ring_m])
    with open_workspace(workspace) as store:
        round_label = _latest_round(store, workspace, round_label)
        scenes = store.round_scenes(round_label)
        municipalities = store.municipalities()
    inc = _read_period(workspace, period)
    present = sorted(inc["category"].astype(str).unique())
    ev = inc[inc["category"].astype(str) == category]
    if len(ev) < 2:
        raise DataError(
            f"{len(ev)} '{category}' event(s) from {period}: a near-repeat test needs at least "
            f"two (categories in the period: {', '.join(present)})"
        )
    warning = _place_level_warning(ev, len(municipalities))
    if warning:
        err.print(f"[yellow]warning[/] {escape(warning)}", soft_wrap=True)
    x = ev["x"].to_numpy(float)
    y = ev["y"].to_numpy(float)
    t = pd.to_datetime(ev["time"], utc=True)
    t_days = ((t - t.min()) / pd.Timedelta(days=1)).to_numpy(float)
    with spinner(f"Monte Carlo: {simulations:,} permutations of {len(ev):,} events"):
        knox = knox_bands(x, y, t_days, space, days, permutations=simulations, seed=seed)
    followed = followed_within(x, y, t_days, space[0], days[0])
    za = ZoneIndex(scenes, ring).assign(x, y)
    scene_index = np.where(za.zone <= 1, za.scene_index, -1).astype(np.int32)
    per_scene = followups_per_scene(followed, scene_index, scenes["scene_id"].astype(str))
    notes = [
        f"Monte Carlo with {simulations} permutations of the event times, seed {seed}: the "
        "same seed gives the same table."
    ]
    if warning:
        notes.append(warning)
    data = {
        "round": round_label,
        "category": category,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "period_days": period.to_dict(),
        "space_bands": band_labels(knox.space_edges_m, "m", open_end=False),
        "time_bands": band_labels(knox.time_edges_days, "days", open_end=True),
        "knox": knox.to_dict(),
        "followup": {
            "distance_m": space[0],
            "days": days[0],
            "rule": f"followed: another {category} at a distance <= {space[0]:g} m and "
            f"0 < lag <= {days[0]:g} days later",
            "ring_m": ring[0],
            "n_events": len(ev),
            "n_followed": int(followed.sum()),
            "share_followed": float(followed.mean()),
        },
        "scenes": per_scene,
        "notes": notes,
    }
    if as_json:
        print_json(data)
        return
    _print_nearrepeat(data, knox, period)


def _print_nearrepeat(data: dict[str, Any], knox: KnoxResult, period: Period) -> None:
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
