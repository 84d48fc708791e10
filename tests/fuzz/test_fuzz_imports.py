"""Fuzzing the import readers: no file, however broken, ends in a traceback or a half-changed
workspace.

Every example writes one file and imports it through the command line in-process
(``helpers.run`` lets an exception escape, so a traceback fails the test) into a fresh copy
of a small workspace (two rounds, incidents, a survey). The files are either arbitrary bytes
or structured but hostile: a valid header and rows whose cells are text with separators,
quotes, newlines, NUL and control characters, spreadsheet formulas, very long strings,
``nan``/``inf``/``1e308``/``-0``, impossible dates, WKT fragments, in UTF-8, UTF-16 or
Windows-1252, with and without a byte-order mark, or lines in mixed encodings.

The property: exit status 0, 1 or 2 and no traceback; on 1 or 2 the workspace (file, incident
folder, survey file) is byte-identical to before; on 0 the same import again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from drugscenes.errors import DataError
from drugscenes.io.tabular import parse_csv
from fuzzing import PROFILE, X0, Y0, fresh, snapshot, square
from helpers import run

FUZZ = settings.get_profile(PROFILE)
_TO_WGS84 = Transformer.from_crs(3006, 4326, always_xy=True)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(x, y)
    return round(lon, 7), round(lat, 7)


# -- hostile values -------------------------------------------------------------------------
LONG = "å" * 70_000 + ";" + "x" * 70_000
"""A cell far longer than any real one (140 000 characters, with a separator inside)."""

HOSTILE_TEXTS = [
    "", " ", ";", ",", '"', '""', '"a;b"', "\n", "\r\n", "\r", "\x00", "a\x00b", "\x1b[31m",
    "\x9b2J", "\t", "\x7f", "\ufeff", "\u202e", "\ud7ff", "\U0001f4a9",
    "=1+1", '=HYPERLINK("http://evil.example","x")', "+cmd", "-2+3", "@SUM(A1)",
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e308", "-1e308", "1e309",
    "-0", "0", "-0.0", "1,5", "1.5", "1 000,5", "0x1F", "1_000", "٣", "１２", "²",
    "9999-99-99", "0000-00-00", "2023-02-30", "2023-13-01", "2023-06-01", "9999-12-31 23:59",
    "1677-09-21 00:12", "2262-04-12", "2023-03-26 02:30", "2023-10-29 02:30",
    "2023-06-01T12:00:00+99:99", "2023-06-01 8:13:44 +02:00", "2023-06-01T12:00Z",
    "POLYGON((", "POLYGON EMPTY", "POINT(0 0)", "POINT EMPTY", "GEOMETRYCOLLECTION EMPTY",
    "LINESTRING(0 0, 1 1)", "POLYGON((0 0, 1 1, 0 0))", "POLYGON((nan nan, 1 1, 2 2, nan nan))",
    "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((", "CURVEPOLYGON(CIRCULARSTRING(0 0, 1 1, 2 0, 1 -1, 0 0))",
    "SRID=4326;POINT(18 59)", "POLYGON Z((0 0 0, 1 0 0, 1 1 0, 0 0 0))",
    square(X0 + 3000, Y0 + 3000), square(X0 - 5000, Y0, 50), square(X0 + 9950, Y0 + 500),
    "mycket otrygg", "ganska trygg", "vet ej", "Misshandel", "Skottlossning", "Rån väpnat",
    "Sammanfattning natt", "Stockholms län", "0180", "180", "0183", "9999", "Stockholm",
    "å ä ö Å Ä Ö", "Ã¥", "\udcff", LONG,
]  # fmt: skip
"""Texts a cell can hold; ``\\udcff`` is a byte of a file that is not UTF-8 as Python
reads it in (surrogate escape) and becomes ``?`` when a file is written."""

_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: repr(v).replace(".", ",")),
    st.integers().map(str),
    st.floats(min_value=-1e7, max_value=1e7).map(str),
)
_any_text = st.text(
    st.characters(codec=None, exclude_categories=["Cs"]) | st.sampled_from(";,\"\n\r\x00\t'="),
    max_size=40,
)


def _wkt_text(kind: str, points: list[tuple[str, str]], close: bool) -> str:
    ring = [*points, points[0]] if close and points else points
    return f"{kind}(({', '.join(f'{a} {b}' for a, b in ring)}))"


_wkt = st.builds(
    _wkt_text,
    st.sampled_from(
        ["POLYGON", "MULTIPOLYGON(", "LINESTRING", "POLYGON Z", "polygon", "POLYGON M"]
    ),
    st.lists(st.tuples(_numbers, _numbers), max_size=6),
    st.booleans(),
)
cell = st.one_of(st.sampled_from(HOSTILE_TEXTS), _any_text, _numbers, _wkt)
"""A hostile cell value."""


# -- files ----------------------------------------------------------------------------------
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "mixed"]
"""How a text file is written: ``mixed`` is UTF-8 with some lines in Windows-1252."""


def encode(text: str, encoding: str, mixed: list[bool]) -> bytes:
    """``text`` as bytes in ``encoding``: what cannot be written in it becomes ``?``."""
    if encoding == "mixed":
        lines = text.splitlines(keepends=True)
        flags = mixed or [False]
        return b"".join(
            line.encode("cp1252" if flags[i % len(flags)] else "utf-8", errors="replace")
            for i, line in enumerate(lines)
        )
    return text.encode(encoding, errors="replace")


@st.composite
def table(draw: st.DrawFn, header: list[str], valid_rows: list[list[str]]) -> bytes:
    """A CSV: the header, then valid rows with some cells made hostile, some rows with
    another number of fields; quoted as the csv module does or joined raw; any encoding."""
    p_hostile = draw(st.sampled_from([0.0, 0.1, 0.3, 1.0]))
    rows = []
    picks = st.integers(0, len(valid_rows) - 1)
    unique = draw(st.booleans())  # repeated rows are repeated scene ids or incident ids
    for k in draw(st.lists(picks, max_size=12 if not unique else len(valid_rows), unique=unique)):
        row = valid_rows[k]
        row = [draw(cell) if draw(st.floats(0, 1)) < p_hostile else v for v in row]
        shape = draw(st.sampled_from(["same"] * 8 + ["more", "fewer"]))
        if shape == "more":
            row = [*row, draw(cell)]
        elif shape == "fewer" and row:
            row = row[:-1]
        rows.append(row)
    header = [draw(cell) if draw(st.integers(0, 19)) == 0 else h for h in header]
    sep = draw(st.sampled_from([";", ",", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if draw(st.booleans()):
        buf = io.StringIO()
        csv.writer(buf, delimiter=sep, lineterminator=newline).writerows([header, *rows])
        text = buf.getvalue()
    else:
        text = "".join(sep.join(r) + newline for r in [header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    return encode(text, encoding, draw(st.lists(st.booleans(), max_size=8)))


SCENE_HEADER = ["id", "namn", "kommunkod", "aktiviteter", "wkt"]
SCENE_ROWS = [
    [f"n{i}", f"Plats {i}", code, "försäljning", square(X0 + dx, Y0 + 2500)]
    for i, (code, dx) in enumerate([("0180", 1500), ("0180", 6000), ("0183", 14_000)])
]
INCIDENT_HEADER = ["id", "tid", "typ", "x", "y"]
INCIDENT_ROWS = [
    [f"f{i}", f"2023-0{1 + i % 9}-1{i % 9} 12:00", typ, f"{X0 + 1050 + 9 * i}", f"{Y0 + 1050}"]
    for i, typ in enumerate(["Misshandel", "Skottlossning", "Rån", "Narkotikabrott"])
]
SURVEY_HEADER = ["respondent_id", "x", "y", "weight", "answer", "stratum", "psu"]
SURVEY_ROWS = [
    [f"q{i}", f"{X0 + 1000 + 50 * i}", f"{Y0 + 2000}", "1,5", answer, "a", f"{i % 4}"]
    for i, answer in enumerate(["mycket otrygg", "ganska trygg", "vet ej", "1", "0"])
]


def _geometry(draw: st.DrawFn, hostile: bool = True) -> Any:
    x = X0 + draw(st.integers(1000, 18_000))
    ring = [_lonlat(x + dx, Y0 + 2000 + dy) for dx, dy in [(0, 0), (90, 0), (90, 90), (0, 90)]]
    valid = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    if not hostile:
        return valid
    return draw(
        st.one_of(
            st.just(valid),
            st.just({"type": "MultiPolygon", "coordinates": [valid["coordinates"]]}),
            st.builds(
                lambda kind, coords: {"type": kind, "coordinates": coords},
                st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Circle", ""]),
                json_values,
            ),
            json_values,
        )
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | cell,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(cell, inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value (NaN and Infinity included, as Python writes them), hostile texts as strings."""


@st.composite
def scene_geojson(draw: st.DrawFn) -> bytes:
    """A GeoJSON FeatureCollection of scenes with hostile properties and geometries,
    sometimes cut short or with bytes spliced in."""
    features = []
    hostile = draw(st.booleans())  # else every feature is valid but for its properties
    for i in range(draw(st.integers(0, 5))):
        props = {"scene_id": f"g{i}", "name": f"Plats {i}"}
        keys = ["scene_id", "name", "kommunkod", "note"] if hostile else ["name", "note"]
        for key in draw(st.lists(st.sampled_from(keys))):
            props[key] = draw(json_values) if hostile else draw(cell)
        props.update(draw(st.dictionaries(cell, json_values, max_size=2)) if hostile else {})
        feature: dict[str, Any] = {"type": "Feature", "properties": props}
        feature["geometry"] = _geometry(draw, hostile)
        features.append(feature if draw(st.integers(0, 9)) or not hostile else draw(json_values))
    doc: Any = {"type": "FeatureCollection", "features": features}
    if draw(st.integers(0, 9)) == 0:
        doc = draw(json_values)
    return _mangled(draw, json.dumps(doc, ensure_ascii=draw(st.booleans())))


def _mangled(draw: st.DrawFn, text: str) -> bytes:
    data = encode(text, draw(st.sampled_from(ENCODINGS)), draw(st.lists(st.booleans())))
    how = draw(st.sampled_from(["none"] * 6 + ["cut", "splice"]))
    at = draw(st.integers(0, len(data)))
    if how == "cut":
        return data[:at]
    if how == "splice":
        return data[:at] + draw(st.binary(max_size=20)) + data[at:]
    return data


@st.composite
def police_json(draw: st.DrawFn) -> bytes:
    """The Police events API's JSON with hostile values (any JSON in any field)."""
    lon, lat = _lonlat(X0 + 5000, Y0 + 5000)
    events: list[Any] = []
    p_hostile = draw(st.sampled_from([0.0, 0.3, 1.0]))
    for i in range(draw(st.integers(0, 6))):
        event: dict[str, Any] = {
            "id": 1000 + i,
            "datetime": f"2023-05-{1 + i:02d} 8:13:44 +02:00",
            "name": "x",
            "summary": "y",
            "url": "/aktuellt/",
            "type": "Misshandel",
            "location": {"name": "Stockholm", "gps": f"{lat},{lon}"},
        }
        keys = [*event, "location.name", "location.gps"]
        for key in (
            draw(st.lists(st.sampled_from(keys))) if draw(st.floats(0, 1)) < p_hostile else []
        ):
            if key.startswith("location.") and isinstance(event.get("location"), dict):
                event["location"][key.split(".")[1]] = draw(json_values)
            elif not key.startswith("location."):
                event[key] = draw(json_values)
        for key in draw(st.lists(st.sampled_from(list(event)), max_size=2)) if p_hostile else []:
            event.pop(key, None)
        events.append(event if draw(st.integers(0, 9)) else draw(json_values))
    doc: Any = {"events": events} if draw(st.booleans()) else events
    if draw(st.integers(0, 9)) == 0:
        doc = draw(json_values)
    return _mangled(draw, json.dumps(doc, ensure_ascii=draw(st.booleans())))


KINDS = {
    # kind: (file suffix, header given before arbitrary bytes, structured files)
    "scenes-csv": (".csv", "id;namn;wkt\n", table(SCENE_HEADER, SCENE_ROWS)),
    "scenes-geojson": (".geojson", '{"type": "FeatureCollection", "features": [', scene_geojson()),
    "incidents-csv": (".csv", "id;tid;typ;x;y\n", table(INCIDENT_HEADER, INCIDENT_ROWS)),
    "incidents-json": (".json", '[{"id": 1, "location": {"gps": "', police_json()),
    "survey-csv": (".csv", "respondent_id;x;y;weight;answer\n", table(SURVEY_HEADER, SURVEY_ROWS)),
}


def import_args(kind: str, ws: Path, path: Path, variant: int) -> list[object]:
    """The import command of a kind of file; ``variant`` picks a new or an existing round
    or year, with or without ``--replace``."""
    what = kind.split("-")[0]
    if what == "scenes":
        label = ["2025", "2023", "2023"][variant % 3]
        args: list[object] = ["import", "scenes", ws, path, "--round", label]
        args += ["--crs", "3006"] if kind == "scenes-csv" else []
        return args + (["--replace"] if variant % 3 == 2 else [])
    if what == "incidents":
        return [
            "import",
            "incidents",
            ws,
            path,
            *(["--crs", "3006"] if path.suffix == ".csv" else []),
        ]
    year = ["2025", "2023", "2023"][variant % 3]
    args = ["import", "survey", ws, path, "--year", year, "--crs", "3006"]
    return args + (["--replace"] if variant % 3 == 2 else [])


def logical(snap: dict[str, str]) -> dict[str, str]:
    """A snapshot with the incident store's version folder named alike: a re-import of the
    same incidents writes the same files into a new version."""
    out = {}
    for key, value in snap.items():
        parts = key.split("/")
        if len(parts) > 1 and parts[0].endswith(".incidents"):
            if parts[1] == "CURRENT":
                continue
            parts[1] = "v-*" if parts[1].startswith("v-") else parts[1]
        out["/".join(parts)] = value
    return out


def check_import(base: Path, kind: str, data: bytes, variant: int) -> int:
    """Import ``data`` as a file of ``kind`` into a fresh copy of the workspace, check the
    property (see the module docstring) and return the exit status."""
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as tmp:
        ws = fresh(base, Path(tmp) / "w")
        path = Path(tmp) / f"input{KINDS[kind][0]}"
        path.write_bytes(data)
        args = import_args(kind, ws, path, variant)
        before = snapshot(ws)
        code, out, err = run(*args)
        assert code in (0, 1, 2), err
        assert "Traceback" not in err and "Traceback" not in out
        after = snapshot(ws)
        if code != 0:
            assert after == before, err
            return code
        again, _, err2 = run(*args)
        assert again == 0, err2
        assert "Traceback" not in err2
        assert logical(snapshot(ws)) == logical(after), err2
    return code


@pytest.mark.parametrize("kind", list(KINDS))
@settings(FUZZ)
@given(data=st.binary(max_size=4096), with_header=st.booleans(), variant=st.integers(0, 2))
@example(data=b"", with_header=True, variant=0)  # a header and no rows (see below)
@example(data=b'"', with_header=False, variant=0)  # no header record (see below)
def test_arbitrary_bytes(fuzz_base: Path, kind: str, data: bytes, with_header: bool, variant: int):
    """Arbitrary bytes, alone or after a header the reader recognises."""
    prefix = KINDS[kind][1].encode() if with_header else b""
    event(f"exit {check_import(fuzz_base, kind, prefix + data, variant)}")


@pytest.mark.parametrize("kind", list(KINDS))
@settings(FUZZ)
@given(data=st.data(), variant=st.integers(0, 2))
def test_hostile_content(fuzz_base: Path, kind: str, data: st.DataObject, variant: int):
    """Files of the right shape with hostile values, in any of the encodings."""
    code = check_import(fuzz_base, kind, data.draw(KINDS[kind][2], label="file"), variant)
    event(f"exit {code}")


_CSV_CELLS = ["", " ", "a", "1,5", '"', '""', '"x;y"', "\r", "\x00", "\t", ";", ","]


def _joined(rows: list[list[str]], sep: str) -> bytes:
    return "\n".join(sep.join(row) for row in rows).encode()


@settings(FUZZ)
@given(
    data=st.binary(max_size=2048)
    | st.builds(
        _joined,
        st.lists(st.lists(st.sampled_from(_CSV_CELLS), max_size=5), max_size=6),
        st.sampled_from([";", ",", "\t"]),
    )
)
@example(data=b"\ta\tb\n\t\t\n")  # rows of separators only (see below)
def test_csv_reader_any_text(data: bytes) -> None:
    """The CSV reader every import uses: a table with one row (and one "bad" flag) per
    record, or a DataError; never another exception."""
    try:
        table = parse_csv(data, "x.csv")
    except DataError:
        return
    assert len(table.frame) == len(table.bad)
    assert all(p.row is None or 1 <= p.row <= len(table.bad) for p in table.problems)


# -- what the fuzzing found -------------------------------------------------------------------
POLICE_EVENT = '{"id": %d, "datetime": "2023-05-01 8:13:44 +02:00", "type": "Misshandel", '
REGRESSIONS = {
    # registry/prepare.py: a file without features made the "id given" mask a float array
    # (TypeError: ufunc 'invert'), instead of "no scenes in the file".
    "scenes-csv-header-only": ("scenes-csv", b"id;namn;wkt\n", "no scenes in the file"),
    "scenes-geojson-no-features": (
        "scenes-geojson",
        b'{"type": "FeatureCollection", "features": []}',
        "no scenes in the file",
    ),
    # io/incidents.py: a Police event whose location is a list or a text, not an object
    # (AttributeError: 'list' object has no attribute 'get'), instead of a rejected row.
    "police-location-not-an-object": (
        "incidents-json",
        (
            f'[{POLICE_EVENT % 1}"location": [null]}}, {POLICE_EVENT % 2}"location": "Solna"}}]'
        ).encode(),
        "row 2, field 'lat/lon': rejected: no or unparseable coordinates",
    ),
    # io/incidents.py: a time with a negative year (a number -782 in the JSON, -0001-01-01
    # in a CSV) passed the year check and pandas raised OutOfBoundsDatetime, instead of a
    # rejected row.
    "police-time-negative-year": (
        "incidents-json",
        f'[{POLICE_EVENT % 1}"location": {{"gps": "59.3,18.1"}}, "datetime": -782}}]'.encode(),
        "row 1, field 'time': rejected: unparseable time",
    ),
    "csv-time-negative-year": (
        "incidents-csv",
        f"id;tid;typ;x;y\nt1;-0001-01-01;Rån;{X0 + 50};{Y0 + 50}\n".encode(),
        "row 1, field 'time': rejected: unparseable time",
    ),
    # io/tabular.py: a file of one '"' (a blank record only) left no header record
    # (IndexError), instead of "no header row".
    "csv-lone-quote": ("survey-csv", b'"', "the file is empty or has no header row"),
    # io/tabular.py: lines of separators only (tabs, with a tab as separator) were blank
    # lines to the record count but rows to pandas (IndexError); now rows of empty fields.
    "csv-rows-of-tabs": (
        "scenes-csv",
        b"\tnamn\tkommunkod\taktiviteter\twkt\n\t\t\t\t\n\t\t\t\t\n",
        "row 2, field 'wkt': no geometry (empty or missing)",
    ),
}


@pytest.mark.parametrize("case", list(REGRESSIONS))
def test_found_by_fuzzing(fuzz_base: Path, case: str) -> None:
    """Files on which an import ended in a traceback: now one clear message, exit 1."""
    kind, data, message = REGRESSIONS[case]
    check_import(fuzz_base, kind, data, 0)
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as tmp:
        ws = fresh(fuzz_base, Path(tmp) / "w")
        path = Path(tmp) / f"input{KINDS[kind][0]}"
        path.write_bytes(data)
        code, _, err = run(*import_args(kind, ws, path, 0))
    assert code == 1 and message in err, err
