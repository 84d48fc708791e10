"""Pages beyond the map: the round's list with filters, a scene's page, the results of
the change, crime and survey jobs, and the published report.

Every figure comes from :mod:`drugscenes.services` (the ``to_dict()`` of the result the
CLI prints), shown as read-only tables by :func:`tables`; every page checks the role on
the server, as the JSON API does (403 for a role that may not, 404 for an unknown
object).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from drugscenes.errors import DrugscenesError, NotFoundError
from drugscenes.web import access, published
from drugscenes.web.geometry import to_geojson_4326
from drugscenes.web.labels import column_label
from drugscenes.web.models import Observation, Round
from drugscenes.web.storeio import workspace
from drugscenes.web.tables import tables
from drugscenes.web.workflow import to_shapely


def _results_page(request: HttpRequest, heading: str, job: Any) -> HttpResponse:
    """Run ``job(store)`` and show its ``to_dict()``; a job's refusal is shown as text."""
    error = ""
    shown: list[dict[str, Any]] = []
    with workspace(settings.DATABASE_URL) as store:
        try:
            shown = tables(job(store).to_dict(), label=column_label)
        except NotFoundError as exc:
            raise Http404(str(exc)) from None
        except DrugscenesError as exc:
            error = str(exc)
    return render(
        request,
        "web/results.html",
        {"heading": heading, "tables": shown, "error": error, "query": request.GET},
    )


def _member(request: HttpRequest, *perms: str) -> None:
    """The role check of a page: 403 unless the signed-in member has ``perms``."""
    try:
        access.require(request, *perms)
    except access.NotAuthenticated:  # login_required has run: not reached
        raise PermissionDenied from None


@login_required
def round_list(request: HttpRequest, label: str) -> HttpResponse:
    """The round's observations as a list, filtered by organisation, status and
    municipality (the coordinator: all; an editor: the own organisation's)."""
    _member(request, "view_observation")
    rnd = get_object_or_404(Round, label=label)
    qs = access.visible_observations(request, rnd).order_by("organisation__name", "id")
    every = list(qs)
    chosen = {k: request.GET.get(k, "") for k in ("organisation", "status", "municipality")}
    if chosen["organisation"]:
        qs = qs.filter(organisation__name=chosen["organisation"])
    if chosen["status"]:
        qs = qs.filter(status=chosen["status"])
    if chosen["municipality"]:
        qs = qs.filter(municipality_code=chosen["municipality"])
    options = {
        "organisation": sorted({o.organisation.name for o in every}),
        "status": [s for s, _ in Observation.STATUSES],
        "municipality": sorted({o.municipality_code for o in every if o.municipality_code}),
    }
    return render(
        request,
        "web/list.html",
        {"round": rnd, "observations": list(qs), "chosen": chosen, "options": options},
    )


def _feature(geom: Any, **properties: object) -> dict[str, Any]:
    """A GeoJSON feature in WGS84 of a geometry in EPSG:3006."""
    return {"type": "Feature", "geometry": to_geojson_4326(geom), "properties": properties}


@login_required
def scene_page(request: HttpRequest, scene_id: str) -> HttpResponse:
    """A scene's place across the rounds (``drugscenes history --scene ID``) and, for
    the coordinator, each organisation's outlines of that place in the open rounds."""
    from django.contrib.gis.geos import GEOSGeometry

    from drugscenes.services.change import history

    _member(request, "view_results")
    with workspace(settings.DATABASE_URL) as store:
        try:
            result = history(store, scene_id=scene_id)
        except NotFoundError as exc:
            raise Http404(str(exc)) from None
        obs = result.observations
        assert obs is not None
        latest = obs.sort_values("round_index").iloc[-1]
        frame = store.round_scenes(str(latest["round"]))
        place = frame[frame["scene_id"] == latest["scene_id"]]
    outlines = []
    # the scene and the organisations' outlines for the page's small map (scene.js)
    shapes: list[dict[str, Any]] = []
    if len(place):
        shapes.append(_feature(place.geometry.iloc[0], kind="scene", label=scene_id))
    if request.user.has_perm("web.coordinate_round") and len(place):
        geom = place.geometry.iloc[0]
        for o in (
            Observation.objects.filter(
                round__status=Round.OPEN,
                geom__intersects=GEOSGeometry(memoryview(geom.wkb), srid=3006),
            )
            .select_related("organisation", "round")
            .order_by("round__label", "organisation__name", "id")
        ):
            shape = to_shapely(o.geom)
            union = shape.union(geom).area
            iou = round(shape.intersection(geom).area / union, 3) if union else 0.0
            outlines.append({"obs": o, "iou": iou})
            shapes.append(
                _feature(
                    shape,
                    kind="outline",
                    label=f"{o.organisation.name} #{o.id} ({o.round.label})",
                    organisation=o.organisation.name,
                    iou=iou,
                )
            )
    return render(
        request,
        "web/scene.html",
        {
            "scene_id": scene_id,
            "places": tables({"places": result.to_dict()["places"]}, label=column_label),
            "rounds": tables({"observations": obs.to_dict("records")}, label=column_label),
            "outlines": outlines,
            "coordinator": request.user.has_perm("web.coordinate_round"),
            "shapes": {"type": "FeatureCollection", "features": shapes},
        },
    )


@login_required
def compare_page(request: HttpRequest) -> HttpResponse:
    """``drugscenes compare FROM TO`` (analysts, the coordinator)."""
    from drugscenes.services.change import compare

    _member(request, "view_results")
    first, last = request.GET.get("from", ""), request.GET.get("to", "")
    if not first or not last:
        return render(
            request,
            "web/results.html",
            {"heading": "compare", "tables": [], "error": "", "ask": ["from", "to"]},
        )
    return _results_page(
        request,
        f"compare {first} → {last}",
        lambda store: compare(store, from_round=first, to_round=last, check_hotspots=False),
    )


@login_required
def crime_page(request: HttpRequest, label: str) -> HttpResponse:
    """``drugscenes crime --round LABEL`` (analysts, the coordinator)."""
    from drugscenes.periods import Period
    from drugscenes.services.crime import crime

    _member(request, "view_results")

    def job(store):  # type: ignore[no-untyped-def]
        record = store.round_record(label)
        if record is None:
            raise NotFoundError(f"no round {label} in the workspace")
        first, last = request.GET.get("from"), request.GET.get("to")
        if first and last:
            period = Period.parse(first, last)
        else:
            period = Period.before_round(label, record.date)
        return crime(store, round_label=label, period=period)

    return _results_page(request, f"crime {label}", job)


@login_required
def survey_page(request: HttpRequest) -> HttpResponse:
    """``drugscenes survey --year YEAR`` under disclosure control (survey analysts)."""
    from drugscenes.services.survey import survey

    _member(request, "view_survey")
    year = request.GET.get("year", "")
    if not year.isdigit():
        return render(
            request,
            "web/results.html",
            {"heading": "survey", "tables": [], "error": "", "ask": ["year"]},
        )
    return _results_page(request, f"survey {year}", lambda store: survey(store, year=int(year)))


@login_required
def report_page(request: HttpRequest, label: str) -> HttpResponse:
    """The published round's full report (``drugscenes report``), served with the
    report's own Content-Security-Policy (every role)."""
    _member(request, "view_report")
    with workspace(settings.DATABASE_URL) as store:
        if store.round_record(label) is None:
            raise Http404("no published round")
    lang = "en" if getattr(request, "LANGUAGE_CODE", "sv") == "en" else "sv"
    html = published.render(label, lang).read_text(encoding="utf-8")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    policy = published.policy(html)
    if "frame-ancestors" not in policy:  # as the app's own pages: never framed
        policy += "; frame-ancestors 'none'"
    response["Content-Security-Policy"] = policy
    return response
