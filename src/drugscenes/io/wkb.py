"""Points as WKB, both ways, with NumPy: the point column of GeoParquet files.

A 2-D little-endian WKB point is 21 bytes: byte order (1), geometry type (1 as uint32),
x and y (float64). Building and reading those bytes column-wise costs a few copies of
the coordinates, where shapely would make a Python object per point.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

_POINT_HEADER = np.array([1, 1, 0, 0, 0], dtype=np.uint8)
"""Byte order (little-endian) and geometry type (Point) of a 2-D WKB point."""


def points_wkb(x: NDArray[np.float64], y: NDArray[np.float64]) -> pa.Array:
    """Little-endian 2-D WKB points of ``x``, ``y`` as an Arrow ``binary`` array.

    Parameters
    ----------
    x, y : ndarray of float64
        Coordinates (equal lengths).

    Returns
    -------
    pyarrow.Array
        ``binary``, 21 bytes a point, no nulls.
    """
    n = len(x)
    if n > (2**31 - 1) // 21:
        raise ValueError(f"{n:,} points do not fit one binary array; write them in parts")
    rows = np.empty((n, 21), dtype=np.uint8)
    rows[:, :5] = _POINT_HEADER
    rows[:, 5:13] = np.ascontiguousarray(x, dtype="<f8").view(np.uint8).reshape(n, 8)
    rows[:, 13:] = np.ascontiguousarray(y, dtype="<f8").view(np.uint8).reshape(n, 8)
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rows.reshape(-1))]
    )


class PointBuffer:
    """:func:`points_wkb` of up to ``capacity`` points at a time, into memory allocated
    once: a writer of many row groups then touches no fresh memory for their points.

    Parameters
    ----------
    capacity : int
        The most points of one call.
    """

    def __init__(self, capacity: int) -> None:
        if capacity > (2**31 - 1) // 21:
            raise ValueError(f"{capacity:,} points do not fit one binary array")
        self.rows = np.empty((capacity, 21), dtype=np.uint8)
        self.rows[:, :5] = _POINT_HEADER
        self.offsets = np.arange(0, 21 * (capacity + 1), 21, dtype=np.int32)

    def wkb(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> pa.Array:
        """:func:`points_wkb` of ``x``, ``y``; the array is valid until the next call."""
        n = len(x)
        rows = self.rows[:n]
        rows[:, 5:13] = np.ascontiguousarray(x, dtype="<f8").view(np.uint8).reshape(n, 8)
        rows[:, 13:] = np.ascontiguousarray(y, dtype="<f8").view(np.uint8).reshape(n, 8)
        return pa.Array.from_buffers(
            pa.binary(),
            n,
            [None, pa.py_buffer(self.offsets[: n + 1]), pa.py_buffer(rows.reshape(-1))],
        )


def wkb_xy(arr: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x and y of WKB points (NaN for missing, empty or other geometries), as geopandas
    reads them: NumPy for 2-D little-endian points, shapely for anything else.

    Parameters
    ----------
    arr : pyarrow.Array or ChunkedArray
        ``binary`` or ``large_binary`` WKB.

    Returns
    -------
    x, y : ndarray of float64
    """
    n = len(arr)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    arr = arr.cast(pa.binary()) if pa.types.is_large_binary(arr.type) else arr
    if n and arr.null_count == 0:
        offsets = np.frombuffer(
            arr.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * arr.offset
        )
        if offsets[-1] - offsets[0] == 21 * n and (np.diff(offsets) == 21).all():
            buf, at = arr.buffers()[2], int(offsets[0])
            rows = np.frombuffer(buf, dtype=np.uint8, count=21 * n, offset=at).reshape(n, 21)
            if (rows[:, :5] == _POINT_HEADER).all():
                # the coordinates in place: every 21st byte from 5 and 13 (unaligned reads)
                x = np.ndarray((n,), dtype="<f8", buffer=buf, offset=at + 5, strides=(21,))
                y = np.ndarray((n,), dtype="<f8", buffer=buf, offset=at + 13, strides=(21,))
                return x.astype(np.float64), y.astype(np.float64)
    import shapely

    geoms = shapely.from_wkb(np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object))
    is_point = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    xs = np.full(n, np.nan)
    ys = np.full(n, np.nan)
    xs[is_point] = shapely.get_x(geoms[is_point])
    ys[is_point] = shapely.get_y(geoms[is_point])
    return xs, ys


def geoparquet_metadata(
    x: NDArray[np.float64] | None = None, y: NDArray[np.float64] | None = None
) -> bytes:
    """The ``geo`` metadata (GeoParquet 1.0) of a table whose ``geometry`` column holds WKB
    points in EPSG:3006, with their bounding box when ``x`` and ``y`` are given.

    Returns
    -------
    bytes
        JSON, the value of the schema's ``b"geo"`` key.
    """
    import json

    from pyproj import CRS

    column: dict[str, object] = {
        "encoding": "WKB",
        "geometry_types": ["Point"],
        "crs": CRS.from_epsg(3006).to_json_dict(),
    }
    if x is not None and y is not None and x.size:
        column["bbox"] = [float(x.min()), float(y.min()), float(x.max()), float(y.max())]
    meta = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}
    return json.dumps(meta).encode()


__all__ = ["PointBuffer", "geoparquet_metadata", "points_wkb", "wkb_xy"]
