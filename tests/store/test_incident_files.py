"""The incident read that loads no pandas, and the read a command starts before its job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from drugscenes import config
from drugscenes.periods import Period
from drugscenes.store import create_workspace, incident_files, open_workspace
from drugscenes.store.base import incident_frame
from helpers import square_region

COLUMNS = list(config.CRIME_COLUMNS)


def _incidents(n: int, first: str = "2023-01-01T00:00:00Z", prefix: str = "i") -> pd.DataFrame:
    k = np.arange(n)
    return pd.DataFrame(
        {
            "incident_id": [f"{prefix}{j}" for j in k],
            "time": pd.Timestamp(first) + pd.to_timedelta(k * 11, unit="h"),
            "source_type": np.array(["Rån", "Skottlossning"])[k % 2],
            "category": np.array(["violence", "shooting"])[k % 2],
            "x": 661_000.5 + 10.25 * k,
            "y": 6_571_000.125 + 3.5 * k,
            "police_activity": k % 4 == 0,
            "municipality_code": "0180",
        }
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws.gpkg"
    with create_workspace(ws, square_region(), "Test") as store:
        store.write_incidents(_incidents(1_000))  # 2023-01-01 to 2024-04-03
    return ws


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every read of the stored files, early or not."""
    calls: list[tuple[object, ...]] = []
    real = incident_files._read_version

    def counted(*args: object) -> object:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(incident_files, "_read_version", counted)
    return calls


def _period_rows(period: Period) -> pd.DataFrame:
    frame = _incidents(1_000)
    inside = (frame["time"] >= period.start) & (frame["time"] < period.end)
    return frame[inside]


def test_the_early_read_is_handed_over(workspace: Path, reads: list) -> None:  # type: ignore[type-arg]
    # across both changes of summer time and the turn of the year
    period = Period.parse("2023-03-26", "2024-01-10")
    assert incident_files.start_read(workspace, "2023-03-26", "2024-01-10", COLUMNS)
    with open_workspace(workspace) as store:
        table = store.read_incident_table(period.start, period.end, COLUMNS)
    assert len(reads) == 1  # the early one, taken over
    assert table.column_names == COLUMNS
    want = _period_rows(period)
    got = incident_frame(table)
    assert len(got) == len(want) > 0
    assert sorted(got["time"]) == sorted(want["time"])
    assert sorted(got["x"]) == sorted(want["x"])


def test_another_period_or_version_is_read_afresh(workspace: Path, reads: list) -> None:  # type: ignore[type-arg]
    assert incident_files.start_read(workspace, "2023-01-01", "2023-01-31", COLUMNS)
    february = Period.parse("2023-02-01", "2023-02-28")
    with open_workspace(workspace) as store:
        table = store.read_incident_table(february.start, february.end, COLUMNS)
        assert len(reads) == 2
        assert table.num_rows == len(_period_rows(february))
        # an import between the start and the job: the new version is read
        assert incident_files.start_read(workspace, "2023-01-01", "2023-01-31", COLUMNS)
        store.write_incidents(_incidents(5, first="2023-01-02T12:00:00Z", prefix="new"))
        january = Period.parse("2023-01-01", "2023-01-31")
        table = store.read_incident_table(january.start, january.end, COLUMNS)
    assert len(reads) == 4
    assert table.num_rows == len(_period_rows(january)) + 5


def test_nothing_is_started_that_it_cannot_vouch_for(workspace: Path, tmp_path: Path) -> None:
    assert not incident_files.start_read(
        "postgresql://u@localhost/db", "2023-01-01", "2023-01-31", COLUMNS
    )
    assert not incident_files.start_read(workspace, "2023-02-30", "2023-03-31", COLUMNS)
    assert not incident_files.start_read(workspace, "2023-03-01", "2023-02-01", COLUMNS)
    assert not incident_files.start_read(
        tmp_path / "none.gpkg", "2023-01-01", "2023-01-31", COLUMNS
    )
    (workspace.with_name("ws.incidents") / "CURRENT").write_text("../../etc\n")
    assert not incident_files.start_read(workspace, "2023-01-01", "2023-01-31", COLUMNS)


def test_a_failed_early_read_leaves_the_error_to_the_store(workspace: Path) -> None:
    for part in workspace.with_name("ws.incidents").glob("v-*/year=2023/part-*.parquet"):
        part.write_bytes(b"PAR1 not parquet")
    assert incident_files.start_read(workspace, "2023-01-01", "2023-12-31", COLUMNS)
    period = Period.parse("2023-01-01", "2023-12-31")
    with open_workspace(workspace) as store, pytest.raises(Exception, match="damaged"):
        store.read_incident_table(period.start, period.end, COLUMNS)


def test_reading_loads_no_pandas(workspace: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from datetime import datetime, UTC\n"
        "from drugscenes.store import incident_files as f\n"
        f"t = f.read_table(Path({str(workspace.with_name('ws.incidents'))!r}),"
        " datetime(2023, 2, 1, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC), ['time', 'x'])\n"
        "print(t.num_rows, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["61", "False"]  # 28 days of incidents 11 h apart


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4, 5], [5, 0, 3, 1, 4, 2]])
def test_rows_in_the_period_sorted_or_not(order: list[int]) -> None:
    ns = np.array([10, 20, 20, 30, 40, 50])[order]
    part = pa.table({"time": pa.array(ns, pa.timestamp("ns", tz="UTC")), "k": order})
    got = incident_files._within(part, 20, 41)
    assert sorted(got.column("k").to_pylist()) == [1, 2, 3, 4]
    assert incident_files._within(part, None, 20).column("k").to_pylist() == [0]
    assert incident_files._within(part, 51, None).num_rows == 0
