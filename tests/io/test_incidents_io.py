"""Incident readers: real police events, CSV variants, rejected rows with reasons; the
GeoParquet incident store (idempotent by id, period reads)."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from drugscenes.errors import ColumnError, DataError, UsageError
from drugscenes.io.incidents import PLACE_LEVEL_NOTE, load_categories, parse_times, read_incidents
from drugscenes.store.incidents_parquet import read_incidents as read_store
from drugscenes.store.incidents_parquet import write_incidents

REGION = gpd.GeoDataFrame(
    {"code": ["0180"]}, geometry=[shapely.box(600_000, 6_500_000, 700_000, 6_600_000)], crs=3006
)


def _rejected_rows(res) -> set[int]:  # type: ignore[no-untyped-def]
    return {p.row for p in res.problems if p.severity == "warning"}


@pytest.mark.needs_shared
@pytest.mark.parametrize(
    "name", ["polisen_events_api_stockholm.json", "polisen_events_stockholm.csv"]
)
def test_real_police_events_import(
    shared_data: Path, county_3006: gpd.GeoDataFrame, name: str
) -> None:
    res = read_incidents(shared_data / name, county_3006)
    # every rejected row has a reason, and no accepted row has one
    assert len(_rejected_rows(res)) == res.n_rejected
    assert res.n_read == (2000 if name.endswith(".json") else 9044)
    codes = collections.Counter(p.code for p in res.problems)
    if name.endswith(".csv"):
        # README: 1,464 events only at county level; 5 summaries/notices (Information etc.)
        assert codes["location-county-level"] == 1464
        # README: 7,580 events at municipality level; one of them is a notice type
        # ("Information"/"Uppdatering"/"Upphittat föremål") and is excluded
        assert len(res.incidents) == 7579
        raw = pd.read_csv(shared_data / name)
        exp = (raw["type"].eq("Skottlossning") & ~raw["location_name"].str.endswith(" län")).sum()
        assert (res.incidents["category"] == "shooting").sum() == exp  # README: 59 in all
    assert PLACE_LEVEL_NOTE in res.notes
    inc = res.incidents
    assert inc["incident_id"].is_unique
    assert str(inc["time"].dtype) == "datetime64[ns, UTC]"
    assert set(inc["category"]) <= {"violence", "shooting", "explosion", "drug offence", "other"}
    assert inc.loc[inc["category"] == "drug offence", "police_activity"].all()
    # all Stockholm events sit at the one point of Stockholm municipality (place-level)
    sthlm = inc[inc["municipality_code"] == "0180"]
    assert sthlm[["x", "y"]].drop_duplicates().shape[0] == 1


def test_api_time_form_and_local_times() -> None:
    t, why = parse_times(
        pd.Series(
            [
                "2026-08-22 8:13:44 +02:00",
                "2023-01-05T10:00:00Z",
                "2023-07-01 12:00",
                "2023-10-29 02:30",
                "",
            ]
        )
    )
    assert t.iloc[0] == pd.Timestamp("2026-08-22 06:13:44", tz="UTC")
    assert t.iloc[1] == pd.Timestamp("2023-01-05 10:00", tz="UTC")
    assert t.iloc[2] == pd.Timestamp("2023-07-01 10:00", tz="UTC")  # CEST = UTC+2
    assert why.tolist()[3:] == ["local time does not exist or is ambiguous (DST change)", "no time"]


def test_swedish_excel_csv_with_mapping_and_bad_rows(tmp_path: Path) -> None:
    f = tmp_path / "brott.csv"
    f.write_text(
        "Ärende;Tidpunkt;Brottstyp;E;N\n"
        "1;2023-05-01 10:00;Misshandel;650000,5;6550000,25\n"
        "2;;Rån;650000;6550000\n"
        "3;2023-05-01 11:00;Okänd typ;650000;6550000\n"
        "4;2023-05-01 12:00;Skottlossning;;6550000\n"
        "5;2023-05-01 13:00;Skottlossning;1;1\n"
        "1;2023-05-01 14:00;Rån;650000;6550000\n"
        "6;2023-05-01 15:00;Sammanfattning natt;650000;6550000\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="CRS"):
        read_incidents(f, REGION, columns={"id": "Ärende", "x": "E", "y": "N"})
    res = read_incidents(f, REGION, crs=3006, columns={"id": "Ärende", "x": "E", "y": "N"})
    assert res.incidents["incident_id"].tolist() == ["1"]
    assert res.incidents[["x", "y"]].iloc[0].tolist() == [650000.5, 6550000.25]
    by_row = {p.row: p.code for p in res.problems if p.severity == "warning"}
    assert by_row == {
        2: "time-invalid",
        3: "type-unmapped",
        4: "coordinates-missing",
        5: "outside-region",
        6: "id-duplicate",
        7: "type-excluded",
    }


def test_mistyped_column_option_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "brott.csv"
    f.write_text("Ärende;Tidpunkt;Brottstyp;E;N\n1;2023-05-01 10:00;Rån;650000;6550000\n")
    with pytest.raises(ColumnError) as info:
        read_incidents(f, REGION, crs=3006, columns={"id": "Ärnde", "x": "E", "y": "N"})
    assert str(info.value) == (
        "brott.csv: --id-field: no column 'Ärnde' (did you mean 'Ärende'?); "
        "columns: Ärende, Tidpunkt, Brottstyp, E, N"
    )
    # The same column named in another case is found.
    res = read_incidents(f, REGION, crs=3006, columns={"id": "ÄRENDE", "x": "e", "y": "n"})
    assert res.incidents["incident_id"].tolist() == ["1"]


def test_latlon_csv_and_missing_columns(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text(
        "id,time,category,lat,lon\na,2023-01-01T00:00:00+01:00,violence,59.329324,18.068581\n"
    )
    region = (
        gpd.read_file(
            Path(__file__).parents[2].parent / "shared/data/stockholm_municipalities_3006.geojson"
        )
        if (Path(__file__).parents[2].parent / "shared/data").exists()
        else None
    )
    if region is not None:
        res = read_incidents(f, region)
        assert res.incidents["municipality_code"].tolist() == ["0180"]
        from pyproj import Transformer

        ex, ey = Transformer.from_crs(4326, 3006, always_xy=True).transform(18.068581, 59.329324)
        assert res.incidents[["x", "y"]].iloc[0].tolist() == pytest.approx([ex, ey], abs=1e-6)
    g = tmp_path / "bad.csv"
    g.write_text("foo,bar\n1,2\n")
    with pytest.raises(DataError, match="no column for id"):
        read_incidents(g, REGION)


def test_police_json_shape(tmp_path: Path) -> None:
    f = tmp_path / "events.json"
    f.write_text(
        json.dumps(
            [
                {
                    "id": 1,
                    "datetime": "2026-08-22 8:13:44 +02:00",
                    "name": "x",
                    "summary": "s",
                    "url": "/u",
                    "type": "Skottlossning",
                    "location": {"name": "Stockholm", "gps": "59.329324,18.068581"},
                },
                {
                    "id": 2,
                    "datetime": "2026-08-22 9:00:00 +02:00",
                    "name": "x",
                    "summary": "s",
                    "url": "/u",
                    "type": "Misshandel",
                    "location": {"name": "Stockholm", "gps": ""},
                },
            ]
        )
    )
    region = gpd.GeoDataFrame(
        {"code": ["0180"]}, geometry=[shapely.box(600_000, 6_500_000, 700_000, 6_700_000)], crs=3006
    )
    res = read_incidents(f, region)
    assert res.format == "police-json" and len(res.incidents) == 1
    assert [p.code for p in res.problems if p.severity == "warning"] == ["coordinates-missing"]


def test_default_mapping_documented_choices() -> None:
    m = load_categories()
    assert m.types["skottlossning"] == "shooting"
    assert m.types["skottlossning, misstänkt"] == "other"
    assert m.types["narkotikabrott"] == "drug offence"
    assert "sammanfattning natt" in m.exclude


def test_store_idempotent_and_period_reads(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "incident_id": ["a", "b", "c"],
            "time": pd.to_datetime(
                ["2022-12-31T23:00", "2023-06-01T00:00", "2024-02-01T00:00"], utc=True
            ),
            "source_type": ["Rån"] * 3,
            "category": ["violence"] * 3,
            "x": [1.0, 2.0, 3.0],
            "y": [4.0, 5.0, 6.0],
            "police_activity": [False] * 3,
            "municipality_code": ["0180"] * 3,
        }
    )
    root = tmp_path / "incidents"
    assert write_incidents(root, df) == 3
    assert write_incidents(root, df) == 3  # same ids again: replaced, not duplicated
    moved = df.iloc[[0]].assign(time=pd.Timestamp("2024-03-01", tz="UTC"), category="other")
    assert write_incidents(root, moved) == 3  # id "a" moves from 2022 to 2024
    got = read_store(root, "2023-01-01", "2025-01-01")
    assert sorted(got["incident_id"]) == ["a", "b", "c"]
    assert got.set_index("incident_id").loc["a", "category"] == "other"
    assert read_store(root, "2023-01-01", "2024-01-01")["incident_id"].tolist() == ["b"]
    with pytest.raises(DataError):
        write_incidents(root, df, replace_ids=False)
    assert len(read_store(root)) == 3  # the failed write changed nothing
    # GeoParquet: geopandas reads the WKB geometry with its CRS
    part = next(root.glob("v-*/year=2023/part-0.parquet"))
    g = gpd.read_parquet(part)
    assert g.crs.to_epsg() == 3006 and (g.geometry.x == g["x"]).all()
