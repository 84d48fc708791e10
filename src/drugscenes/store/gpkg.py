"""The embedded workspace: one GeoPackage file (OGC GeoPackage 1.2).

Written with Python's sqlite3 so that every import is one SQLite transaction
(all or nothing) across layers, which GDAL's layer-at-a-time writers cannot give.
The file is an ordinary GeoPackage: QGIS and ``ogrinfo`` list ``municipalities``
and ``scene_observations`` as polygon layers (EPSG:3006, with R-tree spatial
indexes) and ``rounds``, ``scenes``, ``ds_metadata`` and derived tables as
attribute tables.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from drugscenes import CRS_EPSG, __version__
from drugscenes.errors import DataError, NotFoundError, WorkspaceError
from drugscenes.store import gpkg_blob
from drugscenes.store.base import SCENE_COLUMNS, SCHEMA_VERSION, RoundRecord, Store

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
# GeoPackage 1.2: GDAL 3.6 (QGIS on Debian 12) warns on 1.4 files; nothing here needs 1.4.
_GPKG_USER_VERSION = 10200
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_CORE_TABLES = {
    "ds_metadata",
    "municipalities",
    "rounds",
    "scenes",
    "scene_observations",
    "survey_years",
    "survey_respondents",
}
SURVEY_COLUMNS = [
    "respondent_id",
    "x",
    "y",
    "weight",
    "unsafe",
    "stratum",
    "psu",
    "municipality_code",
]

_SCHEMA = """
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

CREATE TABLE ds_metadata (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL);
CREATE TABLE municipalities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON,
  code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, area_m2 REAL);
CREATE TABLE rounds (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, label TEXT NOT NULL UNIQUE, date TEXT,
  note TEXT, n_scenes INTEGER NOT NULL, source_file TEXT, source_sha256 TEXT,
  imported_at TEXT NOT NULL);
CREATE TABLE scenes (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, scene_id TEXT NOT NULL UNIQUE, name TEXT,
  municipality_code TEXT, first_round TEXT, last_round TEXT, n_rounds INTEGER);
CREATE TABLE scene_observations (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON,
  round TEXT NOT NULL, scene_id TEXT NOT NULL, id_given INTEGER NOT NULL, name TEXT,
  municipality_code TEXT, area_m2 REAL, activities TEXT, drug_types TEXT,
  times_of_day TEXT, source_org TEXT, note TEXT, attributes TEXT,
  UNIQUE (round, scene_id));
CREATE INDEX scene_observations_round ON scene_observations (round);
CREATE TABLE survey_years (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, year INTEGER NOT NULL UNIQUE,
  n_respondents INTEGER NOT NULL, source_file TEXT, source_sha256 TEXT, imported_at TEXT NOT NULL);
CREATE TABLE survey_respondents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, year INTEGER NOT NULL,
  respondent_id TEXT NOT NULL, x REAL NOT NULL, y REAL NOT NULL, weight REAL NOT NULL,
  unsafe INTEGER, stratum TEXT, psu TEXT, municipality_code TEXT,
  UNIQUE (year, respondent_id));
"""

_RTREE = """
CREATE VIRTUAL TABLE rtree_{t}_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_{t}_geom_insert AFTER INSERT ON {t}
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid,
  ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update1 AFTER UPDATE OF geom ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid,
  ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update2 AFTER UPDATE OF geom ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_{t}_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_{t}_geom_update3 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_{t}_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid,
  ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update4 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_{t}_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_{t}_geom_delete AFTER DELETE ON {t} WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_{t}_geom WHERE id = OLD.fid; END;
"""

_LAYERS = {
    "municipalities": "Municipalities of the region",
    "scene_observations": "Open drug scenes as mapped in each round (filter on 'round')",
}
_TABLES = {
    "ds_metadata": "drugscenes workspace metadata (schema version)",
    "rounds": "Mapping rounds",
    "scenes": "Scene registry: stable scene ids",
    "survey_years": "Safety-survey imports (one per year)",
    "survey_respondents": "Safety-survey microdata: personal data, survey analysts only",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _srs_rows() -> list[tuple]:
    wkt = CRS.from_epsg(CRS_EPSG).to_wkt("WKT1_GDAL")
    wgs = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
    return [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, wgs, "longitude/latitude WGS 84"),
        ("SWEREF99 TM", CRS_EPSG, "EPSG", CRS_EPSG, wkt, "SWEREF 99 TM"),
    ]


def _to_multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as MultiPolygons, so that each layer has one geometry type."""
    geoms = np.asarray(geoms, dtype=object)
    single = shapely.get_type_id(geoms) == 3
    out = geoms.copy()
    if single.any():
        out[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return out


class GeoPackageStore(Store):
    """A workspace in one GeoPackage file. Open it with :func:`open_workspace`."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection) -> None:
        self.path = str(path)
        self._conn = conn

    # -- creation and opening -------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        municipalities: gpd.GeoDataFrame,
        region_name: str = "",
        overwrite: bool = False,
    ) -> GeoPackageStore:
        """Create a new workspace holding the given municipalities (EPSG:3006)."""
        path = Path(path)
        if path.exists():
            if not overwrite:
                raise WorkspaceError(
                    f"{path} exists already; choose another file or pass --overwrite"
                )
            path.unlink()
        tmp = path.with_name(path.name + ".creating")
        tmp.unlink(missing_ok=True)
        conn = _connect(tmp)
        # A new file is built under a temporary name and renamed when complete, so a
        # failed init leaves nothing behind.
        try:
            with conn:
                conn.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
                conn.executescript(_SCHEMA)
                conn.executemany(
                    "INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", _srs_rows()
                )
                for t, desc in _LAYERS.items():
                    conn.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier,"
                        " description, last_change, srs_id) VALUES (?, 'features', ?, ?, ?, ?)",
                        (t, t, desc, _now(), CRS_EPSG),
                    )
                    conn.execute(
                        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON',"
                        " ?, 0, 0)",
                        (t, CRS_EPSG),
                    )
                    conn.executescript(_RTREE.format(t=t))
                    conn.execute(
                        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index',"
                        " 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
                        (t,),
                    )
                for t, desc in _TABLES.items():
                    conn.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier,"
                        " description, last_change) VALUES (?, 'attributes', ?, ?, ?)",
                        (t, t, desc, _now()),
                    )
                meta = {
                    "schema_version": str(SCHEMA_VERSION),
                    "created_at": _now(),
                    "created_by": f"drugscenes {__version__}",
                    "region_name": region_name,
                    "crs": f"EPSG:{CRS_EPSG}",
                }
                conn.executemany("INSERT INTO ds_metadata (key, value) VALUES (?, ?)", meta.items())
                geoms = _to_multi(municipalities.geometry.to_numpy())
                blobs = gpkg_blob.encode(geoms, CRS_EPSG)
                conn.executemany(
                    "INSERT INTO municipalities (geom, code, name, area_m2) VALUES (?,?,?,?)",
                    zip(
                        blobs,
                        municipalities["code"].astype(str),
                        municipalities["name"].astype(str),
                        shapely.area(geoms).tolist(),
                        strict=True,
                    ),
                )
                _touch(conn, "municipalities")
                _refresh_counts(conn)
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        conn.close()
        tmp.replace(path)
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path) -> GeoPackageStore:
        """Open an existing workspace, checking that its schema version is known."""
        path = Path(path)
        if not path.exists():
            raise WorkspaceError(
                f"no workspace at {path}; create one with 'drugscenes init {path} "
                "--municipalities FILE'"
            )
        try:
            conn = _connect(path)
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{path} is not a GeoPackage workspace ({exc})") from None
        if "ds_metadata" not in tables:
            conn.close()
            raise WorkspaceError(
                f"{path} is not a drugscenes workspace (no ds_metadata table); "
                "create one with 'drugscenes init'"
            )
        row = conn.execute("SELECT value FROM ds_metadata WHERE key = 'schema_version'").fetchone()
        version = row[0] if row else None
        if version != str(SCHEMA_VERSION):
            conn.close()
            raise WorkspaceError(
                f"{path} has workspace schema version {version!r}; this drugscenes "
                f"({__version__}) reads version {SCHEMA_VERSION} only"
            )
        return cls(path, conn)

    def close(self) -> None:
        self._conn.close()

    # -- region ---------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM ds_metadata").fetchall())

    def municipalities(self) -> gpd.GeoDataFrame:
        rows = self._conn.execute(
            "SELECT code, name, geom FROM municipalities ORDER BY code"
        ).fetchall()
        return gpd.GeoDataFrame(
            {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
            geometry=gpkg_blob.decode([r[2] for r in rows]),
            crs=CRS_EPSG,
        )

    # -- rounds and scenes ------------------------------------------------------
    def rounds(self) -> pd.DataFrame:
        cols = ["label", "date", "note", "n_scenes", "source_file", "source_sha256", "imported_at"]
        rows = self._conn.execute(
            f"SELECT {', '.join(cols)} FROM rounds ORDER BY COALESCE(date, label), label"
        ).fetchall()
        return pd.DataFrame(rows, columns=cols)

    def round_record(self, label: str) -> RoundRecord | None:
        """The stored record of a round, or None."""
        row = self._conn.execute(
            "SELECT label, date, note, source_file, source_sha256 FROM rounds WHERE label = ?",
            (label,),
        ).fetchone()
        return RoundRecord(*row) if row else None

    def round_scenes(self, label: str) -> gpd.GeoDataFrame:
        if self.round_record(label) is None:
            known = ", ".join(self.round_labels()) or "none"
            raise NotFoundError(f"no round '{label}' in {self.path} (rounds: {known})")
        cols = SCENE_COLUMNS
        rows = self._conn.execute(
            f"SELECT {', '.join(cols)}, geom FROM scene_observations WHERE round = ?"
            " ORDER BY scene_id",
            (label,),
        ).fetchall()
        frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
        frame["id_given"] = frame["id_given"].astype(bool)
        frame["area_m2"] = frame["area_m2"].astype(float)
        return gpd.GeoDataFrame(
            frame, geometry=gpkg_blob.decode([r[-1] for r in rows]), crs=CRS_EPSG
        )

    def write_round(
        self,
        record: RoundRecord,
        scenes: gpd.GeoDataFrame,
        replace: bool,
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        """Store a round, its scenes and derived tables in one transaction."""
        geoms = _to_multi(scenes.geometry.to_numpy())
        blobs = gpkg_blob.encode(geoms, CRS_EPSG)
        data = scenes.reindex(columns=SCENE_COLUMNS)
        data = data.astype(object).where(data.notna(), None)
        data["id_given"] = scenes["id_given"].astype(bool).astype(int).to_numpy()
        data["area_m2"] = shapely.area(geoms)
        conn = self._conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            exists = conn.execute(
                "SELECT 1 FROM rounds WHERE label = ?", (record.label,)
            ).fetchone()
            if exists and not replace:
                raise DataError(
                    f"round '{record.label}' exists already in {self.path}; "
                    "pass --replace to replace it"
                )
            self._delete_round(record.label)
            conn.execute(
                "INSERT INTO rounds (label, date, note, n_scenes, source_file, source_sha256,"
                " imported_at) VALUES (?,?,?,?,?,?,?)",
                (
                    record.label,
                    record.date,
                    record.note,
                    len(scenes),
                    record.source_file,
                    record.source_sha256,
                    _now(),
                ),
            )
            values = [
                (blob, record.label, *row)
                for blob, row in zip(blobs, data.itertuples(index=False, name=None), strict=True)
            ]
            conn.executemany(
                f"INSERT INTO scene_observations (geom, round, {', '.join(SCENE_COLUMNS)})"
                f" VALUES ({', '.join('?' * (len(SCENE_COLUMNS) + 2))})",
                values,
            )
            self._refresh_registry()
            for name, table in (tables or {}).items():
                self._replace_table(name, table)
            _touch(conn, "scene_observations")
            _refresh_counts(conn)

    def delete_round(self, label: str) -> None:
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            if self.round_record(label) is None:
                raise NotFoundError(f"no round '{label}' in {self.path}")
            self._delete_round(label)
            self._refresh_registry()
            _touch(self._conn, "scene_observations")
            _refresh_counts(self._conn)

    def _delete_round(self, label: str) -> None:
        self._conn.execute("DELETE FROM scene_observations WHERE round = ?", (label,))
        self._conn.execute("DELETE FROM rounds WHERE label = ?", (label,))

    def _refresh_registry(self) -> None:
        """Rebuild the scene registry from the observations (latest name and municipality)."""
        conn = self._conn
        conn.execute("DELETE FROM scenes")
        conn.execute(
            """
            WITH ordered AS (
                SELECT o.scene_id, o.name, o.municipality_code, o.round,
                       ROW_NUMBER() OVER (PARTITION BY o.scene_id
                           ORDER BY COALESCE(r.date, r.label), r.label) AS k_first,
                       ROW_NUMBER() OVER (PARTITION BY o.scene_id
                           ORDER BY COALESCE(r.date, r.label) DESC, r.label DESC) AS k_last,
                       COUNT(*) OVER (PARTITION BY o.scene_id) AS n
                FROM scene_observations o JOIN rounds r ON r.label = o.round)
            INSERT INTO scenes (scene_id, name, municipality_code, first_round, last_round,
                                n_rounds)
            SELECT l.scene_id, l.name, l.municipality_code, f.round, l.round, l.n
            FROM ordered l JOIN ordered f ON f.scene_id = l.scene_id AND f.k_first = 1
            WHERE l.k_last = 1 ORDER BY l.scene_id
            """
        )
        _touch_table(conn, "scenes")

    # -- safety survey ----------------------------------------------------------------
    def survey_record(self, year: int) -> dict[str, object] | None:
        """The import record of a survey year (source file, sha256, n), or None."""
        cur = self._conn.execute(
            "SELECT year, n_respondents, source_file, source_sha256, imported_at"
            " FROM survey_years WHERE year = ?",
            (int(year),),
        )
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def survey_years(self) -> list[int]:
        return [r[0] for r in self._conn.execute("SELECT year FROM survey_years ORDER BY year")]

    def write_survey(
        self,
        year: int,
        respondents: pd.DataFrame,
        source_file: str,
        source_sha256: str,
        replace: bool,
    ) -> None:
        """Store one survey year's respondents in one transaction (refused if present
        unless ``replace``)."""
        data = respondents.reindex(columns=SURVEY_COLUMNS)
        data = data.astype(object).where(data.notna(), None)
        # NULL unsafe = no usable answer ("vet ej"): kept, since the respondent still
        # belongs to the design (strata and PSUs), and left out of the estimates.
        unsafe = respondents["unsafe"]
        data["unsafe"] = [None if pd.isna(v) else int(v) for v in unsafe]
        conn = self._conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            exists = conn.execute(
                "SELECT 1 FROM survey_years WHERE year = ?", (int(year),)
            ).fetchone()
            if exists and not replace:
                raise DataError(
                    f"survey year {year} exists already in {self.path}; "
                    "pass --replace to replace it"
                )
            conn.execute("DELETE FROM survey_respondents WHERE year = ?", (int(year),))
            conn.execute("DELETE FROM survey_years WHERE year = ?", (int(year),))
            conn.execute(
                "INSERT INTO survey_years (year, n_respondents, source_file, source_sha256,"
                " imported_at) VALUES (?,?,?,?,?)",
                (int(year), len(data), source_file, source_sha256, _now()),
            )
            conn.executemany(
                f"INSERT INTO survey_respondents (year, {', '.join(SURVEY_COLUMNS)})"
                f" VALUES ({', '.join('?' * (len(SURVEY_COLUMNS) + 1))})",
                (
                    (int(year), *(_py(v) for v in row))
                    for row in data.itertuples(index=False, name=None)
                ),
            )
            _touch_table(conn, "survey_respondents")
            _refresh_counts(conn)

    def read_survey(self, year: int) -> pd.DataFrame:
        """The respondents of a survey year; raises NotFoundError for an unknown year."""
        if self.survey_record(year) is None:
            known = ", ".join(map(str, self.survey_years())) or "none"
            raise NotFoundError(f"no survey year {year} in {self.path} (years: {known})")
        rows = self._conn.execute(
            f"SELECT {', '.join(SURVEY_COLUMNS)} FROM survey_respondents WHERE year = ?"
            " ORDER BY fid",
            (int(year),),
        ).fetchall()
        frame = pd.DataFrame(rows, columns=SURVEY_COLUMNS)
        return frame.astype({"x": float, "y": float, "weight": float, "unsafe": "Int8"})

    # -- derived tables -----------------------------------------------------------
    def write_table(self, name: str, table: pd.DataFrame) -> None:
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._replace_table(name, table)
            _refresh_counts(self._conn)

    def _replace_table(self, name: str, table: pd.DataFrame) -> None:
        if not _NAME_RE.match(name) or name in _CORE_TABLES or name.startswith(("gpkg", "rtree")):
            raise ValueError(f"'{name}' cannot be used as a derived table name")
        conn = self._conn
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (name,))
        cols = [str(c) for c in table.columns]
        for c in cols:
            if not _NAME_RE.match(c):
                raise ValueError(f"column '{c}' of table '{name}' is not a plain identifier")
        decl = ", ".join(f'"{c}" {_sql_type(table[c])}' for c in cols)
        conn.execute(
            f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'
            f"{', ' + decl if decl else ''})"
        )
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
            " last_change) VALUES (?, 'attributes', ?, 'derived by drugscenes', ?)",
            (name, name, _now()),
        )
        if cols and len(table):
            values = [tuple(_py(v) for v in row) for row in table.itertuples(index=False)]
            conn.executemany(
                f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)})'
                f" VALUES ({', '.join('?' * len(cols))})",
                values,
            )

    def read_table(self, name: str) -> pd.DataFrame:
        if not _NAME_RE.match(name):
            raise ValueError(f"'{name}' is not a table name")
        exists = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        if not exists:
            return pd.DataFrame()
        cur = self._conn.execute(f'SELECT * FROM "{name}" ORDER BY fid')
        cols = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=cols).drop(columns="fid")


def _sql_type(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_integer_dtype(col):
        return "INTEGER"
    if pd.api.types.is_float_dtype(col):
        return "REAL"
    return "TEXT"


def _py(value: object) -> object:
    """A value sqlite3 can bind: NumPy scalars to Python, containers to JSON, NaN to NULL."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    gpkg_blob.register_functions(conn)
    return conn


def _refresh_counts(conn: sqlite3.Connection) -> None:
    """Keep GDAL's feature counts (gpkg_ogr_contents) right after every write.

    QGIS shows these counts and, without them, miscounts a layer filtered by round.
    """
    tables = [r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")]
    conn.execute("DELETE FROM gpkg_ogr_contents")
    conn.executemany(
        "INSERT INTO gpkg_ogr_contents VALUES (?, ?)",
        [(t, conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables],
    )


def _touch_table(conn: sqlite3.Connection, table: str) -> None:
    conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (_now(), table))


def _touch(conn: sqlite3.Connection, table: str) -> None:
    """Update a layer's extent and last change in gpkg_contents (from its R-tree)."""
    ext = conn.execute(
        f"SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM rtree_{table}_geom"
    ).fetchone()
    conn.execute(
        "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ?"
        " WHERE table_name = ?",
        (_now(), *ext, table),
    )
