"""Importing a round through the command line: formats, every validation case, idempotence.

Each bad-data case checks the exit status (1), that the message names file, row and
field, and that the workspace file is byte-for-byte unchanged.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely import box

from drugscenes.store import create_workspace, open_workspace
from helpers import digest, run, square_region

X0, Y0 = 660_000, 6_570_000


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws.gpkg"
    create_workspace(path, square_region(), "Test").close()
    return path


def write_csv(path, header: str, rows: list[str], encoding: str = "utf-8") -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)


def wkt_box(x: float, y: float, w: float = 100, h: float = 50) -> str:
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h).wkt


def good_rows() -> list[str]:
    return [
        f"A1;Torget;0180;{wkt_box(1000, 1000)}",
        f"A2;Parken;0180;{wkt_box(3000, 3000, 200, 100)}",
        f"B1;Stationen;0183;{wkt_box(15000, 5000, 40, 40)}",
    ]


HEADER = "scene_id;name;municipality_code;wkt"


def import_csv(ws, path, *extra):
    return run("import", "scenes", ws, path, "--round", "2023", "--crs", "3006", *extra)


def test_hand_made_round_counts_and_areas(ws, tmp_path):
    f = tmp_path / "r.csv"
    write_csv(f, HEADER, good_rows())
    code, out, _ = import_csv(ws, f, "--date", "2023-10-01")
    assert code == 0, out
    code, out, _ = run("summary", ws, "--round", "2023", "--json")
    assert code == 0
    s = json.loads(out)
    assert s["round"] == "2023"
    assert s["n_scenes"] == 3
    assert s["n_municipalities_with_scenes"] == 2
    assert s["n_municipalities"] == 2
    # 100 × 50 + 200 × 100 + 40 × 40
    assert s["total_area_m2"] == pytest.approx(5_000 + 20_000 + 1_600)
    by = {m["code"]: m for m in s["by_municipality"]}
    assert by["0180"] == {"code": "0180", "name": "Stockholm", "n_scenes": 2, "area_m2": 25_000.0}
    assert by["0183"]["n_scenes"] == 1 and by["0183"]["area_m2"] == pytest.approx(1_600)
    assert s["largest_scenes"][0]["scene_id"] == "A2"


def test_swedish_excel_csv_cp1252_semicolons_and_short_codes(ws, tmp_path):
    f = tmp_path / "excel.csv"
    write_csv(
        f,
        "Namn;Kommunkod;Aktiviteter;Övrigt;WKT",
        [
            f"Östra torget;180;bruk, försäljning;känd sedan 2019;{wkt_box(1000, 1000)}",
            f"Hägersten;0183;försäljning;;{wkt_box(12000, 1000)}",
        ],
        encoding="cp1252",
    )
    code, _out, err = import_csv(ws, f)
    assert code == 0, err
    with open_workspace(ws) as store:
        scenes = store.round_scenes("2023").set_index("name")
    assert scenes.loc["Östra torget", "municipality_code"] == "0180"
    assert scenes.loc["Östra torget", "activities"] == "bruk, försäljning"
    assert json.loads(scenes.loc["Östra torget", "attributes"]) == {"Övrigt": "känd sedan 2019"}
    # No id column: ids are generated per municipality and marked as not given.
    assert sorted(scenes["scene_id"]) == ["2023-0180-01", "2023-0183-01"]
    assert not scenes["id_given"].any()


def test_wgs84_geojson_is_converted_to_sweref(ws, tmp_path):
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["A"], "name": ["x"]},
        geometry=[box(X0 + 1000, Y0 + 1000, X0 + 1100, Y0 + 1050)],
        crs=3006,
    )
    f = tmp_path / "wgs.geojson"
    scenes.to_crs(4326).to_file(f, driver="GeoJSON")
    code, _, err = run("import", "scenes", ws, f, "--round", "2023")
    assert code == 0, err
    with open_workspace(ws) as store:
        got = store.round_scenes("2023")
    assert got.crs.to_epsg() == 3006
    assert got["area_m2"].iloc[0] == pytest.approx(5_000, rel=1e-3)
    assert got.geometry.iloc[0].centroid.distance(scenes.geometry.iloc[0].centroid) < 0.01


@pytest.mark.parametrize("fmt", ["GPKG", "ESRI Shapefile", "GeoJSON"])
def test_vector_formats(ws, tmp_path, fmt):
    gdf = gpd.GeoDataFrame(
        {"scene_id": ["A", "B"], "name": ["a", "b"]},
        geometry=[
            box(X0 + 10, Y0 + 10, X0 + 60, Y0 + 60),
            box(X0 + 500, Y0 + 10, X0 + 520, Y0 + 30),
        ],
        crs=3006,
    )
    suffix = {"GPKG": "gpkg", "ESRI Shapefile": "shp", "GeoJSON": "geojson"}[fmt]
    f = tmp_path / f"scenes.{suffix}"
    gdf.to_file(f, driver=fmt)
    code, _, err = run("import", "scenes", ws, f, "--round", "2023")
    assert code == 0, err
    with open_workspace(ws) as store:
        assert store.round_scenes("2023")["area_m2"].sum() == pytest.approx(2_500 + 400)


# ---- every validation case: exit 1, message names file/row/field, workspace unchanged ----


def assert_rejected(ws, f, *args, where: list[str], code_expected: int = 1):
    before = digest(ws)
    code, out, err = run("import", "scenes", ws, f, "--round", "2023", *args)
    assert code == code_expected, (out, err)
    for text in where:
        assert text in err, err
    assert "Traceback" not in err
    assert digest(ws) == before
    with open_workspace(ws) as store:
        assert store.round_labels() == []
    return err


def test_mistyped_field_option_is_a_clear_usage_error(ws, tmp_path):
    f = tmp_path / "r.csv"
    write_csv(f, HEADER, good_rows())
    err = assert_rejected(
        ws,
        f,
        "--crs",
        "3006",
        "--name-field",
        "nman",
        where=[
            "r.csv: --name-field: no column 'nman'",
            "columns: scene_id, name, municipality_code",
        ],
        code_expected=2,
    )
    assert "KeyError" not in err
    # Named in another case, the column is found.
    code, _, err = import_csv(ws, f, "--name-field", "NAME", "--id-field", "Scene_ID")
    assert code == 0, err
    with open_workspace(ws) as store:
        assert sorted(store.round_scenes("2023")["name"]) == ["Parken", "Stationen", "Torget"]


def test_empty_geometry(ws, tmp_path):
    f = tmp_path / "empty.csv"
    write_csv(f, HEADER, [*good_rows(), "A9;Tom;0180;", "A8;Tom;0180;POLYGON EMPTY"])
    err = assert_rejected(
        ws, f, "--crs", "3006", where=["empty.csv, row 4, field 'wkt'", "row 5", "geometry-empty"]
    )
    assert "no geometry" in err


def test_unparseable_wkt(ws, tmp_path):
    f = tmp_path / "bad.csv"
    write_csv(f, HEADER, [*good_rows(), "A9;Trasig;0180;POLYGON((1 2, 3"])
    assert_rejected(ws, f, "--crs", "3006", where=["bad.csv, row 4, field 'wkt'", "not valid WKT"])


def test_points_and_lines_are_refused(ws, tmp_path):
    f = tmp_path / "types.csv"
    write_csv(
        f,
        HEADER,
        [
            *good_rows(),
            f"P1;Punkt;0180;POINT ({X0 + 5} {Y0 + 5})",
            f"L1;Linje;0180;LINESTRING ({X0} {Y0}, {X0 + 9} {Y0 + 9})",
        ],
    )
    err = assert_rejected(
        ws, f, "--crs", "3006", where=["row 4, field 'wkt'", "got Point", "row 5", "got LineString"]
    )
    assert "geometry-type" in err


def test_invalid_polygon_repaired_with_warning(ws, tmp_path):
    # A bow-tie: two triangles of 50 × 50 / 2 each after make_valid.
    x, y = X0 + 1000, Y0 + 1000
    bowtie = f"POLYGON (({x} {y}, {x + 100} {y + 100}, {x + 100} {y}, {x} {y + 100}, {x} {y}))"
    f = tmp_path / "bowtie.csv"
    write_csv(f, HEADER, [f"T1;Fluga;0180;{bowtie}"])
    code, _, err = import_csv(ws, f)
    assert code == 0, err
    assert "geometry-repaired" in err and "Self-intersection" in err and "row 1" in err
    with open_workspace(ws) as store:
        assert store.round_scenes("2023")["area_m2"].iloc[0] == pytest.approx(5_000)


def test_invalid_polygon_without_area_is_refused(ws, tmp_path):
    x, y = X0 + 1000, Y0 + 1000
    flat = f"POLYGON (({x} {y}, {x + 10} {y + 10}, {x + 20} {y + 20}, {x} {y}))"
    f = tmp_path / "flat.csv"
    write_csv(f, HEADER, [*good_rows(), f"F1;Platt;0180;{flat}"])
    assert_rejected(ws, f, "--crs", "3006", where=["row 4, field 'wkt'", "geometry-invalid"])


def test_outside_region(ws, tmp_path):
    f = tmp_path / "far.csv"
    write_csv(f, HEADER, [*good_rows(), f"Z1;Borta;0180;{wkt_box(-50_000, 0)}"])
    err = assert_rejected(ws, f, "--crs", "3006", where=["row 4, field 'wkt'", "outside-region"])
    assert "49.9 km" in err  # the box ends 49,900 m west of the region edge at x0


def test_wgs84_coordinates_declared_projected(ws, tmp_path):
    f = tmp_path / "lonlat.csv"
    write_csv(f, HEADER, ["A1;X;0180;POLYGON ((18.0 59.3, 18.01 59.3, 18.01 59.31, 18.0 59.3))"])
    err = assert_rejected(
        ws, f, "--crs", "3006", where=["lonlat.csv, row 1, field 'wkt'", "look like WGS84"]
    )
    assert "--crs 4326" in err


def test_projected_coordinates_declared_wgs84(ws, tmp_path):
    f = tmp_path / "metres.csv"
    write_csv(f, HEADER, good_rows())
    assert_rejected(
        ws, f, "--crs", "4326", where=["metres.csv, row 1, field 'wkt'", "look projected"]
    )


def test_swapped_latitude_longitude(ws, tmp_path):
    f = tmp_path / "swapped.csv"
    write_csv(f, HEADER, ["A1;X;0180;POLYGON ((59.3 18.0, 59.31 18.0, 59.31 18.01, 59.3 18.0))"])
    assert_rejected(ws, f, "--crs", "4326", where=["row 1", "swapped order"])


def test_duplicate_scene_id(ws, tmp_path):
    f = tmp_path / "dup.csv"
    write_csv(f, HEADER, [*good_rows(), f"A1;Igen;0180;{wkt_box(5000, 5000)}"])
    assert_rejected(
        ws,
        f,
        "--crs",
        "3006",
        where=["dup.csv, row 4, field 'scene_id'", "'A1' occurs more than once", "first at row 1"],
    )


def test_unknown_municipality_code(ws, tmp_path):
    f = tmp_path / "code.csv"
    write_csv(f, HEADER, [*good_rows(), f"A7;Okänd;0999;{wkt_box(5000, 5000)}"])
    assert_rejected(
        ws,
        f,
        "--crs",
        "3006",
        where=["code.csv, row 4, field 'municipality_code'", "'0999' is not in the region"],
    )


def test_municipality_code_far_from_the_scene(ws, tmp_path):
    f = tmp_path / "far_code.csv"
    write_csv(f, HEADER, [f"A1;Fel kommun;0183;{wkt_box(1000, 1000)}"])  # lies 9 km inside 0180
    assert_rejected(
        ws,
        f,
        "--crs",
        "3006",
        where=["row 1, field 'municipality_code'", "code 0183 (Sundbyberg) given", "in 0180"],
    )


def test_overlapping_scenes_warn_but_import(ws, tmp_path):
    f = tmp_path / "overlap.csv"
    write_csv(
        f, HEADER, [f"A1;Ett;0180;{wkt_box(1000, 1000)}", f"A2;Två;0180;{wkt_box(1050, 1000)}"]
    )
    code, _, err = import_csv(ws, f)
    assert code == 0
    assert "overlapping-scenes" in err and "by 2,500 m²" in err


def test_scene_across_border_is_reported_and_takes_largest_share(ws, tmp_path):
    f = tmp_path / "border.csv"
    write_csv(
        f, "scene_id;wkt", [f"A1;{wkt_box(9_900, 1000, 300, 100)}"]
    )  # 100 m in 0180, 200 m in 0183
    code, _, err = import_csv(ws, f)
    assert code == 0
    assert "crosses-border" in err and "0183 Sundbyberg 67 %" in err
    with open_workspace(ws) as store:
        assert store.round_scenes("2023")["municipality_code"].iloc[0] == "0183"


def test_round_exists_refused_unless_replace(ws, tmp_path):
    f1, f2 = tmp_path / "one.csv", tmp_path / "two.csv"
    write_csv(f1, HEADER, good_rows())
    write_csv(f2, HEADER, good_rows()[:2])
    assert import_csv(ws, f1)[0] == 0
    before = digest(ws)
    code, _, err = import_csv(ws, f2)
    assert code == 1 and "exists already" in err and "--replace" in err
    assert digest(ws) == before
    code, out, _ = import_csv(ws, f2, "--replace")
    assert code == 0 and "Replaced" in out
    with open_workspace(ws) as store:
        assert sorted(store.round_scenes("2023")["scene_id"]) == ["A1", "A2"]


def test_reimport_of_the_same_file_changes_nothing(ws, tmp_path):
    f = tmp_path / "r.csv"
    write_csv(f, HEADER, good_rows())
    assert import_csv(ws, f)[0] == 0
    before = digest(ws)
    for extra in ((), ("--replace",)):
        code, out, _ = import_csv(ws, f, *extra)
        assert code == 0 and "nothing changed" in out
        assert digest(ws) == before
    with open_workspace(ws) as store:
        assert len(store.round_scenes("2023")) == 3


def test_usage_errors_exit_2(ws, tmp_path):
    f = tmp_path / "r.csv"
    write_csv(f, HEADER, good_rows())
    code, _, err = run("import", "scenes", ws, f, "--round", "2023")
    assert code == 2 and "--crs" in err
    other = tmp_path / "scenes.xyz"
    other.write_text("x")
    code, _, err = run("import", "scenes", ws, other, "--round", "2023")
    assert code == 2 and "unknown file type" in err
    code, _, err = import_csv(ws, f, "--date", "1 oct")
    assert code == 2 and "ISO date" in err
    code, _, err = run(
        "import", "scenes", ws, tmp_path / "nope.csv", "--round", "2023", "--crs", "3006"
    )
    assert code == 2 and "no such file" in err
    code, _, err = run("import", "scenes", ws, f)
    assert code == 2  # --round missing: Typer's own usage error


def test_problems_file_lists_every_error(ws, tmp_path):
    import csv

    f = tmp_path / "many.csv"
    write_csv(f, HEADER, [*good_rows(), "A9;Tom;0180;", f"A1;Igen;0180;{wkt_box(5000, 5000)}"])
    report = tmp_path / "problems.csv"
    code, _, _ = import_csv(ws, f, "--problems", str(report))
    assert code == 1
    rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert {(r["row"], r["field"], r["code"]) for r in rows} == {
        ("4", "wkt", "geometry-empty"),
        ("5", "scene_id", "duplicate-scene-id"),
    }


def test_wkt_with_z_is_flattened(ws, tmp_path):
    x, y = X0 + 1000, Y0 + 1000
    f = tmp_path / "z.csv"
    write_csv(
        f,
        HEADER,
        [f"A1;Z;0180;POLYGON Z (({x} {y} 5, {x + 10} {y} 5, {x + 10} {y + 10} 5, {x} {y} 5))"],
    )
    assert import_csv(ws, f)[0] == 0
    with open_workspace(ws) as store:
        assert not shapely.has_z(store.round_scenes("2023").geometry.iloc[0])
