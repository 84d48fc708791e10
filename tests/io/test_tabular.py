"""The CSV files Excel writes: separators and encodings."""

from __future__ import annotations

import gzip

import pytest

from drugscenes.io.incidents import read_incidents
from drugscenes.io.tabular import decode_bytes, read_csv_table
from helpers import square_region

TEXT = "namn;kommunkod;wkt\nÖstra torget;0180;POINT (1 2)\n"


@pytest.mark.parametrize(
    ("encoded", "what"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (TEXT.encode("cp1252"), "Windows-1252 (Swedish Excel)"),
        (TEXT.encode("utf-16"), "UTF-16 with BOM (Excel 'Unicode text')"),
    ],
)
def test_every_excel_encoding_gives_the_same_text(encoded, what):
    assert decode_bytes(encoded, what) == TEXT


def test_read_csv_table_semicolons_tabs_and_gzip(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(TEXT.replace(";", "\t").encode("utf-16"))
    t = read_csv_table(p)
    assert t.columns.tolist() == ["namn", "kommunkod", "wkt"]
    assert t.loc[0, "namn"] == "Östra torget" and t.loc[0, "kommunkod"] == "0180"


def test_incidents_in_swedish_excel_csv(tmp_path):
    # Windows-1252, ';' between fields and a decimal comma in the coordinates.
    region = square_region()
    x0, y0 = region.total_bounds[:2]
    rows = [
        "id;tid;typ;x;y",
        f"1;2023-05-01 12:00;Rån;{x0 + 1000:.0f},5;{y0 + 1000:.0f},25",
        f"2;2023-05-02 12:00;Misshandel, grov;{x0 + 2000:.0f};{y0 + 2000:.0f}",
    ]
    p = tmp_path / "inc.csv.gz"
    p.write_bytes(gzip.compress("\n".join(rows).encode("cp1252")))
    res = read_incidents(p, region, crs=3006)
    inc = res.incidents.sort_values("incident_id")
    assert inc["source_type"].tolist() == ["Rån", "Misshandel, grov"]
    assert inc["category"].tolist() == ["violence", "violence"]
    assert inc["x"].iloc[0] == pytest.approx(x0 + 1000.5)
    assert inc["y"].iloc[0] == pytest.approx(y0 + 1000.25)
