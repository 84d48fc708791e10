"""The crime jobs of :mod:`drugscenes.services.crime` on a small GeoPackage workspace.

Two square municipalities (``helpers.square_region``), two rounds and hand-placed
incidents. Each job's ``to_dict()`` is exactly what the command prints with ``--json``
(the command adds nothing), and the hand-computable exact-distance case holds in both
the crime zones and the WDQ: 199.9 m from a scene is near it (the buffer), 200.1 m is
not (the rest, the control).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import shapely

from drugscenes.cli.app import print_json
from drugscenes.errors import DataError, NotFoundError, UsageError
from drugscenes.periods import Period
from drugscenes.services import crime as services
from drugscenes.services.imports import import_incidents, import_scenes
from drugscenes.store import create_workspace, open_workspace
from helpers import run, square_region

X0, Y0 = 660_000, 6_570_000  # south-west corner of municipality 0180
S1 = shapely.box(X0 + 2000, Y0 + 2000, X0 + 2100, Y0 + 2100)  # in both rounds
S2 = shapely.box(X0 + 5000, Y0 + 5000, X0 + 5100, Y0 + 5100)  # 2023 only: ceased
S3 = shapely.box(X0 + 12_000, Y0 + 2000, X0 + 12_100, Y0 + 2100)  # in 0183, both rounds
# S2's north-east corner plus 199.9 m and 200.1 m along the 3-4-5 direction (0.6, 0.8):
# between two vertices of a 64-gon buffer's arc, where the polygon is 0.24 m inside.
CORNER = (X0 + 5100, Y0 + 5100)
NEAR = (CORNER[0] + 0.6 * 199.9, CORNER[1] + 0.8 * 199.9)
FAR = (CORNER[0] + 0.6 * 200.1, CORNER[1] + 0.8 * 200.1)
INSIDE_S2 = (X0 + 5050, Y0 + 5050)
CONTROL = (X0 + 8000, Y0 + 8000)  # 0180, far from every scene
BEFORE = Period.parse("2023-01-01", "2023-06-30")
AFTER = Period.parse("2023-07-01", "2023-12-31")
YEAR = Period.parse("2023-01-01", "2023-12-31")


def _incident_rows() -> list[tuple[str, str, str, float, float]]:
    """(id, time, type, x, y): the same places in both halves of 2023, plus shootings."""
    rows = []
    for half, day in (("b", "2023-03-01"), ("a", "2023-09-01")):
        places = {"near": NEAR, "far": FAR, "control": CONTROL}
        places |= {f"in{i}": INSIDE_S2 for i in range(3 if half == "b" else 1)}
        for name, (x, y) in places.items():
            rows.append((f"{half}-{name}", f"{day}T12:00:00Z", "Misshandel", x, y))
    rows.append(("drug", "2023-04-01T12:00:00Z", "Narkotikabrott", X0 + 2050, Y0 + 2050))
    # shootings at S1: a near repeat (40 m, 2 days) and two far from it in space or time
    shots = [(50, "2023-05-05"), (90, "2023-05-07"), (60, "2023-06-29"), (3000, "2023-05-06")]
    for i, (dx, day) in enumerate(shots):
        rows.append((f"shot{i}", f"{day}T12:00:00Z", "Skottlossning", X0 + 2000 + dx, Y0 + 2050))
    return rows


def _build(ws: Path, with_incidents: bool = True) -> Path:
    """The workspace: region, rounds 2023 (S1, S2, S3) and 2024 (S1, S3), incidents."""
    folder = ws.parent
    with create_workspace(ws, square_region(), "Test", overwrite=True) as store:
        rounds = {"2023": {"S1": S1, "S2": S2, "S3": S3}, "2024": {"S1": S1, "S3": S3}}
        for label, scenes in rounds.items():
            path = folder / f"scenes_{label}.csv"
            lines = ["scene_id;name;municipality_code;wkt"]
            lines += [
                f"{sid};{sid};{'0183' if sid == 'S3' else '0180'};{g.wkt}"
                for sid, g in scenes.items()
            ]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_scenes(store, path, label, date=f"{label}-10-01", crs=3006)
        if with_incidents:
            import_incidents(store, _incidents_csv(folder), crs=3006)
    return ws


def _incidents_csv(folder: Path) -> Path:
    path = folder / "incidents.csv"
    rows = [f"{i},{t},{k},{x!r},{y!r}" for i, t, k, x, y in _incident_rows()]
    lines = ["id,time,type,x,y", *rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("crime") / "ws.gpkg")


def _same_as_cli(result: Any, capsys: pytest.CaptureFixture[str], *args: Any) -> dict[str, Any]:
    """``result.to_dict()`` as the CLI prints it equals the CLI's ``--json`` output."""
    capsys.readouterr()
    print_json(result.to_dict())
    printed = capsys.readouterr().out
    code, stdout, stderr = run(*args, "--json")
    assert code == 0, stderr
    assert stdout == printed
    return json.loads(stdout)


def test_crime_exact_ring_and_cli_json(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_workspace(ws) as store:
        result = services.crime(store, round_label="2023", period=YEAR)
    zones = {z.zone: z.counts["violence"] for z in result.zones}
    # inside S2: 3 + 1; near_200: the 199.9 m point twice; rest: the 200.1 m and control
    # points twice each
    assert (zones["scene"], zones["near_200"], zones["rest"]) == (4, 2, 4)
    assert result.n_incidents == len(_incident_rows()) and result.n_scenes == 3
    assert result.period_days == YEAR.to_dict()
    assert not result.warnings
    d = _same_as_cli(
        result, capsys, "crime", ws, "--round", "2023", "--from", "2023-01-01", "--to",
        "2023-12-31",
    )  # fmt: skip
    assert d["period_days"]["to"] == "2023-12-31" and d["n_scenes"] == 3


def test_crime_command_process_prints_what_the_job_gives(ws: Path) -> None:
    """The ``drugscenes`` process (which ends without the interpreter's teardown once its
    output is flushed) prints exactly the in-process JSON, whole, and exits 0."""
    args = ["crime", str(ws), "--round", "2023", "--from", "2023-01-01", "--to", "2023-12-31"]
    code, stdout, stderr = run(*args, "--json")
    assert code == 0, stderr
    script = Path(sys.executable).with_name("drugscenes")
    done = subprocess.run([script, *args, "--json"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, stdout), done.stderr
    text = subprocess.run([script, *args], capture_output=True, text=True, check=False)
    assert text.returncode == 0 and text.stdout.rstrip().endswith(".")


def test_crime_by_municipality_and_rings(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_workspace(ws) as store:
        result = services.crime(
            store, round_label="2024", period=YEAR, rings_m=(100, 200), per_municipality=True
        )
    names = {z.zone: z.name for z in result.zones}
    assert names["rest:0180"] == "Stockholm" and names["scene"] is None
    _same_as_cli(
        result, capsys, "crime", ws, "--round", "2024", "--from", "2023-01-01", "--to",
        "2023-12-31", "--rings", "100,200", "--by-municipality",
    )  # fmt: skip


def test_displacement_exact_buffer_and_cli_json(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_workspace(ws) as store:
        result = services.displacement(
            store, from_round="2023", to_round="2024", before=BEFORE, after=AFTER,
            category="violence",
        )  # fmt: skip
    assert result.ceased_scene_ids == ["S2"]
    (row,) = result.scenes
    # R: inside S2 (3 before, 1 after); D: the 199.9 m point; C: the 200.1 m point and
    # the control point (municipality 0180, beyond 200 m of every scene of both rounds)
    assert (row["Rb"], row["Db"], row["Cb"], row["Ra"], row["Da"], row["Ca"]) == (3, 1, 2, 1, 1, 2)
    # by hand: SM = 1/2 - 3/2 = -1, BDM = 1/2 - 1/2 = 0: WDQ 0, the buffer did not change
    assert row["wdq"] == 0 and row["interpretation"].startswith("no change in the buffer")
    assert result.all_ceased is not None and result.all_ceased.wdq == 0
    d = _same_as_cli(
        result, capsys, "displacement", ws, "--from-round", "2023", "--to-round", "2024",
        "--before", "2023-01-01:2023-06-30", "--after", "2023-07-01:2023-12-31",
        "--category", "violence",
    )  # fmt: skip
    assert d["before_days"] == BEFORE.to_dict() and d["ceased_scene_ids"] == ["S2"]
    assert d["all_ceased"]["interpretation"] == row["interpretation"]


def test_displacement_refusals(ws: Path) -> None:
    with open_workspace(ws) as store:
        with pytest.raises(UsageError, match="same round"):
            services.displacement(
                store, from_round="2023", to_round="2023", before=BEFORE, after=AFTER
            )
        with pytest.raises(UsageError, match="must end before"):
            services.displacement(
                store, from_round="2023", to_round="2024", before=YEAR, after=AFTER
            )
        with pytest.raises(DataError, match="no 'explosion' incidents in the before period"):
            services.displacement(
                store, from_round="2023", to_round="2024", before=BEFORE, after=AFTER,
                category="explosion",
            )  # fmt: skip


def test_nearrepeat_and_cli_json(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_workspace(ws) as store:
        result = services.nearrepeat(
            store, period=YEAR, space_bands_m=(100, 200), time_bands_days=(7, 14),
            permutations=49, seed=3,
        )  # fmt: skip
    assert result.round == "2024" and result.round_is_latest
    # shots 0 (50 m, day 5) and 1 (90 m, day 7) are 40 m and 2 days apart: shot 0 is
    # followed; shot 2 (day 60) and shot 3 (3 km away) are not
    f = result.followup
    assert (f.n_events, f.n_followed) == (4, 1)
    assert {s["scene_id"]: (s["shootings"], s["followed"]) for s in result.scenes} == {
        "S1": (3, 1),
        "S3": (0, 0),
    }
    d = _same_as_cli(
        result, capsys, "nearrepeat", ws, "--from", "2023-01-01", "--to", "2023-12-31",
        "--space-bands", "0,100,200", "--time-bands", "0,7,14", "--simulations", "49",
        "--seed", "3",
    )  # fmt: skip
    assert d["round_is_latest"] and d["followup"]["n_followed"] == 1


def test_nearrepeat_refusals(ws: Path) -> None:
    with open_workspace(ws) as store:
        with pytest.raises(DataError, match="at least two"):
            services.nearrepeat(store, period=YEAR, category="explosion")
        with pytest.raises(DataError, match="no incidents from 2019"):
            services.nearrepeat(store, period=Period.parse("2019-01-01", "2019-12-31"))
        with pytest.raises(NotFoundError, match="no round '1999'"):
            services.nearrepeat(store, period=YEAR, round_label="1999")


def test_import_incidents_result_is_the_cli_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _build(tmp_path / "ws.gpkg", with_incidents=False)
    with open_workspace(ws) as store:
        result = import_incidents(store, _incidents_csv(tmp_path), crs=3006)
    assert result.to_dict()["n_new"] == len(_incident_rows())
    counts = {"violence": 10, "shooting": 4, "drug offence": 1}
    assert result.to_dict()["accepted_by_category"] == counts
    _build(ws, with_incidents=False)  # the same workspace again, without incidents
    csv_file = _incidents_csv(tmp_path)
    _same_as_cli(result, capsys, "import", "incidents", ws, csv_file, "--crs", "3006")
