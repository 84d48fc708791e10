"""The audit log (a row for every saved version, append-only, CSV for the coordinator)
and the framework's security: Argon2 hashes, rate-limited sign-in, CSRF, cookie flags,
Content-Security-Policy."""

from __future__ import annotations

import csv
import io

import psycopg
import pytest
from django.test import Client


def test_every_saved_version_is_in_the_audit_log(client_for, new_label, h):
    coord, police = client_for("coordinator"), client_for("police_editor")
    h.open_round(coord, new_label)
    obs = h.observe(police, new_label, h.square(3000, 3000), note="v1")
    url = f"/api/observations/{obs['id']}"
    for version in (1, 2):
        changed = {
            "version": version,
            "note": f"v{version + 1}",
            "geometry": h.square(3000 + version, 3000),
            "crs": 3006,
        }
        assert h.send(police, url, changed, "patch").status_code == 200
    assert police.post(f"{url}/submit").status_code == 200

    entries = coord.get("/api/audit", {"round": new_label}).json()["entries"]
    mine = [e for e in entries if e["object_id"] == str(obs["id"])]
    assert [e["action"] for e in mine] == ["create", "update", "update", "submit"]
    assert [e["after"]["version"] for e in mine] == [1, 2, 3, 4]
    assert [e["before"] and e["before"]["version"] for e in mine] == [None, 1, 2, 3]
    assert all(e["username"] == "police_editor" and e["organisation"] == "Polisen" for e in mine)
    # before/after carry the geometry in EPSG:3006: the outline moved by 1 m at each save
    xs = [e["after"]["geometry_3006"]["coordinates"][0][0][0][0] for e in mine]
    assert xs == [h.X0 + 3100, h.X0 + 3101, h.X0 + 3102, h.X0 + 3102]
    assert [e["after"]["note"] for e in mine] == ["v1", "v2", "v3", "v3"]

    r = coord.get("/api/audit.csv", {"round": new_label})
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["action"] for row in rows] == [e["action"] for e in entries]
    assert rows[0]["action"] == "open_round"


def test_audit_log_is_append_only_in_the_database(client_for, new_label, h, web_url):
    from django.core.exceptions import ValidationError

    from drugscenes.web.models import AuditEntry

    h.open_round(client_for("coordinator"), new_label)
    entry = AuditEntry.objects.filter(round_label=new_label).get()
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    for sql in (
        f"UPDATE web_auditentry SET reason = 'x' WHERE id = {entry.id}",
        f"DELETE FROM web_auditentry WHERE id = {entry.id}",
        "TRUNCATE web_auditentry",
    ):
        with (
            psycopg.connect(web_url, autocommit=True) as conn,
            pytest.raises(psycopg.errors.RaiseException, match="append-only"),
        ):
            conn.execute(sql)  # type: ignore[arg-type]
    assert AuditEntry.objects.filter(round_label=new_label).count() == 1


@pytest.fixture
def signin_user(accounts):
    from django.contrib.auth import get_user_model

    from drugscenes.web.models import Membership

    User = get_user_model()
    user, _ = User.objects.get_or_create(username="signin_user")
    user.set_password("a long passphrase for tests")
    user.save()
    Membership.objects.update_or_create(
        user=user, defaults={"organisation": accounts.organisations["police"], "role": "analyst"}
    )
    from axes.utils import reset

    reset(username="signin_user")
    return user


def test_passwords_are_hashed_with_argon2(signin_user):
    signin_user.refresh_from_db()
    assert signin_user.password.startswith("argon2$argon2id$")


def test_sign_in_with_csrf_and_session(signin_user):
    c = Client(enforce_csrf_checks=True)
    r = c.post(
        "/api/login",
        {"username": "signin_user", "password": "a long passphrase for tests"},
        content_type="application/json",
    )
    assert r.status_code == 403  # no CSRF token
    token = c.get("/api/csrf").json()["csrftoken"]
    assert c.get("/api/me").status_code == 401
    r = c.post(
        "/api/login",
        {"username": "signin_user", "password": "a long passphrase for tests"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 200 and r.json()["role"] == "analyst"
    cookie = r.cookies["sessionid"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert c.cookies["csrftoken"]["secure"]
    assert c.get("/api/me").json()["organisation"]["name"] == "Polisen"
    token = c.cookies["csrftoken"].value  # rotated at sign-in
    r = c.post("/api/logout", headers={"X-CSRFToken": token})
    assert r.status_code == 200, r.content
    assert c.get("/api/me").status_code == 401
    # the signed-out session is gone on the server: its cookie opens nothing
    replay = Client()
    replay.cookies["sessionid"] = cookie.value
    assert replay.get("/api/me").status_code == 401


def test_a_new_session_id_at_sign_in(signin_user):
    c = Client()
    c.get("/api/csrf")
    session = c.session
    session["before"] = 1
    session.save()
    before = session.session_key
    c.cookies["sessionid"] = before
    r = c.post(
        "/api/login",
        {"username": "signin_user", "password": "a long passphrase for tests"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.cookies["sessionid"].value != before


@pytest.mark.parametrize("password", ["short pass", "password12345", "signin_user1234"])
def test_weak_passwords_are_refused(password, signin_user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, signin_user)


def test_demo_accounts_get_new_random_passwords(web_url):
    from django.contrib.auth import get_user_model
    from django.test.utils import override_settings

    from drugscenes.web.server import demo_users

    # a fast hasher for this test only (Argon2 is checked above): 14 hashes at Argon2's cost
    # would take most of the test's time
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        first, second = demo_users(), demo_users()
    assert {u.role for u in first} == {
        "coordinator",
        "editor",
        "analyst",
        "survey_analyst",
        "viewer",
    }
    assert all(a.password != b.password for a, b in zip(first, second, strict=True))
    user = get_user_model().objects.get(username=second[0].username)
    assert second[0].password not in user.password
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        assert not user.check_password(first[0].password)
        assert user.check_password(second[0].password)


def test_sign_in_is_rate_limited(signin_user, settings):
    c = Client()
    wrong = {"username": "signin_user", "password": "wrong password"}
    statuses = [
        c.post("/api/login", wrong, content_type="application/json").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    right = {"username": "signin_user", "password": "a long passphrase for tests"}
    r = c.post("/api/login", right, content_type="application/json")
    assert r.status_code == 429 and "too many failed sign-ins" in r.json()["error"]


@pytest.fixture
def settings():
    from django.conf import settings as django_settings

    return django_settings


def test_security_headers_on_every_answer(client_for):
    for r in (Client().get("/login/"), client_for("viewer").get("/api/me")):
        csp = r["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r["X-Frame-Options"] == "DENY"
        assert r["X-Content-Type-Options"] == "nosniff"


def test_login_page_works_with_django_forms(signin_user):
    c = Client(enforce_csrf_checks=True)
    page = c.get("/login/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    token = c.cookies["csrftoken"].value
    r = c.post(
        "/login/",
        {
            "username": "signin_user",
            "password": "a long passphrase for tests",
            "csrfmiddlewaretoken": token,
        },
    )
    assert r.status_code == 302 and r["Location"] == "/"
    assert b"Polisen" in c.get("/").content


def test_cli_import_does_not_import_django():
    import subprocess
    import sys

    code = "import sys, drugscenes.cli; assert 'django' not in sys.modules, 'django imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
