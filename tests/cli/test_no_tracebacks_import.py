"""Every bad input on the import side ends in one clear line, never a traceback.

Each case runs through the command line in-process (``helpers.run``: an exception
escaping a command fails the test) on a small workspace made here, and checks the exit
status (1 bad data, 2 wrong usage), the message naming the file, row, field or option,
and that nothing was written: the workspace file, its incident folder and its survey
file are byte-identical afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest

from drugscenes.store import open_workspace
from helpers import digest, run, square_region

X0, Y0 = 660_000, 6_570_000
"""South-west corner of the test region (two 10 km municipalities, EPSG:3006)."""
NOBODY = 65534


def _square(x: float, y: float, size: float = 100) -> str:
    return f"POLYGON(({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))"


SCENES = "id;namn;wkt\n" + "".join(
    f"s{i};Plats {i};{_square(X0 + 1000 + 500 * i, Y0 + 1000)}\n" for i in range(1, 4)
)
INCIDENTS = "id;tid;typ;x;y\n" + "".join(
    f"i{i};{year}-0{1 + i % 9}-1{i % 9} 12:00;Misshandel;{X0 + 1050 + 7 * i};{Y0 + 1050}\n"
    for year in (2023, 2024)
    for i in range(10 * (year - 2023), 10 * (year - 2023) + 10)
)
SURVEY = "respondent_id;x;y;weight;answer\n" + "".join(
    f"r{i};{X0 + 1000 + 50 * i};{Y0 + 2000};1,5;{'mycket otrygg' if i % 3 else 'ganska trygg'}\n"
    for i in range(40)
)


def _companions(ws: Path) -> tuple[Path, Path]:
    return ws.with_name(ws.stem + ".incidents"), ws.with_name(ws.stem + ".survey.gpkg")


def snapshot(ws: Path) -> dict[str, str]:
    """Digest of the workspace file, every file of its incident folder and its survey file."""
    incidents, survey = _companions(ws)
    paths = [ws, survey, *sorted(incidents.rglob("*"))]
    return {
        str(p.relative_to(ws.parent)): digest(p) if p.is_file() else "folder"
        for p in paths
        if p.exists()
    }


def one_line(err: str) -> str:
    """The message of a command that failed with one line (and no listing)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with rounds 2023 and 2024, incidents of 2023-2024 and a 2023 survey."""
    folder = tmp_path_factory.mktemp("base")
    square_region().to_file(folder / "region.geojson")
    ws = folder / "ws.gpkg"
    for text, name in ((SCENES, "scenes.csv"), (INCIDENTS, "inc.csv"), (SURVEY, "survey.csv")):
        (folder / name).write_text(text, encoding="utf-8")
    steps = [
        ("init", ws, "-m", folder / "region.geojson"),
        ("import", "scenes", ws, folder / "scenes.csv", "--round", "2023", "--crs", "3006",
         "--date", "2023-06-01"),
        ("import", "scenes", ws, folder / "scenes.csv", "--round", "2024", "--crs", "3006",
         "--date", "2024-06-01"),
        ("import", "incidents", ws, folder / "inc.csv", "--crs", "3006"),
        ("import", "survey", ws, folder / "survey.csv", "--year", "2023"),
    ]  # fmt: skip
    for step in steps:
        code, _, err = run(*step)
        assert code == 0, (step, err)
    return folder


def fresh(base: Path, folder: Path) -> Path:
    """A copy of the base workspace (with its incidents and survey) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = folder / "ws.gpkg"
    shutil.copy2(base / "ws.gpkg", ws)
    incidents, survey = _companions(base / "ws.gpkg")
    shutil.copytree(incidents, _companions(ws)[0])
    shutil.copy2(survey, _companions(ws)[1])
    for name in ("scenes.csv", "inc.csv", "survey.csv"):
        shutil.copy2(base / name, folder / name)
    return ws


@pytest.fixture
def ws(base: Path, tmp_path: Path) -> Path:
    return fresh(base, tmp_path / "w")


# -- 1. NaN and infinite coordinates in WKT ------------------------------------------------
@pytest.mark.parametrize(
    "wkt",
    [
        f"POLYGON((nan {Y0 + 10}, {X0 + 100} {Y0 + 10}, {X0 + 100} {Y0 + 100}, nan {Y0 + 10}))",
        f"POLYGON((inf {Y0 + 10}, {X0 + 100} {Y0 + 10}, {X0 + 100} {Y0 + 100}, inf {Y0 + 10}))",
        f"POLYGON(({X0 + 10} {Y0 + 10}, -Infinity {Y0 + 10}, {X0 + 100} {Y0 + 100}, "
        f"{X0 + 10} {Y0 + 10}))",
    ],
    ids=["nan", "inf", "minus-infinity"],
)
def test_nan_or_infinite_coordinates_are_a_row_error(ws: Path, wkt: str) -> None:
    src = ws.parent / "nan.csv"
    src.write_text(f'id;namn;wkt\na;A;{_square(X0 + 1000, Y0 + 1000)}\nb;B;"{wkt}"\n')
    before = snapshot(ws)
    code, _, err = run("import", "scenes", ws, src, "--round", "r", "--crs", "3006")
    assert code == 1, err
    assert "nan.csv, row 2, field 'wkt': coordinates that are not numbers (NaN) or infinite" in err
    assert err.count("row 2") == 1 and "row 1" not in err  # one line for the row, no echo
    assert snapshot(ws) == before


# -- 2. Curved geometry ---------------------------------------------------------------------
def _circle(x: float, y: float, r: float) -> list[tuple[float, float]]:
    return [(x - r, y), (x, y + r), (x + r, y), (x, y - r), (x - r, y)]


def _curved_wkb(kind: str, points: list[tuple[float, float]]) -> bytes:
    """ISO WKB (little-endian) of a CIRCULARSTRING, CURVEPOLYGON or MULTISURFACE."""
    circular = struct.pack("<BII", 1, 8, len(points)) + b"".join(
        struct.pack("<dd", *p) for p in points
    )
    polygon = struct.pack("<BII", 1, 10, 1) + circular
    return {"line": circular, "polygon": polygon, "multi": struct.pack("<BII", 1, 12, 1) + polygon}[
        kind
    ]


@pytest.mark.parametrize("fmt", ["csv", "gpkg"])
def test_curved_geometry_is_linearised(ws: Path, fmt: str) -> None:
    x, y, r = X0 + 2000, Y0 + 5000, 100.0
    if fmt == "csv":
        ring = ", ".join(f"{a} {b}" for a, b in _circle(x, y, r))
        ring2 = ", ".join(f"{a} {b}" for a, b in _circle(x + 1000, y, r))
        src = ws.parent / "curved.csv"
        src.write_text(
            "id;wkt\n"
            f"c1;CURVEPOLYGON(CIRCULARSTRING({ring}))\n"
            f"c2;MULTISURFACE(CURVEPOLYGON(CIRCULARSTRING({ring2})))\n"
        )
        extra = ["--crs", "3006"]
    else:
        src = ws.parent / "curved.gpkg"
        geoms = np.array(
            [
                _curved_wkb("polygon", _circle(x, y, r)),
                _curved_wkb("multi", _circle(x + 1000, y, r)),
            ],
            dtype=object,
        )
        pyogrio.raw.write(src, geoms, field_data=[np.array(["c1", "c2"], dtype=object)],
                          fields=["id"], geometry_type="Unknown", crs="EPSG:3006",
                          driver="GPKG", layer="scenes")  # fmt: skip
        extra = []
    code, _, err = run("import", "scenes", ws, src, "--round", "curved", *extra)
    assert code == 0, err
    if fmt == "csv":
        assert "row 1, field 'wkt': curved geometry (CURVEPOLYGON) converted" in err
        assert "row 2, field 'wkt': curved geometry (MULTISURFACE) converted" in err
    with open_workspace(ws) as store:
        scenes = store.round_scenes("curved")
    assert scenes["scene_id"].tolist() == ["c1", "c2"]
    assert np.allclose(scenes["area_m2"], np.pi * r**2, rtol=0.01)


def test_curved_line_is_refused_as_a_scene(ws: Path) -> None:
    src = ws.parent / "arc.csv"
    src.write_text(f"id;wkt\nc1;CIRCULARSTRING({X0 + 10} {Y0 + 10}, {X0 + 60} {Y0 + 60}, "
                   f"{X0 + 110} {Y0 + 10})\n")  # fmt: skip
    before = snapshot(ws)
    code, _, err = run("import", "scenes", ws, src, "--round", "arc", "--crs", "3006")
    assert code == 1 and "row 1, field 'wkt': a scene must be a polygon" in err
    assert snapshot(ws) == before


# -- 3. Read-only workspace ---------------------------------------------------------------
@contextlib.contextmanager
def _without_privileges(folder: Path) -> Iterator[None]:
    """Run as a user whose file permissions count.

    root writes read-only files regardless, so as root the folder is handed to the
    unprivileged user 'nobody' and the effective user id is switched to it for the
    command (and back); the permissions set by the test then apply as to anyone.
    """
    if os.geteuid() != 0:
        yield
        return
    for p in [folder, *folder.rglob("*")]:
        os.chown(p, NOBODY, NOBODY, follow_symlinks=False)
    try:
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
    except PermissionError:
        pytest.skip(
            "running as root without the right to switch users: cannot make a file read-only"
        )
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_tmp(base: Path) -> Iterator[Path]:
    """A folder other users can reach (pytest's own temporary folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="ds-readonly-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(folder)


IMPORTS = {
    "scenes": ("import", "scenes", "{ws}", "{dir}/scenes.csv", "--round", "new", "--crs", "3006"),
    "incidents": ("import", "incidents", "{ws}", "{dir}/inc.csv", "--crs", "3006"),
    "survey": ("import", "survey", "{ws}", "{dir}/survey.csv", "--year", "2025"),
}


@pytest.mark.parametrize("what", ["file", "folder"])
@pytest.mark.parametrize("kind", list(IMPORTS))
def test_import_into_a_read_only_workspace(
    base: Path, shared_tmp: Path, kind: str, what: str
) -> None:
    ws = fresh(base, shared_tmp / "w")
    if kind == "survey" and what == "file":
        # The survey goes to its own file, which the survey analyst may keep beside a
        # read-only copy of the shared workspace: make that file read-only.
        target = _companions(ws)[1]
    else:
        target = ws if what == "file" else ws.parent
    before = snapshot(ws)
    args = [a.format(ws=ws, dir=ws.parent) for a in IMPORTS[kind]]
    with _without_privileges(shared_tmp):
        target.chmod(0o444 if what == "file" else 0o555)
        code, _, err = run(*args)
    assert code == 1, err
    line = one_line(err)
    assert "cannot write" in line and "read-only" in line and "nothing was changed" in line
    assert str(target) in line
    assert snapshot(ws) == before


def test_read_only_workspace_is_refused_by_sqlite_too(
    base: Path, shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the up-front check (e.g. a file system that claims to be writable), the
    write itself fails and is reported the same way, all rolled back."""
    import drugscenes.store.gpkg as gpkg

    monkeypatch.setattr(gpkg, "check_writable", lambda *_a: None)
    ws = fresh(base, shared_tmp / "w")
    before = snapshot(ws)
    with _without_privileges(shared_tmp):
        ws.chmod(0o444)
        code, _, err = run("import", "scenes", ws, ws.parent / "scenes.csv", "--round", "new",
                           "--crs", "3006")  # fmt: skip
    assert code == 1, err
    assert f"cannot write the workspace {ws}" in one_line(err)
    assert snapshot(ws) == before


# -- 4. Damaged workspace file ----------------------------------------------------------------
COMMANDS = {
    "rounds": ("rounds", "{ws}"),
    "summary": ("summary", "{ws}"),
    "history": ("history", "{ws}"),
    "compare": ("compare", "{ws}", "2023", "2024"),
    "crime": ("crime", "{ws}", "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31"),
    "nearrepeat": ("nearrepeat", "{ws}", "--from", "2023-01-01", "--to", "2023-12-31"),
    "hotspots": ("hotspots", "{ws}", "--round", "2024", "--from", "2023-01-01", "--to",
                 "2024-12-31"),
    "displacement": ("displacement", "{ws}", "--from-round", "2023", "--to-round", "2024",
                     "--before", "2023-01-01:2023-06-30", "--after", "2024-01-01:2024-06-30"),
    "survey": ("survey", "{ws}", "--round", "2023", "--year", "2023"),
    "report": ("report", "{ws}", "--out", "{dir}/report", "--from", "2023-01-01", "--to",
               "2023-12-31"),
    "copy": ("copy", "{ws}", "{dir}/copy.gpkg"),
    "migrate": ("migrate", "{ws}"),
    **{f"import {k}": v for k, v in IMPORTS.items()},
}  # fmt: skip


def _damage(path: Path) -> None:
    """Overwrite one page in the middle of a file with junk."""
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as fh:
        fh.seek((size // 2) // page * page)
        fh.write(bytes((37 * i + 11) % 256 for i in range(page)))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_on_a_damaged_workspace(base: Path, tmp_path: Path, command: str) -> None:
    ws = fresh(base, tmp_path / "w")
    _damage(ws)
    before = snapshot(ws)
    args = [a.format(ws=ws, dir=ws.parent) for a in COMMANDS[command]]
    code, _, err = run(*args)
    assert code == 1, err
    assert f"the workspace {ws} is damaged" in one_line(err)
    assert snapshot(ws) == before


def test_damaged_survey_file_is_named(ws: Path) -> None:
    _damage(_companions(ws)[1])
    before = snapshot(ws)
    code, _, err = run("survey", ws, "--round", "2023", "--year", "2023")
    assert code == 1, err
    assert f"the survey file {_companions(ws)[1]} is damaged" in one_line(err)
    assert snapshot(ws) == before


# -- 5. Round dates outside 1900-2199 -----------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_round_date_outside_the_years_is_a_usage_error(ws: Path, day: str) -> None:
    before = snapshot(ws)
    code, _, err = run("import", "scenes", ws, ws.parent / "scenes.csv", "--round", "r",
                       "--crs", "3006", "--date", day)  # fmt: skip
    assert code == 2, err
    assert one_line(err) == f"error: --date: {day} is outside the years 1900–2199"
    assert snapshot(ws) == before


# -- 6. Incident times pandas cannot hold ------------------------------------------------------
def test_incident_times_outside_the_years_are_rejected_rows(ws: Path) -> None:
    times = [
        "2023-05-01 12:00",
        "9999-05-02 12:00",
        "1677-01-01T00:00:00+00:00",
        "0001-01-01",
        "2262-05-01T00:00Z",
        "1850-01-01",
        "2023-05-02T08:00:00+02:00",
    ]
    src = ws.parent / "times.csv"
    src.write_text(
        "id;tid;typ;x;y\n"
        + "".join(f"t{i};{t};Rån;{X0 + 1050};{Y0 + 1050}\n" for i, t in enumerate(times))
    )
    code, out, err = run("import", "incidents", ws, src, "--crs", "3006", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["n_accepted"] == 2 and result["rejected_by_reason"] == {"time-out-of-range": 5}
    for row in (2, 3, 4, 5, 6):
        assert f"row {row}, field 'time': rejected: time outside the years 1900–2199" in err


# -- 7. Damaged incident store -----------------------------------------------------------------
INCIDENT_COMMANDS = [
    "crime", "nearrepeat", "hotspots", "displacement", "compare", "report", "copy",
    "import incidents",
]  # fmt: skip


@pytest.mark.parametrize("command", INCIDENT_COMMANDS)
@pytest.mark.parametrize("junk", ["text", "empty", "truncated"])
def test_every_command_on_a_damaged_incident_store(
    base: Path, tmp_path: Path, command: str, junk: str
) -> None:
    ws = fresh(base, tmp_path / "w")
    (part,) = _companions(ws)[0].glob("v-*/year=2023/part-0.parquet")
    if junk == "text":
        part.write_bytes(b"this is not a Parquet file\n" * 20)
    elif junk == "empty":
        part.write_bytes(b"")
    else:
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    before = snapshot(ws)
    args = [a.format(ws=ws, dir=ws.parent) for a in COMMANDS[command]]
    code, _, err = run(*args)
    assert code == 1, err
    assert f"the incident store {_companions(ws)[0]} is damaged" in one_line(err)
    assert snapshot(ws) == before


# -- 8. Unknown CRS ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(IMPORTS))
@pytest.mark.parametrize("crs", ["99999999", "EPSG:99999999", "no-such-crs"])
def test_unknown_crs_is_a_usage_error_naming_the_option(ws: Path, kind: str, crs: str) -> None:
    args = [a.format(ws=ws, dir=ws.parent) for a in IMPORTS[kind]]
    args = [a for a in args if a not in ("--crs", "3006")] + ["--crs", crs]
    before = snapshot(ws)
    code, _, err = run(*args)
    assert code == 2, err
    assert one_line(err).startswith(f"error: --crs: unknown CRS '{crs}'")
    assert snapshot(ws) == before


# -- 9. Survey problems never show a value ----------------------------------------------------
def test_survey_problems_name_row_and_field_never_the_value(ws: Path) -> None:
    planted = ["PERSON-4711", "661234.5678", "x-secret-77", "w-secret-88", "granne Nils Nilsson",
               "STRATUM-SECRET"]  # fmt: skip
    rows = [
        f"PERSON-4711;661234.5678;{Y0 + 2000};1;mycket otrygg;STRATUM-SECRET",
        f"PERSON-4711;{X0 + 1000};{Y0 + 2000};1;mycket trygg;a",  # repeated id
        f"p3;x-secret-77;{Y0 + 2000};1;mycket trygg;a",  # location not a number
        f"p4;{X0 + 1000};{Y0 + 2000};w-secret-88;mycket trygg;a",  # weight not a number
        f"p5;{X0 + 1000};{Y0 + 2000};1;granne Nils Nilsson;a",  # unknown answer
        "p6;1;2;1;mycket trygg;a",  # outside the region
    ]
    src = ws.parent / "secret.csv"
    src.write_text("respondent_id;x;y;weight;answer;stratum\n" + "\n".join(rows) + "\n")
    problems = ws.parent / "problems.csv"
    before = snapshot(ws)
    code, out, err = run("import", "survey", ws, src, "--year", "2024", "--problems", problems)
    assert code == 1, err
    written = problems.read_text(encoding="utf-8-sig")
    for value in planted:
        assert value not in err and value not in out and value not in written, value
    for row, field in [(2, "respondent_id"), (3, "x/y"), (4, "weight"), (5, "answer"), (6, "x/y")]:
        assert f"secret.csv, row {row}, field '{field}'" in err
    assert snapshot(ws) == before


# -- 10. Rows with another number of fields than the header ---------------------------------
FIELD_CASES = {
    "scenes": ("id;namn;wkt\n", [f"s{i};Plats {i};{_square(X0 + 1000 + 500 * i, Y0 + 1000)}"
                                  for i in range(1, 5)]),
    "survey": ("respondent_id;x;y;weight;answer\n", [f"r{i};{X0 + 1000};{Y0 + 2000};1;1"
                                                     for i in range(1, 5)]),
    "incidents": ("id;tid;typ;x;y\n", [f"f{i};2023-05-0{i} 12:00;Rån;{X0 + 1050};{Y0 + 1050}"
                                       for i in range(1, 5)]),
}  # fmt: skip


def _field_args(kind: str, src: Path, ws: Path) -> list[object]:
    extra = {"scenes": ["--round", "f", "--crs", "3006"], "survey": ["--year", "2024"],
             "incidents": ["--crs", "3006"]}[kind]  # fmt: skip
    return ["import", kind, ws, src, *extra]


@pytest.mark.parametrize("kind", list(FIELD_CASES))
def test_rows_with_an_extra_separator_are_named(ws: Path, kind: str) -> None:
    header, rows = FIELD_CASES[kind]
    rows = list(rows)
    rows[1] = rows[1].replace(";", ";extra;", 1)  # row 2: one field more
    rows[2] = rows[2].rsplit(";", 1)[0]  # row 3: one field less
    src = ws.parent / "fields.csv"
    src.write_text(header + "\n".join(rows) + "\n")
    n = header.count(";") + 1
    before = snapshot(ws)
    code, out, err = run(*_field_args(kind, src, ws))
    said = "rejected: " if kind == "incidents" else ""
    assert f"fields.csv, row 2: {said}has {n + 1} fields, the header has {n}" in err
    assert f"fields.csv, row 3: {said}has {n - 1} fields, the header has {n}" in err
    if kind == "incidents":  # rejected rows; the others are stored
        assert code == 0, err
        assert "Read 4 rows" in out and "2 accepted, 2 rejected" in out
        with open_workspace(ws) as store:
            ids = set(store.read_incidents()["incident_id"])
        assert {"f1", "f4"} <= ids and not {"f2", "f3"} & ids
    else:  # all or nothing
        assert code == 1, err
        assert snapshot(ws) == before


@pytest.mark.parametrize("kind", list(FIELD_CASES))
@pytest.mark.parametrize("sep", [";", ","])
def test_every_row_with_an_extra_separator_is_said_once(ws: Path, kind: str, sep: str) -> None:
    header, rows = FIELD_CASES[kind]
    if sep == ",":  # the same file with commas (and the WKT's commas quoted)
        header = header.replace(";", ",")
        rows = [",".join(f'"{v}"' if "," in v else v for v in r.split(";")) for r in rows]
    src = ws.parent / "shifted.csv"
    src.write_text(header + "\n".join(r.replace(sep, f"{sep}x{sep}", 1) for r in rows) + "\n")
    n = header.count(sep) + 1
    before = snapshot(ws)
    code, _, err = run(*_field_args(kind, src, ws))
    assert code == 1, err
    lines = err.strip().splitlines()
    assert lines[0] == (
        "error: shifted.csv: no row has the header's number of fields; nothing was imported"
    )
    message = f"shifted.csv: every row has {n + 1} fields, the header has {n}: a value holding an "
    assert len(lines) == 2 and message in lines[1] and f"unquoted '{sep}'" in lines[1], err
    assert snapshot(ws) == before


# -- 11 and 12. Rows in two encodings ----------------------------------------------------------
def _mixed(bom: bool, header: str, utf8_rows: list[str], cp1252_rows: list[str]) -> bytes:
    raw = (b"\xef\xbb\xbf" if bom else b"") + header.encode()
    raw += "".join(r + "\n" for r in utf8_rows).encode("utf-8")
    raw += "".join(r + "\n" for r in cp1252_rows).encode("cp1252")
    return raw


@pytest.mark.parametrize(
    "bom", [False, True], ids=["utf8-rows-then-cp1252-rows", "bom-then-cp1252-row"]
)
def test_scene_rows_in_two_encodings_keep_their_letters(ws: Path, bom: bool) -> None:
    utf8 = [] if bom else [f"s1;Södermalm;{_square(X0 + 1000, Y0 + 1000)}"]
    cp1252 = [f"s2;Årstafältet;{_square(X0 + 2000, Y0 + 1000)}",
              f"s3;Sergels torg;{_square(X0 + 3000, Y0 + 1000)}"]  # fmt: skip
    if bom:
        cp1252 = [f"s1;Sodermalm;{_square(X0 + 1000, Y0 + 1000)}", *cp1252]
    src = ws.parent / "mixed.csv"
    src.write_bytes(_mixed(bom, "id;namn;wkt\n", utf8, cp1252))
    code, _, err = run("import", "scenes", ws, src, "--round", "mixed", "--crs", "3006")
    assert code == 0, err
    said = "is not UTF-8 like the rest of the file; read as Windows-1252"
    assert f"mixed.csv, row 2: {said}" in err and "row 1" not in err  # row 3 is ASCII
    with open_workspace(ws) as store:
        names = store.round_scenes("mixed")["name"].tolist()
    assert names[1] == "Årstafältet" and names[0] in ("Södermalm", "Sodermalm")
    assert not any("Ã" in n for n in names)


@pytest.mark.parametrize("bom", [False, True])
def test_incident_rows_in_two_encodings_keep_their_letters(ws: Path, bom: bool) -> None:
    rows = [f"e{i};2023-05-0{i} 12:00;Rån;{X0 + 1050};{Y0 + 1050}" for i in range(1, 5)]
    src = ws.parent / "mixed.csv"
    src.write_bytes(_mixed(bom, "id;tid;typ;x;y\n", rows[:2], rows[2:]))
    code, out, err = run("import", "incidents", ws, src, "--crs", "3006")
    assert code == 0, err
    assert "4 accepted, 0 rejected" in out
    assert "2 row(s) are not UTF-8 like the rest of the file" in out.replace("\n", " ")
    with open_workspace(ws) as store:
        stored = store.read_incidents()
    assert set(stored.loc[stored["incident_id"].str.startswith("e"), "source_type"]) == {"Rån"}


def test_survey_rows_in_two_encodings_are_read(ws: Path) -> None:
    answers = ["mycket otrygg", "ganska trygg", "mycket otrygg", "ganska otrygg"]
    rows = [f"r{i};{X0 + 1000};{Y0 + 2000};1;{a}" for i, a in enumerate(answers)]
    src = ws.parent / "mixed.csv"
    src.write_bytes(_mixed(True, "respondent_id;x;y;weight;svar\n", [], rows))
    code, out, err = run("import", "survey", ws, src, "--year", "2024", "--answer-column", "svar")
    assert code == 0, err
    assert "Imported 4 respondents" in out


# -- 13. Mistyped column options -----------------------------------------------------------
@pytest.mark.parametrize("option", ["--name-field", "--id-field", "--code-field"])
def test_mistyped_field_option_is_one_usage_line(ws: Path, option: str) -> None:
    before = snapshot(ws)
    code, _, err = run("import", "scenes", ws, ws.parent / "scenes.csv", "--round", "r",
                       "--crs", "3006", option, "nmae")  # fmt: skip
    assert code == 2, err
    assert one_line(err).startswith(f"error: scenes.csv: {option}: no column 'nmae'")
    assert snapshot(ws) == before
