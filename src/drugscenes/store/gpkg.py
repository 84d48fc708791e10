"""The embedded workspace: one GeoPackage file (OGC GeoPackage 1.2) and two beside it.

Written with Python's sqlite3 so that every import is one SQLite transaction
(all or nothing) across layers, which GDAL's layer-at-a-time writers cannot give.
The file is an ordinary GeoPackage: QGIS and ``ogrinfo`` list ``municipalities``
and ``scene_observations`` as polygon layers (EPSG:3006, with R-tree spatial
indexes) and ``rounds``, ``scenes``, ``scene_history`` and ``ds_metadata`` as
attribute tables.

Beside ``county.gpkg`` live ``county.incidents/`` (the incidents, a GeoParquet dataset
partitioned by year: :mod:`drugscenes.store.incidents_parquet`) and, once a survey is
imported, ``county.survey.gpkg`` (the survey microdata, personal data, created readable
by its owner only: :mod:`drugscenes.store.gpkg_survey`). The workspace file itself can be
handed around for QGIS; the survey file stays with the survey analyst.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from drugscenes import CRS_EPSG, __version__
from drugscenes.errors import DataError, NotFoundError, WorkspaceError
from drugscenes.store import gpkg_blob
from drugscenes.store.base import (
    HISTORY_DTYPES,
    KEPT_METADATA,
    ROUND_COLUMNS,
    ROUND_DTYPES,
    SCENE_COLUMNS,
    SCHEMA_VERSION,
    SURVEY_COLUMNS,
    SURVEY_DTYPES,
    HistoryFunction,
    IncidentWrite,
    RoundRecord,
    Store,
    SurveyRecord,
    bind_value,
    chronological,
    empty_frame,
    typed,
)
from drugscenes.store.gpkg_file import (
    add_attribute_tables,
    check_writable,
    connect,
    database_error,
    new_geopackage,
    now,
    os_error,
    refresh_counts,
    touch_table,
)
from drugscenes.store.gpkg_survey import SurveyFile
from drugscenes.store.incidents_parquet import IncidentDataset

_HISTORY_SCHEMA = """
CREATE TABLE scene_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, place_id TEXT NOT NULL, round TEXT NOT NULL,
  round_index INTEGER NOT NULL, scene_id TEXT NOT NULL, id_given INTEGER NOT NULL,
  municipality_code TEXT, area_m2 REAL, came_back INTEGER NOT NULL);
"""

_SCHEMA = (
    """
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
"""
    + _HISTORY_SCHEMA
)


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
    "scene_history": "Each scene observation's place across all rounds",
}


def _to_multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as MultiPolygons, so that each layer has one geometry type."""
    geoms = np.asarray(geoms, dtype=object)
    single = shapely.get_type_id(geoms) == 3
    out = geoms.copy()
    if single.any():
        out[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return out


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _sqlite_errors(
    method: Callable[Concatenate[GeoPackageStore, _P], _R],
) -> Callable[Concatenate[GeoPackageStore, _P], _R]:
    """A method whose SQLite failures (damaged file, read-only file or folder, lock) end
    in one :class:`~drugscenes.errors.WorkspaceError` naming the workspace."""

    @functools.wraps(method)
    def wrapper(self: GeoPackageStore, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug, not the file: keep the traceback
        except sqlite3.DatabaseError as exc:
            raise database_error(exc, f"the workspace {self.path}") from None
        except gpkg_blob.BlobError as exc:
            raise _damaged(self.path, f"a stored geometry cannot be read: {exc}") from None
        except UnicodeDecodeError:
            raise _damaged(self.path, "a stored text is not UTF-8") from None

    return wrapper


def _damaged(path: Path, detail: str) -> WorkspaceError:
    return WorkspaceError(f"the workspace {path} is damaged ({detail}); restore it from a backup")


def companion_path(workspace: str | Path, suffix: str) -> Path:
    """A file or folder beside the workspace: ``county.gpkg`` → ``county<suffix>``."""
    p = Path(workspace)
    return p.with_name(p.stem + suffix)


class GeoPackageStore(Store):
    """A workspace in one GeoPackage file. Open it with :func:`open_workspace`."""

    backend = "geopackage"

    def __init__(self, path: str | Path, conn: sqlite3.Connection) -> None:
        self.path = Path(path)
        self.target = str(path)
        self._conn = conn
        self._incidents = IncidentDataset(companion_path(path, ".incidents"))
        self._survey = SurveyFile(companion_path(path, ".survey.gpkg"))

    # -- creation and opening -------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        municipalities: gpd.GeoDataFrame,
        region_name: str = "",
        overwrite: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> GeoPackageStore:
        """Create a new workspace holding the given municipalities (EPSG:3006).

        With ``overwrite`` an existing workspace is replaced together with its incidents
        and survey files, so that nothing of the old one lingers.
        """
        path = Path(path)
        if path.is_symlink() or path.is_dir():
            raise WorkspaceError(f"{path} is a link or a folder; give a new file name")
        if path.exists() and not overwrite:
            raise WorkspaceError(f"{path} exists already; choose another file or pass --overwrite")
        check_writable(path, str(path))
        tmp = path.with_name(path.name + ".creating")
        try:
            return cls._create(path, tmp, municipalities, region_name, overwrite, metadata)
        except OSError as exc:
            raise os_error(exc, str(path)) from None
        except sqlite3.DatabaseError as exc:
            raise database_error(exc, str(path)) from None

    @classmethod
    def _create(
        cls,
        path: Path,
        tmp: Path,
        municipalities: gpd.GeoDataFrame,
        region_name: str,
        overwrite: bool,
        metadata: dict[str, str] | None,
    ) -> GeoPackageStore:
        tmp.unlink(missing_ok=True)
        # A new file is built under a temporary name and renamed when complete, so a
        # failed init leaves nothing behind.
        conn = new_geopackage(tmp)
        try:
            with conn:
                conn.executescript(_SCHEMA)
                for t, desc in _LAYERS.items():
                    conn.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier,"
                        " description, last_change, srs_id) VALUES (?, 'features', ?, ?, ?, ?)",
                        (t, t, desc, now(), CRS_EPSG),
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
                add_attribute_tables(conn, _TABLES)
                meta = {
                    "schema_version": str(SCHEMA_VERSION),
                    "created_at": now(),
                    "created_by": f"drugscenes {__version__}",
                    "region_name": region_name,
                    "crs": f"EPSG:{CRS_EPSG}",
                }
                given = {k: v for k, v in (metadata or {}).items() if k in KEPT_METADATA}
                meta.update(given)
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
                refresh_counts(conn)
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        conn.close()
        if overwrite:
            IncidentDataset(companion_path(path, ".incidents")).remove()
            companion_path(path, ".survey.gpkg").unlink(missing_ok=True)
        tmp.replace(path)
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path) -> GeoPackageStore:
        """Open an existing workspace, checking that its schema version is known."""
        path = Path(path)
        conn, version = _open_checked(path)
        if version == "1":
            conn.close()
            raise WorkspaceError(
                f"{path} is a workspace of schema version 1, which keeps the survey microdata "
                f"inside the shared file; run 'drugscenes migrate {path}' to move it to "
                f"{companion_path(path, '.survey.gpkg').name} and upgrade the workspace"
            )
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
    @_sqlite_errors
    def metadata(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM ds_metadata").fetchall())

    @_sqlite_errors
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
    @_sqlite_errors
    def rounds(self) -> pd.DataFrame:
        rows = self._conn.execute(f"SELECT {', '.join(ROUND_COLUMNS)} FROM rounds").fetchall()
        frame = pd.DataFrame(rows, columns=ROUND_COLUMNS)
        frame = frame.set_index("label", drop=False).loc[chronological(frame)]
        return typed(frame.reset_index(drop=True), ROUND_DTYPES)

    @_sqlite_errors
    def round_record(self, label: str) -> RoundRecord | None:
        """The stored record of a round, or None."""
        row = self._conn.execute(
            "SELECT label, date, note, source_file, source_sha256, imported_at FROM rounds"
            " WHERE label = ?",
            (label,),
        ).fetchone()
        return RoundRecord(*row) if row else None

    @_sqlite_errors
    def round_scenes(self, label: str) -> gpd.GeoDataFrame:
        if self.round_record(label) is None:
            known = ", ".join(self.round_labels()) or "none"
            raise NotFoundError(f"no round '{label}' in {self.target} (rounds: {known})")
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

    @_sqlite_errors
    def write_round(
        self,
        record: RoundRecord,
        scenes: gpd.GeoDataFrame,
        replace: bool,
        history: HistoryFunction | None = None,
    ) -> None:
        """Store a round, its scenes and the recomputed history in one transaction."""
        self._check_writable()
        geoms = _to_multi(scenes.geometry.to_numpy())
        blobs = gpkg_blob.encode(geoms, CRS_EPSG)
        data = scenes.reindex(columns=SCENE_COLUMNS)
        data = data.astype(object).where(data.notna(), None)
        data["id_given"] = scenes["id_given"].astype(bool).astype(int).to_numpy()
        data["area_m2"] = shapely.area(geoms)
        conn = self._conn
        with self._write():
            exists = conn.execute(
                "SELECT 1 FROM rounds WHERE label = ?", (record.label,)
            ).fetchone()
            if exists and not replace:
                raise DataError(
                    f"round '{record.label}' exists already in {self.target}; "
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
                    record.imported_at or now(),
                ),
            )
            values = [
                (blob, record.label, *row)
                for blob, row in zip(blobs, data.itertuples(index=False, name=None), strict=True)
            ]
            try:
                conn.executemany(
                    f"INSERT INTO scene_observations (geom, round, {', '.join(SCENE_COLUMNS)})"
                    f" VALUES ({', '.join('?' * (len(SCENE_COLUMNS) + 2))})",
                    values,
                )
            except sqlite3.IntegrityError:
                raise DataError(
                    f"round '{record.label}': scene ids repeat; each scene of a round needs "
                    "its own id"
                ) from None
            self._after_round_change(history)

    @_sqlite_errors
    def delete_round(self, label: str, history: HistoryFunction | None = None) -> None:
        self._check_writable()
        with self._write():
            if self.round_record(label) is None:
                raise NotFoundError(f"no round '{label}' in {self.target}")
            self._delete_round(label)
            self._after_round_change(history)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, holding SQLite's write lock from its first statement."""
        with self._conn:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise database_error(exc, f"the workspace {self.path}") from None
            yield

    def _check_writable(self) -> None:
        """Refuse a write into a read-only workspace before anything is changed."""
        check_writable(self.path, f"the workspace {self.path}")

    def _after_round_change(self, history: HistoryFunction | None) -> None:
        self._refresh_registry()
        if history is not None:
            frames = [(label, self.round_scenes(label)) for label in self.round_labels()]
            self._write_history(history(frames))
        _touch(self._conn, "scene_observations")
        refresh_counts(self._conn)

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
        touch_table(conn, "scenes")

    def _write_history(self, table: pd.DataFrame) -> None:
        cols = list(HISTORY_DTYPES)
        data = typed(table.reindex(columns=cols), HISTORY_DTYPES)
        self._conn.execute("DELETE FROM scene_history")
        self._conn.executemany(
            f"INSERT INTO scene_history ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [tuple(bind_value(v) for v in row) for row in data.itertuples(index=False, name=None)],
        )
        touch_table(self._conn, "scene_history")

    @_sqlite_errors
    def scene_history(self) -> pd.DataFrame:
        cols = list(HISTORY_DTYPES)
        rows = self._conn.execute(
            f"SELECT {', '.join(cols)} FROM scene_history ORDER BY fid"
        ).fetchall()
        if not rows:
            return empty_frame(HISTORY_DTYPES)
        return typed(pd.DataFrame(rows, columns=cols), HISTORY_DTYPES)

    # -- incidents (GeoParquet beside the file) ---------------------------------------
    def write_incidents(self, incidents: pd.DataFrame) -> IncidentWrite:
        # The incidents are the workspace's: a read-only workspace takes none.
        self._check_writable()
        before = self._incidents.count()
        return IncidentWrite(before, self._incidents.write(incidents))

    def write_incident_table(self, incidents: pa.Table) -> IncidentWrite:
        # Arrow straight into the GeoParquet store: no frame of Python strings.
        self._check_writable()
        before = self._incidents.count()
        return IncidentWrite(before, self._incidents.write_table(incidents))

    def read_incident_table(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        return self._incidents.read_table(start, end, columns)

    def read_incidents(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        return self._incidents.read(start, end, columns)

    def count_incidents(self) -> int:
        return self._incidents.count()

    # -- safety survey (a file of its own beside the workspace) -----------------------
    def survey_years(self) -> list[int]:
        return self._survey.years()

    def survey_record(self, year: int) -> SurveyRecord | None:
        return self._survey.record(year)

    def write_survey(self, record: SurveyRecord, respondents: pd.DataFrame, replace: bool) -> None:
        self._survey.write(record, respondents, replace)

    def read_survey(self, year: int) -> pd.DataFrame:
        return self._survey.read(year)


def _open_checked(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """A connection to a drugscenes GeoPackage and its schema version."""
    if not path.is_file():
        raise WorkspaceError(
            f"no workspace at {path}; create one with 'drugscenes init {path} "
            "--municipalities FILE'"
        )
    conn = connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "ds_metadata" not in tables:
            raise WorkspaceError(
                f"{path} is not a drugscenes workspace (no ds_metadata table); "
                "create one with 'drugscenes init'"
            )
        # A damaged file is refused by every command, whichever pages it reads.
        check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if check != "ok":
            raise _damaged(path, " ".join(check.replace("*** in database main ***", "").split()))
        row = conn.execute("SELECT value FROM ds_metadata WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise WorkspaceError(f"{path} is not a GeoPackage workspace ({exc})") from None
        raise database_error(exc, f"the workspace {path}") from None
    except UnicodeDecodeError:
        conn.close()
        raise _damaged(path, "a stored text is not UTF-8") from None
    except WorkspaceError:
        conn.close()
        raise
    return conn, (row[0] if row else None)


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate_workspace` did: versions and the survey years moved."""

    workspace: str
    from_version: str
    to_version: str
    survey_file: str | None
    survey_years: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "workspace": self.workspace,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "survey_file": self.survey_file,
            "survey_years": list(self.survey_years),
        }


def migrate_workspace(path: str | Path) -> MigrationResult:
    """Upgrade a version-1 workspace: survey microdata out of the shared file.

    The survey years move to ``<workspace>.survey.gpkg`` (created readable by its owner
    only), their tables leave the workspace, the file is vacuumed so that no page of the
    microdata remains in it, and the scene history becomes a typed table. A workspace
    of the current version is left as it is.
    """
    path = Path(path)
    conn, version = _open_checked(path)
    if version == str(SCHEMA_VERSION):
        conn.close()
        return MigrationResult(str(path), str(version), str(version), None, ())
    if version != "1":
        conn.close()
        raise WorkspaceError(f"{path} has workspace schema version {version!r}; cannot migrate it")
    try:
        check_writable(path, f"the workspace {path}")
        return _migrate(path, conn)
    except sqlite3.DatabaseError as exc:
        raise database_error(exc, f"the workspace {path}") from None
    finally:
        conn.close()


def _migrate(path: Path, conn: sqlite3.Connection) -> MigrationResult:
    survey = SurveyFile(companion_path(path, ".survey.gpkg"))
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    moved: list[int] = []
    try:
        if "survey_years" in tables:
            years = conn.execute(
                "SELECT year, n_respondents, source_file, source_sha256, imported_at"
                " FROM survey_years ORDER BY year"
            ).fetchall()
            for year, n, source_file, sha, imported_at in years:
                rows = conn.execute(
                    f"SELECT {', '.join(SURVEY_COLUMNS)} FROM survey_respondents WHERE year = ?"
                    " ORDER BY fid",
                    (year,),
                ).fetchall()
                frame = typed(pd.DataFrame(rows, columns=SURVEY_COLUMNS), SURVEY_DTYPES)
                survey.write(SurveyRecord(int(year), n, source_file, sha, imported_at), frame, True)
                moved.append(int(year))
        old_history = (
            pd.read_sql_query("SELECT * FROM scene_history", conn).drop(columns="fid")
            if "scene_history" in tables
            else empty_frame(HISTORY_DTYPES)
        )
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for t in ("survey_respondents", "survey_years", "scene_history"):
                conn.execute(f'DROP TABLE IF EXISTS "{t}"')
                conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (t,))
            conn.execute(_HISTORY_SCHEMA)
            add_attribute_tables(conn, {"scene_history": _TABLES["scene_history"]})
            store = GeoPackageStore(path, conn)
            store._write_history(old_history)
            conn.execute(
                "UPDATE ds_metadata SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION),),
            )
            refresh_counts(conn)
        conn.execute("VACUUM")
    finally:
        conn.close()
    return MigrationResult(
        str(path), "1", str(SCHEMA_VERSION), str(survey.path) if moved else None, tuple(moved)
    )


def _touch(conn: sqlite3.Connection, table: str) -> None:
    """Update a layer's extent and last change in gpkg_contents (from its R-tree)."""
    ext = conn.execute(
        f"SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM rtree_{table}_geom"
    ).fetchone()
    conn.execute(
        "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ?"
        " WHERE table_name = ?",
        (now(), *ext, table),
    )
