"""The storage contract (drugscenes.store.base.Store), one suite for every backend.

Each test runs against a GeoPackage file and against a PostGIS database (a fresh one
per test on the session's throwaway server, see ``postgis_url`` in conftest.py).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from drugscenes.analysis.history import scene_history
from drugscenes.errors import DataError, NotFoundError, WorkspaceError
from drugscenes.store import (
    SCHEMA_VERSION,
    IncidentWrite,
    RoundRecord,
    SurveyRecord,
    create_workspace,
    open_workspace,
)
from drugscenes.store.base import (
    HISTORY_DTYPES,
    INCIDENT_COLUMNS,
    INCIDENT_DTYPES,
    ROUND_COLUMNS,
    SCENE_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_DTYPES,
    typed,
)
from helpers import square_region

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
X0, Y0 = 660_000, 6_570_000


@pytest.fixture(params=["geopackage", "postgis"])
def target(request, tmp_path):
    """Where a workspace is made: a GeoPackage path or an empty PostGIS database."""
    if request.param == "geopackage":
        return tmp_path / "ws.gpkg"
    return request.getfixturevalue("postgis_url")


@pytest.fixture
def store(target):
    with create_workspace(target, square_region(), "Test") as s:
        yield s


def scenes(ids: list[str], offsets: list[int], **columns) -> gpd.GeoDataFrame:
    """Scenes as boxes of 100 m x (50 + 10 k) m at X0 + offset, with every contract column."""
    n = len(ids)
    data = {
        "scene_id": ids,
        "id_given": [k % 2 == 0 for k in range(n)],
        "name": [f"place {i}" for i in ids],
        "municipality_code": ["0180"] * n,
        "area_m2": [0.0] * n,  # recomputed from the geometry by the store
        "activities": ["sale;use"] * n,
        "drug_types": [None] * n,
        "times_of_day": ["evening"] * n,
        "source_org": ["police"] * n,
        "note": [None if k % 2 else f"note {k}" for k in range(n)],
        "attributes": ['{"district": "Norrmalm", "n": 3}'] * n,
    }
    data.update(columns)
    geoms = [
        box(X0 + o, Y0 + 1_000, X0 + o + 100, Y0 + 1_050 + 10 * k) for k, o in enumerate(offsets)
    ]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=3006)


def incidents(ids: list[str], times: list[str], category: str = "narkotika") -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "incident_id": ids,
            "time": pd.to_datetime(times, utc=True, format="ISO8601"),
            "source_type": ["police"] * n,
            "category": [category] * n,
            "x": X0 + 1_000.5 + 10.25 * np.arange(n),
            "y": Y0 + 2_000.125 + 3.5 * np.arange(n),
            "police_activity": [k % 3 == 0 for k in range(n)],
            "municipality_code": [None if k == 1 else "0180" for k in range(n)],
        }
    )


def respondents(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unsafe = pd.array(rng.integers(0, 2, n), dtype="Int8")
    unsafe[1] = pd.NA  # no usable answer ("vet ej"): kept as missing
    return pd.DataFrame(
        {
            "respondent_id": [f"r{seed}-{k}" for k in range(n)],
            "x": X0 + rng.uniform(0, 20_000, n),
            "y": Y0 + rng.uniform(0, 10_000, n),
            "weight": rng.uniform(0.5, 3.0, n),
            "unsafe": unsafe,
            "stratum": ["0180" if k % 2 else "0183" for k in range(n)],
            "psu": [f"p{k % 4}" for k in range(n)],
            "municipality_code": ["0180" if k % 2 else "0183" for k in range(n)],
        }
    )


def by_id(frame: pd.DataFrame, key: str = "incident_id") -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def assert_dtypes(frame: pd.DataFrame, dtypes: dict[str, str], columns=None) -> None:
    cols = list(columns or dtypes)
    assert list(frame.columns) == cols
    assert {c: str(frame[c].dtype) for c in cols} == {c: dtypes[c] for c in cols}


# -- region ---------------------------------------------------------------------------
def test_metadata_and_municipalities_round_trip(target):
    region = square_region()
    with create_workspace(target, region, "Testlän") as store:
        assert store.backend in ("geopackage", "postgis")
        assert store.target
    with open_workspace(target) as store:
        meta = store.metadata()
        assert meta["schema_version"] == str(SCHEMA_VERSION)
        assert meta["region_name"] == "Testlän"
        assert meta["crs"] == "EPSG:3006"
        assert ISO_UTC.match(meta["created_at"])
        assert meta["created_by"].startswith("drugscenes")
        munis = store.municipalities()
    assert isinstance(munis, gpd.GeoDataFrame)
    assert munis.crs.to_epsg() == 3006
    assert list(munis.columns) == ["code", "name", "geometry"]
    assert munis["code"].tolist() == ["0180", "0183"]
    assert munis["name"].tolist() == ["Stockholm", "Sundbyberg"]
    assert set(munis.geom_type) == {"MultiPolygon"}
    for got, want in zip(munis.geometry, region.geometry, strict=True):
        assert got.equals(want)
        assert got.area == want.area


def test_given_creation_metadata_is_kept(target):
    given = {"created_at": "2019-05-04T03:02:01.123456Z", "created_by": "drugscenes 0.0.1"}
    with create_workspace(target, square_region(), "R", metadata=given) as store:
        meta = store.metadata()
    assert {k: meta[k] for k in given} == given


def test_open_without_workspace_is_a_workspace_error(target):
    with pytest.raises(WorkspaceError):
        open_workspace(target)


def test_create_refuses_an_existing_workspace_unless_overwrite(target):
    with create_workspace(target, square_region(), "Old") as store:
        store.write_round(RoundRecord("2023"), scenes(["a"], [0]), replace=False)
        store.write_incidents(incidents(["i1"], ["2023-05-01T10:00:00Z"]))
        store.write_survey(SurveyRecord(2023), respondents(5), replace=False)
    with pytest.raises(WorkspaceError, match="overwrite"):
        create_workspace(target, square_region(), "New")
    with open_workspace(target) as store:
        assert store.metadata()["region_name"] == "Old"
    with create_workspace(target, square_region(), "New", overwrite=True) as store:
        assert store.metadata()["region_name"] == "New"
        assert store.round_labels() == []
        assert store.count_incidents() == 0
        assert store.survey_years() == []
        assert store.scene_history().empty


# -- rounds and scenes ------------------------------------------------------------------
def test_write_and_read_a_round(store):
    given = scenes(["c", "a", "b"], [0, 500, 1_000])
    given.loc[1, "geometry"] = shapely.MultiPolygon([given.geometry[1]])
    store.write_round(
        RoundRecord("2023", "2023-10-01", "first", "scenes.gpkg", "abc"), given, replace=False
    )
    got = store.round_scenes("2023")
    assert isinstance(got, gpd.GeoDataFrame)
    assert got.crs.to_epsg() == 3006
    assert list(got.columns) == [*SCENE_COLUMNS, "geometry"]
    assert got["scene_id"].tolist() == ["a", "b", "c"]
    assert str(got["id_given"].dtype) == "bool"
    assert str(got["area_m2"].dtype) == "float64"
    assert set(got.geom_type) == {"MultiPolygon"}
    want = given.set_index("scene_id").loc[["a", "b", "c"]]
    for g, w in zip(got.geometry, want.geometry, strict=True):
        assert g.equals(w)
    np.testing.assert_array_equal(got["area_m2"], shapely.area(want.geometry.to_numpy()))
    assert got["id_given"].tolist() == want["id_given"].tolist()
    for col in ("name", "municipality_code", "activities", "times_of_day", "attributes"):
        assert got[col].tolist() == want[col].tolist()
    assert got["drug_types"].isna().all()
    assert got["note"].isna().tolist() == want["note"].isna().tolist()

    rounds = store.rounds()
    assert list(rounds.columns) == ROUND_COLUMNS
    row = rounds.iloc[0]
    assert (row["label"], row["date"], row["note"], int(row["n_scenes"])) == (
        "2023",
        "2023-10-01",
        "first",
        3,
    )
    assert pd.api.types.is_integer_dtype(rounds["n_scenes"])
    assert (row["source_file"], row["source_sha256"]) == ("scenes.gpkg", "abc")
    assert ISO_UTC.match(row["imported_at"])
    record = store.round_record("2023")
    assert record == RoundRecord(
        "2023", "2023-10-01", "first", "scenes.gpkg", "abc", row["imported_at"]
    )
    assert store.round_record("1999") is None


def test_imported_at_is_kept_when_given(store):
    when = "2021-03-04T05:06:07.089000Z"
    store.write_round(RoundRecord("2021", imported_at=when), scenes(["a"], [0]), replace=False)
    assert store.round_record("2021").imported_at == when
    assert store.rounds()["imported_at"].tolist() == [when]


def test_an_existing_round_is_refused_without_replace(store):
    store.write_round(RoundRecord("2023", "2023-10-01"), scenes(["a", "b"], [0, 500]), False)
    before = store.round_scenes("2023")
    with pytest.raises(DataError, match="exists already"):
        store.write_round(RoundRecord("2023", "2023-10-02"), scenes(["x"], [0]), replace=False)
    pd.testing.assert_frame_equal(store.round_scenes("2023"), before)
    assert store.round_record("2023").date == "2023-10-01"

    store.write_round(RoundRecord("2023", "2023-11-01"), scenes(["x"], [0]), replace=True)
    assert store.round_scenes("2023")["scene_id"].tolist() == ["x"]
    assert store.round_record("2023").date == "2023-11-01"
    assert store.rounds()["n_scenes"].tolist() == [1]


def test_delete_round_and_unknown_rounds(store):
    store.write_round(RoundRecord("2022"), scenes(["a"], [0]), replace=False)
    store.write_round(RoundRecord("2023"), scenes(["b"], [0]), replace=False)
    store.delete_round("2022")
    assert store.round_labels() == ["2023"]
    with pytest.raises(NotFoundError):
        store.round_scenes("2022")
    with pytest.raises(NotFoundError):
        store.delete_round("2022")
    assert store.round_scenes("2023")["scene_id"].tolist() == ["b"]


def test_rounds_are_in_chronological_order(store):
    for label, date in [("b", None), ("2023", "2023-10-01"), ("a", "2021-05-01"), ("Z", None)]:
        store.write_round(RoundRecord(label, date), scenes([label], [0]), replace=False)
    # by date, a round without one by its label (code point order: "Z" < "b"), then label
    assert store.rounds()["label"].tolist() == ["a", "2023", "Z", "b"]
    store.write_round(RoundRecord("a", "2030-01-01"), scenes(["a"], [0]), replace=True)
    assert store.round_labels() == ["2023", "a", "Z", "b"]
    store.write_round(RoundRecord("b", "2000-01-01"), scenes(["b"], [0]), replace=True)
    assert store.round_labels() == ["b", "2023", "a", "Z"]


def test_history_callback_sees_every_round_in_order(store):
    assert_dtypes(store.scene_history(), HISTORY_DTYPES)
    calls: list[list[str]] = []

    def history(frames):
        calls.append([label for label, _ in frames])
        for _, frame in frames:
            assert isinstance(frame, gpd.GeoDataFrame)
            assert frame["scene_id"].tolist() == sorted(frame["scene_id"])
        return scene_history(frames)

    store.write_round(
        RoundRecord("2023", "2023-10-01"), scenes(["a", "b"], [0, 3_000]), False, history
    )
    store.write_round(RoundRecord("2021", "2021-10-01"), scenes(["a"], [0]), False, history)
    store.write_round(RoundRecord("2024", "2024-10-01"), scenes(["c"], [5]), False, history)
    assert calls == [["2023"], ["2021", "2023"], ["2021", "2023", "2024"]]

    stored = store.scene_history()
    assert_dtypes(stored, HISTORY_DTYPES)
    frames = [(label, store.round_scenes(label)) for label in store.round_labels()]
    pd.testing.assert_frame_equal(stored, typed(scene_history(frames), HISTORY_DTYPES))
    assert stored["round"].unique().tolist() == ["2021", "2023", "2024"]

    # Without a callback the stored history stays as it was.
    store.write_round(RoundRecord("2025", "2025-10-01"), scenes(["d"], [0]), False)
    pd.testing.assert_frame_equal(store.scene_history(), stored)
    store.delete_round("2025", history)
    assert calls[-1] == ["2021", "2023", "2024"]


def test_a_failed_write_leaves_nothing_behind(store):
    store.write_round(RoundRecord("2022", "2022-10-01"), scenes(["a"], [0]), False, scene_history)
    before_rounds = store.rounds()
    before_scenes = store.round_scenes("2022")
    before_history = store.scene_history()

    def broken(frames):
        raise RuntimeError("history failed")

    with pytest.raises(RuntimeError, match="history failed"):
        store.write_round(RoundRecord("2023", "2023-10-01"), scenes(["b"], [0]), False, broken)
    with pytest.raises(RuntimeError, match="history failed"):
        store.write_round(RoundRecord("2022", "2022-10-01"), scenes(["z"], [0]), True, broken)
    with pytest.raises(RuntimeError, match="history failed"):
        store.delete_round("2022", broken)
    pd.testing.assert_frame_equal(store.rounds(), before_rounds)
    pd.testing.assert_frame_equal(store.round_scenes("2022"), before_scenes)
    pd.testing.assert_frame_equal(store.scene_history(), before_history)
    assert store.round_record("2023") is None

    # Scenes that cannot be stored (an id twice): nothing of the round is stored.
    with pytest.raises(DataError):
        store.write_round(RoundRecord("2024"), scenes(["q", "q"], [0, 500]), False)
    assert store.round_record("2024") is None
    pd.testing.assert_frame_equal(store.rounds(), before_rounds)


# -- incidents -----------------------------------------------------------------------------
TIMES = [
    "2023-03-01T08:00:00Z",
    "2023-12-31T22:59:59.999999Z",  # 23:59:59.999999 in Stockholm: still 2023 there
    "2023-12-31T23:00:00Z",  # midnight in Stockholm: 2024 there, 2023 in UTC
    "2024-01-01T00:00:00Z",
    "2024-06-15T12:34:56.123456Z",
]


def test_write_and_read_incidents(store):
    assert store.count_incidents() == 0
    assert_dtypes(store.read_incidents(), INCIDENT_DTYPES)
    data = incidents([f"i{k}" for k in range(5)], TIMES)
    assert store.write_incidents(data) == IncidentWrite(0, 5)
    assert store.count_incidents() == 5

    got = store.read_incidents()
    assert_dtypes(got, INCIDENT_DTYPES)
    pd.testing.assert_frame_equal(by_id(got), typed(data, INCIDENT_DTYPES))

    # [start, end) with timezone-aware bounds: local calendar year 2024 in Stockholm.
    start = pd.Timestamp("2024-01-01", tz="Europe/Stockholm")
    end = pd.Timestamp("2025-01-01", tz="Europe/Stockholm")
    period = store.read_incidents(start, end)
    assert sorted(period["incident_id"]) == ["i2", "i3", "i4"]
    assert sorted(store.read_incidents(end=start)["incident_id"]) == ["i0", "i1"]
    utc_2023 = store.read_incidents(
        pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC")
    )
    assert sorted(utc_2023["incident_id"]) == ["i0", "i1", "i2"]
    exact = store.read_incidents(pd.Timestamp(TIMES[3]), pd.Timestamp(TIMES[4]))
    assert exact["incident_id"].tolist() == ["i3"]

    cols = store.read_incidents(start, end, columns=["time", "x", "category"])
    assert_dtypes(cols, INCIDENT_DTYPES, ["time", "x", "category"])
    assert len(cols) == 3
    empty = store.read_incidents(pd.Timestamp("2030-01-01", tz="UTC"), columns=["x", "time"])
    assert_dtypes(empty, INCIDENT_DTYPES, ["x", "time"])
    assert len(empty) == 0


def test_rewriting_incidents_replaces_by_id(store):
    data = incidents([f"i{k}" for k in range(5)], TIMES)
    store.write_incidents(data)
    before = by_id(store.read_incidents())

    assert store.write_incidents(data) == IncidentWrite(5, 5)
    pd.testing.assert_frame_equal(by_id(store.read_incidents()), before)

    # i0 moves from 2023 to 2025 with another category; i9 is new.
    moved = incidents(["i0", "i9"], ["2025-02-01T00:00:00Z", "2023-04-01T00:00:00Z"], "våld")
    assert store.write_incidents(moved) == IncidentWrite(5, 6)
    got = by_id(store.read_incidents())
    assert got["incident_id"].tolist() == ["i0", "i1", "i2", "i3", "i4", "i9"]
    i0 = got.set_index("incident_id").loc["i0"]
    assert i0["category"] == "våld"
    assert i0["time"] == pd.Timestamp("2025-02-01", tz="UTC")
    in_2023 = store.read_incidents(
        pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC")
    )
    assert sorted(in_2023["incident_id"]) == ["i1", "i2", "i9"]
    assert store.count_incidents() == 6


def test_repeated_incident_ids_are_refused_and_nothing_is_written(store):
    store.write_incidents(incidents(["i0"], TIMES[:1]))
    bad = incidents(["i1", "i2", "i1"], TIMES[1:4])
    with pytest.raises(DataError):
        store.write_incidents(bad)
    assert store.count_incidents() == 1
    assert store.read_incidents()["incident_id"].tolist() == ["i0"]


def test_incident_columns_follow_the_contract(store):
    store.write_incidents(incidents(["i0", "i1"], TIMES[:2]))
    got = store.read_incidents()
    assert list(got.columns) == INCIDENT_COLUMNS
    assert got["municipality_code"].isna().sum() == 1
    assert got["police_activity"].tolist() in ([True, False], [False, True])


# -- survey ---------------------------------------------------------------------------------
def test_survey_write_read_and_records(store):
    assert store.survey_years() == []
    assert store.survey_record(2023) is None
    data = respondents(40)
    store.write_survey(SurveyRecord(2023, 40, "enkat.csv", "sha1"), data, replace=False)
    store.write_survey(SurveyRecord(2021, 12, "e21.csv", "sha0"), respondents(12, 1), False)
    assert store.survey_years() == [2021, 2023]

    got = store.read_survey(2023)
    assert_dtypes(got, SURVEY_DTYPES)
    assert list(got.columns) == SURVEY_COLUMNS
    pd.testing.assert_frame_equal(got, typed(data, SURVEY_DTYPES))
    assert got["unsafe"].isna().sum() == 1
    assert pd.isna(got.loc[1, "unsafe"])

    record = store.survey_record(2023)
    assert (record.year, record.n_respondents, record.source_file, record.source_sha256) == (
        2023,
        40,
        "enkat.csv",
        "sha1",
    )
    assert ISO_UTC.match(record.imported_at)

    with pytest.raises(DataError, match="exists already"):
        store.write_survey(SurveyRecord(2023), respondents(3, 2), replace=False)
    pd.testing.assert_frame_equal(store.read_survey(2023), got)
    when = "2022-02-02T02:02:02.020202Z"
    store.write_survey(SurveyRecord(2023, 3, "new.csv", "sha2", when), respondents(3, 2), True)
    assert len(store.read_survey(2023)) == 3
    assert store.survey_record(2023) == SurveyRecord(2023, 3, "new.csv", "sha2", when)

    with pytest.raises(NotFoundError):
        store.read_survey(1999)


def test_a_failed_survey_write_leaves_nothing(store):
    bad = respondents(5)
    bad.loc[3, "respondent_id"] = bad.loc[0, "respondent_id"]
    with pytest.raises(DataError):
        store.write_survey(SurveyRecord(2023), bad, replace=False)
    assert store.survey_years() == []
