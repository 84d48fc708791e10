"""Columnar building blocks of the incident import: text columns as Arrow arrays in,
NumPy arrays out, with no per-row Python.

Each function handles the common, plainly written values itself and leaves the rest
(a value it is not sure about) to the row-wise reference function it stands for, which
decides exactly as before: :func:`iso_times` for
:func:`drugscenes.io.incidents.parse_times`, :func:`numbers` for ``pandas.to_numeric``,
:func:`stripped` for ``str.strip``. The fallbacks see only the values the fast path
did not take, so a file of plainly written values never leaves Arrow and NumPy.

:func:`stream_csv` reads a plain CSV file (UTF-8, no quotes) in record batches with
the Arrow CSV reader and reports the rows the pandas-based reader of
:mod:`drugscenes.io.tabular` would report; any file it cannot read exactly as that
reader does (UTF-8 only, plain quoting, one line per record) raises
:class:`NotPlain`, and the caller reads it with that reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

T = TypeVar("T")

BATCH_ROWS = 1 << 20
"""Rows per batch of the streaming readers (about 1 M)."""

_CSV_BLOCK = 16 << 20
"""Bytes per block of the Arrow CSV reader (a batch is one block): 64 MiB blocks cost
more in fresh memory (the parser's buffers, every batch's temporaries) than a quarter
of the batches saves."""


class NotPlain(Exception):
    """The file needs the row-wise reader (quotes, another encoding, odd header, ...)."""


class PositionUnknown(Exception):
    """Arrow's parallel parser skipped a record without its position: read it again with
    one thread (see :func:`stream_csv`)."""


# -- batches -------------------------------------------------------------------------------
def read_ahead(batches: Iterator[T]) -> Iterator[T]:
    """``batches``, the next one read in a thread while the caller checks this one.

    Reading (Arrow: decompressing, parsing) and checking (NumPy) both release the GIL, so
    on two cores they overlap. An error while reading is raised where that batch is due.
    """
    from concurrent.futures import ThreadPoolExecutor

    it = iter(batches)
    done = object()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(next, it, done)
        while True:
            batch = pending.result()
            if batch is done:
                return
            pending = pool.submit(next, it, done)
            yield batch


# -- text ---------------------------------------------------------------------------------
def as_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string array (dictionary and large strings decoded; nulls kept)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def text_buffers(arr: pa.Array) -> tuple[NDArray[np.int32], NDArray[np.uint8]]:
    """The value offsets (``n + 1``, into the data) and the data bytes of a string array,
    as NumPy views of its buffers (a value's bytes run from its offset to the next; a null
    holds none)."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * arr.offset)
    data_buf = arr.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data


def _offsets_data(arr: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
    """:func:`text_buffers` with the offsets as int64."""
    offsets, data = text_buffers(arr)
    return offsets.astype(np.int64), data


def stripped(arr: pa.Array) -> pa.Array:
    """``str.strip`` of every value (Python's whitespace), nulls as empty strings.

    A value whose first and last bytes are printable ASCII is left as it is (checked on
    the bytes with NumPy); only the others go through ``str.strip``.
    """
    arr = as_text(arr)
    n = len(arr)
    if n == 0:
        return arr.fill_null("")
    offsets, data = _offsets_data(arr)
    lengths = offsets[1:] - offsets[:-1]
    filled = lengths > 0
    first = np.zeros(n, dtype=np.uint8)
    last = np.zeros(n, dtype=np.uint8)
    first[filled] = data[offsets[:-1][filled]]
    last[filled] = data[offsets[1:][filled] - 1]
    plain = filled & (first - np.uint8(33) < 94) & (last - np.uint8(33) < 94)  # '!'..'~'
    if arr.null_count:
        plain &= arr.is_valid().to_numpy(zero_copy_only=False)
    odd = np.flatnonzero(~plain)
    if odd.size == 0:
        return arr
    values = arr.take(pa.array(odd)).to_pylist()
    fixed = pa.array(["" if v is None else v.strip() for v in values], pa.string())
    out = arr.fill_null("")
    return pc.replace_with_mask(out, pa.array(~plain), fixed)


def blank(arr: pa.Array) -> NDArray[np.bool_]:
    """Missing or empty values (after :func:`stripped`)."""
    return ~pc.fill_null(pc.not_equal(arr, ""), False).to_numpy(zero_copy_only=False)


def unique_map(arr: pa.Array, fn: Callable[[str | None], object]) -> tuple[list[object], NDArray]:
    """``fn`` of each distinct value once, and each row's index into that list.

    Nulls are passed to ``fn`` as None. Per-row work is done by NumPy on the codes; a
    dictionary-encoded column (as read with ``read_dictionary``) is taken as it is.
    """
    if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
        arr = arr.chunk(0)
    if isinstance(arr, pa.DictionaryArray) and pa.types.is_string(arr.type.value_type):
        values = [fn(v) for v in arr.dictionary.to_pylist()]
        idx = arr.indices.to_numpy(zero_copy_only=False)
        if arr.null_count:
            values.append(fn(None))
            idx = pc.fill_null(arr.indices, len(values) - 1).to_numpy(zero_copy_only=False)
        return values, idx.astype(np.int64)
    enc = pc.dictionary_encode(as_text(arr), null_encoding="encode")
    values = [fn(v) for v in enc.dictionary.to_pylist()]
    idx = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return values, idx


# -- ids ------------------------------------------------------------------------------------
_HASH_ROWS = 1 << 20
_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
"""The low ``k`` bytes of a word, for k = 0..8."""


def _mix(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The splitmix64 finaliser: every input bit reaches every output bit."""
    h ^= h >> np.uint64(30)
    h *= _MIX[0]
    h ^= h >> np.uint64(27)
    h *= _MIX[1]
    h ^= h >> np.uint64(31)
    return h


def text_hashes(arr: pa.Array) -> NDArray[np.uint64]:
    """A 64-bit hash of each value's bytes, computed with NumPy: equal texts have equal
    hashes, in any array or batch; unequal ones rarely do, so a caller compares the texts
    of equal hashes (see :func:`repeated`).

    Each value is read as little-endian 64-bit words (the last one zero-padded), mixed in
    turn into a start made of its length, then finished with splitmix64: a few vector
    operations a word for the short ids incident files have.
    """
    arr = as_text(arr)
    n = len(arr)
    out = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return out
    offsets, data = _offsets_data(arr)
    lengths = offsets[1:] - offsets[:-1]
    width = max(8, -(-int(lengths.max()) // 8) * 8)
    padded = np.zeros(data.size + width, dtype=np.uint8)  # every value reads `width` bytes
    padded[: data.size] = data
    # the 8 bytes from each byte position as one little-endian word (unaligned reads)
    words = np.ndarray((data.size + width - 7,), dtype="<u8", buffer=padded, strides=(1,))
    with np.errstate(over="ignore"):
        for a in range(0, n, _HASH_ROWS):  # bounded temporaries
            b = min(a + _HASH_ROWS, n)
            start, length = offsets[a:b], lengths[a:b]
            h = length.astype(np.uint64) * _GOLDEN
            for j in range(width // 8):
                # only the values that have a word j; its bytes past the value zeroed
                rows = np.flatnonzero(length > 8 * j)
                if rows.size == length.size:
                    h = _step(h, words[start + 8 * j] & _KEEP[np.minimum(length - 8 * j, 8)])
                elif rows.size:
                    w = words[start[rows] + 8 * j] & _KEEP[np.minimum(length[rows] - 8 * j, 8)]
                    h[rows] = _step(h[rows], w)
            out[a:b] = _mix(h)
    return out


def _step(h: NDArray[np.uint64], word: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """One word into the running hashes (multiply-xorshift)."""
    h = (h ^ word) * _MIX[0]
    h ^= h >> np.uint64(32)
    return h


def _all_distinct(hashes: NDArray[np.uint64]) -> bool:
    """No value twice: sorted in two halves split by the top bit (a value is in one half
    only), each sorted on its own core; a sort beats a hash table on millions of distinct
    64-bit values (the table's memory is touched at random)."""
    from concurrent.futures import ThreadPoolExecutor

    top = hashes >= np.uint64(1 << 63)

    def distinct(part: NDArray[np.uint64]) -> bool:
        part.sort()  # NumPy sorts without the GIL
        return not (part[1:] == part[:-1]).any()

    with ThreadPoolExecutor(2) as pool:
        return all(pool.map(distinct, (hashes[top], hashes[~top])))


def repeated(
    hashes: NDArray[np.uint64], texts: Callable[[NDArray[np.int64]], list[str]]
) -> NDArray[np.bool_]:
    """Rows whose text an earlier row has, from the rows' :func:`text_hashes`.

    ``texts(rows)`` gives the texts of some rows: only rows whose hash another row shares
    are compared by their text, so a hash collision never makes two ids one.
    """
    n = hashes.size
    dup = np.zeros(n, dtype=bool)
    if n < 2:
        return dup
    if _all_distinct(hashes):
        return dup  # the common case
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    same = ordered[1:] == ordered[:-1]
    shared = np.zeros(n, dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    rows = np.sort(order[shared])  # every row whose hash is not unique, in file order
    seen: set[str] = set()
    for r, t in zip(rows.tolist(), texts(rows), strict=True):
        if t in seen:
            dup[r] = True
        else:
            seen.add(t)
    return dup


# -- numbers --------------------------------------------------------------------------------
_PLAIN_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,17})?$"
"""A decimal number Arrow parses to the same double as pandas (checked in the tests)."""


def numbers(arr: pa.Array | pa.ChunkedArray | None, n: int, decimal_comma: bool = False) -> NDArray:
    """``pandas.to_numeric(values, errors="coerce")`` as float64 (NaN where not a number).

    Numeric columns are taken as they are; text ``1234.5`` (``1234,5`` with
    ``decimal_comma``) by Arrow, anything else by pandas.
    """
    import pandas as pd

    if arr is None:
        return np.full(n, np.nan)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pc.fill_null(arr.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    arr = as_text(arr)
    if decimal_comma:
        arr = pc.replace_substring(arr, ",", ".")
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), False)
    plain_np = plain.to_numpy(zero_copy_only=False)
    out = np.full(len(arr), np.nan)
    if plain_np.all():
        return arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if plain_np.any():
        out[plain_np] = pc.filter(arr, plain).cast(pa.float64()).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~plain_np)
    values = arr.take(pa.array(rest)).to_pylist()
    filled = [v for v in values if v is not None and v != ""]
    if filled:
        conv = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        out[rest] = conv.to_numpy(dtype=float, na_value=np.nan)
    return out


# -- times -----------------------------------------------------------------------------------
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_WIDTH = 32


def _digits(m: NDArray[np.uint8], cols: list[int]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The number written by the digits in rows ``cols`` of ``m`` (one row per byte
    position, one column per value), and whether all of them are digits."""
    value = np.zeros(m.shape[1], dtype=np.int64)
    ok = np.ones(m.shape[1], dtype=bool)
    for c in cols:
        d = m[c] - np.uint8(48)  # wraps below '0', so one comparison checks both ends
        ok &= d < 10
        value = value * 10 + d
    return value, ok


def _days_from_civil(y: NDArray, mo: NDArray, d: NDArray) -> NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (mo <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (mo + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_ISO_DATE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_ISO_CLOCK = r"[T ]([01]\d|2[0-3]):[0-5]\d"
_ISO_NAIVE = rf"^{_ISO_DATE}({_ISO_CLOCK}(:[0-5]\d(\.\d{{6}})?)?)?$"
_ISO_AWARE = rf"^{_ISO_DATE}{_ISO_CLOCK}:[0-5]\d(\.\d{{6}})?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$"
"""The forms :func:`iso_times` takes, without and with an offset, as regular expressions
(the day of the month is checked by Arrow's parser)."""
_NS_PER_DAY = 86_400 * 10**9


def _iso_form(arr: pa.Array, pattern: str) -> NDArray[np.bool_]:
    """Which values match ``pattern`` (:data:`_ISO_NAIVE` or :data:`_ISO_AWARE`).

    A column of values all as long as one of the usual forms (``YYYY-MM-DD``, with
    ``[T ]HH:MM``, ``:SS``, ``:SSZ``) is checked on its bytes in place, a column of
    bytes per position (the regular expression costs some 100 ns a value); any other
    column by the regular expression.
    """
    n = len(arr)
    if n and not arr.null_count:
        offsets, data = _offsets_data(arr)
        size = int(offsets[-1] - offsets[0])
        width = size // n
        if width in _ISO_WIDTHS and size == width * n and (np.diff(offsets) == width).all():
            m = data[int(offsets[0]) : int(offsets[-1])].reshape(n, width)
            if (width == 20) != (pattern == _ISO_AWARE):  # 20: the only width with Z
                return np.zeros(n, dtype=bool)
            return _iso_bytes(m)
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )


_ISO_WIDTHS = (10, 16, 19, 20)
"""Widths of the forms :func:`_iso_form` checks on the bytes."""


def _iso_bytes(m: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Rows of ``m`` (one value a row, 10, 16, 19 or 20 bytes) that are
    ``YYYY-MM-DD``, ``YYYY-MM-DD[T ]HH:MM``, ``...:SS`` or ``...:SSZ`` with a month
    01-12, a day 01-31, an hour 00-23, minutes and seconds 00-59: what
    :data:`_ISO_NAIVE` and :data:`_ISO_AWARE` match at these widths."""
    width = m.shape[1]
    t = np.ascontiguousarray(m.T)  # byte j of every value in row j
    d = t - np.uint8(48)  # digits as 0-9, any other byte 10 or more (wrapping below '0')
    digits = [0, 1, 2, 3, 5, 6, 8, 9] + [11, 12, 14, 15] * (width >= 16) + [17, 18] * (width >= 19)
    ok = (d[digits] < 10).all(axis=0)

    def two(j: int) -> NDArray[np.uint8]:  # the number of digits j and j + 1
        return d[j] * np.uint8(10) + d[j + 1]

    month, day = two(5), two(8)
    ok &= (t[4] == ord("-")) & (t[7] == ord("-"))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    if width >= 16:
        ok &= ((t[10] == ord("T")) | (t[10] == ord(" "))) & (t[13] == ord(":"))
        ok &= (two(11) <= 23) & (two(14) <= 59)
    if width >= 19:
        ok &= (t[16] == ord(":")) & (two(17) <= 59)
    if width == 20:
        ok &= t[19] == ord("Z")
    return ok


def _arrow_iso_times(
    arr: pa.Array, first_year: int, last_year: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """:func:`iso_times` by Arrow's ISO 8601 parser, for the rows whose form it matches.

    The rows of a form are parsed together; when one of them is not a real day (30
    February) none are taken and the NumPy parser decides row by row. Times with an
    offset within a day of the year range's ends are left to it too (their own year is
    not the UTC one).
    """
    n = len(arr)
    ns = np.zeros(n, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    aware = np.zeros(n, dtype=bool)
    lo = int(_days_from_civil(np.int64(first_year), np.int64(1), np.int64(1))) * _NS_PER_DAY
    hi = int(_days_from_civil(np.int64(last_year + 1), np.int64(1), np.int64(1))) * _NS_PER_DAY
    forms = [(_ISO_NAIVE, None, lo, hi), (_ISO_AWARE, "UTC", lo + _NS_PER_DAY, hi - _NS_PER_DAY)]
    head = arr.slice(0, 1000)
    if (pc.sum(pc.match_substring_regex(head, _ISO_AWARE)).as_py() or 0) > len(head) // 2:
        forms.reverse()  # the file's usual form first, the other only on the rest
    rest = np.arange(n)
    for pattern, tz, first, last in forms:
        if rest.size == 0:
            break
        part = arr if rest.size == n else arr.take(pa.array(rest))
        hit = _iso_form(part, pattern)
        if not hit.any():
            continue
        values_arr = part if hit.all() else pc.filter(part, pa.array(hit))
        try:
            parsed = values_arr.cast(pa.timestamp("ns", tz=tz)).cast(pa.int64())
        except pa.ArrowInvalid:
            continue
        values = parsed.to_numpy(zero_copy_only=False)
        rows = rest[hit]
        ok = (values >= first) & (values < last)
        ns[rows[ok]] = values[ok]
        taken[rows[ok]] = True
        aware[rows[ok]] = tz is not None
        rest = rest[~hit]
    return ns, taken, aware


def iso_times(
    arr: pa.Array, first_year: int, last_year: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Plainly written ISO times as UTC nanoseconds, for the rows it can take.

    Takes ``YYYY-MM-DD``, ``YYYY-MM-DD[T ]HH:MM``, ``YYYY-MM-DD[T ]HH:MM:SS`` with an
    optional ``.ffffff`` and an optional ``Z``, ``±HH:MM`` or ``±HHMM`` (the last two
    after seconds only), of a valid day and time, a year in ``first_year``..``last_year``. The rest
    (other forms, impossible days, years outside) is for the row-wise parser.

    Returns
    -------
    ns : ndarray of int64
        Nanoseconds since the epoch: UTC for times with an offset, local wall-clock time
        (to be localised) for the others; 0 where not taken.
    taken : ndarray of bool
    aware : ndarray of bool
        The time had an offset (or ``Z``).

    Notes
    -----
    Arrow's parser takes the rows of the common forms (:func:`_arrow_iso_times`); the
    rest are read byte by byte with NumPy, with the same result (tested on both).
    """
    arr = as_text(arr)
    ns, taken, aware = _arrow_iso_times(arr, first_year, last_year)
    rest = np.flatnonzero(~taken)
    if rest.size:
        part = arr if rest.size == len(arr) else arr.take(pa.array(rest))
        ns2, taken2, aware2 = _numpy_iso_times(part, first_year, last_year)
        ns[rest], taken[rest], aware[rest] = ns2, taken2, aware2
    return ns, taken, aware


def _numpy_iso_times(
    arr: pa.Array, first_year: int, last_year: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """:func:`iso_times` byte by byte with NumPy (every form it takes)."""
    n = len(arr)
    ns = np.zeros(n, dtype=np.int64)
    aware = np.zeros(n, dtype=bool)
    lengths = pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
    shapes = (10, 16, 19, 20, 24, 25, 26, 27, 31, 32)
    cand = np.flatnonzero(np.isin(lengths, shapes))
    taken = np.zeros(n, dtype=bool)
    if cand.size == 0:
        return ns, taken, aware
    offsets, raw = text_buffers(arr)
    data = np.zeros(raw.size + _WIDTH, dtype=np.uint8)  # padded: every row reads _WIDTH bytes
    data[: raw.size] = raw
    start = offsets[cand].astype(np.int64)
    length = lengths[cand]
    windows = np.lib.stride_tricks.sliding_window_view(data, _WIDTH)
    m = np.ascontiguousarray(windows[start].T)  # m[j, k]: byte j of value k
    year, ok = _digits(m, [0, 1, 2, 3])
    month, ok2 = _digits(m, [5, 6])
    day, ok3 = _digits(m, [8, 9])
    ok &= ok2 & ok3 & (m[4] == 45) & (m[7] == 45)
    ok &= (year >= first_year) & (year <= last_year) & (month >= 1) & (month <= 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = _DAYS_IN_MONTH[np.clip(month - 1, 0, 11)] + ((month == 2) & leap)
    ok &= (day >= 1) & (day <= dim)
    has_time = length >= 16
    hour, okh = _digits(m, [11, 12])
    minute, okm = _digits(m, [14, 15])
    sep_ok = (m[10] == ord("T")) | (m[10] == ord(" "))
    time_ok = okh & okm & sep_ok & (m[13] == 58) & (hour <= 23) & (minute <= 59)
    ok &= ~has_time | time_ok
    has_sec = length >= 19
    sec, oks = _digits(m, [17, 18])
    ok &= ~has_sec | (oks & (m[16] == 58) & (sec <= 59))
    has_frac = (length >= 26) & (m[19] == 46)
    frac, okf = _digits(m, [20, 21, 22, 23, 24, 25])
    ok &= ~has_frac | okf
    end = np.where(has_frac, 26, np.where(has_sec, 19, length))  # where a suffix starts
    rest = length - end
    sm = np.zeros((6, cand.size), dtype=np.uint8)
    for e in (10, 16, 19, 26):  # the bytes from where the suffix starts
        at = end == e
        if at.any():
            sm[:, at] = m[e : e + 6, at]
    zulu = (rest == 1) & (sm[0] == ord("Z"))
    sign = np.where(sm[0] == ord("-"), -1, 1)
    signed = (sm[0] == ord("+")) | (sm[0] == ord("-"))
    oh, okoh = _digits(sm, [1, 2])
    colon = rest == 6
    omin_c, okom_c = _digits(sm, [4, 5])
    omin_n, okom_n = _digits(sm, [3, 4])
    omin = np.where(colon, omin_c, omin_n)
    okom = np.where(colon, okom_c & (sm[3] == 58), okom_n)
    has_off = ((rest == 5) | colon) & signed & okoh & okom & (oh <= 23) & (omin <= 59)
    ok &= (rest == 0) | zulu | has_off
    ok &= (rest == 0) | has_sec  # an offset only after seconds
    days = _days_from_civil(year, month, day)
    seconds = days * 86400 + np.where(has_time, hour * 3600 + minute * 60, 0)
    seconds = seconds + np.where(has_sec, sec, 0)
    seconds = seconds - np.where(has_off, sign * (oh * 3600 + omin * 60), 0)
    value = seconds * 1_000_000_000 + np.where(has_frac, frac * 1000, 0)
    good = cand[ok]
    ns[good] = value[ok]
    taken[good] = True
    aware[good] = (zulu | has_off)[ok]
    return ns, taken, aware


# -- CSV ------------------------------------------------------------------------------------
@dataclass
class CsvStream:
    """A plain CSV file being read in batches (see :func:`stream_csv`).

    Attributes
    ----------
    columns : list of str
        Header names, trimmed.
    separator : str
    batches : iterator of RecordBatch
        The readable rows, every column text, in file order.
    invalid : list of (int, int, bool)
        Filled while reading: for each record the Arrow reader skipped, its position
        among the file's non-empty records (0 = first data record), its number of
        fields, and whether it is blank (whitespace only: no row at all for pandas).
    """

    columns: list[str]
    separator: str
    batches: Iterator[pa.RecordBatch]
    invalid: list[tuple[int, int, bool]] = field(default_factory=list)
    position_unknown: bool = False


def _header_line(path: Path) -> str:
    """The first line of a plain file; NotPlain when the file needs the row-wise reader.

    Plain: not compressed, no byte-order mark, a first line that is UTF-8 text.
    """
    if path.name.lower().endswith(".gz"):
        raise NotPlain("compressed")
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise NotPlain("byte-order mark")
    line = head.split(b"\n", 1)[0]
    if len(line) == len(head) and len(head) == 1 << 20:
        raise NotPlain("header longer than 1 MiB")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise NotPlain("header not UTF-8") from None


_CHECK_BLOCK = 2 << 20
"""Bytes read at a time by :func:`_check_records`: its buffers are allocated once and
reused (fresh memory costs a page fault a page, large blocks a fresh allocation each)."""


def _utf8(data: memoryview) -> bool:
    """Whether ``data`` is UTF-8 text (as ``bytes.decode`` judges), checked by Arrow's
    validator in place: no Python string is made."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    text = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _check_records(path: Path, sep: str) -> None:
    """NotPlain unless the text is UTF-8, every record is one line and quoting is plain.

    Plain quoting: a field is quoted whole (a quote starts a field and ends one, quotes
    inside doubled) and no quoted value spans lines, so that Arrow, the csv module and
    pandas all read the same fields; every carriage return ends a line (CRLF).
    Checked with NumPy on blocks of whole lines, read into one reused buffer.
    """
    ends = np.zeros(256, dtype=bool)  # a lookup table: is this byte an end of a field?
    ends[[ord(sep), 10, 13, 34]] = True
    buf = bytearray(_CHECK_BLOCK)
    is_quote = np.empty(_CHECK_BLOCK, dtype=bool)
    have = 0  # bytes in buf: the unfinished line of the last block first
    with path.open("rb", buffering=0) as fh:
        while True:
            if have == len(buf):  # a line longer than the buffer
                buf = buf + bytearray(len(buf))
                is_quote = np.empty(len(buf), dtype=bool)
            with memoryview(buf) as free:
                got = fh.readinto(free[have:])
            size = have + got
            cut = size if not got else buf.rfind(b"\n", 0, size) + 1
            if cut:
                _check_block(buf, cut, ends, is_quote)
                buf[: size - cut] = buf[cut:size]  # the unfinished line to the front
            have = size - cut
            if not got:
                return


def _check_block(
    buf: bytearray, cut: int, ends: NDArray[np.bool_], is_quote: NDArray[np.bool_]
) -> None:
    """:func:`_check_records` of the whole lines ``buf[:cut]``."""
    if buf.find(b"\r", 0, cut) >= 0 and buf.count(b"\r", 0, cut) != buf.count(b"\r\n", 0, cut):
        raise NotPlain("carriage return inside a line")
    with memoryview(buf) as view:
        if not _utf8(view[:cut]):  # not UTF-8: the row-wise reader reads it line by line
            raise NotPlain("not UTF-8")
    if buf.find(b'"', 0, cut) < 0:
        return
    data = np.frombuffer(buf, dtype=np.uint8, count=cut)
    q = np.flatnonzero(np.equal(data, 34, out=is_quote[:cut]))
    before = data[np.maximum(q - 1, 0)]
    before[q == 0] = 10
    after = data[np.minimum(q + 1, cut - 1)]
    after[q + 1 >= cut] = 10
    if (~ends[before] & ~ends[after]).any():
        raise NotPlain("a quote inside a field")
    newlines = np.flatnonzero(np.equal(data, 10, out=is_quote[:cut]))
    per_line = np.diff(np.searchsorted(q, np.r_[-1, newlines, cut]))
    if (per_line % 2).any():
        raise NotPlain("a quoted value spanning lines")


def _in_background(fn: Callable[..., None], *args: object) -> Callable[[], None]:
    """Run ``fn(*args)`` in a daemon thread; the returned function waits for it and
    raises what it raised. A caller that gives up early does not wait for it."""
    import threading

    failed: list[BaseException] = []

    def run() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # handed to the caller by join()
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return join


def retaining_pool() -> pa.MemoryPool:
    """A memory pool that keeps freed pages for a while (jemalloc, see :data:`_DECAY_MS`),
    for work that allocates and frees large buffers over and over (the CSV reader's
    blocks, the store's row groups): each round reuses the pages of the last. The
    commands' pool (malloc, :mod:`drugscenes.cli.memory`) maps blocks above 4 MiB afresh
    each time, and faulting them in again cost as much as parsing the CSV blocks. The
    default pool where there is no jemalloc."""
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(_DECAY_MS)
    except (NotImplementedError, pa.ArrowNotImplementedError):  # a build without jemalloc
        return pa.default_memory_pool()
    return pool


_DECAY_MS = 2000
"""How long jemalloc keeps freed pages (milliseconds)."""


def stream_csv(path: Path, sniff: Callable[[str], str], threads: bool = True) -> CsvStream:
    """Read a plain CSV file in batches of text columns (see the module docstring).

    Parameters
    ----------
    path : Path
    sniff : callable
        The separator of a header line.
    threads : bool
        Parse with both cores. Arrow's parallel parser may skip a record (another
        number of fields) without knowing its position: then reading raises
        PositionUnknown and the caller reads again with ``threads=False``.

    Raises
    ------
    NotPlain
        The file is compressed, has a byte-order mark, quoting that is not plain (see
        :func:`_check_records`), lone carriage returns, a header that is blank, not
        UTF-8, or has blank or repeated names; reading
        it later may raise NotPlain too (text that is not UTF-8, a skipped record whose
        position Arrow does not know).
    """
    import csv

    import pyarrow.csv as pcsv

    header = _header_line(path)
    if not header.strip():
        raise NotPlain("blank first line")
    sep = sniff(header)
    if "\r" in header.rstrip("\r"):
        raise NotPlain("carriage return inside a line")
    checked = _in_background(_check_records, path, sep)  # while Arrow parses; joined last
    try:
        names = [c.strip() for c in next(csv.reader([header.rstrip("\r")], delimiter=sep))]
    except csv.Error as exc:
        raise NotPlain(str(exc)) from None
    if any(not c for c in names) or len(set(names)) != len(names):
        raise NotPlain("header names blank or repeated")
    keys = [f"c{i}" for i in range(len(names))]
    stream = CsvStream(names, sep, iter(()))

    def skipped(row: pcsv.InvalidRow) -> str:
        if row.number is None:  # parsed in parallel: the reader stops, see PositionUnknown
            stream.position_unknown = True
            return "error"
        text = row.text
        is_blank = not (text.strip() or sep in text)
        stream.invalid.append((int(row.number) - 2, int(row.actual_columns), is_blank))
        return "skip"

    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(
                use_threads=threads, block_size=_CSV_BLOCK, skip_rows=1, column_names=keys
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                newlines_in_values=False,
                invalid_row_handler=skipped,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={k: pa.string() for k in keys},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
            memory_pool=retaining_pool(),
        )
    except pa.ArrowInvalid as exc:
        if stream.position_unknown:
            raise PositionUnknown from None
        if "Empty CSV file" in str(exc):
            reader = None
        else:
            raise NotPlain(str(exc)) from None

    def batches() -> Iterator[pa.RecordBatch]:
        if reader is None:
            checked()
            return
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:  # text that is not UTF-8, ...
                checked()  # a file that is not plain says so first
                if stream.position_unknown:
                    raise PositionUnknown from None
                raise NotPlain(str(exc)) from None
            yield batch
        checked()  # the rows read count only if the file is plain

    stream.batches = batches()
    return stream


def record_rows(
    n_valid: int, invalid: list[tuple[int, int, bool]]
) -> tuple[Callable[[NDArray[np.int64]], NDArray[np.int64]], list[tuple[int, int]]]:
    """Data row numbers (as the pandas reader numbers them) of the records Arrow read.

    Parameters
    ----------
    n_valid : int
        Records read.
    invalid : list
        The skipped records (:attr:`CsvStream.invalid`).

    Returns
    -------
    rows : callable
        Index among the records read (0-based) -> data row number (1-based).
    bad : list of (int, int)
        Data row number and number of fields of each skipped record that is not blank.
    """
    pos = np.array(sorted(p for p, _n, _b in invalid), dtype=np.int64)
    blanks = np.array(sorted(p for p, _n, b in invalid if b), dtype=np.int64)
    adj = pos - np.arange(pos.size)

    def row_of_position(p: NDArray[np.int64]) -> NDArray[np.int64]:
        return p + 1 - np.searchsorted(blanks, p, side="left")

    def rows(valid: NDArray[np.int64]) -> NDArray[np.int64]:
        valid = np.asarray(valid, dtype=np.int64)
        return row_of_position(valid + np.searchsorted(adj, valid, side="right"))

    bad = [
        (int(row_of_position(np.array([p]))[0]), n_fields)
        for p, n_fields, is_blank in sorted(invalid)
        if not is_blank
    ]
    return rows, bad
