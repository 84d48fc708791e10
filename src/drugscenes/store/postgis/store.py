"""The shared workspace: a PostGIS database (schemas ``drugscenes`` and ``drugscenes_survey``).

Schema
------
``drugscenes`` holds ``ds_metadata`` (key/value: ``schema_version``, ``region_name``,
``created_at``, ``created_by``, ``crs``), ``municipalities`` (MultiPolygon, EPSG:3006),
``rounds``, ``scenes`` (the registry), ``scene_observations`` (MultiPolygon, one row per
scene and round, ``UNIQUE (round, scene_id)``), ``scene_history`` and ``incidents``
(points, partitioned by year with a partition per year made on demand). The survey
microdata live apart in ``drugscenes_survey`` (``survey_years``, ``survey_respondents``),
usable only by members of the role ``drugscenes_survey``; the role ``drugscenes_user``
carries what the application needs in ``drugscenes``. Every geometry has a GiST index,
so QGIS can open every layer directly. The schema is made and upgraded with Alembic
(:mod:`drugscenes.store.postgis.migrate`).

Why psycopg 3 for data and Alembic for the schema
-------------------------------------------------
Data goes through psycopg 3 directly because it is the fastest path: bulk incident and
respondent writes stream with ``COPY ... FROM STDIN (FORMAT BINARY)`` (incidents into a
temporary table, merged year by year; a new year is loaded before its partition's indexes
are built, then attached), incident reads stream ``COPY (SELECT ...) TO STDOUT`` in blocks
into Arrow's CSV reader, and polygons travel as binary WKB
(``ST_GeomFromWKB(%s, 3006)`` in, ``ST_AsBinary(geom)`` out) with no text round trip.
An ORM would add a layer per row for nothing. The schema, on the other hand, evolves
with the package, and Alembic (on SQLAlchemy Core) gives it versioned, transactional
migrations that ship inside the package.

Transactions and concurrency
----------------------------
Every write is one transaction (all or nothing, also when the server dies mid-way).
Round imports and deletions take a transaction-level advisory lock, so concurrent
imports run one after the other and each history callback sees every round stored
before it; incident and survey writes take locks of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg.errors
import pyarrow as pa
import pyarrow.compute as pc
import shapely
import sqlalchemy as sa
from psycopg import sql
from pyarrow import csv as pacsv

from drugscenes import CRS_EPSG, __version__
from drugscenes.errors import (
    DataError,
    NotFoundError,
    SurveyAccessError,
    UsageError,
    WorkspaceError,
)
from drugscenes.store.base import (
    HISTORY_DTYPES,
    INCIDENT_COLUMNS,
    INCIDENT_DTYPES,
    KEPT_METADATA,
    ROUND_COLUMNS,
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
from drugscenes.store.postgis import migrate
from drugscenes.times import to_utc

__all__ = ["SCHEMA", "SURVEY_ROLE", "SURVEY_SCHEMA", "USER_ROLE", "PostGISStore", "redact"]

SCHEMA = "drugscenes"
"""Schema of the shared workspace."""
SURVEY_SCHEMA = "drugscenes_survey"
"""Schema of the survey microdata (personal data)."""
USER_ROLE = "drugscenes_user"
"""Role with the rights the application needs in :data:`SCHEMA`."""
SURVEY_ROLE = "drugscenes_survey"
"""Role whose members may read and write :data:`SURVEY_SCHEMA`."""

# Transaction-level advisory lock keys (advisory locks are per database, and a database
# holds one workspace, so one key per kind of write is one key per workspace).
_LOCK_CREATE = 0x6473_0000_0001
_LOCK_ROUNDS = 0x6473_0000_0002
_LOCK_INCIDENTS = 0x6473_0000_0003
_LOCK_SURVEY = 0x6473_0000_0004

_TS_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # = strftime("%Y-%m-%dT%H:%M:%S.%fZ"), UTC

_SCENE_DTYPES = {c: "object" for c in SCENE_COLUMNS} | {"id_given": "bool", "area_m2": "float64"}
_ROUND_DTYPES = {c: "object" for c in ROUND_COLUMNS} | {"n_scenes": "int64"}
_HISTORY_COPY_TYPES = ["text", "text", "int4", "text", "bool", "text", "float8", "bool"]
_INCIDENT_STAGE = [
    ("incident_id", "text"),
    ("time", "timestamptz"),
    ("source_type", "text"),
    ("category", "text"),
    ("x", "float8"),
    ("y", "float8"),
    ("police_activity", "bool"),
    ("municipality_code", "text"),
    ("year", "int4"),
]
_SURVEY_COPY_TYPES = [
    "int4",
    "int4",
    "text",
    "float8",
    "float8",
    "float8",
    "int2",
    "text",
    "text",
    "text",
]
_INCOMING = "_ds_incoming"
_INSERT_COLUMNS = (
    "incident_id, time, source_type, category, x, y, police_activity, municipality_code, year"
)
# Load a year into a table of its own (then attached as its partition) when it is new,
# or when the rows coming for it are at least this share of the rows it holds and at
# least _BULK_MIN_ROWS (see PostGISStore.write_incidents).
_BULK_SHARE = 0.5
_BULK_MIN_ROWS = 50_000
_READ_BLOCK = 4 << 20
"""Bytes of COPY output Arrow parses at a time when incidents are read."""
_INCIDENT_SELECT = {
    "incident_id": "incident_id",
    "time": "(extract(epoch FROM time) * 1000000)::bigint",
    "source_type": "source_type",
    "category": "category",
    "x": "x",
    "y": "y",
    "police_activity": "police_activity",
    "municipality_code": "municipality_code",
}


def redact(url: str) -> str:
    """``url`` without its password (for messages and :attr:`PostGISStore.target`).

    Examples
    --------
    >>> redact("postgresql://alice:s3cret@db.example:5432/county?sslmode=require")
    'postgresql://alice@db.example:5432/county?sslmode=require'
    >>> redact("postgresql://db/county?password=s3cret&application_name=x")
    'postgresql://db/county?application_name=x'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _reason(exc: BaseException) -> str:
    """The server's or libpq's message on one line, without psycopg's decorations."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc)
    text = re.sub(r"^connection failed:\s*", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def _connect(url: str, target: str) -> psycopg.Connection:
    """A connection for a store, with user-facing errors for everything a user can get wrong."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise WorkspaceError(f"{target} is not a usable PostgreSQL URL ({_reason(exc)})") from None
    extra: dict[str, object] = {"application_name": params.get("application_name", "drugscenes")}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = 10
    try:
        conn = psycopg.connect(url, autocommit=True, **extra)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        reason = _reason(exc)
        if re.search(r'database "[^"]*" does not exist', reason):
            db = params.get("dbname", "?")
            raise WorkspaceError(
                f"there is no database '{db}' on the server of {target} ({reason}); "
                "create it (createdb) and then the workspace ('drugscenes init')"
            ) from None
        if re.search(r"password|authentication|role \"[^\"]*\" does not exist", reason):
            raise WorkspaceError(f"the server of {target} refused the login: {reason}") from None
        raise WorkspaceError(f"cannot reach the PostgreSQL server of {target}: {reason}") from None
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    return conn


def _column(values: pd.Series) -> list[object]:
    """A column as Python values for COPY (missing values as None)."""
    if pd.api.types.is_string_dtype(values) or pd.api.types.is_bool_dtype(values):
        # str and bool values come out of tolist() as Python objects already
        return values.astype(object).where(values.notna(), None).tolist()
    return [bind_value(v) for v in values.astype(object).tolist()]


def _to_multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as MultiPolygons (one geometry type per layer), without Z."""
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    single = shapely.get_type_id(geoms) == 3
    out = np.asarray(geoms, dtype=object).copy()
    if single.any():
        out[single] = [shapely.MultiPolygon([g]) for g in out[single]]
    return out


def _wkb(geoms: np.ndarray) -> list[bytes | None]:
    return [None if g is None else bytes(g) for g in shapely.to_wkb(geoms)]


def _from_wkb(blobs: Sequence[bytes | None]) -> np.ndarray:
    return shapely.from_wkb(np.array([None if b is None else bytes(b) for b in blobs], object))


def _text_array(values: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (missing values as nulls)."""
    if pd.api.types.is_string_dtype(values):
        try:
            return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pa.array(
        [None if (v := bind_value(x)) is None else str(v) for x in values.tolist()],
        type=pa.string(),
    )


_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
_BINARY_FIXED = {"int4": ">i4", "int8": ">i8", "timestamptz": ">i8", "float8": ">f8", "bool": "u1"}


def _fixed_run(fields: list[tuple[str, str]], values: list[np.ndarray], m: int) -> pa.Array:
    """``m`` rows of fixed-width big-endian fields as an Arrow binary array."""
    record = np.empty(m, np.dtype(fields))
    for (name, _), v in zip(fields, values, strict=True):
        record[name] = v
    run = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(record.dtype.itemsize), m, [None, pa.py_buffer(record)]
    )
    return run.cast(pa.binary())


def _binary_copy(columns: list[tuple[str, object]], rows: int = 100_000) -> Iterator[memoryview]:
    """Columns as ``COPY ... FROM STDIN (FORMAT BINARY)`` data, in blocks of ``rows`` rows.

    ``columns`` are (PostgreSQL type, values): ``text`` an Arrow string array,
    ``int4``/``int8``/``float8``/``bool`` NumPy arrays without missing values,
    ``timestamptz`` NumPy microseconds since 1970. The runs of fixed-width fields (with
    the field count and length words) are NumPy records; Arrow joins them and the texts
    row by row into the rows' bytes, with no Python loop over rows.
    """
    n = len(columns[0][1])  # type: ignore[arg-type]
    yield memoryview(b"PGCOPY\n\xff\r\n\x00" + bytes(8))  # signature, flags, extension
    for lo in range(0, n, rows):
        m = min(n, lo + rows) - lo
        parts: list[pa.Array] = []
        fields: list[tuple[str, str]] = [("n", ">i2")]
        values_of: list[np.ndarray] = [np.full(m, len(columns))]

        for k, (kind, values) in enumerate(columns):
            if kind == "text":
                text = values.slice(lo, m)  # type: ignore[attr-defined]
                fields.append((f"l{k}", ">i4"))  # the length, -1 for NULL
                values_of.append(pc.fill_null(pc.binary_length(text), -1).to_numpy())
                parts.append(_fixed_run(fields, values_of, m))
                parts.append(pc.fill_null(text, "").cast(pa.binary()))
                fields, values_of = [], []
            else:
                raw = np.asarray(values[lo : lo + m])  # type: ignore[index]
                if kind == "timestamptz":
                    raw = raw.astype(np.int64) - _PG_EPOCH_US
                dtype = np.dtype(_BINARY_FIXED[kind])
                fields += [(f"l{k}", ">i4"), (f"v{k}", dtype.str)]
                values_of += [np.full(m, dtype.itemsize), raw]
        if fields:
            parts.append(_fixed_run(fields, values_of, m))
        joined = pc.binary_join_element_wise(*parts, b"")
        offsets = np.frombuffer(joined.buffers()[1], np.int32)
        yield memoryview(joined.buffers()[2])[offsets[joined.offset] : offsets[joined.offset + m]]
    yield memoryview(b"\xff\xff")


def _load_partition(cur: psycopg.Cursor, year: int, exists: bool) -> None:
    """Load the staged rows of ``year`` as described in :meth:`PostGISStore.write_incidents`.

    The year's rows go into a new table without indexes (with the rows the partition
    keeps, if it exists), which gets the partition's indexes and a ``CHECK (year = ...)``
    (so attaching it needs no scan) and replaces the partition.
    """
    name = f"incidents_{year}"
    stage = f"_ds_load_{year}" if exists else name
    parent = sql.Identifier(SCHEMA, "incidents")
    table = sql.Identifier(SCHEMA, stage)
    owner = cur.execute(
        "SELECT c.relowner::regrole::text FROM pg_catalog.pg_class c WHERE c.oid = %s::regclass",
        (f"{SCHEMA}.incidents",),
    ).fetchone()[0]  # type: ignore[index]
    cur.execute(
        sql.SQL(
            "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING GENERATED"
            " INCLUDING CONSTRAINTS, CONSTRAINT {} CHECK (year = {}))"
        ).format(table, parent, sql.Identifier(f"{stage}_year"), sql.Literal(year))
    )
    if owner != cur.execute("SELECT current_user::text").fetchone()[0]:  # type: ignore[index]
        cur.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, sql.Identifier(owner)))
    if exists:
        cur.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                table,
                sql.SQL(_INSERT_COLUMNS),
                sql.SQL(_INSERT_COLUMNS),
                sql.Identifier(SCHEMA, name),
            )
        )
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} n WHERE n.year = {}").format(
            table,
            sql.SQL(_INSERT_COLUMNS),
            sql.SQL(_INSERT_COLUMNS),
            sql.SQL(_INCOMING),
            sql.Literal(year),
        )
    )
    # As CREATE TABLE ... PARTITION OF names them; attaching adopts them.
    cur.execute(
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (incident_id, year)").format(
            table, sql.Identifier(f"{stage}_pkey")
        )
    )
    cur.execute(
        sql.SQL("CREATE INDEX {} ON {} (time)").format(sql.Identifier(f"{stage}_time_idx"), table)
    )
    cur.execute(
        sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
            sql.Identifier(f"{stage}_geom_idx"), table
        )
    )
    if exists:
        old = sql.Identifier(SCHEMA, name)
        cur.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(parent, old))
        cur.execute(sql.SQL("DROP TABLE {}").format(old))
        cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(table, sql.Identifier(name)))
        table = old
        cur.execute(
            sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
                table, sql.Identifier(f"{stage}_pkey"), sql.Identifier(f"{name}_pkey")
            )
        )
        for suffix in ("time_idx", "geom_idx"):
            cur.execute(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                    sql.Identifier(SCHEMA, f"{stage}_{suffix}"), sql.Identifier(f"{name}_{suffix}")
                )
            )
    cur.execute(
        sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES IN ({})").format(
            parent, table, sql.Literal(year)
        )
    )
    cur.execute(
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(f"{stage}_year"))
    )


def _row_blocks(copy: Iterable[bytes | memoryview], size: int) -> Iterator[bytearray]:
    """A ``COPY ... TO STDOUT`` stream in blocks of whole rows of at least ``size`` bytes.

    libpq hands COPY data over one row at a time; Arrow parses big blocks many times
    faster than it reads a file-like object fed row by row.
    """
    block = bytearray()
    for row in copy:
        block += row
        if len(block) >= size:
            yield block
            block = bytearray()
    if block:
        yield block


class PostGISStore(Store):
    """A workspace in a PostGIS database. Open it with :func:`drugscenes.store.open_workspace`.

    Parameters
    ----------
    url : str
        ``postgresql://`` URL (libpq's rules: password in the URL, ``~/.pgpass`` or
        ``PGPASSWORD``).
    conn : psycopg.Connection
        An open connection (autocommit; writes open their own transaction).
    """

    backend = "postgis"

    def __init__(self, url: str, conn: psycopg.Connection) -> None:
        self._url = url
        self.target = redact(url)
        self._conn = conn
        self._user = str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]

    # -- creation and opening -------------------------------------------------
    @classmethod
    def create(
        cls,
        url: str,
        municipalities: gpd.GeoDataFrame,
        region_name: str = "",
        overwrite: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> PostGISStore:
        """Create the workspace's schemas in an existing database, in one transaction.

        Runs the Alembic migrations up to the newest revision, then stores the
        municipalities and the metadata. With ``overwrite`` both schemas of an
        existing workspace (incidents and survey microdata included) are dropped first.

        Raises
        ------
        WorkspaceError
            A workspace exists there already (without ``overwrite``), the server cannot
            be reached, or the user lacks a right needed to create it.
        """
        target = redact(url)
        _check_municipalities(municipalities)
        geoms = _to_multi(municipalities.geometry.to_numpy())
        meta = {
            "created_at": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "created_by": f"drugscenes {__version__}",
            "region_name": region_name,
        }
        meta.update({k: str(v) for k, v in (metadata or {}).items() if k in _KEPT_METADATA})
        rows = list(
            zip(
                municipalities["code"].astype(str).tolist(),
                municipalities["name"].astype(str).tolist(),
                [bind_value(a) for a in shapely.area(geoms).tolist()],
                _wkb(geoms),
                strict=True,
            )
        )
        raw = _connect(url, target)
        raw.autocommit = False
        engine = sa.create_engine(
            "postgresql+psycopg://", creator=lambda: raw, poolclass=sa.pool.NullPool
        )
        try:
            with engine.begin() as connection:
                cur = raw.cursor()
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_CREATE,))
                found = [
                    r[0]
                    for r in cur.execute(
                        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)",
                        ([SCHEMA, SURVEY_SCHEMA],),
                    )
                ]
                if found and not overwrite:
                    raise WorkspaceError(
                        f"{target} holds a drugscenes workspace already (schema "
                        f"{', '.join(sorted(found))}); choose another database or pass "
                        "--overwrite to replace it"
                    )
                cur.execute(f"DROP SCHEMA IF EXISTS {SURVEY_SCHEMA} CASCADE")
                cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                migrate.upgrade(connection)
                cur.executemany(
                    f"INSERT INTO {SCHEMA}.ds_metadata (key, value) VALUES (%s, %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    list(meta.items()),
                )
                cur.executemany(
                    f"INSERT INTO {SCHEMA}.municipalities (code, name, area_m2, geom)"
                    f" VALUES (%s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, {CRS_EPSG})))",
                    rows,
                )
        except sa.exc.DBAPIError as exc:
            raise _create_error(exc.orig, target) from None
        except psycopg.Error as exc:
            raise _create_error(exc, target) from None
        finally:
            engine.dispose()
            raw.close()
        return cls.open(url)

    @classmethod
    def open(cls, url: str) -> PostGISStore:
        """Open the workspace in a database, checking its schema version.

        Raises
        ------
        WorkspaceError
            Unreachable server, refused login, missing database, no workspace in it, a
            workspace of another schema version, or no right to read it.
        """
        target = redact(url)
        conn = _connect(url, target)
        try:
            user, exists, usage = conn.execute(
                "SELECT current_user, n.oid IS NOT NULL,"
                " n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE')"
                " FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = %s",
                (SCHEMA,),
            ).fetchone()  # type: ignore[misc]
            if not exists:
                raise WorkspaceError(
                    f"{target} holds no drugscenes workspace (no schema '{SCHEMA}'); create "
                    f"one with 'drugscenes init {target} --municipalities FILE'"
                )
            if not usage:
                raise WorkspaceError(
                    f"{user} may not read the workspace in {target}; ask the database "
                    f"administrator for 'GRANT {USER_ROLE} TO {user}'"
                )
            table = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.ds_metadata",)).fetchone()
            if table is None or table[0] is None:
                raise WorkspaceError(
                    f"{target} has a schema '{SCHEMA}' but no drugscenes workspace in it "
                    "(no ds_metadata table); create one with 'drugscenes init --overwrite'"
                )
            row = conn.execute(
                f"SELECT value FROM {SCHEMA}.ds_metadata WHERE key = 'schema_version'"
            ).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            conn.close()
            raise WorkspaceError(
                f"{user} may not read the workspace in {target}; ask the database "
                f"administrator for 'GRANT {USER_ROLE} TO {user}'"
            ) from None
        except BaseException:
            conn.close()
            raise
        version = row[0] if row else None
        if version != str(SCHEMA_VERSION):
            conn.close()
            raise WorkspaceError(
                f"{target} has workspace schema version {version!r}; this drugscenes "
                f"({__version__}) reads version {SCHEMA_VERSION} only"
            )
        return cls(url, conn)

    def close(self) -> None:
        self._conn.close()

    # -- connection, transactions and errors ----------------------------------------
    def _connection(self) -> psycopg.Connection:
        """The connection, made anew if the old one was lost (e.g. a server restart)."""
        if self._conn.closed or self._conn.broken:
            self._conn.close()
            self._conn = _connect(self._url, self.target)
        return self._conn

    @contextmanager
    def _errors(self, action: str, survey: bool = False) -> Iterator[None]:
        """Turn database errors a user can cause into the package's errors."""
        try:
            yield
        except psycopg.errors.InsufficientPrivilege as exc:
            if survey:
                raise SurveyAccessError(
                    f"the survey microdata in {self.target} (schema {SURVEY_SCHEMA}) can be "
                    f"read and written only by members of the role {SURVEY_ROLE}, and "
                    f"{self._user} is not one ({_reason(exc)}); ask the database "
                    f"administrator for 'GRANT {SURVEY_ROLE} TO {self._user}'. Every other "
                    "job works without it."
                ) from None
            raise WorkspaceError(
                f"{self._user} may not {action} in {self.target} ({_reason(exc)}); ask the "
                f"database administrator for 'GRANT {USER_ROLE} TO {self._user}'"
            ) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if self._conn.closed or self._conn.broken:
                raise WorkspaceError(
                    f"the connection to {self.target} failed while trying to {action} "
                    f"({_reason(exc)}); the server undoes a write it had not committed, "
                    "so run the command again"
                ) from None
            raise WorkspaceError(
                f"the server of {self.target} could not {action}: {_reason(exc)}"
            ) from None
        except (psycopg.IntegrityError, psycopg.DataError) as exc:
            raise DataError(f"cannot {action} in {self.target}: {_reason(exc)}") from None

    @contextmanager
    def _transaction(self, lock: int) -> Iterator[psycopg.Cursor]:
        """One write transaction holding the advisory lock ``lock`` until its end."""
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            yield cur

    # -- region ---------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        with self._errors("read the metadata"):
            rows = self._connection().execute(f"SELECT key, value FROM {SCHEMA}.ds_metadata")
            return {str(k): str(v) for k, v in rows}

    def municipalities(self) -> gpd.GeoDataFrame:
        with self._errors("read the municipalities"):
            rows = (
                self._connection()
                .cursor(binary=True)
                .execute(
                    f"SELECT code, name, ST_AsBinary(geom) FROM {SCHEMA}.municipalities"
                    ' ORDER BY code COLLATE "C"'
                )
                .fetchall()
            )
        return gpd.GeoDataFrame(
            {
                "code": pd.Series([r[0] for r in rows], dtype=object),
                "name": pd.Series([r[1] for r in rows], dtype=object),
            },
            geometry=_from_wkb([r[2] for r in rows]),
            crs=CRS_EPSG,
        )

    # -- rounds and scenes ------------------------------------------------------
    def rounds(self) -> pd.DataFrame:
        with self._errors("read the rounds"):
            rows = self._connection().execute(_ROUNDS_SQL).fetchall()
        frame = typed(pd.DataFrame(rows, columns=ROUND_COLUMNS), _ROUND_DTYPES)
        if frame.empty:
            return empty_frame(_ROUND_DTYPES)
        frame = frame.set_index("label", drop=False).loc[chronological(frame)]
        return frame.reset_index(drop=True)

    def round_record(self, label: str) -> RoundRecord | None:
        """The stored record of a round, or None."""
        with self._errors("read the rounds"):
            row = (
                self._connection()
                .execute(
                    "SELECT label, to_char(date, 'YYYY-MM-DD'), note, source_file,"
                    f" source_sha256, to_char(imported_at AT TIME ZONE 'UTC', '{_TS_FORMAT}')"
                    f" FROM {SCHEMA}.rounds WHERE label = %s",
                    (str(label),),
                )
                .fetchone()
            )
        return RoundRecord(*row) if row else None

    def round_scenes(self, label: str) -> gpd.GeoDataFrame:
        if self.round_record(label) is None:
            known = ", ".join(self.round_labels()) or "none"
            raise NotFoundError(f"no round '{label}' in {self.target} (rounds: {known})")
        with self._errors("read the scenes"):
            return self._read_scenes(self._connection().cursor(binary=True), [str(label)])[
                str(label)
            ]

    def _read_scenes(self, cur: psycopg.Cursor, labels: list[str]) -> dict[str, gpd.GeoDataFrame]:
        """The scenes of several rounds (one query), each sorted by scene id."""
        rows = cur.execute(
            f"SELECT round, {', '.join(SCENE_COLUMNS)}, ST_AsBinary(geom)"
            f" FROM {SCHEMA}.scene_observations WHERE round = ANY(%s)"
            ' ORDER BY round, scene_id COLLATE "C"',
            (labels,),
        ).fetchall()
        by_round: dict[str, list[tuple]] = {label: [] for label in labels}
        for r in rows:
            by_round[r[0]].append(r[1:])
        out = {}
        for label, part in by_round.items():
            frame = pd.DataFrame([r[:-1] for r in part], columns=SCENE_COLUMNS)
            frame = typed(frame, _SCENE_DTYPES) if part else empty_frame(_SCENE_DTYPES)
            out[label] = gpd.GeoDataFrame(
                frame, geometry=_from_wkb([r[-1] for r in part]), crs=CRS_EPSG
            )
        return out

    def write_round(
        self,
        record: RoundRecord,
        scenes: gpd.GeoDataFrame,
        replace: bool,
        history: HistoryFunction | None = None,
    ) -> None:
        """Store a round, its scenes and the recomputed history in one transaction.

        Concurrent imports into the same workspace are serialised by an advisory lock,
        so ``history`` sees every round committed before this one plus this one.
        """
        label = str(record.label)
        for col in ("scene_id", "id_given"):
            if col not in scenes.columns:
                raise DataError(f"the scenes of round '{label}' lack the column '{col}'")
        dup = scenes["scene_id"][scenes["scene_id"].duplicated()]
        if len(dup):
            raise DataError(
                f"scene ids repeat within round '{label}': {', '.join(map(str, dup.unique()[:5]))}"
            )
        geoms = _to_multi(scenes.geometry.to_numpy())
        data = scenes.reindex(columns=SCENE_COLUMNS)
        data["id_given"] = scenes["id_given"].astype(bool).to_numpy()
        data["area_m2"] = shapely.area(geoms)
        values = [
            (label, *(bind_value(v) for v in row), blob)
            for row, blob in zip(
                data.astype(object).itertuples(index=False, name=None), _wkb(geoms), strict=True
            )
        ]
        with self._errors(f"store round '{label}'"), self._transaction(_LOCK_ROUNDS) as cur:
            exists = cur.execute(
                f"SELECT 1 FROM {SCHEMA}.rounds WHERE label = %s", (label,)
            ).fetchone()
            if exists and not replace:
                raise DataError(
                    f"round '{label}' exists already in {self.target}; pass --replace to replace it"
                )
            cur.execute(f"DELETE FROM {SCHEMA}.rounds WHERE label = %s", (label,))  # cascades
            cur.execute(
                f"INSERT INTO {SCHEMA}.rounds (label, date, note, n_scenes, source_file,"
                " source_sha256, imported_at)"
                " VALUES (%s, %s::date, %s, %s, %s, %s, COALESCE(%s::timestamptz, now()))",
                (
                    label,
                    record.date,
                    record.note,
                    len(scenes),
                    record.source_file or "",
                    record.source_sha256 or "",
                    record.imported_at,
                ),
            )
            cur.executemany(
                f"INSERT INTO {SCHEMA}.scene_observations (round, {', '.join(SCENE_COLUMNS)},"
                f" geom) VALUES (%s, {', '.join(['%s'] * len(SCENE_COLUMNS))},"
                f" ST_Multi(ST_GeomFromWKB(%s, {CRS_EPSG})))",
                values,
            )
            self._after_round_change(cur, history)

    def delete_round(self, label: str, history: HistoryFunction | None = None) -> None:
        label = str(label)
        with self._errors(f"delete round '{label}'"), self._transaction(_LOCK_ROUNDS) as cur:
            gone = cur.execute(f"DELETE FROM {SCHEMA}.rounds WHERE label = %s", (label,))
            if gone.rowcount == 0:
                raise NotFoundError(f"no round '{label}' in {self.target}")
            self._after_round_change(cur, history)

    def _after_round_change(self, cur: psycopg.Cursor, history: HistoryFunction | None) -> None:
        """Rebuild the registry and, given ``history``, the stored scene history."""
        cur.execute(f"DELETE FROM {SCHEMA}.scenes")
        cur.execute(_REGISTRY_SQL)
        if history is None:
            return
        rows = cur.execute(f"SELECT label, to_char(date, 'YYYY-MM-DD') FROM {SCHEMA}.rounds")
        labels = chronological(pd.DataFrame(rows.fetchall(), columns=["label", "date"]))
        scenes = self._read_scenes(self._conn.cursor(binary=True), labels)
        table = history([(label, scenes[label]) for label in labels])
        self._write_history(cur, table)

    def _write_history(self, cur: psycopg.Cursor, table: pd.DataFrame) -> None:
        cols = list(HISTORY_DTYPES)
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise DataError(f"the scene history lacks the columns {missing}")
        data = typed(table[cols], HISTORY_DTYPES)
        cur.execute(f"DELETE FROM {SCHEMA}.scene_history")
        columns = [_column(data[c]) for c in cols]
        with cur.copy(
            f"COPY {SCHEMA}.scene_history ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_HISTORY_COPY_TYPES)
            for row in zip(*columns, strict=True):
                copy.write_row(row)

    def scene_history(self) -> pd.DataFrame:
        cols = list(HISTORY_DTYPES)
        with self._errors("read the scene history"):
            rows = (
                self._connection()
                .execute(f"SELECT {', '.join(cols)} FROM {SCHEMA}.scene_history ORDER BY fid")
                .fetchall()
            )
        if not rows:
            return empty_frame(HISTORY_DTYPES)
        return typed(pd.DataFrame(rows, columns=cols), HISTORY_DTYPES)

    # -- incidents ----------------------------------------------------------------
    def write_incidents(self, incidents: pd.DataFrame) -> IncidentWrite:
        """Store incidents by id, all or nothing (see :meth:`Store.write_incidents`).

        The rows are streamed with binary COPY (made with NumPy) into a temporary table;
        stored rows with the same ids (in any year) that differ are deleted and the new
        ones inserted, so importing the same rows again changes nothing. Times are kept to
        the microsecond.

        A year whose partition is new, or that gets many rows for its size, is loaded
        into a table of its own without indexes, which then gets its indexes built in
        one go and is attached as the year's partition (replacing the old one), all in
        the same transaction: updating three indexes row by row costs many times more.
        This needs the rights of the owner of the incidents table; other users' rows go
        into the partitions directly.
        """
        missing = [c for c in INCIDENT_COLUMNS if c not in incidents.columns]
        if missing:
            raise DataError(f"the incidents to store lack the columns {missing}")
        ids = incidents["incident_id"]
        if ids.isna().any():
            raise DataError("some incidents to store have no incident_id")
        dup = ids[ids.duplicated()]
        if len(dup):
            raise DataError(
                f"incident ids repeat within the rows to write ({len(dup)} repeats, e.g. "
                f"{', '.join(map(str, dup.unique()[:3]))}); nothing was written"
            )
        try:
            times = pd.to_datetime(incidents["time"], utc=True)
        except (ValueError, TypeError) as exc:
            raise DataError(f"incident times cannot be read: {exc}") from None
        if times.isna().any():
            raise DataError("some incidents to store have no time")
        micros = (times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
        year_of_row = times.dt.year.to_numpy(dtype="int32")
        stage = {
            "incident_id": _text_array(ids.astype(str)),
            "time": micros.to_numpy(dtype="int64"),
            "source_type": _text_array(incidents["source_type"]),
            "category": _text_array(incidents["category"]),
            "x": incidents["x"].to_numpy(dtype="float64"),
            "y": incidents["y"].to_numpy(dtype="float64"),
            "police_activity": incidents["police_activity"].to_numpy(dtype=bool),
            "municipality_code": _text_array(incidents["municipality_code"]),
            "year": year_of_row,
        }
        with self._errors("store incidents"), self._transaction(_LOCK_INCIDENTS) as cur:
            before = int(cur.execute(f"SELECT count(*) FROM {SCHEMA}.incidents").fetchone()[0])  # type: ignore[index]
            if not len(incidents):
                return IncidentWrite(before, before)
            if cur.connection.info.encoding != "utf-8":  # the text goes as UTF-8
                cur.execute("SET LOCAL client_encoding TO 'UTF8'")
            cur.execute(
                "CREATE TEMP TABLE _ds_incoming ("
                + ", ".join(f"{c} {t}" for c, t in _INCIDENT_STAGE)
                + ") ON COMMIT DROP"
            )
            with cur.copy(
                f"COPY _ds_incoming ({', '.join(c for c, _ in _INCIDENT_STAGE)})"
                " FROM STDIN (FORMAT BINARY)"
            ) as copy:
                for block in _binary_copy([(t, stage[c]) for c, t in _INCIDENT_STAGE]):
                    copy.write(block)
            cur.execute("ANALYZE _ds_incoming")
            deleted = cur.execute(
                f"DELETE FROM {SCHEMA}.incidents i USING {_INCOMING} n"
                " WHERE i.incident_id = n.incident_id AND"
                " (i.time, i.source_type, i.category, i.x, i.y, i.police_activity,"
                "  i.municipality_code) IS DISTINCT FROM"
                " (n.time, n.source_type, n.category, n.x, n.y, n.police_activity,"
                "  n.municipality_code)"
            ).rowcount
            # What is left staged is what to insert (the rest is stored identically).
            cur.execute(
                f"DELETE FROM {_INCOMING} n USING {SCHEMA}.incidents i"
                " WHERE i.incident_id = n.incident_id"
            )
            new = dict(
                cur.execute(f"SELECT year, count(*) FROM {_INCOMING} GROUP BY year ORDER BY year")
            )
            bulk = self._bulk_years(cur, new)
            if bulk:  # index builds sort in memory up to this much (256 MiB, this write only)
                cur.execute(
                    "SELECT set_config('maintenance_work_mem',"
                    " greatest(setting::bigint, 262144)::text || 'kB', true)"
                    " FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem'"
                )
            for year in new:
                if year in bulk:
                    _load_partition(cur, year, bulk[year])
                    continue
                cur.execute(f"SELECT {SCHEMA}.incident_partition(%s)", (year,))
                cur.execute(
                    f"INSERT INTO {SCHEMA}.incidents ({_INSERT_COLUMNS})"
                    f" SELECT {_INSERT_COLUMNS} FROM {_INCOMING} n WHERE n.year = %s",
                    (year,),
                )
            inserted = sum(new.values())
        return IncidentWrite(before, before - deleted + inserted)

    def _bulk_years(self, cur: psycopg.Cursor, incoming: dict[int, int]) -> dict[int, bool]:
        """The years to load as a table of their own: {year: whether its partition exists}.

        A new partition always (if the user may), an existing one when the rows coming
        for it are at least :data:`_BULK_SHARE` of the rows it holds (rebuilding its
        indexes then costs less than updating them row by row).
        """
        may = cur.execute(
            "SELECT pg_has_role(c.relowner, 'USAGE') AND has_schema_privilege(%s, 'CREATE')"
            " FROM pg_catalog.pg_class c WHERE c.oid = %s::regclass",
            (SCHEMA, f"{SCHEMA}.incidents"),
        ).fetchone()
        if not may or not may[0]:
            return {}
        held = {
            int(year): (bool(own), float(tuples))
            for year, own, tuples in cur.execute(
                "SELECT substr(c.relname, 11)::integer, pg_has_role(c.relowner, 'USAGE'),"
                " c.reltuples FROM pg_catalog.pg_inherits i"
                " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = %s::regclass AND c.relname ~ '^incidents_[0-9]{4}$'",
                (f"{SCHEMA}.incidents",),
            )
        }
        out: dict[int, bool] = {}
        for year, n in incoming.items():
            if year not in held:
                if 1000 <= year <= 9999:
                    out[year] = False
                continue
            own, tuples = held[year]
            if not own or n < _BULK_MIN_ROWS:
                continue
            if tuples < 0:  # never analysed: count
                tuples = cur.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(
                        sql.Identifier(SCHEMA, f"incidents_{year}")
                    )
                ).fetchone()[0]  # type: ignore[index]
            if n >= _BULK_SHARE * tuples:
                out[year] = True
        return out

    def read_incidents(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Incidents with ``start <= time < end`` (naive bounds are taken as UTC).

        Filters on ``time`` and on the partition key ``year`` with constants, so the
        planner reads only the years of the period; rows stream out with COPY into
        Arrow's CSV reader.
        """
        cols = list(columns or INCIDENT_COLUMNS)
        unknown = [c for c in cols if c not in INCIDENT_DTYPES]
        if unknown:
            raise UsageError(f"unknown incident columns {unknown}; known: {INCIDENT_COLUMNS}")
        where: list[sql.Composable] = []
        # Stored times are whole microseconds, so a bound rounded up to one selects the
        # same rows (and binds without losing nanoseconds silently).
        if start is not None:
            s = to_utc(start).ceil("us")
            where += [
                sql.SQL("time >= {}").format(sql.Literal(s.to_pydatetime())),
                sql.SQL("year >= {}").format(sql.Literal(int(s.year))),
            ]
        if end is not None:
            e = to_utc(end).ceil("us")
            last = (e - pd.Timedelta(microseconds=1)).year
            where += [
                sql.SQL("time < {}").format(sql.Literal(e.to_pydatetime())),
                sql.SQL("year <= {}").format(sql.Literal(int(last))),
            ]
        query = sql.SQL("COPY (SELECT {cols} FROM {table}{where}) TO STDOUT (FORMAT csv)").format(
            cols=sql.SQL(", ").join(sql.SQL(_INCIDENT_SELECT[c]) for c in cols),
            table=sql.SQL(f"{SCHEMA}.incidents"),
            where=sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        )
        types = {
            "incident_id": "string",
            "time": "int64",
            "source_type": "string",
            "category": "string",
            "x": "float64",
            "y": "float64",
            "police_activity": "bool",
            "municipality_code": "string",
        }
        with self._errors("read incidents"), self._connection().cursor() as cur:
            options = {
                "read_options": pacsv.ReadOptions(column_names=cols),
                "parse_options": pacsv.ParseOptions(newlines_in_values=True),
                "convert_options": pacsv.ConvertOptions(
                    column_types={c: types[c] for c in cols},
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    true_values=["t"],
                    false_values=["f"],
                ),
            }
            # Each block is parsed in another thread (Arrow lets go of the GIL) while
            # this one reads the next.
            with cur.copy(query) as copy, ThreadPoolExecutor(1) as pool:
                parts = [
                    pool.submit(pacsv.read_csv, pa.BufferReader(block), **options)
                    for block in _row_blocks(copy, _READ_BLOCK)
                ]
                tables = [part.result() for part in parts]
            if not tables:
                return empty_frame(INCIDENT_DTYPES, cols)
            table = pa.concat_tables(tables)
        frame = table.to_pandas()
        if "time" in frame.columns:
            frame["time"] = pd.to_datetime(frame["time"].to_numpy(), unit="us", utc=True)
        return typed(frame, INCIDENT_DTYPES)

    def count_incidents(self) -> int:
        with self._errors("count incidents"):
            row = self._connection().execute(f"SELECT count(*) FROM {SCHEMA}.incidents")
            return int(row.fetchone()[0])  # type: ignore[index]

    # -- safety survey (schema drugscenes_survey) ------------------------------------
    def survey_years(self) -> list[int]:
        with self._errors("read the survey", survey=True):
            rows = self._connection().execute(
                f"SELECT year FROM {SURVEY_SCHEMA}.survey_years ORDER BY year"
            )
            return [int(r[0]) for r in rows]

    def survey_record(self, year: int) -> SurveyRecord | None:
        with self._errors("read the survey", survey=True):
            row = (
                self._connection()
                .execute(
                    "SELECT year, n_respondents, source_file, source_sha256,"
                    f" to_char(imported_at AT TIME ZONE 'UTC', '{_TS_FORMAT}')"
                    f" FROM {SURVEY_SCHEMA}.survey_years WHERE year = %s",
                    (int(year),),
                )
                .fetchone()
            )
        return SurveyRecord(*row) if row else None

    def write_survey(self, record: SurveyRecord, respondents: pd.DataFrame, replace: bool) -> None:
        """Store a survey year's respondents in one transaction (binary COPY)."""
        year = int(record.year)
        missing = [c for c in SURVEY_COLUMNS if c not in respondents.columns]
        if missing:
            raise DataError(f"the survey respondents of {year} lack the columns {missing}")
        dup = respondents["respondent_id"][respondents["respondent_id"].duplicated()]
        if len(dup):
            raise DataError(
                f"respondent ids repeat within survey year {year}: "
                f"{', '.join(map(str, dup.unique()[:5]))}"
            )
        try:
            data = typed(respondents[SURVEY_COLUMNS], SURVEY_DTYPES)
        except (ValueError, TypeError) as exc:
            raise DataError(f"the survey respondents of {year} cannot be stored: {exc}") from None
        columns = [[year] * len(data), list(range(len(data)))] + [
            _column(data[c]) for c in SURVEY_COLUMNS
        ]
        with self._errors(f"store survey year {year}", survey=True):
            with self._transaction(_LOCK_SURVEY) as cur:
                exists = cur.execute(
                    f"SELECT 1 FROM {SURVEY_SCHEMA}.survey_years WHERE year = %s", (year,)
                ).fetchone()
                if exists and not replace:
                    raise DataError(
                        f"survey year {year} exists already in {self.target}; "
                        "pass --replace to replace it"
                    )
                cur.execute(f"DELETE FROM {SURVEY_SCHEMA}.survey_years WHERE year = %s", (year,))
                cur.execute(
                    f"INSERT INTO {SURVEY_SCHEMA}.survey_years (year, n_respondents,"
                    " source_file, source_sha256, imported_at)"
                    " VALUES (%s, %s, %s, %s, COALESCE(%s::timestamptz, now()))",
                    (
                        year,
                        len(data),
                        record.source_file or "",
                        record.source_sha256 or "",
                        record.imported_at,
                    ),
                )
                with cur.copy(
                    f"COPY {SURVEY_SCHEMA}.survey_respondents (year, row_no,"
                    f" {', '.join(SURVEY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_SURVEY_COPY_TYPES)
                    for row in zip(*columns, strict=True):
                        copy.write_row(row)

    def read_survey(self, year: int) -> pd.DataFrame:
        """A year's respondents in the order they were stored; NotFoundError if absent."""
        with self._errors("read the survey", survey=True):
            known = self.survey_years()
            if int(year) not in known:
                raise NotFoundError(
                    f"no survey year {year} in {self.target} "
                    f"(years: {', '.join(map(str, known)) or 'none'})"
                )
            rows = (
                self._connection()
                .execute(
                    f"SELECT {', '.join(SURVEY_COLUMNS)} FROM {SURVEY_SCHEMA}.survey_respondents"
                    " WHERE year = %s ORDER BY row_no",
                    (int(year),),
                )
                .fetchall()
            )
        if not rows:
            return empty_frame(SURVEY_DTYPES)
        frame = pd.DataFrame(rows, columns=SURVEY_COLUMNS)
        frame["unsafe"] = pd.array(
            [None if pd.isna(v) else int(v) for v in frame["unsafe"]], dtype="Int8"
        )
        return typed(frame, SURVEY_DTYPES)


_KEPT_METADATA = KEPT_METADATA
"""Metadata a caller may give at creation (a copy keeps the original's)."""

_ROUNDS_SQL = (
    "SELECT label, to_char(date, 'YYYY-MM-DD'), note, n_scenes, source_file, source_sha256,"
    f" to_char(imported_at AT TIME ZONE 'UTC', '{_TS_FORMAT}') FROM {SCHEMA}.rounds"
)

# The registry: one row per scene id, with the latest name and municipality, and the
# first and last rounds it was seen in (rounds ordered as chronological() orders them).
_REGISTRY_SQL = f"""
WITH ordered AS (
    SELECT o.scene_id, o.name, o.municipality_code, o.round,
           ROW_NUMBER() OVER (PARTITION BY o.scene_id ORDER BY
               COALESCE(to_char(r.date, 'YYYY-MM-DD'), r.label) COLLATE "C",
               r.label COLLATE "C") AS k_first,
           ROW_NUMBER() OVER (PARTITION BY o.scene_id ORDER BY
               COALESCE(to_char(r.date, 'YYYY-MM-DD'), r.label) COLLATE "C" DESC,
               r.label COLLATE "C" DESC) AS k_last,
           COUNT(*) OVER (PARTITION BY o.scene_id) AS n
    FROM {SCHEMA}.scene_observations o JOIN {SCHEMA}.rounds r ON r.label = o.round)
INSERT INTO {SCHEMA}.scenes (scene_id, name, municipality_code, first_round, last_round,
                             n_rounds)
SELECT l.scene_id, l.name, l.municipality_code, f.round, l.round, l.n
FROM ordered l JOIN ordered f ON f.scene_id = l.scene_id AND f.k_first = 1
WHERE l.k_last = 1
"""


def _check_municipalities(municipalities: gpd.GeoDataFrame) -> None:
    missing = [c for c in ("code", "name") if c not in municipalities.columns]
    if missing:
        raise DataError(f"the municipalities lack the columns {missing}")
    crs = municipalities.crs
    if crs is not None and crs.to_epsg() != CRS_EPSG:
        raise DataError(f"the municipalities must be in EPSG:{CRS_EPSG}, not {crs.to_string()}")
    dup = municipalities["code"][municipalities["code"].astype(str).duplicated()]
    if len(dup):
        raise DataError(f"municipality codes repeat: {', '.join(map(str, dup.unique()))}")


def _create_error(exc: BaseException | None, target: str) -> WorkspaceError | DataError:
    """A database error while creating a workspace, as a message for a person."""
    reason = _reason(exc) if exc is not None else "unknown error"
    if isinstance(exc, psycopg.errors.UndefinedFile) or "postgis" in reason.lower():
        return WorkspaceError(
            f"cannot create the workspace in {target}: {reason}. The database needs the "
            "PostGIS extension (installed on the server, then 'CREATE EXTENSION postgis' "
            "by an administrator)"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return WorkspaceError(
            f"cannot create the workspace in {target}: {reason}. Creating one needs the "
            f"right to create schemas in the database and either the roles {USER_ROLE} and "
            f"{SURVEY_ROLE} made beforehand or the right to create roles (CREATEROLE)"
        )
    if isinstance(exc, psycopg.IntegrityError | psycopg.DataError):
        return DataError(f"cannot create the workspace in {target}: {reason}")
    return WorkspaceError(f"cannot create the workspace in {target}: {reason}")
