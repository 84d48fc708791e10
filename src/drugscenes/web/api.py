"""The JSON API: thin views that check the role and the object, call
:mod:`drugscenes.web.workflow` or a :mod:`drugscenes.services` job, and answer JSON.

Errors answer JSON ``{"error": message, "problems": [...]}`` with 400 (bad input), 401
(not signed in), 403 (the role may not), 404 (no such object, or one the user may not
see), 405, 409 (the object's state forbids it), 413 (too large) or 429 (login locked).
Session authentication with Django's CSRF protection: a client reads the token from
``GET /api/csrf`` (cookie ``csrftoken``) and sends it in ``X-CSRFToken``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie

from drugscenes.errors import DataError, DrugscenesError, NotFoundError, UsageError
from drugscenes.periods import Period
from drugscenes.web import access, published, reconcile, storeio, workflow
from drugscenes.web.access import NotAuthenticated
from drugscenes.web.models import AuditEntry, Observation, Round
from drugscenes.web.workflow import BadRequest, Conflict

UPLOAD_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".fgb", ".parquet", ".csv")
"""Scene files an editor may upload (the import's formats; a zipped Shapefile)."""

View = Callable[..., HttpResponse]


def error(status: int, message: str, problems: list[Any] | None = None) -> JsonResponse:
    """A JSON error answer."""
    return JsonResponse({"error": message, "problems": problems or []}, status=status)


def api(*methods: str) -> Callable[[View], View]:
    """Allow ``methods`` and turn the app's exceptions into JSON error answers."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return error(405, f"{request.method} is not allowed here")
            try:
                return view(request, *args, **kwargs)
            except NotAuthenticated:
                return error(401, "sign in first")
            except PermissionDenied as exc:
                return error(403, str(exc) or "not allowed")
            except Http404 as exc:
                return error(404, str(exc) or "not found")
            except RequestDataTooBig:
                return error(413, "the request is too large")
            except BadRequest as exc:
                return error(400, str(exc), exc.problems)
            except Conflict as exc:
                return error(409, str(exc))
            except NotFoundError as exc:
                return error(404, str(exc))
            except DataError as exc:
                return error(400, str(exc), [p.to_dict() for p in exc.problems])
            except (UsageError, DrugscenesError) as exc:
                return error(400, str(exc))

        return wrapper

    return decorate


def body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object."""
    if request.content_type != "application/json":
        raise BadRequest("send JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def jsonable(value: object) -> object:
    """A service result's ``to_dict()`` as plain JSON values (NumPy scalars as Python's,
    NaN and infinities as null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if getattr(value, "ndim", 0) >= 1:  # NumPy arrays (e.g. a place's scene ids)
        return jsonable(value.tolist())  # type: ignore[union-attr]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result(data: dict[str, Any]) -> JsonResponse:
    """A service result as a JSON answer."""
    return JsonResponse(jsonable(data), json_dumps_params={"ensure_ascii": False})


def get_round(label: str) -> Round:
    """The app's round of that label (404 if none)."""
    try:
        return Round.objects.get(label=label)
    except Round.DoesNotExist:
        raise Http404(f"no round {label}") from None


def workspace():  # type: ignore[no-untyped-def]
    """The store of this app (the database it runs on)."""
    return storeio.workspace(settings.DATABASE_URL)


def locked_out(request: HttpRequest, credentials: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' answer to a locked-out login (too many failures)."""
    return error(429, "too many failed sign-ins; try again in 15 minutes")


# -- session --------------------------------------------------------------------------------------


@ensure_csrf_cookie
@api("GET")
def csrf(request: HttpRequest) -> HttpResponse:
    """Sets the CSRF cookie; the token is also in the answer."""
    from django.middleware.csrf import get_token

    return JsonResponse({"csrftoken": get_token(request)})


@api("POST")
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with ``username`` and ``password`` (rate-limited by django-axes)."""
    data = body(request)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("give username and password")
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            return locked_out(request, None)
        return error(401, "wrong username or password")
    login(request, user)  # a new session id (Django rotates it at login)
    return JsonResponse(_me(request))


@api("POST")
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (the session is flushed)."""
    logout(request)
    return JsonResponse({"signed_in": False})


@api("GET")
def me(request: HttpRequest) -> HttpResponse:
    """The signed-in user, organisation, role and permissions."""
    return JsonResponse(_me(request))


def _me(request: HttpRequest) -> dict[str, Any]:
    m = access.member(request)
    perms = sorted(p.split(".", 1)[1] for p in request.user.get_all_permissions())
    org = m.organisation
    return {
        "username": request.user.get_username(),
        "organisation": {
            "id": org.id,
            "name": org.name,
            "kind": org.kind,
            "municipality_code": org.municipality_code or None,
        },
        "role": m.role,
        "permissions": perms,
    }


@api("GET")
def municipalities(request: HttpRequest) -> HttpResponse:
    """The region's municipalities as GeoJSON in WGS84 (the map's base layer)."""
    from drugscenes.web.geometry import to_geojson_4326

    access.member(request)
    if not (request.user.has_perm("web.view_round") or request.user.has_perm("web.view_report")):
        raise PermissionDenied("your role may not see the map")
    munis = storeio.municipalities(settings.DATABASE_URL)
    features = [
        {
            "type": "Feature",
            "properties": {"code": str(row.code), "name": str(row.name)},
            "geometry": to_geojson_4326(row.geometry.simplify(5)),
        }
        for row in munis.itertuples(index=False)
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# -- rounds ---------------------------------------------------------------------------------------


@api("GET", "POST")
def rounds(request: HttpRequest) -> HttpResponse:
    """GET: the rounds in the app; POST (coordinator): open a round ``{label, date}``."""
    if request.method == "GET":
        access.require(request, "view_round")
        return JsonResponse({"rounds": [workflow.round_json(r) for r in Round.objects.all()]})
    m = access.require(request, "coordinate_round")
    data = body(request)
    with workspace() as store:
        rnd = workflow.open_round(request.user, m, store, data.get("label", ""), data.get("date"))
    return JsonResponse(workflow.round_json(rnd), status=201)


@api("GET")
def round_detail(request: HttpRequest, label: str) -> HttpResponse:
    """One round and its observations counted by status."""
    access.require(request, "view_round")
    return JsonResponse(workflow.round_json(get_round(label)))


@api("GET", "POST")
def observations(request: HttpRequest, label: str) -> HttpResponse:
    """GET: the observations the user may see; POST (editor): a new draft outline."""
    rnd = get_round(label)
    if request.method == "GET":
        qs = access.visible_observations(request, rnd)
        return JsonResponse({"observations": [workflow.observation_json(o) for o in qs]})
    m = access.require(request, "add_observation")
    data = body(request)
    munis = storeio.municipalities(settings.DATABASE_URL)
    obs, warnings = workflow.create_observation(request.user, m, munis, rnd, data)
    return JsonResponse({**workflow.observation_json(obs), "warnings": warnings}, status=201)


@api("GET", "PUT", "PATCH", "DELETE")
def observation(request: HttpRequest, pk: int) -> HttpResponse:
    """GET, change (PUT/PATCH with ``version``) or DELETE one observation."""
    if request.method == "GET":
        return JsonResponse(workflow.observation_json(access.observation(request, pk)))
    if request.method == "DELETE":
        access.require(request, "delete_observation")
        obs = access.observation(request, pk, write=True)
        workflow.delete_observation(request.user, access.member(request), obs)
        return JsonResponse({"deleted": pk})
    obs = access.observation(request, pk, write=True)
    data = body(request)
    munis = storeio.municipalities(settings.DATABASE_URL)
    obs, warnings = workflow.update_observation(
        request.user, access.member(request), munis, obs, data
    )
    return JsonResponse({**workflow.observation_json(obs), "warnings": warnings})


@api("POST")
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """draft → submitted (the organisation's editor)."""
    obs = access.observation(request, pk, write=True)
    obs = workflow.submit_observation(request.user, access.member(request), obs)
    return JsonResponse(workflow.observation_json(obs))


@api("POST")
def upload(request: HttpRequest, label: str) -> HttpResponse:
    """An editor's scene file (the import's formats), validated like ``import scenes``:
    all or nothing, each feature a draft observation of the editor's organisation."""
    m = access.require(request, "add_observation")
    rnd = get_round(label)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.UPLOAD_MAX_BYTES:
        return error(413, f"the file is too large: at most {settings.UPLOAD_MAX_BYTES:,} bytes")
    upload = request.FILES.get("file")
    if upload is None:
        raise BadRequest("send the scene file as the form field 'file'")
    if upload.size > settings.UPLOAD_MAX_BYTES:
        return error(413, f"the file is too large: at most {settings.UPLOAD_MAX_BYTES:,} bytes")
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise BadRequest(
            f"a file of the wrong kind ({suffix or 'no extension'}); upload one of "
            + ", ".join(UPLOAD_SUFFIXES)
        )
    crs = request.POST.get("crs") or None
    with tempfile.TemporaryDirectory(prefix="drugscenes-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        munis = storeio.municipalities(settings.DATABASE_URL)
        created = _import_upload(request, m, munis, rnd, path, upload.name or "file", crs)
    return JsonResponse(
        {"observations": [workflow.observation_json(o) for o in created]}, status=201
    )


def _import_upload(request, m, munis, rnd, path, name, crs):  # type: ignore[no-untyped-def]
    from django.db import transaction

    from drugscenes.io.vector import read_vector
    from drugscenes.registry.prepare import prepare_round
    from drugscenes.web.geometry import GeometryProblem, check_outline

    try:
        read = read_vector(path, crs=crs)
    except DrugscenesError as exc:  # the server's temporary path is not the user's business
        message = str(exc).replace(str(path), name).replace(path.name, name)
        raise BadRequest(message, [p.to_dict() for p in getattr(exc, "problems", [])]) from None
    except Exception:  # a reader's own error on a file that is not what its name says
        raise BadRequest(f"{name}: not a readable scene file of its kind") from None
    prepared = prepare_round(read.frame, munis, rnd.label, name, rows=read.rows)
    problems = read.problems + prepared.problems
    errors = [p for p in problems if p.severity == "error"]
    if errors or prepared.scenes.empty:
        raise BadRequest(
            f"{name}: {len(errors)} error(s); nothing was saved" if errors else f"{name}: empty",
            [p.to_dict() for p in problems],
        )
    own = m.organisation.municipality_code if m.organisation.kind == "municipality" else None
    created: list[Observation] = []
    with transaction.atomic():
        for k, row in enumerate(prepared.scenes.itertuples(index=False), start=1):
            try:
                outline = check_outline(row.geometry, munis, own)
            except GeometryProblem as exc:
                raise BadRequest(f"{name}: feature {k}: {exc}; nothing was saved") from None
            data = {
                "name": row.name or "",
                "note": row.note or "",
                **{
                    f: [s.strip() for s in str(getattr(row, f) or "").split(";") if s.strip()]
                    for f in workflow.LIST_FIELDS
                },
                "geometry": outline.geometry.__geo_interface__,
                "crs": 3006,
            }
            obs, _ = workflow.create_observation(request.user, m, munis, rnd, data)
            created.append(obs)
    return created


@api("POST")
def confirm(request: HttpRequest, label: str) -> HttpResponse:
    """An editor confirms scenes of a published round as its organisation's draft
    observations in this round: ``{"scene_ids": [...], "from_round": LABEL}`` (default the
    latest round in the workspace). Checked like a drawn outline; all or nothing."""
    from django.db import transaction

    m = access.require(request, "add_observation")
    rnd = get_round(label)
    data = body(request)
    ids = data.get("scene_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise BadRequest("scene_ids: give the ids of the scenes to confirm")
    with workspace() as store:
        labels = store.round_labels()
        source = data.get("from_round") or (labels[-1] if labels else None)
        if source is None or store.round_record(str(source)) is None:
            raise BadRequest(f"no published round {source} to confirm scenes from")
        scenes = store.round_scenes(str(source)).set_index("scene_id", drop=False)
    unknown = sorted(set(ids) - set(scenes.index))
    if unknown:
        raise BadRequest(f"scenes not in round {source}: {', '.join(unknown)}")
    munis = storeio.municipalities(settings.DATABASE_URL)
    created: list[Observation] = []
    with transaction.atomic():
        for sid in ids:
            row = scenes.loc[sid]
            payload = {
                "name": str(row["name"] or ""),
                "note": f"bekräftad från {source} ({sid})",
                **{
                    f: [v.strip() for v in str(row[f] or "").split(";") if v.strip()]
                    for f in workflow.LIST_FIELDS
                },
                "geometry": row.geometry.__geo_interface__,
                "crs": 3006,
            }
            try:
                obs, _ = workflow.create_observation(request.user, m, munis, rnd, payload)
            except BadRequest as exc:
                raise BadRequest(f"scene {sid}: {exc}; nothing was saved") from None
            created.append(obs)
    return JsonResponse(
        {"observations": [workflow.observation_json(o) for o in created]}, status=201
    )


# -- reconciliation -------------------------------------------------------------------------------


@api("GET")
def reconciliation(request: HttpRequest, label: str) -> HttpResponse:
    """The coordinator's view: submitted and decided outlines grouped into places, with
    pairwise IoU and the area only one organisation drew."""
    access.require(request, "coordinate_round")
    rnd = get_round(label)
    try:
        threshold = float(request.GET.get("threshold", reconcile.DEFAULT_THRESHOLD))
    except ValueError:
        raise BadRequest("threshold must be a number between 0 and 1") from None
    if not 0 <= threshold <= 1:
        raise BadRequest("threshold must be a number between 0 and 1")
    obs = list(
        Observation.objects.filter(round=rnd)
        .exclude(status=Observation.DRAFT)
        .select_related("organisation", "round")
    )
    drawn = [reconcile.Drawn(o.id, o.organisation.name, workflow.to_shapely(o.geom)) for o in obs]
    found = reconcile.places(drawn, threshold)
    return JsonResponse(
        {
            "round": rnd.label,
            "threshold": threshold,
            "places": [p.to_dict() for p in found],
            "disagreements": [i for i, p in enumerate(found) if p.disagreement],
            "observations": [workflow.observation_json(o) for o in obs],
        }
    )


@api("GET", "POST")
def scenes(request: HttpRequest, label: str) -> HttpResponse:
    """GET: the round's accepted scenes; POST: the coordinator's decision."""
    m = access.require(request, "coordinate_round")
    rnd = get_round(label)
    if request.method == "GET":
        return JsonResponse({"scenes": [workflow.scene_json(s) for s in rnd.scenes.all()]})
    data = body(request)
    with workspace() as store:
        scene = workflow.decide(request.user, m, store, rnd, data)
    payload = {"decision": data.get("decision")}
    if scene is not None:
        payload["scene"] = workflow.scene_json(scene)
    return JsonResponse(payload, status=201 if scene is not None else 200)


@api("POST")
def close(request: HttpRequest, label: str) -> HttpResponse:
    """Close the round: its accepted scenes become the workspace's round."""
    m = access.require(request, "coordinate_round")
    rnd = get_round(label)
    with workspace() as store:
        done = workflow.close_round(request.user, m, store, rnd)
    published.render_after_close(rnd.label)  # the viewers' report, into the instance folder
    return JsonResponse(done)


@api("POST")
def reopen(request: HttpRequest, label: str) -> HttpResponse:
    """Reopen a closed round, with a ``reason``."""
    m = access.require(request, "coordinate_round")
    rnd = get_round(label)
    rnd = workflow.reopen_round(request.user, m, rnd, body(request).get("reason"))
    return JsonResponse(workflow.round_json(rnd))


# -- audit log ------------------------------------------------------------------------------------

AUDIT_FIELDS = [
    "id",
    "at",
    "username",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "round_label",
    "reason",
    "before",
    "after",
]


def _audit_rows(request: HttpRequest):  # type: ignore[no-untyped-def]
    access.require(request, "view_auditentry", "coordinate_round")
    qs = AuditEntry.objects.all()
    if request.GET.get("round"):
        qs = qs.filter(round_label=request.GET["round"])
    return qs


def _audit_dict(e: AuditEntry) -> dict[str, Any]:
    return {f: (e.at.isoformat() if f == "at" else getattr(e, f)) for f in AUDIT_FIELDS}


@api("GET")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log (the coordinator), oldest first; ``?round=`` filters."""
    return JsonResponse({"entries": [_audit_dict(e) for e in _audit_rows(request)]})


@api("GET")
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The audit log as CSV (UTF-8 with BOM for Excel; formulas neutralised)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(AUDIT_FIELDS)
    for e in _audit_rows(request):
        d = _audit_dict(e)
        writer.writerow(
            _csv_cell(json.dumps(d[f], ensure_ascii=False) if f in ("before", "after") else d[f])
            for f in AUDIT_FIELDS
        )
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


# -- results: every figure from drugscenes.services -----------------------------------------------


def _period(request: HttpRequest, store, label: str) -> Period:  # type: ignore[no-untyped-def]
    first, last = request.GET.get("from"), request.GET.get("to")
    if first and last:
        return Period.parse(first, last)
    record = store.round_record(label)
    if record is None:
        raise NotFoundError(f"no round {label} in the workspace")
    return Period.before_round(label, record.date)


@api("GET")
def result_inventory(request: HttpRequest, label: str) -> HttpResponse:
    """``drugscenes summary`` of a stored round (analysts, the coordinator)."""
    from drugscenes.services.workspace import inventory

    access.require(request, "view_results")
    with workspace() as store:
        return result(inventory(store, round_label=label).to_dict())


@api("GET")
def result_compare(request: HttpRequest) -> HttpResponse:
    """``drugscenes compare FROM TO`` (analysts, the coordinator)."""
    from drugscenes.services.change import compare

    access.require(request, "view_results")
    first, last = request.GET.get("from"), request.GET.get("to")
    if not first or not last:
        raise BadRequest("give from and to rounds")
    with workspace() as store:
        return result(
            compare(store, from_round=first, to_round=last, check_hotspots=False).to_dict()
        )


@api("GET")
def result_crime(request: HttpRequest, label: str) -> HttpResponse:
    """``drugscenes crime --round LABEL`` (analysts, the coordinator)."""
    from drugscenes.services.crime import crime

    access.require(request, "view_results")
    with workspace() as store:
        period = _period(request, store, label)
        return result(crime(store, round_label=label, period=period).to_dict())


@api("GET")
def result_history(request: HttpRequest) -> HttpResponse:
    """``drugscenes history [--scene ID]``: each place across all rounds (analysts, the
    coordinator)."""
    from drugscenes.services.change import history

    access.require(request, "view_results")
    scene = request.GET.get("scene") or None
    with workspace() as store:
        return result(history(store, scene_id=scene).to_dict())


@api("GET")
def result_survey(request: HttpRequest) -> HttpResponse:
    """``drugscenes survey --year YEAR`` under disclosure control (survey analysts)."""
    from drugscenes.services.survey import survey

    access.require(request, "view_survey")
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        raise BadRequest("give the survey year") from None
    with workspace() as store:
        return result(survey(store, year=year).to_dict())


@api("GET")
def report(request: HttpRequest, label: str) -> HttpResponse:
    """The published round (every role): the inventory of a round in the workspace."""
    from drugscenes.services.workspace import inventory

    access.require(request, "view_report")
    with workspace() as store:
        if store.round_record(label) is None:
            raise Http404(f"no published round {label}")
        return result(inventory(store, round_label=label).to_dict())
