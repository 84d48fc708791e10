"""Reader for safety-survey microdata (trygghetsmätning): CSV or GeoPackage -> clean respondents.

One row per respondent: an id, the home location, the design weight, the answer to "how safe do
you feel in your neighbourhood", and optionally the stratum and the cluster (PSU). What comes out is
a DataFrame with the columns of :data:`RESPONDENT_COLUMNS` (coordinates in EPSG:3006) and a list of
:class:`~drugscenes.errors.Problem` for every bad row; the caller rejects the whole file when any
problem is an error (the import is all-or-nothing).

Accepted files
--------------
- CSV in UTF-8 (with or without BOM) or cp1252 (Excel on Swedish Windows); separator ``,``, ``;``
  or tab, found from the header line. With ``;`` or tab, a decimal comma is accepted
  ("6580123,5"), and spaces inside numbers (thousands) are dropped.
- GeoPackage (``.gpkg``) with point geometries (any CRS, converted) or with coordinate columns.

Location: columns ``x``/``y`` in the CRS given by ``crs`` (default EPSG:3006), or ``lat``/``lon`` in
WGS84 (EPSG:4326); names are configurable with :class:`SurveyColumns`. Conversion uses pyproj
with ``always_xy``.

Answers
-------
Default mapping (:class:`AnswerMapping`), after lower-casing and trimming:

=================================  ==============
"mycket trygg", "ganska trygg", 1, 2  safe (0)
"ganska otrygg", "mycket otrygg", 3, 4  unsafe (1)
"vet ej", empty                     missing (warning; left out of estimates)
=================================  ==============

Codes 1-4 follow the questionnaire's order (1 = very safe ... 4 = very unsafe). A file whose answers
are all 0 or 1 is read as already coded (1 = unsafe) when ``scale="auto"`` (the default) and a
problem of severity "info" says so. Anything else is an error naming the value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from drugscenes import CRS_EPSG
from drugscenes.analysis.survey import municipality_of
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.columns import resolve_columns
from drugscenes.io.tabular import parse_csv

RESPONDENT_COLUMNS = ["respondent_id", "x", "y", "weight", "unsafe", "stratum", "psu"]
"""Columns of the clean frame (plus ``municipality_code`` when a region is given)."""

AnswerScale = Literal["auto", "binary", "ordinal"]


@dataclass(frozen=True)
class SurveyColumns:
    """Names of the input columns (case-insensitive). Stratum and PSU are used when present.

    A name other than the default must be a column of the file; see
    :func:`drugscenes.io.columns.resolve_columns`.
    """

    respondent_id: str = "respondent_id"
    x: str = "x"
    y: str = "y"
    lat: str = "lat"
    lon: str = "lon"
    weight: str = "weight"
    answer: str = "answer"
    stratum: str = "stratum"
    psu: str = "psu"


@dataclass(frozen=True)
class AnswerMapping:
    """Which answers mean unsafe, safe or missing (compared lower-case, trimmed).

    Attributes
    ----------
    unsafe, safe, missing : tuple of str
        Answer texts or codes. An empty answer is always missing.
    scale : {"auto", "binary", "ordinal"}
        "binary": answers are 0/1 (1 = unsafe). "ordinal": use the lists. "auto": binary when
        every given answer is 0 or 1, else ordinal.
    """

    unsafe: tuple[str, ...] = ("ganska otrygg", "mycket otrygg", "3", "4")
    safe: tuple[str, ...] = ("mycket trygg", "ganska trygg", "1", "2")
    missing: tuple[str, ...] = ("vet ej",)
    scale: AnswerScale = "auto"

    def __post_init__(self) -> None:
        if self.scale not in ("auto", "binary", "ordinal"):
            raise UsageError(f"answer scale must be auto, binary or ordinal, got {self.scale!r}")
        u, s, m = (set(map(_norm, v)) for v in (self.unsafe, self.safe, self.missing))
        clash = (u & s) | (u & m) | (s & m)
        if clash:
            raise UsageError(f"answer(s) mapped twice: {', '.join(sorted(clash))}")


@dataclass(frozen=True)
class SurveyReadResult:
    """What :func:`read_survey` found.

    Attributes
    ----------
    respondents : DataFrame
        Clean rows only (see :data:`RESPONDENT_COLUMNS`); ``unsafe`` is nullable Int8 (<NA> for
        missing answers).
    problems : list of Problem
        Errors (the file must not be imported), warnings and infos, by row.
    answer_scale : str
        "binary" or "ordinal", as used.
    source_sha256 : str
        SHA-256 of the file's bytes and the reading options (an identical re-import has the same).
    """

    respondents: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    answer_scale: str = "ordinal"
    source_sha256: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def raise_for_errors(self) -> None:
        """Raise DataError listing every error, if there is any."""
        errs = self.errors
        if errs:
            raise DataError(
                f"{len(errs)} problem(s) in the survey file; nothing was imported", self.problems
            )


def _norm(v: object) -> str:
    s = " ".join(str(v).strip().lower().split())
    try:  # "1.0", "1,0" -> "1"
        f = float(s.replace(",", "."))
        if f.is_integer():
            return str(int(f))
    except ValueError:
        pass
    return s


def _read_csv(data: bytes, fname: str) -> tuple[pd.DataFrame, bool, list[Problem]]:
    """Text columns (empty cells ""), whether numbers have a decimal comma, and the
    reader's row problems (encoding); a row that cannot be read rejects the file."""
    table = parse_csv(data, fname, skipinitialspace=True)
    table.require_every_row(fname)
    return table.frame.fillna(""), table.separator != ",", table.problems


def _numbers(values: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Floats and a mask of blanks; unparseable values become NaN (not blank)."""
    s = values.astype(str).str.strip()
    blank = s.isin(["", "nan", "None", "NaN"]).to_numpy()
    if decimal_comma:
        s = s.str.replace(r"[\s\u00a0]", "", regex=True).str.replace(",", ".", regex=False)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float), blank


COLUMN_OPTIONS = {
    "respondent_id": "--id-column",
    "x": "--x-column",
    "y": "--y-column",
    "lat": "--lat-column",
    "lon": "--lon-column",
    "weight": "--weight-column",
    "answer": "--answer-column",
    "stratum": "--stratum-column",
    "psu": "--psu-column",
}
"""Command-line options naming the column of each :class:`SurveyColumns` field."""

_REQUIRED = ("respondent_id", "weight", "answer")
_LOCATION = ("x", "y", "lat", "lon")


def _find_columns(
    frame: pd.DataFrame, cols: SurveyColumns, fname: str, geometry: bool
) -> dict[str, str | None]:
    """Column of each field; names differing from :class:`SurveyColumns`' defaults must exist.

    The location columns are not looked for when the file's geometry gives the location.
    """
    default, chosen = asdict(SurveyColumns()), asdict(cols)
    fields = [f for f in chosen if not (geometry and f in _LOCATION)]
    return resolve_columns(
        frame.columns,
        {f: ((default[f],), f in _REQUIRED) for f in fields},
        {f: chosen[f] for f in fields if chosen[f] != default[f]},
        file=fname,
        options=COLUMN_OPTIONS,
        one_of=[] if geometry else [(("x", "y"), ("lat", "lon"))],
    )


def read_survey(
    path: str | Path,
    *,
    crs: int | str | None = None,
    columns: SurveyColumns | None = None,
    answers: AnswerMapping | None = None,
    region: gpd.GeoDataFrame | None = None,
    layer: str | None = None,
) -> SurveyReadResult:
    """Read survey microdata and report every bad row.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` or ``.gpkg``.
    crs : int or str or None
        CRS of the ``x``/``y`` columns (default EPSG:3006); for a GeoPackage with geometry, its own
        CRS is used unless it has none. Ignored for ``lat``/``lon`` (WGS84).
    columns : SurveyColumns or None
        Input column names.
    answers : AnswerMapping or None
        Answer coding.
    region : GeoDataFrame or None
        Municipalities (``code``, ``geometry``, EPSG:3006): homes outside all of them are errors,
        and ``municipality_code`` is added.
    layer : str or None
        GeoPackage layer (default the first).

    Returns
    -------
    SurveyReadResult

    Raises
    ------
    UsageError
        Unknown file type, unknown CRS; a :class:`~drugscenes.errors.ColumnError` when
        a column named in ``columns`` is not in the file or a required one is missing.
    DataError
        The file cannot be read.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w", encoding="utf-8").write(
    ...     "respondent_id;x;y;weight;answer\\n1;674000,5;6580000;1,5;Mycket otrygg\\n")
    >>> r = read_survey(p)
    >>> row = r.respondents.iloc[0]
    >>> float(row["x"]), float(row["weight"]), int(row["unsafe"]), r.errors
    (674000.5, 1.5, 1, [])
    """
    cols = columns or SurveyColumns()
    amap = answers or AnswerMapping()
    p = Path(path)
    if not p.exists():
        raise UsageError(f"file not found: {p}")
    data = p.read_bytes()
    suffix = p.suffix.lower()
    fname = p.name
    geometry_xy: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    problems: list[Problem] = []
    if suffix in (".csv", ".txt"):
        frame, decimal_comma, problems = _read_csv(data, fname)
    elif suffix == ".gpkg":
        try:
            gdf = gpd.read_file(p, layer=layer)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise DataError(f"{fname}: not a readable GeoPackage ({exc})") from exc
        decimal_comma = False
        if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.notna().any():
            geometry_xy = _geometry_xy(gdf, crs, fname)
            frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        else:
            frame = pd.DataFrame(gdf)
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
    else:
        raise UsageError(f"{fname}: unknown survey file type '{suffix}' (use .csv or .gpkg)")

    def add(
        mask: np.ndarray, code: str, message: str, column: str | None, severity: str = "error"
    ) -> None:
        for i in np.flatnonzero(mask):  # rows already found bad; Problem objects are per row
            problems.append(Problem(code, message, fname, int(i) + 1, column, severity))  # type: ignore[arg-type]

    n = len(frame)
    found = _find_columns(frame, cols, fname, geometry_xy is not None)

    # respondent id
    rid_col = str(found["respondent_id"])
    rid = frame[rid_col].astype(str).str.strip()
    add((rid == "").to_numpy(), "id-missing", "respondent id is empty", rid_col)
    dup = (rid != "") & rid.duplicated(keep="first")
    add(dup.to_numpy(), "id-duplicate", "respondent id repeats an earlier row", rid_col)

    # location
    if geometry_xy is not None:
        x, y, loc_bad = geometry_xy
        loc_field: str = "geometry"
    else:
        if found["x"] and found["y"]:
            xc, yc = found["x"], found["y"]
            src = CRS.from_user_input(crs if crs is not None else CRS_EPSG)
        else:
            xc, yc = found["lon"], found["lat"]
            src = CRS.from_epsg(4326)
        assert xc is not None and yc is not None
        x, bx = _numbers(frame[xc], decimal_comma)
        y, by = _numbers(frame[yc], decimal_comma)
        loc_bad = ~(np.isfinite(x) & np.isfinite(y))
        loc_field = f"{xc}/{yc}"
        add(bx | by, "location-missing", "home location is empty", loc_field)
        add(loc_bad & ~(bx | by), "location-invalid", "home location is not a number", loc_field)
        if src.to_epsg() != CRS_EPSG:
            tr = Transformer.from_crs(src, CRS.from_epsg(CRS_EPSG), always_xy=True)
            x, y = tr.transform(np.where(loc_bad, 0, x), np.where(loc_bad, 0, y))
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            loc_bad = loc_bad | ~(np.isfinite(x) & np.isfinite(y))
    if geometry_xy is not None:
        add(loc_bad, "location-missing", "home location (geometry) is empty", loc_field)
    muni = np.full(n, None, dtype=object)
    if region is not None:
        ok = np.flatnonzero(~loc_bad)
        muni[ok] = municipality_of(x[ok], y[ok], region)
        outside = ~loc_bad & pd.isna(muni)
        add(
            outside,
            "location-outside-region",
            "home location is outside the region's municipalities (wrong CRS or column order?)",
            loc_field,
        )
    else:
        outside = np.zeros(n, dtype=bool)

    # weight
    wc = str(found["weight"])
    w, wblank = _numbers(frame[wc], decimal_comma)
    add(wblank, "weight-missing", "design weight is empty", wc)
    add(~wblank & ~np.isfinite(w), "weight-invalid", "design weight is not a number", wc)
    add(np.isfinite(w) & (w <= 0), "weight-not-positive", "design weight must be > 0", wc)
    w_bad = ~np.isfinite(w) | (w <= 0)

    # answer
    ac = str(found["answer"])
    ans = frame[ac].map(_norm)
    blank = (ans == "") | ans.isin(["nan", "none"])
    given = ans[~blank]
    scale = amap.scale
    if scale == "auto":
        scale = "binary" if len(given) and given.isin(["0", "1"]).all() else "ordinal"
        problems.append(
            Problem(
                "answer-scale",
                f"answers read as {'0/1 (1 = unsafe)' if scale == 'binary' else 'survey answers'}",
                fname,
                None,
                ac,
                "info",
            )
        )
    if scale == "binary":
        unsafe_set, safe_set, miss_set = {"1"}, {"0"}, set(map(_norm, amap.missing))
    else:
        unsafe_set, safe_set = set(map(_norm, amap.unsafe)), set(map(_norm, amap.safe))
        miss_set = set(map(_norm, amap.missing))
    is_unsafe = ans.isin(unsafe_set).to_numpy()
    is_safe = ans.isin(safe_set).to_numpy()
    is_missing = blank.to_numpy() | ans.isin(miss_set).to_numpy()
    unknown = ~(is_unsafe | is_safe | is_missing)
    accepted = ", ".join(f"'{v}'" for v in sorted(unsafe_set | safe_set | miss_set))
    for i in np.flatnonzero(unknown):
        problems.append(
            Problem(
                "answer-unknown",
                f"unknown answer; accepted: {accepted} (or map it with the answer options)",
                fname,
                int(i) + 1,
                ac,
            )
        )
    add(
        is_missing,
        "answer-missing",
        "no usable answer (e.g. 'vet ej'); left out of estimates",
        ac,
        "warning",
    )

    # design columns (optional)
    design: dict[str, pd.Series | None] = {}
    design_bad = np.zeros(n, dtype=bool)
    for key in ("stratum", "psu"):
        c = found[key]
        if c is None:
            design[key] = None
            continue
        v = frame[c].astype(str).str.strip()
        empty = v.isin(["", "nan", "None"]).to_numpy()
        add(empty, f"{key}-missing", f"{key} is empty while the column is given", c)
        design_bad |= empty
        design[key] = v

    bad = (rid == "").to_numpy() | dup.to_numpy() | loc_bad | outside | w_bad | unknown | design_bad
    problems.sort(key=lambda q: q.row if q.row is not None else 0)
    keep = ~bad
    unsafe = pd.array(np.where(is_unsafe, 1, 0), dtype="Int8")
    unsafe[is_missing] = pd.NA
    out = pd.DataFrame(
        {
            "respondent_id": rid.to_numpy()[keep],
            "x": x[keep],
            "y": y[keep],
            "weight": w[keep],
            "unsafe": unsafe[keep],
            "stratum": (
                design["stratum"].to_numpy()[keep]
                if design["stratum"] is not None
                else np.full(int(keep.sum()), None, dtype=object)
            ),
            "psu": (
                design["psu"].to_numpy()[keep]
                if design["psu"] is not None
                else np.full(int(keep.sum()), None, dtype=object)
            ),
        }
    )
    if region is not None:
        out["municipality_code"] = muni[keep]
    options = {"crs": str(crs), "columns": asdict(cols), "answers": asdict(amap), "layer": layer}
    sha = hashlib.sha256(data + json.dumps(options, sort_keys=True).encode()).hexdigest()
    return SurveyReadResult(out, problems, scale, sha)


def _geometry_xy(
    gdf: gpd.GeoDataFrame, crs: int | str | None, fname: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    geom = gdf.geometry
    if geom.crs is None:
        geom = geom.set_crs(crs if crs is not None else CRS_EPSG)
    empty = (geom.isna() | geom.is_empty).to_numpy()
    types = set(geom[~empty].geom_type)
    if types - {"Point"}:
        raise DataError(
            f"{fname}: home locations must be points, found {', '.join(sorted(types))}",
            [Problem("geometry-type", "geometry must be a point", fname, None, "geometry")],
        )
    geom = geom.to_crs(CRS_EPSG)
    x = np.full(len(geom), np.nan)
    y = np.full(len(geom), np.nan)
    x[~empty] = geom[~empty].x.to_numpy()
    y[~empty] = geom[~empty].y.to_numpy()
    return x, y, empty | ~(np.isfinite(x) & np.isfinite(y))
