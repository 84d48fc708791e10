"""GeoPackage geometry blobs (OGC GeoPackage 1.2, clause 2.1.3), vectorised.

A blob is an 8-byte header (``GP``, version 0, flags, srs_id) followed by an
envelope and ISO WKB. We always write the XY envelope (flags envelope code 1,
little-endian) so that readers and the R-tree triggers need not parse the WKB.
The ``ST_*`` functions registered here are the ones the GeoPackage R-tree
triggers call; GDAL provides them in its own connections, Python's sqlite3 does not.
"""

from __future__ import annotations

import sqlite3
import struct

import numpy as np
import shapely
import shapely.errors

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geoms: np.ndarray, srs_id: int) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage blobs (None stays None)."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(geoms)
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    g = geoms[present]
    wkb = shapely.to_wkb(g, flavor="iso", byte_order=1, output_dimension=2)
    bounds = shapely.bounds(g)  # minx, miny, maxx, maxy
    empty = shapely.is_empty(g)
    idx = np.flatnonzero(present)
    for i, w, b, e in zip(idx, wkb, bounds, empty, strict=True):
        if e:
            # empty flag (bit 4), no envelope; little-endian (bit 0)
            out[i] = b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", srs_id) + w
        else:
            env = struct.pack("<4d", b[0], b[2], b[1], b[3])  # minx, maxx, miny, maxy
            out[i] = b"GP\x00" + bytes([0b00000011]) + struct.pack("<i", srs_id) + env + w
    return out


class BlobError(ValueError):
    """A stored value that is not a GeoPackage geometry blob (a damaged file)."""


def _wkb_offset(blob: bytes) -> int:
    if len(blob) < 8 or blob[:2] != b"GP":
        raise BlobError("not a GeoPackage geometry blob")
    flags = blob[3]
    code = (flags >> 1) & 0b111
    if code not in _ENVELOPE_BYTES:
        raise BlobError(f"unknown envelope code {code}")
    return 8 + _ENVELOPE_BYTES[code]


def decode(blobs: list[bytes | None] | np.ndarray) -> np.ndarray:
    """Decode GeoPackage blobs to a shapely geometry array (None for NULL).

    Each geometry is checked against the envelope in its header: a damaged file whose
    coordinates were overwritten fails the check instead of giving wild geometry.

    Raises
    ------
    BlobError
        A value is not a readable GeoPackage geometry, or its coordinates disagree
        with its envelope.
    """
    try:
        raw = [None if b is None else bytes(b) for b in blobs]
        wkb = [None if b is None else b[_wkb_offset(b) :] for b in raw]
        geoms = shapely.from_wkb(np.array(wkb, dtype=object))
    except (shapely.errors.ShapelyError, TypeError, ValueError) as exc:
        raise BlobError(str(exc)) from None
    _check_envelopes(raw, geoms)
    return geoms


def _check_envelopes(raw: list[bytes | None], geoms: np.ndarray) -> None:
    """BlobError when a geometry's bounds differ from the XY envelope stored with it."""
    idx = [i for i, b in enumerate(raw) if b is not None and (b[3] >> 1) & 0b111 and not b[3] & 16]
    if not idx:
        return
    stored = np.array(
        [struct.unpack("<4d" if raw[i][3] & 1 else ">4d", raw[i][8:40]) for i in idx]  # type: ignore[index]
    )  # minx, maxx, miny, maxy
    with np.errstate(invalid="ignore"):
        bounds = shapely.bounds(geoms[idx])[:, [0, 2, 1, 3]]
        same = np.isclose(bounds, stored, rtol=1e-9, atol=1e-6).all(axis=1)
    if not same.all():
        raise BlobError(
            f"coordinates of {int((~same).sum())} geometries disagree with their envelope"
        )


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """minx, maxx, miny, maxy of a blob, from its header or, failing that, its WKB."""
    if blob is None:
        return None
    blob = bytes(blob)
    flags = blob[3]
    if flags & 0b10000:  # empty geometry
        return None
    code = (flags >> 1) & 0b111
    if code:
        fmt = "<4d" if flags & 1 else ">4d"
        return struct.unpack(fmt, blob[8:40])
    g = shapely.from_wkb(blob[8:])
    minx, miny, maxx, maxy = shapely.bounds(g)
    return (minx, maxx, miny, maxy)


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(_envelope(blob) is None)


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the ST_* functions the GeoPackage R-tree triggers use."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for name, pos in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
        conn.create_function(
            name,
            1,
            lambda b, p=pos: None if (e := _envelope(b)) is None else e[p],
            deterministic=True,
        )
