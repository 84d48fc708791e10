"""The region of a workspace: its municipalities, validated on ``init``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from drugscenes.errors import DataError, Problem
from drugscenes.io.columns import resolve_columns
from drugscenes.io.vector import VectorFile
from drugscenes.registry.prepare import normalise_code, polygonal_part

CODE_FIELDS = (
    "code",
    "kommunkod",
    "kom_kod",
    "kommun_kod",
    "knkod",
    "kod",
    "id",
    "municipality_code",
)
NAME_FIELDS = ("name", "namn", "kommunnamn", "kom_namn", "knnamn", "kommun", "municipality")
"""Columns taken as a municipality's code and name when not named with options."""


def prepare_municipalities(
    read: VectorFile, file: str, code_field: str | None = None, name_field: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Validate municipality polygons read from a file.

    Returns the municipalities (``code``, ``name``, geometry in EPSG:3006, sorted
    by code) and warnings; raises DataError naming every bad feature (missing or
    duplicate code, missing or non-polygonal geometry), and ColumnError when a
    column named with ``code_field``/``name_field`` is not in the file or no code
    or name column is found (:data:`CODE_FIELDS`, :data:`NAME_FIELDS`).
    """
    frame = read.frame
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    found = resolve_columns(
        columns,
        {"code": (CODE_FIELDS, True), "name": (NAME_FIELDS, True)},
        {"code": code_field, "name": name_field},
        file=file,
        options={"code": "--code-field", "name": "--name-field"},
    )
    code_col, name_col = str(found["code"]), str(found["name"])
    problems: list[Problem] = list(read.problems)
    unreadable = {p.row for p in read.problems if p.severity == "error"}
    codes = np.array([normalise_code(v) for v in frame[code_col]], dtype=object)
    names = frame[name_col].astype("string").str.strip().to_numpy(dtype=object)
    geoms = shapely.force_2d(frame.geometry.to_numpy())
    seen: dict[str, int] = {}
    for i, (row, code, name, geom) in enumerate(zip(read.rows, codes, names, geoms, strict=True)):
        if code is None:
            problems.append(
                Problem("code-missing", "no municipality code", file, int(row), code_col)
            )
        elif code in seen:
            problems.append(
                Problem(
                    "duplicate-code",
                    f"code {code} also at row {read.rows[seen[code]]}",
                    file,
                    int(row),
                    code_col,
                )
            )
        else:
            seen[code] = i
        if name is None or name is np.nan or str(name) in ("", "<NA>"):
            problems.append(
                Problem("name-missing", "no municipality name", file, int(row), name_col)
            )
        if geom is None or geom.is_empty:
            if int(row) not in unreadable:  # else the reader said why already
                problems.append(
                    Problem("geometry-empty", "no geometry", file, int(row), read.geometry_field)
                )
            continue
        if not geom.is_valid:
            fixed = polygonal_part(shapely.make_valid(geom))
            if fixed is None or fixed.is_empty:
                problems.append(
                    Problem(
                        "geometry-invalid",
                        "invalid polygon, not repairable",
                        file,
                        int(row),
                        read.geometry_field,
                    )
                )
                continue
            problems.append(
                Problem(
                    "geometry-repaired",
                    f"invalid polygon ({shapely.is_valid_reason(geom)}) repaired with make_valid",
                    file,
                    int(row),
                    read.geometry_field,
                    "warning",
                )
            )
            geoms[i] = fixed
        if geoms[i].geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(
                    "geometry-type",
                    f"a municipality must be a polygon, got {geoms[i].geom_type}",
                    file,
                    int(row),
                    read.geometry_field,
                )
            )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(
            f"{file}: {len(errors)} error(s) in the municipalities; no workspace was created",
            problems,
        )
    if len(frame) == 0:
        raise DataError(
            f"{file}: no municipalities in the file",
            [Problem("no-features", "the file has no features", file)],
        )
    out = (
        gpd.GeoDataFrame(
            {"code": codes.astype(str), "name": [str(n) for n in names]},
            geometry=list(geoms),
            crs=frame.crs,
        )
        .sort_values("code")
        .reset_index(drop=True)
    )
    return out, problems
