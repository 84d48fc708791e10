"""The OGC layers computed by the services: ``ceased`` (services.change.compare) and
``candidates`` (services.hotspots), each feature exactly as the service computes it,
and each only for the roles that may read it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

X0, Y0 = 660_000, 6_570_000


@pytest.fixture(scope="module")
def two_rounds(web_url, accounts):
    """Rounds ly-a (2019) and ly-b (2020): scene B of ly-a ceased; a year of incidents
    before ly-b with a dense cluster far from every scene (a candidate place)."""
    from drugscenes.analysis.history import scene_history
    from drugscenes.store import RoundRecord, open_workspace
    from drugscenes.store.base import SCENE_COLUMNS

    squares = {
        "A": box(X0 + 1000, Y0 + 1000, X0 + 1100, Y0 + 1100),
        "B": box(X0 + 3000, Y0 + 1000, X0 + 3100, Y0 + 1100),
        "C": box(X0 + 15000, Y0 + 2000, X0 + 15100, Y0 + 2100),
    }
    with open_workspace(web_url) as store:
        for label, date, ids in (("ly-a", "2019-06-01", "ABC"), ("ly-b", "2020-06-01", "AC")):
            scenes = gpd.GeoDataFrame(
                {
                    "scene_id": list(ids),
                    "name": [f"Plats {i}" for i in ids],
                    "id_given": True,
                    "municipality_code": ["0183" if i == "C" else "0180" for i in ids],
                },
                geometry=[squares[i] for i in ids],
                crs=3006,
            )
            for col in SCENE_COLUMNS:
                if col not in scenes:
                    scenes[col] = None
            scenes["area_m2"] = scenes.area
            store.write_round(
                RoundRecord(label, date, None, f"{label}.gpkg", label),
                scenes,
                replace=False,
                history=scene_history,
            )
        rng = np.random.default_rng(16)
        n_bg, n_hot = 600, 300
        x = np.concatenate([rng.uniform(0, 20_000, n_bg), rng.normal(7000, 60, n_hot)])
        y = np.concatenate([rng.uniform(0, 10_000, n_bg), rng.normal(7000, 60, n_hot)])
        n = n_bg + n_hot
        store.write_incidents(
            pd.DataFrame(
                {
                    "incident_id": [f"ly{k}" for k in range(n)],
                    "time": pd.Timestamp("2019-07-01", tz="UTC")
                    + pd.to_timedelta(rng.uniform(0, 300, n), unit="D"),
                    "source_type": "police",
                    "category": "violence",
                    "x": X0 + x,
                    "y": Y0 + y,
                    "police_activity": False,
                    "municipality_code": np.where(x < 10_000, "0180", "0183"),
                }
            )
        )
    return "ly-a", "ly-b"


def test_ceased_layer_is_the_comparisons(two_rounds, client_for, web_url):
    from drugscenes.services.change import compare
    from drugscenes.store import open_workspace

    first, second = two_rounds
    with open_workspace(web_url) as store:
        result = compare(store, from_round=first, to_round=second, check_hotspots=False)
    expected = sorted(result.comparison.ceased_scenes(result.before)["scene_id"])
    assert expected == ["B"]
    for role in ("viewer", "police_editor", "police_analyst", "survey_analyst", "coordinator"):
        r = client_for(role).get("/ogc/collections/ceased/items", {"round": second})
        assert r.status_code == 200, (role, r.content)
        feats = r.json()["features"]
        assert sorted(f["id"] for f in feats) == expected
        props = feats[0]["properties"]
        assert props["name"] == "Plats B" and props["from_round"] == first
        assert props["to_round"] == second and props["area_m2"] == pytest.approx(10_000)
        lon, lat = feats[0]["geometry"]["coordinates"][0][0][0]
        assert 17 < lon < 19 and 59 < lat < 60
    # the first round has nothing before it: no ceased scene
    r = client_for("viewer").get("/ogc/collections/ceased/items", {"round": first})
    assert r.status_code == 200 and r.json()["features"] == []
    r = client_for("viewer").get("/ogc/collections/ceased/items/B", {"round": second})
    assert r.status_code == 200 and r.json()["properties"]["scene_id"] == "B"


def test_candidates_layer_is_the_hotspot_services(two_rounds, client_for, web_url):
    from drugscenes.periods import Period
    from drugscenes.services.hotspots import hotspots
    from drugscenes.store import open_workspace

    _, second = two_rounds
    with open_workspace(web_url) as store:
        period = Period.before_round(second, store.round_record(second).date)
        expected = hotspots(store, round_label=second, period=period).candidates.candidates
    assert len(expected) >= 1
    analyst = client_for("police_analyst")
    r = analyst.get("/ogc/collections/candidates/items", {"round": second})
    assert r.status_code == 200, r.content
    feats = r.json()["features"]
    assert [f["id"] for f in feats] == list(expected["candidate_id"])
    assert [f["properties"]["count"] for f in feats] == list(expected["count"])
    # the cluster at (7000, 7000) is the first-ranked candidate
    top = expected.geometry.iloc[0]
    assert top.distance(box(X0 + 6990, Y0 + 6990, X0 + 7010, Y0 + 7010)) < 200
    coord = client_for("coordinator").get("/ogc/collections/candidates/items", {"round": second})
    assert [f["id"] for f in coord.json()["features"]] == list(expected["candidate_id"])
    cols = {c["id"] for c in analyst.get("/ogc/collections").json()["collections"]}
    assert {"scenes", "ceased", "candidates", "municipalities"} <= cols

    # candidates are the analysts' and the coordinator's only
    for role in ("viewer", "police_editor", "muni_editor", "survey_analyst"):
        c = client_for(role)
        assert c.get("/ogc/collections/candidates/items").status_code == 403, role
        assert c.get("/ogc/collections/candidates").status_code == 403, role
        cols = {col["id"] for col in c.get("/ogc/collections").json()["collections"]}
        assert "candidates" not in cols and "ceased" in cols
