"""The storage contract: what every workspace store offers (GeoPackage, PostGIS).

A workspace holds one region (its municipalities), its mapping rounds, the scenes of
each round, the derived scene history, the incidents and, kept apart because they are
personal data, the safety-survey microdata. Nothing outside ``drugscenes.store`` knows
a path, a SQL statement or a file layout: every job reads and writes through a
:class:`Store`, and :func:`drugscenes.store.open_workspace` picks the backend from the
target (a GeoPackage path or a ``postgresql://`` URL).

Frames going in and out follow the conventions below, with geometry in EPSG:3006 and
Python/pandas types (never a backend's own: booleans are ``bool``, counts ``int``).

Column conventions
------------------
municipalities : GeoDataFrame
    ``code`` (str, 4 digits), ``name`` (str), ``geometry`` (MultiPolygon).
rounds : DataFrame
    :data:`ROUND_COLUMNS`: ``label`` (str), ``date`` (ISO day str or None), ``note``
    (str or None), ``n_scenes`` (int), ``source_file`` (str), ``source_sha256`` (str),
    ``imported_at`` (ISO timestamp str, UTC).
scenes of a round : GeoDataFrame
    :data:`SCENE_COLUMNS` plus ``geometry`` (MultiPolygon), sorted by ``scene_id``.
scene history : DataFrame
    :data:`HISTORY_DTYPES` (see :func:`drugscenes.analysis.history.scene_history`).
incidents : DataFrame
    :data:`INCIDENT_DTYPES`; ``time`` is timezone-aware UTC.
survey respondents : DataFrame
    :data:`SURVEY_DTYPES`; ``unsafe`` is 1, 0 or missing (no usable answer).
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

SCHEMA_VERSION = 2
"""Version of the workspace schema this drugscenes reads and writes.

Version 2 keeps the survey microdata out of the shared workspace (a file or schema of
its own); version 1 workspaces are upgraded by ``drugscenes migrate``.
"""

SCENE_COLUMNS = [
    "scene_id",
    "id_given",
    "name",
    "municipality_code",
    "area_m2",
    "activities",
    "drug_types",
    "times_of_day",
    "source_org",
    "note",
    "attributes",
]
"""Non-geometry columns of a round's scenes, in order."""

ATTRIBUTE_COLUMNS = ["activities", "drug_types", "times_of_day", "source_org", "note"]
"""Descriptive columns of a scene observation."""

ROUND_DTYPES: dict[str, str] = {
    "label": "object",
    "date": "object",
    "note": "object",
    "n_scenes": "int64",
    "source_file": "object",
    "source_sha256": "object",
    "imported_at": "object",
}
"""Columns of :meth:`Store.rounds` and their dtypes, in order."""

ROUND_COLUMNS = list(ROUND_DTYPES)

KEPT_METADATA = ("created_at", "created_by", "synthetic")
"""Metadata a new workspace takes over from ``create_workspace(metadata=...)`` (and a copy
from its source): creation facts, and ``synthetic`` (``"yes"``: invented data, such as
the demo; the report then says so on its first page)."""

HISTORY_DTYPES: dict[str, str] = {
    "place_id": "object",
    "round": "object",
    "round_index": "int64",
    "scene_id": "object",
    "id_given": "bool",
    "municipality_code": "object",
    "area_m2": "float64",
    "came_back": "bool",
}
"""Columns and dtypes of the stored scene history, in order."""

INCIDENT_DTYPES: dict[str, str] = {
    "incident_id": "object",
    "time": "datetime64[ns, UTC]",
    "source_type": "object",
    "category": "object",
    "x": "float64",
    "y": "float64",
    "police_activity": "bool",
    "municipality_code": "object",
}
"""Stored incident columns and their dtypes, in order (points in EPSG:3006 as x/y)."""

INCIDENT_COLUMNS = list(INCIDENT_DTYPES)

INCIDENT_CODED = ("source_type", "category", "municipality_code")
"""Incident text columns of few distinct values: dictionary-encoded in Arrow tables."""

_INCIDENT_ARROW = {
    "incident_id": pa.string(),
    "time": pa.timestamp("ns", tz="UTC"),
    "source_type": pa.dictionary(pa.int32(), pa.string()),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "x": pa.float64(),
    "y": pa.float64(),
    "police_activity": pa.bool_(),
    "municipality_code": pa.dictionary(pa.int32(), pa.string()),
}

SURVEY_DTYPES: dict[str, str] = {
    "respondent_id": "object",
    "x": "float64",
    "y": "float64",
    "weight": "float64",
    "unsafe": "Int8",
    "stratum": "object",
    "psu": "object",
    "municipality_code": "object",
}
"""Stored survey respondent columns and their dtypes, in order."""

SURVEY_COLUMNS = list(SURVEY_DTYPES)

HistoryFunction = Callable[[Sequence[tuple[str, gpd.GeoDataFrame]]], pd.DataFrame]
"""Computes the scene history from all rounds in chronological order."""


@dataclass(frozen=True)
class RoundRecord:
    """A mapping round as stored.

    Attributes
    ----------
    label : str
        The round's name, usually its year ("2023").
    date : str or None
        ISO date of the mapping (YYYY-MM-DD), if known.
    note : str or None
        Free text.
    source_file : str
        File the scenes were imported from (base name).
    source_sha256 : str
        SHA-256 of that file's bytes plus the import options; an identical
        re-import is recognised by it and changes nothing.
    imported_at : str or None
        When it was stored (ISO, UTC); None when writing means "now" (a copy between
        stores keeps the original time).
    """

    label: str
    date: str | None = None
    note: str | None = None
    source_file: str = ""
    source_sha256: str = ""
    imported_at: str | None = None


@dataclass(frozen=True)
class SurveyRecord:
    """A stored survey year.

    Attributes
    ----------
    year : int
    n_respondents : int
    source_file, source_sha256 : str
        The imported file and its fingerprint (an identical re-import changes nothing).
    imported_at : str or None
        ISO timestamp (UTC); None when writing means "now".
    """

    year: int
    n_respondents: int = 0
    source_file: str = ""
    source_sha256: str = ""
    imported_at: str | None = None


@dataclass(frozen=True)
class IncidentWrite:
    """What an incident write did: stored rows before and after (re-imported ids replace)."""

    stored_before: int
    stored_after: int


def bind_value(value: object) -> object:
    """A value a database driver can bind: NumPy scalars to Python, containers to JSON,
    NaN/NA/NaT to NULL.

    Examples
    --------
    >>> import numpy as np
    >>> bind_value(np.int64(3)), bind_value(float("nan")), bind_value(["a"]), bind_value(pd.NA)
    (3, None, '["a"]', None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def empty_frame(dtypes: dict[str, str], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """An empty frame with the given columns and dtypes."""
    cols = list(columns or dtypes)
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in cols})


def typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the contract's dtypes for the columns it has (backend types out)."""
    out = frame.copy()
    for c in out.columns:
        if c not in dtypes:
            continue
        want = dtypes[c]
        if want == "object":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
        elif want.startswith("datetime64"):
            out[c] = pd.to_datetime(out[c], utc=True).astype(want)
        elif want == "bool":
            out[c] = out[c].astype(bool)
        else:
            out[c] = out[c].astype(want)
    return out


def empty_incident_table(columns: Sequence[str] | None = None) -> pa.Table:
    """An empty incident table (the Arrow types of :func:`incident_table`)."""
    cols = list(columns or INCIDENT_COLUMNS)
    return pa.table({c: pa.array([], _INCIDENT_ARROW[c]) for c in cols})


def incident_table(frame: pd.DataFrame) -> pa.Table:
    """Incidents of the contract's frame as an Arrow table: ``time`` in UTC nanoseconds,
    the text columns of :data:`INCIDENT_CODED` dictionary-encoded (missing text stays
    missing)."""
    arrays = {}
    for c in frame.columns:
        col = frame[c]
        if c == "time":
            arr = pa.array(pd.to_datetime(col, utc=True)).cast(_INCIDENT_ARROW["time"])
        elif c in INCIDENT_CODED:
            values = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
            arr = pa.array(values, pa.string()).dictionary_encode()
        elif c in _INCIDENT_ARROW and _INCIDENT_ARROW[c] == pa.string():
            arr = pa.array(col.astype(object).where(col.notna(), None), pa.string())
        else:
            arr = pa.array(col.to_numpy(), _INCIDENT_ARROW.get(c))
        arrays[c] = arr
    return pa.table(arrays) if arrays else pa.table({})


def incident_frame(table: pa.Table) -> pd.DataFrame:
    """An incident table as the contract's frame (:data:`INCIDENT_DTYPES`: text as Python
    strings, ``time`` timezone-aware UTC)."""
    data: dict[str, object] = {}
    for c in table.column_names:
        col = table[c]
        if c == "time":
            ns = col.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
            data[c] = pd.to_datetime(ns, utc=True)
        elif pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            text = col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col
            data[c] = np.asarray(text.to_pylist(), dtype=object)
        else:
            data[c] = col.to_numpy()
    return pd.DataFrame(data)


def chronological(rounds: pd.DataFrame) -> list[str]:
    """Round labels ordered by date (a round without one by its label), then label.

    Examples
    --------
    >>> chronological(pd.DataFrame({"label": ["b", "2023", "a"],
    ...                              "date": [None, "2023-10-01", "2021-05-01"]}))
    ['a', '2023', 'b']
    """
    key = rounds["date"].where(rounds["date"].notna(), rounds["label"])
    order = pd.DataFrame({"key": key, "label": rounds["label"]}).sort_values(
        ["key", "label"], kind="stable"
    )
    return [str(v) for v in order["label"]]


class Store(ABC):
    """A drugscenes workspace. Use as a context manager; every write is one transaction.

    Attributes
    ----------
    target : str
        Where the workspace is, for messages: a file path or a URL without password.
    backend : str
        ``"geopackage"`` or ``"postgis"``.
    """

    target: str
    backend: str

    # -- region -------------------------------------------------------------
    @abstractmethod
    def municipalities(self) -> gpd.GeoDataFrame:
        """The region's municipalities (``code``, ``name``, ``geometry``), sorted by code."""

    @abstractmethod
    def metadata(self) -> dict[str, str]:
        """Key/value metadata: ``schema_version``, ``region_name``, ``created_at``,
        ``synthetic`` (see :data:`KEPT_METADATA`), ..."""

    # -- rounds and scenes ---------------------------------------------------
    @abstractmethod
    def rounds(self) -> pd.DataFrame:
        """All rounds (:data:`ROUND_COLUMNS`) in chronological order (:func:`chronological`)."""

    @abstractmethod
    def round_record(self, label: str) -> RoundRecord | None:
        """The stored record of a round, or None if there is no such round."""

    @abstractmethod
    def round_scenes(self, label: str) -> gpd.GeoDataFrame:
        """The scenes of one round; raises NotFoundError for an unknown round."""

    @abstractmethod
    def write_round(
        self,
        record: RoundRecord,
        scenes: gpd.GeoDataFrame,
        replace: bool,
        history: HistoryFunction | None = None,
    ) -> None:
        """Store a round and its scenes in one transaction, all or nothing.

        Parameters
        ----------
        record : RoundRecord
        scenes : GeoDataFrame
            :data:`SCENE_COLUMNS` and polygon geometry (EPSG:3006).
        replace : bool
            Replace a round of that label; otherwise an existing one is a DataError.
        history : callable, optional
            Called inside the transaction, with every round's scenes in chronological
            order once this round is in, to recompute the stored scene history. Imports
            running at the same time are serialised, so each history sees every round.
        """

    @abstractmethod
    def delete_round(self, label: str, history: HistoryFunction | None = None) -> None:
        """Remove a round and its scene observations (NotFoundError if there is none)."""

    @abstractmethod
    def scene_history(self) -> pd.DataFrame:
        """The stored scene history (:data:`HISTORY_DTYPES`); empty if never computed."""

    def round_labels(self) -> list[str]:
        """Round labels in chronological order."""
        return [str(v) for v in self.rounds()["label"]]

    # -- incidents ----------------------------------------------------------------
    @abstractmethod
    def write_incidents(self, incidents: pd.DataFrame) -> IncidentWrite:
        """Store incidents (:data:`INCIDENT_COLUMNS`) all or nothing; a stored id is replaced.

        Ids must be unique within ``incidents`` (a DataError otherwise). Importing the
        same rows again changes nothing.
        """

    def write_incident_table(self, incidents: pa.Table) -> IncidentWrite:
        """:meth:`write_incidents` of an Arrow table (:func:`incident_table`'s types; text
        columns may be plain or dictionary-encoded), e.g. an import's accepted rows.

        Backends that store Arrow directly override this; the others get the frame.
        """
        return self.write_incidents(incident_frame(incidents))

    def read_incident_table(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """:meth:`read_incidents` as an Arrow table (the types of :func:`incident_table`:
        ``source_type``, ``category`` and ``municipality_code`` dictionary-encoded).

        For analyses of millions of incidents: a backend that can keep categories as
        codes end to end overrides this; the others convert their frame.
        """
        frame = self.read_incidents(start, end, columns)
        if frame.empty:
            return empty_incident_table(list(frame.columns) or columns)
        return incident_table(frame)

    @abstractmethod
    def read_incidents(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Incidents with ``start <= time < end`` (timezone-aware bounds; None: open).

        ``columns`` defaults to :data:`INCIDENT_COLUMNS`; rows are in no particular order.
        """

    @abstractmethod
    def count_incidents(self) -> int:
        """Number of stored incidents."""

    # -- safety survey (personal data, kept apart) ----------------------------------
    @abstractmethod
    def survey_years(self) -> list[int]:
        """Survey years stored, ascending (SurveyAccessError without the right)."""

    @abstractmethod
    def survey_record(self, year: int) -> SurveyRecord | None:
        """The stored record of a survey year, or None."""

    @abstractmethod
    def write_survey(self, record: SurveyRecord, respondents: pd.DataFrame, replace: bool) -> None:
        """Store a survey year's respondents (:data:`SURVEY_COLUMNS`) in one transaction.

        DataError if the year exists and ``replace`` is false.
        """

    @abstractmethod
    def read_survey(self, year: int) -> pd.DataFrame:
        """A stored survey year's respondents; NotFoundError for an unknown year."""

    # -- life cycle -------------------------------------------------------------
    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
