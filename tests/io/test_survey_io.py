"""Reading survey microdata: formats, encodings, answer coding and every bad-row case."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from drugscenes.errors import ColumnError, DataError, UsageError
from drugscenes.io.survey import AnswerMapping, SurveyColumns, read_survey

REGION = gpd.GeoDataFrame(
    {"code": ["0180", "0181"], "name": ["Stockholm", "Södertälje"]},
    geometry=[
        shapely.box(660_000, 6_570_000, 680_000, 6_590_000),
        shapely.box(680_000, 6_570_000, 700_000, 6_590_000),
    ],
    crs=3006,
)


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "s.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _codes(result: object) -> list[tuple[int | None, str]]:
    return [(p.row, p.code) for p in result.problems if p.severity == "error"]  # type: ignore[attr-defined]


def test_plain_csv_with_ordinal_answers(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        (
            "respondent_id,x,y,weight,answer,stratum,psu\n"
            "a1,670000.5,6580000,1.5,Mycket otrygg,0180,1\n"
            "a2,670100,6580100,2,ganska  trygg,0180,1\n"
            "a3,685000,6575000,3,Vet ej,0181,2\n"
            "a4,685100,6575100,1,4,0181,2\n"
            "a5,685200,6575200,1,1,0181,3\n"
        ),
    )
    r = read_survey(p, region=REGION)
    assert r.errors == [] and r.answer_scale == "ordinal"
    df = r.respondents
    assert df.columns.tolist() == [
        "respondent_id",
        "x",
        "y",
        "weight",
        "unsafe",
        "stratum",
        "psu",
        "municipality_code",
    ]
    assert df["unsafe"].tolist() == [1, 0, pd.NA, 1, 0]
    assert df["municipality_code"].tolist() == ["0180", "0180", "0181", "0181", "0181"]
    assert df["x"].iloc[0] == 670000.5 and df["weight"].tolist() == [1.5, 2, 3, 1, 1]
    warn = [(q.row, q.code, q.severity) for q in r.problems if q.severity == "warning"]
    assert warn == [(3, "answer-missing", "warning")]


def test_swedish_excel_csv_semicolon_decimal_comma_cp1252(tmp_path: Path) -> None:
    text = (
        "Löpnr;X_koord;Y_koord;Vikt;Fråga 12;Stratum\n"
        "1;670 000,25;6580000,5;1,25;Ganska otrygg;Södertälje\n"
        "2;670001;6580001;0,75;Mycket trygg;Södertälje\n"
        "3;670002;6580002;2;Mycket trygg;Stockholm\n"
        "4;670003;6580003;2;Ganska otrygg;Stockholm\n"
    )
    cols = SurveyColumns(
        respondent_id="löpnr",
        x="x_koord",
        y="y_koord",
        weight="vikt",
        answer="fråga 12",
        stratum="stratum",
    )
    for encoding in ("cp1252", "utf-8-sig"):
        r = read_survey(_write(tmp_path, text, encoding), columns=cols)
        assert r.errors == []
        df = r.respondents
        assert df["x"].tolist()[:2] == [670000.25, 670001.0]
        assert df["y"].iloc[0] == 6580000.5 and df["weight"].tolist() == [1.25, 0.75, 2, 2]
        assert df["stratum"].tolist() == ["Södertälje", "Södertälje", "Stockholm", "Stockholm"]
        assert df["unsafe"].tolist() == [1, 0, 0, 1]
        assert df["psu"].isna().all()


def test_lat_lon_converted_to_sweref(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "respondent_id,lat,lon,weight,answer\nk,59.3300,18.0586,1,0\nm,59.31,18.07,1,1\n"
    )
    r = read_survey(p)
    assert r.answer_scale == "binary" and r.respondents["unsafe"].tolist() == [0, 1]
    # Oracle: geopandas' own reprojection of the same points.
    ref = gpd.GeoSeries(gpd.points_from_xy([18.0586, 18.07], [59.33, 59.31]), crs=4326).to_crs(3006)
    np.testing.assert_allclose(r.respondents["x"], ref.x, atol=1e-6)
    np.testing.assert_allclose(r.respondents["y"], ref.y, atol=1e-6)
    assert 673_500 < r.respondents["x"].iloc[0] < 674_500  # Stockholm Central, about E 674 km


def test_xy_in_another_crs(tmp_path: Path) -> None:
    tr = Transformer.from_crs(3006, 3857, always_xy=True)
    x, y = tr.transform(675_000.0, 6_580_000.0)
    p = _write(tmp_path, f"respondent_id,x,y,weight,answer\n1,{x},{y},1,1\n")
    r = read_survey(p, crs=3857)
    assert r.respondents["x"].iloc[0] == pytest.approx(675_000.0, abs=1e-4)
    assert r.respondents["y"].iloc[0] == pytest.approx(6_580_000.0, abs=1e-4)


def test_geopackage_points_in_wgs84(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "respondent_id": ["a", "b", "c"],
            "weight": [1.0, 2.0, 1.0],
            "answer": ["mycket otrygg", "ganska trygg", "ganska trygg"],
        },
        geometry=[shapely.Point(18.0586, 59.33), shapely.Point(18.07, 59.31), None],
        crs=4326,
    )
    p = tmp_path / "s.gpkg"
    gdf.to_file(p, driver="GPKG")
    r = read_survey(p)
    assert _codes(r) == [(3, "location-missing")]
    ref = gdf.geometry.iloc[:2].to_crs(3006)
    bad = r.errors
    assert bad[0].field == "geometry"
    # The clean frame keeps the two good rows.
    clean = read_survey(p).respondents
    np.testing.assert_allclose(clean["x"], ref.x, atol=1e-6)
    assert clean["unsafe"].tolist() == [1, 0]


def test_every_bad_row_is_reported_with_its_reason(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        (
            "respondent_id,x,y,weight,answer,stratum,psu\n"
            "ok1,670000,6580000,1,ganska otrygg,A,1\n"  # 1 fine
            ",670000,6580000,1,ganska otrygg,A,1\n"  # 2 no id
            "ok1,670000,6580000,1,ganska otrygg,A,1\n"  # 3 duplicate id
            "r4,,6580000,1,ganska otrygg,A,1\n"  # 4 no location
            "r5,abc,6580000,1,ganska otrygg,A,1\n"  # 5 location not a number
            "r6,500000,6580000,1,ganska otrygg,A,1\n"  # 6 outside the region
            "r7,670000,6580000,0,ganska otrygg,A,1\n"  # 7 weight 0
            "r8,670000,6580000,-2,ganska otrygg,A,1\n"  # 8 weight negative
            "r9,670000,6580000,,ganska otrygg,A,1\n"  # 9 weight missing
            "r10,670000,6580000,x,ganska otrygg,A,1\n"  # 10 weight not a number
            "r11,670000,6580000,1,ibland,A,1\n"  # 11 unknown answer
            "r12,670000,6580000,1,vet ej,A,1\n"  # 12 vet ej -> warning only
            "r13,670000,6580000,1,ganska otrygg,,1\n"  # 13 stratum missing
            "r14,670000,6580000,1,ganska otrygg,A,\n"  # 14 psu missing
            "r15,670000,6580000,1,,A,1\n"  # 15 empty answer -> warning only
        ),
    )
    r = read_survey(p, region=REGION)
    assert _codes(r) == [
        (2, "id-missing"),
        (3, "id-duplicate"),
        (4, "location-missing"),
        (5, "location-invalid"),
        (6, "location-outside-region"),
        (7, "weight-not-positive"),
        (8, "weight-not-positive"),
        (9, "weight-missing"),
        (10, "weight-invalid"),
        (11, "answer-unknown"),
        (13, "stratum-missing"),
        (14, "psu-missing"),
    ]
    warnings = [(q.row, q.code) for q in r.problems if q.severity == "warning"]
    assert warnings == [(12, "answer-missing"), (15, "answer-missing")]
    # the row and field are named, never the answer itself (personal data)
    assert "ibland" not in next(q.message for q in r.problems if q.code == "answer-unknown")
    assert r.respondents["respondent_id"].tolist() == ["ok1", "r12", "r15"]
    with pytest.raises(DataError, match="12 problem"):
        r.raise_for_errors()
    # Messages name rows and fields, never the respondent's id or coordinates.
    for q in r.problems:
        assert "ok1" not in str(q) and "670000" not in str(q) and "6580000" not in str(q)


def test_answer_mapping_is_configurable(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "respondent_id,x,y,weight,svar\n1,1,1,1,Otrygg\n2,2,2,1,Trygg\n3,3,3,1,Ej svar\n"
    )
    amap = AnswerMapping(unsafe=("otrygg",), safe=("trygg",), missing=("ej svar",))
    r = read_survey(p, columns=SurveyColumns(answer="svar"), answers=amap)
    assert r.errors == [] and r.respondents["unsafe"].tolist() == [1, 0, pd.NA]
    # The default mapping rejects them.
    assert [q.code for q in read_survey(p, columns=SurveyColumns(answer="SVAR")).errors] == [
        "answer-unknown",
        "answer-unknown",
        "answer-unknown",
    ]
    with pytest.raises(UsageError, match="twice"):
        AnswerMapping(unsafe=("a",), safe=("a",))


def test_binary_and_ordinal_codes(tmp_path: Path) -> None:
    p = _write(tmp_path, "respondent_id,x,y,weight,answer\n1,1,1,1,1\n2,2,2,1,0\n3,3,3,1,1.0\n")
    r = read_survey(p)
    assert r.answer_scale == "binary" and r.respondents["unsafe"].tolist() == [1, 0, 1]
    assert any(q.code == "answer-scale" and q.severity == "info" for q in r.problems)
    # The same file read as questionnaire codes: 1 = very safe, 0 unknown.
    r2 = read_survey(p, answers=AnswerMapping(scale="ordinal"))
    assert [q.code for q in r2.errors] == ["answer-unknown"]
    assert r2.respondents["unsafe"].tolist() == [0, 0]


def test_missing_columns_and_unknown_types(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="weight"):
        read_survey(_write(tmp_path, "respondent_id,x,y,answer\n1,1,1,0\n"))
    with pytest.raises(DataError, match="lat/lon"):
        read_survey(_write(tmp_path, "respondent_id,weight,answer\n1,1,0\n"))
    with pytest.raises(UsageError, match="file type"):
        read_survey(_write(tmp_path, "x", name="s.xlsx"))


def test_mistyped_column_option_is_a_clear_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "respondent_id;x;y;vikt;answer;strat\n1;1;1;1;1;a\n")
    with pytest.raises(ColumnError) as info:
        read_survey(p, columns=SurveyColumns(weight="vitk"))
    assert str(info.value) == (
        "s.csv: --weight-column: no column 'vitk' (did you mean 'vikt'?); "
        "columns: respondent_id, x, y, vikt, answer, strat"
    )
    # An optional design column named wrongly is an error too, not silently left out.
    with pytest.raises(ColumnError, match="--stratum-column: no column 'stratum_id'"):
        read_survey(p, columns=SurveyColumns(weight="vikt", stratum="stratum_id"))
    r = read_survey(p, columns=SurveyColumns(weight="VIKT", stratum="Strat"))
    assert r.errors == [] and r.respondents["stratum"].tolist() == ["a"]


def test_same_file_and_options_have_the_same_fingerprint(tmp_path: Path) -> None:
    p = _write(tmp_path, "respondent_id,x,y,weight,answer\n1,1,1,1,1\n2,2,2,1,0\n")
    a, b = read_survey(p), read_survey(p)
    assert a.source_sha256 == b.source_sha256 and len(a.source_sha256) == 64
    assert read_survey(p, crs=3857).source_sha256 != a.source_sha256
