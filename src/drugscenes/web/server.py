"""Start the web app: configure Django for a workspace, migrate, and serve it.

``drugscenes serve URL`` runs the app on the PostGIS workspace at ``URL`` (its tables
``web_*`` beside the workspace's schemas). ``drugscenes serve FILE.gpkg`` (trying it out)
and ``drugscenes serve --demo`` start a throwaway local PostGIS server in the instance
folder and copy the GeoPackage (or the freshly built demo county) into it.

The instance folder holds what must not be in the repository: the secret key (made at
first start, mode 0600, unless ``DRUGSCENES_WEB_SECRET_KEY`` is set) and the local
server. Demo accounts get new random passwords at every start, printed once on
standard error and never written anywhere.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drugscenes.errors import UsageError
from drugscenes.store import is_url

DEFAULT_INSTANCE = Path(".drugscenes-web")
"""Instance folder, relative to the working directory (ignored by git: it holds a
``.gitignore`` of its own)."""

DEMO_MUNICIPALITY = "0180"
"""The demo's municipal organisation (Stockholm's code in the synthetic county)."""


@dataclass(frozen=True)
class DemoUser:
    """A demo account: organisation, role and the password made for this start."""

    username: str
    organisation: str
    role: str
    password: str


def instance_folder(path: str | Path | None) -> Path:
    """The instance folder, created (owner-only) with a ``.gitignore`` of ``*``."""
    folder = Path(path or DEFAULT_INSTANCE).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o711)  # the local server's system user must reach its subfolder
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return folder


def secret_key(folder: Path) -> str:
    """``DRUGSCENES_WEB_SECRET_KEY``, or the instance's key (made at first start, 0600)."""
    env = os.environ.get("DRUGSCENES_WEB_SECRET_KEY")
    if env:
        return env
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="utf-8").strip()


def local_database(folder: Path, gpkg: Path, say: Callable[[str], None]) -> str:
    """A local PostGIS server in ``folder/postgis`` holding a copy of ``gpkg``; its URL.

    The copy is made once; later starts reuse the server's data (the app's work).
    """
    from drugscenes.services.workspace import copy
    from drugscenes.store import open_workspace
    from drugscenes.store.postgis import localserver

    server = localserver.start(folder / "postgis")
    url = server.url
    try:
        with open_workspace(url):
            pass
        say(f"using the local PostGIS workspace {url} (copied earlier from a GeoPackage)")
    except Exception:
        if not gpkg.exists():
            raise UsageError(f"{gpkg}: no such workspace file") from None
        say(f"copying {gpkg} into the local PostGIS server {url}")
        copy(gpkg, url, overwrite=True)
    return url


def stop_local_server(instance: str | Path | None) -> bool:
    """Stop the instance folder's local PostGIS server, keeping its data; False if none
    was running."""
    from drugscenes.store.postgis import localserver

    return localserver.stop(instance_folder(instance) / "postgis")


def configure(database_url: str, key: str, *, loopback: bool, debug: bool = False) -> None:
    """Set the environment :mod:`drugscenes.web.settings` reads and start Django."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "drugscenes.web.settings"
    os.environ["DRUGSCENES_WEB_DATABASE"] = database_url
    os.environ["DRUGSCENES_WEB_SECRET_KEY"] = key
    if loopback:  # plain HTTP on this machine only: browsers drop Secure cookies there
        os.environ.setdefault("DRUGSCENES_WEB_SECURE_COOKIES", "0")
    if debug:
        os.environ["DRUGSCENES_WEB_DEBUG"] = "1"
    import django

    django.setup()


def migrate() -> None:
    """Create or upgrade the app's tables (Django's migrations)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def demo_users(municipality: str = DEMO_MUNICIPALITY) -> list[DemoUser]:
    """Create (or reset) one account per role and organisation, with new random passwords."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from drugscenes.store import open_workspace
    from drugscenes.web.models import Membership, Organisation

    with open_workspace(settings.DATABASE_URL) as store:
        munis = store.municipalities()
    names = dict(zip(munis["code"], munis["name"], strict=True))
    muni_name = f"{names.get(municipality, municipality)} kommun"

    plan = [
        ("Länsstyrelsen Stockholm", "county_board", "", [("lst-samordnare", "coordinator")]),
        (
            "Polisregion Stockholm",
            "police",
            "",
            [("polis-redaktor", "editor"), ("polis-analytiker", "analyst")],
        ),
        (
            muni_name,
            "municipality",
            municipality,
            [(f"kommun{municipality}-redaktor", "editor")],
        ),
        ("Region Stockholm", "region", "", [("region-enkat", "survey_analyst")]),
        ("Kriminalvården", "prison_probation", "", [("kriminalvarden-lasare", "viewer")]),
        ("Tullverket", "customs", "", [("tull-lasare", "viewer")]),
    ]
    users = []
    User = get_user_model()
    with transaction.atomic():
        for name, kind, code, accounts in plan:
            org, _ = Organisation.objects.get_or_create(
                name=name, defaults={"kind": kind, "municipality_code": code}
            )
            for username, role in accounts:
                password = secrets.token_urlsafe(12)
                user, _ = User.objects.get_or_create(username=username)
                user.set_password(password)
                user.save()
                Membership.objects.update_or_create(
                    user=user, defaults={"organisation": org, "role": role}
                )
                users.append(DemoUser(username, name, role, password))
    return users


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare(
    workspace: str | None,
    *,
    instance: str | Path | None = None,
    demo: bool = False,
    loopback: bool = True,
    say: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> tuple[str, list[DemoUser]]:
    """Everything before serving: the database, Django, migrations, demo accounts.

    Returns the database URL and the demo accounts made (empty unless ``demo``).
    """
    folder = instance_folder(instance)
    if demo:
        from drugscenes.demo.build import build_demo

        demo_dir = folder / "demo"
        if not (demo_dir / "demo.gpkg").exists():
            say("building the demo county (once)")
            build_demo(demo_dir)
        url = local_database(folder, demo_dir / "demo.gpkg", say)
    elif workspace is None:
        raise UsageError("give WORKSPACE (a postgresql:// URL or a .gpkg file), or --demo")
    elif is_url(workspace):
        url = workspace
    else:
        say(
            "warning: the app needs PostgreSQL; the GeoPackage is copied into a local "
            "PostGIS server in the instance folder, and the app's work stays there "
            f"(export it with 'drugscenes copy URL back.gpkg'). Folder: {folder}"
        )
        url = local_database(folder, Path(workspace), say)
    os.environ["DRUGSCENES_WEB_INSTANCE"] = str(folder)
    configure(url, secret_key(folder), loopback=loopback)
    migrate()
    return url, demo_users() if demo else []


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve the configured app with waitress (a production WSGI server) until stopped."""
    from django.conf import settings
    from waitress import serve as waitress_serve

    from drugscenes.web.wsgi import application

    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=settings.UPLOAD_MAX_BYTES + 1024 * 1024,
        ident="drugscenes",
    )
