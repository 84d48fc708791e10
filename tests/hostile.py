"""A small workspace whose names and ids are hostile text: spreadsheet formulas, HTML that
ends a script element, Rich markup, terminal escape sequences, mathtext."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely import box

from drugscenes.store import create_workspace
from helpers import run

X0, Y0 = 660_000, 6_570_000

FORMULA_MUNI = '=HYPERLINK("http://evil.example","click")'
MATH_MUNI = "$\\frac{a}{$"
SCRIPT_NAME = "</script><!--<script>alert(1)//"
MARKUP_NAME = "[/]\x1b[31m"
"""Rich markup that closes nothing, then the terminal escape sequence for red."""
MARKUP_VISIBLE = "[/][31m"
"""What is left of :data:`MARKUP_NAME` to see once the control character is removed."""
OSC_NAME = "Torget\x1b]0;pwned\x07\x9b2J"
"""An escape sequence setting the terminal's title, a BEL and a C1 CSI clearing the screen."""

MUNICIPALITIES = {"0180": FORMULA_MUNI, "0183": MATH_MUNI}
SCENES = {
    # scene id: (name, municipality code, x offset in metres)
    "=1+1": (MARKUP_NAME, "0180", 1_000),
    "@SUM(A1)": (SCRIPT_NAME, "0180", 4_000),
    "+cmd": ("-2+3", "0180", 7_000),
    "-1": ("@Tab\tinside", "0183", 13_000),
    "S5": (OSC_NAME, "0183", 16_000),
}
FORMULA_TEXTS = [FORMULA_MUNI, "=1+1", "@SUM(A1)", "+cmd", "-2+3", "-1", "@Tab\tinside"]
"""Texts of the workspace a spreadsheet would evaluate if they were formulas."""


def _scenes(grow: float) -> gpd.GeoDataFrame:
    rows = list(SCENES.items())
    return gpd.GeoDataFrame(
        {
            "scene_id": [i for i, _ in rows],
            "name": [v[0] for _, v in rows],
            "municipality_code": [v[1] for _, v in rows],
        },
        geometry=[
            box(X0 + dx, Y0 + 1_000, X0 + dx + (100 + grow * (k == 0)), Y0 + 1_050)
            for k, (_, (_, _, dx)) in enumerate(rows)
        ],
        crs=3006,
    )


def hostile_workspace(folder: Path) -> Path:
    """Two rounds (2021, 2023) of the scenes :data:`SCENES` in the municipalities
    :data:`MUNICIPALITIES`; the first scene grows between them."""
    folder.mkdir(parents=True, exist_ok=True)
    region = gpd.GeoDataFrame(
        {"code": list(MUNICIPALITIES), "name": list(MUNICIPALITIES.values())},
        geometry=[
            box(X0, Y0, X0 + 10_000, Y0 + 10_000),
            box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 10_000),
        ],
        crs=3006,
    )
    ws = folder / "hostile.gpkg"
    create_workspace(ws, region, "Test").close()
    for label, grow in (("2021", 0.0), ("2023", 100.0)):
        src = folder / f"scenes_{label}.gpkg"
        _scenes(grow).to_file(src, driver="GPKG")
        date = f"{label}-06-01"
        code, _, err = run("import", "scenes", ws, src, "--round", label, "--date", date)
        assert code == 0, err
    return ws
