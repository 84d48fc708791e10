"""The OpenAPI document describes every route, and the OGC API – Features endpoints
give each role exactly the features it may see."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client


def routes() -> dict[str, set[str]]:
    """Every /api and /ogc route of the URLconf with the methods its view allows."""
    import inspect

    from drugscenes.web import urls

    found: dict[str, set[str]] = {}
    for p in urls.urlpatterns:
        route = str(p.pattern)
        if not route.startswith(("api/", "ogc/")):
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        source = inspect.getsource(p.callback)
        allowed = re.search(r"@api\(([^)]*)\)", source)
        methods = (
            {m.strip().strip('"').lower() for m in allowed.group(1).split(",")}
            if allowed
            else {"get"}
        )
        found[path] = methods
    return found


def test_openapi_describes_every_route(client_for):
    doc = client_for("viewer").get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.0")
    described = {path: set(ops) - {"parameters"} for path, ops in doc["paths"].items()}
    assert described == routes()
    assert Client().get("/api/openapi.json").status_code == 401


@pytest.fixture
def published(client_for, new_label, h):
    """A closed round of one scene (police) and an open one with two organisations'
    observations."""
    coord, police, muni = (client_for(k) for k in ("coordinator", "police_editor", "muni_editor"))
    h.open_round(coord, new_label)
    a = h.observe(police, new_label, h.square(6000, 6000), name="Parken")
    police.post(f"/api/observations/{a['id']}/submit")
    h.send(
        coord,
        f"/api/rounds/{new_label}/scenes",
        {
            "observations": [a["id"]],
            "decision": "accepted",
            "method": "one",
            "observation": a["id"],
            "scene_id": "P-1",
        },
    )
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200
    open_label = new_label + "o"
    h.open_round(coord, open_label)
    mine = h.observe(police, open_label, h.square(7000, 6000))
    theirs = h.observe(muni, open_label, h.square(7500, 6000))
    return new_label, mine["id"], theirs["id"]


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_ogc_features_per_role(published, client_for, accounts):
    label, mine, theirs = published
    viewer, police, coord = (client_for(k) for k in ("viewer", "police_editor", "coordinator"))

    assert "conf/core" in viewer.get("/ogc/conformance").json()["conformsTo"][0]
    ids = {c["id"] for c in viewer.get("/ogc/collections").json()["collections"]}
    assert ids == {"scenes", "ceased", "municipalities"}
    ids = {c["id"] for c in police.get("/ogc/collections").json()["collections"]}
    assert ids == {"scenes", "ceased", "municipalities", "observations"}

    r = viewer.get("/ogc/collections/scenes/items", {"round": label})
    assert r["Content-Type"] == "application/geo+json"
    feats = r.json()["features"]
    assert [f["id"] for f in feats] == ["P-1"] and feats[0]["properties"]["name"] == "Parken"
    lon, lat = feats[0]["geometry"]["coordinates"][0][0][0]
    assert 17 < lon < 19 and 59 < lat < 60  # CRS84: longitude first

    assert viewer.get("/ogc/collections/observations/items").status_code == 403
    own = police.get("/ogc/collections/observations/items").json()["features"]
    assert mine in [f["id"] for f in own] and theirs not in [f["id"] for f in own]
    assert police.get(f"/ogc/collections/observations/items/{theirs}").status_code == 404
    assert police.get(f"/ogc/collections/observations/items/{mine}").status_code == 200
    every = {f["id"] for f in coord.get("/ogc/collections/observations/items").json()["features"]}
    assert {mine, theirs} <= every

    page = viewer.get("/ogc/collections/municipalities/items", {"limit": 1}).json()
    assert page["numberMatched"] == 2 and page["numberReturned"] == 1
    assert [link["rel"] for link in page["links"]] == ["self", "next"]


def test_ogc_with_http_basic(published, accounts):
    _label, _mine, theirs = published
    user = accounts.users["police_editor"]
    user.set_password("basic auth passphrase")
    user.save()
    from axes.utils import reset

    reset(username="police_editor")
    c = Client()
    r = c.get(
        "/ogc/collections/observations/items",
        headers=basic("police_editor", "basic auth passphrase"),
    )
    assert r.status_code == 200
    assert theirs not in [f["id"] for f in r.json()["features"]]
    r = c.get("/ogc/collections", headers=basic("police_editor", "wrong"))
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Basic")
    assert Client().get("/ogc/collections").status_code == 401
