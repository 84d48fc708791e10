"""The stored incident files, read with pyarrow alone; a period's read started early.

:mod:`drugscenes.store.incidents_parquet` writes and manages the incident dataset (its
layout is described there). This module holds what a read needs: the stored schema, the
check of the ``CURRENT`` pointer and the filtered Arrow read. It loads neither pandas nor
GeoPandas, so that a command can start reading before those are loaded.

Reading early
-------------
A command that counts millions of incidents spends its first third of a second importing
pandas and GeoPandas, holding the GIL, while the Arrow read of the incidents needs neither
and releases the GIL. :func:`start_read` begins that read on a thread from the workspace
path and the days given; when the full store later reads the same version, bounds and
columns, :func:`read_table` hands over that table instead of reading again. The early read
never decides anything: a workspace, pointer, day or file it cannot vouch for, a version
replaced meanwhile, or an error while reading leaves the store to read (and report) as
usual.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from drugscenes.config import TIMEZONE
from drugscenes.errors import WorkspaceError

__all__ = [
    "CODED",
    "DAMAGE",
    "PARTS",
    "SCHEMA",
    "VERSION_NAME",
    "current_version",
    "damaged",
    "read_table",
    "start_read",
]

SCHEMA = pa.schema(
    [
        ("incident_id", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("source_type", pa.string()),
        ("category", pa.string()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("police_activity", pa.bool_()),
        ("municipality_code", pa.string()),
        ("geometry", pa.binary()),
    ]
)
"""The stored columns with their types as read (text plain)."""

CODED = ("source_type", "category", "municipality_code")
"""Text columns of few distinct values: written from and read as dictionaries."""

PARTS = "year=*/part-*.parquet"
"""The stored files of a version (a year has one file, or two when large)."""

DAMAGE = (pa.ArrowException, OSError)
"""What reading a damaged Parquet file raises (ArrowInvalid, ArrowIOError, ...)."""

VERSION_NAME = re.compile(r"^v-[0-9a-f]{32}$")
"""The name of a version folder."""
_NS = pa.timestamp("ns", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def damaged(root: Path, exc: BaseException) -> WorkspaceError:
    """The error of a damaged incident store, saying how to recover."""
    return WorkspaceError(
        f"the incident store {root} is damaged ({exc}); restore the folder from a backup or "
        "delete it and import the incidents again"
    )


def current_version(root: Path) -> Path | None:
    """The live version folder named in ``CURRENT``, or None before the first write.

    The pointer is checked, never trusted as a path: it must name a version folder of the
    form ``v-<32 hex digits>`` directly inside ``root``, so that a damaged or hostile
    ``CURRENT`` can neither redirect reads nor make a write remove anything outside.
    """
    cur = root / "CURRENT"
    if not cur.exists() and not cur.is_symlink():
        return None
    if cur.is_symlink() or not cur.is_file():
        raise WorkspaceError(f"the incident store {root} is damaged: CURRENT is not a file")
    try:
        name = cur.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"the incident store {root} is damaged: {exc}") from None
    version = root / name
    if not VERSION_NAME.match(name) or version.is_symlink() or not version.is_dir():
        raise WorkspaceError(
            f"the incident store {root} is damaged: CURRENT names {name[:80]!r}, which is not "
            "a version folder of the store; restore the folder from a backup or re-import"
        )
    return version


def _nanoseconds(value: datetime | None) -> int | None:
    """An aware instant as nanoseconds since the epoch (a pandas Timestamp's own
    nanoseconds kept), computed without Arrow, whose conversion of a timezone loads
    pandas."""
    if value is None:
        return None
    micro = (value - _EPOCH) // timedelta(microseconds=1)
    return int(micro) * 1000 + int(getattr(value, "nanosecond", 0))


def _target_schema(columns: list[str], dictionary: bool) -> pa.Schema:
    fields = []
    for c in columns:
        f = SCHEMA.field(c)
        if dictionary and c in CODED:
            f = pa.field(c, pa.dictionary(pa.int32(), pa.string()))
        fields.append(f)
    return pa.schema(fields)


def _year_of(path: Path) -> int | None:
    _, sep, year = path.parent.name.partition("=")
    return int(year) if sep and year.isdigit() else None


def _read_version(
    root: Path,
    version: Path,
    start: datetime | None,
    end: datetime | None,
    columns: list[str],
    dictionary: bool,
) -> pa.Table:
    """Read with :mod:`pyarrow.parquet` (``pyarrow.dataset`` would load pandas): the year
    files overlapping the period, of them the row groups whose time statistics overlap it,
    and only the row groups that straddle a bound are filtered (the others are taken as
    read, without a copy)."""
    lo, hi = _nanoseconds(start), _nanoseconds(end)
    schema = _target_schema(columns, dictionary)
    coded = [c for c in CODED if c in columns] if dictionary else []
    tables = []
    try:
        for path in sorted(version.glob(PARTS)):
            year = _year_of(path)
            if (
                year is None
                or (start is not None and year < start.year)
                or (end is not None and year > end.year)
            ):
                continue
            with pq.ParquetFile(
                path, read_dictionary=coded, page_checksum_verification=True, memory_map=True
            ) as pf:
                tables.extend(_read_file(pf, lo, hi, columns, schema))
        return pa.concat_tables(tables) if tables else pa.Table.from_batches([], schema)
    except DAMAGE as exc:
        raise damaged(root, exc) from None


def _read_file(
    pf: pq.ParquetFile,
    lo: int | None,
    hi: int | None,
    columns: list[str],
    schema: pa.Schema,
) -> list[pa.Table]:
    """The rows of one stored file in the period (``lo``, ``hi``: its bounds in
    nanoseconds), as one or two tables."""
    meta = pf.metadata
    t = meta.schema.names.index("time")
    whole, straddling = [], []
    for g in range(meta.num_row_groups):
        st = meta.row_group(g).column(t).statistics
        if lo is None and hi is None:
            whole.append(g)
        elif st is None or not st.has_min_max:
            straddling.append(g)
        elif (hi is not None and st.min_raw >= hi) or (lo is not None and st.max_raw < lo):
            continue  # wholly outside the period
        elif (lo is None or st.min_raw >= lo) and (hi is None or st.max_raw < hi):
            whole.append(g)
        else:
            straddling.append(g)
    tables = []
    if whole:
        tables.append(pf.read_row_groups(whole, columns=columns).cast(schema))
    if straddling:
        read = columns if "time" in columns else ["time", *columns]
        part = pf.read_row_groups(straddling, columns=read)
        tables.append(_within(part, lo, hi).select(columns).cast(schema))
    return tables


def _within(part: pa.Table, lo: int | None, hi: int | None) -> pa.Table:
    """The rows of ``part`` with times in ``[lo, hi)`` (nanoseconds; None: open).

    A stored file is sorted by time, so they are one slice, found by bisection on the
    times seen through NumPy; Arrow's own scalars, arrays and compute functions would load
    pandas. Rows not in order (not written here) are filtered by a mask instead."""
    time = part.column("time")
    ns = [
        np.frombuffer(ch.buffers()[1], dtype=np.int64, count=len(ch), offset=8 * ch.offset)
        for ch in time.chunks
    ]
    times = np.concatenate(ns) if ns else np.empty(0, dtype=np.int64)
    keep = np.ones(times.size, dtype=bool)
    if lo is not None:
        keep &= times >= lo
    if hi is not None:
        keep &= times < hi
    if time.null_count == 0 and bool(np.all(times[1:] >= times[:-1])):
        first = int(np.argmax(keep)) if keep.any() else 0
        return part.slice(first, int(keep.sum()))
    return part.filter(pa.array(keep))


def read_table(
    root: Path,
    start: datetime | None,
    end: datetime | None,
    columns: Sequence[str],
    dictionary: bool = True,
) -> pa.Table | None:
    """The stored incidents with ``start <= time < end`` as Arrow; None if nothing was ever
    written.

    Only the year partitions and row groups overlapping the period are read. With
    ``dictionary`` the :data:`CODED` columns come dictionary-encoded, straight from the
    Parquet pages' dictionaries: no string is made per row.

    Parameters
    ----------
    root : Path
        The incident folder.
    start, end : datetime or None
        Timezone-aware bounds (None: open).
    columns : sequence of str
        Columns of :data:`SCHEMA` to read.
    dictionary : bool, default True
        Read the coded columns as dictionaries.

    Raises
    ------
    WorkspaceError
        A damaged ``CURRENT`` or file.
    """
    cols = list(columns)
    version = current_version(root)
    if version is None or not any(version.glob("year=*")):
        return None
    key = (version.resolve(), _nanoseconds(start), _nanoseconds(end), tuple(cols), dictionary)
    early = _take(key)
    if early is not None:
        return early
    return _read_version(root, version, start, end, cols, dictionary)


# -- reading early ------------------------------------------------------------------------
_lock = threading.Lock()
_pending: dict[tuple[Any, ...], Future[pa.Table]] = {}


def _take(key: tuple[Any, ...]) -> pa.Table | None:
    """The early read of exactly ``key``, waited for; None if there is none or it failed."""
    with _lock:
        future = _pending.pop(key, None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # the store reads again and reports the error itself
        return None


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def start_read(
    workspace: str | Path, first_day: str, last_day: str, columns: Sequence[str]
) -> bool:
    """Start reading the incidents of the days ``first_day`` .. ``last_day`` (Swedish
    calendar days, ``YYYY-MM-DD``, both included) of a GeoPackage workspace on a thread.

    The table is kept for :func:`read_table`, which hands it over when asked for the same
    live version, bounds, columns and dictionary encoding (and waits for it if needed).

    Parameters
    ----------
    workspace : str or Path
        The workspace as given on the command line (a ``.gpkg`` path; anything else, such
        as a PostGIS URL, starts nothing).
    first_day, last_day : str
        The period's days as given.
    columns : sequence of str
        The columns the job will ask for.

    Returns
    -------
    bool
        Whether a read was started.
    """
    try:
        first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
        path = Path(workspace)
        if "://" in str(workspace) or path.suffix.lower() != ".gpkg" or last < first:
            return False
        root = path.with_name(path.stem + ".incidents")
        version = current_version(root)
        if version is None:
            return False
        tz = ZoneInfo(TIMEZONE)
        start = _local_midnight(first, tz)
        end = _local_midnight(last + timedelta(days=1), tz)
        cols = list(columns)
        key = (version.resolve(), _nanoseconds(start), _nanoseconds(end), tuple(cols), True)
    except Exception:  # nothing vouched for: the store reads and reports as usual
        return False
    future: Future[pa.Table] = Future()

    def run() -> None:
        try:
            future.set_result(_read_version(root, version, start, end, cols, True))
        except BaseException as exc:
            future.set_exception(exc)

    with _lock:
        _pending.clear()  # one early read at a time: an unclaimed one is not kept
        _pending[key] = future
    threading.Thread(target=run, name="drugscenes-early-read", daemon=True).start()
    return True
