"""Who may do what: the role (a Django group's permissions) and the object rules.

Every view calls these before it touches an object. A request for an object the user
may not see at all answers 404 (its existence is not revealed); a request the user's
role may not make answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from drugscenes.web.models import Membership, Observation, Round


class NotAuthenticated(Exception):
    """No signed-in user (the API answers 401)."""


def member(request: HttpRequest) -> Membership:
    """The signed-in user's membership; 401 without a user, 403 without an organisation."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated
    cached = getattr(request, "_ds_membership", None)
    if cached is not None:
        return cached
    try:
        found = Membership.objects.select_related("organisation").get(user_id=user.pk)
    except Membership.DoesNotExist:
        raise PermissionDenied("your account belongs to no organisation") from None
    request._ds_membership = found  # type: ignore[attr-defined]  # once per request
    return found


def require(request: HttpRequest, *codenames: str) -> Membership:
    """The membership, if the user's role has every one of the ``web`` permissions."""
    m = member(request)
    missing = [c for c in codenames if not request.user.has_perm(f"web.{c}")]
    if missing:
        raise PermissionDenied(f"your role ({m.role}) may not do this")
    return m


def visible_observations(request: HttpRequest, round_: Round):  # type: ignore[no-untyped-def]
    """Observations of a round the user may read: all for the coordinator, the own
    organisation's for an editor."""
    m = require(request, "view_observation")
    qs = Observation.objects.filter(round=round_).select_related("organisation")
    if request.user.has_perm("web.coordinate_round"):
        return qs
    return qs.filter(organisation=m.organisation)


def observation(request: HttpRequest, pk: int, write: bool = False) -> Observation:
    """One observation the user may read (or, with ``write``, change).

    Raises
    ------
    Http404
        No such observation, or one of another organisation (reads by the
        coordinator excepted).
    PermissionDenied
        The role may not read (or change) observations.
    """
    m = require(request, "change_observation" if write else "view_observation")
    try:
        obs = Observation.objects.select_related("organisation", "round").get(pk=pk)
    except Observation.DoesNotExist:
        raise Http404("no such observation") from None
    coordinator = request.user.has_perm("web.coordinate_round")
    if obs.organisation_id != m.organisation_id and not (coordinator and not write):
        raise Http404("no such observation")
    return obs
