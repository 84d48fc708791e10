"""The pages beyond the map: the round's list with filters, a scene's page with its
history and each organisation's outlines, the results pages and the full published
report with its own Content-Security-Policy; English on request."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def scene_round(client_for, new_label, h):
    """A closed round with scene "S-<label>" (the police's square) and an open round in
    which the police and the municipality outline the same place."""
    coord, police, muni = (client_for(k) for k in ("coordinator", "police_editor", "muni_editor"))
    h.open_round(coord, new_label, date="2024-09-01")
    a = h.observe(police, new_label, h.square(8000, 8000, 200), name="Skolgården")
    police.post(f"/api/observations/{a['id']}/submit")
    sid = f"S-{new_label}"
    decision = {
        "observations": [a["id"]],
        "decision": "accepted",
        "method": "one",
        "observation": a["id"],
        "scene_id": sid,
    }
    assert h.send(coord, f"/api/rounds/{new_label}/scenes", decision).status_code == 201
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200
    open_label = new_label + "p"
    h.open_round(coord, open_label)
    p = h.observe(police, open_label, h.square(8000, 8000, 200), name="Skolgården")
    m = h.observe(muni, open_label, h.square(8100, 8000, 200), name="Skolan")
    police.post(f"/api/observations/{p['id']}/submit")
    return new_label, open_label, sid, p["id"], m["id"]


def test_round_list_filters(scene_round, client_for):
    _, open_label, _, police_obs, muni_obs = scene_round
    coord = client_for("coordinator")

    def ids(client, **query) -> set[int]:
        r = client.get(f"/rounds/{open_label}/list", query)
        assert r.status_code == 200
        return {int(i) for i in re.findall(r'<tr data-id="(\d+)"', r.content.decode())}

    assert ids(coord) == {police_obs, muni_obs}
    assert ids(coord, organisation="Polisen") == {police_obs}
    assert ids(coord, status="draft") == {muni_obs}
    assert ids(coord, status="submitted", municipality="0180") == {police_obs}
    assert ids(coord, municipality="0183") == set()
    # an editor's list holds its own organisation's observations only, whatever it asks
    assert ids(client_for("police_editor")) == {police_obs}
    assert ids(client_for("police_editor"), organisation="Stockholms stad") == set()
    for role in ("viewer", "police_analyst", "survey_analyst"):
        assert client_for(role).get(f"/rounds/{open_label}/list").status_code == 403


def test_scene_page_history_and_outlines(scene_round, client_for, web_url):
    from drugscenes.services.change import history
    from drugscenes.store import open_workspace

    label, _open_label, sid, police_obs, muni_obs = scene_round
    with open_workspace(web_url) as store:
        expected = history(store, scene_id=sid)
    r = client_for("coordinator").get(f"/scenes/{sid}/")
    assert r.status_code == 200
    page = r.content.decode()
    history_part = page.split('id="history"')[1].split('id="outlines"')[0]
    for place in expected.places["place_id"]:
        assert str(place) in history_part
    assert label in history_part
    outlines = page.split('id="outlines"')[1]
    # each organisation's outline of the place in the open round, with its IoU
    assert "Polisen" in outlines and "Stockholms stad" in outlines
    assert f"<td>{police_obs}</td>" in outlines and f"<td>{muni_obs}</td>" in outlines
    # the police drew the scene's square, the municipality the same 200 m square 100 m
    # east: IoU 100·200 / 300·200 (Swedish number format on the Swedish page)
    assert "<td>1,0</td>" in outlines and "<td>0,333</td>" in outlines
    # the small map's data: the scene and each organisation's outline, in WGS84, as a
    # JSON data block (not executed) read by a 'self' script
    import json

    block = re.search(r'<script id="scene-shapes" type="application/json">(.*?)</script>', page)
    assert block and '<script src="/static/web/scene.js"></script>' in page
    assert not re.search(r"<script>", page)  # no inline script
    features = json.loads(block.group(1))["features"]
    assert features[0]["properties"] == {"kind": "scene", "label": sid}
    # (other tests' open rounds may outline the same place too)
    ours = {
        f["properties"]["label"].split(" ")[-2]: f["properties"]
        for f in features[1:]
        if f["properties"]["kind"] == "outline"
    }
    assert ours[f"#{police_obs}"]["organisation"] == "Polisen"
    assert ours[f"#{police_obs}"]["iou"] == 1.0
    assert ours[f"#{muni_obs}"]["organisation"] == "Stockholms stad"
    assert ours[f"#{muni_obs}"]["iou"] == 0.333
    lon, lat = features[0]["geometry"]["coordinates"][0][0][0]
    assert 10 < lon < 25 and 55 < lat < 70
    # the analyst sees the history and the scene, not the organisations' outlines
    r = client_for("police_analyst").get(f"/scenes/{sid}/")
    assert r.status_code == 200 and 'id="outlines"' not in r.content.decode()
    page = r.content.decode()
    block = re.search(r'id="scene-shapes" type="application/json">(.*?)</script>', page)
    assert block
    assert [f["properties"]["kind"] for f in json.loads(block.group(1))["features"]] == ["scene"]
    for role in ("viewer", "police_editor", "survey_analyst"):
        assert client_for(role).get(f"/scenes/{sid}/").status_code == 403
    assert client_for("coordinator").get("/scenes/no-such-scene/").status_code == 404


def test_results_pages(scene_round, client_for, h):
    label = scene_round[0]
    # a later round in which the scene moved 1 km: one ceased, one new
    coord, police = client_for("coordinator"), client_for("police_editor")
    later = label + "c"
    h.open_round(coord, later, date="2024-10-01")
    a = h.observe(police, later, h.square(9000, 8000, 200))
    police.post(f"/api/observations/{a['id']}/submit")
    decision = {
        "observations": [a["id"]],
        "decision": "accepted",
        "method": "one",
        "observation": a["id"],
        "scene_id": f"N-{later}",
    }
    assert h.send(coord, f"/api/rounds/{later}/scenes", decision).status_code == 201
    assert coord.post(f"/api/rounds/{later}/close").status_code == 200

    analyst = client_for("police_analyst")
    r = analyst.get("/results/compare", {"from": label, "to": later})
    assert r.status_code == 200 and "Upphörda" in r.content.decode()
    api = analyst.get("/api/results/compare", {"from": label, "to": later}).json()
    assert api["ceased"] == 1 and api["new"] == 1
    page = r.content.decode()
    # the services' keys get human labels, in the page's language
    assert f'<th scope="row">Scener (från)</th><td>{api["n_from"]}</td>' in page
    assert '<th scope="row">n_from</th>' not in page
    r = analyst.get("/results/compare", {"from": label, "to": later, "lang": "en"})
    page = r.content.decode()
    assert f'<th scope="row">Scenes (from)</th><td>{api["n_from"]}</td>' in page
    assert '<th scope="row">Ceased</th>' in page
    page = client_for("coordinator").get(f"/scenes/S-{label}/", {"lang": "en"}).content.decode()
    assert '<th title="place_id">Place</th>' in page  # the key stays as the header's title
    assert '<th title="first_round">First round</th>' in page
    r = analyst.get(f"/results/{label}/crime")
    assert r.status_code == 200
    # the survey page answers as the API does (404 when no survey of the year is stored,
    # e.g. when this module runs alone)
    survey = client_for("survey_analyst")
    r = survey.get("/results/survey", {"year": "2024"})
    assert r.status_code == survey.get("/api/results/survey", {"year": "2024"}).status_code
    assert r.status_code in (200, 404)
    assert 'name="year"' in survey.get("/results/survey").content.decode()
    for role, url in (
        ("viewer", "/results/compare"),
        ("police_editor", f"/results/{label}/crime"),
        ("survey_analyst", "/results/compare"),
        ("police_analyst", "/results/survey"),
    ):
        assert client_for(role).get(url).status_code == 403, (role, url)


def test_published_report_full_html_with_its_csp(scene_round, client_for):
    from django.test.utils import override_settings

    from drugscenes.web import published

    label, _, _sid, *_ = scene_round
    with override_settings(DRUGSCENES_REPORT_AT_CLOSE=True):
        published.render_after_close(label)  # what closing the round does
    html_file = published.folder(label, "sv") / "report.html"
    assert html_file.exists()
    r = client_for("viewer").get(f"/report/{label}/")
    assert r.status_code == 200
    page = r.content.decode()
    assert page == html_file.read_text(encoding="utf-8")
    assert "Skolgården" in page
    csp = r["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'") and "'sha256-" in csp
    assert csp.endswith("frame-ancestors 'none'") and r["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in csp and "'self'" not in csp.split("script-src")[1][:40]
    assert client_for("viewer").get("/report/no-such-round/").status_code == 404


def test_swedish_by_default_english_on_request(scene_round, client_for):
    label, open_label, *_ = scene_round
    coord = client_for("coordinator")
    page = coord.get(f"/rounds/{open_label}/list").content.decode()
    assert '<html lang="sv">' in page and "Filtrera" in page and "Filter<" not in page

    r = coord.get(f"/rounds/{open_label}/list", {"lang": "en"})
    page = r.content.decode()
    assert '<html lang="en">' in page and ">Filter</button>" in page and "Filtrera" not in page
    assert r["Content-Language"] == "en"
    assert r.cookies["django_language"].value == "en"  # the next pages stay English
    page = coord.get("/").content.decode()
    assert "Rounds" in page and "Kartläggningar" not in page
    page = coord.get(f"/rounds/{open_label}/").content.decode()  # the map's form
    assert "Persistent place" in page and ">Save</button>" in page
    assert "Kartläggningar" in coord.get("/", {"lang": "sv"}).content.decode()

    viewer = client_for("viewer")
    page = viewer.get(f"/report/{label}/summary", headers={"accept-language": "en"})
    assert "1 open drug scenes in 1 of 2 municipalities" in page.content.decode()
    page = viewer.get(f"/report/{label}/summary").content.decode()
    assert "1 öppna drogscener i 1 av 2 kommuner" in page
    assert viewer.get("/", {"lang": "xx"}).status_code == 200  # an unknown language: ignored


def test_every_fixed_text_has_its_english_translation():
    from pathlib import Path

    import drugscenes.web

    root = Path(drugscenes.web.__file__).parent
    texts = set()
    for template in (root / "templates" / "web").glob("*.html"):
        texts |= set(re.findall(r'{% translate "([^"]*)" %}', template.read_text("utf-8")))
    for module in root.glob("*.py"):
        texts |= set(re.findall(r'gettext_lazy\("([^"]*)"\)', module.read_text("utf-8")))
    po = (root / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    entries = dict(re.findall(r'msgid "(.+)"\nmsgstr "(.*)"', po))
    assert texts - set(entries) == set()
    assert all(entries[t] for t in texts)
    assert (root / "locale" / "en" / "LC_MESSAGES" / "django.mo").exists()


def test_map_texts_follow_the_page_language(scene_round, client_for):
    """map.js reads its texts from a JSON data block (not executed: the CSP without
    inline scripts holds) in the page's language."""
    import json

    _, open_label, *_ = scene_round
    coord = client_for("coordinator")

    def texts(**query) -> dict:
        page = coord.get(f"/rounds/{open_label}/", query).content.decode()
        block = re.search(r'<script id="map-texts" type="application/json">(.*?)</script>', page)
        assert block, "no data block"
        return json.loads(block.group(1))

    en = texts(lang="en")
    assert en["texts"]["Skicka in"] == "Submit"
    assert en["texts"]["Godkänn %s"] == "Accept %s"
    assert en["texts"]["OENIGHET"] == "DISAGREEMENT"
    assert en["status"]["submitted"] == "inskickad"  # a msgid, translated via texts
    sv = texts(lang="sv")
    assert sv["texts"]["Skicka in"] == "Skicka in" and sv["texts"]["OENIGHET"] == "OENIGHET"
    r = coord.get(f"/rounds/{open_label}/")
    assert "'unsafe-inline'" not in r["Content-Security-Policy"]


def test_every_map_js_text_has_its_english_translation():
    from pathlib import Path

    import drugscenes.web
    from drugscenes.web.jsmessages import MAP_TEXTS, STATUS_TEXTS

    root = Path(drugscenes.web.__file__).parent
    js = (root / "static" / "web" / "map.js").read_text("utf-8")
    used = set(re.findall(r'\bt\("([^"]*)"', js))
    assert "Skicka in" in used and "Godkänn %s" in used
    assert used | set(STATUS_TEXTS.values()) == set(MAP_TEXTS)
    # no other Swedish text left in map.js outside t("...")
    rest = re.sub(r'\bt\("[^"]*"', "", js)
    assert not re.findall(r'"[^"]*[åäöÅÄÖ][^"]*"', rest)
    po = (root / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    entries = dict(re.findall(r'msgid "(.+)"\nmsgstr "(.*)"', po))
    assert all(entries.get(text) for text in MAP_TEXTS), set(MAP_TEXTS) - set(entries)
    # the placeholders survive translation
    assert all(text.count("%s") == entries[text].count("%s") for text in MAP_TEXTS)


def test_column_labels_fall_back_to_the_key():
    from django.utils import translation

    from drugscenes.web.labels import COLUMN_LABELS, column_label

    with translation.override("sv"):
        assert column_label("n_from") == "Scener (från)"
        assert column_label("area_m2_S-2024") == "Yta (m²) S-2024"
        assert column_label("no_such_key") == "no_such_key"
    with translation.override("en"):
        assert column_label("n_from") == "Scenes (from)"
        assert column_label("area_m2_S-2024") == "Area (m²) S-2024"
        assert column_label("no_such_key") == "no_such_key"
        # every label has an English text of its own (a Swedish word would leak through)
        assert all(str(text) for text in COLUMN_LABELS.values())
