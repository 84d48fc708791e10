"""The web app on a throwaway PostGIS server: one database for the whole run (the
workspace of two square municipalities, 0180 and 0183, and the app's tables), one
account per role and organisation. Tests make their own rounds, so they do not meet."""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass

import pytest
from shapely import box

from helpers import square_region

X0, Y0 = 660_000, 6_570_000
"""South-west corner of municipality 0180 (0183 lies east of it, from X0 + 10 km)."""

_labels = itertools.count(1)


@dataclass
class Accounts:
    """The accounts of the test run, by a short key such as ``police_editor``."""

    users: dict[str, object]
    organisations: dict[str, object]


@pytest.fixture(scope="session")
def web_url(postgis_server, tmp_path_factory):
    """URL of the database the app runs on, migrated, Django configured."""
    import os

    from drugscenes.store import create_workspace
    from drugscenes.web import server

    url = postgis_server.create_database("web_tests", template="ds_template")
    create_workspace(url, square_region(), region_name="Testlän").close()
    os.environ["DRUGSCENES_WEB_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DRUGSCENES_WEB_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    # closing stays fast; the report test renders at close itself
    os.environ["DRUGSCENES_WEB_REPORT_AT_CLOSE"] = "0"
    server.configure(url, secrets.token_urlsafe(40), loopback=False)
    server.migrate()
    yield url
    from django.db import connections

    connections.close_all()


ROLES = {
    # key: (organisation key, role)
    "coordinator": ("county", "coordinator"),
    "police_editor": ("police", "editor"),
    "police_analyst": ("police", "analyst"),
    "muni_editor": ("muni0180", "editor"),
    "other_muni_editor": ("muni0183", "editor"),
    "survey_analyst": ("region", "survey_analyst"),
    "viewer": ("customs", "viewer"),
}


@pytest.fixture(scope="session")
def accounts(web_url) -> Accounts:
    """One account per role and organisation (no password: tests sign in with
    ``force_login``, except the sign-in tests, which set one)."""
    from django.contrib.auth import get_user_model

    from drugscenes.web.models import Membership, Organisation

    orgs = {
        "county": Organisation.objects.create(name="Länsstyrelsen", kind="county_board"),
        "police": Organisation.objects.create(name="Polisen", kind="police"),
        "muni0180": Organisation.objects.create(
            name="Stockholms stad", kind="municipality", municipality_code="0180"
        ),
        "muni0183": Organisation.objects.create(
            name="Sundbybergs stad", kind="municipality", municipality_code="0183"
        ),
        "region": Organisation.objects.create(name="Region Stockholm", kind="region"),
        "customs": Organisation.objects.create(name="Tullverket", kind="customs"),
        "prison": Organisation.objects.create(name="Kriminalvården", kind="prison_probation"),
    }
    users = {}
    for key, (org, role) in ROLES.items():
        user = get_user_model().objects.create_user(username=key)
        Membership.objects.create(user=user, organisation=orgs[org], role=role)
        users[key] = user
    return Accounts(users, orgs)


@pytest.fixture
def client_for(accounts):
    """``client_for("police_editor")``: a test client signed in as that account."""
    from django.test import Client

    def make(key: str) -> Client:
        c = Client()
        c.force_login(accounts.users[key])
        return c

    return make


@pytest.fixture
def new_label() -> str:
    """A round label no other test uses."""
    return f"t{next(_labels):03d}-{secrets.token_hex(3)}"


class Helpers:
    """Small helpers for the tests (a fixture, as test modules cannot import conftest)."""

    X0, Y0 = X0, Y0

    @staticmethod
    def square(x: float, y: float, size: float = 100.0) -> dict[str, object]:
        """A square outline (GeoJSON, EPSG:3006), south-west corner at X0 + x, Y0 + y."""
        return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size).__geo_interface__

    @staticmethod
    def send(client, url: str, data: dict[str, object], method: str = "post"):
        """Send ``data`` as JSON with ``client``."""
        return getattr(client, method)(url, data=data, content_type="application/json")

    @staticmethod
    def open_round(client, label: str, date: str = "2025-03-01") -> None:
        """Open a round as the coordinator's ``client``."""
        r = Helpers.send(client, "/api/rounds", {"label": label, "date": date})
        assert r.status_code == 201, r.content

    @staticmethod
    def observe(client, label: str, geometry: dict[str, object], **extra: object) -> dict:
        """Save an observation (EPSG:3006) and return it; asserts it was created."""
        data = {"geometry": geometry, "crs": 3006, **extra}
        r = Helpers.send(client, f"/api/rounds/{label}/observations", data)
        assert r.status_code == 201, r.content
        return r.json()


@pytest.fixture
def h() -> type[Helpers]:
    """The :class:`Helpers`."""
    return Helpers


@pytest.fixture
def live_server(web_url):
    """The app under waitress on a free loopback port, in this process (same database)."""
    from django.test.utils import override_settings
    from waitress import create_server

    from drugscenes.web.wsgi import application

    # plain HTTP on loopback: cookies without the Secure flag, as `serve` does there
    with override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False):
        server = create_server(application, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.effective_port}"
        server.close()  # stops accepting; the daemon thread ends with the run
