"""The faster parts of the incident import against the plain code they stand for.

The CSV record check reads into one reused buffer, the store sorts packed keys instead
of a stable argsort, repeated ids are found from sorted runs, and the accepted rows go
into columns allocated once: each must decide exactly as the straightforward version.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from drugscenes.io import columnar
from drugscenes.io import incidents as inc
from drugscenes.io.columnar import NotPlain
from drugscenes.io.wkb import PointBuffer, points_wkb
from drugscenes.store import incidents_parquet as store
from drugscenes.store.base import incident_frame
from helpers import square_region

REGION = square_region()


def _plain(data: bytes, sep: str = ",") -> bool:
    """The record check as it was written first: the whole text at once, with Python."""
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    ends = {ord(sep), 10, 13, 34}
    for line in data.split(b"\n"):
        if line.count(b'"') % 2:
            return False
    for k, byte in enumerate(data):
        if byte == 34:
            before = data[k - 1] if k > 0 else 10
            after = data[k + 1] if k + 1 < len(data) else 10
            if before not in ends and after not in ends:
                return False
    return True


@pytest.mark.parametrize("block", [2, 3, 7, 1 << 20])
def test_record_check_reads_any_file_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Lines longer than the buffer, blocks cut anywhere, a last line without its end."""
    monkeypatch.setattr(columnar, "_CHECK_BLOCK", block)
    pieces = [b"a", b'"', b",", b"\n", b"\r", b"\r\n", b"\xc3\xb6", b"\xff", b"\xc3", b'""']
    pieces += [b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b'"a","b"\n']
    rng = random.Random(5)
    f = tmp_path / "f.csv"
    for _ in range(300):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        f.write_bytes(data)
        try:
            columnar._check_records(f, ",")
            plain = True
        except NotPlain:
            plain = False
        assert plain == _plain(data), data


def test_utf8_check_agrees_with_python() -> None:
    cases = [b"", b"abc", b"\xc3\xb6", b"\xed\xa0\x80", b"\xed\x9f\xbf", b"\xc0\xaf", b"\xc3"]
    cases += [b"\xe0\x80\x80", b"\xf0\x9f\x98\x80", b"\xf4\x90\x80\x80", b"\xef\xbf\xbf", b"\x00"]
    for data in cases:
        try:
            data.decode("utf-8")
            want = True
        except UnicodeDecodeError:
            want = False
        assert columnar._utf8(memoryview(bytearray(data))) == want, data


TIMES = [
    np.zeros(7, dtype=np.int64),
    np.array([5, 3, 5, 1, 3, 5], dtype=np.int64),
    np.array([-(10**18), 10**18, 0, -1], dtype=np.int64),  # too wide for a packed key
    (np.arange(1000) % 17 * 10**9 + 1_672_531_200 * 10**9).astype(np.int64),
    (np.arange(1000) % 13 * 10**6).astype(np.int64),
]


@pytest.mark.parametrize("times", TIMES)
def test_rows_by_time_is_a_stable_sort(times: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    for rows in (
        np.arange(times.size, dtype=np.int64),
        np.sort(rng.choice(10 * times.size, times.size, replace=False)).astype(np.int64),
    ):
        want = rows[np.argsort(times, kind="stable")]
        assert (store._by_time(times.copy(), rows) == want).all()


def test_kth_value_is_the_partitions() -> None:
    rng = np.random.default_rng(2)
    for values in (
        rng.integers(0, 50, 5000),
        rng.integers(-(2**62), 2**62, 200_000),
        np.sort(rng.integers(0, 10**6, 200_000)),  # a sample's quantiles may miss: fallback
        np.zeros(1000, dtype=np.int64),
    ):
        values = values.astype(np.int64)
        for k in (0, 1, values.size // 3, values.size - 1):
            assert store._kth(values, k) == np.partition(values, k)[k]


def test_point_buffer_writes_what_points_wkb_writes() -> None:
    buffer = PointBuffer(10)
    for n in (10, 3, 0):
        x, y = np.arange(n) + 0.5, -np.arange(n) * 2.0
        assert buffer.wkb(x, y).equals(points_wkb(x, y))


def test_repeats_from_sorted_runs() -> None:
    """Ids repeated within a batch and across batches, rows without an id."""
    batches = [["a", "b", None, "a"], ["", "c", "b"], ["d"], [" ", "d", "a"]]
    chunks = [columnar.stripped(pa.array(b, pa.string())) for b in batches]
    no_id = [columnar.blank(c) for c in chunks]
    parts = [inc._sorted_hashes(c, m) for c, m in zip(chunks, no_id, strict=True)]
    got = inc._repeats(pa.chunked_array(chunks), parts, np.concatenate(no_id))
    ids = pd.Series([v for b in batches for v in b], dtype=object).str.strip()
    want = ids.duplicated() & ids.notna() & (ids != "")
    assert got.tolist() == want.tolist()
    distinct = [columnar.stripped(pa.array(["x", "y"])), columnar.stripped(pa.array(["z"]))]
    parts = [inc._sorted_hashes(c, columnar.blank(c)) for c in distinct]
    assert not inc._repeats(pa.chunked_array(distinct), parts, np.zeros(3, bool)).any()


def test_accepted_columns_grow_past_their_first_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ["id,time,type,x,y"]
    for k, (t, typ) in enumerate(itertools.product(range(20), ["Misshandel", "Rån", "Okänd"])):
        rows.append(f"{k % 50},2023-01-05T10:{t:02d}:00Z,{typ},{665000 + k},6575000")
    f = tmp_path / "incidents.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    whole = inc.read_incidents(f, REGION, crs="3006")
    monkeypatch.setattr(inc, "_FIRST_ROOM", 4)
    grown = inc.read_incidents(f, REGION, crs="3006")
    assert [p.to_dict() for p in grown.problems] == [p.to_dict() for p in whole.problems]
    pd.testing.assert_frame_equal(incident_frame(grown.table), incident_frame(whole.table))
    assert whole.n_accepted > 4


@pytest.mark.parametrize("width", columnar._ISO_WIDTHS)
def test_iso_forms_on_the_bytes_match_the_regular_expressions(width: int) -> None:
    """Columns of values all of one width are checked byte by byte, as the expressions."""
    rng = random.Random(width)
    alphabet = "0123456789-: TZtz+."
    values = []
    for _ in range(4000):
        text = (
            f"{rng.randint(0, 9999):04d}-{rng.randint(0, 19):02d}-{rng.randint(0, 39):02d}"
            f"{rng.choice('T ')}{rng.randint(0, 29):02d}:{rng.randint(0, 69):02d}:"
            f"{rng.randint(0, 69):02d}Z"
        )[:width]
        chars = list(text)
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(width)] = rng.choice(alphabet)
        values.append("".join(chars))
    arr = pa.array(values, pa.string())
    for part in (arr, arr.slice(3)):
        for pattern in (columnar._ISO_NAIVE, columnar._ISO_AWARE):
            want = pc.match_substring_regex(part, pattern).to_numpy(zero_copy_only=False)
            assert (columnar._iso_form(part, pattern) == want).all()
    assert columnar._iso_form(arr, columnar._ISO_NAIVE).any() == (width != 20)
