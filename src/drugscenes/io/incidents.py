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
:func:`read_incidents` returns an :class:`IncidentImport`: the accepted rows as an
Arrow table (``IncidentImport.table``; ``IncidentImport.incidents`` is the same as a
DataFrame) with ``incident_id`` (str), ``time`` (UTC), ``source_type`` (str),
``category`` (str), ``x``, ``y`` (float64, EPSG:3006), ``police_activity`` (bool),
``municipality_code`` (str), and one
:class:`~drugscenes.errors.Problem` (severity ``warning``) per rejected row and
reason. Nothing is dropped without a Problem. Rejected: no or unparseable id or
time, a time outside the years 1900–2199, a local time that does not exist or is
ambiguous at a daylight-saving change, no or unparseable coordinates, outside the
region, unmapped or excluded type, a repeated id (the first row with the id is kept),
and a CSV row that cannot be read (another number of fields than the header).

CSV and GeoParquet files are read in batches, column by column (Arrow and NumPy:
:mod:`drugscenes.io.columnar`), so memory holds the accepted rows compactly and never
the whole file as text; repeated ids are found over the whole file at the end. A file
the batch readers cannot read exactly as the row-wise reader (pandas, geopandas) does
is read whole with it; both give the same rows and problems (tested on every kind of
bad row, tests/io/test_import_equality.py).

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
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from drugscenes.analysis.zones import PolygonGrid
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.columnar import (
    BATCH_ROWS,
    NotPlain,
    PositionUnknown,
    as_text,
    blank,
    iso_times,
    numbers,
    read_ahead,
    record_rows,
    repeated,
    stream_csv,
    stripped,
    text_buffers,
    text_hashes,
    unique_map,
)
from drugscenes.io.columns import resolve_columns
from drugscenes.io.tabular import CsvTable, _separator_hint, read_csv, sniff_separator
from drugscenes.io.wkb import wkb_xy
from drugscenes.periods import FIRST_YEAR, LAST_YEAR
from drugscenes.store.base import INCIDENT_COLUMNS as STORED_COLUMNS
from drugscenes.store.base import incident_frame
from drugscenes.store.incidents_parquet import IDS_UNIQUE

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
    table : pyarrow.Table
        Accepted rows, columns :data:`OUTPUT_COLUMNS` in file order; ``source_type``,
        ``category`` and ``municipality_code`` dictionary-encoded, ``time`` in UTC
        nanoseconds. This is what the store writes.
    problems : list of Problem
        One per rejected row and reason (``warning``), plus notes (``info``).
    n_read : int
        Data rows read from the file.
    format : str
        The format used.
    notes : list of str
        What the data can and cannot be used for (e.g. place-level coordinates).
    """

    table: pa.Table
    problems: list[Problem]
    n_read: int
    format: str
    notes: list[str] = field(default_factory=list)

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """The accepted rows as a DataFrame (:data:`OUTPUT_COLUMNS`, strings as objects)."""
        return incident_frame(self.table)

    @property
    def n_accepted(self) -> int:
        """Rows accepted."""
        return int(self.table.num_rows)

    @property
    def n_rejected(self) -> int:
        """Rows rejected (each has at least one Problem)."""
        return self.n_read - self.n_accepted


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
    """Read, check and map an incident file to the clean incident table.

    CSV and GeoParquet files are read in batches of about a million rows, column by
    column (Arrow and NumPy, no per-row Python), so that memory holds the accepted rows
    compactly and never the whole file as text; a file that needs the row-wise reader
    (quotes, mixed encodings, a byte-order mark, unusual columns) and the other formats
    are read whole with it. Both give the same rows and problems.

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
    given = columns or {}
    read: _Read | None = None
    try:
        if fmt in ("csv", "police-csv"):
            read = _csv_columnar(p, given, crs, region, mapping)
        elif fmt == "parquet":
            read = _parquet_columnar(p, given, crs, region, mapping)
    except (NotPlain, pa.ArrowException):
        read = None  # read again, whole, with the row-wise reader (which names any fault)
    if read is None:
        read = _read_whole(p, fmt, given, crs, region, mapping)
    notes: list[str] = []
    is_police = fmt in ("police-json", "police-csv") or read.is_police
    if is_police:
        fmt = "police-json" if fmt == "police-json" else "police-csv"
        notes.append(PLACE_LEVEL_NOTE)
        notes.append("Police event times are publication times, usually hours after the incident.")
    problems, note = _with_reader_problems(read.problems, read.reader_problems)
    notes.extend([note] if note else [])
    problems.extend(Problem("note", n, p.name, severity="info") for n in notes)
    return IncidentImport(read.table, problems, read.n_read, fmt, notes)


_Parsed = tuple[
    pa.RecordBatch,
    NDArray[np.float64],
    NDArray[np.float64],
    tuple[NDArray[np.int64], NDArray[np.int8]],
    dict[str, pa.DictionaryArray],
]
"""A CSV batch, its two coordinates, its times (:func:`_times`) and its type and category
columns dictionary-encoded."""


@dataclass
class _Read:
    """What a reader found: accepted rows, the rejections, the reader's own problems."""

    table: pa.Table
    problems: list[Problem]
    reader_problems: list[Problem]
    n_read: int
    is_police: bool


def _read_whole(
    p: Path,
    fmt: str,
    given: dict[str, str],
    crs: int | str | None,
    region: gpd.GeoDataFrame,
    mapping: CategoryMapping,
) -> _Read:
    """The row-wise readers (pandas, geopandas): the whole file as one batch."""
    is_police = fmt in ("police-json", "police-csv")
    table: CsvTable | None = None
    if fmt == "police-json":
        raw, src_crs = _read_police_json(p), 4326
    elif fmt in ("csv", "police-csv"):
        raw, src_crs, looks_police, table = _read_csv(p, given, crs)
        is_police = is_police or looks_police
    else:
        raw, src_crs = _read_points(p, fmt, given, crs)
    unreadable = table.bad if table is not None else np.zeros(len(raw), dtype=bool)
    latlon = "lat" in raw.columns
    cleaner = _Cleaner(
        region,
        mapping,
        p.name,
        is_police and "location_name" in raw.columns,
        4326 if latlon else src_crs,
        "lat/lon" if latlon else "x/y",
        "type" in raw.columns,
        "category" in raw.columns,
        len(raw),
    )
    n = len(raw)
    if latlon:
        a, b = _numbers(raw["lon"], n, raw.index), _numbers(raw["lat"], n, raw.index)
    else:
        a, b = _numbers(raw.get("x"), n, raw.index), _numbers(raw.get("y"), n, raw.index)

    def text(c: str) -> pa.Array | None:
        if c not in raw.columns:
            return None
        return pa.array(raw[c].astype("string"), type=pa.string(), from_pandas=True)

    cleaner.add(
        {c: text(c) for c in ("id", "time", "type", "category", "location_name")},
        a,
        b,
        unreadable,
    )
    out, problems = cleaner.finish(lambda i: np.asarray(i, dtype=np.int64) + 1)
    return _Read(out, problems, table.problems if table is not None else [], n, is_police)


def _csv_columnar(
    p: Path,
    given: dict[str, str],
    crs: int | str | None,
    region: gpd.GeoDataFrame,
    mapping: CategoryMapping,
) -> _Read:
    """A plain CSV file in batches (:func:`drugscenes.io.columnar.stream_csv`): with both
    cores, or one when a skipped record's position is needed."""
    try:
        return _csv_batches(p, given, crs, region, mapping, threads=True)
    except PositionUnknown:
        return _csv_batches(p, given, crs, region, mapping, threads=False)


def _csv_batches(
    p: Path,
    given: dict[str, str],
    crs: int | str | None,
    region: gpd.GeoDataFrame,
    mapping: CategoryMapping,
    threads: bool,
) -> _Read:
    stream = stream_csv(p, sniff_separator, threads)
    names = stream.columns
    is_police = _POLICE_CSV_COLUMNS <= {c.casefold() for c in names}
    found = resolve_columns(
        names,
        {f: (aliases, f in _NEEDED) for f, aliases in COLUMN_ALIASES.items()},
        given,
        file=p.name,
        options=COLUMN_OPTIONS,
        one_of=[(("type",), ("category",)), (("x", "y"), ("lat", "lon"))],
    )
    key = {f: f"c{names.index(c)}" for f, c in found.items() if c is not None}
    xy = "x" in key and "y" in key
    if xy and crs is None:
        raise UsageError(f"{p.name} has x/y columns: give their CRS (e.g. --crs 3006)")
    decimal_comma = stream.separator == ";"
    cleaner = _Cleaner(
        region,
        mapping,
        p.name,
        is_police and "location_name" in key,
        crs if xy else 4326,
        "x/y" if xy else "lat/lon",
        "type" in key,
        "category" in key,
        # a row has a separator between fields and a line end: at most this many rows
        p.stat().st_size // len(names) + 1,
        p.stat().st_size,  # the ids' text is part of the file's
    )
    a_field, b_field = ("x", "y") if xy else ("lon", "lat")

    def col(batch: pa.RecordBatch, f: str) -> pa.Array | None:
        return batch.column(key[f]) if f in key else None

    def parsed(batches: Iterator[pa.RecordBatch]) -> Iterator[_Parsed]:
        """Each batch with its coordinates, times and coded types: parsed by the thread
        that reads ahead, so that the checks of the last batch (this thread) and the
        parsing of the next keep both cores busy."""
        for batch in batches:
            n = batch.num_rows
            a = numbers(col(batch, a_field), n, decimal_comma)
            b = numbers(col(batch, b_field), n, decimal_comma)
            coded = {  # as unique_map encodes them (a null a value of its own)
                f: pc.dictionary_encode(col(batch, f), null_encoding="encode")
                for f in ("type", "category")
                if f in key
            }
            yield batch, a, b, _times(col(batch, "time"), n), coded

    n_valid = 0
    for batch, a, b, times, coded in read_ahead(parsed(stream.batches)):
        n_valid += batch.num_rows
        fields = {f: col(batch, f) for f in ("id", "time", "type", "category", "location_name")}
        cleaner.add(fields | coded, a, b, times=times)
    rows, bad = record_rows(n_valid, stream.invalid)
    if bad and n_valid == 0:
        raise NotPlain("no readable row")  # the row-wise reader says it for the whole file
    n_fields = len(names)
    reader_problems = [
        Problem(
            "csv-field-count",
            f"has {k} fields, the header has {n_fields} "
            f"({_separator_hint(stream.separator, k > n_fields)})",
            file=p.name,
            row=r,
        )
        for r, k in bad
    ]
    out, problems = cleaner.finish(rows)
    return _Read(out, problems, reader_problems, n_valid + len(bad), is_police)


def _geo_crs(meta: dict[str, Any]) -> Any:
    """The CRS of a GeoParquet column's metadata as geopandas reads it (None: none)."""
    if "crs" not in meta:
        return CRS.from_user_input("OGC:CRS84")  # the GeoParquet default
    crs = meta["crs"]
    return None if crs is None else CRS.from_user_input(crs)


def _parquet_columnar(
    p: Path,
    given: dict[str, str],
    crs: int | str | None,
    region: gpd.GeoDataFrame,
    mapping: CategoryMapping,
) -> _Read:
    """A GeoParquet file of WKB points in batches of row groups."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
        schema = pf.schema_arrow
        geo = json.loads((schema.metadata or {})[b"geo"])
        primary = geo["primary_column"]
        meta = geo["columns"][primary]
        if meta.get("encoding") != "WKB" or len(geo["columns"]) != 1:
            raise NotPlain("geometry not one WKB column")
        file_crs = _geo_crs(meta)
    except NotPlain:
        raise
    except Exception as exc:  # unreadable or not GeoParquet: the row-wise reader says why
        raise NotPlain(str(exc)) from None
    if file_crs is None and crs is None:
        raise UsageError(f"{p.name} has no CRS: give one (e.g. --crs 3006)")
    src_crs = file_crs if file_crs is not None else crs
    index_cols = {
        c for c in ((schema.pandas_metadata or {}).get("index_columns") or []) if isinstance(c, str)
    }
    names = [c for c in schema.names if c != primary and c not in index_cols]
    if len(set(names)) != len(names):
        raise NotPlain("repeated column names")
    found = resolve_columns(
        names,
        {f: (aliases, f in _NEEDED) for f, aliases in COLUMN_ALIASES.items()},
        given,
        file=p.name,
        options=COLUMN_OPTIONS,
        one_of=[(("type",), ("category",))],
    )
    fields = {
        f: c
        for f, c in found.items()
        if c is not None and f in ("id", "time", "type", "category", "location_name")
    }
    for f, c in fields.items():
        t = schema.field(c).type
        t = t.value_type if pa.types.is_dictionary(t) else t
        text_like = pa.types.is_string(t) or pa.types.is_large_string(t)
        ok = text_like or (f == "id" and pa.types.is_integer(t))
        ok = ok or (f == "time" and pa.types.is_timestamp(t))
        if not ok:
            raise NotPlain(f"column {c} of type {t}")
    if not pa.types.is_binary(schema.field(primary).type) and not pa.types.is_large_binary(
        schema.field(primary).type
    ):
        raise NotPlain("geometry not binary")
    cleaner = _Cleaner(
        region,
        mapping,
        p.name,
        False,
        src_crs,
        "x/y",
        "type" in fields,
        "category" in fields,
        pf.metadata.num_rows,
    )
    # the few-valued text columns straight from the pages' dictionaries: no string per row
    coded = [c for f, c in fields.items() if f in ("type", "category", "location_name")]
    pf.close()  # opened for the schema; read again with the dictionaries
    pf = pq.ParquetFile(p, read_dictionary=coded)
    n_read = 0

    def located(batch: pa.RecordBatch | pa.Table) -> _Located:
        return batch, *wkb_xy(batch.column(primary))

    for batch, x, y in _parquet_batches(pf, [*dict.fromkeys(fields.values()), primary], located):
        n_read += batch.num_rows
        cleaner.add({f: batch.column(c) for f, c in fields.items()}, x, y)
    out, problems = cleaner.finish(lambda i: np.asarray(i, dtype=np.int64) + 1)
    return _Read(out, problems, [], n_read, False)


_Located = tuple[pa.RecordBatch | pa.Table, NDArray[np.float64], NDArray[np.float64]]
"""Rows of a GeoParquet file and the x and y of their points."""


def _parquet_batches(
    pf: Any, columns: list[str], located: Callable[[pa.RecordBatch | pa.Table], _Located]
) -> Iterator[_Located]:
    """The file's rows a row group at a time (``iter_batches`` keeps what it read, which
    adds up over a large file); row groups far larger than a batch in batches. Each goes
    through ``located`` (its points read) in the thread that reads ahead, beside the
    checks of the last one."""
    meta = pf.metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    if sizes and max(sizes) > 4 * BATCH_ROWS:
        yield from map(located, pf.iter_batches(batch_size=BATCH_ROWS, columns=columns))
        return
    groups = (located(pf.read_row_group(i, columns=columns)) for i in range(len(sizes)))
    yield from read_ahead(groups)


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
# An offset: Z, ±hh:mm, ±hhmm, or ±hh right after a clock time (ISO 8601 allows all; a
# bare ±hh needs the clock before it, or the day of "2023-01-05" would read as one).
_TZ_RE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|[T\s:]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?[+-]\d{2})$")
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

    Short offsets and RFC 3339's lower-case ``z`` are offsets too:

    >>> [t.isoformat() for t in parse_times(pd.Series(["2023-01-05T10:00:00+01",
    ...     "2023-01-05T10:00:00z", "2023-01-05 10:00-0130"]))[0]]
    ['2023-01-05T09:00:00+00:00', '2023-01-05T10:00:00+00:00', '2023-01-05T11:30:00+00:00']
    """
    s = values.astype("string").str.strip()
    s = s.str.replace(_POLICE_DT, r"\1T\2:\3:\4\5", regex=True)
    # pad one-digit hours left by the API ("8:13:44")
    s = s.str.replace(r"T(\d):", r"T0\1:", regex=True)
    s = s.str.replace(r"(\d)z$", r"\1Z", regex=True)
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
        try:
            local = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
            if getattr(local.dt, "tz", None) is not None:
                raise ValueError("an offset form that _TZ_RE does not know")
        except (ValueError, TypeError):  # refused as a row, never a traceback
            local = pd.Series(pd.NaT, index=s[naive].index, dtype="datetime64[ns]")
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


_TIME_REASONS = [
    None,
    "no time",
    "unparseable time",
    "local time does not exist or is ambiguous (DST change)",
    TIME_OUT_OF_RANGE,
]
"""The reasons :func:`parse_times` gives, by code (0: parsed)."""

_ORDER = {
    code: k
    for k, code in enumerate(
        [
            "id-missing",
            "id-duplicate",
            "time-invalid",
            "time-out-of-range",
            "coordinates-missing",
            "outside-region",
            "location-county-level",
            "type-excluded",
            "type-missing",
            "type-unmapped",
        ]
    )
}
"""Order of a row's rejections in the report (the order they are checked in)."""

_COUNTY_MESSAGE = "located only at county level: the point is the county's centre, not a place"


def _times(arr: pa.Array | None, n: int) -> tuple[NDArray[np.int64], NDArray[np.int8]]:
    """UTC nanoseconds and the :data:`_TIME_REASONS` code of each value (as
    :func:`parse_times`; plainly written ISO text and timestamps columnar)."""
    ns = np.zeros(n, dtype=np.int64)
    why = np.zeros(n, dtype=np.int8)
    if arr is None:
        why[:] = 1
        return ns, why
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_timestamp(arr.type):
        return _timestamps(arr)
    text = as_text(arr)
    fast, taken, aware = iso_times(text, FIRST_YEAR, LAST_YEAR)
    again = np.flatnonzero(~taken)
    if again.size:
        # as parse_times: the Police API's "2026-08-22 8:13:44 +02:00" to ISO, then again
        odd = pc.ascii_trim_whitespace(text.take(pa.array(again)))
        odd = pc.replace_substring_regex(odd, _POLICE_DT.pattern, r"\1T\2:\3:\4\5")
        odd = pc.replace_substring_regex(odd, r"T(\d):", r"T0\1:")
        ns2, taken2, aware2 = iso_times(odd, FIRST_YEAR, LAST_YEAR)
        fast[again] = ns2
        taken[again] = taken2
        aware[again] = aware2
    naive = taken & ~aware
    if naive.any():
        local = pd.DatetimeIndex(fast[naive].view("datetime64[ns]"))
        utc = local.tz_localize("Europe/Stockholm", ambiguous="NaT", nonexistent="NaT")
        nat = np.asarray(utc.isna())
        vals = np.asarray(utc.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8)
        idx = np.flatnonzero(naive)
        fast[idx[~nat]] = vals[~nat]
        why[idx[nat]] = 3
        fast[idx[nat]] = 0
    ns[taken] = fast[taken]
    rest = np.flatnonzero(~taken)
    if rest.size:
        values = pd.Series(text.take(pa.array(rest)).to_pylist(), dtype=object)
        t, reason = parse_times(values)
        codes = reason.map({r: k for k, r in enumerate(_TIME_REASONS) if r}).fillna(0)
        why[rest] = codes.to_numpy(dtype=np.int8)
        ok = why[rest] == 0
        vals = t.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
        ns[rest[ok]] = vals.to_numpy()[ok].view(np.int64)
    return ns, why


def _timestamps(arr: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.int8]]:
    """A timestamp column: with a time zone the instants, without one Swedish local time."""
    why = np.where(arr.is_null().to_numpy(zero_copy_only=False), 1, 0).astype(np.int8)
    years = pc.fill_null(pc.year(arr), FIRST_YEAR).to_numpy(zero_copy_only=False)
    if ((years < FIRST_YEAR) | (years > LAST_YEAR)).any():
        raise NotPlain("times outside the years")  # rare: the row-wise reader decides
    ns = pc.fill_null(arr.cast(pa.timestamp("ns", tz=arr.type.tz)), 0).cast(pa.int64())
    ns = ns.to_numpy(zero_copy_only=False).copy()
    if arr.type.tz is None:
        local = pd.DatetimeIndex(ns.view("datetime64[ns]"))
        utc = local.tz_localize("Europe/Stockholm", ambiguous="NaT", nonexistent="NaT")
        nat = np.asarray(utc.isna()) & (why == 0)
        why[nat] = 3
        ns = np.where(
            nat | (why != 0),
            0,
            np.asarray(utc.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8),
        )
    ns[why != 0] = 0
    return ns.astype(np.int64), why


class _Cleaner:
    """The checks of every row, batch by batch; :meth:`finish` adds the repeated ids
    (which need the whole file) and builds the accepted table and the report.

    Rows are numbered by their index among the rows added (0-based); ``finish`` turns
    that index into the file's row number. ``capacity`` bounds the rows to come and
    ``id_bytes`` their ids' text (0: not known), so that memory for them is set aside
    once.
    """

    def __init__(
        self,
        region: gpd.GeoDataFrame,
        mapping: CategoryMapping,
        name: str,
        county_check: bool,
        src_crs: Any,
        coord_field: str,
        has_type: bool,
        has_category: bool,
        capacity: int = 0,
        id_bytes: int = 0,
    ) -> None:
        self.mapping = mapping
        self.name = name
        self.county_check = county_check
        self.coord_field = coord_field
        self.has_type = has_type
        self.has_category = has_category
        self.transformer = Transformer.from_crs(
            CRS.from_user_input(src_crs), CRS.from_epsg(3006), always_xy=True
        )
        # the municipalities' own copies: the grid prepares them (GEOS), the caller's stay
        self.grid = PolygonGrid(shapely.from_wkb(shapely.to_wkb(region.geometry.values)))
        self.codes = region["code"].astype(str).to_numpy()
        self.categories = list(mapping.categories)
        self.source_types: dict[str, int] = {}
        self.n = 0
        self.ids: list[pa.Array] = []
        # with a bound on the ids' bytes, every batch's ids are copied into one array (by
        # the hashing thread): the batches' own memory is reused at once, and the store
        # need not join them again
        self.id_text = _IdText(id_bytes, capacity) if 0 < id_bytes < 2**31 else None
        self.copies: list[Future[None]] = []
        self.hashes: list[Future[NDArray[np.uint64]]] = []
        self._hasher = ThreadPoolExecutor(1)  # NumPy hashes on the other core
        self.no_id: list[NDArray[np.bool_]] = []
        self.unreadable: list[NDArray[np.bool_]] = []
        self.found: list[tuple[NDArray[np.int64], int, Any]] = []
        # the accepted rows' columns, filled batch by batch: allocated for ``capacity`` rows
        # (an upper bound: pages never written are never touched), so that no batch's
        # part is kept and copied again at the end (fresh memory is slow to touch)
        self.kept = 0
        self.keep: dict[str, NDArray[Any]] = _kept_columns(min(max(capacity, 1), _FIRST_ROOM))

    def _reason(
        self,
        mask: NDArray[np.bool_],
        code: str,
        message: Any,
        base: int,
        by: NDArray[np.integer] | None = None,
    ) -> None:
        """Note the rows of ``mask`` as rejected for ``code``: ``message`` is one text, a
        text per row, or with ``by`` a text per code that ``by`` gives each row (looked up
        for the rejected rows only)."""
        idx = np.flatnonzero(mask)
        if idx.size:
            if by is not None:
                msg = message[by[idx]]
            else:
                msg = message[idx] if isinstance(message, np.ndarray) else message
            self.found.append((idx + base, _ORDER[code], msg))

    def add(
        self,
        fields: dict[str, pa.Array | None],
        a: NDArray[np.float64],
        b: NDArray[np.float64],
        unreadable: NDArray[np.bool_] | None = None,
        times: tuple[NDArray[np.int64], NDArray[np.int8]] | None = None,
    ) -> None:
        """Check a batch: text ``fields`` (``id``, ``time``, ``type``, ``category``,
        ``location_name``; None when absent) and the coordinates ``a``, ``b`` (x/y or
        lon/lat, NaN where missing); ``times``: the time field already parsed by
        :func:`_times`."""
        n = len(a)
        base = self.n
        self.n += n
        bad = np.zeros(n, dtype=bool) if unreadable is None else np.asarray(unreadable, bool)
        ids = stripped(fields["id"]) if fields.get("id") is not None else pa.nulls(n, pa.string())
        no_id = blank(ids)
        # beside the checks below
        self.hashes.append(self._hasher.submit(_sorted_hashes, ids, no_id))
        if self.id_text is not None:
            self.copies.append(
                self._hasher.submit(self.id_text.put, ids, *self.id_text.reserve(ids))
            )
        else:
            self.ids.append(ids)
        self.no_id.append(no_id)
        self.unreadable.append(bad)
        ok = ~bad
        self._reason(no_id & ok, "id-missing", "no id", base)

        ns, why = times if times is not None else _times(fields.get("time"), n)
        in_range = why != 4
        reasons = np.array(_TIME_REASONS, dtype=object)
        self._reason((why != 0) & in_range & ok, "time-invalid", reasons, base, why)
        self._reason(~in_range & ok, "time-out-of-range", TIME_OUT_OF_RANGE, base)

        no_xy = ~(np.isfinite(a) & np.isfinite(b))
        self._reason(no_xy & ok, "coordinates-missing", "no or unparseable coordinates", base)
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        if (~no_xy).any():
            x[~no_xy], y[~no_xy] = self.transformer.transform(a[~no_xy], b[~no_xy])
        muni = self.grid.assign(x, y)
        outside = ~no_xy & (muni < 0)
        self._reason(outside & ok, "outside-region", "outside the region's municipalities", base)
        rejected = bad | no_id | (why != 0) | no_xy | outside
        if self.county_check and fields.get("location_name") is not None:
            flags, idx = unique_map(
                fields["location_name"],
                lambda v: v is not None and v.strip().casefold().endswith(" län"),
            )
            county = np.asarray(flags, dtype=bool)[idx] & ~no_xy
            self._reason(county & ok, "location-county-level", _COUNTY_MESSAGE, base)
            rejected |= county

        cat, src, type_rejected = self._types(fields, n, ok, base)
        rejected |= type_rejected
        keep = np.flatnonzero(~rejected)
        police = np.array([self.mapping.categories[c] for c in self.categories], dtype=bool)
        start, stop = self.kept, self.kept + keep.size
        if stop > len(self.keep["index"]) or (
            self.n >= 2**31 and self.keep["index"].dtype != np.int64
        ):
            self._grow(stop)
        out = {c: v[start:stop] for c, v in self.keep.items()}
        np.add(keep, base, out=out["index"], casting="unsafe")
        np.take(ns, keep, out=out["time"])
        out["source_type"][:] = src[keep]
        cats = cat[keep]
        out["category"][:] = cats
        np.take(x, keep, out=out["x"])
        np.take(y, keep, out=out["y"])
        np.take(police, cats, out=out["police_activity"])
        out["municipality_code"][:] = muni[keep]
        self.kept = stop

    def _grow(self, rows: int) -> None:
        """Room for ``rows`` accepted rows (row indexes as int64 past 2**31 rows read)."""
        bigger = _kept_columns(max(rows, len(self.keep["index"]) * 3 // 2), self.n >= 2**31)
        for c, v in self.keep.items():
            bigger[c][: self.kept] = v[: self.kept]
        self.keep = bigger

    def _types(
        self, fields: dict[str, pa.Array | None], n: int, ok: NDArray[np.bool_], base: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
        """Category code, stored source type code and rejection of each row (as the
        row-wise check: see :func:`read_incidents`)."""
        m = self.mapping
        column = fields.get("type") if self.has_type else fields.get("category")
        if column is None:
            column = pa.nulls(n, pa.string())
        cat_index = {c: k for k, c in enumerate(self.categories)}

        def about(v: str | None) -> tuple[int, str | None, bool, str | None, int]:
            key = None if v is None else _norm(v)
            cat = m.types.get(key) if key is not None else None
            excl = m.exclude.get(key) if key is not None else None
            stored = "" if v is None else v.strip()
            code = self.source_types.setdefault(stored, len(self.source_types))
            return (
                cat_index[cat] if cat is not None else -1,
                excl,
                key is None or key == "",
                v,
                code,
            )

        info, idx = unique_map(column, about)
        cat_u = np.array([i[0] for i in info], dtype=np.int64)
        excl_u = np.array([i[1] is not None for i in info], dtype=bool)
        none_u = np.array([i[2] for i in info], dtype=bool)
        src_u = np.array([i[4] for i in info], dtype=np.int64)
        cat = cat_u[idx]
        if self.has_type and self.has_category and fields.get("category") is not None:
            given, gidx = unique_map(
                fields["category"],
                lambda v: cat_index.get(v.strip().casefold(), -1) if v is not None else -1,
            )
            g = np.asarray(given, dtype=np.int64)[gidx]
            cat = np.where(g >= 0, g, cat)
        is_excl = excl_u[idx]
        no_type = none_u[idx]
        excl_msg = np.array(["excluded type: " + (i[1] or "") for i in info], dtype=object)
        self._reason(is_excl & ok, "type-excluded", excl_msg, base, idx)
        self._reason(no_type & ok, "type-missing", "no type", base)
        unmapped = (cat < 0) & ~is_excl & ~no_type
        msg = np.array(
            [f"unmapped type '{i[3] or ''}': add it to the category mapping" for i in info],
            dtype=object,
        )
        self._reason(unmapped & ok, "type-unmapped", msg, base, idx)
        return cat, src_u[idx], is_excl | no_type | unmapped

    def finish(
        self, rows: Callable[[NDArray[np.int64]], NDArray[np.int64]]
    ) -> tuple[pa.Table, list[Problem]]:
        """The accepted table and the rejections (``rows``: row index -> row number)."""
        no_id = np.concatenate(self.no_id) if self.no_id else np.zeros(0, bool)
        unreadable = np.concatenate(self.unreadable) if self.unreadable else np.zeros(0, bool)
        parts = [h.result() for h in self.hashes]
        for copy in self.copies:
            copy.result()
        self._hasher.shutdown()
        self.hashes, self.copies = [], []
        if self.id_text is not None:
            ids = pa.chunked_array([self.id_text.array()])
        else:
            ids = pa.chunked_array(self.ids, pa.string())  # no copy of the batches' ids
        self.ids, self.id_text = [], None
        dup = _repeats(ids, parts, no_id)
        del parts
        self._reason(
            dup & ~unreadable, "id-duplicate", "id repeats an earlier row (that one is kept)", 0
        )
        kept = self.keep["index"][: self.kept]
        accepted = ~dup[kept]
        all_accepted = bool(accepted.all())

        def column(c: str, dtype: Any) -> NDArray[Any]:
            """One kept column, the accepted rows."""
            values = self.keep[c][: self.kept]
            return (values if all_accepted else values[accepted]).astype(dtype, copy=False)

        types = np.empty(len(self.source_types), dtype=object)
        for s, k in self.source_types.items():
            types[k] = s
        index = kept if all_accepted else kept[accepted]
        del kept
        arrays = {
            "incident_id": ids if len(index) == len(ids) else _rows_of(ids, index),
            "time": pa.array(column("time", np.int64), pa.int64()).cast(
                pa.timestamp("ns", tz="UTC")
            ),
            "source_type": pa.DictionaryArray.from_arrays(
                pa.array(column("source_type", np.int32)), pa.array(types, pa.string())
            ),
            "category": pa.DictionaryArray.from_arrays(
                pa.array(column("category", np.int8)), pa.array(self.categories, pa.string())
            ),
            "x": pa.array(column("x", np.float64)),
            "y": pa.array(column("y", np.float64)),
            "police_activity": pa.array(column("police_activity", bool)),
            "municipality_code": pa.DictionaryArray.from_arrays(
                pa.array(column("municipality_code", np.int16)),
                pa.array(self.codes.tolist(), pa.string()),
            ),
        }
        del ids, index
        self.keep = {}
        table = pa.table(arrays)
        pa.default_memory_pool().release_unused()  # the batches' memory back to the system
        table = table.replace_schema_metadata({IDS_UNIQUE: b"1"})  # repeats rejected above
        return table, self._problems(rows)

    def _problems(self, rows: Callable[[NDArray[np.int64]], NDArray[np.int64]]) -> list[Problem]:
        if not self.found:
            return []
        index = np.concatenate([f[0] for f in self.found])
        order = np.concatenate([np.full(f[0].size, f[1]) for f in self.found])
        message = np.concatenate(
            [
                f[2] if isinstance(f[2], np.ndarray) else np.full(f[0].size, f[2], dtype=object)
                for f in self.found
            ]
        )
        by_code = {k: c for c, k in _ORDER.items()}
        fields = {
            c: (
                "id"
                if c.startswith("id")
                else "time"
                if c.startswith("time")
                else "type"
                if c.startswith("type")
                else "location"
                if c.startswith("location")
                else self.coord_field
            )
            for c in _ORDER
        }
        row = rows(index)
        sort = np.lexsort((order, row))
        name = self.name
        return [
            Problem(by_code[o], f"rejected: {m}", name, r, fields[by_code[o]], "warning")
            for r, o, m in zip(
                row[sort].tolist(), order[sort].tolist(), message[sort].tolist(), strict=True
            )
        ]


class _IdText:
    """Every row's id in one string array, filled a batch at a time: the caller reserves a
    batch's place, in order, and :meth:`put` (in another thread) copies it there.

    Parameters
    ----------
    max_bytes, max_rows : int
        Bounds on the ids' bytes (below 2**31) and on the rows; memory is allocated for
        them, touched only as far as it is filled.
    """

    def __init__(self, max_bytes: int, max_rows: int) -> None:
        self.data = np.empty(max(max_bytes, 1), dtype=np.uint8)
        self.offsets = np.empty(max_rows + 1, dtype=np.int32)
        self.offsets[0] = 0
        self.rows = 0
        self.bytes = 0

    def reserve(self, ids: pa.Array) -> tuple[int, int]:
        """The first row and byte of ``ids`` (stripped, as :meth:`put` gets them)."""
        offsets = text_buffers(ids)[0]
        size = int(offsets[-1] - offsets[0])
        at = (self.rows, self.bytes)
        if self.rows + len(ids) + 1 > self.offsets.size or self.bytes + size > self.data.size:
            raise NotPlain("more text than the file holds")  # not for a plain file
        self.rows += len(ids)
        self.bytes += size
        return at

    def put(self, ids: pa.Array, row: int, byte: int) -> None:
        """Copy ``ids`` to the place :meth:`reserve` gave (nulls as empty texts)."""
        offsets, data = text_buffers(ids)
        end = byte + int(offsets[-1] - offsets[0])
        self.data[byte:end] = data[int(offsets[0]) : int(offsets[-1])]
        self.offsets[row + 1 : row + 1 + len(ids)] = offsets[1:] - (offsets[0] - byte)

    def array(self) -> pa.Array:
        """The ids put so far (all of them once every :meth:`put` is done)."""
        return pa.Array.from_buffers(
            pa.string(),
            self.rows,
            [
                None,
                pa.py_buffer(self.offsets[: self.rows + 1]),
                pa.py_buffer(self.data[: self.bytes]),
            ],
        )


_FIRST_ROOM = 1 << 26
"""The most rows the accepted columns are first allocated for (more are made room for)."""


def _kept_columns(rows: int, wide: bool = False) -> dict[str, NDArray[Any]]:
    """Empty columns for ``rows`` accepted rows (row indexes int64 if ``wide``)."""
    types = {
        "index": np.int64 if wide or rows >= 2**31 else np.int32,
        "time": np.int64,
        "source_type": np.int32,
        "category": np.int8,
        "x": np.float64,
        "y": np.float64,
        "police_activity": bool,
        "municipality_code": np.int16,
    }
    return {c: np.empty(rows, dtype=t) for c, t in types.items()}


def _rows_of(ids: pa.ChunkedArray, rows: NDArray[np.int64]) -> pa.ChunkedArray:
    """The values at ``rows`` (increasing) of a chunked string array: a filter, which
    copies each chunk's kept bytes in one pass, where a take on chunks goes value by
    value."""
    mask = np.zeros(len(ids), dtype=bool)
    mask[rows] = True
    return ids.filter(pa.array(mask))


def _sorted_hashes(ids: pa.Array, no_id: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """The :func:`~drugscenes.io.columnar.text_hashes` of a batch's ids, rows without an
    id left out, sorted (the batches' sorted runs merge fast, see :func:`_repeats`)."""
    hashes = text_hashes(ids)
    if no_id.any():
        hashes = hashes[~no_id]
    hashes.sort()
    return hashes


def _repeats(
    ids: pa.ChunkedArray, parts: list[NDArray[np.uint64]], no_id: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Rows whose id an earlier row has (rows without an id never repeat), from each
    batch's :func:`_sorted_hashes`: no hash twice is the common case, found by a merge of
    the sorted runs (timsort merges runs in a few passes); otherwise the rows' hashes
    again and their texts compared where hashes are equal (:func:`repeated`)."""
    n = len(ids)
    if n < 2 or not parts:
        return np.zeros(n, dtype=bool)
    merged = np.concatenate(parts)
    merged.sort(kind="stable")
    if not (merged[1:] == merged[:-1]).any():
        return np.zeros(n, dtype=bool)
    del merged
    hashes = np.concatenate([text_hashes(c) for c in ids.chunks])
    if not no_id.any():  # every row has an id: no copies

        def every(which: NDArray[np.int64]) -> list[str]:
            return ids.take(pa.array(which)).to_pylist()

        return repeated(hashes, every)
    rows = np.flatnonzero(~no_id)

    def texts(which: NDArray[np.int64]) -> list[str]:
        return ids.take(pa.array(rows[which])).to_pylist()

    dup = np.zeros(n, dtype=bool)
    dup[rows] = repeated(hashes[rows], texts)
    return dup
