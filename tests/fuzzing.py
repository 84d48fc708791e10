"""Shared by the fuzz tests (``tests/fuzz``): the small workspace they start from, its
copies, and snapshots that tell whether a command changed anything."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import digest, run, square_region

PROFILE = "drugscenes-fuzz"
"""Name of the Hypothesis profile of the fuzz tests (registered in ``tests/fuzz/conftest.py``;
a test takes it with ``@settings(settings.get_profile(PROFILE))``)."""

X0, Y0 = 660_000, 6_570_000
"""South-west corner of the test region (two 10 km municipalities, EPSG:3006)."""


def square(x: float, y: float, size: float = 100) -> str:
    """WKT of an axis-aligned square."""
    return f"POLYGON(({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))"


SCENES_2023 = "id;namn;wkt\n" + "".join(
    f"s{i};Plats {i};{square(X0 + 1000 + 500 * i, Y0 + 1000)}\n" for i in range(1, 4)
)
SCENES_2024 = (
    "id;namn;wkt\n"
    + "".join(f"s{i};Plats {i};{square(X0 + 1000 + 500 * i, Y0 + 1000, 120)}\n" for i in (1, 2))
    + f"s9;Ny plats;{square(X0 + 12_000, Y0 + 4000)}\n"
)
INCIDENTS = "id;tid;typ;x;y\n" + "".join(
    f"i{i};{year}-{1 + i % 12:02d}-1{i % 9} 12:00;{kind};"
    f"{X0 + 1050 + 37 * i};{Y0 + 1050 + 11 * i}\n"
    for year in (2023, 2024)
    for i in range(20 * (year - 2023), 20 * (year - 2023) + 20)
    for kind in ("Misshandel" if i % 3 else "Skottlossning",)
)
SURVEY = "respondent_id;x;y;weight;answer\n" + "".join(
    f"r{i};{X0 + 1000 + 50 * i};{Y0 + 2000};1,5;{'mycket otrygg' if i % 3 else 'ganska trygg'}\n"
    for i in range(80)
)


def companions(ws: Path) -> tuple[Path, Path]:
    """The workspace's incident folder and survey file."""
    return ws.with_name(ws.stem + ".incidents"), ws.with_name(ws.stem + ".survey.gpkg")


def snapshot(ws: Path) -> dict[str, str]:
    """Digest of the workspace file, its survey file and every file and folder of its
    incident folder (by name): equal snapshots mean byte-identical workspaces."""
    incidents, survey = companions(ws)
    paths = [ws, survey, *sorted(incidents.rglob("*"))]
    return {
        str(p.relative_to(ws.parent)): digest(p) if p.is_file() else "folder"
        for p in paths
        if p.exists() or p.is_symlink()
    }


def tree(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """Digest of every file (and the name of every folder) under ``folder``, except
    what lies under ``skip``."""
    return {
        str(p.relative_to(folder)): digest(p) if p.is_file() else "folder"
        for p in sorted(folder.rglob("*"))
        if skip is None or not p.is_relative_to(skip)
    }


def fresh(base: Path, folder: Path) -> Path:
    """A copy of the base workspace (with its incidents and survey) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = folder / "ws.gpkg"
    shutil.copy2(base / "ws.gpkg", ws)
    incidents, survey = companions(base / "ws.gpkg")
    shutil.copytree(incidents, companions(ws)[0])
    shutil.copy2(survey, companions(ws)[1])
    return ws


def build_base(folder: Path) -> Path:
    """Folder of a small workspace ``ws.gpkg``: rounds 2023 (three scenes) and 2024 (two of
    them grown, one ceased, one new), 40 incidents of 2023-2024 and an 80-person survey of
    2023. Copy it with :func:`fresh`; never change it."""
    square_region().to_file(folder / "region.geojson")
    ws = folder / "ws.gpkg"
    files = {
        "scenes_2023.csv": SCENES_2023,
        "scenes_2024.csv": SCENES_2024,
        "inc.csv": INCIDENTS,
        "survey.csv": SURVEY,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    steps = [
        ("init", ws, "-m", folder / "region.geojson"),
        ("import", "scenes", ws, folder / "scenes_2023.csv", "--round", "2023", "--crs", "3006",
         "--date", "2023-06-01"),
        ("import", "scenes", ws, folder / "scenes_2024.csv", "--round", "2024", "--crs", "3006",
         "--date", "2024-06-01"),
        ("import", "incidents", ws, folder / "inc.csv", "--crs", "3006"),
        ("import", "survey", ws, folder / "survey.csv", "--year", "2023", "--crs", "3006"),
    ]  # fmt: skip
    for step in steps:
        code, _, err = run(*step)
        assert code == 0, (step, err)
    return folder
