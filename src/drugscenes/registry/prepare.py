"""Validation of a mapping round's scenes before they enter the registry.

:func:`prepare_round` is pure: it takes the features read from a file and the
region, and returns the scenes as they will be stored plus every problem found.
Errors reject the whole import; warnings are reported with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from drugscenes.errors import Problem
from drugscenes.io.columns import resolve_columns
from drugscenes.store.base import ATTRIBUTE_COLUMNS, SCENE_COLUMNS

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "scene_id": ("scene_id", "id", "scen_id", "scenid", "drogscen_id", "scene"),
    "name": ("name", "namn", "scene_name", "platsnamn", "plats"),
    "municipality_code": (
        "municipality_code",
        "kommunkod",
        "kommun_kod",
        "kommunkod_4",
        "kod",
        "code",
        "kommun",
    ),
    "activities": ("activities", "aktiviteter", "aktivitet", "activity"),
    "drug_types": ("drug_types", "drugs", "preparat", "narkotika", "drogtyper", "droger"),
    "times_of_day": ("times_of_day", "tid_pa_dygnet", "tid_på_dygnet", "tider", "tid"),
    "source_org": ("source_org", "organisation", "källa", "kalla", "source", "organization"),
    "note": ("note", "anteckning", "kommentar", "notes", "comment", "beskrivning"),
}
"""Recognised column names (case-insensitive) of each scene field, first match wins.

Columns not listed here are kept, unchanged, in the scene's ``attributes`` (JSON).
"""

POLYGONAL = {"Polygon", "MultiPolygon"}
MIN_OVERLAP_M2 = 1.0
"""Overlaps smaller than this (m²) are taken as drawing noise, not as overlapping scenes."""


@dataclass(frozen=True)
class ValidationOptions:
    """Thresholds of the scene validation.

    Attributes
    ----------
    border_tolerance_m : float
        A scene given a municipality code whose polygon it does not touch is an
        error when farther than this from it, a warning when nearer (boundary
        files are often simplified by hundreds of metres). Default 500 m.
    outside_share_warn : float
        Share of a scene's area outside the region above which a warning is given
        (scenes wholly outside are errors). Default 0.01.
    border_share : float
        A scene is reported as crossing a border when a second municipality holds
        at least this share of its area. Default 0.01.
    """

    border_tolerance_m: float = 500.0
    outside_share_warn: float = 0.01
    border_share: float = 0.01


@dataclass
class PreparedRound:
    """Scenes ready to store and what was found on the way.

    Attributes
    ----------
    scenes : GeoDataFrame
        Columns of :data:`drugscenes.store.base.SCENE_COLUMNS` plus geometry
        (MultiPolygon, EPSG:3006), one row per accepted feature, in file order.
    problems : list of Problem
        Errors (any error rejects the import) and warnings.
    fields : dict
        Which source column fed each scene field.
    """

    scenes: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


FIELD_OPTIONS = {
    "scene_id": "--id-field",
    "name": "--name-field",
    "municipality_code": "--code-field",
}
"""Command-line options naming the column of a scene field, for messages."""


def resolve_fields(
    columns: list[str], overrides: dict[str, str] | None = None, file: str = "scenes"
) -> dict[str, str]:
    """Map scene fields to source columns by :data:`FIELD_ALIASES` or explicit overrides.

    A column is used for one field only when found by name; an override must name
    a column of the file (else :class:`~drugscenes.errors.ColumnError`). Fields
    without a column are left out.

    Examples
    --------
    >>> resolve_fields(["ID", "Namn", "Kommun", "wkt"])
    {'scene_id': 'ID', 'name': 'Namn', 'municipality_code': 'Kommun'}
    """
    found = resolve_columns(
        columns,
        {key: (aliases, False) for key, aliases in FIELD_ALIASES.items()},
        overrides,
        file=file,
        options=FIELD_OPTIONS,
        distinct=True,
    )
    return {key: col for key, col in found.items() if col is not None}


def normalise_code(value: object) -> str | None:
    """Four-digit municipality code: Excel turns ``0180`` into ``180`` or ``180.0``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,4})(?:\.0+)?", text)
    return m.group(1).zfill(4) if m else text


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def prepare_round(
    frame: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    round_label: str,
    file: str,
    rows: np.ndarray | None = None,
    geometry_field: str = "geometry",
    fields: dict[str, str] | None = None,
    options: ValidationOptions | None = None,
) -> PreparedRound:
    """Validate a round's features and turn them into registry scenes.

    Parameters
    ----------
    frame : GeoDataFrame
        Features in EPSG:3006, attribute columns as in the source file.
    municipalities : GeoDataFrame
        The region (``code``, ``name``, geometry in EPSG:3006).
    round_label : str
        Used for generated scene ids (``<round>-<code>-<nn>``).
    file : str
        Source file name, named in every problem.
    rows : ndarray of int, optional
        1-based row or feature number of each feature; default 1..n.
    geometry_field : str
        Name of the geometry column in the source, for messages.
    fields : dict, optional
        Explicit ``scene field -> source column`` choices (each must name a column
        of the file); the rest are found by :data:`FIELD_ALIASES`.
    options : ValidationOptions, optional
        Thresholds; see :class:`ValidationOptions` for defaults.

    Returns
    -------
    PreparedRound

    Raises
    ------
    ColumnError
        A column named in ``fields`` is not in the file.

    Notes
    -----
    Checks, in order: missing or empty geometry; non-polygonal geometry (points,
    lines); invalid polygons, repaired with ``shapely.make_valid`` (a warning) or
    rejected when nothing polygonal remains; geometry outside the region;
    municipality: a given code must exist and lie at or near the scene, otherwise
    the municipality holding the largest part of the scene is taken; scenes crossing
    a border (warning); duplicate scene ids; overlapping scenes (warning).
    """
    options = options or ValidationOptions()
    n = len(frame)
    rows = np.arange(1, n + 1) if rows is None else np.asarray(rows)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    mapping = resolve_fields(columns, fields, file)
    problems: list[Problem] = []

    def report(
        code: str, msg: str, idx: np.ndarray | int, fld: str | None, sev: str = "error"
    ) -> None:
        for i in np.atleast_1d(idx):
            problems.append(Problem(code, msg, file, int(rows[i]), fld, sev))  # type: ignore[arg-type]

    geoms = shapely.force_2d(frame.geometry.to_numpy())
    keep = np.ones(n, dtype=bool)

    # Missing or empty geometry.
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    report(
        "geometry-empty", "no geometry (empty or missing)", np.flatnonzero(missing), geometry_field
    )
    keep &= ~missing

    # Points and lines where polygons are needed. Collections are sorted out after make_valid.
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    wrong = keep & ~np.isin(types, list(POLYGONAL | {"GeometryCollection"}))
    for i in np.flatnonzero(wrong):
        report(
            "geometry-type",
            f"a scene must be a polygon, got {types[i]}",
            i,
            geometry_field,
        )
    keep &= ~wrong

    # Invalid polygons: repair, keep the polygonal part, reject if none.
    idx = np.flatnonzero(keep)
    invalid = idx[~shapely.is_valid(geoms[idx])]
    if len(invalid):
        reasons = shapely.is_valid_reason(geoms[invalid])
        repaired = shapely.make_valid(geoms[invalid])
        for i, reason, fixed in zip(invalid, reasons, repaired, strict=True):
            poly = polygonal_part(fixed)
            if poly is None or poly.is_empty or poly.area <= 0:
                report(
                    "geometry-invalid",
                    f"invalid polygon ({reason}) and repairing it leaves no area",
                    i,
                    geometry_field,
                )
                keep[i] = False
            else:
                report(
                    "geometry-repaired",
                    f"invalid polygon ({reason}) repaired with make_valid; "
                    f"area {poly.area:,.0f} m²",
                    i,
                    geometry_field,
                    "warning",
                )
                geoms[i] = poly
    collections = np.flatnonzero(keep & (types == "GeometryCollection"))
    for i in collections:
        poly = polygonal_part(geoms[i])
        if poly is None or poly.is_empty:
            report(
                "geometry-type",
                "a scene must be a polygon, got a collection without one",
                i,
                geometry_field,
            )
            keep[i] = False
        else:
            geoms[i] = poly
    zero = np.flatnonzero(keep & (shapely.area(geoms) <= 0))
    report("geometry-invalid", "polygon has no area", zero, geometry_field)
    keep[zero] = False

    # Where each scene lies: overlap areas with every municipality (vectorised pairs).
    muni_geoms = municipalities.geometry.to_numpy()
    codes = municipalities["code"].astype(str).to_numpy()
    names = municipalities["name"].astype(str).to_numpy()
    idx = np.flatnonzero(keep)
    tree = shapely.STRtree(muni_geoms)
    pair_scene, pair_muni = tree.query(geoms[idx], predicate="intersects")
    pair_scene = idx[pair_scene]
    overlap = shapely.area(shapely.intersection(geoms[pair_scene], muni_geoms[pair_muni]))
    area = shapely.area(geoms)
    overlaps = np.zeros((n, len(muni_geoms)))
    np.add.at(overlaps, (pair_scene, pair_muni), overlap)
    inside = overlaps.sum(axis=1)
    region = shapely.union_all(muni_geoms)

    outside = idx[inside[idx] <= 0]
    for i in outside:
        dist = shapely.distance(geoms[i], region)
        report(
            "outside-region",
            f"the scene lies outside the region, {dist / 1000:,.1f} km from its boundary",
            i,
            geometry_field,
        )
    keep[outside] = False
    idx = np.flatnonzero(keep)
    share_out = 1 - inside[idx] / area[idx]
    partly = idx[share_out > options.outside_share_warn]
    for i in partly:
        report(
            "partly-outside-region",
            f"{100 * (1 - inside[i] / area[i]):.0f} % of the scene lies outside the region",
            i,
            geometry_field,
            "warning",
        )

    # Municipality: a given code is checked against the geometry, else the largest overlap.
    code_col = mapping.get("municipality_code")
    given = (
        frame[code_col].map(normalise_code).to_numpy(dtype=object)
        if code_col
        else np.full(n, None, dtype=object)
    )
    code_index = {c: k for k, c in enumerate(codes)}
    # A municipality's name is accepted in the code column too ("Sundbyberg" -> "0183").
    name_code = {nm.casefold(): c for nm, c in zip(names, codes, strict=True)}
    given = np.array(
        [name_code.get(g.casefold(), g) if isinstance(g, str) else g for g in given],
        dtype=object,
    )
    municipality = np.full(n, None, dtype=object)
    for i in idx:
        best = int(np.argmax(overlaps[i]))
        g = given[i]
        if g is None:
            municipality[i] = codes[best]
        elif g not in code_index:
            report(
                "unknown-municipality",
                f"municipality code '{g}' is not in the region "
                f"(known: {codes[0]} … {codes[-1]}, {len(codes)} codes)",
                i,
                code_col,
            )
            keep[i] = False
        else:
            k = code_index[g]
            municipality[i] = g
            if overlaps[i, k] <= 0:
                dist = float(shapely.distance(geoms[i], muni_geoms[k]))
                msg = (
                    f"code {g} ({names[k]}) given, but the scene lies {dist:,.0f} m outside it, "
                    f"in {codes[best]} ({names[best]})"
                )
                if dist > options.border_tolerance_m:
                    report("municipality-mismatch", msg, i, code_col)
                    keep[i] = False
                else:
                    report(
                        "municipality-mismatch",
                        msg + "; keeping the given code",
                        i,
                        code_col,
                        "warning",
                    )
        if keep[i]:
            shares = overlaps[i] / area[i]
            across = np.flatnonzero(shares >= options.border_share)
            if len(across) > 1:
                parts = ", ".join(
                    f"{codes[k]} {names[k]} {100 * shares[k]:.0f} %"
                    for k in across[np.argsort(-shares[across])]
                )
                report(
                    "crosses-border",
                    f"the scene crosses a municipal border ({parts})",
                    i,
                    geometry_field,
                    "warning",
                )

    # Scene ids: given ones must be unique; the rest are generated per municipality.
    id_col = mapping.get("scene_id")
    ids = (
        np.array([_text(v) for v in frame[id_col]], dtype=object)
        if id_col
        else np.full(n, None, dtype=object)
    )
    id_given = np.array([v is not None for v in ids], dtype=bool)
    seen: dict[str, int] = {}
    for i in np.flatnonzero(id_given):
        first = seen.setdefault(ids[i], i)
        if first != i:
            report(
                "duplicate-scene-id",
                f"scene id '{ids[i]}' occurs more than once in the round "
                f"(first at row {rows[first]})",
                i,
                id_col,
            )
            keep[i] = False
    counters: dict[str, int] = {}
    for i in np.flatnonzero(keep & ~id_given):
        code = municipality[i]
        k = counters.get(code, 0)
        while True:
            k += 1
            candidate = f"{round_label}-{code}-{k:02d}"
            if candidate not in seen:
                break
        counters[code] = k
        ids[i] = candidate
        seen[candidate] = i

    # Overlapping scenes in one round: a warning, since neighbouring places may share an edge.
    idx = np.flatnonzero(keep)
    if len(idx) > 1:
        a, b = shapely.STRtree(geoms[idx]).query(geoms[idx], predicate="intersects")
        sel = a < b
        a, b = idx[a[sel]], idx[b[sel]]
        if len(a):
            shared = shapely.area(shapely.intersection(geoms[a], geoms[b]))
            for i, j, s in zip(a, b, shared, strict=True):
                if s >= MIN_OVERLAP_M2:
                    report(
                        "overlapping-scenes",
                        f"scene '{ids[i]}' overlaps scene '{ids[j]}' (row {rows[j]}) "
                        f"by {s:,.0f} m²",
                        i,
                        geometry_field,
                        "warning",
                    )

    # Assemble the stored scenes.
    keep_idx = np.flatnonzero(keep)
    used = set(mapping.values()) | {frame.geometry.name}
    extra = [c for c in frame.columns if c not in used]
    data: dict[str, object] = {
        "scene_id": ids[keep_idx],
        "id_given": id_given[keep_idx],
        "name": _column(frame, mapping.get("name"), keep_idx),
        "municipality_code": municipality[keep_idx],
        "area_m2": area[keep_idx],
    }
    for col in ATTRIBUTE_COLUMNS:
        data[col] = _column(frame, mapping.get(col), keep_idx)
    data["attributes"] = [_attributes(frame, extra, i) for i in keep_idx]
    scenes = gpd.GeoDataFrame(
        pd.DataFrame(data, columns=SCENE_COLUMNS),
        geometry=list(geoms[keep_idx]),
        crs=frame.crs,
    )
    problems.sort(key=lambda p: (p.row or 0, p.severity != "error"))
    return PreparedRound(scenes, problems, mapping)


def polygonal_part(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygons of a geometry (dropping lines and points make_valid may leave)."""
    if geom is None:
        return None
    if geom.geom_type in POLYGONAL:
        return geom
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in POLYGONAL]
    if not polys:
        return None
    return shapely.union_all(polys)


def _column(frame: pd.DataFrame, col: str | None, idx: np.ndarray) -> np.ndarray:
    if col is None:
        return np.full(len(idx), None, dtype=object)
    return np.array([_text(v) for v in frame[col].to_numpy()[idx]], dtype=object)


def _attributes(frame: pd.DataFrame, extra: list[str], i: int) -> str | None:
    values = {c: _text(frame[c].iloc[i]) for c in extra}
    values = {k: v for k, v in values.items() if v is not None}
    return json.dumps(values, ensure_ascii=False) if values else None
