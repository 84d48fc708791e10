"""The workspace interface: what every store (GeoPackage now, PostGIS later) offers.

A workspace holds one region (its municipalities), its mapping rounds, the scenes
of each round and derived tables (e.g. scene history). Frames going in and out
follow the column conventions below, with geometry in EPSG:3006.

Column conventions
------------------
municipalities : GeoDataFrame
    ``code`` (str, 4 digits), ``name`` (str), ``geometry`` (MultiPolygon).
rounds : DataFrame
    ``label`` (str), ``date`` (ISO date str or None), ``note`` (str or None),
    ``n_scenes`` (int), ``source_file`` (str), ``source_sha256`` (str),
    ``imported_at`` (ISO timestamp str).
scenes of a round : GeoDataFrame
    ``scene_id`` (str), ``id_given`` (bool: the id came from the source file,
    not generated), ``name`` (str or None), ``municipality_code`` (str),
    ``area_m2`` (float), ``activities``, ``drug_types``, ``times_of_day``,
    ``source_org``, ``note`` (str or None), ``attributes`` (JSON object as str,
    fields of the source file that have no column of their own),
    ``geometry`` (MultiPolygon).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType

import geopandas as gpd
import pandas as pd

SCHEMA_VERSION = 1
"""Version of the workspace schema this drugscenes reads and writes."""

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
    """

    label: str
    date: str | None = None
    note: str | None = None
    source_file: str = ""
    source_sha256: str = ""


class Store(ABC):
    """A drugscenes workspace. Use as a context manager; every write is one transaction."""

    path: str

    # -- region -------------------------------------------------------------
    @abstractmethod
    def municipalities(self) -> gpd.GeoDataFrame:
        """The region's municipalities (``code``, ``name``, ``geometry``), sorted by code."""

    @abstractmethod
    def metadata(self) -> dict[str, str]:
        """Key/value metadata: ``schema_version``, ``region_name``, ``created_at``, ..."""

    # -- rounds and scenes ---------------------------------------------------
    @abstractmethod
    def rounds(self) -> pd.DataFrame:
        """All rounds, ordered by date then label (see the module's column conventions)."""

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
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        """Store a round, its scenes and derived ``tables`` in one transaction.

        Raises DataError if the round exists and ``replace`` is false.
        """

    @abstractmethod
    def delete_round(self, label: str) -> None:
        """Remove a round and its scene observations."""

    # -- safety survey ----------------------------------------------------------
    @abstractmethod
    def survey_record(self, year: int) -> dict[str, object] | None:
        """``year``, ``n_respondents``, ``source_file``, ``source_sha256``,
        ``imported_at`` of a stored survey year, or None."""

    @abstractmethod
    def survey_years(self) -> list[int]:
        """Survey years stored, ascending."""

    @abstractmethod
    def write_survey(
        self,
        year: int,
        respondents: pd.DataFrame,
        source_file: str,
        source_sha256: str,
        replace: bool,
    ) -> None:
        """Store a survey year's respondents (``respondent_id``, ``x``, ``y`` in EPSG:3006,
        ``weight``, ``unsafe`` 0/1 (NULL when the answer is missing, e.g. 'vet ej'),
        ``stratum``, ``psu``, ``municipality_code``) in one
        transaction. Raises DataError if the year exists and ``replace`` is false."""

    @abstractmethod
    def read_survey(self, year: int) -> pd.DataFrame:
        """A stored survey year's respondents; NotFoundError for an unknown year."""

    # -- derived tables -------------------------------------------------------
    @abstractmethod
    def write_table(self, name: str, table: pd.DataFrame) -> None:
        """Replace a derived, non-spatial table (e.g. ``scene_history``) in one transaction."""

    @abstractmethod
    def read_table(self, name: str) -> pd.DataFrame:
        """Read a derived table; an empty frame if it was never written."""

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

    def round_labels(self) -> list[str]:
        """Round labels in chronological order."""
        return list(self.rounds()["label"])
