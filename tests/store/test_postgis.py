"""The PostGIS workspace beyond the contract: concurrency, crashes, rights, messages, layout."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
import time
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
from shapely import box

from drugscenes.analysis.history import scene_history
from drugscenes.errors import DataError, SurveyAccessError, WorkspaceError
from drugscenes.store import RoundRecord, SurveyRecord, create_workspace, open_workspace
from drugscenes.store.base import HISTORY_DTYPES, INCIDENT_DTYPES, typed
from helpers import square_region

X0, Y0 = 660_000, 6_570_000


def scenes(ids: list[str], x: int = 0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"scene_id": ids, "id_given": True, "municipality_code": "0180"},
        geometry=[
            box(X0 + x + 300 * k, Y0, X0 + x + 300 * k + 100, Y0 + 80) for k in range(len(ids))
        ],
        crs=3006,
    )


def incidents(ids: list[str], times: list[str], **columns) -> pd.DataFrame:
    n = len(ids)
    data = {
        "incident_id": ids,
        "time": pd.to_datetime(times, utc=True, format="ISO8601"),
        "source_type": "police",
        "category": "narkotika",
        "x": [X0 + 10.0 * k for k in range(n)],
        "y": [Y0 + 5.0 * k for k in range(n)],
        "police_activity": False,
        "municipality_code": "0180",
    }
    data.update(columns)
    return pd.DataFrame(data)


def respondents(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": [f"r{k}" for k in range(n)],
            "x": [X0 + 100.0 * k for k in range(n)],
            "y": [Y0 + 100.0] * n,
            "weight": 1.5,
            "unsafe": pd.array([k % 2 for k in range(n)], dtype="Int8"),
            "stratum": "s",
            "psu": "p",
            "municipality_code": "0180",
        }
    )


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}").geturl()


def sql(url: str, *statements: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows: list[tuple] = []
        for s in statements:
            cur = conn.execute(s)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
        return rows


@pytest.fixture
def ws(postgis_url):
    create_workspace(postgis_url, square_region(), "Test").close()
    return postgis_url


# -- concurrency ------------------------------------------------------------------------------
def test_concurrent_round_imports_serialise(ws):
    """Four imports of different rounds and two racing for one label, at the same time."""
    jobs = [
        ("2020", "2020-10-01"),
        ("2021", "2021-10-01"),
        ("2022", "2022-10-01"),
        ("2023", "2023-10-01"),
        ("2024", "2024-10-01"),
        ("2024", "2024-10-02"),
    ]
    barrier = threading.Barrier(len(jobs))
    seen: dict[int, list[str]] = {}
    outcome: dict[int, object] = {}

    def run(k: int, label: str, date: str) -> None:
        with open_workspace(ws) as store:

            def history(frames):
                seen[k] = [name for name, _ in frames]
                time.sleep(0.15)  # widen the window in which another import could slip in
                return scene_history(frames)

            barrier.wait(timeout=60)
            try:
                store.write_round(
                    RoundRecord(label, date), scenes([f"s{k}"], 50 * k), False, history
                )
                outcome[k] = "stored"
            except DataError as exc:
                outcome[k] = exc

    threads = [
        threading.Thread(target=run, args=(k, *job), daemon=True) for k, job in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(outcome[k] == "stored" for k in range(4))
    pair = [outcome[4], outcome[5]]
    assert pair.count("stored") == 1
    refused = next(o for o in pair if o != "stored")
    assert isinstance(refused, DataError) and "exists already" in str(refused)

    landed = [k for k, o in outcome.items() if o == "stored"]
    # Serialised: each history saw every round committed before it plus its own.
    assert sorted(len(seen[k]) for k in landed) == [1, 2, 3, 4, 5]
    chain = sorted((seen[k] for k in landed), key=len)
    for smaller, larger in itertools.pairwise(chain):
        assert set(smaller) < set(larger)
    for k in landed:
        assert jobs[k][0] in seen[k]
        assert seen[k] == sorted(seen[k])

    with open_workspace(ws) as store:
        assert store.round_labels() == ["2020", "2021", "2022", "2023", "2024"]
        stored = store.scene_history()
        assert sorted(stored["round"].unique()) == ["2020", "2021", "2022", "2023", "2024"]
        frames = [(label, store.round_scenes(label)) for label in store.round_labels()]
        pd.testing.assert_frame_equal(stored, typed(scene_history(frames), HISTORY_DTYPES))
        winner = 4 if outcome[4] == "stored" else 5
        assert store.round_scenes("2024")["scene_id"].tolist() == [f"s{winner}"]


_BLOCKED_IMPORT = textwrap.dedent(
    """
    import pathlib, sys, time
    import geopandas as gpd
    from shapely import box
    from drugscenes.analysis.history import scene_history
    from drugscenes.errors import DrugscenesError
    from drugscenes.store import RoundRecord, open_workspace

    url, ready, go = sys.argv[1:4]

    def history(frames):
        pathlib.Path(ready).touch()  # the round is written, the transaction still open
        t0 = time.monotonic()
        while not pathlib.Path(go).exists() and time.monotonic() - t0 < 60:
            time.sleep(0.05)
        return scene_history(frames)

    scenes = gpd.GeoDataFrame(
        {"scene_id": ["n1", "n2"], "id_given": True, "municipality_code": "0180"},
        geometry=[box(661000, 6571000, 661100, 6571100), box(662000, 6571000, 662100, 6571100)],
        crs=3006,
    )
    try:
        with open_workspace(url) as store:
            store.write_round(RoundRecord("2023", "2023-10-01"), scenes, False, history)
    except DrugscenesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(3)
    print("stored")
    """
)


def test_a_server_killed_mid_import_leaves_no_partial_round(ws, postgis_server, tmp_path):
    with open_workspace(ws) as store:
        store.write_round(RoundRecord("2022", "2022-10-01"), scenes(["a"]), False, scene_history)
        history_before = store.scene_history()
    ready, go = tmp_path / "ready", tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", _BLOCKED_IMPORT, ws, str(ready), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    survivor = open_workspace(ws)  # a connection that lives through the crash
    try:
        t0 = time.monotonic()
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() - t0 < 60, "the import never reached its history step"
            time.sleep(0.05)
        postgis_server.stop("immediate")  # a crash: no shutdown checkpoint, no goodbye
        postgis_server.start()
        go.touch()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, (out, err)
        assert "Traceback" not in err
        assert "connection" in err and "run the command again" in err

        # The connection that was open during the crash reports it once, then reconnects.
        with pytest.raises(WorkspaceError, match="connection"):
            survivor.round_labels()
        assert survivor.round_labels() == ["2022"]
    finally:
        survivor.close()
        if proc.poll() is None:
            proc.kill()
    with open_workspace(ws) as store:
        assert store.round_labels() == ["2022"]
        assert store.round_record("2023") is None
        pd.testing.assert_frame_equal(store.scene_history(), history_before)
    assert sql(ws, "SELECT count(*) FROM drugscenes.scene_observations WHERE round = '2023'") == [
        (0,)
    ]
    assert sql(ws, "SELECT scene_id FROM drugscenes.scenes") == [("a",)]


# -- rights ------------------------------------------------------------------------------------
def test_a_role_without_the_survey_grant(ws):
    with open_workspace(ws) as store:
        store.write_round(RoundRecord("2022"), scenes(["a", "b"]), False, scene_history)
        store.write_incidents(
            incidents(["i1", "i2"], ["2022-01-05T10:00:00Z", "2023-03-01T00:00Z"])
        )
        store.write_survey(SurveyRecord(2023), respondents(4), replace=False)
    db = urlsplit(ws).path.lstrip("/")
    analyst = f"analyst_{db}"[:60]
    sql(ws, f"CREATE ROLE {analyst} LOGIN", f"GRANT drugscenes_user TO {analyst}")
    url = with_user(ws, analyst)

    with open_workspace(url) as store:
        assert store.round_labels() == ["2022"]
        assert store.round_scenes("2022")["scene_id"].tolist() == ["a", "b"]
        assert len(store.scene_history()) == 2
        assert store.count_incidents() == 2
        assert sorted(store.read_incidents()["incident_id"]) == ["i1", "i2"]
        assert store.metadata()["region_name"] == "Test"
        assert len(store.municipalities()) == 2
        # The app's writes work too, including a new year's incident partition.
        store.write_round(RoundRecord("2023"), scenes(["c"]), False, scene_history)
        store.write_incidents(incidents(["i3"], ["2031-06-01T00:00:00Z"]))
        assert store.count_incidents() == 3
        store.delete_round("2023", scene_history)

        calls = [
            lambda: store.survey_years(),
            lambda: store.survey_record(2023),
            lambda: store.read_survey(2023),
            lambda: store.write_survey(SurveyRecord(2024), respondents(2), replace=False),
        ]
        for call in calls:
            with pytest.raises(SurveyAccessError) as err:
                call()
            assert f"GRANT drugscenes_survey TO {analyst}" in str(err.value)
            assert err.value.__cause__ is None
        # ... and nothing else is affected by the refusals.
        assert store.round_labels() == ["2022"]

    sql(ws, f"GRANT drugscenes_survey TO {analyst}")
    with open_workspace(url) as store:
        assert store.survey_years() == [2023]
        assert len(store.read_survey(2023)) == 4
    with open_workspace(ws) as store:
        assert store.survey_years() == [2023]  # the refused write left nothing

    outsider = f"outsider_{db}"[:60]
    sql(ws, f"CREATE ROLE {outsider} LOGIN")
    with pytest.raises(WorkspaceError, match=f"GRANT drugscenes_user TO {outsider}"):
        open_workspace(with_user(ws, outsider))


# -- messages ------------------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_messages_for_what_a_user_can_get_wrong(postgis_server, postgis_url):
    port = _free_port()
    with pytest.raises(WorkspaceError) as err:
        open_workspace(f"postgresql://alice:s3cret@127.0.0.1:{port}/county")
    message = str(err.value)
    assert "cannot reach" in message and f"127.0.0.1:{port}/county" in message
    assert "s3cret" not in message
    assert err.value.__cause__ is None and err.value.__suppress_context__

    with pytest.raises(WorkspaceError, match="no database 'no_such_db'"):
        open_workspace(postgis_server.url_for("no_such_db"))
    with pytest.raises(WorkspaceError, match="refused the login"):
        open_workspace(postgis_server.url_for("postgres", user="ghost"))
    with pytest.raises(WorkspaceError, match=r"holds no drugscenes workspace.*drugscenes init"):
        open_workspace(postgis_url)

    create_workspace(postgis_url, square_region(), "T").close()
    with pytest.raises(WorkspaceError, match="holds a drugscenes workspace already"):
        create_workspace(postgis_url, square_region(), "T")
    sql(postgis_url, "UPDATE drugscenes.ds_metadata SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match=r"schema version '99'.*reads version 2"):
        open_workspace(postgis_url)

    with_password = postgis_url.replace("postgres@", "postgres:s3cret@")
    create_workspace(with_password, square_region(), "T", overwrite=True).close()
    with open_workspace(with_password) as store:
        assert store.target == postgis_url
        assert store.backend == "postgis"


def test_a_failed_create_leaves_nothing(postgis_url):
    region = square_region()
    region.loc[1, "geometry"] = region.geometry[1].centroid  # a point is no municipality
    with pytest.raises(DataError, match="cannot create the workspace"):
        create_workspace(postgis_url, region, "T")
    schemas = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'drugscenes%'"
    assert sql(postgis_url, schemas) == []
    create_workspace(postgis_url, square_region(), "T").close()
    # ... and a failed overwrite leaves the old workspace as it was.
    with pytest.raises(DataError):
        create_workspace(postgis_url, region, "New", overwrite=True)
    with open_workspace(postgis_url) as store:
        assert store.metadata()["region_name"] == "T"


# -- layout ----------------------------------------------------------------------------------------
def test_layout_geometry_indexes_and_partitions(ws):
    with open_workspace(ws) as store:
        store.write_round(RoundRecord("2022"), scenes(["a"]), False)
        store.write_incidents(
            incidents(
                ["i1", "i2", "i3"], ["2021-01-01T00:00Z", "2022-05-01T00:00Z", "2022-12-31T23:30Z"]
            )
        )
        store.write_survey(SurveyRecord(2023), respondents(3), replace=False)
    geometry = sql(
        ws,
        "SELECT f_table_schema, f_table_name, f_geometry_column, type, srid FROM geometry_columns"
        " WHERE f_table_schema LIKE 'drugscenes%' ORDER BY 1, 2",
    )
    assert geometry == [
        ("drugscenes", "incidents", "geom", "POINT", 3006),
        ("drugscenes", "incidents_2021", "geom", "POINT", 3006),
        ("drugscenes", "incidents_2022", "geom", "POINT", 3006),
        ("drugscenes", "municipalities", "geom", "MULTIPOLYGON", 3006),
        ("drugscenes", "scene_observations", "geom", "MULTIPOLYGON", 3006),
        ("drugscenes_survey", "survey_respondents", "geom", "POINT", 3006),
    ]
    for schema, table, column, _, _ in geometry:
        query = (
            "SELECT indexdef FROM pg_indexes"
            f" WHERE schemaname = '{schema}' AND tablename = '{table}'"
        )
        defs = [r[0] for r in sql(ws, query)]
        assert any(f"USING gist ({column})" in d for d in defs), (table, defs)
    parts = sql(
        ws,
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
        " JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'drugscenes.incidents'::regclass ORDER BY 1",
    )
    assert parts == [
        ("incidents_2021", "FOR VALUES IN (2021)"),
        ("incidents_2022", "FOR VALUES IN (2022)"),
    ]
    for column in ("time", "incident_id"):
        defs = [
            r[0] for r in sql(ws, "SELECT indexdef FROM pg_indexes WHERE tablename = 'incidents'")
        ]
        assert any(f"btree ({column}" in d.replace('"', "") for d in defs), defs
    # The point geometry follows x/y.
    assert (
        sql(ws, "SELECT ST_X(geom) = x AND ST_Y(geom) = y FROM drugscenes.incidents")
        == [(True,)] * 3
    )
    # The survey schema is closed to PUBLIC.
    assert sql(ws, "SELECT has_schema_privilege('public', 'drugscenes_survey', 'USAGE')") == [
        (False,)
    ]
    assert sql(ws, "SELECT version_num FROM drugscenes.alembic_version") == [("0001",)]


def test_reading_a_period_reads_only_its_years(ws):
    with open_workspace(ws) as store:
        store.write_incidents(
            incidents(
                ["a", "b", "c"], ["2022-06-01T00:00Z", "2023-06-01T00:00Z", "2024-06-01T00:00Z"]
            )
        )
    # Another session holds the 2022 partition exclusively: a read that opened it would
    # wait, so a read that returns has pruned it (the bounds become partition-key filters).
    with psycopg.connect(ws) as locker:
        locker.execute("LOCK TABLE drugscenes.incidents_2022 IN ACCESS EXCLUSIVE MODE")
        fast = ws + "?options=-c%20lock_timeout%3D1000"
        with open_workspace(fast) as store:
            got = store.read_incidents(
                pd.Timestamp("2023-01-01 01:00", tz="Europe/Stockholm"),  # 00:00 UTC
                pd.Timestamp("2024-01-01", tz="UTC"),
            )
            assert got["incident_id"].tolist() == ["b"]
            with pytest.raises(WorkspaceError, match="lock"):
                store.read_incidents()
        locker.rollback()


def test_text_survives_the_copy_paths(ws):
    odd = ['comma, "quote"', "new\nline", "", "åäö – ✓", None, "\\N", "tab\there"]
    data = incidents(
        [f"id,{k}" for k in range(len(odd))],
        ["2023-01-01T00:00:00.000001Z"] * len(odd),
        category=odd,
        source_type=list(reversed(odd)),
    )
    with open_workspace(ws) as store:
        store.write_incidents(data)
        got = store.read_incidents().sort_values("incident_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, typed(data, INCIDENT_DTYPES))
    assert got["category"].tolist()[2] == ""
    assert got["category"].tolist()[4] is None
