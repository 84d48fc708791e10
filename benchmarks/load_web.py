"""Load test of the web app on loopback: N editors saving their outlines at once.

Starts a throwaway local PostGIS server and ``drugscenes serve`` on it (waitress, in its
own process), signs in ``--editors`` accounts (each an editor of its own organisation),
and lets each save its observation over and over (PATCH with the version it holds, a new
outline and a note naming the save) for ``--seconds``. Then it checks that no edit was
lost or mixed up:

- every save the server acknowledged is one ``update`` row of the audit log, of that
  editor, with that version and note, and nothing else is;
- the latest acknowledged save of each editor is the observation's state in the app;
- after the coordinator accepts every outline and closes the round, the workspace's
  round holds each editor's latest outline (the store has it);
- no answer was a 5xx.

Prints the latency percentiles (p50, p95, p99) of the saves and the throughput as JSON.
Every request goes to 127.0.0.1 only; the run stops by itself.

Usage::

    .venv/bin/python benchmarks/load_web.py [--editors 50] [--seconds 60] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import requests
from shapely import box
from shapely.geometry import shape

X0, Y0 = 660_000, 6_570_000
PASSWORD = "load test passphrase " + secrets.token_hex(4)


def region() -> gpd.GeoDataFrame:
    """Two 10 km squares, municipalities 0180 and 0183."""
    return gpd.GeoDataFrame(
        {"code": ["0180", "0183"], "name": ["Stockholm", "Sundbyberg"]},
        geometry=[
            box(X0, Y0, X0 + 10_000, Y0 + 10_000),
            box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 10_000),
        ],
        crs=3006,
    )


def outline(k: int, n: int) -> dict[str, object]:
    """Editor ``k``'s ``n``-th outline: its own place (a 300 m grid), a size that changes."""
    x, y = X0 + 500 + 300 * (k % 30), Y0 + 500 + 300 * (k // 30)
    size = 50 + (n % 100)
    return box(x, y, x + size, y + size).__geo_interface__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Editor:
    """One editor's session and the saves the server acknowledged."""

    def __init__(self, base: str, username: str, k: int) -> None:
        self.base, self.username, self.k = base, username, k
        self.http = requests.Session()
        self.acked: list[tuple[int, str]] = []  # (version after the save, note)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.obs_id = 0
        self.version = 0

    def send(self, method: str, path: str, data: object | None = None) -> requests.Response:
        token = self.http.cookies.get("csrftoken", "")
        r = self.http.request(
            method,
            self.base + path,
            json=data,
            timeout=60,
            headers={"X-CSRFToken": token, "Referer": self.base + "/"},
        )
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        return r

    def start(self, label: str) -> None:
        self.send("GET", "/api/csrf")
        r = self.send("POST", "/api/login", {"username": self.username, "password": PASSWORD})
        r.raise_for_status()
        r = self.send(
            "POST",
            f"/api/rounds/{label}/observations",
            {"geometry": outline(self.k, 0), "crs": 3006, "note": "start"},
        )
        r.raise_for_status()
        self.obs_id, self.version = r.json()["id"], r.json()["version"]

    def run(self, until: float) -> None:
        n = 0
        while time.monotonic() < until:
            n += 1
            note = f"{self.username} save {n}"
            t0 = time.perf_counter()
            r = self.send(
                "PATCH",
                f"/api/observations/{self.obs_id}",
                {
                    "version": self.version,
                    "note": note,
                    "geometry": outline(self.k, n),
                    "crs": 3006,
                },
            )
            self.latencies.append(time.perf_counter() - t0)
            if r.status_code == 200:
                self.version = r.json()["version"]
                self.acked.append((self.version, note))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--editors", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    args = ap.parse_args()

    from drugscenes.store import create_workspace, open_workspace
    from drugscenes.store.postgis import localserver
    from drugscenes.web import server

    folder = Path(tempfile.mkdtemp(prefix="ds-load-"))
    folder.chmod(0o711)  # the server runs as the postgres system user when we are root
    pg = localserver.start(folder / "pg")
    proc = None
    try:
        url = pg.url
        create_workspace(url, region(), region_name="Load").close()
        key = secrets.token_urlsafe(40)
        server.configure(url, key, loopback=True)
        server.migrate()
        from django.contrib.auth import get_user_model

        from drugscenes.web.models import AuditEntry, Membership, Observation, Organisation

        User = get_user_model()
        coord = User.objects.create_user("coordinator", password=PASSWORD)
        Membership.objects.create(
            user=coord,
            organisation=Organisation.objects.create(name="Län", kind="county_board"),
            role="coordinator",
        )
        names = [f"editor{k:02d}" for k in range(args.editors)]
        for name in names:
            user = User.objects.create_user(name, password=PASSWORD)
            org = Organisation.objects.create(name=f"Org {name}", kind="police")
            Membership.objects.create(user=user, organisation=org, role="editor")

        server_log = (folder / "server.log").open("w")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DRUGSCENES_WEB_SECRET_KEY": key}
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "drugscenes"),
                "serve",
                url,
                "--port",
                str(port),
                "--threads",
                str(args.threads),
                "--instance",
                str(folder / "instance"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            # a file, never an unread pipe: waitress logs its queue depth under load, and a
            # full pipe would block every server thread in its logging call
            stderr=server_log,
        )
        for _ in range(600):
            try:
                requests.get(base + "/api/csrf", timeout=10)
                break
            except requests.RequestException:
                if proc.poll() is not None:
                    log = (folder / "server.log").read_text()
                    raise SystemExit(f"the server did not start:\n{log}") from None
                time.sleep(0.1)
        admin = Editor(base, "coordinator", -1)
        admin.send("GET", "/api/csrf")
        admin.send("POST", "/api/login", {"username": "coordinator", "password": PASSWORD})
        label = "load"
        admin.send("POST", "/api/rounds", {"label": label, "date": "2025-01-01"}).raise_for_status()

        editors = [Editor(base, name, k) for k, name in enumerate(names)]
        t_login = time.monotonic()
        starters = [threading.Thread(target=e.start, args=(label,)) for e in editors]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        t_login = time.monotonic() - t_login
        until = time.monotonic() + args.seconds
        workers = [threading.Thread(target=e.run, args=(until,)) for e in editors]
        t0 = time.monotonic()
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        elapsed = time.monotonic() - t0

        # -- no lost or mixed-up edit ---------------------------------------------------
        problems = []
        for e in editors:
            rows = list(
                AuditEntry.objects.filter(
                    object_type="observation", object_id=str(e.obs_id), action="update"
                ).order_by("id")
            )
            logged = [(r.after["version"], r.after["note"]) for r in rows]
            if logged != e.acked:
                problems.append(
                    f"{e.username}: audit log {len(logged)} saves, acked {len(e.acked)}"
                )
            if any(r.username != e.username for r in rows):
                problems.append(f"{e.username}: an audit row of another user")
            obs = Observation.objects.get(pk=e.obs_id)
            if e.acked and (obs.version, obs.note) != e.acked[-1]:
                problems.append(
                    f"{e.username}: the app holds {obs.version}, last acked {e.acked[-1]}"
                )

        # -- the latest outlines into the store ---------------------------------------
        for e in editors:
            e.send("POST", f"/api/observations/{e.obs_id}/submit").raise_for_status()
            r = admin.send(
                "POST",
                f"/api/rounds/{label}/scenes",
                {
                    "observations": [e.obs_id],
                    "decision": "accepted",
                    "method": "one",
                    "observation": e.obs_id,
                    "scene_id": e.username,
                },
            )
            r.raise_for_status()
        admin.send("POST", f"/api/rounds/{label}/close").raise_for_status()
        with open_workspace(url) as store:
            stored = store.round_scenes(label).set_index("scene_id")
        for e in editors:
            last = int(e.acked[-1][1].rsplit(" ", 1)[1]) if e.acked else 0
            want = outline(e.k, last)
            if stored.geometry[e.username].symmetric_difference(shape(want)).area > 1e-6:
                problems.append(f"{e.username}: the store's outline is not the latest save")

        lat = np.array([x for e in editors for x in e.latencies]) * 1000
        statuses: dict[int, int] = {}
        for e in [*editors, admin]:
            for k, v in e.statuses.items():
                statuses[k] = statuses.get(k, 0) + v
        report = {
            "editors": args.editors,
            "seconds": round(elapsed, 1),
            "server_threads": args.threads,
            "sign_in_and_first_save_s": round(t_login, 1),
            "saves_acknowledged": sum(len(e.acked) for e in editors),
            "saves_per_second": round(sum(len(e.acked) for e in editors) / elapsed, 1),
            "latency_ms": {
                "p50": round(float(np.percentile(lat, 50)), 1),
                "p95": round(float(np.percentile(lat, 95)), 1),
                "p99": round(float(np.percentile(lat, 99)), 1),
                "max": round(float(lat.max()), 1),
            },
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
            "lost_or_mixed_edits": problems,
        }
        print(json.dumps(report, indent=1))
        return 0 if not problems and report["server_errors_5xx"] == 0 else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        pg.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
