"""The GeoPackage workspace: layers GDAL can read, schema version, transactions."""

from __future__ import annotations

import sqlite3

import numpy as np
import pyogrio
import pytest
import shapely
from shapely import box

from drugscenes.errors import DataError, NotFoundError, WorkspaceError
from drugscenes.store import RoundRecord, create_workspace, gpkg_blob, open_workspace
from drugscenes.store.base import SURVEY_DTYPES, typed
from helpers import digest, square_region


def _scenes(ids: list[str], boxes: list[tuple[float, float, float, float]]):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "scene_id": ids,
            "id_given": True,
            "name": [f"place {i}" for i in ids],
            "municipality_code": "0180",
        },
        geometry=[box(*b) for b in boxes],
        crs=3006,
    )


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws.gpkg"
    create_workspace(path, square_region(), "Test").close()
    return path


def test_layers_are_ordinary_geopackage_layers(ws):
    with open_workspace(ws) as store:
        store.write_round(
            RoundRecord("2023", "2023-10-01", None, "f.gpkg", "x"),
            _scenes(["a"], [(661_000, 6_571_000, 661_100, 6_571_050)]),
            replace=False,
        )
    layers = {name: gtype for name, gtype in pyogrio.list_layers(ws)}
    assert layers["municipalities"] == "MultiPolygon"
    assert layers["scene_observations"] == "MultiPolygon"
    for table in ("rounds", "scenes", "ds_metadata"):
        assert layers[table] is None
    info = pyogrio.read_info(ws, layer="scene_observations")
    assert info["crs"] == "EPSG:3006"
    assert info["features"] == 1
    # GDAL sees the R-tree spatial index we maintain from Python.
    assert info["capabilities"]["fast_spatial_filter"]
    gdf = pyogrio.read_dataframe(ws, layer="scene_observations")
    assert gdf.loc[0, "scene_id"] == "a"
    assert gdf.geometry.iloc[0].area == pytest.approx(100 * 50)
    # A spatial filter through GDAL uses the R-tree and finds the scene.
    hit = pyogrio.read_dataframe(
        ws, layer="scene_observations", bbox=(661_050, 6_571_010, 661_060, 6_571_020)
    )
    miss = pyogrio.read_dataframe(
        ws, layer="scene_observations", bbox=(665_000, 6_575_000, 665_010, 6_575_010)
    )
    assert (len(hit), len(miss)) == (1, 0)
    rtree = (
        sqlite3.connect(ws)
        .execute("SELECT minx, maxx, miny, maxy FROM rtree_scene_observations_geom")
        .fetchall()
    )
    assert rtree == [pytest.approx((661_000, 661_100, 6_571_000, 6_571_050), abs=0.01)]


def test_blob_round_trip_including_empty_and_missing():
    geoms = np.array([box(0, 0, 1, 2), None, shapely.Polygon()], dtype=object)
    blobs = gpkg_blob.encode(geoms, 3006)
    assert blobs[1] is None
    back = gpkg_blob.decode(blobs)
    assert shapely.equals(back[0], geoms[0])
    assert back[1] is None
    assert back[2].is_empty


def test_unknown_schema_version_is_refused(ws):
    conn = sqlite3.connect(ws)
    conn.execute("UPDATE ds_metadata SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match=r"schema version '99'.*reads version 2"):
        open_workspace(ws)


def test_not_a_workspace(tmp_path):
    plain = tmp_path / "plain.gpkg"
    square_region().to_file(plain, driver="GPKG")
    with pytest.raises(WorkspaceError, match="not a drugscenes workspace"):
        open_workspace(plain)
    junk = tmp_path / "junk.gpkg"
    junk.write_text("hello")
    with pytest.raises(WorkspaceError, match="not a GeoPackage"):
        open_workspace(junk)
    with pytest.raises(WorkspaceError, match="no workspace at"):
        open_workspace(tmp_path / "missing.gpkg")


def test_failed_write_leaves_workspace_unchanged(ws, monkeypatch):
    with open_workspace(ws) as store:
        store.write_round(
            RoundRecord("2021"), _scenes(["a"], [(661_000, 6_571_000, 661_100, 6_571_100)]), False
        )
    before = digest(ws)
    with open_workspace(ws) as store:

        def boom() -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(store, "_refresh_registry", boom)
        with pytest.raises(RuntimeError):
            store.write_round(
                RoundRecord("2023"),
                _scenes(["b", "c"], [(661_000, 6_571_000, 661_100, 6_571_100)] * 2),
                False,
            )
    assert digest(ws) == before
    with open_workspace(ws) as store:
        assert store.round_labels() == ["2021"]
        with pytest.raises(NotFoundError, match="no round '2023'"):
            store.round_scenes("2023")


def test_existing_round_needs_replace_and_replace_does_not_duplicate(ws):
    with open_workspace(ws) as store:
        store.write_round(
            RoundRecord("2023"),
            _scenes(
                ["a", "b"],
                [
                    (661_000, 6_571_000, 661_100, 6_571_100),
                    (662_000, 6_571_000, 662_100, 6_571_100),
                ],
            ),
            False,
        )
        with pytest.raises(DataError, match="exists already"):
            store.write_round(
                RoundRecord("2023"),
                _scenes(["a"], [(661_000, 6_571_000, 661_100, 6_571_100)]),
                False,
            )
        store.write_round(
            RoundRecord("2023"), _scenes(["a"], [(661_000, 6_571_000, 661_050, 6_571_100)]), True
        )
        scenes = store.round_scenes("2023")
        assert list(scenes["scene_id"]) == ["a"]
        assert scenes["area_m2"].iloc[0] == pytest.approx(5_000)
    rows = (
        sqlite3.connect(ws)
        .execute("SELECT scene_id, first_round, last_round, n_rounds FROM scenes")
        .fetchall()
    )
    assert rows == [("a", "2023", "2023", 1)]


def test_registry_tracks_first_and_last_round(ws):
    with open_workspace(ws) as store:
        geo = [(661_000, 6_571_000, 661_100, 6_571_100)]
        store.write_round(RoundRecord("2021", "2021-10-01"), _scenes(["a"], geo), False)
        store.write_round(RoundRecord("2023", "2023-10-01"), _scenes(["a", "b"], geo * 2), False)
        store.write_round(RoundRecord("2024", "2024-02-01"), _scenes(["b"], geo), False)
        assert store.round_labels() == ["2021", "2023", "2024"]
    rows = (
        sqlite3.connect(ws)
        .execute("SELECT scene_id, first_round, last_round, n_rounds FROM scenes ORDER BY scene_id")
        .fetchall()
    )
    assert rows == [("a", "2021", "2023", 2), ("b", "2023", "2024", 2)]


def test_history_is_written_in_the_round_transaction_and_typed(ws):
    import pandas as pd

    seen = []

    def history(frames):
        seen.append([label for label, _ in frames])
        return pd.DataFrame(
            {
                "place_id": [f"{label}:a" for label, _ in frames],
                "round": [label for label, _ in frames],
                "round_index": range(len(frames)),
                "scene_id": "a",
                "id_given": 1,  # a backend's integer comes back as a bool
                "municipality_code": "0180",
                "area_m2": 10.5,
                "came_back": 0,
            }
        )

    geo = [(661_000, 6_571_000, 661_100, 6_571_100)]
    with open_workspace(ws) as store:
        assert store.scene_history().empty
        store.write_round(RoundRecord("2023", "2023-10-01"), _scenes(["a"], geo), False, history)
        store.write_round(RoundRecord("2021", "2021-05-01"), _scenes(["a"], geo), False, history)
        back = store.scene_history()
    assert seen == [["2023"], ["2021", "2023"]]  # chronological, the new round included
    assert back["round"].tolist() == ["2021", "2023"]
    assert back["id_given"].dtype == bool and back["came_back"].dtype == bool
    assert back["round_index"].dtype == "int64"
    assert "scene_history" in {n for n, _ in pyogrio.list_layers(ws)}


def test_a_failing_history_leaves_no_round(ws):
    geo = [(661_000, 6_571_000, 661_100, 6_571_100)]

    def broken(frames):
        raise RuntimeError("history failed")

    before = digest(ws)
    with open_workspace(ws) as store, pytest.raises(RuntimeError):
        store.write_round(RoundRecord("2023"), _scenes(["a"], geo), False, broken)
    assert digest(ws) == before


def _respondents():
    import pandas as pd

    return pd.DataFrame(
        {
            "respondent_id": ["r1", "r2"],
            "x": [661_000.5, 662_000.25],
            "y": [6_571_000.0, 6_572_000.0],
            "weight": [1.5, 2.0],
            "unsafe": [1, None],
            "stratum": ["0180", "0180"],
            "psu": [None, "p2"],
            "municipality_code": ["0180", "0180"],
        }
    )


def test_survey_lives_in_its_own_file_readable_by_its_owner_only(ws):
    import os
    import stat

    import pandas as pd

    from drugscenes.store import SurveyRecord

    resp = _respondents()
    survey_file = ws.with_name("ws.survey.gpkg")
    with open_workspace(ws) as store:
        assert store.survey_years() == [] and not survey_file.exists()
        store.write_survey(SurveyRecord(2023, 2, "s.csv", "abc"), resp, replace=False)
        with pytest.raises(DataError, match="survey year 2023 exists already"):
            store.write_survey(SurveyRecord(2023, 2, "s.csv", "abc"), resp, replace=False)
        store.write_survey(SurveyRecord(2023, 1, "t.csv", "def"), resp.iloc[1:], replace=True)
        back = store.read_survey(2023)
        assert store.survey_years() == [2023]
        assert store.survey_record(2023).source_sha256 == "def"
        with pytest.raises(NotFoundError, match="no survey year 2022"):
            store.read_survey(2022)
    assert stat.S_IMODE(os.stat(survey_file).st_mode) == 0o600
    # The shared workspace holds no trace of the microdata.
    assert b"r2" not in ws.read_bytes() and b"p2" not in ws.read_bytes()
    assert back["unsafe"].dtype == "Int8" and back["unsafe"].isna().tolist() == [True]
    assert back[["respondent_id", "x", "psu"]].to_dict(orient="records") == [
        {"respondent_id": "r2", "x": 662_000.25, "psu": "p2"}
    ]
    assert isinstance(back, pd.DataFrame)


def test_an_unreadable_survey_file_blocks_survey_jobs_only(ws):
    from drugscenes.errors import SurveyAccessError

    ws.with_name("ws.survey.gpkg").write_bytes(b"not a geopackage at all" * 100)
    with open_workspace(ws) as store:
        assert store.round_labels() == []
        with pytest.raises(SurveyAccessError, match="survey file"):
            store.survey_years()


def test_a_version_1_workspace_is_refused_and_migrated(ws):
    import pandas as pd

    from drugscenes.store.gpkg import migrate_workspace

    # A version-1 workspace: survey tables inside the shared file.
    conn = sqlite3.connect(ws)
    conn.executescript(
        """
        CREATE TABLE survey_years (fid INTEGER PRIMARY KEY, year INTEGER NOT NULL UNIQUE,
          n_respondents INTEGER NOT NULL, source_file TEXT, source_sha256 TEXT,
          imported_at TEXT NOT NULL);
        CREATE TABLE survey_respondents (fid INTEGER PRIMARY KEY, year INTEGER NOT NULL,
          respondent_id TEXT NOT NULL, x REAL NOT NULL, y REAL NOT NULL, weight REAL NOT NULL,
          unsafe INTEGER, stratum TEXT, psu TEXT, municipality_code TEXT);
        INSERT INTO survey_years VALUES (1, 2023, 2, 's.csv', 'abc', '2024-01-01T00:00:00Z');
        INSERT INTO survey_respondents VALUES
          (1, 2023, 'secret-r1', 661000.5, 6571000, 1.5, 1, '0180', NULL, '0180'),
          (2, 2023, 'secret-r2', 662000.25, 6572000, 2.0, NULL, '0180', 'p2', '0180');
        UPDATE ds_metadata SET value = '1' WHERE key = 'schema_version';
        """
    )
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="drugscenes migrate"):
        open_workspace(ws)
    result = migrate_workspace(ws)
    assert (result.from_version, result.to_version, result.survey_years) == ("1", "2", (2023,))
    assert b"secret-r1" not in ws.read_bytes()  # vacuumed: no page of microdata remains
    with open_workspace(ws) as store:
        back = store.read_survey(2023)
        assert store.survey_record(2023).imported_at == "2024-01-01T00:00:00Z"
    expected = _respondents().assign(respondent_id=["secret-r1", "secret-r2"])
    pd.testing.assert_frame_equal(back, typed(expected, SURVEY_DTYPES))
    assert migrate_workspace(ws).from_version == "2"  # a second run changes nothing


def test_ogrinfo_reads_the_workspace_without_warnings(ws):
    import shutil
    import subprocess

    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo is not installed")
    res = subprocess.run([ogrinfo, "-so", "-al", str(ws)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr and "ERROR" not in res.stderr
    assert "Layer name: municipalities" in res.stdout
    assert "Geometry: Multi Polygon" in res.stdout
    assert 'ID["EPSG",3006]' in res.stdout


def test_feature_counts_for_gdal_and_qgis_stay_right(ws):
    # QGIS trusts gpkg_ogr_contents; without it a layer filtered by round is miscounted.
    geo = [(661_000, 6_571_000, 661_100, 6_571_100)]
    with open_workspace(ws) as store:
        store.write_round(RoundRecord("2021"), _scenes(["a", "b"], geo * 2), False)
        store.write_round(RoundRecord("2023"), _scenes(["a"], geo), False)
        store.delete_round("2021")
    counts = dict(sqlite3.connect(ws).execute("SELECT * FROM gpkg_ogr_contents").fetchall())
    assert counts["scene_observations"] == 1 and counts["rounds"] == 1
    assert counts["municipalities"] == 2 and counts["scenes"] == 1
    info = pyogrio.read_info(ws, layer="scene_observations")
    assert info["features"] == 1
    # Attribute tables have an integer primary key (GeoPackage requirement 119).
    cols = sqlite3.connect(ws).execute("PRAGMA table_info(ds_metadata)").fetchall()
    assert [c[1] for c in cols if c[5]] == ["fid"] and cols[0][2] == "INTEGER"
