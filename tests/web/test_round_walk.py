"""The round walked through the API: two organisations outline the same place
differently, the coordinator sees their agreement, accepts one outline and closes the
round; the workspace then holds that round with the accepted geometry."""

from __future__ import annotations

import shapely


def test_round_walk(client_for, new_label, h, web_url):
    from drugscenes.store import open_workspace

    coord = client_for("coordinator")
    police, muni = client_for("police_editor"), client_for("muni_editor")
    h.open_round(coord, new_label)

    # The same square, the municipality's shifted 50 m east: IoU 50/150 = 1/3.
    a = h.observe(
        police,
        new_label,
        h.square(1000, 1000),
        name="Torget",
        criteria={
            "persistent": "yes",
            "open_use": "yes",
            "open_sale": "unknown",
            "creates_unsafety": "yes",
        },
        activities=["sale"],
    )
    b = h.observe(muni, new_label, h.square(1050, 1000), name="Torget (kommunen)")
    assert a["status"] == b["status"] == "draft"
    assert a["municipality_code"] == b["municipality_code"] == "0180"

    # Drafts are the organisations' own: the coordinator's reconciliation shows none yet.
    r = coord.get(f"/api/rounds/{new_label}/reconciliation")
    assert r.status_code == 200 and r.json()["places"] == []

    for client, obs in ((police, a), (muni, b)):
        r = client.post(f"/api/observations/{obs['id']}/submit")
        assert r.status_code == 200 and r.json()["status"] == "submitted"

    rec = coord.get(f"/api/rounds/{new_label}/reconciliation").json()
    assert len(rec["places"]) == 1
    place = rec["places"][0]
    assert place["observations"] == sorted([a["id"], b["id"]])
    assert place["pairs"][0]["iou"] == round(1 / 3, 4)
    # Each drew 50 m × 100 m that the other did not.
    assert place["only_by"] == {"Polisen": 5000.0, "Stockholms stad": 5000.0}
    assert place["only_one_m2"] == 10000.0
    assert place["disagreement"] is True and rec["disagreements"] == [0]

    r = h.send(
        coord,
        f"/api/rounds/{new_label}/scenes",
        {
            "observations": [a["id"], b["id"]],
            "decision": "accepted",
            "method": "one",
            "observation": a["id"],
            "scene_id": "S-1",
            "comment": "polisens avgränsning",
        },
    )
    assert r.status_code == 201, r.content
    r = coord.post(f"/api/rounds/{new_label}/close")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "closed" and r.json()["stored"]["n_scenes"] == 1

    with open_workspace(web_url) as store:
        stored = store.round_scenes(new_label)
        record = store.round_record(new_label)
    assert record is not None and record.date == "2025-03-01"
    assert list(stored["scene_id"]) == ["S-1"]
    accepted = shapely.box(h.X0 + 1000, h.Y0 + 1000, h.X0 + 1100, h.Y0 + 1100)
    assert stored.geometry.iloc[0].symmetric_difference(accepted).area < 1e-6
    assert stored["source_org"].iloc[0] == "Polisen; Stockholms stad"

    # Closed means frozen: no edit, no new observation, no second close.
    r = h.send(police, f"/api/observations/{a['id']}", {"version": 99, "note": "x"}, "patch")
    assert r.status_code == 409
    r = h.send(
        police,
        f"/api/rounds/{new_label}/observations",
        {"geometry": h.square(3000, 3000), "crs": 3006},
    )
    assert r.status_code == 409
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 409

    # The published round is the viewer's; its figures are the store's inventory.
    from drugscenes.services.workspace import inventory

    report = client_for("viewer").get(f"/api/report/{new_label}")
    assert report.status_code == 200, report.content
    assert report.json()["n_scenes"] == 1
    with open_workspace(web_url) as store:  # the very figures the CLI's `summary` prints
        expected = inventory(store, round_label=new_label).to_dict()
    assert report.json()["total_area_m2"] == expected["total_area_m2"] == 10000.0

    # The scene's history across rounds, as `drugscenes history --scene S-1` gives it.
    from drugscenes.services.change import history

    r = client_for("police_analyst").get("/api/results/history", {"scene": "S-1"})
    assert r.status_code == 200, r.content
    # (other tests' rounds may hold scenes at the same place: the place has them too)
    mine = [o for o in r.json()["observations"] if o["round"] == new_label]
    assert [o["scene_id"] for o in mine] == ["S-1"]
    with open_workspace(web_url) as store:
        assert len(r.json()["places"]) == len(history(store, scene_id="S-1").places) == 1


def test_reopen_needs_reason_and_replaces_round(client_for, new_label, h, web_url):
    from drugscenes.store import open_workspace

    coord, police = client_for("coordinator"), client_for("police_editor")
    h.open_round(coord, new_label)
    a = h.observe(police, new_label, h.square(2000, 2000))
    police.post(f"/api/observations/{a['id']}/submit")
    h.send(
        coord,
        f"/api/rounds/{new_label}/scenes",
        {
            "observations": [a["id"]],
            "decision": "accepted",
            "method": "one",
            "observation": a["id"],
        },
    )
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200

    assert h.send(coord, f"/api/rounds/{new_label}/reopen", {}).status_code == 400
    assert h.send(police, f"/api/rounds/{new_label}/reopen", {"reason": "x"}).status_code == 403
    r = h.send(coord, f"/api/rounds/{new_label}/reopen", {"reason": "a scene was missed"})
    assert r.status_code == 200 and r.json()["status"] == "open"

    b = h.observe(police, new_label, h.square(4000, 2000, 200))
    police.post(f"/api/observations/{b['id']}/submit")
    r = h.send(
        coord,
        f"/api/rounds/{new_label}/scenes",
        {"observations": [b["id"]], "decision": "accepted", "method": "union"},
    )
    assert r.status_code == 201
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200
    with open_workspace(web_url) as store:
        assert len(store.round_scenes(new_label)) == 2

    log = coord.get("/api/audit", {"round": new_label}).json()["entries"]
    reopen = [e for e in log if e["action"] == "reopen_round"]
    assert [e["reason"] for e in reopen] == ["a scene was missed"]
    assert [e["action"] for e in log].count("close_round") == 2


def test_editors_confirm_last_rounds_scenes(client_for, new_label, h, web_url):
    from drugscenes.store import open_workspace

    coord, police = client_for("coordinator"), client_for("police_editor")
    h.open_round(coord, new_label)
    a = h.observe(
        police, new_label, h.square(5000, 5000), name="Stationen", activities=["försäljning"]
    )
    police.post(f"/api/observations/{a['id']}/submit")
    h.send(
        coord,
        f"/api/rounds/{new_label}/scenes",
        {
            "observations": [a["id"]],
            "decision": "accepted",
            "method": "one",
            "observation": a["id"],
            "scene_id": "ST",
        },
    )
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200

    nxt = new_label + "n"
    h.open_round(coord, nxt, "2026-03-01")
    body = {"scene_ids": ["ST"], "from_round": new_label}
    r = h.send(client_for("other_muni_editor"), f"/api/rounds/{nxt}/confirm", body)
    assert r.status_code == 400 and "outside municipality 0183" in r.json()["error"]
    r = h.send(police, f"/api/rounds/{nxt}/confirm", {**body, "scene_ids": ["ST", "XX"]})
    assert r.status_code == 400 and r.json()["error"] == f"scenes not in round {new_label}: XX"
    r = h.send(police, f"/api/rounds/{nxt}/confirm", body)
    assert r.status_code == 201, r.content
    (obs,) = r.json()["observations"]
    assert obs["status"] == "draft" and obs["name"] == "Stationen"
    assert obs["activities"] == ["försäljning"]
    with open_workspace(web_url) as store:
        stored = store.round_scenes(new_label).geometry.iloc[0]
    assert abs(obs["area_m2"] - stored.area) < 0.1
    assert (
        h.send(client_for("police_analyst"), f"/api/rounds/{nxt}/confirm", body).status_code == 403
    )


def test_coordinator_opens_a_round_from_the_start_page(client_for, new_label):
    coord = client_for("coordinator")
    r = coord.post("/rounds/new", {"label": new_label, "date": "2025-05-01"})
    assert r.status_code == 302 and r["Location"] == f"/rounds/{new_label}/"
    assert coord.get(r["Location"]).status_code == 200
    r = coord.post("/rounds/new", {"label": new_label}, follow=True)
    assert f"round {new_label} exists already" in r.content.decode()
    assert client_for("police_editor").post("/rounds/new", {"label": "x"}).status_code == 403
