"""Bad input through the app gets a clear message and changes nothing: invalid
geometry, a polygon outside the municipality or the region, a file of the wrong kind, an
oversize upload, another organisation's observation, stale versions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


def snapshot():
    """Everything the app stores: observations (with version) and audit entries."""
    from drugscenes.web.models import AuditEntry, Observation

    return (
        sorted(Observation.objects.values_list("id", "version", "note")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def round_label(client_for, new_label, h):
    h.open_round(client_for("coordinator"), new_label)
    return new_label


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [
            [660100, 6570100],
            [660200, 6570200],
            [660200, 6570100],
            [660100, 6570200],
            [660100, 6570100],
        ]
    ],
}


@pytest.mark.parametrize(
    ("who", "payload", "message"),
    [
        ("police_editor", {"geometry": BOWTIE, "crs": 3006}, "invalid polygon (Self-intersection"),
        (
            "police_editor",
            {"geometry": {"type": "Point", "coordinates": [1, 2]}, "crs": 3006},
            "must be a Polygon or MultiPolygon, not a Point",
        ),
        (
            "police_editor",
            {"geometry": {"type": "Polygon", "coordinates": "x"}, "crs": 3006},
            "unreadable coordinates",
        ),
        # 0183 lies east of 0180: the municipality's editor may not draw there
        ("muni_editor", {"geometry": "EAST", "crs": 3006}, "outside municipality 0180"),
        ("police_editor", {"geometry": "FAR", "crs": 3006}, "outside the region"),
        ("police_editor", {"geometry": "WGS", "crs": 4326}, "not longitude/latitude"),
        ("police_editor", {"geometry": "SQUARE", "crs": 3021}, "unknown crs"),
        (
            "police_editor",
            {"geometry": "SQUARE", "crs": 3006, "criteria": {"open_sale": "maybe"}},
            "open_sale must be one of",
        ),
        (
            "police_editor",
            {"geometry": "SQUARE", "crs": 3006, "colour": "red"},
            "unknown field(s): colour",
        ),
        ("police_editor", {"crs": 3006}, "an outline is required"),
    ],
)
def test_bad_observation_is_refused(who, payload, message, client_for, round_label, h):
    geometries = {
        "EAST": h.square(12_000, 1000),
        "FAR": h.square(90_000, 1000),
        "WGS": h.square(1000, 1000),  # metres given as longitude/latitude
        "SQUARE": h.square(1000, 1000),
    }
    if isinstance(payload.get("geometry"), str):
        payload = {**payload, "geometry": geometries[payload["geometry"]]}
    before = snapshot()
    r = h.send(client_for(who), f"/api/rounds/{round_label}/observations", payload)
    assert r.status_code == 400, r.content
    assert message in r.json()["error"]
    assert snapshot() == before


def test_another_organisations_observation_is_not_found(client_for, round_label, h):
    police, muni = client_for("police_editor"), client_for("muni_editor")
    obs = h.observe(police, round_label, h.square(500, 500))
    before = snapshot()
    for r in (
        muni.get(f"/api/observations/{obs['id']}"),
        h.send(muni, f"/api/observations/{obs['id']}", {"version": 1, "note": "x"}, "patch"),
        muni.delete(f"/api/observations/{obs['id']}"),
        muni.post(f"/api/observations/{obs['id']}/submit"),
    ):
        assert r.status_code == 404 and r.json()["error"] == "no such observation"
    assert snapshot() == before
    listed = muni.get(f"/api/rounds/{round_label}/observations").json()["observations"]
    assert obs["id"] not in [o["id"] for o in listed]


def test_stale_version_is_a_conflict(client_for, round_label, h):
    police = client_for("police_editor")
    obs = h.observe(police, round_label, h.square(700, 700))
    url = f"/api/observations/{obs['id']}"
    assert h.send(police, url, {"version": 1, "note": "first"}, "patch").status_code == 200
    before = snapshot()
    r = h.send(police, url, {"version": 1, "note": "lost update"}, "patch")
    assert r.status_code == 409 and "changed meanwhile (version 2" in r.json()["error"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scenes.exe", b"MZ\x90\x00", "a file of the wrong kind (.exe)"),
        ("scenes.geojson", b"this is not json", "scenes.geojson: not a readable vector file"),
        ("scenes.gpkg", b"%PDF-1.4 not a geopackage", "scenes.gpkg"),
    ],
)
def test_bad_upload_is_refused(name, content, message, client_for, round_label):
    before = snapshot()
    r = client_for("police_editor").post(
        f"/api/rounds/{round_label}/upload", {"file": SimpleUploadedFile(name, content)}
    )
    assert r.status_code == 400, r.content
    assert message in r.json()["error"]
    assert snapshot() == before


def test_upload_outside_the_municipality_saves_nothing(client_for, round_label, h):
    import json

    from shapely import box

    features = [
        {
            "type": "Feature",
            "properties": {"name": f"s{k}"},
            "geometry": box(660_000 + x, 6_571_000, 660_000 + x + 50, 6_571_050).__geo_interface__,
        }
        for k, x in enumerate((1000, 15_000))  # the second lies in 0183
    ]
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": features,
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
        }
    )
    before = snapshot()
    r = client_for("muni_editor").post(
        f"/api/rounds/{round_label}/upload",
        {"file": SimpleUploadedFile("s.geojson", data.encode())},
    )
    assert r.status_code == 400
    assert "feature 2" in r.json()["error"] and "outside municipality 0180" in r.json()["error"]
    assert snapshot() == before


def test_oversize_upload_is_refused_before_reading(client_for, round_label):
    """A 200 MB upload: 413 with the limit in the message, nothing saved."""
    before = snapshot()
    big = SimpleUploadedFile("scenes.geojson", b"0" * (200 * 1024 * 1024))
    r = client_for("police_editor").post(f"/api/rounds/{round_label}/upload", {"file": big})
    assert r.status_code == 413
    assert "too large: at most 20,971,520 bytes" in r.json()["error"]
    assert snapshot() == before


def test_decision_on_observations_of_another_round_is_refused(
    client_for, round_label, h, new_label
):
    coord, police = client_for("coordinator"), client_for("police_editor")
    other = new_label + "x"
    h.open_round(coord, other)
    obs = h.observe(police, other, h.square(900, 900))
    police.post(f"/api/observations/{obs['id']}/submit")
    before = snapshot()
    r = h.send(
        coord,
        f"/api/rounds/{round_label}/scenes",
        {"observations": [obs["id"]], "decision": "accepted", "method": "union"},
    )
    assert r.status_code == 400
    assert f"observations not in round {round_label}: [{obs['id']}]" == r.json()["error"]
    assert snapshot() == before
