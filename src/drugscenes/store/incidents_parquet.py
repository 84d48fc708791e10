"""Incident storage: a GeoParquet dataset partitioned by year, next to the workspace.

Layout of the incident folder ``DIR``::

    DIR/CURRENT                       name of the live version folder (one line)
    DIR/v-<uuid>/year=2023/part-0.parquet
    DIR/v-<uuid>/year=2024/part-0.parquet
    DIR/v-<uuid>/year=2024/part-1.parquet   (a year of more than 2 M rows: its second half)

Each file is GeoParquet 1.0 (``geo`` metadata, a WKB ``geometry`` column of points
in EPSG:3006) and also has plain ``x``/``y`` float64 columns, which the analysis
reads instead of decoding WKB. Rows are sorted by time within a year and written in
row groups of 1 M, so a query for a period reads only the years and row groups it
needs (partition pruning plus row-group statistics).

Writes are all-or-nothing and idempotent by ``incident_id``: a new version folder is
built (changed years rewritten, unchanged years hard-linked), then ``CURRENT`` is
replaced atomically (``os.replace``); a crash leaves the old version live. Rows of a
re-import replace stored rows with the same id, in whichever year they were.

The format was chosen by measurement (benchmarks/bench_incident_store.py): for 10 M
incidents it is 4.6x smaller than a GeoPackage, 9x faster to write and 18x faster to
read one year.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from drugscenes.errors import DataError, WorkspaceError
from drugscenes.io.columnar import as_text, retaining_pool, text_hashes
from drugscenes.io.wkb import PointBuffer, geoparquet_metadata
from drugscenes.store import incident_files
from drugscenes.store.base import (
    INCIDENT_COLUMNS,
    INCIDENT_DTYPES,
    empty_incident_table,
    typed,
)
from drugscenes.store.incident_files import (
    CODED,
    DAMAGE,
    PARTS,
    SCHEMA,
    VERSION_NAME,
    current_version,
    damaged,
)
from drugscenes.times import to_utc

COLUMNS = INCIDENT_COLUMNS
"""Stored columns besides ``geometry``, in order (the contract's)."""

_ROW_GROUP = 1 << 20
IDS_UNIQUE = b"drugscenes:ids_unique"
"""Schema metadata key of an incident table whose ids are known to be unique (value ``1``)."""
_COLUMNS_SCHEMA = pa.schema([f for f in SCHEMA if f.name != "geometry"])
_WRITE_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in CODED else f
        for f in _COLUMNS_SCHEMA
    ]
)
"""The stored columns as written (coded text dictionary-encoded, as Parquet stores it)."""
_STORED_SCHEMA = _WRITE_SCHEMA.append(SCHEMA.field("geometry"))
_FIXED = ("time", "x", "y")
"""Columns taken in sort order with NumPy (fixed width)."""


def _strings(col: pd.Series) -> pa.Array:
    arr = pa.array(col.astype("str"), from_pandas=True)
    return arr.cast(pa.string())


def _to_table(df: pd.DataFrame) -> pa.Table:
    """A clean incident frame as a table of the stored columns (no geometry yet)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"incident frame lacks columns {missing}")
    arrays = [
        _strings(df["incident_id"]),
        pa.array(pd.to_datetime(df["time"], utc=True)).cast(pa.timestamp("ns", tz="UTC")),
        _strings(df["source_type"]),
        _strings(df["category"]),
        pa.array(df["x"].to_numpy(dtype=np.float64)),
        pa.array(df["y"].to_numpy(dtype=np.float64)),
        pa.array(df["police_activity"].to_numpy(dtype=bool)),
        _strings(df["municipality_code"]),
    ]
    return pa.Table.from_arrays(arrays, schema=_COLUMNS_SCHEMA)


def _from_arrow(table: pa.Table) -> pa.Table:
    """An incident table (text columns plain or dictionary-encoded) in the written types
    (:data:`_WRITE_SCHEMA`: the coded columns stay dictionary-encoded, no string is made
    per row)."""
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise DataError(f"incident table lacks columns {missing}")
    arrays = []
    for f in _WRITE_SCHEMA:
        col = table[f.name]
        if pa.types.is_dictionary(col.type) and not pa.types.is_dictionary(f.type):
            col = col.cast(col.type.value_type)
        elif pa.types.is_dictionary(f.type) and not pa.types.is_dictionary(col.type):
            col = pc.dictionary_encode(col.cast(pa.string()))
        arrays.append(col.cast(f.type) if col.type != f.type else col)
    return pa.Table.from_arrays(arrays, schema=_WRITE_SCHEMA)


def _write_year(box: list[pa.Table], folder: Path) -> None:
    """Write one year's rows (the one table in ``box``, taken out so that it is freed as
    soon as written) into ``folder``, sorted by time (stable), with their WKB points.

    A year of more than two row groups goes into two files, the first and the second half
    of its sorted rows, written side by side on two cores (a Parquet writer uses one).
    Each file is written a row group at a time: only the sort order and one row group's
    sorted copy per file are held besides the year's rows.
    """
    table = box.pop().combine_chunks().unify_dictionaries().combine_chunks()
    n = table.num_rows
    times = table["time"].chunk(0).cast(pa.int64()).to_numpy(zero_copy_only=False)
    x = table["x"].chunk(0).to_numpy(zero_copy_only=False)
    y = table["y"].chunk(0).to_numpy(zero_copy_only=False)
    schema = _STORED_SCHEMA.with_metadata({b"geo": geoparquet_metadata(x, y)})
    columns = {c: table[c].chunk(0) for c in table.column_names}
    fixed = {c: a.to_numpy(zero_copy_only=False) for c, a in columns.items() if c in _FIXED}

    def write(k: int, rows: NDArray[np.int64]) -> None:
        # a row group's fixed-width columns and points go into buffers allocated once per
        # file (the writer has encoded a group when write_table returns): fresh memory is
        # slow to touch, and a new group would touch some 60 MB of it
        size = min(rows.size, _ROW_GROUP)
        buffers = {c: np.empty(size, dtype=a.dtype) for c, a in fixed.items()}
        points = PointBuffer(size)
        pool = retaining_pool()  # each row group's pages in the memory of the last

        def group(part: NDArray[np.int64]) -> pa.Table:
            take = pa.array(part)
            arrays = []
            for f in _WRITE_SCHEMA:
                if f.name in fixed:
                    values = np.take(fixed[f.name], part, out=buffers[f.name][: part.size])
                    arrays.append(pa.array(values, type=f.type))
                else:
                    arrays.append(pc.take(columns[f.name], take, memory_pool=pool))
            n = part.size
            arrays.append(points.wkb(buffers["x"][:n], buffers["y"][:n]))
            return pa.Table.from_arrays(arrays, schema=schema)

        with pq.ParquetWriter(
            folder / f"part-{k}.parquet",
            schema,
            # zstd gains only 10-13 % on times and coordinates (nanoseconds and metres
            # with decimals are nearly random) and costs a fifth of a read: those are
            # stored plain
            compression={f.name: "none" if f.name in _FIXED else "zstd" for f in schema},
            # dictionaries only where values repeat (not ids, times, coordinates,
            # points), and statistics where a read filters (the time; x/y for spatial
            # readers)
            use_dictionary=list(CODED),
            write_statistics=["time", "x", "y"],
            write_page_checksum=True,  # a damaged page is then found on reading, not used
            memory_pool=pool,
        ) as writer:
            for a in range(0, rows.size, _ROW_GROUP):
                part = group(rows[a : a + _ROW_GROUP])
                writer.write_table(part, row_group_size=_ROW_GROUP)
                del part  # before its buffers are filled again

    def sort_and_write(k: int, rows: NDArray[np.int64]) -> None:
        write(k, _by_time(times[rows], rows))

    folder.mkdir(parents=True, exist_ok=True)
    if n <= 2 * _ROW_GROUP:
        sort_and_write(0, np.arange(n))
        return
    half = -(-n // (2 * _ROW_GROUP)) * _ROW_GROUP  # whole row groups in the first file
    first = _first_by_time(times, half)
    with ThreadPoolExecutor(2) as pool:  # each half sorted and written on its own core
        jobs = [
            pool.submit(sort_and_write, 0, np.flatnonzero(first)),
            pool.submit(sort_and_write, 1, np.flatnonzero(~first)),
        ]
        for done in jobs:
            done.result()


def _first_by_time(times: NDArray[np.int64], k: int) -> NDArray[np.bool_]:
    """The rows that a stable sort by time puts first ``k`` (``0 < k < len(times)``),
    found without sorting: those before the k-th time, then the earliest rows of that
    time (a stable sort keeps equal times in row order)."""
    pivot = _kth(times, k - 1)
    first = times < pivot
    ties = np.flatnonzero(times == pivot)
    first[ties[: k - int(first.sum())]] = True
    return first


def _kth(values: NDArray[np.int64], k: int) -> np.int64:
    """``np.partition(values, k)[k]``, partitioning only the values near it: a sample's
    quantiles bound it, and a full partition (several times slower) is the fallback when
    they do not."""
    n = values.size
    step = max(1, n // _SAMPLE)
    sample = np.sort(values[::step])
    at = k * sample.size // n
    margin = max(64, sample.size // 50)  # many standard errors of a sample quantile
    lo = sample[max(0, at - margin)]
    hi = sample[min(sample.size - 1, at + margin)]
    below = int(np.count_nonzero(values < lo))
    near = values[(values >= lo) & (values <= hi)]
    if not below <= k < below + near.size:
        return np.partition(values, k)[k]
    return np.partition(near, k - below)[k - below]


_SAMPLE = 1 << 16
"""Values sampled by :func:`_kth`."""


def _by_time(times: NDArray[np.int64], rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """``rows[np.argsort(times, kind="stable")]`` for increasing ``rows``; ``times`` (the
    rows' times) is overwritten.

    Where a time and a row number fit one 63-bit key (a year of whole seconds or
    milliseconds and millions of rows do), the keys are sorted in ``times``' own memory:
    they are distinct, so ties come in row order as in a stable sort, and no index array
    is made (fresh memory is slow to touch, a stable argsort makes two).
    """
    n = times.size
    if n < 2:
        return rows
    lo, hi = int(times.min()), int(times.max())
    unit = next(u for u in (10**9, 10**6, 10**3, 1) if _all_divisible(times, u))
    bits = max(1, int(rows[-1]).bit_length())
    if ((hi - lo) // unit).bit_length() + bits > 63:
        return rows[np.argsort(times, kind="stable")]
    key = times
    key -= lo
    if unit > 1:
        key //= unit
    key <<= bits
    key |= rows
    key.sort()
    key &= (1 << bits) - 1
    return key


def _all_divisible(values: NDArray[np.int64], unit: int) -> bool:
    """Every value a multiple of ``unit``, checked a slice at a time (small temporaries)."""
    if unit == 1:
        return True
    step = 1 << 16
    return not any((values[a : a + step] % unit).any() for a in range(0, values.size, step))


def write_incidents(root: str | Path, df: pd.DataFrame, replace_ids: bool = True) -> int:
    """Add incidents to the dataset in ``root``; rows with stored ids replace them.

    Parameters
    ----------
    root : str or Path
        The incident folder (created when absent).
    df : DataFrame
        Clean incidents (columns :data:`COLUMNS`), e.g. ``IncidentImport.incidents``.
    replace_ids : bool, default True
        If false, an id already stored raises DataError (nothing is written).

    Returns
    -------
    int
        Number of stored rows afterwards.

    Raises
    ------
    WorkspaceError
        The folder cannot be written (read-only), or a stored file is damaged; nothing
        was changed.
    """
    return write_table(root, _to_table(df), replace_ids)


def write_table(root: str | Path, table: pa.Table, replace_ids: bool = True) -> int:
    """:func:`write_incidents` of an Arrow table (text columns may be dictionary-encoded).

    The import's accepted rows go in as they are, without a pandas frame. A table whose
    schema metadata has :data:`IDS_UNIQUE` (the import sets it, having rejected every
    repeated id) is not checked for repeated ids again.
    """
    root = Path(root)
    checked = (table.schema.metadata or {}).get(IDS_UNIQUE) == b"1"
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise DataError(f"incident table lacks columns {missing}")
    new = table.select(COLUMNS)  # converted to the stored types year by year, in _write
    ids = new["incident_id"]
    if pa.types.is_dictionary(ids.type):
        new = new.set_column(0, "incident_id", ids.cast(ids.type.value_type))
    if not checked and len(pc.unique(new["incident_id"])) != new.num_rows:
        raise DataError("incident ids repeat within the rows to write")
    try:
        root.mkdir(parents=True, exist_ok=True)
        return _write(root, new, replace_ids)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise WorkspaceError(
            f"cannot write the incident store {root} ({exc.strerror}); nothing was changed"
        ) from None


def _read_part(root: Path, path: Path, **options: Any) -> pa.Table:
    """A stored year file (``pq.read_table`` options); a damaged one is a WorkspaceError."""
    try:
        return pq.read_table(path, page_checksum_verification=True, **options)
    except DAMAGE as exc:
        raise damaged(root, exc) from None


def _read_parts(root: Path, paths: list[Path], **options: Any) -> pa.Table:
    """The stored files of a year (:func:`_read_part`) as one table."""
    return pa.concat_tables([_read_part(root, p, **options) for p in paths])


def _part_rows(root: Path, path: Path) -> int:
    try:
        return int(pq.read_metadata(path).num_rows)
    except DAMAGE as exc:
        raise damaged(root, exc) from None


class _IdSet:
    """Membership of ids in a large set of ids, by 64-bit hashes (sorted, searched with
    NumPy) and a text comparison of the rows whose hash matches; Arrow's ``is_in``
    builds a hash table of the strings, several times slower on millions of ids."""

    def __init__(self, ids: pa.Array | pa.ChunkedArray) -> None:
        self.ids = as_text(ids)
        hashes = text_hashes(self.ids)
        self.order = np.argsort(hashes)
        self.hashes = hashes[self.order]

    def contains(self, values: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
        """Whether each of ``values`` is in the set (a missing value never is)."""
        values = as_text(values)
        out = np.zeros(len(values), dtype=bool)
        if not len(self.ids) or not len(values):
            return out
        h = text_hashes(values)
        # the queries searched in sorted order: each search starts where the last ended,
        # in memory already cached (random searches into millions of hashes miss the cache)
        by_hash = np.argsort(h)
        pos = np.empty(h.size, dtype=np.int64)
        pos[by_hash] = np.searchsorted(self.hashes, h[by_hash])
        del by_hash
        np.minimum(pos, len(self.hashes) - 1, out=pos)
        cand = np.flatnonzero((self.hashes[pos] == h) & values.is_valid().to_numpy(False))
        if not cand.size:
            return out
        same = pc.equal(
            values.take(pa.array(cand)), self.ids.take(pa.array(self.order[pos[cand]]))
        ).to_numpy(zero_copy_only=False)
        out[cand[same]] = True
        unsure = cand[~same]  # a hash shared by other ids too: compare with each of them
        if unsure.size:
            shared = self.order[np.isin(self.hashes, h[unsure])]
            texts = set(self.ids.take(pa.array(shared)).to_pylist())
            out[unsure] = [v in texts for v in values.take(pa.array(unsure)).to_pylist()]
        return out


def _years(times: pa.ChunkedArray) -> NDArray[Any] | int:
    """The UTC year of each time, or the one year of them all (found from the first and
    the last time: a year per row costs a pass and a sort of the years)."""
    if len(times) and not times.null_count:
        bounds = pc.min_max(times)
        first, last = pc.year(bounds["min"]).as_py(), pc.year(bounds["max"]).as_py()
        if first == last:
            return int(first)
    return pc.year(times).to_numpy()


def _write(root: Path, new: pa.Table, replace_ids: bool) -> int:
    """Write ``new`` (the stored columns; text may be dictionary-encoded) as a new version.

    Memory holds ``new`` and one year's rows in the stored types at a time.
    """
    times = new["time"].cast(pa.timestamp("ns", tz="UTC"))
    new_years = _years(times)
    del times
    new_ids: _IdSet | None = None  # built when there are stored ids to compare
    old_dir = current_version(root)
    version = root / f"v-{uuid.uuid4().hex}"
    tmp = root / f".tmp-{version.name}"
    try:
        old_files: dict[int, list[Path]] = {}
        if old_dir is not None and old_dir.exists():
            for f in sorted(old_dir.glob(PARTS)):
                old_files.setdefault(int(f.parent.name.split("=")[1]), []).append(f)
        one_year = isinstance(new_years, int)
        touched = {new_years} if one_year else set(np.unique(new_years).tolist())
        only_year = next(iter(touched)) if len(touched) == 1 else None  # no filter then
        if old_files:
            new_ids = _IdSet(new["incident_id"])
        replaced: dict[int, NDArray[np.bool_]] = {}  # stored rows of a year replaced by new
        for year, files in old_files.items():
            ids = _read_parts(root, files, columns=["incident_id"])["incident_id"]
            assert new_ids is not None
            replaced[year] = new_ids.contains(ids)
            del ids
            if replaced[year].any():
                if not replace_ids:
                    raise DataError(
                        f"incident ids already stored (year {year}); re-import with replace"
                    )
                touched.add(year)
        total = 0
        for year in sorted(set(old_files) | touched):
            dest = tmp / f"year={year}"
            if year not in touched:
                dest.mkdir(parents=True, exist_ok=True)
                for f in old_files[year]:
                    os.link(f, dest / f.name)  # unchanged: share the files
                    total += _part_rows(root, dest / f.name)
                continue
            if year == only_year:
                this = new
            elif one_year:
                this = new.slice(0, 0)  # a stored year with replaced rows, no new ones
            else:
                this = new.filter(pa.array(new_years == year))
            parts = [_from_arrow(this)]
            del this
            if year in old_files:
                old = _read_parts(root, old_files[year], columns=list(COLUMNS), schema=SCHEMA)
                old = old.filter(pa.array(~replaced.pop(year)))  # same files, same row order
                parts.insert(0, _from_arrow(old))
                del old
            table = pa.concat_tables([p.replace_schema_metadata(None) for p in parts])
            del parts
            total += table.num_rows
            if table.num_rows:
                box = [table]
                del table
                _write_year(box, dest)  # takes the year's rows out of the box: freed there
            pa.default_memory_pool().release_unused()
        tmp.rename(version)
        cur_tmp = root / f".CURRENT-{version.name}"
        cur_tmp.write_text(version.name + "\n", encoding="utf-8")
        os.replace(cur_tmp, root / "CURRENT")  # the commit point
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(version, ignore_errors=True)
        raise
    if old_dir is not None:
        shutil.rmtree(old_dir, ignore_errors=True)
    return total


def read_incidents(
    root: str | Path,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Incidents with ``start <= time < end`` (UTC; naive values are taken as UTC).

    Reads only the year partitions and row groups overlapping the period. ``columns``
    defaults to :data:`COLUMNS` (no WKB geometry; ask for ``"geometry"`` to get it).
    An empty frame if nothing was ever written.
    """
    cols = list(columns or COLUMNS)
    table = read_table(root, start, end, cols, dictionary=False)
    if table is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=SCHEMA.field(c).type.to_pandas_dtype()) for c in cols}
        )
    try:
        return table.to_pandas()
    except DAMAGE as exc:
        raise damaged(Path(root), exc) from None


def read_table(
    root: str | Path,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    columns: Sequence[str] | None = None,
    dictionary: bool = True,
) -> pa.Table | None:
    """:func:`read_incidents` as an Arrow table; None if nothing was ever written.

    With ``dictionary`` the text columns ``source_type``, ``category`` and
    ``municipality_code`` come dictionary-encoded, straight from the Parquet pages'
    dictionaries: no string is made per row.
    """
    return incident_files.read_table(
        Path(root),
        None if start is None else to_utc(start),
        None if end is None else to_utc(end),
        list(columns or COLUMNS),
        dictionary,
    )


def count_incidents(root: str | Path) -> int:
    """Number of stored incidents, from the Parquet footers of the live version.

    Only the footer of each year file of the version named in ``CURRENT`` is read
    (its ``num_rows``), never the data pages, so counting tens of millions of rows
    takes milliseconds. Versions being built or left behind are not counted.

    Parameters
    ----------
    root : str or Path
        The incident folder.

    Returns
    -------
    int
        Stored rows; 0 if nothing was ever written.
    """
    cur = current_version(Path(root))
    if cur is None:
        return 0
    return sum(_part_rows(Path(root), f) for f in cur.glob(PARTS))


class IncidentDataset:
    """The incident folder of a GeoPackage workspace (see the module docstring).

    Parameters
    ----------
    root : Path
        ``<workspace>.incidents`` beside the workspace file.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, incidents: pd.DataFrame) -> int:
        """Store incidents by id (see :func:`write_incidents`); rows stored afterwards."""
        return write_incidents(self.root, incidents)

    def write_table(self, incidents: pa.Table) -> int:
        """Store an Arrow table of incidents by id (see :func:`write_table`)."""
        return write_table(self.root, incidents)

    def read_table(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """Incidents of ``[start, end)`` as Arrow, text columns dictionary-encoded (see
        :func:`read_table`); an empty table when nothing was ever written."""
        cols = list(columns or COLUMNS)
        table = read_table(self.root, start, end, cols)
        if table is None:
            return empty_incident_table(cols)
        return table

    def read(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Incidents of ``[start, end)`` (see :func:`read_incidents`)."""
        frame = read_incidents(self.root, start, end, list(columns) if columns else None)
        return typed(frame, INCIDENT_DTYPES)

    def count(self) -> int:
        """Stored incidents (see :func:`count_incidents`)."""
        return count_incidents(self.root)

    def remove(self) -> None:
        """Remove the store's own files: version folders, CURRENT, unfinished writes.

        Only names the store creates are removed, so a folder given by mistake keeps
        everything else it holds.
        """
        if not self.root.is_dir() or self.root.is_symlink():
            return
        for child in self.root.iterdir():
            if child.name == "CURRENT" or child.name.startswith(".CURRENT-"):
                child.unlink()
            elif VERSION_NAME.match(child.name.removeprefix(".tmp-")) and not child.is_symlink():
                shutil.rmtree(child)
        if not any(self.root.iterdir()):
            self.root.rmdir()
