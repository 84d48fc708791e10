"""count_incidents: the row count from the Parquet footers of the live version only."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from drugscenes.demo.incidents import generate_incidents
from drugscenes.store.incidents_parquet import count_incidents, read_incidents, write_incidents
from helpers import square_region


def _incidents(n: int, start: str, end: str, seed: int, prefix: str) -> pd.DataFrame:
    region = square_region()
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["A"]}, geometry=[box(665_000, 6_575_000, 665_100, 6_575_100)], crs=3006
    )
    df = generate_incidents(region, scenes, n, start, end, seed=seed, id_prefix=prefix)
    df["municipality_code"] = "0180"
    return df


def test_count_of_nothing_written_is_zero(tmp_path):
    assert count_incidents(tmp_path / "missing") == 0
    assert count_incidents(tmp_path / "missing") == len(read_incidents(tmp_path / "missing"))


def test_count_matches_rows_read_over_three_years(tmp_path):
    root = tmp_path / "inc"
    written = write_incidents(root, _incidents(3000, "2023-01-01", "2026-01-01", 1, "a-"))
    assert len(list((root / (root / "CURRENT").read_text().strip()).glob("year=*"))) == 3
    assert count_incidents(root) == len(read_incidents(root)) == written == 3000


def test_count_after_reimport_counts_replaced_ids_once(tmp_path):
    root = tmp_path / "inc"
    first = _incidents(2000, "2023-01-01", "2025-01-01", 1, "a-")
    write_incidents(root, first)
    # Re-import 500 stored ids (moved to 2025) plus 700 new ones: 2000 + 700 distinct ids.
    again = _incidents(500, "2025-01-01", "2026-01-01", 2, "a-")
    new = _incidents(700, "2024-01-01", "2025-01-01", 3, "b-")
    write_incidents(root, pd.concat([again, new], ignore_index=True))
    assert count_incidents(root) == len(read_incidents(root)) == 2700


def test_leftover_version_folders_are_not_counted(tmp_path):
    root = tmp_path / "inc"
    write_incidents(root, _incidents(1000, "2023-01-01", "2025-01-01", 1, "a-"))
    live = root / (root / "CURRENT").read_text().strip()
    # What a crash mid-write leaves: a half-built copy beside the live version.
    shutil.copytree(live, root / ".tmp-v-crashed")
    shutil.copytree(live, root / "v-stale")
    assert count_incidents(root) == len(read_incidents(root)) == 1000


def test_large_year_in_two_files_reads_and_replaces_as_one(tmp_path, monkeypatch):
    # a year of more than two row groups is written as two files (two cores); reading,
    # counting and replacing by id see one year, in time order
    import drugscenes.store.incidents_parquet as store

    monkeypatch.setattr(store, "_ROW_GROUP", 100)
    root = tmp_path / "inc"
    df = _incidents(350, "2023-01-01", "2024-01-01", 3, "a-")
    assert write_incidents(root, df) == 350
    live = root / (root / "CURRENT").read_text().strip()
    files = sorted(p.name for p in (live / "year=2023").iterdir())
    assert files == ["part-0.parquet", "part-1.parquet"]
    import pyarrow.parquet as pq

    rows = [pq.ParquetFile(live / "year=2023" / f).metadata.num_rows for f in files]
    assert rows == [200, 150]  # whole row groups in the first file
    back = read_incidents(root)
    assert count_incidents(root) == len(back) == 350
    assert back["time"].is_monotonic_increasing
    assert sorted(back["incident_id"]) == sorted(df["incident_id"])
    # re-import 50 rows (new category) and add another year: still 350 + 10, both files
    changed = df.iloc[:50].assign(category="other")
    assert write_incidents(root, changed) == 350
    later = _incidents(10, "2024-02-01", "2024-03-01", 4, "b-")
    assert write_incidents(root, later) == 360
    back = read_incidents(root).set_index("incident_id")
    assert (back.loc[changed["incident_id"], "category"] == "other").all()
    assert count_incidents(root) == 360


@pytest.mark.parametrize("collide", [False, True])
def test_id_set_membership_is_exact(monkeypatch, collide):
    # membership by hashes, then by text where hashes match: a hash collision (every
    # hash equal, below) never makes an id a member
    import numpy as np
    import pyarrow as pa

    import drugscenes.store.incidents_parquet as store

    if collide:
        monkeypatch.setattr(store, "text_hashes", lambda a: np.zeros(len(a), dtype=np.uint64))
    stored = ["a", "b", "å", "x" * 70, "c1", "c2"]
    asked = ["a", "B", "å", "x" * 70, "x" * 69, None, "c2", "", "c3"]
    got = store._IdSet(pa.array(stored)).contains(pa.array(asked, pa.string()))
    assert got.tolist() == [v in set(stored) for v in asked]
    assert store._IdSet(pa.array([], pa.string())).contains(pa.array(["a"])).tolist() == [False]


def test_first_by_time_is_a_stable_sort_split():
    # the rows of the first file are those a stable sort by time puts first, ties included
    import numpy as np

    from drugscenes.store.incidents_parquet import _first_by_time

    rng = np.random.default_rng(5)
    for times in (rng.integers(0, 7, 101), rng.integers(0, 10**9, 101), np.zeros(50, int)):
        for k in (1, 17, len(times) // 2, len(times) - 1):
            want = np.zeros(len(times), dtype=bool)
            want[np.argsort(times, kind="stable")[:k]] = True
            assert (_first_by_time(times, k) == want).all()
