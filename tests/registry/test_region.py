"""Creating a workspace from the real Stockholm county boundaries (../shared/data)."""

from __future__ import annotations

import json

import pytest

from drugscenes.store import open_workspace
from helpers import run, square_region


def areas(ws) -> dict[str, float]:
    with open_workspace(ws) as store:
        m = store.municipalities()
    return dict(zip(m["code"], m.geometry.area, strict=True))


def test_real_county_wgs84_and_sweref_files_agree(shared_data, tmp_path):
    a = tmp_path / "a.gpkg"
    b = tmp_path / "b.gpkg"
    code, out, err = run(
        "init", a, "--municipalities", shared_data / "stockholm_municipalities.geojson", "--json"
    )
    assert code == 0, err
    info = json.loads(out)
    assert info["n_municipalities"] == 26 and info["source_crs"] == "EPSG:4326"
    code, _, err = run(
        "init", b, "--municipalities", shared_data / "stockholm_municipalities_3006.geojson"
    )
    assert code == 0, err
    area_a, area_b = areas(a), areas(b)
    assert sorted(area_a) == sorted(area_b)
    assert len(area_a) == 26 and min(area_a) == "0114" and max(area_a) == "0192"
    for code_ in area_a:
        assert area_a[code_] == pytest.approx(area_b[code_], rel=1e-3)
    # The data README: 11,465 km² in all, Stockholm 212 km², Sundbyberg 9 km².
    assert sum(area_b.values()) / 1e6 == pytest.approx(11_465, abs=1)
    assert area_b["0180"] / 1e6 == pytest.approx(212, abs=0.5)
    with open_workspace(b) as store:
        names = dict(
            zip(store.municipalities()["code"], store.municipalities()["name"], strict=True)
        )
    assert names["0180"] == "Stockholm" and names["0181"] == "Södertälje"


def test_init_refuses_to_overwrite_and_names_missing_columns(tmp_path, shared_data):
    ws = tmp_path / "ws.gpkg"
    src = shared_data / "stockholm_municipalities_3006.geojson"
    assert run("init", ws, "-m", src)[0] == 0
    code, _, err = run("init", ws, "-m", src)
    assert code == 1 and "exists already" in err
    assert run("init", ws, "-m", src, "--overwrite")[0] == 0
    code, _, err = run("init", tmp_path / "x.gpkg", "-m", src, "--code-field", "kommunkod")
    assert code == 2 and "no column 'kommunkod'" in err


def test_init_rejects_duplicate_codes_and_leaves_no_file(tmp_path):
    region = square_region()
    region.loc[1, "code"] = "0180"
    src = tmp_path / "dup.geojson"
    region.to_file(src, driver="GeoJSON")
    ws = tmp_path / "ws.gpkg"
    code, _, err = run("init", ws, "-m", src)
    assert code == 1
    assert "dup.geojson, row 2, field 'code'" in err and "code 0180 also at row 1" in err
    assert not ws.exists()


def test_scene_at_a_real_station_gets_its_municipality(shared_data, stations_3006, tmp_path):
    ws = tmp_path / "ws.gpkg"
    assert run("init", ws, "-m", shared_data / "stockholm_municipalities_3006.geojson")[0] == 0
    picks = stations_3006[
        stations_3006["name"].isin(["Rinkeby T-bana", "Södertälje centrum station"])
    ]
    assert len(picks) == 2
    scenes = picks.copy()
    scenes["geometry"] = picks.geometry.buffer(60)
    f = tmp_path / "stations.gpkg"
    scenes[["name", "geometry"]].to_file(f, driver="GPKG")
    code, _, err = run("import", "scenes", ws, f, "--round", "2023")
    assert code == 0, err
    with open_workspace(ws) as store:
        got = store.round_scenes("2023")
        munis = store.municipalities()
    codes = dict(zip(got["name"], got["municipality_code"], strict=True))
    assert codes == {"Rinkeby T-bana": "0180", "Södertälje centrum station": "0181"}
    assert set(munis["code"]) >= set(codes.values())
