"""The columnar incident import gives exactly what the row-wise import of before gave.

The digests below were recorded with the previous implementation (pandas frames, the
pandas CSV reader, geopandas for GeoParquet; commit d2751f2) on the corpus of
:mod:`incident_corpus` (in tests/): for each file kind, the SHA-256 of the stored table
(every stored column of every row, sorted by id) and of the rejected-row report (every
problem, in order, as the CLI's ``--problems`` file holds it), and the counts of the
import's JSON. The import of today must give the same, and importing the same file
again must change nothing.

The corpus has 200,000 rows in CI; ``DRUGSCENES_EQUALITY_ROWS=1000000`` checks the
1 M rows of issue #14 (digests for both sizes are recorded).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugscenes.errors import Problem
from drugscenes.services.imports import import_incidents
from drugscenes.store import create_workspace
from drugscenes.store.base import INCIDENT_COLUMNS
from incident_corpus import write_corpus

ROWS = int(os.environ.get("DRUGSCENES_EQUALITY_ROWS", "200000"))

EXPECTED: dict[tuple[str, int], dict[str, object]] = {
    ("csv", 200000): {
        "stored": "f3d6daa9983b2faebaf7e682de6727e67bedac6bf88069c7020ef9a0067c4433",
        "report": "a49f75e106ed9fc491326c2b6bd4b4c2aab798ed5e457b76917c40b1e329637c",
        "counts": {
            "format": "csv",
            "n_read": 200000,
            "n_accepted": 196848,
            "n_rejected": 3152,
            "rejected_by_reason": {
                "outside-region": 785,
                "time-invalid": 660,
                "coordinates-missing": 394,
                "id-duplicate": 371,
                "type-missing": 243,
                "type-excluded": 227,
                "id-missing": 216,
                "time-out-of-range": 147,
                "type-unmapped": 128,
            },
            "accepted_by_category": {
                "other": 159079,
                "violence": 26460,
                "drug offence": 10101,
                "shooting": 731,
                "explosion": 477,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:57:53+00:00",
            "stored_after": 196848,
            "notes": [],
        },
    },
    ("csv-sv", 200000): {
        "stored": "6c8c3b54a475925a227e12c0dea1d45d1baee753667286a9a1ff3dfd174e767f",
        "report": "f7450ef944a185ad78db0e986d530353d1fc1ce14bcfdb84c034af9054a18363",
        "counts": {
            "format": "csv",
            "n_read": 200000,
            "n_accepted": 196834,
            "n_rejected": 3166,
            "rejected_by_reason": {
                "outside-region": 787,
                "time-invalid": 660,
                "coordinates-missing": 407,
                "id-duplicate": 371,
                "type-missing": 243,
                "type-excluded": 227,
                "id-missing": 216,
                "time-out-of-range": 147,
                "type-unmapped": 128,
            },
            "accepted_by_category": {
                "other": 159051,
                "violence": 26467,
                "drug offence": 10108,
                "shooting": 731,
                "explosion": 477,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:57:53+00:00",
            "stored_after": 196834,
            "notes": [],
        },
    },
    ("parquet", 200000): {
        "stored": "5085151d8aaa44af9d678819d02f82770dec825ee583b75bf23a0409529d2b6f",
        "report": "0de6676c51d88a947a27b66f308eef0c3842f83688419f4f778598f4428ba586",
        "counts": {
            "format": "parquet",
            "n_read": 200000,
            "n_accepted": 196428,
            "n_rejected": 3572,
            "rejected_by_reason": {
                "coordinates-missing": 815,
                "outside-region": 786,
                "time-invalid": 660,
                "id-duplicate": 371,
                "type-missing": 243,
                "type-excluded": 227,
                "id-missing": 216,
                "time-out-of-range": 147,
                "type-unmapped": 128,
            },
            "accepted_by_category": {
                "other": 158723,
                "violence": 26421,
                "drug offence": 10076,
                "shooting": 731,
                "explosion": 477,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:57:53+00:00",
            "stored_after": 196428,
            "notes": [],
        },
    },
    ("csv", 1000000): {
        "stored": "0e5763cbe09fd315a4dde04fe256193b0a1ecf720833b81f009dee16cd39e0ec",
        "report": "47aa175c392bb474c4706c48cc0e5030ba6163b7e505801e36299cff071bacda",
        "counts": {
            "format": "csv",
            "n_read": 1000000,
            "n_accepted": 983910,
            "n_rejected": 16090,
            "rejected_by_reason": {
                "outside-region": 4033,
                "time-invalid": 3240,
                "coordinates-missing": 2063,
                "id-duplicate": 1989,
                "type-missing": 1227,
                "type-excluded": 1213,
                "id-missing": 1014,
                "time-out-of-range": 837,
                "type-unmapped": 574,
            },
            "accepted_by_category": {
                "other": 796054,
                "violence": 131486,
                "drug offence": 50255,
                "shooting": 3636,
                "explosion": 2479,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:59:53.701553+00:00",
            "stored_after": 983910,
            "notes": [],
        },
    },
    ("csv-sv", 1000000): {
        "stored": "d2c016548b850222983dd3747b0c8f16796cd81dce2eda63b279637c4b3d1fb8",
        "report": "a22b877c09c5bf2a1b90084246e87a4540e99d4ba003d9caae51f5e72ad41873",
        "counts": {
            "format": "csv",
            "n_read": 1000000,
            "n_accepted": 983946,
            "n_rejected": 16054,
            "rejected_by_reason": {
                "outside-region": 4033,
                "time-invalid": 3240,
                "coordinates-missing": 2027,
                "id-duplicate": 1989,
                "type-missing": 1227,
                "type-excluded": 1213,
                "id-missing": 1014,
                "time-out-of-range": 837,
                "type-unmapped": 574,
            },
            "accepted_by_category": {
                "other": 796104,
                "violence": 131476,
                "drug offence": 50242,
                "shooting": 3641,
                "explosion": 2483,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:59:53.701553+00:00",
            "stored_after": 983946,
            "notes": [],
        },
    },
    ("parquet", 1000000): {
        "stored": "7e41ecbe3eb973bdf71b08a1c2746491b8f8dbb3585e7399bd5118d4b8b82786",
        "report": "2db56d8058a2fe73ad83e7d85d4d9d6d7c1bf9d492c123dc3996bcce05b13432",
        "counts": {
            "format": "parquet",
            "n_read": 1000000,
            "n_accepted": 981911,
            "n_rejected": 18089,
            "rejected_by_reason": {
                "coordinates-missing": 4085,
                "outside-region": 4031,
                "time-invalid": 3240,
                "id-duplicate": 1989,
                "type-missing": 1227,
                "type-excluded": 1213,
                "id-missing": 1014,
                "time-out-of-range": 837,
                "type-unmapped": 574,
            },
            "accepted_by_category": {
                "other": 794483,
                "violence": 131175,
                "drug offence": 50141,
                "shooting": 3632,
                "explosion": 2480,
            },
            "first_time": "2021-12-31T23:00:00+00:00",
            "last_time": "2024-12-31T23:59:53.701553+00:00",
            "stored_after": 981911,
            "notes": [],
        },
    },
}
"""(kind, rows) -> digests and counts recorded with the previous implementation."""

CRS = {"csv": "3006", "csv-sv": None, "parquet": None}


def stored_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a stored incident table: every column, rows sorted by id."""
    frame = frame[INCIDENT_COLUMNS].sort_values("incident_id", kind="stable", ignore_index=True)
    h = hashlib.sha256()
    h.update(str(len(frame)).encode())
    for c in INCIDENT_COLUMNS:
        col = frame[c]
        if c == "time":
            utc = pd.to_datetime(col, utc=True).dt.tz_localize(None).astype("datetime64[ns]")
            h.update(utc.to_numpy().view(np.int64).tobytes())
        elif c in ("x", "y"):
            h.update(col.to_numpy(np.float64).tobytes())
        elif c == "police_activity":
            h.update(col.to_numpy(bool).tobytes())
        else:
            h.update("\x1f".join(col.astype(str)).encode())
    return h.hexdigest()


def report_digest(problems: list[Problem]) -> str:
    """SHA-256 of the rejected-row report: every problem, in order, every field."""
    h = hashlib.sha256()
    for p in problems:
        d = p.to_dict()
        h.update(repr(sorted(d.items())).encode())
        h.update(b"\n")
    return h.hexdigest()


def import_digests(folder: Path, kind: str, rows: int) -> dict[str, object]:
    """Import the corpus file into a new demo-county workspace; digests and counts."""
    from drugscenes.demo.region import make_region

    source = write_corpus(folder / "in", rows, kind)
    target = folder / "county.gpkg"
    with create_workspace(target, make_region().municipalities, "Demo") as store:
        result = import_incidents(store, source, crs=CRS[kind])
        stored = store.read_incidents()
        again = import_incidents(store, source, crs=CRS[kind])
        stored_again = store.read_incidents()
    d = result.to_dict()
    return {
        "stored": stored_digest(stored),
        "stored_again": stored_digest(stored_again),
        "report": report_digest(result.read.problems),
        "report_again": report_digest(again.read.problems),
        "counts": {
            k: d[k]
            for k in (
                "format",
                "n_read",
                "n_accepted",
                "n_rejected",
                "rejected_by_reason",
                "accepted_by_category",
                "first_time",
                "last_time",
                "stored_after",
                "notes",
            )
        },
        "again": (again.n_new, again.n_replaced, again.stored_after),
    }


@pytest.mark.parametrize("kind", ["csv", "csv-sv", "parquet"])
def test_import_gives_the_rows_and_report_of_before(tmp_path: Path, kind: str) -> None:
    expected = EXPECTED.get((kind, ROWS))
    if expected is None:
        pytest.skip(f"no digests recorded for {ROWS:,} rows of {kind}")
    got = import_digests(tmp_path, kind, ROWS)
    assert got["counts"] == expected["counts"]
    assert got["report"] == expected["report"]
    assert got["stored"] == expected["stored"]
    # importing the very same file again changes nothing and reports the same rows
    assert got["stored_again"] == expected["stored"]
    assert got["report_again"] == expected["report"]
    counts = expected["counts"]
    assert isinstance(counts, dict)
    assert got["again"] == (0, counts["n_accepted"], counts["stored_after"])
