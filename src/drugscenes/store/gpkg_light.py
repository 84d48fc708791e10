"""A quick, read-only look into a GeoPackage workspace with :mod:`sqlite3` alone.

The full store (:mod:`drugscenes.store.gpkg`) loads pandas and GeoPandas, which take about a
second before the first row is read. A command that only lists a round's scenes
(``drugscenes summary``) reads the same tables here, in the same order, as plain rows.

Whatever this module cannot vouch for (no such file, not a workspace of this schema
version, a damaged file or geometry, no rounds, an unknown round) gives ``None``: the caller
then takes the full store, which refuses the workspace with its usual message. So the quick
path never decides an error itself and an answer through it is the store's answer.
"""

from __future__ import annotations

import math
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "2"
"""The workspace schema version this reader knows (:data:`drugscenes.store.base.SCHEMA_VERSION`;
a test checks that they agree). Another version is left to the full store."""

__all__ = ["SCHEMA_VERSION", "LightRound", "Ring", "polygons", "read_round"]

Ring = tuple[float, ...]
"""A ring's coordinates, flat: ``(x0, y0, x1, y1, ...)``."""


@dataclass(frozen=True)
class LightRound:
    """A round's scenes and the region's municipalities, as the full store orders them.

    Attributes
    ----------
    label : str
        The round.
    latest_by_default : bool
        Whether the round was chosen as the latest (no label was given).
    scene_ids, names, municipality_codes : list
        One value per scene, ordered by scene id (``names`` and ``municipality_codes``
        may hold None).
    blobs : list of bytes or None
        The scenes' GeoPackage geometry blobs (see :meth:`geometries` and :func:`polygons`).
    municipality_codes_region, municipality_names : list of str
        The region's municipalities, ordered by code.
    """

    label: str
    latest_by_default: bool
    scene_ids: list[Any]
    names: list[Any]
    municipality_codes: list[Any]
    blobs: list[bytes | None]
    municipality_codes_region: list[Any]
    municipality_names: list[Any]

    def geometries(self) -> Any:
        """The scenes' shapely geometries, checked against their envelopes as the full store
        checks them (:func:`drugscenes.store.gpkg_blob.decode`; loads NumPy and shapely).

        Raises
        ------
        BlobError
            A damaged geometry.
        """
        from drugscenes.store import gpkg_blob

        return gpkg_blob.decode(self.blobs)


def _chronological(rows: list[tuple[Any, Any]]) -> list[str]:
    """Labels ordered by date (a round without one by its label), then label, as
    :func:`drugscenes.store.base.chronological` orders them."""
    keyed = [(date if date is not None else label, label) for label, date in rows]
    return [str(label) for _key, label in sorted(keyed)]


def read_round(path: str | Path, label: str | None) -> LightRound | None:
    """The scenes of round ``label`` (None: the latest) of the GeoPackage workspace at
    ``path``, or None when the full store should answer (see the module's note).

    Parameters
    ----------
    path : str or Path
        A GeoPackage workspace file (never a ``postgresql://`` URL).
    label : str or None
        The round; None for the latest.

    Returns
    -------
    LightRound or None
    """
    try:
        p = Path(path)
        if not p.is_file():
            return None
        conn = sqlite3.connect(p.absolute().as_uri() + "?mode=ro", uri=True)
    except (OSError, ValueError, sqlite3.Error):
        return None
    try:
        return _read(conn, label)
    except Exception:  # anything unexpected: the full store answers, with its message
        return None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, label: str | None) -> LightRound | None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"ds_metadata", "rounds", "scene_observations", "municipalities"} <= tables:
        return None
    if conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
        return None
    row = conn.execute("SELECT value FROM ds_metadata WHERE key = 'schema_version'").fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        return None
    labels = _chronological(conn.execute("SELECT label, date FROM rounds").fetchall())
    if label is None:
        if not labels:
            return None
        label, latest = labels[-1], True
    elif label in labels:
        latest = False
    else:
        return None
    rows = conn.execute(
        "SELECT scene_id, name, municipality_code, geom FROM scene_observations"
        " WHERE round = ? ORDER BY scene_id",
        (label,),
    ).fetchall()
    munis = conn.execute("SELECT code, name FROM municipalities ORDER BY code").fetchall()
    return LightRound(
        label=label,
        latest_by_default=latest,
        scene_ids=[r[0] for r in rows],
        names=[r[1] for r in rows],
        municipality_codes=[r[2] for r in rows],
        blobs=[None if r[3] is None else bytes(r[3]) for r in rows],
        municipality_codes_region=[r[0] for r in munis],
        municipality_names=[r[1] for r in munis],
    )


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def polygons(blobs: list[bytes | None]) -> list[list[list[Ring]]] | None:
    r"""Each blob's polygons, each a list of rings (shell first), read with :mod:`struct`.

    Only what the quick path can vouch for: 2D Polygon and MultiPolygon WKB, every
    coordinate finite and within the envelope stored in the blob's header as
    :func:`drugscenes.store.gpkg_blob.decode` checks it. Anything else (a NULL or empty
    geometry, another type, Z or M coordinates, a damaged blob) gives None, and the caller
    takes the shapely path (:meth:`LightRound.geometries`), which decides.

    Examples
    --------
    >>> import struct
    >>> ring = struct.pack("<I8d", 4, 0, 0, 2, 0, 2, 1, 0, 0)
    >>> wkb = struct.pack("<BII", 1, 3, 1) + ring
    >>> blob = b"GP\x00\x03" + struct.pack("<i4d", 3006, 0, 2, 0, 1) + wkb
    >>> polygons([blob])
    [[[(0.0, 0.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0)]]]
    >>> polygons([blob[:-8]]) is None, polygons([None]) is None
    (True, True)
    """
    out = []
    try:
        for blob in blobs:
            parsed = _blob_polygons(blob)
            if parsed is None:
                return None
            out.append(parsed)
    except (struct.error, IndexError, KeyError):
        return None
    return out


def _blob_polygons(blob: bytes | None) -> list[list[Ring]] | None:
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0b10000:  # empty
        return None
    code = (flags >> 1) & 0b111
    start = 8 + _ENVELOPE_BYTES[code]
    wkb = memoryview(blob)[start:]
    if wkb[0] not in (0, 1):
        return None
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, 1)
    rings: list[list[Ring]] = []
    if kind == 3:
        poly, pos = _polygon(wkb, 0)
        rings.append(poly)
    elif kind == 6:
        (n,) = struct.unpack_from(order + "I", wkb, 5)
        pos = 9
        for _ in range(n):
            if wkb[pos] not in (0, 1):
                return None
            (sub,) = struct.unpack_from(("<" if wkb[pos] == 1 else ">") + "I", wkb, pos + 1)
            if sub != 3:
                return None
            poly, pos = _polygon(wkb, pos)
            rings.append(poly)
    else:
        return None
    if pos != len(wkb) or not rings:
        return None
    for poly in rings:  # what GEOS would refuse or read differently: the shapely path decides
        if not poly or any(len(r) < 8 or r[:2] != r[-2:] for r in poly):
            return None
    coords = [c for poly in rings for ring in poly for c in ring]
    if not all(math.isfinite(c) for c in coords):
        return None
    if code:
        env = struct.unpack_from("<4d" if flags & 1 else ">4d", blob, 8)  # minx, maxx, miny, maxy
        xs, ys = coords[0::2], coords[1::2]
        for got, stored in zip((min(xs), max(xs), min(ys), max(ys)), env, strict=True):
            if not abs(got - stored) <= 1e-6 + 1e-9 * abs(stored):  # as numpy.isclose
                return None
    return rings


def _polygon(wkb: memoryview, pos: int) -> tuple[list[Ring], int]:
    """The rings of the WKB Polygon at ``pos`` and the position after it."""
    order = "<" if wkb[pos] == 1 else ">"
    (n_rings,) = struct.unpack_from(order + "I", wkb, pos + 5)
    pos += 9
    rings = []
    for _ in range(n_rings):
        (n,) = struct.unpack_from(order + "I", wkb, pos)
        rings.append(struct.unpack_from(f"{order}{2 * n}d", wkb, pos + 4))
        pos += 4 + 16 * n
    return rings, pos
