"""`compare` and `history` on the demo county, whose rounds echo the published figures."""

from __future__ import annotations

import json

import pyogrio
import pytest

from drugscenes.demo.build import build_demo
from helpers import run

KEYS = {
    "from_round", "to_round", "n_from", "n_to", "ceased", "new", "persisting", "merged",
    "split", "grown", "shrunk", "new_near_previous", "new_elsewhere", "area_from_m2",
    "area_to_m2", "municipalities_from", "municipalities_to", "scenes",
}  # fmt: skip


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo")).workspace


def test_compare_2021_2023_json(ws):
    code, out, err = run("compare", ws, "2021", "2023", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert KEYS <= set(d)
    assert (d["n_from"], d["n_to"], d["ceased"], d["new"]) == (64, 63, 12, 11)
    assert (d["merged"], d["split"]) == (1, 1)
    # The counting rule: n_to = n_from - ceased + new - lost by merging + gained by splitting.
    assert d["n_to"] == d["n_from"] - d["ceased"] + d["new"] - 1 + 1
    assert d["new_near_previous"] + d["new_elsewhere"] == d["new"]
    statuses = [s["status"] for s in d["scenes"]]
    assert statuses.count("ceased") == 12 and statuses.count("new") == 11
    for s in d["scenes"]:
        assert set(s) >= {"from_ids", "to_ids", "status", "area_from_m2", "area_to_m2"}
        assert isinstance(s["from_ids"], list) and isinstance(s["to_ids"], list)


def test_compare_2023_2024_table_and_gpkg(ws, tmp_path):
    gpkg = tmp_path / "change.gpkg"
    code, out, err = run("compare", ws, "2023", "2024", "--gpkg", gpkg)
    assert code == 0, err
    assert "63" in out and "53" in out
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert any(n.startswith("scenes_") for n in layers) and any(
        n.startswith("ceased_") for n in layers
    )
    code, out, _ = run("compare", ws, "2023", "2024", "--json")
    d = json.loads(out)
    assert (d["ceased"], d["new"], d["municipalities_from"], d["municipalities_to"]) == (
        10,
        0,
        9,
        8,
    )
    assert d["area_to_m2"] < d["area_from_m2"] and d["new_elsewhere"] == 0


def test_history_json_and_one_scene(ws):
    code, out, err = run("history", ws, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["rounds"] == ["2021", "2023", "2024"]
    places = d["places"]
    # The merged place carries the two 2021 ids and the merged 2023 id.
    merged = [p for p in places if len(p["scene_ids"]) == 3 and p["n_rounds"] == 3]
    assert merged
    code, out, _ = run("history", ws, "--scene", "S003", "--json")
    assert code == 0
    assert "S003" in out


def test_unknown_round_exits_1(ws):
    code, _, err = run("compare", ws, "2021", "1999")
    assert code == 1 and "1999" in err


def test_compare_backs_no_new_scenes_elsewhere_with_crime_data(ws):
    # The registry has no new scene in 2024; the demo's incidents hold one growing place
    # that no round registered, far from every ceased scene: the check lists it.
    code, out, err = run("compare", ws, "2023", "2024", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["new_elsewhere"] == 0
    check = d["hotspot_check"]
    assert check["period"]["from"].startswith("2023-02-01")
    assert check["period"]["to"].startswith("2024-02-01")
    [far] = check["candidates_elsewhere"]
    assert far["nearest_ceased_m"] > 1000 and far["nearest_scene_m"] > 2000
    assert far["trend"] == "increasing"
    code, out, _ = run("compare", ws, "2023", "2024", "--no-hotspots", "--json")
    assert json.loads(out)["hotspot_check"] is None
