"""URLs of the web app: the JSON API under ``/api/`` and the pages."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from drugscenes.web import api, ogc, openapi, pages, views

STATIC = Path(__file__).parent / "static"

urlpatterns = [
    path("api/csrf", api.csrf, name="csrf"),
    path("api/login", api.login_view, name="login"),
    path("api/logout", api.logout_view, name="logout"),
    path("api/me", api.me, name="me"),
    path("api/municipalities", api.municipalities, name="municipalities"),
    path("api/rounds", api.rounds, name="rounds"),
    path("api/rounds/<str:label>", api.round_detail, name="round"),
    path("api/rounds/<str:label>/observations", api.observations, name="observations"),
    path("api/rounds/<str:label>/upload", api.upload, name="upload"),
    path("api/rounds/<str:label>/confirm", api.confirm, name="confirm"),
    path("api/rounds/<str:label>/reconciliation", api.reconciliation, name="reconciliation"),
    path("api/rounds/<str:label>/scenes", api.scenes, name="scenes"),
    path("api/rounds/<str:label>/close", api.close, name="close"),
    path("api/rounds/<str:label>/reopen", api.reopen, name="reopen"),
    path("api/observations/<int:pk>", api.observation, name="observation"),
    path("api/observations/<int:pk>/submit", api.submit, name="submit"),
    path("api/audit", api.audit_log, name="audit"),
    path("api/audit.csv", api.audit_csv, name="audit-csv"),
    path("api/results/<str:label>/inventory", api.result_inventory, name="inventory"),
    path("api/results/<str:label>/crime", api.result_crime, name="crime"),
    path("api/results/compare", api.result_compare, name="compare"),
    path("api/results/survey", api.result_survey, name="survey"),
    path("api/results/history", api.result_history, name="history"),
    path("api/report/<str:label>", api.report, name="report"),
    path("api/openapi.json", openapi.document, name="openapi"),
    path("ogc", ogc.landing),
    path("ogc/", ogc.landing, name="ogc"),
    path("ogc/conformance", ogc.conformance, name="ogc-conformance"),
    path("ogc/collections", ogc.collections, name="ogc-collections"),
    path("ogc/collections/<str:cid>", ogc.collection, name="ogc-collection"),
    path("ogc/collections/<str:cid>/items", ogc.items, name="ogc-items"),
    path("ogc/collections/<str:cid>/items/<str:fid>", ogc.item, name="ogc-item"),
    path("login/", views.LoginPage.as_view(), name="login-page"),
    path("logout/", views.logout_page, name="logout-page"),
    path("rounds/new", views.open_round_page, name="open-round-page"),
    path("rounds/<str:label>/", views.map_page, name="map-page"),
    path("rounds/<str:label>/list", pages.round_list, name="list-page"),
    path("scenes/<str:scene_id>/", pages.scene_page, name="scene-page"),
    path("results/compare", pages.compare_page, name="compare-page"),
    path("results/<str:label>/crime", pages.crime_page, name="crime-page"),
    path("results/survey", pages.survey_page, name="survey-page"),
    path("report/<str:label>/", pages.report_page, name="report-page"),
    path("report/<str:label>/summary", views.report_page, name="summary-page"),
    path("", views.home, name="home"),
    # the package's own CSS and scripts (small and fixed: no separate static server)
    re_path(r"^static/(?P<path>.+)$", serve, {"document_root": STATIC}, name="static"),
]

if settings.OIDC_ENABLED:  # /oidc/authenticate/ and /oidc/callback/
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
