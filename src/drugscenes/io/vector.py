"""Reading polygon files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, GeoParquet, CSV+WKT).

Every reader returns the features in file order, with their 1-based feature (or
CSV data row) number, converted once to EPSG:3006.
"""

from __future__ import annotations

import csv
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
import shapely.errors
from pyproj import CRS

from drugscenes import CRS_EPSG
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.columns import resolve_columns
from drugscenes.io.crs import check_coordinates_match_crs, crs_label, parse_crs
from drugscenes.io.tabular import read_csv

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
WKT_FIELDS = ("wkt", "geometry", "geom", "the_geom", "geometri", "shape")
"""Column names taken as the WKT geometry of a CSV file when --wkt-field is not given."""


@dataclass
class VectorFile:
    """Features read from a file, in EPSG:3006.

    Attributes
    ----------
    frame : GeoDataFrame
        The file's attribute columns as read, plus ``geometry`` (None where a
        feature had none or its WKT did not parse).
    rows : ndarray of int
        1-based feature number (CSV: data row) of each feature.
    source_crs : str
        The CRS the coordinates were read in, e.g. ``EPSG:4326``.
    geometry_field : str
        Name of the geometry column in the source (for messages).
    problems : list of Problem
        Rows whose geometry could not be read, and notes on the CRS.
    """

    frame: gpd.GeoDataFrame
    rows: np.ndarray
    source_crs: str
    geometry_field: str
    problems: list[Problem]


def read_vector(
    path: str | Path,
    crs: str | int | None = None,
    wkt_field: str | None = None,
    layer: str | None = None,
) -> VectorFile:
    """Read a vector or CSV+WKT file and convert it to EPSG:3006.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON, Shapefile (or zipped), FlatGeobuf, GeoParquet, or CSV
        with a WKT column.
    crs : str or int, optional
        CRS of the coordinates (``3006``, ``EPSG:4326``). Required for CSV and for
        files that carry none; overrides a file's own CRS (a warning says so).
    wkt_field : str, optional
        CSV column holding WKT; default: the first of :data:`WKT_FIELDS`
        present (case-insensitive).
    layer : str, optional
        Layer of a multi-layer file (GeoPackage); required when it has several.

    Raises
    ------
    UsageError
        Unknown format, missing file, missing CRS or layer choice; a
        :class:`~drugscenes.errors.ColumnError` when the CSV's WKT column is not found.
    DataError
        Coordinates that cannot be in the declared CRS (e.g. WGS84-looking
        numbers with a projected CRS), naming each row.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    declared = parse_crs(crs)
    problems: list[Problem] = []
    if suffix in CSV_SUFFIXES:
        frame, geom_field, problems = _read_csv_wkt(path, wkt_field)
        if declared is None:
            raise UsageError(
                f"{path.name}: a CSV file carries no coordinate system; give it with --crs "
                "(e.g. --crs 3006 for SWEREF 99 TM, --crs 4326 for WGS84 lon/lat)"
            )
        source = declared
    elif suffix in VECTOR_SUFFIXES or suffix in PARQUET_SUFFIXES:
        frame = _read_ogr(path, layer) if suffix not in PARQUET_SUFFIXES else _read_parquet(path)
        geom_field = "geometry"
        file_crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
        if declared is not None and file_crs is not None and not declared.equals(file_crs):
            problems.append(
                Problem(
                    "crs-override",
                    f"the file says {crs_label(file_crs)}; using --crs {crs_label(declared)}",
                    file=path.name,
                    severity="warning",
                )
            )
        source = declared or file_crs
        if source is None:
            raise UsageError(
                f"{path.name} has no coordinate system (a Shapefile without .prj?); "
                "give it with --crs"
            )
    else:
        raise UsageError(
            f"{path.name}: unknown file type '{suffix}'; use GeoPackage (.gpkg), GeoJSON, "
            "Shapefile (.shp), FlatGeobuf, GeoParquet or CSV with a WKT column"
        )

    rows = np.arange(1, len(frame) + 1)
    geoms = np.array(frame.geometry.to_numpy(), dtype=object)
    problems = problems + _drop_not_finite(geoms, path.name, geom_field, rows)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    bounds = np.full((len(frame), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geoms[present])
    bad = check_coordinates_match_crs(bounds, source, path.name, geom_field, rows)
    if bad:
        raise DataError(
            f"{path.name}: {len(bad)} feature(s) have coordinates that cannot be in "
            f"{crs_label(source)}",
            bad + problems,
        )
    frame = gpd.GeoDataFrame(
        frame.drop(columns=frame.geometry.name), geometry=geoms, crs=source
    ).to_crs(CRS_EPSG)
    return VectorFile(frame, rows, crs_label(source), geom_field, problems)


def _drop_not_finite(geoms: np.ndarray, file: str, field: str, rows: np.ndarray) -> list[Problem]:
    """Remove (in place) geometries with NaN or infinite coordinates; an error for each."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    geoms[bad] = None
    return [
        Problem(
            "geometry-not-finite",
            NOT_FINITE_MESSAGE,
            file,
            int(rows[i]),
            field,
        )
        for i in bad
    ]


def _read_ogr(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL raises its own error types for unreadable files
        raise DataError(
            f"{path.name}: not a readable vector file ({exc})",
            [Problem("file-unreadable", str(exc), file=path.name)],
        ) from None
    names = [str(n) for n in layers[:, 0]]
    if layer is None:
        spatial = [str(n) for n, t in layers if t is not None]
        if len(spatial) > 1:
            raise UsageError(
                f"{path.name} has several layers ({', '.join(spatial)}); choose one with --layer"
            )
        layer = spatial[0] if spatial else names[0]
    elif layer not in names:
        raise UsageError(f"{path.name} has no layer '{layer}' (layers: {', '.join(names)})")
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise DataError(
            f"{path.name}: cannot read layer '{layer}' ({exc})",
            [Problem("file-unreadable", str(exc), file=path.name)],
        ) from None


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except Exception as exc:  # pyarrow/geopandas errors for non-GeoParquet files
        raise DataError(
            f"{path.name}: not a readable GeoParquet file ({exc})",
            [Problem("file-unreadable", str(exc), file=path.name)],
        ) from None


def _read_csv_wkt(path: Path, wkt_field: str | None) -> tuple[gpd.GeoDataFrame, str, list[Problem]]:
    table = read_csv(path)
    table.require_every_row(path.name)
    found = resolve_columns(
        table.frame.columns,
        {"wkt": (WKT_FIELDS, True)},
        {"wkt": wkt_field},
        file=path.name,
        options={"wkt": "--wkt-field"},
    )
    field = str(found["wkt"])
    geoms, problems = parse_wkt(table.frame[field], path.name, field)
    frame = gpd.GeoDataFrame(table.frame.drop(columns=field), geometry=geoms)
    return frame, field, table.problems + problems


_CURVED = re.compile(
    r"\b(CIRCULARSTRING|COMPOUNDCURVE|CURVEPOLYGON|MULTICURVE|MULTISURFACE|CURVE|SURFACE)\b",
    re.IGNORECASE,
)
"""WKT of curved geometry, which shapely cannot hold: GDAL turns it into straight segments."""
_NOT_FINITE = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)
NOT_FINITE_MESSAGE = "coordinates that are not numbers (NaN) or infinite; give finite coordinates"


def parse_wkt(text: pd.Series, file: str, field: str) -> tuple[np.ndarray, list[Problem]]:
    """Geometries of a WKT column (None where empty or unreadable) and a problem per row.

    Curved geometry (``CURVEPOLYGON``, ``MULTISURFACE``, ...) is linearised by GDAL, as
    it is when read from a GeoPackage, with a warning; text that is not WKT is an error.
    """
    values = text.fillna("").astype(str).to_numpy(dtype=object)
    curved = np.array([_CURVED.search(v) is not None for v in values], dtype=bool)
    geoms = np.full(len(values), None, dtype=object)
    plain = np.flatnonzero(~curved)
    with warnings.catch_warnings():  # unreadable values are reported below, by row
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            geoms[plain] = shapely.from_wkt(values[plain], on_invalid="ignore")
        except (NotImplementedError, shapely.errors.ShapelyError):  # odd types GEOS reads
            geoms[plain] = [_one_wkt(v) for v in values[plain]]
    problems: list[Problem] = []
    idx = np.flatnonzero(curved)
    if idx.size:
        linear = _linearise(values[idx])
        for i, g in zip(idx, linear, strict=True):
            geoms[i] = g
            if g is not None:
                problems.append(
                    Problem(
                        "geometry-linearised",
                        f"curved geometry ({_CURVED.search(values[i]).group(1).upper()}) "  # type: ignore[union-attr]
                        "converted to straight segments",
                        file,
                        int(i) + 1,
                        field,
                        "warning",
                    )
                )
    unreadable = text.notna().to_numpy() & shapely.is_missing(geoms)
    for i in np.flatnonzero(unreadable):
        if curved[i]:
            code, message = "geometry-unreadable", "curved geometry; convert it to polygons"
        elif _NOT_FINITE.search(values[i]):
            code, message = "geometry-not-finite", NOT_FINITE_MESSAGE
        else:
            code, message = "geometry-unreadable", f"not valid WKT: {values[i][:60]!r}"
        problems.append(Problem(code, message, file, int(i) + 1, field))
    problems.sort(key=lambda p: p.row or 0)
    return geoms, problems


def _one_wkt(value: str) -> shapely.Geometry | None:
    try:
        return shapely.from_wkt(value, on_invalid="ignore")  # warnings silenced by the caller
    except (NotImplementedError, shapely.errors.ShapelyError):
        return None


def _linearise(values: np.ndarray) -> list[shapely.Geometry | None]:
    """Curved WKT as straight-segment geometries by GDAL (None where it cannot read one)."""
    with tempfile.TemporaryDirectory(prefix="drugscenes-wkt-") as folder:
        path = Path(folder) / "curved.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["WKT"])
            writer.writerows([v] for v in values)
        try:
            _meta, _fids, wkb, _fields = pyogrio.raw.read(path, read_geometry=True)
        except Exception:  # GDAL raises its own error types
            return [None] * len(values)
    if len(wkb) != len(values):
        return [None] * len(values)
    return [None if b is None else shapely.from_wkb(b) for b in wkb]
