"""Survey microdata of a GeoPackage workspace: a GeoPackage file of its own.

Respondents' home locations and answers are personal data. They are kept out of the
shared workspace file (which is handed around for QGIS) in ``<workspace>.survey.gpkg``,
created readable and writable by its owner only (mode 0600), for the survey analyst to
keep. Every other job works without it; a user who lacks it or cannot read it gets a
:class:`~drugscenes.errors.SurveyAccessError` from the survey jobs only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from drugscenes.errors import DataError, NotFoundError, SurveyAccessError
from drugscenes.store.base import SURVEY_COLUMNS, SURVEY_DTYPES, SurveyRecord, bind_value, typed
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

_TABLES = {
    "survey_years": "Safety-survey imports (one per year)",
    "survey_respondents": "Safety-survey microdata: personal data, survey analysts only",
}
_SCHEMA = """
CREATE TABLE survey_years (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, year INTEGER NOT NULL UNIQUE,
  n_respondents INTEGER NOT NULL, source_file TEXT, source_sha256 TEXT, imported_at TEXT NOT NULL);
CREATE TABLE survey_respondents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, year INTEGER NOT NULL,
  respondent_id TEXT NOT NULL, x REAL NOT NULL, y REAL NOT NULL, weight REAL NOT NULL,
  unsafe INTEGER, stratum TEXT, psu TEXT, municipality_code TEXT,
  UNIQUE (year, respondent_id));
"""
_FILE_MODE = 0o600


class SurveyFile:
    """The survey GeoPackage beside a workspace; created on the first write.

    Parameters
    ----------
    path : Path
        ``<workspace>.survey.gpkg``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._checked = False  # quick_check passed once for this object

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A damaged or read-only survey file ends in one SurveyAccessError naming it."""
        what = f"the survey file {self.path}"
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug, not the file: keep the traceback
        except sqlite3.DatabaseError as exc:
            raise SurveyAccessError(str(database_error(exc, what))) from None
        except OSError as exc:
            raise SurveyAccessError(str(os_error(exc, what))) from None

    def _connect(self, create: bool = False) -> sqlite3.Connection | None:
        if self.path.is_symlink():
            raise SurveyAccessError(f"{self.path} is a link; the survey file must be a file")
        if not self.path.exists():
            if not create:
                return None
            with self._errors():
                conn = new_geopackage(self.path, _FILE_MODE)
                try:
                    with conn:
                        conn.executescript(_SCHEMA)
                        add_attribute_tables(conn, _TABLES)
                        refresh_counts(conn)
                except BaseException:
                    conn.close()
                    self.path.unlink(missing_ok=True)
                    raise
            return conn
        conn = None
        try:
            conn = connect(self.path)
            conn.execute("SELECT 1 FROM survey_years LIMIT 1").fetchall()
            if not self._checked:
                check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if check != "ok":
                    conn.close()
                    raise SurveyAccessError(
                        f"the survey file {self.path} is damaged; restore it from a backup"
                    )
                self._checked = True
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_CORRUPT"):
                what = f"the survey file {self.path}"
                raise SurveyAccessError(str(database_error(exc, what))) from None
            raise SurveyAccessError(
                f"the survey file {self.path} cannot be read ({exc}); survey jobs need it, "
                "every other job works without it"
            ) from None
        return conn

    def years(self) -> list[int]:
        conn = self._connect()
        if conn is None:
            return []
        try:
            with self._errors():
                return [r[0] for r in conn.execute("SELECT year FROM survey_years ORDER BY year")]
        finally:
            conn.close()

    def record(self, year: int) -> SurveyRecord | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            with self._errors():
                row = conn.execute(
                    "SELECT year, n_respondents, source_file, source_sha256, imported_at"
                    " FROM survey_years WHERE year = ?",
                    (int(year),),
                ).fetchone()
        finally:
            conn.close()
        return SurveyRecord(*row) if row else None

    def write(self, record: SurveyRecord, respondents: pd.DataFrame, replace: bool) -> None:
        """Store one year's respondents in one transaction (refused if present unless
        ``replace``)."""
        data = typed(respondents.reindex(columns=SURVEY_COLUMNS), SURVEY_DTYPES)
        # NULL unsafe = no usable answer ("vet ej"): kept, since the respondent still
        # belongs to the design (strata and PSUs), and left out of the estimates.
        rows = [
            (int(record.year), *(bind_value(v) for v in row))
            for row in data.astype(object).itertuples(index=False, name=None)
        ]
        check_writable(self.path, f"the survey file {self.path}")
        conn = self._connect(create=True)
        assert conn is not None
        year = int(record.year)
        try:
            with self._errors(), conn:
                conn.execute("BEGIN IMMEDIATE")
                exists = conn.execute(
                    "SELECT 1 FROM survey_years WHERE year = ?", (year,)
                ).fetchone()
                if exists and not replace:
                    raise DataError(
                        f"survey year {year} exists already in {self.path}; "
                        "pass --replace to replace it"
                    )
                conn.execute("DELETE FROM survey_respondents WHERE year = ?", (year,))
                conn.execute("DELETE FROM survey_years WHERE year = ?", (year,))
                conn.execute(
                    "INSERT INTO survey_years (year, n_respondents, source_file, source_sha256,"
                    " imported_at) VALUES (?,?,?,?,?)",
                    (
                        year,
                        len(data),
                        record.source_file,
                        record.source_sha256,
                        record.imported_at or now(),
                    ),
                )
                try:
                    conn.executemany(
                        f"INSERT INTO survey_respondents (year, {', '.join(SURVEY_COLUMNS)})"
                        f" VALUES ({', '.join('?' * (len(SURVEY_COLUMNS) + 1))})",
                        rows,
                    )
                except sqlite3.IntegrityError:
                    raise DataError(f"survey {year}: respondent ids repeat") from None
                touch_table(conn, "survey_respondents")
                refresh_counts(conn)
        finally:
            conn.close()

    def read(self, year: int) -> pd.DataFrame:
        """A year's respondents; NotFoundError for a year that is not stored."""
        conn = self._connect()
        known = self.years()
        if conn is None or int(year) not in known:
            if conn is not None:
                conn.close()
            where = f"{self.path}" if conn is not None else f"{self.path} (no survey imported)"
            raise NotFoundError(
                f"no survey year {year} in {where} (years: {', '.join(map(str, known)) or 'none'})"
            )
        try:
            with self._errors():
                rows = conn.execute(
                    f"SELECT {', '.join(SURVEY_COLUMNS)} FROM survey_respondents WHERE year = ?"
                    " ORDER BY fid",
                    (int(year),),
                ).fetchall()
        finally:
            conn.close()
        return typed(pd.DataFrame(rows, columns=SURVEY_COLUMNS), SURVEY_DTYPES)
