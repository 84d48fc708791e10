"""The same jobs on both backends: the demo county as a GeoPackage and copied to PostGIS.

Every command's JSON must be byte-for-byte the same whichever store holds the data, and
a database role without the survey grant runs every job but the survey ones, which end
in one clear line.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from drugscenes.store import open_workspace
from helpers import run

COMMANDS = [
    ["summary"],
    ["rounds"],
    ["compare", "2023", "2024"],
    ["history"],
    ["crime", "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31"],
    ["survey", "--round", "2023", "--year", "2023"],
    ["hotspots", "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31"],
    [
        "displacement",
        "--from-round",
        "2023",
        "--to-round",
        "2024",
        "--before",
        "2023-01-01:2023-06-30",
        "--after",
        "2023-07-01:2023-12-31",
    ],
    ["nearrepeat", "--from", "2023-01-01", "--to", "2023-12-31", "--simulations", "99"],
]


def _cli(command: list[str], workspace: str) -> tuple[int, str, str]:
    return run(command[0], workspace, *command[1:], "--json")


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory) -> Path:
    from drugscenes.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    return build_demo(out).workspace


@pytest.fixture
def demo_postgis(demo_gpkg, postgis_url) -> str:
    code, out, err = run("copy", demo_gpkg, postgis_url, "--json")
    assert code == 0, err
    assert json.loads(out)["survey_copied"] is True
    return postgis_url


def test_every_command_gives_identical_json_on_both_backends(demo_gpkg, demo_postgis):
    for command in COMMANDS:
        a = _cli(command, str(demo_gpkg))
        b = _cli(command, demo_postgis)
        assert a[0] == 0, (command, a[2])
        assert b[0] == 0, (command, b[2])
        assert json.loads(a[1]), command  # a real result, not an empty one
        assert a[1] == b[1], command


def test_copy_back_gives_the_same_workspace(demo_gpkg, demo_postgis, tmp_path):
    back = tmp_path / "back.gpkg"
    code, _, err = run("copy", demo_postgis, back)
    assert code == 0, err
    for command in COMMANDS[:4]:
        assert _cli(command, str(demo_gpkg))[1] == _cli(command, str(back))[1], command
    with open_workspace(demo_gpkg) as a, open_workspace(back) as b:
        assert a.count_incidents() == b.count_incidents() > 0
        assert a.survey_years() == b.survey_years() == [2023, 2025]


def test_a_role_without_the_survey_grant_runs_everything_but_the_survey(demo_postgis, tmp_path):
    parts = urlsplit(demo_postgis)
    analyst = f"analyst_{parts.path.lstrip('/')}"[:60]
    with psycopg.connect(demo_postgis, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {analyst} LOGIN")
        conn.execute(f"GRANT drugscenes_user TO {analyst}")
    url = parts._replace(netloc=f"{analyst}@{parts.hostname}:{parts.port}").geturl()
    for command in COMMANDS:
        code, out, err = _cli(command, url)
        if command[0] == "survey":
            assert code == 1 and out == ""
            assert "Traceback" not in err and "drugscenes_survey" in err
            assert len(err.strip().splitlines()) == 1, err
        else:
            assert code == 0, (command, err)
    # The report leaves the survey section out and says why, instead of failing.
    code, _, err = run("report", url, "--out", tmp_path / "report")
    assert code == 0, err
    assert (tmp_path / "report" / "report.html").exists()
