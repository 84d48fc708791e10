"""Reading polygon files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, GeoParquet, CSV+WKT).

Every reader returns the features in file order, with their 1-based feature (or
CSV data row) number, converted once to EPSG:3006.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from drugscenes import CRS_EPSG
from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.columns import resolve_columns
from drugscenes.io.crs import check_coordinates_match_crs, crs_label, parse_crs
from drugscenes.io.tabular import read_csv_table

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
    geoms = frame.geometry.to_numpy()
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
    table = read_csv_table(path)
    found = resolve_columns(
        table.columns,
        {"wkt": (WKT_FIELDS, True)},
        {"wkt": wkt_field},
        file=path.name,
        options={"wkt": "--wkt-field"},
    )
    field = str(found["wkt"])
    text = table[field]
    geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="ignore")
    # from_wkt gives None for both empty cells and unparseable text; tell them apart.
    unparseable = text.notna().to_numpy() & shapely.is_missing(geoms)
    problems = [
        Problem(
            "geometry-unreadable",
            f"not valid WKT: {str(text.iloc[i])[:60]!r}",
            file=path.name,
            row=i + 1,
            field=field,
        )
        for i in np.flatnonzero(unparseable)
    ]
    frame = gpd.GeoDataFrame(table.drop(columns=field), geometry=geoms)
    return frame, field, problems
