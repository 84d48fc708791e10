"""Every role × every endpoint × an object of its own and of another organisation.

Each request's answer is checked against the roles of the issue: an allowed request
succeeds (2xx), and every request the role may not make gets 403 (the role) or 404 (an
object of another organisation, whose existence is not revealed). The matrix that ran
is written to ``test-artifacts/web-access-matrix.md`` and printed.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

EDITORS = {"police_editor", "muni_editor", "other_muni_editor"}
ANALYSTS = {"coordinator", "police_analyst"}
ROUND_READERS = {
    "coordinator",
    "police_editor",
    "police_analyst",
    "muni_editor",
    "other_muni_editor",
    "survey_analyst",
}
EVERYONE = ROUND_READERS | {"viewer"}
OGC_READERS = {
    "scenes": EVERYONE,
    "ceased": EVERYONE,
    "candidates": ANALYSTS,
    "municipalities": EVERYONE,
    "observations": {"coordinator"} | EDITORS,
}

# Where each account may draw: inside its own municipality for municipal editors.
DRAW_AT = {"other_muni_editor": 13_000}  # x offset: municipality 0183


@dataclass
class Cell:
    role: str
    endpoint: str
    obj: str
    status: int
    allowed: bool


@pytest.fixture(scope="module")
def world(web_url, accounts):
    """A round in progress and two stored rounds with incidents and a survey."""
    from drugscenes.analysis.history import scene_history
    from drugscenes.store import RoundRecord, SurveyRecord, open_workspace

    x0, y0 = 660_000, 6_570_000
    with open_workspace(web_url) as store:
        for k, label in enumerate(("mx-a", "mx-b")):
            scenes = gpd.GeoDataFrame(
                {
                    "scene_id": ["A", "B", "C"],
                    "id_given": True,
                    "municipality_code": ["0180", "0180", "0183"],
                },
                geometry=[
                    box(x0 + 500, y0 + 500, x0 + 600 + 10 * k, y0 + 600),
                    box(x0 + 5000, y0 + 5000, x0 + 5100, y0 + 5100),
                    box(x0 + 15000, y0 + 5000, x0 + 15100, y0 + 5100),
                ],
                crs=3006,
            )
            from drugscenes.store.base import SCENE_COLUMNS

            for col in SCENE_COLUMNS:
                if col not in scenes:
                    scenes[col] = None
            scenes["area_m2"] = scenes.area
            store.write_round(
                RoundRecord(label, f"202{3 + k}-06-01", None, f"{label}.gpkg", label),
                scenes,
                replace=False,
                history=scene_history,
            )
        n = 400
        store.write_incidents(
            pd.DataFrame(
                {
                    "incident_id": [f"i{k}" for k in range(n)],
                    "time": pd.Timestamp("2024-03-01", tz="UTC")
                    + pd.to_timedelta(range(n), unit="h"),
                    "source_type": "police",
                    "category": "violence",
                    "x": [x0 + 520.0 + (k % 50) * 100 for k in range(n)],
                    "y": [y0 + 520.0 + (k % 40) * 200 for k in range(n)],
                    "police_activity": False,
                    "municipality_code": "0180",
                }
            )
        )
        m = 600
        store.write_survey(
            SurveyRecord(2024, m, "survey.csv", "mx"),
            pd.DataFrame(
                {
                    "respondent_id": [f"r{k}" for k in range(m)],
                    "x": [x0 + 50.0 + (k % 30) * 300 for k in range(m)],
                    "y": [y0 + 50.0 + (k // 30) * 400 for k in range(m)],
                    "weight": 1.0,
                    "unsafe": pd.array([k % 3 == 0 for k in range(m)], dtype="Int8"),
                    "stratum": "s",
                    "psu": [f"p{k % 20}" for k in range(m)],
                    "municipality_code": "0180",
                }
            ),
            False,
        )
    return {"stored": ("mx-a", "mx-b")}


def make_observation(accounts, label: str, org_key: str, status: str = "draft"):
    """An observation of ``org_key`` straight in the table (the matrix's objects)."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from drugscenes.web.models import Observation, Round

    x = 660_000 + (13_000 if org_key == "muni0183" else 1_000)
    geom = MultiPolygon(Polygon.from_bbox((x, 6_571_000, x + 80, 6_571_080)), srid=3006)
    return Observation.objects.create(
        round=Round.objects.get(label=label),
        organisation=accounts.organisations[org_key],
        geom=geom,
        area_m2=6400.0,
        municipality_code="0183" if org_key == "muni0183" else "0180",
        created_by=accounts.users["coordinator"],
        status=status,
    )


ORG_OF = {
    "coordinator": "county",
    "police_editor": "police",
    "police_analyst": "police",
    "muni_editor": "muni0180",
    "other_muni_editor": "muni0183",
    "survey_analyst": "region",
    "viewer": "customs",
}


def geojson_file(x: float) -> bytes:
    feature = {
        "type": "Feature",
        "properties": {"name": "uppladdad"},
        "geometry": box(660_000 + x, 6_572_000, 660_000 + x + 60, 6_572_060).__geo_interface__,
    }
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [feature],
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
        }
    ).encode()


def test_role_endpoint_object_matrix(world, accounts, client_for, h, new_label):
    from django.core.files.uploadedfile import SimpleUploadedFile

    coord = client_for("coordinator")
    h.open_round(coord, new_label)
    label = new_label
    cells: list[Cell] = []
    counter = iter(range(10_000))

    def record(role: str, endpoint: str, obj: str, status: int, allowed: bool) -> None:
        cells.append(Cell(role, endpoint, obj, status, allowed))

    for role in ROLES_ORDER:
        c = client_for(role)
        own, other = ORG_OF[role], "prison" if ORG_OF[role] != "prison" else "county"
        x = DRAW_AT.get(role, 2_000) + 150 * next(counter)

        # -- endpoints without an object of an organisation -----------------------------
        plain = [
            ("GET /api/me", lambda c=c: c.get("/api/me"), EVERYONE),
            ("GET /api/rounds", lambda c=c: c.get("/api/rounds"), ROUND_READERS),
            (
                "POST /api/rounds",
                lambda c=c, role=role: h.send(c, "/api/rounds", {"label": f"{label}-{role}"}),
                {"coordinator"},
            ),
            ("GET /api/rounds/L", lambda c=c: c.get(f"/api/rounds/{label}"), ROUND_READERS),
            (
                "GET /api/rounds/L/observations",
                lambda c=c: c.get(f"/api/rounds/{label}/observations"),
                {"coordinator"} | EDITORS,
            ),
            (
                "POST /api/rounds/L/observations",
                lambda c=c, x=x: h.send(
                    c,
                    f"/api/rounds/{label}/observations",
                    {"geometry": h.square(x, 3000), "crs": 3006},
                ),
                EDITORS,
            ),
            (
                "POST /api/rounds/L/upload",
                lambda c=c, x=x: c.post(
                    f"/api/rounds/{label}/upload",
                    {
                        "file": SimpleUploadedFile(
                            "s.geojson", geojson_file(x), "application/geo+json"
                        )
                    },
                ),
                EDITORS,
            ),
            (
                "POST /api/rounds/L/confirm",
                lambda c=c, role=role: h.send(
                    c,
                    f"/api/rounds/{label}/confirm",
                    {
                        "scene_ids": ["C" if role == "other_muni_editor" else "A"],
                        "from_round": "mx-b",
                    },
                ),
                EDITORS,
            ),
            (
                "GET /api/rounds/L/reconciliation",
                lambda c=c: c.get(f"/api/rounds/{label}/reconciliation"),
                {"coordinator"},
            ),
            (
                "GET /api/rounds/L/scenes",
                lambda c=c: c.get(f"/api/rounds/{label}/scenes"),
                {"coordinator"},
            ),
            ("GET /api/audit", lambda c=c: c.get("/api/audit", {"round": label}), {"coordinator"}),
            (
                "GET /api/audit.csv",
                lambda c=c: c.get("/api/audit.csv", {"round": label}),
                {"coordinator"},
            ),
            (
                "GET /api/results/L/inventory",
                lambda c=c: c.get("/api/results/mx-b/inventory"),
                ANALYSTS,
            ),
            (
                "GET /api/results/L/crime",
                lambda c=c: c.get(
                    "/api/results/mx-b/crime", {"from": "2024-01-01", "to": "2024-12-31"}
                ),
                ANALYSTS,
            ),
            (
                "GET /api/results/compare",
                lambda c=c: c.get("/api/results/compare", {"from": "mx-a", "to": "mx-b"}),
                ANALYSTS,
            ),
            (
                "GET /api/results/history",
                lambda c=c: c.get("/api/results/history", {"scene": "A"}),
                ANALYSTS,
            ),
            (
                "GET /api/results/survey",
                lambda c=c: c.get("/api/results/survey", {"year": "2024"}),
                {"survey_analyst"},
            ),
            ("GET /api/report/L", lambda c=c: c.get("/api/report/mx-b"), EVERYONE),
            # -- OGC API - Features: each collection's items --------------------------------
            *[
                (
                    f"GET /ogc/collections/{cid}/items",
                    lambda c=c, cid=cid: c.get(f"/ogc/collections/{cid}/items", {"round": "mx-b"}),
                    readers,
                )
                for cid, readers in OGC_READERS.items()
            ],
            # -- pages --------------------------------------------------------------------
            (
                "GET /rounds/L/list",
                lambda c=c: c.get(f"/rounds/{label}/list", {"status": "draft"}),
                {"coordinator"} | EDITORS,
            ),
            ("GET /scenes/ID/", lambda c=c: c.get("/scenes/A/"), ANALYSTS),
            (
                "GET /results/compare",
                lambda c=c: c.get("/results/compare", {"from": "mx-a", "to": "mx-b"}),
                ANALYSTS,
            ),
            (
                "GET /results/L/crime",
                lambda c=c: c.get(
                    "/results/mx-b/crime", {"from": "2024-01-01", "to": "2024-12-31"}
                ),
                ANALYSTS,
            ),
            (
                "GET /results/survey",
                lambda c=c: c.get("/results/survey", {"year": "2024"}),
                {"survey_analyst"},
            ),
            ("GET /report/L/", lambda c=c: c.get("/report/mx-b/"), EVERYONE),
            ("GET /report/L/summary", lambda c=c: c.get("/report/mx-b/summary"), EVERYONE),
        ]
        for name, call, allowed_roles in plain:
            r = call()
            record(role, name, "-", r.status_code, role in allowed_roles)

        # -- a decision on a submitted observation (of any organisation) -------------------
        for whose in ("own", "other"):
            obs = make_observation(accounts, label, own if whose == "own" else other, "submitted")
            r = h.send(
                c,
                f"/api/rounds/{label}/scenes",
                {"observations": [obs.id], "decision": "rejected", "comment": "nej"},
            )
            record(role, "POST /api/rounds/L/scenes", whose, r.status_code, role == "coordinator")

        # -- one observation: own organisation's and another's -----------------------------
        for whose in ("own", "other"):
            org = own if whose == "own" else other
            may_write = role in EDITORS and whose == "own"
            may_read = role == "coordinator" or may_write
            calls = [
                (
                    "GET /api/observations/ID",
                    lambda o, c=c: c.get(f"/api/observations/{o.id}"),
                    may_read,
                ),
                (
                    "PATCH /api/observations/ID",
                    lambda o, c=c: h.send(
                        c,
                        f"/api/observations/{o.id}",
                        {"version": o.version, "note": "ändrad"},
                        "patch",
                    ),
                    may_write,
                ),
                (
                    "PUT /api/observations/ID",
                    lambda o, c=c: h.send(
                        c, f"/api/observations/{o.id}", {"version": o.version, "name": "ny"}, "put"
                    ),
                    may_write,
                ),
                (
                    "POST /api/observations/ID/submit",
                    lambda o, c=c: c.post(f"/api/observations/{o.id}/submit"),
                    may_write,
                ),
                (
                    "DELETE /api/observations/ID",
                    lambda o, c=c: c.delete(f"/api/observations/{o.id}"),
                    may_write,
                ),
            ]
            for name, call, allowed in calls:
                obs = make_observation(accounts, label, org)
                r = call(obs)
                record(role, name, whose, r.status_code, allowed)

    # -- round state changes last (they close the round) -------------------------------------
    for role in [r for r in ROLES_ORDER if r != "coordinator"] + ["coordinator"]:
        c = client_for(role)
        if role == "coordinator":
            from drugscenes.web.models import Observation

            pending = list(
                Observation.objects.filter(round__label=label, status="submitted").values_list(
                    "id", flat=True
                )
            )
            r = h.send(
                c,
                f"/api/rounds/{label}/scenes",
                {"observations": pending, "decision": "rejected", "comment": "nej"},
            )
            assert r.status_code == 200, r.content
            obs = make_observation(accounts, label, "police", "submitted")
            r = h.send(
                c,
                f"/api/rounds/{label}/scenes",
                {
                    "observations": [obs.id],
                    "decision": "accepted",
                    "method": "one",
                    "observation": obs.id,
                },
            )
            assert r.status_code == 201, r.content
        r = c.post(f"/api/rounds/{label}/close")
        record(role, "POST /api/rounds/L/close", "-", r.status_code, role == "coordinator")
        r = h.send(c, f"/api/rounds/{label}/reopen", {"reason": "test"})
        record(role, "POST /api/rounds/L/reopen", "-", r.status_code, role == "coordinator")

    write_matrix(cells)
    wrong = [
        c
        for c in cells
        if (c.allowed and not 200 <= c.status < 300)
        or (not c.allowed and c.status not in (403, 404))
    ]
    assert not wrong, "\n".join(map(str, wrong))
    # Other organisations' objects are hidden (404), never merely forbidden.
    for c in cells:
        if c.obj == "other" and c.role in EDITORS and "/observations/" in c.endpoint:
            assert c.status == 404, c
    assert len(cells) == len(ROLES_ORDER) * (18 + len(OGC_READERS) + 7 + 2 + 10 + 2)


ROLES_ORDER = [
    "coordinator",
    "police_editor",
    "police_analyst",
    "muni_editor",
    "other_muni_editor",
    "survey_analyst",
    "viewer",
]


def write_matrix(cells: list[Cell]) -> None:
    """The matrix as a Markdown table (rows: endpoint and object; columns: roles)."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for c in cells:
        mark = f"{c.status}" + ("" if c.allowed else " ✗")
        rows.setdefault((c.endpoint, c.obj), {})[c.role] = mark
    out = io.StringIO()
    out.write("| endpoint | object | " + " | ".join(ROLES_ORDER) + " |\n")
    out.write("|---|---|" + "---|" * len(ROLES_ORDER) + "\n")
    for (endpoint, obj), marks in rows.items():
        out.write(
            f"| {endpoint} | {obj} | " + " | ".join(marks.get(r, "") for r in ROLES_ORDER) + " |\n"
        )
    text = (
        f"Access matrix: {len(cells)} requests (✗ = not allowed for the role; "
        "expected 403 or 404)\n\n" + out.getvalue()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "web-access-matrix.md").write_text(text, encoding="utf-8")
    print(text)
