"""What the app does to its tables: observations, decisions, closing and reopening a
round, each change with its audit entry in the same transaction.

The views (:mod:`drugscenes.web.api`) check who may act (:mod:`drugscenes.web.access`)
and call these; the figures themselves come from :mod:`drugscenes.services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import shapely
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from shapely.geometry import mapping
from shapely.ops import unary_union

from drugscenes.errors import DrugscenesError, UsageError
from drugscenes.periods import parse_day
from drugscenes.services.imports import check_round_label
from drugscenes.store import Store
from drugscenes.web import storeio
from drugscenes.web.geometry import (
    GeometryProblem,
    as_multipolygon,
    check_outline,
    parse_geojson,
    to_geojson_4326,
)
from drugscenes.web.models import (
    AuditEntry,
    Membership,
    Observation,
    Round,
    RoundScene,
)
from drugscenes.web.roles import ANSWERS, CRITERIA

TEXT_LIMITS = {"name": 200, "note": 5000}
LIST_FIELDS = ("activities", "drug_types", "times_of_day")
MAX_LIST_ITEMS, MAX_ITEM_CHARS = 50, 100
EDITABLE = {"geometry", "crs", "name", "note", "observed_on", *CRITERIA, *LIST_FIELDS}


class BadRequest(Exception):
    """Input the app refuses (400), with a message and optional problems."""

    def __init__(self, message: str, problems: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class Conflict(Exception):
    """A request that does not fit the object's state (409): a closed round, a decided
    observation, a stale version."""


# -- geometry between shapely and GeoDjango -------------------------------------------------------


def to_geos(geom: shapely.Geometry) -> GEOSGeometry:
    """A shapely geometry in EPSG:3006 as GeoDjango's."""
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=3006)


def to_shapely(geom: GEOSGeometry) -> shapely.Geometry:
    """GeoDjango's geometry as shapely's (same CRS)."""
    return shapely.from_wkb(bytes(geom.wkb))


# -- audit ----------------------------------------------------------------------------------------


def audit(
    user: AbstractBaseUser,
    membership: Membership | None,
    action: str,
    object_type: str,
    object_id: object,
    round_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the audit log (call inside the change's transaction)."""
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username(),
        organisation=membership.organisation.name if membership else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        round_label=round_label,
        before=before,
        after=after,
        reason=reason,
    )


def observation_state(obs: Observation) -> dict[str, Any]:
    """An observation's geometry (GeoJSON, EPSG:3006) and attributes, for the audit log."""
    return {
        "geometry_3006": mapping(to_shapely(obs.geom)),
        "area_m2": round(obs.area_m2, 1),
        "municipality_code": obs.municipality_code,
        "organisation": obs.organisation.name,
        "status": obs.status,
        "version": obs.version,
        "name": obs.name,
        **{c: getattr(obs, c) for c in CRITERIA},
        **{f: list(getattr(obs, f)) for f in LIST_FIELDS},
        "note": obs.note,
        "observed_on": obs.observed_on.isoformat() if obs.observed_on else None,
        "review_comment": obs.review_comment,
    }


def observation_json(obs: Observation) -> dict[str, Any]:
    """An observation for the API: geometry as GeoJSON in WGS84."""
    return {
        "id": obs.id,
        "round": obs.round.label,
        "organisation": {"id": obs.organisation_id, "name": obs.organisation.name},
        "status": obs.status,
        "version": obs.version,
        "name": obs.name,
        "criteria": {c: getattr(obs, c) for c in CRITERIA},
        **{f: list(getattr(obs, f)) for f in LIST_FIELDS},
        "note": obs.note,
        "observed_on": obs.observed_on.isoformat() if obs.observed_on else None,
        "area_m2": round(obs.area_m2, 1),
        "municipality_code": obs.municipality_code,
        "review_comment": obs.review_comment,
        "geometry": to_geojson_4326(to_shapely(obs.geom)),
        "updated_at": obs.updated_at.isoformat(),
    }


# -- input ----------------------------------------------------------------------------------------


def parse_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """Check an observation's attributes from the API (those present in ``data``).

    Raises
    ------
    BadRequest
        An unknown field, a criterion that is not yes/no/unknown, text too long, a
        list that is not a list of short texts, or a bad date.
    """
    unknown = sorted(set(data) - EDITABLE - {"version", "criteria"})
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    criteria = data.get("criteria", {})
    if not isinstance(criteria, dict):
        raise BadRequest("criteria must be an object")
    for c in CRITERIA:
        if c in criteria or c in data:
            v = criteria.get(c, data.get(c))
            if v not in ANSWERS:
                raise BadRequest(f"{c} must be one of {', '.join(ANSWERS)}")
            values[c] = v
    bad_criteria = sorted(set(criteria) - set(CRITERIA))
    if bad_criteria:
        raise BadRequest(f"unknown criteria: {', '.join(bad_criteria)}")
    for f, limit in TEXT_LIMITS.items():
        if f in data:
            v = data[f] if data[f] is not None else ""
            if not isinstance(v, str) or len(v) > limit:
                raise BadRequest(f"{f} must be text of at most {limit} characters")
            values[f] = v
    for f in LIST_FIELDS:
        if f in data:
            v = data[f]
            if (
                not isinstance(v, list)
                or len(v) > MAX_LIST_ITEMS
                or not all(isinstance(x, str) and 0 < len(x) <= MAX_ITEM_CHARS for x in v)
            ):
                raise BadRequest(
                    f"{f} must be a list of at most {MAX_LIST_ITEMS} texts of "
                    f"1-{MAX_ITEM_CHARS} characters"
                )
            values[f] = v
    if "observed_on" in data:
        v = data["observed_on"]
        try:
            values["observed_on"] = None if v in (None, "") else parse_day(str(v), "observed_on")
        except UsageError as exc:
            raise BadRequest(str(exc)) from None
    return values


def parse_outline(
    data: dict[str, Any], munis: gpd.GeoDataFrame, membership: Membership
) -> tuple[Any, float, str, list[str]]:
    """The outline in ``data`` checked for the member's organisation (as GEOS, area,
    municipality code, warnings)."""
    try:
        geom = parse_geojson(data.get("geometry"), data.get("crs", 4326))
        own = (
            membership.organisation.municipality_code
            if membership.organisation.kind == "municipality"
            else None
        )
        outline = check_outline(geom, munis, own)
    except GeometryProblem as exc:
        raise BadRequest(f"geometry: {exc}") from None
    return to_geos(outline.geometry), outline.area_m2, outline.municipality_code, outline.warnings


def _open(round_: Round) -> None:
    if round_.status != Round.OPEN:
        raise Conflict(f"round {round_.label} is closed; the coordinator may reopen it")


# -- rounds ---------------------------------------------------------------------------------------


def open_round(
    user: AbstractBaseUser, membership: Membership, store: Store, label: str, date: str | None
) -> Round:
    """Open a round for mapping; a label the workspace already holds is refused."""
    try:
        label = check_round_label(str(label))
        day = None if not date else parse_day(str(date), "date")
    except UsageError as exc:
        raise BadRequest(str(exc)) from None
    if store.round_record(label) is not None:
        raise Conflict(f"the workspace already holds a round {label}")
    with transaction.atomic():
        if Round.objects.filter(label=label).exists():
            raise Conflict(f"round {label} exists already")
        rnd = Round.objects.create(label=label, date=day, opened_by=user)
        audit(user, membership, "open_round", "round", label, label, None, _round_state(rnd))
    return rnd


def _round_state(rnd: Round) -> dict[str, Any]:
    return {
        "label": rnd.label,
        "date": rnd.date.isoformat() if rnd.date else None,
        "status": rnd.status,
        "times_closed": rnd.times_closed,
    }


def round_json(rnd: Round) -> dict[str, Any]:
    """A round for the API, with its observations counted by status."""
    counts: dict[str, int] = {}
    for status in rnd.observations.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return {**_round_state(rnd), "observations": counts, "scenes": rnd.scenes.count()}


# -- observations ---------------------------------------------------------------------------------


def create_observation(
    user: AbstractBaseUser,
    membership: Membership,
    munis: gpd.GeoDataFrame,
    rnd: Round,
    data: dict[str, Any],
) -> tuple[Observation, list[str]]:
    """A new draft observation of the member's organisation."""
    values = parse_attributes(data)
    if "geometry" not in data:
        raise BadRequest("geometry: an outline is required")
    geos, area, code, warnings = parse_outline(data, munis, membership)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        _open(rnd)
        obs = Observation.objects.create(
            round=rnd,
            organisation=membership.organisation,
            geom=geos,
            area_m2=area,
            municipality_code=code,
            created_by=user,
            **values,
        )
        audit(
            user,
            membership,
            "create",
            "observation",
            obs.id,
            rnd.label,
            None,
            observation_state(obs),
        )
    return obs, warnings


def update_observation(
    user: AbstractBaseUser,
    membership: Membership,
    munis: gpd.GeoDataFrame,
    obs: Observation,
    data: dict[str, Any],
) -> tuple[Observation, list[str]]:
    """Change an observation (``version`` must be the one the editor saw)."""
    values = parse_attributes(data)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadRequest("version: give the version you edited (an integer)")
    warnings: list[str] = []
    if "geometry" in data:
        geos, area, code, warnings = parse_outline(data, munis, membership)
        values.update(geom=geos, area_m2=area, municipality_code=code)
    with transaction.atomic():
        current = _lock_undecided(obs, "changed")
        if current.version != version:
            raise Conflict(
                f"observation {obs.id} was changed meanwhile (version {current.version}, "
                f"you edited {version}); reload it"
            )
        before = observation_state(current)
        for key, value in values.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        audit(
            user,
            membership,
            "update",
            "observation",
            current.id,
            current.round.label,
            before,
            observation_state(current),
        )
    return current, warnings


def _lock_undecided(obs: Observation, verb: str) -> Observation:
    """``obs`` locked for this transaction, in an open round and not yet decided."""
    current = (
        Observation.objects.select_for_update()
        .select_related("organisation", "round")
        .get(pk=obs.pk)
    )
    _open(current.round)
    if current.status in (Observation.ACCEPTED, Observation.REJECTED):
        raise Conflict(f"observation {obs.id} is {current.status}; it cannot be {verb}")
    return current


def delete_observation(user: AbstractBaseUser, membership: Membership, obs: Observation) -> None:
    """Delete an undecided observation (its last state stays in the audit log)."""
    with transaction.atomic():
        current = _lock_undecided(obs, "deleted")
        before = observation_state(current)
        label, pk = current.round.label, current.id
        current.delete()
        audit(user, membership, "delete", "observation", pk, label, before, None)


def submit_observation(
    user: AbstractBaseUser, membership: Membership, obs: Observation
) -> Observation:
    """draft → submitted: the organisation proposes it for the round."""
    with transaction.atomic():
        current = (
            Observation.objects.select_for_update()
            .select_related("organisation", "round")
            .get(pk=obs.pk)
        )
        _open(current.round)
        if current.status != Observation.DRAFT:
            raise Conflict(f"observation {obs.id} is {current.status}, not a draft")
        before = observation_state(current)
        current.status = Observation.SUBMITTED
        current.version += 1
        current.save()
        audit(
            user,
            membership,
            "submit",
            "observation",
            current.id,
            current.round.label,
            before,
            observation_state(current),
        )
    return current


# -- reconciliation -------------------------------------------------------------------------------


def scene_json(scene: RoundScene) -> dict[str, Any]:
    """A decided scene for the API (geometry in WGS84)."""
    return {
        "id": scene.id,
        "round": scene.round.label,
        "scene_id": scene.scene_id,
        "name": scene.name,
        "method": scene.method,
        "observations": sorted(scene.observations.values_list("id", flat=True)),
        "area_m2": round(scene.area_m2, 1),
        "municipality_code": scene.municipality_code,
        "comment": scene.comment,
        "geometry": to_geojson_4326(to_shapely(scene.geom)),
    }


def decide(
    user: AbstractBaseUser,
    membership: Membership,
    store: Store,
    rnd: Round,
    data: dict[str, Any],
) -> RoundScene | None:
    """The coordinator's decision on submitted observations of one place.

    ``data``: ``observations`` (ids), ``decision`` (``accepted`` or ``rejected``),
    ``comment``; for an acceptance ``method`` (``one`` with ``observation``, ``union`` or
    ``intersection``), optional ``scene_id`` and ``name``. Returns the accepted scene.
    """
    ids = data.get("observations")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise BadRequest("observations: give the ids of the observations decided on")
    decision = data.get("decision")
    if decision not in ("accepted", "rejected"):
        raise BadRequest("decision must be 'accepted' or 'rejected'")
    comment = data.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 5000:
        raise BadRequest("comment must be text of at most 5000 characters")
    if decision == "rejected" and not comment.strip():
        raise BadRequest("comment: say why the observations are rejected")
    for key in ("scene_id", "name"):
        if not isinstance(data.get(key) or "", str) or len(data.get(key) or "") > 64 * (
            1 + (key == "name") * 2
        ):
            raise BadRequest(f"{key} must be short text")
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        _open(rnd)
        found = list(
            Observation.objects.select_for_update()
            .select_related("organisation")
            .filter(round=rnd, id__in=ids)
        )
        if len(found) != len(set(ids)):
            missing = sorted(set(ids) - {o.id for o in found})
            raise BadRequest(f"observations not in round {rnd.label}: {missing}")
        undecidable = [o.id for o in found if o.status != Observation.SUBMITTED]
        if undecidable:
            raise Conflict(f"observations not submitted (or decided already): {undecidable}")
        before = {o.id: observation_state(o) for o in found}
        scene = None
        if decision == "accepted":
            scene = _accept(user, rnd, found, data, comment, store)
        for o in found:
            o.status = decision
            o.review_comment = comment
            o.version += 1
            o.save()
            audit(
                user,
                membership,
                f"decide_{decision}",
                "observation",
                o.id,
                rnd.label,
                before[o.id],
                observation_state(o),
                comment,
            )
        if scene is not None:
            audit(
                user,
                membership,
                "accept_scene",
                "scene",
                scene.id,
                rnd.label,
                None,
                _scene_state(scene),
                comment,
            )
    return scene


def _accept(
    user: AbstractBaseUser,
    rnd: Round,
    found: list[Observation],
    data: dict[str, Any],
    comment: str,
    store: Store,
) -> RoundScene:
    method = data.get("method")
    geoms = {o.id: to_shapely(o.geom) for o in found}
    if method == "one":
        chosen = data.get("observation")
        if chosen not in geoms:
            raise BadRequest("observation: name the accepted outline, one of the observations")
        geom = geoms[chosen]
    elif method == "union":
        geom = unary_union(list(geoms.values()))
    elif method == "intersection":
        geom = shapely.intersection_all(list(geoms.values()))
    else:
        raise BadRequest("method must be 'one', 'union' or 'intersection'")
    geom = as_multipolygon(shapely.make_valid(geom))
    if geom.is_empty or geom.area <= 0:
        raise BadRequest(f"the {method} of these outlines has no area")
    try:
        outline = check_outline(geom, store.municipalities())
    except GeometryProblem as exc:
        raise BadRequest(f"geometry: {exc}") from None
    scene = RoundScene.objects.create(
        round=rnd,
        scene_id=(data.get("scene_id") or "").strip(),
        name=(data.get("name") or found[0].name or "").strip(),
        geom=to_geos(outline.geometry),
        area_m2=outline.area_m2,
        municipality_code=outline.municipality_code,
        method=method,
        comment=comment,
        decided_by=user,
    )
    scene.observations.set(found)
    return scene


def _scene_state(scene: RoundScene) -> dict[str, Any]:
    return {
        "geometry_3006": mapping(to_shapely(scene.geom)),
        "area_m2": round(scene.area_m2, 1),
        "scene_id": scene.scene_id,
        "name": scene.name,
        "method": scene.method,
        "municipality_code": scene.municipality_code,
        "observations": sorted(scene.observations.values_list("id", flat=True)),
    }


# -- closing and reopening ------------------------------------------------------------------------


def accepted_frame(rnd: Round) -> gpd.GeoDataFrame:
    """The round's accepted scenes as a scene file's columns (EPSG:3006)."""
    rows, geoms = [], []
    for scene in rnd.scenes.prefetch_related("observations__organisation").order_by("id"):
        observations = sorted(scene.observations.all(), key=lambda o: o.id)
        first = observations[0]
        rows.append(
            {
                "scene_id": scene.scene_id or None,
                "name": scene.name,
                "municipality_code": scene.municipality_code,
                "activities": "; ".join(_merged(observations, "activities")),
                "drug_types": "; ".join(_merged(observations, "drug_types")),
                "times_of_day": "; ".join(_merged(observations, "times_of_day")),
                "source_org": "; ".join(sorted({o.organisation.name for o in observations})),
                "note": scene.comment,
                "method": scene.method,
                **{c: getattr(first, c) for c in CRITERIA},
            }
        )
        geoms.append(to_shapely(scene.geom))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=3006)


def _merged(observations: list[Observation], field: str) -> list[str]:
    seen: list[str] = []
    for o in observations:
        for v in getattr(o, field):
            if v not in seen:
                seen.append(v)
    return seen


def close_round(
    user: AbstractBaseUser, membership: Membership, store: Store, rnd: Round
) -> dict[str, Any]:
    """Write the accepted scenes into the store as the round, freeze it, log it."""
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        _open(rnd)
        undecided = list(
            rnd.observations.filter(status=Observation.SUBMITTED).values_list("id", flat=True)
        )
        if undecided:
            raise Conflict(f"submitted observations are not decided yet: {undecided}")
        frame = accepted_frame(rnd)
        if frame.empty:
            raise BadRequest("no accepted scenes: accept at least one before closing the round")
        before = _round_state(rnd)
        try:
            result = storeio.write_round(
                store,
                rnd.label,
                rnd.date.isoformat() if rnd.date else None,
                frame,
                replace=rnd.times_closed > 0,
                note="closed in the web app",
            )
        except DrugscenesError as exc:
            problems = [p.to_dict() for p in getattr(exc, "problems", [])]
            raise BadRequest(f"the round could not be stored: {exc}", problems) from None
        rnd.status = Round.CLOSED
        rnd.times_closed += 1
        rnd.closed_at = timezone.now()
        rnd.save()
        audit(
            user,
            membership,
            "close_round",
            "round",
            rnd.label,
            rnd.label,
            before,
            {**_round_state(rnd), "n_scenes": result.n_scenes},
        )
    return {**round_json(rnd), "stored": result.to_dict()}


def reopen_round(
    user: AbstractBaseUser, membership: Membership, rnd: Round, reason: object
) -> Round:
    """Reopen a closed round (the coordinator, with a reason); the stored round is
    replaced when it is closed again."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 5000:
        raise BadRequest("reason: say why the round is reopened")
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status != Round.CLOSED:
            raise Conflict(f"round {rnd.label} is open")
        before = _round_state(rnd)
        rnd.status = Round.OPEN
        rnd.save()
        audit(
            user,
            membership,
            "reopen_round",
            "round",
            rnd.label,
            rnd.label,
            before,
            _round_state(rnd),
            reason.strip(),
        )
    return rnd


def today() -> dt.date:
    """Today in Swedish local time."""
    return timezone.localdate()
