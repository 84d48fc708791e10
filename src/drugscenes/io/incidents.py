"""Read incidents (police events, crime records) into one clean frame.

Formats
-------
``csv``
    Any delimited file (``,`` or the Swedish Excel ``;`` with decimal comma) with an
    id, a time, a type or category and either ``x``/``y`` in a given CRS or
    ``lat``/``lon`` (WGS84). Column names are recognised case-insensitively from
    common names (see :data:`COLUMN_ALIASES`) or given in ``columns``. The archive
    of the Swedish Police public events (``id, datetime, type, location_name, lat,
    lon, summary, url``) is such a CSV and is recognised as ``police-csv``.
``police-json``
    The JSON the Police's public events API serves (polisen.se/api/events): a list
    of objects with ``id``, ``datetime`` (``"2026-08-22 8:13:44 +02:00"``),
    ``name``, ``summary``, ``url``, ``type`` and ``location`` {``name``, ``gps``
    as ``"lat,lng"``}.
``gpkg`` / ``parquet``
    Point layers (GeoPackage, GeoParquet) with id, time and type columns; the CRS
    is taken from the file (``crs`` only when the file has none).

Output
------
:func:`read_incidents` returns an :class:`IncidentImport`: the accepted rows as a
DataFrame with ``incident_id`` (str), ``time`` (datetime64[ns, UTC]),
``source_type`` (str), ``category`` (str), ``x``, ``y`` (float64, EPSG:3006),
``police_activity`` (bool), ``municipality_code`` (str), and one
:class:`~drugscenes.errors.Problem` (severity ``warning``) per rejected row and
reason. Nothing is dropped without a Problem. Rejected: no or unparseable id or
time, a time outside the years 1900–2199, a local time that does not exist or is
ambiguous at a daylight-saving change, no or unparseable coordinates, outside the
region, unmapped or excluded type, a repeated id (the first row with the id is kept),
and a CSV row that cannot be read (another number of fields than the header).

Times without an offset are read as Swedish local time (Europe/Stockholm) and
stored in UTC. For the Police events, ``datetime`` is when the event was
**published**, usually hours after the incident.

Police event coordinates are place-level: the API gives one point per location
name (a municipality's centre), so events can be counted per municipality but say
nothing about distances to scenes. Events located only at county level
(``location.name`` ending in " län") are rejected: their point is the county's
centre, which lies inside one municipality (Vallentuna for Stockholm county).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from drugscenes.analysis.zones import assign_polygons
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.columns import resolve_columns
from drugscenes.io.tabular import CsvTable, read_csv
from drugscenes.periods import FIRST_YEAR, LAST_YEAR
from drugscenes.store.base import INCIDENT_COLUMNS as STORED_COLUMNS

FORMATS = ("csv", "police-csv", "police-json", "gpkg", "parquet")
"""Formats :func:`read_incidents` understands."""

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "incident_id", "event_id", "händelse_id", "nr"),
    "time": ("time", "datetime", "timestamp", "date", "tid", "datum", "tidpunkt"),
    "type": ("type", "source_type", "typ", "brottstyp", "brottskod", "händelsetyp"),
    "category": ("category", "kategori"),
    "x": ("x", "easting", "x_3006", "e"),
    "y": ("y", "northing", "y_3006", "n"),
    "lat": ("lat", "latitude", "latitud"),
    "lon": ("lon", "lng", "long", "longitude", "longitud"),
    "location_name": ("location_name", "plats", "location"),
}
"""Recognised column names (lower case) for each field, in order of preference."""

OUTPUT_COLUMNS = STORED_COLUMNS
"""Columns of the clean incident frame: exactly what the incident store keeps."""

PLACE_LEVEL_NOTE = (
    "Police event coordinates are place-level (one point per municipality): use them "
    "for counts per municipality, not for distances to scenes or zone assignment."
)


@dataclass(frozen=True)
class CategoryMapping:
    """Source types to analysis categories, read from a TOML file.

    Attributes
    ----------
    categories : dict
        Category name -> ``police_activity`` flag.
    types : dict
        Lower-cased, trimmed source type -> category.
    exclude : dict
        Lower-cased source type -> reason the type is not imported.
    source : str
        File the mapping came from.
    """

    categories: dict[str, bool]
    types: dict[str, str]
    exclude: dict[str, str]
    source: str

    @property
    def police_activity_categories(self) -> list[str]:
        """Categories whose counts measure police activity (e.g. drug offences)."""
        return [c for c, flag in self.categories.items() if flag]


def load_categories(path: str | Path | None = None) -> CategoryMapping:
    """Read a category mapping (TOML); None reads the documented default.

    The default, ``drugscenes/data/categories.toml``, explains its choices in its
    header. Raises DataError when a type maps to an unknown category.

    Examples
    --------
    >>> m = load_categories()
    >>> m.types["skottlossning"], m.police_activity_categories
    ('shooting', ['drug offence'])
    """
    if path is None:
        ref = resources.files("drugscenes.data").joinpath("categories.toml")
        text, source = ref.read_text(encoding="utf-8"), "categories.toml (default)"
    else:
        p = Path(path)
        if not p.exists():
            raise UsageError(f"category mapping file not found: {p}")
        text, source = p.read_text(encoding="utf-8"), str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(f"{source}: not valid TOML: {e}") from e
    cats = raw.get("categories")
    if not isinstance(cats, dict) or not cats:
        raise DataError(f"{source}: needs a [categories] table")
    categories = {str(k): bool(v.get("police_activity", False)) for k, v in cats.items()}
    problems = [
        Problem("category-unknown", f"type '{t}' maps to unknown category '{c}'", source)
        for t, c in raw.get("types", {}).items()
        if c not in categories
    ]
    if problems:
        raise DataError(f"{source}: types map to categories not in [categories]", problems)
    types = {_norm(t): str(c) for t, c in raw.get("types", {}).items()}
    exclude = {_norm(t): str(r) for t, r in raw.get("exclude", {}).items()}
    return CategoryMapping(categories, types, exclude, source)


def _norm(s: str) -> str:
    return " ".join(str(s).split()).casefold()


@dataclass(frozen=True)
class IncidentImport:
    """Result of reading an incident file.

    Attributes
    ----------
    incidents : DataFrame
        Accepted rows, columns :data:`OUTPUT_COLUMNS`.
    problems : list of Problem
        One per rejected row and reason (``warning``), plus notes (``info``).
    n_read : int
        Data rows read from the file.
    format : str
        The format used.
    notes : list of str
        What the data can and cannot be used for (e.g. place-level coordinates).
    """

    incidents: pd.DataFrame
    problems: list[Problem]
    n_read: int
    format: str
    notes: list[str] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        """Rows rejected (each has at least one Problem)."""
        return self.n_read - len(self.incidents)


def detect_format(path: str | Path) -> str:
    """Format from the file name (``.json``, ``.csv[.gz]``, ``.gpkg``, ``.parquet``)."""
    name = Path(path).name.lower()
    if name.endswith(".json"):
        return "police-json"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    if name.endswith(".gpkg"):
        return "gpkg"
    if name.endswith((".parquet", ".geoparquet")):
        return "parquet"
    raise UsageError(
        f"cannot tell the format of '{Path(path).name}' from its name; give --format "
        f"(one of {', '.join(FORMATS)})"
    )


def read_incidents(
    path: str | Path,
    region: gpd.GeoDataFrame,
    fmt: str | None = None,
    crs: int | str | None = None,
    columns: dict[str, str] | None = None,
    mapping: CategoryMapping | None = None,
) -> IncidentImport:
    """Read, check and map an incident file to the clean incident frame.

    Parameters
    ----------
    path : str or Path
        The file.
    region : GeoDataFrame
        Municipalities (``code``, ``geometry`` in EPSG:3006); rows outside are rejected
        and the others get their ``municipality_code`` (a point on a shared border
        goes to the first municipality by row order).
    fmt : str, optional
        One of :data:`FORMATS`; default from the file name.
    crs : int or str, optional
        CRS of ``x``/``y`` columns (CSV) or of a file without CRS. For CSV with
        ``x``/``y`` it is required; ``lat``/``lon`` are always WGS84.
    columns : dict, optional
        Field -> column name in the file, for fields named otherwise
        (fields: ``id``, ``time``, ``type``, ``category``, ``x``, ``y``, ``lat``, ``lon``).
    mapping : CategoryMapping, optional
        Default :func:`load_categories`.

    Returns
    -------
    IncidentImport

    Raises
    ------
    UsageError
        Unknown format, missing CRS, unknown field in ``columns``; a
        :class:`~drugscenes.errors.ColumnError` when a column in ``columns`` is not in
        the file or a needed field (id, time, type or category, coordinates) has none.
    DataError
        The file cannot be read (nothing is imported).
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"incident file not found: {p}")
    fmt = fmt or detect_format(p)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}")
    if columns:
        unknown = set(columns) - set(COLUMN_ALIASES)
        if unknown:
            raise UsageError(
                f"unknown field(s) in column mapping: {sorted(unknown)}; "
                f"fields are {sorted(COLUMN_ALIASES)}"
            )
    mapping = mapping or load_categories()
    if "code" not in region.columns:
        raise UsageError("region must have a 'code' column (the municipalities)")
    notes: list[str] = []
    is_police = fmt in ("police-json", "police-csv")
    src_crs: Any
    table: CsvTable | None = None
    if fmt == "police-json":
        raw, src_crs = _read_police_json(p), 4326
    elif fmt in ("csv", "police-csv"):
        raw, src_crs, looks_police, table = _read_csv(p, columns or {}, crs)
        is_police = is_police or looks_police
    else:
        raw, src_crs = _read_points(p, fmt, columns or {}, crs)
    if is_police:
        fmt = "police-json" if fmt == "police-json" else "police-csv"
        notes.append(PLACE_LEVEL_NOTE)
        notes.append("Police event times are publication times, usually hours after the incident.")
    unreadable = table.bad if table is not None else np.zeros(len(raw), dtype=bool)
    frame, problems = _clean(raw, src_crs, region, mapping, p.name, is_police, unreadable)
    if table is not None:
        problems, note = _with_reader_problems(problems, table.problems)
        notes.extend([note] if note else [])
    problems.extend(Problem("note", n, p.name, severity="info") for n in notes)
    return IncidentImport(frame, problems, len(raw), fmt, notes)


def _with_reader_problems(
    problems: list[Problem], reader: list[Problem]
) -> tuple[list[Problem], str | None]:
    """The CSV reader's row problems among the rejections: a row it cannot read is
    rejected (a warning, as every rejection); a row read as Windows-1252 is an info,
    summed up in a note."""
    rejected = [
        replace(q, message=f"rejected: {q.message}", severity="warning")
        for q in reader
        if q.severity == "error"
    ]
    legacy = [replace(q, severity="info") for q in reader if q.severity != "error"]
    merged = sorted(problems + rejected + legacy, key=lambda q: q.row or 0)
    if not legacy:
        return merged, None
    rows = ", ".join("header" if q.row is None else str(q.row) for q in legacy[:10])
    more = ", …" if len(legacy) > 10 else ""
    note = (
        f"{len(legacy)} row(s) are not UTF-8 like the rest of the file and were read as "
        f"Windows-1252 (rows {rows}{more}); check their å, ä, ö"
    )
    return merged, note


# -- readers: each returns a frame of strings/numbers with canonical column names ---------
def _read_police_json(p: Path) -> pd.DataFrame:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{p.name}: not valid JSON: {e}") from e
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
    if not isinstance(data, list):
        raise DataError(
            f"{p.name}: expected a list of events (the API's JSON), got {type(data).__name__}"
        )
    rows = []
    for ev in data:  # parsing JSON objects: a loop over the file's records is unavoidable
        ev = ev if isinstance(ev, dict) else {}
        loc = ev.get("location")
        loc = loc if isinstance(loc, dict) else {}  # a location that is not an object: none
        gps = str(loc.get("gps") or "")
        lat, _, lon = gps.partition(",")
        rows.append(
            {
                "id": ev.get("id"),
                "time": ev.get("datetime"),
                "type": ev.get("type"),
                "lat": lat.strip() or None,
                "lon": lon.strip() or None,
                "location_name": loc.get("name"),
            }
        )
    frame = pd.DataFrame(rows, columns=["id", "time", "type", "lat", "lon", "location_name"])
    return frame.astype(object)


COLUMN_OPTIONS = {
    f: f"--{f}-field" for f in ("id", "time", "type", "category", "x", "y", "lat", "lon")
}
"""Command-line options naming the column of a field (any field: ``--column FIELD=COLUMN``)."""

_NEEDED = {"id", "time"}


def _canonical(
    df: pd.DataFrame, given: dict[str, str], name: str, coordinates: bool = False
) -> pd.DataFrame:
    """The fields' columns under their field names; ``coordinates``: x/y or lat/lon needed."""
    found = resolve_columns(
        df.columns,
        {f: (aliases, f in _NEEDED) for f, aliases in COLUMN_ALIASES.items()},
        given,
        file=name,
        options=COLUMN_OPTIONS,
        one_of=[(("type",), ("category",))]
        + ([(("x", "y"), ("lat", "lon"))] if coordinates else []),
    )
    out = pd.DataFrame(index=df.index)
    for f, c in found.items():
        if c is not None:
            out[f] = df[c]
    return out


_POLICE_CSV_COLUMNS = {"id", "datetime", "type", "location_name", "lat", "lon", "summary", "url"}


def _read_csv(
    p: Path, given: dict[str, str], crs: int | str | None
) -> tuple[pd.DataFrame, Any, bool, CsvTable]:
    table = read_csv(p)
    df = table.frame
    decimal = "," if table.separator == ";" else "."  # Swedish Excel: ';' between, ',' in numbers
    is_police = _POLICE_CSV_COLUMNS <= {str(c).strip().casefold() for c in df.columns}
    out = _canonical(df, given, p.name, coordinates=True)
    for f in ("x", "y", "lat", "lon"):
        if f in out.columns and decimal == ",":
            out[f] = out[f].str.replace(",", ".", regex=False)
    if "x" in out.columns and "y" in out.columns:
        if crs is None:
            raise UsageError(f"{p.name} has x/y columns: give their CRS (e.g. --crs 3006)")
        out = out.drop(columns=[c for c in ("lat", "lon") if c in out.columns])
        return out, crs, is_police, table
    return out, 4326, is_police, table


def _read_points(
    p: Path, fmt: str, given: dict[str, str], crs: int | str | None
) -> tuple[pd.DataFrame, Any]:
    try:
        gdf = gpd.read_parquet(p) if fmt == "parquet" else gpd.read_file(p)
    except Exception as e:  # pyogrio/pyarrow raise many types for unreadable files
        raise DataError(f"{p.name}: cannot read as {fmt}: {e}") from e
    if gdf.crs is None and crs is None:
        raise UsageError(f"{p.name} has no CRS: give one (e.g. --crs 3006)")
    src_crs = gdf.crs if gdf.crs is not None else crs
    out = _canonical(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), given, p.name)
    geom = gdf.geometry
    is_point = (geom.geom_type == "Point").to_numpy() & ~geom.is_empty.to_numpy()
    xs = np.full(len(gdf), np.nan)
    ys = np.full(len(gdf), np.nan)
    xs[is_point] = geom[is_point].x.to_numpy()
    ys[is_point] = geom[is_point].y.to_numpy()
    out["x"], out["y"] = xs, ys
    out = out.drop(columns=[c for c in ("lat", "lon") if c in out.columns])
    return out, src_crs


# -- cleaning -------------------------------------------------------------------------
TIME_OUT_OF_RANGE = f"time outside the years {FIRST_YEAR}–{LAST_YEAR}"
_TZ_RE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_POLICE_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2}):(\d{2}) ?([+-]\d{2}:?\d{2})$")


def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse times to UTC; returns (times, reason) with reason None where parsed.

    ISO 8601 with or without offset; the Police API's ``2026-08-22 8:13:44 +02:00``.
    Times without an offset are Europe/Stockholm local time; a local time that does
    not exist or is ambiguous at a daylight-saving change is rejected.

    Examples
    --------
    >>> t, why = parse_times(pd.Series(["2026-08-22 8:13:44 +02:00", "2024-03-31 02:30", "x"]))
    >>> t.iloc[0].isoformat()
    '2026-08-22T06:13:44+00:00'
    >>> why.tolist()[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['local time does not exist or is ambiguous (DST change)',
     'unparseable time']
    >>> parse_times(pd.Series(["9999-12-31 23:59"]))[1].tolist()
    ['time outside the years 1900–2199']
    >>> parse_times(pd.Series(["-782", "-0001-01-01"]))[1].tolist()
    ['unparseable time', 'unparseable time']
    """
    s = values.astype("string").str.strip()
    s = s.str.replace(_POLICE_DT, r"\1T\2:\3:\4\5", regex=True)
    # pad one-digit hours left by the API ("8:13:44")
    s = s.str.replace(r"T(\d):", r"T0\1:", regex=True)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    reason = pd.Series(None, index=values.index, dtype=object)
    missing = s.isna() | (s == "")
    reason[missing] = "no time"
    # Years outside FIRST_YEAR..LAST_YEAR are refused before parsing: no incident is
    # dated there, and pandas' nanosecond timestamps end in 1677 and 2262.
    year = pd.to_numeric(s.str.extract(r"^([0-9]{4})", expand=False), errors="coerce")
    out_of_range = ~missing & year.notna() & ~year.between(FIRST_YEAR, LAST_YEAR)
    reason[out_of_range] = TIME_OUT_OF_RANGE
    # An ISO time starts with its four-digit year: anything else ('-782', '+002023-01-01')
    # is unparseable here, before pandas reads it as a year its timestamps cannot hold.
    no_year = ~missing & year.isna()
    reason[no_year] = "unparseable time"
    missing = missing | out_of_range | no_year
    aware = ~missing & s.str.contains(_TZ_RE, na=False)
    naive = ~missing & ~aware
    if aware.any():
        out[aware] = pd.to_datetime(s[aware], utc=True, format="ISO8601", errors="coerce")
    if naive.any():
        local = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        bad_parse = local.isna()
        loc = local.dt.tz_localize("Europe/Stockholm", ambiguous="NaT", nonexistent="NaT")
        out[naive] = loc.dt.tz_convert("UTC")
        reason[naive & out.isna()] = "local time does not exist or is ambiguous (DST change)"
        reason[bad_parse[bad_parse].index] = "unparseable time"
    reason[aware & out.isna()] = "unparseable time"
    return out, reason


def _numbers(col: pd.Series | None, n: int, index: pd.Index) -> NDArray[np.float64]:
    if col is None:
        return np.full(n, np.nan)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _clean(
    raw: pd.DataFrame,
    src_crs: Any,
    region: gpd.GeoDataFrame,
    mapping: CategoryMapping,
    name: str,
    is_police: bool,
    unreadable: NDArray[np.bool_],
) -> tuple[pd.DataFrame, list[Problem]]:
    n = len(raw)
    reasons: list[tuple[NDArray[np.bool_], str, str, str | pd.Series]] = []

    ids = raw["id"].astype("string").str.strip()
    no_id = (ids.isna() | (ids == "")).to_numpy()
    reasons.append((no_id, "id-missing", "id", "no id"))
    dup = (ids.duplicated(keep="first") & ~ids.isna()).to_numpy() & ~no_id
    reasons.append((dup, "id-duplicate", "id", "id repeats an earlier row (that one is kept)"))

    times, time_reason = parse_times(raw["time"])
    out_of_range = (time_reason == TIME_OUT_OF_RANGE).to_numpy()
    bad_time = time_reason.notna().to_numpy() & ~out_of_range
    reasons.append((bad_time, "time-invalid", "time", time_reason))
    reasons.append((out_of_range, "time-out-of-range", "time", TIME_OUT_OF_RANGE))

    if "lat" in raw.columns:
        a, b = _numbers(raw["lon"], n, raw.index), _numbers(raw["lat"], n, raw.index)
        coord_field = "lat/lon"
        src_crs = 4326
    else:
        a, b = _numbers(raw.get("x"), n, raw.index), _numbers(raw.get("y"), n, raw.index)
        coord_field = "x/y"
    no_xy = ~(np.isfinite(a) & np.isfinite(b))
    reasons.append((no_xy, "coordinates-missing", coord_field, "no or unparseable coordinates"))
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    if (~no_xy).any():
        tr = Transformer.from_crs(CRS.from_user_input(src_crs), CRS.from_epsg(3006), always_xy=True)
        x[~no_xy], y[~no_xy] = tr.transform(a[~no_xy], b[~no_xy])
    muni = assign_polygons(x, y, np.asarray(region.geometry.values, dtype=object))
    outside = ~no_xy & (muni < 0)
    reasons.append((outside, "outside-region", coord_field, "outside the region's municipalities"))
    if is_police and "location_name" in raw.columns:
        county = (
            raw["location_name"].astype("string").str.strip().str.casefold().str.endswith(" län")
        )
        county = county.fillna(False).to_numpy(dtype=bool) & ~no_xy
        reasons.append(
            (
                county,
                "location-county-level",
                "location",
                "located only at county level: the point is the county's centre, not a place",
            )
        )

    src_type = (raw["type"] if "type" in raw.columns else raw["category"]).astype("string")
    key = src_type.str.split().str.join(" ").str.casefold()
    category = key.map(mapping.types)
    if "category" in raw.columns and "type" in raw.columns:
        # an explicit category column wins where it names a known category
        given = raw["category"].astype("string").str.strip().str.casefold()
        known = given.isin(list(mapping.categories))
        category = category.where(~known.fillna(False), given)
    excluded = key.map(mapping.exclude)
    is_excl = excluded.notna().to_numpy()
    reasons.append((is_excl, "type-excluded", "type", "excluded type: " + excluded.fillna("")))
    no_type = (key.isna() | (key == "")).to_numpy()
    reasons.append((no_type, "type-missing", "type", "no type"))
    unmapped = category.isna().to_numpy() & ~is_excl & ~no_type
    reasons.append(
        (
            unmapped,
            "type-unmapped",
            "type",
            "unmapped type '" + src_type.fillna("") + "': add it to the category mapping",
        )
    )

    rejected = unreadable.copy()  # rows the reader could not read: rejected already
    problems: list[Problem] = []
    row_no = np.arange(1, n + 1)
    for mask, code, fld, msg in reasons:  # loop over reasons; rows are selected by mask
        mask = mask & ~unreadable
        rejected |= mask
        idx = np.flatnonzero(mask)
        msgs = msg.to_numpy()[idx] if isinstance(msg, pd.Series) else [msg] * idx.size
        problems.extend(
            Problem(code, f"rejected: {m}", name, int(r), fld, "warning")
            for r, m in zip(row_no[idx], msgs, strict=True)
        )
    problems.sort(key=lambda pr: pr.row or 0)
    keep = ~rejected
    cat = category.to_numpy(dtype=object)[keep]
    codes = region["code"].astype(str).to_numpy()
    frame = pd.DataFrame(
        {
            "incident_id": ids.to_numpy(dtype=object)[keep].astype(str),
            "time": times.to_numpy()[keep],
            "source_type": src_type.str.strip().to_numpy(dtype=object)[keep],
            "category": cat,
            "x": x[keep],
            "y": y[keep],
            "police_activity": pd.Series(cat, dtype=object)
            .map(mapping.categories)
            .to_numpy(dtype=bool),
            "municipality_code": codes[muni[keep]] if keep.any() else np.array([], dtype=str),
        }
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.reset_index(drop=True), problems
