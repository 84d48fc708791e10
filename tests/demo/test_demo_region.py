"""The demo county: deterministic, and its rounds have the published sizes."""

from __future__ import annotations

import json

import numpy as np
import shapely

from drugscenes.demo.region import make_region, make_rounds
from helpers import run


def test_region_is_26_valid_municipalities_tiling_the_county():
    region = make_region(7)
    m = region.municipalities
    assert len(m) == 26 and m["code"].is_unique and m["name"].is_unique
    assert m.geometry.is_valid.all()
    # A partition: the areas add up to the area of the union (no overlaps).
    union = shapely.union_all(m.geometry.to_numpy())
    assert abs(m.geometry.area.sum() - union.area) < 1.0  # m²
    assert union.geom_type == "Polygon"
    assert region.stations.geometry.within(union).all()
    assert region.stations["municipality_code"].notna().all()


def test_same_seed_same_demo_other_seed_other_demo():
    a = make_rounds(make_region(11), 11)
    b = make_rounds(make_region(11), 11)
    c = make_rounds(make_region(12), 12)
    for label in a:
        assert a[label].geom_equals(b[label]).all()
        assert list(a[label]["scene_id"]) == list(b[label]["scene_id"])
    assert not np.isclose(a["2023"].area.sum(), c["2023"].area.sum())


def test_rounds_reproduce_the_published_sizes():
    rounds = make_rounds(make_region(2023), 2023)
    n = {k: len(v) for k, v in rounds.items()}
    munis = {k: v["municipality_code"].nunique() for k, v in rounds.items()}
    assert n == {"2021": 64, "2023": 63, "2024": 53}
    assert munis["2024"] == munis["2023"] - 1 == 8  # published: 8 of 26 in 2024
    assert rounds["2024"].area.sum() < rounds["2023"].area.sum()
    ids = {k: set(v["scene_id"]) for k, v in rounds.items()}
    # 2023 -> 2024: no new ids, ten gone.
    assert ids["2024"] <= ids["2023"] and len(ids["2023"] - ids["2024"]) == 10
    # Scenes are small places: a few hundred to some thousand square metres.
    area = rounds["2023"].area
    assert 300 < area.min() and area.max() < 15_000


def test_demo_command_builds_a_workspace(tmp_path):
    code, out, err = run("demo", "--out", tmp_path / "d")
    assert code == 0, err
    assert "53 scenes in 8 of the region's 26 municipalities" in out
    code, out, _ = run("rounds", tmp_path / "d" / "demo.gpkg", "--json")
    rounds = json.loads(out)
    assert [(r["label"], r["n_scenes"]) for r in rounds] == [
        ("2021", 64),
        ("2023", 63),
        ("2024", 53),
    ]
