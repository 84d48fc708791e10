"""GeoPackage file basics shared by the workspace and the survey file.

A new file (OGC GeoPackage 1.2 with GDAL's feature counts), the spatial reference
systems, attribute-table registration, value binding and the bookkeeping that keeps
QGIS's view of a file right after every write.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from pyproj import CRS

from drugscenes import CRS_EPSG
from drugscenes.errors import WorkspaceError
from drugscenes.store import gpkg_blob

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
# GeoPackage 1.2: GDAL 3.6 (QGIS on Debian 12) warns on 1.4 files; nothing here needs 1.4.
_GPKG_USER_VERSION = 10200

CORE_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));

CREATE TABLE gpkg_ogr_contents (
  table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL);
"""
"""The tables every GeoPackage has (OGC GeoPackage 1.2) and GDAL's feature counts."""


def database_error(exc: sqlite3.Error, what: str) -> WorkspaceError:
    """One clear error for an SQLite failure on a file; ``what`` names the file.

    A damaged file ("database disk image is malformed"), a read-only file or folder, a
    file locked by another program and a full disk each get their own message.
    """
    code = getattr(exc, "sqlite_errorname", "") or ""
    if str(exc).startswith("Could not decode to UTF-8"):  # its text may be personal data
        return WorkspaceError(
            f"{what} is damaged (a stored text is not UTF-8); restore it from a backup"
        )
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return WorkspaceError(
            f"{what} is damaged ({exc}); restore it from a backup or create it again"
        )
    if code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return WorkspaceError(
            f"cannot write {what} ({exc}): the file or its folder is read-only; nothing was changed"
        )
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return WorkspaceError(f"{what} is in use by another program ({exc}); try again later")
    if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return WorkspaceError(f"cannot read or write {what} ({exc}); nothing was changed")
    return WorkspaceError(f"{what} cannot be used ({exc})")


def os_error(exc: OSError, what: str) -> WorkspaceError:
    """One clear error for a file-system failure while writing ``what``."""
    reason = exc.strerror or str(exc)
    return WorkspaceError(f"cannot write {what} ({reason}); nothing was changed")


def check_writable(path: Path, what: str) -> None:
    """WorkspaceError unless this user may write ``path`` (if it exists) and its folder.

    SQLite writes a journal beside the file, so a writable file in a read-only folder
    cannot be changed either. The check uses the effective user, as the writes will.
    """
    effective = os.access in os.supports_effective_ids
    for target in (path, path.parent):
        if target.exists() and not os.access(target, os.W_OK, effective_ids=effective):
            kind = "folder" if target.is_dir() else "file"
            raise WorkspaceError(
                f"cannot write {what}: the {kind} {target} is read-only; nothing was changed"
            )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def srs_rows() -> list[tuple]:
    wkt = CRS.from_epsg(CRS_EPSG).to_wkt("WKT1_GDAL")
    wgs = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
    return [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, wgs, "longitude/latitude WGS 84"),
        ("SWEREF99 TM", CRS_EPSG, "EPSG", CRS_EPSG, wkt, "SWEREF 99 TM"),
    ]


def new_geopackage(path: Path, mode: int = 0o644) -> sqlite3.Connection:
    """A new, empty GeoPackage 1.2 at ``path`` (refused if it exists), file mode ``mode``.

    The file is created with its mode before SQLite writes a byte, so a file meant for
    personal data is never readable by others, not even for a moment.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    os.close(fd)
    conn = connect(path)
    with conn:
        conn.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
        conn.executescript(CORE_SCHEMA)
        conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", srs_rows())
    return conn


def add_attribute_tables(conn: sqlite3.Connection, tables: dict[str, str]) -> None:
    """Register attribute tables (name → description) in ``gpkg_contents``."""
    conn.executemany(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
        " last_change) VALUES (?, 'attributes', ?, ?, ?)",
        [(t, t, desc, now()) for t, desc in tables.items()],
    )


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    gpkg_blob.register_functions(conn)
    return conn


def refresh_counts(conn: sqlite3.Connection) -> None:
    """Keep GDAL's feature counts (gpkg_ogr_contents) right after every write.

    QGIS shows these counts and, without them, miscounts a layer filtered by round.
    """
    tables = [r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")]
    conn.execute("DELETE FROM gpkg_ogr_contents")
    conn.executemany(
        "INSERT INTO gpkg_ogr_contents VALUES (?, ?)",
        [(t, conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables],
    )


def touch_table(conn: sqlite3.Connection, table: str) -> None:
    conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now(), table))
