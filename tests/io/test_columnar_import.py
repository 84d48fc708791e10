"""The columnar incident readers against the row-wise ones they replace for plain files.

Every case reads one small file both ways, the batch readers of
:mod:`drugscenes.io.incidents` (Arrow CSV and Parquet, NumPy checks) and the row-wise
reader (pandas, geopandas; what every file went through before), and requires the same
accepted rows, the same rejected-row report and the same number of rows read. Files the
batch readers cannot read exactly as the row-wise reader does must be refused by them
(:class:`~drugscenes.io.columnar.NotPlain`), so that the import falls back.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from drugscenes.io import incidents as inc
from drugscenes.io.columnar import NotPlain, numbers, repeated, stripped, text_hashes
from drugscenes.store.base import incident_frame
from helpers import square_region

REGION = square_region()
MAPPING = inc.load_categories()


def _both(path: Path, fmt: str, crs: str | None = None, columns: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    given = columns or {}
    if fmt == "csv":
        fast = inc._csv_columnar(path, given, crs, REGION, MAPPING)
    else:
        fast = inc._parquet_columnar(path, given, crs, REGION, MAPPING)
    slow = inc._read_whole(path, fmt, given, crs, REGION, MAPPING)
    return fast, slow


def _same(fast, slow) -> None:  # type: ignore[no-untyped-def]
    assert fast.n_read == slow.n_read
    assert fast.is_police == slow.is_police
    assert [p.to_dict() for p in fast.problems] == [p.to_dict() for p in slow.problems]
    assert [p.to_dict() for p in fast.reader_problems] == [
        p.to_dict() for p in slow.reader_problems
    ]
    pd.testing.assert_frame_equal(incident_frame(fast.table), incident_frame(slow.table))


def test_times_agree_with_parse_times() -> None:
    """Every plainly written form, valid or not (days, hours, seconds, fractions,
    offsets, daylight-saving gaps and overlaps, years at and beyond the bounds)."""
    days = ["2023-01-05", "2024-02-29", "2023-02-29", "2023-03-26", "2023-10-29"]
    days += ["1900-01-01", "2199-12-31", "1899-12-31", "2200-01-01"]
    values = list(days)
    for d, sep, hm in itertools.product(days, "T ", ["00:00", "02:30", "23:59", "24:00", "9:00"]):
        values.append(f"{d}{sep}{hm}")
        for sec, frac in itertools.product([":00", ":59", ":60"], ["", ".123456", ".123"]):
            for suffix in ["", "Z", "+01:00", "-0130", "+0100", "+24:00", " +02:00"]:
                values.append(f"{d}{sep}{hm}{sec}{frac}{suffix}")
    values += ["", " 2023-01-05T10:00:00Z", "2023-1-5", "20230105", "nan", "\u00a02023-01-05"]
    values += ["2026-08-22 8:13:44 +02:00", "2026-08-22 8:13:44 +0200", "-782"]
    ns, why = inc._times(pa.array(values, pa.string()), len(values))
    t_old, why_old = inc.parse_times(pd.Series(values, dtype=object))
    code = {r: k for k, r in enumerate(inc._TIME_REASONS) if r}
    assert why.tolist() == why_old.map(code).fillna(0).astype(int).tolist()
    ok = why == 0
    old_ns = t_old.dt.tz_localize(None).astype("datetime64[ns]").to_numpy().view(np.int64)
    assert (ns[ok] == old_ns[ok]).all()


def test_numbers_and_strip_agree_with_pandas() -> None:
    rng = np.random.default_rng(3)
    v = rng.uniform(-1e6, 7e6, 2000)
    texts = [repr(float(x)) for x in v] + [f"{x:.7f}" for x in v]
    texts += ["", " 12", "1e5", "inf", "-inf", "nan", "1_000", "abc", "0x10", "+5", "-0", ".5"]
    got = numbers(pa.array([*texts, None], pa.string()), len(texts) + 1)
    want = pd.to_numeric(pd.Series([*texts, None], dtype=object), errors="coerce")
    np.testing.assert_array_equal(got, want.to_numpy(dtype=float, na_value=np.nan))
    ids = ["a", " a ", "\u00a0b", "c\x1c", "", None, "\tå ", "x y"]
    want_ids = ["" if s is None else s.strip() for s in ids]
    assert stripped(pa.array(ids, pa.string())).to_pylist() == want_ids


CSV_CASES = {
    "field counts, blank and whitespace lines": (
        "id,time,type,x,y\n"
        "1,2023-01-05 10:00,Misshandel,665000,6575000\n"
        "\n"
        "2,2023-01-05 10:00,Misshandel,665000\n"
        "   \n"
        "3,2023-01-05 10:00,Misshandel,665000,6575000,9\n"
        "4,2023-03-26 02:30,Rån,665000,6575000\n"
        "4,2023-01-06,Rån,665000,6575000\n"
        ",2023-01-06,Okänd typ,1,2\n"
        "5,,Sammanfattning natt,abc,6575000\n"
    ),
    "quoted values, CRLF": (
        'id,time,type,x,y\r\n"1","2023-01-05T10:00:00Z","Misshandel, grov",665000,6575000\r\n'
        '2,2023-01-05T10:00:00+01:00,"Rån ""väpnat""",665000,6575000\r\n'
        '" 3 ",2300-01-01,Misshandel,665000.5,6575000.25\r\n'
    ),
    "Swedish Excel, categories": (
        "Händelse_id;Tidpunkt;Brottstyp;Kategori;lat;lon\n"
        "a;2023-07-01 12:00;Misshandel;shooting;59,33;18,06\n"
        "b;2023-07-01 12:00;Okänd;violence;59,33;18,06\n"
        "c;2023-07-01 12:00;Information;violence;59,33;\n"
        "d;2023-07-01 12:00; narkotikabrott ;;59,33;18,06\n"
    ),
    "Police archive": (
        "id,datetime,type,location_name,lat,lon,summary,url\n"
        "1,2023-05-01 8:13:44 +02:00,Skottlossning,Stockholm,59.33,18.06,x,/a\n"
        "2,2023-05-01 18:13:44 +02:00,Misshandel,Stockholms län,59.33,18.06,x,/b\n"
        "3,2023-05-01 18:13:44 +02:00,Misshandel,Solna,,18.06,x,/c\n"
    ),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_csv_batches_give_what_the_row_wise_reader_gives(tmp_path: Path, case: str) -> None:
    f = tmp_path / "incidents.csv"
    f.write_bytes(CSV_CASES[case].encode("utf-8"))
    crs = "3006" if ",x,y" in CSV_CASES[case].split("\n", 1)[0] else None
    fast, slow = _both(f, "csv", crs)
    _same(fast, slow)
    assert fast.n_read > 0


@pytest.mark.parametrize(
    "text",
    [
        'id,time,type,x,y\n1,2023-01-05,Rån "x",665000,6575000\n',  # a quote inside a field
        'id,time,type,x,y\n1,2023-01-05,"Rån\nx",665000,6575000\n',  # a value over two lines
        "\ufeffid,time,type,x,y\n1,2023-01-05,Rån,665000,6575000\n",  # byte-order mark
        "id,time,id,x,y\n1,2023-01-05,Rån,665000,6575000\n",  # a repeated column
        "id,time,type,x,y\r1,2023-01-05,Rån,665000,6575000\r",  # old Mac line ends
    ],
)
def test_csv_the_batch_reader_leaves_to_the_row_wise_one(tmp_path: Path, text: str) -> None:
    f = tmp_path / "incidents.csv"
    f.write_bytes(text.encode("utf-8"))
    with pytest.raises(NotPlain):
        inc._csv_columnar(f, {}, "3006", REGION, MAPPING)


def test_csv_in_windows_1252_falls_back_with_the_same_result(tmp_path: Path) -> None:
    f = tmp_path / "incidents.csv"
    f.write_bytes("id;time;type;x;y\n1;2023-01-05;Rån;665000;6575000\n".encode("cp1252"))
    with pytest.raises(NotPlain):
        inc._csv_columnar(f, {}, "3006", REGION, MAPPING)
    res = inc.read_incidents(f, REGION, crs="3006")
    assert res.n_accepted == 1 and res.incidents["source_type"].tolist() == ["Rån"]


def test_parquet_batches_give_what_geopandas_gives(tmp_path: Path) -> None:
    n = 40
    geoms = list(shapely.points(np.full(n, 665_000.0) + np.arange(n), np.full(n, 6_575_000.0)))
    geoms[3] = None
    geoms[4] = shapely.from_wkt("POINT EMPTY")
    geoms[5] = shapely.from_wkt("POINT Z (665000 6575000 3)")
    geoms[6] = shapely.from_wkt("LINESTRING (665000 6575000, 665001 6575001)")
    geoms[7] = shapely.points(1.0, 2.0)
    times = pd.Series(pd.date_range("2023-03-26 00:00", periods=n, freq="15min"))
    frame = gpd.GeoDataFrame(
        {
            "ID": np.arange(n) % 37,
            "tidpunkt": times,  # naive: Swedish local time, one gap at 02:00-03:00
            "brottstyp": ["Misshandel", "Rån", "Okänd", None] * (n // 4),
        },
        geometry=gpd.GeoSeries(geoms),
        crs=3006,
    )
    f = tmp_path / "incidents.parquet"
    frame.to_parquet(f, index=False)
    fast, slow = _both(f, "parquet")
    _same(fast, slow)
    aware = frame.assign(tidpunkt=times.dt.tz_localize("UTC"))
    aware.to_parquet(f, index=False)
    _same(*_both(f, "parquet"))
    frame.to_crs(4326).assign(tidpunkt=times.astype(str)).to_parquet(f, index=False)
    _same(*_both(f, "parquet"))


def test_parquet_without_geo_metadata_falls_back(tmp_path: Path) -> None:
    f = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["1"], "time": ["2023-01-05"], "type": ["Rån"]}), f)
    with pytest.raises(NotPlain):
        inc._parquet_columnar(f, {}, None, REGION, MAPPING)


def test_repeated_ids_by_hash_and_text() -> None:
    ids = ["a", "b", "a", "c", "b", "å", "å", "ab", "ba", "x" * 300]
    got = repeated(text_hashes(pa.array(ids)), lambda rows: [ids[r] for r in rows])
    assert got.tolist() == pd.Series(ids).duplicated().tolist()
    # a hash shared by different texts (a collision) makes no repeat
    same = np.zeros(len(ids), dtype=np.uint64)
    got = repeated(same, lambda rows: [ids[r] for r in rows])
    assert got.tolist() == pd.Series(ids).duplicated().tolist()


@pytest.mark.parametrize("longest", [1, 8, 9, 16, 17, 64, 65])
def test_text_hashes_equal_for_equal_texts_only(longest: int) -> None:
    # word-wise hashing up to 64 bytes, byte-wise beyond: equal texts hash alike wherever
    # they sit (sliced arrays, other batches); the few unequal ones here all differ
    rng = np.random.default_rng(longest)
    alphabet = list("ab\x00 åé1")
    ids = ["".join(rng.choice(alphabet, size=rng.integers(0, 4))) for _ in range(300)]
    ids += ["a", "a\x00", "", "x" * longest, "x" * (longest - 1) + "y"]
    arr = pa.array(ids)
    h = text_hashes(arr)
    by_text: dict[str, set[int]] = {}
    for t, v in zip(ids, h.tolist(), strict=True):
        by_text.setdefault(t, set()).add(v)
    assert all(len(v) == 1 for v in by_text.values())
    assert len({next(iter(v)) for v in by_text.values()}) == len(by_text)
    assert (text_hashes(arr.slice(7)) == h[7:]).all()
    got = repeated(h, lambda rows: [ids[r] for r in rows])
    assert got.tolist() == pd.Series(ids).duplicated().tolist()


def test_stripped_checks_both_ends() -> None:
    ids = ["a", " a", "a ", "\ta\n", "", None, "å", "aå", "åa", "a\u00a0", "\u2003x", "a b"]
    got = stripped(pa.array(ids, pa.string())).to_pylist()
    assert got == ["" if v is None else v.strip() for v in ids]
    assert stripped(pa.array(ids, pa.string()).slice(3)).to_pylist() == got[3:]


def test_iso_times_arrow_and_numpy_agree() -> None:
    # Arrow's parser takes the common forms, NumPy the rest: both give the same values
    from drugscenes.io.columnar import _arrow_iso_times, _numpy_iso_times, iso_times

    values = [
        "2023-01-06T07:56:31Z",
        "2023-01-06 07:56:31+01:00",
        "2023-01-06T07:56:31.123456-0130",
        "2023-01-06",
        "2023-01-06 07:56",
        "2023-01-06T07:56:31.123456",
        "2024-02-29T23:59:59Z",
        "2023-02-29T10:00:00Z",  # no such day: NumPy rejects the row, the others stay
        "2023-04-31",
        "1900-01-01T00:30:00+01:00",  # UTC is in 1899: its own year decides
        "2199-12-31T23:30:00-01:00",
        "1899-12-31",
        "2200-01-01",
        "2023-01-06T24:00:00Z",
        "2023-01-06T07:56Z",  # an offset only after seconds
        "2023-01-06T07:56:31.12Z",
        "2023-1-6",
        "",
        None,
    ]
    arr = pa.array(values, pa.string())
    want = _numpy_iso_times(arr, 1900, 2199)
    got = iso_times(arr, 1900, 2199)
    for w, g in zip(want, got, strict=True):
        assert g.tolist() == w.tolist()
    possible = pa.array([v for v in values if v not in ("2023-02-29T10:00:00Z", "2023-04-31")])
    want = _numpy_iso_times(possible, 1900, 2199)
    ns, taken, aware = _arrow_iso_times(possible, 1900, 2199)
    assert taken[:7].all() and taken.sum() == 7  # the common forms went the fast way
    assert (ns[taken] == want[0][taken]).all() and want[1][taken].all()
    assert (aware[taken] == want[2][taken]).all()
    # one impossible day among valid rows of its form: the form goes to NumPy, same result
    arr = pa.array(["2023-02-28T10:00:00Z", "2023-02-30T10:00:00Z"] * 3)
    for w, g in zip(_numpy_iso_times(arr, 1900, 2199), iso_times(arr, 1900, 2199), strict=True):
        assert g.tolist() == w.tolist()


def test_text_hashes_do_not_depend_on_the_batch() -> None:
    # batches are hashed apart and compared together: a value's hash is its own, whatever
    # the lengths of the other values in its array
    ids = ["nr-A", "g1", "", "x" * 8, "x" * 9, "wdq-2020-R-0", "y" * 70, "å" * 40]
    alone = [int(text_hashes(pa.array([v]))[0]) for v in ids]
    together = text_hashes(pa.array(ids)).tolist()
    short = text_hashes(pa.array(["nr-A", "g1", ""])).tolist()
    assert together == alone and short == alone[:3]
    assert len(set(alone)) == len(ids)


def test_an_id_repeated_in_another_batch_is_rejected(tmp_path: Path) -> None:
    # two row groups (two batches) whose widest ids differ: "a" of the second repeats
    # the first's, and is rejected as the row-wise reader rejects it
    from drugscenes.io.wkb import points_wkb

    f = tmp_path / "two_groups.parquet"
    ids = ["a", "long-id-" + "x" * 40, "b", "a", "c"]
    n = len(ids)
    gpd.GeoDataFrame({"id": ids[:1]}, geometry=[shapely.Point(0, 0)], crs=3006).to_parquet(f)
    geo = {b"geo": pq.read_schema(f).metadata[b"geo"]}
    table = pa.table(
        {
            "id": ids,
            "time": ["2023-01-05T10:00:00Z"] * n,
            "type": ["Rån"] * n,
            "geometry": points_wkb(np.full(n, 665_000.0), np.full(n, 6_575_000.0)),
        }
    ).replace_schema_metadata(geo)
    pq.write_table(table, f, row_group_size=3)
    assert pq.ParquetFile(f).metadata.num_row_groups == 2
    fast, slow = _both(f, "parquet")
    _same(fast, slow)
    assert [(p.code, p.row) for p in fast.problems] == [("id-duplicate", 4)]
