"""OGC API – Features (Part 1, Core + GeoJSON) for QGIS's OAPIF provider, per role.

Collections:

``scenes``
    The scenes of a published round (in the workspace; ``?round=`` picks one, default the
    latest). Every role with the ``view_report`` permission.
``ceased``
    Scenes of the round before the published one (``?round=``, default the latest) that
    ceased by it, from ``services.change.compare`` (:mod:`drugscenes.web.layers`). Every
    role with ``view_report``.
``candidates``
    Candidate places of the round from ``services.hotspots`` (hot areas away from its
    scenes). Analysts and the coordinator (``view_results``).
``municipalities``
    The region's municipalities. Every role with ``view_report``.
``observations``
    Observations of the rounds in progress that the user may read: all for the
    coordinator, the own organisation's for an editor (404 for the others' items).

Authentication: the session, or HTTP Basic on each request (what QGIS sends with a
Basic authentication configuration); Basic sign-ins go through Django's authenticate,
so django-axes rate-limits them as it does the sign-in page. Geometry in CRS84 (WGS84
longitude, latitude), as the standard's default.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from drugscenes.errors import NotFoundError
from drugscenes.web import access, layers, storeio
from drugscenes.web.access import NotAuthenticated
from drugscenes.web.geometry import to_geojson_4326
from drugscenes.web.workflow import observation_json

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
COLLECTIONS = {
    "scenes": ("Open drug scenes", "The scenes of a published mapping round", "view_report"),
    "ceased": (
        "Ceased scenes",
        "Scenes of the round before that ceased by the published round",
        "view_report",
    ),
    "candidates": (
        "Candidate places",
        "Hot areas of crime in the twelve months before the round, away from its scenes",
        "view_results",
    ),
    "municipalities": ("Municipalities", "The region's municipalities", "view_report"),
    "observations": (
        "Observations in progress",
        "Organisations' outlines of the rounds in progress, as the user may see them",
        "view_observation",
    ),
}
MAX_LIMIT = 10_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _basic_user(request: HttpRequest) -> None:
    """Sign the request in from an HTTP Basic header, if there is one and no session."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if request.user.is_authenticated or not header.startswith("Basic "):
        return
    try:
        username, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated from None
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise NotAuthenticated
    request.user = user


def ogc(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; errors as JSON (401 asks for Basic credentials)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "only GET"}, status=405)
        try:
            _basic_user(request)
            return view(request, *args, **kwargs)
        except NotAuthenticated:
            response = JsonResponse({"error": "sign in first"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="drugscenes", charset="UTF-8"'
            return response
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc) or "not allowed"}, status=403)
        except (Http404, NotFoundError) as exc:
            return JsonResponse({"error": str(exc) or "not found"}, status=404)
        except ValueError as exc:
            return JsonResponse({"error": str(exc)}, status=400)

    return wrapper


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc")


def _collection(request: HttpRequest, cid: str) -> dict[str, Any]:
    title, description, _perm = COLLECTIONS[cid]
    base = _base(request)
    return {
        "id": cid,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
            {
                "href": f"{base}/collections/{cid}/items",
                "rel": "items",
                "type": "application/geo+json",
                "title": title,
            },
        ],
    }


def _allowed(request: HttpRequest, cid: str) -> bool:
    return request.user.has_perm(f"web.{COLLECTIONS[cid][2]}")


@ogc
def landing(request: HttpRequest) -> HttpResponse:
    """The landing page."""
    access.member(request)
    base = _base(request)
    return JsonResponse(
        {
            "title": "drugscenes",
            "description": "Open drug scenes of the region (OGC API - Features)",
            "links": [
                {"href": f"{base}/", "rel": "self", "type": "application/json"},
                {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
                {
                    "href": request.build_absolute_uri("/api/openapi.json"),
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                },
            ],
        }
    )


@ogc
def conformance(request: HttpRequest) -> HttpResponse:
    """The conformance classes."""
    access.member(request)
    return JsonResponse({"conformsTo": CONFORMANCE})


@ogc
def collections(request: HttpRequest) -> HttpResponse:
    """The collections the user's role may read."""
    access.member(request)
    cols = [_collection(request, c) for c in COLLECTIONS if _allowed(request, c)]
    return JsonResponse({"collections": cols, "links": []})


@ogc
def collection(request: HttpRequest, cid: str) -> HttpResponse:
    """One collection's description."""
    _check(request, cid)
    return JsonResponse(_collection(request, cid))


def _check(request: HttpRequest, cid: str) -> None:
    access.member(request)
    if cid not in COLLECTIONS:
        raise Http404(f"no collection {cid}")
    if not _allowed(request, cid):
        raise PermissionDenied(f"your role may not read {cid}")


def _features(request: HttpRequest, cid: str) -> list[dict[str, Any]]:
    if cid == "observations":
        from drugscenes.web.models import Observation, Round

        qs = Observation.objects.filter(round__status=Round.OPEN).select_related(
            "organisation", "round"
        )
        if not request.user.has_perm("web.coordinate_round"):
            qs = qs.filter(organisation=access.member(request).organisation)
        out = []
        for o in qs.order_by("id"):
            props = observation_json(o)
            geometry = props.pop("geometry")
            out.append({"type": "Feature", "id": o.id, "geometry": geometry, "properties": props})
        return out
    with storeio.workspace(settings.DATABASE_URL) as store:
        if cid in ("ceased", "candidates"):
            compute = layers.ceased if cid == "ceased" else layers.candidates
            layer = compute(store, request.GET.get("round") or None)
            frame, keys = layer.frame, [k for k in layer.keys if k in layer.frame.columns]
            ids = list(frame[layer.id_column]) if len(frame) else []
        elif cid == "municipalities":
            frame = store.municipalities()
            keys = ["code", "name"]
            ids = list(frame["code"])
        else:
            labels = store.round_labels()
            label = request.GET.get("round") or (labels[-1] if labels else None)
            if label is None or store.round_record(label) is None:
                raise Http404(f"no published round {label}")
            frame = store.round_scenes(label)
            frame["round"] = label
            keys = [
                "scene_id",
                "round",
                "name",
                "municipality_code",
                "area_m2",
                "activities",
                "drug_types",
                "times_of_day",
                "source_org",
            ]
            ids = list(frame["scene_id"])
    return [
        {
            "type": "Feature",
            "id": str(fid),
            "geometry": to_geojson_4326(row.geometry),
            "properties": {k: _plain(getattr(row, k, None)) for k in keys},
        }
        for fid, row in zip(ids, frame.itertuples(index=False), strict=True)
    ]


def _plain(value: object) -> object:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # type: ignore[union-attr]
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _page(request: HttpRequest) -> tuple[int, int]:
    try:
        limit = int(request.GET.get("limit", 1000))
        offset = int(request.GET.get("offset", 0))
    except ValueError:
        raise ValueError("limit and offset must be whole numbers") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValueError(f"limit must be 1-{MAX_LIMIT} and offset 0 or more")
    return limit, offset


@ogc
def items(request: HttpRequest, cid: str) -> HttpResponse:
    """The collection's features (GeoJSON), ``limit``/``offset`` paging."""
    _check(request, cid)
    limit, offset = _page(request)
    feats = _features(request, cid)
    page = feats[offset : offset + limit]
    base = f"{_base(request)}/collections/{cid}/items"
    links = [{"href": request.build_absolute_uri(), "rel": "self", "type": "application/geo+json"}]
    if offset + limit < len(feats):
        extra = f"&round={request.GET['round']}" if request.GET.get("round") else ""
        links.append(
            {
                "href": f"{base}?limit={limit}&offset={offset + limit}{extra}",
                "rel": "next",
                "type": "application/geo+json",
            }
        )
    response = JsonResponse(
        {
            "type": "FeatureCollection",
            "features": page,
            "numberMatched": len(feats),
            "numberReturned": len(page),
            "links": links,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = "application/geo+json"
    response["Content-Crs"] = f"<{CRS84}>"
    return response


@ogc
def item(request: HttpRequest, cid: str, fid: str) -> HttpResponse:
    """One feature."""
    _check(request, cid)
    for f in _features(request, cid):
        if str(f["id"]) == fid:
            response = JsonResponse(f, json_dumps_params={"ensure_ascii": False})
            response["Content-Type"] = "application/geo+json"
            return response
    raise Http404(f"no feature {fid} in {cid}")
