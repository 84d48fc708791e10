"""The OpenAPI 3.0 document of the JSON API and the OGC API (``/api/openapi.json``).

Written by hand from the views (a test checks that every route is described, with its
methods, and nothing else). Every operation needs a signed-in user (session cookie, or
HTTP Basic for ``/ogc``); unsafe methods need the CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from drugscenes.web.access import NotAuthenticated
from drugscenes.web.ogc import ogc
from drugscenes.web.roles import ANSWERS

ROLE_NOTE = {
    "any": "any signed-in member",
    "round": "coordinator, editor, analyst, survey analyst",
    "coordinator": "coordinator",
    "editor": "editor of the observation's organisation",
    "editor-any": "editor (of the own organisation; a municipality's inside it)",
    "observer": "coordinator (all) or editor (own organisation; others' answer 404)",
    "results": "coordinator, analyst",
    "survey": "survey analyst",
    "report": "every role",
}

_JSON = {"application/json": {"schema": {"type": "object"}}}
_ERR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _op(summary: str, who: str, body: str | None = None, ok: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Allowed for: {ROLE_NOTE[who]}.",
        "responses": {
            ok: {"description": "done", "content": _JSON},
            "400": _ERR,
            "401": _ERR,
            "403": _ERR,
            "404": _ERR,
            "409": _ERR,
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    return op


def _label(path: dict[str, Any]) -> dict[str, Any]:
    return {
        **path,
        "parameters": [
            {"name": "label", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
    }


def _pk(path: dict[str, Any]) -> dict[str, Any]:
    return {
        **path,
        "parameters": [
            {"name": "pk", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
    }


PATHS: dict[str, dict[str, Any]] = {
    "/api/csrf": {"get": _op("Set the CSRF cookie and return the token", "any")},
    "/api/login": {"post": _op("Sign in (rate-limited; 429 when locked)", "any", "Login")},
    "/api/logout": {"post": _op("Sign out", "any")},
    "/api/me": {"get": _op("The user, organisation, role and permissions", "any")},
    "/api/municipalities": {"get": _op("The region's municipalities (GeoJSON, WGS84)", "round")},
    "/api/rounds": {
        "get": _op("The rounds in the app", "round"),
        "post": _op("Open a round", "coordinator", "NewRound", "201"),
    },
    "/api/rounds/{label}": _label({"get": _op("One round", "round")}),
    "/api/rounds/{label}/observations": _label(
        {
            "get": _op("Observations the user may see", "observer"),
            "post": _op("A new draft observation", "editor-any", "Observation", "201"),
        }
    ),
    "/api/rounds/{label}/upload": _label(
        {
            "post": {
                **_op(
                    "Upload a scene file (validated like `import scenes`)", "editor-any", ok="201"
                ),
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "crs": {"type": "string"},
                                },
                            }
                        }
                    }
                },
            }
        }
    ),
    "/api/rounds/{label}/confirm": _label(
        {
            "post": _op(
                "Confirm a published round's scenes as drafts", "editor-any", "Confirm", "201"
            )
        }
    ),
    "/api/rounds/{label}/reconciliation": _label(
        {"get": _op("Places: pairwise IoU, area only one organisation drew", "coordinator")}
    ),
    "/api/rounds/{label}/scenes": _label(
        {
            "get": _op("The round's accepted scenes", "coordinator"),
            "post": _op(
                "Accept (one, union, intersection) or reject", "coordinator", "Decision", "201"
            ),
        }
    ),
    "/api/rounds/{label}/close": _label(
        {"post": _op("Close: store the accepted scenes as the round", "coordinator")}
    ),
    "/api/rounds/{label}/reopen": _label(
        {"post": _op("Reopen a closed round, with a reason", "coordinator", "Reason")}
    ),
    "/api/observations/{pk}": _pk(
        {
            "get": _op("One observation", "observer"),
            "put": _op("Change it (give the version edited)", "editor", "ObservationChange"),
            "patch": _op("Change it (give the version edited)", "editor", "ObservationChange"),
            "delete": _op("Delete an undecided observation", "editor"),
        }
    ),
    "/api/observations/{pk}/submit": _pk({"post": _op("draft → submitted", "editor")}),
    "/api/audit": {"get": _op("The audit log (?round=)", "coordinator")},
    "/api/audit.csv": {"get": _op("The audit log as CSV (?round=)", "coordinator")},
    "/api/results/{label}/inventory": _label({"get": _op("`drugscenes summary`", "results")}),
    "/api/results/{label}/crime": _label(
        {"get": _op("`drugscenes crime` (?from=&to=)", "results")}
    ),
    "/api/results/compare": {"get": _op("`drugscenes compare` (?from=&to=)", "results")},
    "/api/results/history": {"get": _op("`drugscenes history` (?scene=)", "results")},
    "/api/results/survey": {"get": _op("`drugscenes survey` (?year=)", "survey")},
    "/api/report/{label}": _label({"get": _op("The published round's inventory", "report")}),
    "/api/openapi.json": {"get": _op("This document", "any")},
    "/ogc/": {"get": _op("OGC API - Features landing page", "any")},
    "/ogc/conformance": {"get": _op("Conformance classes", "any")},
    "/ogc/collections": {"get": _op("Collections the role may read", "any")},
    "/ogc/collections/{cid}": {"get": _op("One collection", "report")},
    "/ogc/collections/{cid}/items": {
        "get": _op(
            "Features (?limit=&offset=&round=): scenes, ceased and municipalities for every "
            "role; candidates for analysts and the coordinator; observations as the role "
            "may see them",
            "report",
        )
    },
    "/ogc/collections/{cid}/items/{fid}": {"get": _op("One feature", "report")},
}

CRITERION = {"type": "string", "enum": list(ANSWERS)}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "string"}, "problems": {"type": "array"}},
    },
    "Login": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
    },
    "NewRound": {
        "type": "object",
        "required": ["label"],
        "properties": {"label": {"type": "string"}, "date": {"type": "string", "format": "date"}},
    },
    "Confirm": {
        "type": "object",
        "required": ["scene_ids"],
        "properties": {
            "scene_ids": {"type": "array", "items": {"type": "string"}},
            "from_round": {"type": "string"},
        },
    },
    "Reason": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}},
    },
    "Observation": {
        "type": "object",
        "required": ["geometry"],
        "properties": {
            "geometry": {"type": "object", "description": "GeoJSON Polygon or MultiPolygon"},
            "crs": {"type": "integer", "enum": [4326, 3006], "default": 4326},
            "name": {"type": "string", "maxLength": 200},
            "criteria": {
                "type": "object",
                "properties": {
                    "persistent": CRITERION,
                    "open_use": CRITERION,
                    "open_sale": CRITERION,
                    "creates_unsafety": CRITERION,
                },
            },
            "activities": {"type": "array", "items": {"type": "string"}},
            "drug_types": {"type": "array", "items": {"type": "string"}},
            "times_of_day": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string", "maxLength": 5000},
            "observed_on": {"type": "string", "format": "date"},
        },
    },
    "Decision": {
        "type": "object",
        "required": ["observations", "decision"],
        "properties": {
            "observations": {"type": "array", "items": {"type": "integer"}},
            "decision": {"type": "string", "enum": ["accepted", "rejected"]},
            "method": {"type": "string", "enum": ["one", "union", "intersection"]},
            "observation": {"type": "integer"},
            "scene_id": {"type": "string"},
            "name": {"type": "string"},
            "comment": {"type": "string"},
        },
    },
}
SCHEMAS["ObservationChange"] = {
    **SCHEMAS["Observation"],
    "required": ["version"],
    "properties": {**SCHEMAS["Observation"]["properties"], "version": {"type": "integer"}},
}


def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "drugscenes web app", "version": "1"},
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
        "security": [{"session": []}, {"basic": []}],
    }


@ogc
def document(request: HttpRequest) -> JsonResponse:
    """``GET /api/openapi.json``: the document (signed-in members only).

    It is the OGC landing page's ``service-desc``, which QGIS's OAPIF provider reads
    with the layer's credentials, so HTTP Basic is accepted here as on ``/ogc/``.
    """
    if not request.user.is_authenticated:
        raise NotAuthenticated
    return JsonResponse(spec(), json_dumps_params={"ensure_ascii": False})
