"""The pages: sign-in (Django's own login view, with CSRF and django-axes) and the
start page listing what the user's role may open."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from drugscenes.web.jsmessages import map_texts
from drugscenes.web.models import Membership, Round

CRITERIA_LABELS = [
    ("persistent", gettext_lazy("Återkommande plats")),
    ("open_use", gettext_lazy("Öppet bruk")),
    ("open_sale", gettext_lazy("Öppen försäljning")),
    ("creates_unsafety", gettext_lazy("Skapar otrygghet")),
]


class LoginPage(LoginView):
    """Sign in with a local account."""

    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    """Sign out (a POST with the CSRF token) and return to the sign-in page."""
    logout(request)
    return redirect("login-page")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: the user's organisation, role and the rounds."""
    try:
        membership = request.user.membership  # type: ignore[union-attr]
    except Membership.DoesNotExist:
        membership = None
    rounds = Round.objects.all() if request.user.has_perm("web.view_round") else []
    published = Round.objects.filter(status=Round.CLOSED)
    coordinator = request.user.has_perm("web.coordinate_round")
    return render(
        request,
        "web/home.html",
        {
            "membership": membership,
            "rounds": rounds,
            "published": published,
            "coordinator": coordinator,
            "can_list": request.user.has_perm("web.view_observation"),
            "results": request.user.has_perm("web.view_results"),
            "survey": request.user.has_perm("web.view_survey"),
        },
    )


@login_required
def map_page(request: HttpRequest, label: str) -> HttpResponse:
    """The round's map: drawing for editors, reconciliation for the coordinator."""
    try:
        membership = request.user.membership  # type: ignore[union-attr]
    except Membership.DoesNotExist:
        raise PermissionDenied from None
    if not request.user.has_perm("web.view_round"):
        raise PermissionDenied
    rnd = get_object_or_404(Round, label=label)
    return render(
        request,
        "web/map.html",
        {
            "round": rnd,
            "membership": membership,
            "criteria": CRITERIA_LABELS,
            "map_texts": map_texts(),
        },
    )


@login_required
def report_page(request: HttpRequest, label: str) -> HttpResponse:
    """The published round (every role): its inventory, as ``drugscenes summary`` gives it."""
    from django.conf import settings
    from django.http import Http404

    from drugscenes.services.workspace import inventory
    from drugscenes.web.storeio import workspace

    if not request.user.has_perm("web.view_report"):
        raise PermissionDenied
    with workspace(settings.DATABASE_URL) as store:
        if store.round_record(label) is None:
            raise Http404("no published round")
        inv = inventory(store, round_label=label, largest=50).to_dict()
    return render(request, "web/report.html", {"inv": inv})


@login_required
@require_POST
def open_round_page(request: HttpRequest) -> HttpResponse:
    """The coordinator's form on the start page: open a round, then show its map."""
    from django.conf import settings
    from django.contrib import messages

    from drugscenes.web import access, workflow
    from drugscenes.web.storeio import workspace

    m = access.require(request, "coordinate_round")
    label = request.POST.get("label", "")
    try:
        with workspace(settings.DATABASE_URL) as store:
            rnd = workflow.open_round(request.user, m, store, label, request.POST.get("date"))
    except (workflow.BadRequest, workflow.Conflict) as exc:
        messages.error(request, str(exc))
        return redirect("home")
    return redirect("map-page", rnd.label)
