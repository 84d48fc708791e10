"""A throwaway PostgreSQL + PostGIS server in a folder, for tests and for trying PostGIS.

:func:`start` makes a cluster in ``DIR/data`` (``initdb``: trust authentication, UTF8,
superuser ``postgres``), starts it listening on 127.0.0.1 only, on a free port, with its
unix socket in ``DIR``, creates a database ``drugscenes`` with the PostGIS extension and
returns a :class:`LocalServer` whose :attr:`~LocalServer.url` is what every drugscenes
command takes::

    python -m drugscenes.store.postgis.localserver start .postgis
    drugscenes init postgresql://postgres@127.0.0.1:PORT/drugscenes --municipalities F
    python -m drugscenes.store.postgis.localserver stop .postgis

(``make postgis`` does the first line.) The server is for one machine and one person:
anyone on this machine can connect without a password, so never put real personal data
(the safety survey) in it.

PostgreSQL refuses to run as root. Run as root (as CI does), the folder is handed to the
unprivileged ``postgres`` system user (made by Debian's ``postgresql`` package) and
``initdb``/``pg_ctl`` run as that user through ``runuser``. The server programs are found
under ``/usr/lib/postgresql/<version>/bin`` (Debian's layout), preferring the newest
version that has PostGIS; ``PG_BINDIR`` overrides the search.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from drugscenes.errors import WorkspaceError

__all__ = ["LocalServer", "find_bindir", "start", "stop"]

SUPERUSER = "postgres"
"""The cluster's superuser (``initdb -U``); trust authentication, no password."""

DATABASE = "drugscenes"
"""The database :func:`start` creates, with the PostGIS extension."""

_SYSTEM_USER = "postgres"
_STATE = "server.json"
_SETTINGS = "drugscenes.conf"
# A throwaway server: durability is not wanted, speed is (crash recovery still works for
# a killed server, as the data is in the OS cache; only an OS crash could lose it).
_FAST = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


def find_bindir() -> Path:
    """Folder of ``initdb`` and ``pg_ctl``: the newest ``/usr/lib/postgresql/*/bin`` with PostGIS.

    Raises
    ------
    WorkspaceError
        No PostgreSQL server programs are installed.
    """
    env = os.environ.get("PG_BINDIR")
    if env:
        if not (Path(env) / "initdb").exists():
            raise WorkspaceError(f"PG_BINDIR={env} has no initdb")
        return Path(env)
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = initdb.parent.parent.name
        postgis = any(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control"))
        key = (postgis, int(version) if version.isdigit() else 0)
        found.append((key, initdb.parent))
    if not found:
        raise WorkspaceError(
            "no PostgreSQL server found under /usr/lib/postgresql/*/bin; install it with "
            "'apt-get install postgresql postgresql-15-postgis-3'"
        )
    return max(found)[1]


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a server program, as the ``postgres`` system user when we are root."""
    cmd = [str(a) for a in args]
    if _as_root():
        cmd = ["runuser", "-u", _SYSTEM_USER, "--", *cmd]
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}
    )
    if check and proc.returncode != 0:
        raise WorkspaceError(
            f"{Path(args[0]).name} failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return proc


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    """Whether the server can listen on ``port`` (it binds with SO_REUSEADDR, so
    connections of a previous run in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class LocalServer:
    """A local cluster made by :func:`start`.

    Attributes
    ----------
    folder : Path
        The folder holding ``data/`` (the cluster), the socket and ``server.log``.
    port : int
        TCP port on 127.0.0.1.
    bindir : Path
        Folder of the server programs.
    """

    folder: Path
    port: int
    bindir: Path

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.folder / "server.log"

    @property
    def url(self) -> str:
        """URL of the ``drugscenes`` database (what drugscenes commands take)."""
        return self.url_for(DATABASE)

    def url_for(self, database: str, user: str = SUPERUSER) -> str:
        """URL of one database of this server, as ``user`` (trust: no password)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def is_running(self) -> bool:
        """Whether the server answers ``pg_ctl status``."""
        if not (self.data / "PG_VERSION").exists():
            return False
        proc = _run([self.bindir / "pg_ctl", "-D", self.data, "status"], self.folder, check=False)
        return proc.returncode == 0

    def start(self) -> None:
        """Start the server (the cluster must exist) and wait until it accepts connections."""
        if self.is_running():
            return
        if not _port_free(self.port):
            self.port = _free_port()
        self._write_settings()
        proc = _run(
            [self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"],
            self.folder,
            check=False,
        )
        if proc.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise WorkspaceError(
                f"the PostgreSQL server in {self.folder} did not start: "
                f"{(proc.stderr or proc.stdout).strip()}\n{tail}"
            )
        self._save()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``mode`` is pg_ctl's: ``fast``, or ``immediate`` (a crash)."""
        if not self.is_running():
            return
        _run([self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"], self.folder)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (e.g. CREATE DATABASE)."""
        import psycopg

        with psycopg.connect(self.url_for(database), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (from ``template``, or empty with PostGIS); return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"'{name}' is not a plain database name")
        if template is None:
            self.execute(f'CREATE DATABASE "{name}"')
            self.execute("CREATE EXTENSION IF NOT EXISTS postgis", database=name)
        else:
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending its open connections."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- state ---------------------------------------------------------------
    def _write_settings(self) -> None:
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            **_FAST,
        }
        text = "".join(f"{k} = {v}\n" for k, v in settings.items())
        path = self.data / _SETTINGS
        path.write_text(text, encoding="utf-8")
        if _as_root():
            shutil.chown(path, _SYSTEM_USER, _SYSTEM_USER)

    def _save(self) -> None:
        state = {"port": self.port, "bindir": str(self.bindir), "url": self.url}
        (self.folder / _STATE).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")


def _load(folder: Path) -> LocalServer | None:
    path = folder / _STATE
    if not path.exists() or not (folder / "data" / "PG_VERSION").exists():
        return None
    state = json.loads(path.read_text(encoding="utf-8"))
    return LocalServer(folder, int(state["port"]), Path(state["bindir"]))


def _prepare_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not _as_root():
        return
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        raise WorkspaceError(
            "PostgreSQL refuses to run as root and there is no 'postgres' system user to run "
            "it as; install Debian's 'postgresql' package, or run as an ordinary user"
        ) from None
    shutil.chown(folder, _SYSTEM_USER, _SYSTEM_USER)
    os.chmod(folder, 0o700)
    probe = subprocess.run(["runuser", "-u", _SYSTEM_USER, "--", "test", "-w", str(folder)])
    if probe.returncode != 0:
        raise WorkspaceError(
            f"the 'postgres' system user cannot reach {folder} (a folder above it is not "
            "searchable by others); choose a folder under /tmp"
        )


def start(folder: str | Path, port: int | None = None) -> LocalServer:
    """Start (creating it on first use) a throwaway server in ``folder``.

    Parameters
    ----------
    folder : str or Path
        Holds the cluster; created if missing. A folder with a cluster from an earlier
        :func:`start` is started again, its databases kept.
    port : int, optional
        TCP port on 127.0.0.1; default a free one.

    Returns
    -------
    LocalServer
        Running; its ``url`` names the ``drugscenes`` database (PostGIS enabled).
    """
    folder = Path(folder).resolve()
    if len(str(folder)) > 90:  # unix socket paths are limited to 107 bytes
        raise WorkspaceError(f"{folder} is too long a path for the server's socket")
    server = _load(folder)
    if server is not None:
        if port is not None:
            server.port = port
        server.start()
        return server
    bindir = find_bindir()
    _prepare_folder(folder)
    server = LocalServer(folder, port or _free_port(), bindir)
    _run(
        [
            bindir / "initdb",
            "-D",
            server.data,
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ],
        folder,
    )
    with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\ninclude_if_exists = '{_SETTINGS}'\n")
    server.start()
    server.create_database(DATABASE)
    return server


def stop(folder: str | Path, mode: str = "fast") -> bool:
    """Stop the server in ``folder``; False if there was none running."""
    server = _load(Path(folder).resolve())
    if server is None or not server.is_running():
        return False
    server.stop(mode)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m drugscenes.store.postgis.localserver start|stop|url DIR``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("start", "stop", "url"):
        print(
            "usage: python -m drugscenes.store.postgis.localserver start|stop|url DIR",
            file=sys.stderr,
        )
        return 2
    command, folder = args
    try:
        if command == "start":
            t0 = time.monotonic()
            server = start(folder)
            print(
                f"PostgreSQL + PostGIS running in {server.folder} "
                f"({time.monotonic() - t0:.1f} s); use this URL with every command, e.g.\n"
                f"  drugscenes init {server.url} --municipalities FILE\n"
                f"  drugscenes summary {server.url}\n"
                f"stop it with: python -m drugscenes.store.postgis.localserver stop {folder}",
                file=sys.stderr,
            )
            print(server.url)
        elif command == "url":
            loaded = _load(Path(folder).resolve())
            if loaded is None or not loaded.is_running():
                print(f"no server running in {folder}", file=sys.stderr)
                return 1
            print(loaded.url)
        else:
            print("stopped" if stop(folder) else f"no server running in {folder}")
    except WorkspaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
