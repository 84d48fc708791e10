"""Copying a workspace between backends keeps every frame as it was."""

from __future__ import annotations

from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from shapely import box

from drugscenes.analysis.history import scene_history
from drugscenes.store import RoundRecord, SurveyRecord, create_workspace, open_workspace
from drugscenes.store.base import Store
from drugscenes.store.copy import copy_workspace
from helpers import square_region

X0, Y0 = 660_000, 6_570_000


def _scenes(ids: list[str], shift: float) -> gpd.GeoDataFrame:
    n = len(ids)
    geoms = [
        box(X0 + 400 * k + shift, Y0 + 1_000, X0 + 400 * k + shift + 120.5, Y0 + 1_090.25)
        for k in range(n)
    ]
    geoms[0] = shapely.MultiPolygon([geoms[0], box(X0 - 300, Y0, X0 - 250, Y0 + 40)])
    return gpd.GeoDataFrame(
        {
            "scene_id": ids,
            "id_given": [k % 2 == 0 for k in range(n)],
            "name": [f"Plats {i}" for i in ids],
            "municipality_code": ["0180" if k % 3 else "0183" for k in range(n)],
            "activities": ["försäljning"] * n,
            "drug_types": [None, *["cannabis"] * (n - 1)],
            "times_of_day": ["kväll"] * n,
            "source_org": ["polisen"] * n,
            "note": [None] * n,
            "attributes": ['{"a": 1}'] * n,
        },
        geometry=geoms,
        crs=3006,
    )


def _fill(store: Store) -> None:
    rounds = [
        ("2021", "2021-10-01", ["a", "b", "c"], 0.0),
        ("2022", "2022-10-01", ["a", "c", "d"], 30.0),
        ("extra", None, ["e"], 5.0),
    ]
    for label, date, ids, shift in rounds:
        store.write_round(
            RoundRecord(label, date, f"note {label}", f"{label}.gpkg", f"sha-{label}"),
            _scenes(ids, shift),
            replace=False,
            history=scene_history,
        )
    rng = np.random.default_rng(1)
    n = 60
    times = pd.Timestamp("2021-11-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 3 * 365 * 86_400_000_000, n), unit="us"
    )
    store.write_incidents(
        pd.DataFrame(
            {
                "incident_id": [f"p-{k}" for k in range(n)],
                "time": times,
                "source_type": "polisen",
                "category": rng.choice(["narkotika", "våld", "rån"], n),
                "x": X0 + rng.uniform(0, 20_000, n),
                "y": Y0 + rng.uniform(0, 10_000, n),
                "police_activity": rng.random(n) < 0.3,
                "municipality_code": rng.choice(["0180", "0183"], n),
            }
        )
    )
    for year in (2021, 2023):
        m = 25
        unsafe = pd.array(rng.integers(0, 2, m), dtype="Int8")
        unsafe[[2, 7]] = pd.NA
        store.write_survey(
            SurveyRecord(year, m, f"enkat{year}.csv", f"s{year}"),
            pd.DataFrame(
                {
                    "respondent_id": [f"{year}-{k}" for k in range(m)],
                    "x": X0 + rng.uniform(0, 20_000, m),
                    "y": Y0 + rng.uniform(0, 10_000, m),
                    "weight": rng.uniform(0.5, 2, m),
                    "unsafe": unsafe,
                    "stratum": rng.choice(["a", "b"], m),
                    "psu": [f"p{k % 5}" for k in range(m)],
                    "municipality_code": rng.choice(["0180", "0183"], m),
                }
            ),
            replace=False,
        )


def _snapshot(store: Store, survey: bool = True) -> dict[str, object]:
    """Every frame of a workspace, geometry as WKB."""

    def wkb(frame: gpd.GeoDataFrame) -> pd.DataFrame:
        out = pd.DataFrame(frame.drop(columns="geometry"))
        out["wkb"] = shapely.to_wkb(frame.geometry.to_numpy())
        return out

    snap: dict[str, object] = {
        "metadata": store.metadata(),
        "municipalities": wkb(store.municipalities()),
        "rounds": store.rounds(),
        "records": [store.round_record(label) for label in store.round_labels()],
        "history": store.scene_history(),
        "incidents": store.read_incidents()
        .sort_values("incident_id", kind="stable")
        .reset_index(drop=True),
        "count": store.count_incidents(),
    }
    for label in store.round_labels():
        snap[f"scenes {label}"] = wkb(store.round_scenes(label))
    if survey:
        snap["survey years"] = store.survey_years()
        for year in store.survey_years():
            snap[f"survey {year}"] = store.read_survey(year)
            snap[f"survey record {year}"] = store.survey_record(year)
    return snap


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as objects with None for missing (pandas' ``str`` dtype has NaN)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _assert_same(a: dict[str, object], b: dict[str, object], check_dtype: bool = True) -> None:
    """Equal frames; across backends (``check_dtype=False``) equal values."""
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, pd.DataFrame):
            left, right = (value, b[key]) if check_dtype else (_values(value), _values(b[key]))
            pd.testing.assert_frame_equal(left, right, check_dtype=check_dtype, obj=key)
        else:
            assert value == b[key], key


@pytest.fixture
def second_url(postgis_server, postgis_url):
    """A second empty PostGIS database beside ``postgis_url``."""
    name = (urlsplit(postgis_url).path.lstrip("/") + "_copy")[-60:].lstrip("_0123456789")
    url = postgis_server.create_database("c_" + name)
    yield url
    postgis_server.drop_database("c_" + name)


def test_geopackage_to_postgis_to_geopackage_keeps_everything(tmp_path, postgis_url):
    source_path = tmp_path / "source.gpkg"
    with create_workspace(source_path, square_region(), "Testlän") as source:
        _fill(source)
        original = _snapshot(source)
    lines: list[str] = []
    with open_workspace(source_path) as source:
        result = copy_workspace(source, postgis_url, progress=lines.append)
    assert (result.rounds, result.scenes, result.incidents) == (3, 7, 60)
    assert (result.survey_years, result.survey_respondents, result.survey_copied) == (2, 50, True)
    assert result.history_rows == len(original["history"])
    assert any("round 2022" in line for line in lines)
    with open_workspace(postgis_url) as middle:
        in_postgis = _snapshot(middle)
        back = copy_workspace(middle, tmp_path / "back.gpkg")
    assert back.survey_copied
    with open_workspace(tmp_path / "back.gpkg") as copy:
        _assert_same(original, _snapshot(copy))
    # The PostGIS copy holds the same values (dtypes are each backend's own pandas types).
    _assert_same(original, in_postgis, check_dtype=False)


def test_postgis_to_postgis_and_a_source_without_survey_rights(postgis_url, second_url, tmp_path):
    with create_workspace(postgis_url, square_region(), "Testlän") as source:
        _fill(source)
        original = _snapshot(source)
    db = urlsplit(postgis_url).path.lstrip("/")
    role = f"copier_{db}"[:60]
    with psycopg.connect(postgis_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")  # type: ignore[arg-type]
        conn.execute(f"GRANT drugscenes_user TO {role}")  # type: ignore[arg-type]
    parts = urlsplit(postgis_url)
    as_role = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()

    with open_workspace(postgis_url) as source:
        full = copy_workspace(source, second_url)
    assert full.survey_copied and full.survey_reason is None
    with open_workspace(second_url) as copy:
        _assert_same(original, _snapshot(copy))

    with open_workspace(as_role) as source:
        partial = copy_workspace(source, tmp_path / "partial.gpkg")
    assert not partial.survey_copied
    assert "GRANT drugscenes_survey" in (partial.survey_reason or "")
    assert (partial.rounds, partial.incidents, partial.survey_years) == (3, 60, 0)
    with open_workspace(tmp_path / "partial.gpkg") as copy:
        assert copy.survey_years() == []
        _assert_same(
            {k: v for k, v in original.items() if not k.startswith("survey")},
            _snapshot(copy, survey=False),
            check_dtype=False,
        )
