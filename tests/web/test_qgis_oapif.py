"""QGIS (Debian's 3.22, headless) loads the OGC API – Features layers live from the app
with a user's credentials (a Basic authentication configuration in a throwaway QGIS
auth database) and gets exactly the features that user's role may see.

QGIS runs in a subprocess with the system Python, which has QGIS's bindings (the venv
does not); the test is skipped when ``import qgis.core`` fails there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_oapif_load.py")
PASSWORD = "a long passphrase for qgis"


def qgis_python() -> str:
    """The system Python if it can import QGIS; skips the test otherwise."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import qgis.core"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no QGIS: {SYSTEM_PYTHON} could not run ({exc})")
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip().splitlines()[-1:]
        pytest.skip(f"no QGIS: {SYSTEM_PYTHON} -c 'import qgis.core' failed {reason}")
    return SYSTEM_PYTHON


def run_qgis(python: str, url: str, profile: Path, loads: list[dict]) -> list[dict]:
    """Run the loader script in QGIS and return what each load got."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHON", "DJANGO", "DRUGSCENES"))
    }
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(profile), XDG_RUNTIME_DIR=str(profile))
    done = subprocess.run(
        [python, str(SCRIPT)],
        input=json.dumps({"url": url, "profile": str(profile), "loads": loads}),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert lines, f"no output from QGIS: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return json.loads(lines[-1])


def with_password(accounts, key: str) -> dict[str, str]:
    from axes.utils import reset

    user = accounts.users[key]
    user.set_password(PASSWORD)
    user.save()
    reset(username=key)
    return {"username": key, "password": PASSWORD}


@pytest.fixture
def rounds(client_for, new_label, h):
    """A published round of two scenes (the latest round of the workspace) and an open
    round with the police's and the municipality's observations."""
    coord, police, muni = (client_for(k) for k in ("coordinator", "police_editor", "muni_editor"))
    h.open_round(coord, new_label, date="2031-06-01")
    for scene_id, x in (("Q-1", 2000), ("Q-2", 2500)):
        o = h.observe(police, new_label, h.square(x, 3000), name=f"Plats {scene_id}")
        police.post(f"/api/observations/{o['id']}/submit")
        decision = {
            "observations": [o["id"]],
            "decision": "accepted",
            "method": "one",
            "observation": o["id"],
            "scene_id": scene_id,
        }
        assert h.send(coord, f"/api/rounds/{new_label}/scenes", decision).status_code == 201
    assert coord.post(f"/api/rounds/{new_label}/close").status_code == 200
    open_label = new_label + "q"
    h.open_round(coord, open_label)
    mine = [h.observe(police, open_label, h.square(3000 + 200 * i, 3000))["id"] for i in (0, 1)]
    theirs = h.observe(muni, open_label, h.square(3600, 3000))["id"]
    return new_label, mine, theirs


def test_qgis_loads_layers_per_role(rounds, accounts, live_server, web_url, tmp_path):
    python = qgis_python()
    from drugscenes.store import open_workspace
    from drugscenes.web.models import Observation, Round

    label, mine, theirs = rounds
    with open_workspace(web_url) as store:
        assert store.round_labels()[-1] == label  # the collection's default round
        published = sorted(store.round_scenes(label)["scene_id"])
    assert published == ["Q-1", "Q-2"]
    in_progress = set(
        Observation.objects.filter(round__status=Round.OPEN).values_list("id", flat=True)
    )
    police_own = set(
        Observation.objects.filter(
            round__status=Round.OPEN, organisation=accounts.organisations["police"]
        ).values_list("id", flat=True)
    )
    assert set(mine) <= police_own and theirs not in police_own

    viewer = with_password(accounts, "viewer")
    police = with_password(accounts, "police_editor")
    coordinator = with_password(accounts, "coordinator")
    loads = [
        {**viewer, "typename": "scenes", "id_field": "scene_id"},
        {**police, "typename": "observations", "id_field": "id"},
        {**coordinator, "typename": "observations", "id_field": "id"},
        {**viewer, "typename": "observations", "id_field": "id"},
        {**viewer, "password": "not the password", "typename": "scenes", "id_field": "id"},
    ]
    got = run_qgis(python, f"{live_server}/ogc/", tmp_path, loads)
    print(json.dumps(got, indent=1), file=sys.stderr)

    scenes, police_obs, coord_obs, viewer_obs, wrong = got
    assert scenes["valid"], scenes["error"]
    assert sorted(scenes["ids"]) == published
    assert {"scene_id", "name", "municipality_code", "area_m2"} <= set(scenes["fields"])

    assert police_obs["valid"], police_obs["error"]
    assert set(police_obs["ids"]) == police_own  # only the police's own observations
    assert coord_obs["valid"], coord_obs["error"]
    assert set(coord_obs["ids"]) == in_progress  # every organisation's
    assert theirs in coord_obs["ids"] and theirs not in police_obs["ids"]

    # the viewer's role may not read observations (the server answers 403; QGIS may
    # still call the layer valid from the collection description it cached for the
    # coordinator's load of the same URL, but it gets no feature), and a wrong password
    # reads nothing
    assert viewer_obs["ids"] == []
    assert not wrong["valid"] and wrong["ids"] == []
    from axes.utils import reset

    reset(username="viewer")
