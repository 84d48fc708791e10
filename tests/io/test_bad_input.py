"""The readers' rules for bad input, below the command line: encodings decided row by row,
rows with another number of fields, times pandas cannot hold, curved and non-finite WKT,
damaged geometry blobs. The commands' behaviour is in tests/cli/test_no_tracebacks_import.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from drugscenes.errors import DataError
from drugscenes.io.incidents import parse_times
from drugscenes.io.tabular import decode_file_bytes, parse_csv
from drugscenes.io.vector import parse_wkt
from drugscenes.store import gpkg_blob


@pytest.mark.parametrize(
    ("raw", "encoding", "legacy"),
    [
        ("a;b\nÅ;ö\n".encode(), "utf-8", []),
        ("a;b\nÅ;ö\n".encode("cp1252"), "cp1252", []),  # Excel on Swedish Windows
        ("a;b\nÅ;ö\n".encode() + "Ä;é\n".encode("cp1252"), "utf-8+cp1252", [3]),
        (b"\xef\xbb\xbfa;b\nx;y\n" + "Ä;é\n".encode("cp1252"), "utf-8+cp1252", [3]),
    ],
    ids=["utf-8", "cp1252", "mixed", "bom-then-cp1252"],
)
def test_each_line_is_read_in_its_own_encoding(raw: bytes, encoding: str, legacy: list) -> None:
    decoded = decode_file_bytes(raw)
    assert (decoded.encoding, decoded.legacy_lines, decoded.bad_lines) == (encoding, legacy, [])
    assert "Ã" not in decoded.text and ("Ä;é" in decoded.text or "Å;ö" in decoded.text)


def test_rows_are_named_through_quoted_line_breaks() -> None:
    raw = (
        b'id;namn;x\n1;"two\nlines";a\n'
        + '2;"Årsta\nfältet";b\n'.encode("cp1252")  # lines 4-5: Windows-1252
        + "3;Söder;c\n".encode()
        + b"4;bad\x81;d\n"  # 0x81 is in neither encoding
    )
    table = parse_csv(raw, "q.csv")
    assert table.frame["namn"].tolist()[:3] == ["two\nlines", "Årsta\nfältet", "Söder"]
    found = {(p.row, p.code, p.severity) for p in table.problems}
    assert found == {(2, "encoding-mixed", "warning"), (4, "encoding", "error")}
    assert table.bad.tolist() == [False, False, False, True]
    with pytest.raises(DataError, match="1 row"):
        table.require_every_row("q.csv")


def test_field_counts_are_checked_with_quotes_and_blank_lines() -> None:
    raw = b'id,wkt,n\n1,"POLYGON((0 0, 1 0, 1 1, 0 0))",a\n\n   \n2,x,y,z\n3,"q",r\n'
    table = parse_csv(raw, "f.csv")
    assert [(p.row, p.message[:30]) for p in table.problems] == [
        (2, "has 4 fields, the header has 3")
    ]
    assert table.frame["id"].tolist()[::2] == ["1", "3"] and len(table.frame) == 3


def test_a_huge_field_is_read() -> None:
    ring = ", ".join(f"{i} {i % 7}" for i in range(30_000))
    raw = f'id;wkt\n1;"POLYGON(({ring}, 0 0))"\n'.encode()
    assert len(raw) > 200_000
    assert len(parse_csv(raw, "big.csv").frame.loc[0, "wkt"]) > 200_000


def test_times_outside_the_years_are_refused_before_parsing() -> None:
    values = pd.Series(["9999-12-31 23:59", "1677-09-21T00:12:43Z", "2023-06-01", "1899-12-31"])
    times, why = parse_times(values)
    assert why.where(why.notna(), None).tolist() == [
        "time outside the years 1900–2199",
        "time outside the years 1900–2199",
        None,
        "time outside the years 1900–2199",
    ]
    assert times.dtype == "datetime64[ns, UTC]" and times.notna().tolist() == [0, 0, 1, 0]


def test_curved_and_not_finite_wkt() -> None:
    text = pd.Series(
        [
            "CURVEPOLYGON(CIRCULARSTRING(0 0, 1 1, 2 0, 1 -1, 0 0))",
            "POLYGON((nan 0, 1 0, 1 1, nan 0))",
            "POLYGON((0 0, 1 0, 1 1, 0 0))",
            "not wkt",
            None,
        ]
    )
    geoms, problems = parse_wkt(text, "s.csv", "wkt")
    assert geoms[0].geom_type == "Polygon" and geoms[0].area == pytest.approx(np.pi, rel=0.01)
    assert geoms[1] is None and geoms[2].area == 0.5 and geoms[3] is None and geoms[4] is None
    assert [(p.row, p.code, p.severity) for p in problems] == [
        (1, "geometry-linearised", "warning"),
        (2, "geometry-not-finite", "error"),
        (4, "geometry-unreadable", "error"),
    ]


def test_damaged_geometry_blobs_are_refused() -> None:
    (blob,) = gpkg_blob.encode(np.array([shapely.box(0, 0, 10, 10)]), 3006)
    assert blob is not None and gpkg_blob.decode([blob])[0].area == 100
    moved = bytearray(blob)
    moved[-8:] = np.float64(1e300).tobytes()  # a coordinate overwritten
    for bad in (bytes(moved), b"junk" * 10, blob[:20], b"GP\x00\x0f" + blob[4:]):
        with pytest.raises(gpkg_blob.BlobError):
            gpkg_blob.decode([bad])
