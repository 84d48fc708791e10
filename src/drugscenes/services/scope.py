"""One municipality's view of a workspace, so that every job can run for it unchanged.

A municipal safety coordinator's report is the county's jobs run on their municipality:
its boundary is the region, its scenes are the round, its incidents and respondents are
those inside it. :func:`municipality_scope` wraps a store in a read-only view that
answers exactly that, so crime, survey, change and hot spots need no municipality option
of their own and cannot compute a municipality's figure by a second route.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from drugscenes.analysis.zones import assign_polygons
from drugscenes.errors import NotFoundError, UsageError
from drugscenes.store.base import (
    HistoryFunction,
    IncidentWrite,
    RoundRecord,
    Store,
    SurveyRecord,
)


def municipality_code(store: Store, given: str) -> tuple[str, str]:
    """The stored code and name of a municipality given by code (``180``, ``0180``) or name."""
    munis = store.municipalities()
    text = str(given).strip()
    code = text.zfill(4) if text.isdigit() else None
    for c, name in zip(munis["code"], munis["name"], strict=True):
        if c == code or (code is None and str(name).casefold() == text.casefold()):
            return str(c), str(name)
    raise NotFoundError(f"no municipality '{given}' in {store.target}")


class MunicipalityScope(Store):
    """A read-only :class:`Store` restricted to one municipality (see the module docstring).

    Scenes count where they are registered (``municipality_code``); incidents and
    respondents where they lie (point in the municipality's polygon, borders included).
    """

    def __init__(self, store: Store, code: str) -> None:
        self._store = store
        self.code, self.name = municipality_code(store, code)
        self.target = f"{store.target} (municipality {self.code})"
        self.backend = store.backend
        munis = store.municipalities()
        self._munis = munis[munis["code"] == self.code].reset_index(drop=True)

    def _inside(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        hit = assign_polygons(
            frame["x"].to_numpy(float), frame["y"].to_numpy(float), self._munis.geometry.to_numpy()
        )
        return frame[hit >= 0].reset_index(drop=True)

    @property
    def unscoped(self) -> Store:
        """The whole workspace this view looks into."""
        return self._store

    # -- the view ---------------------------------------------------------------
    def municipalities(self) -> gpd.GeoDataFrame:
        return self._munis.copy()

    def metadata(self) -> dict[str, str]:
        return {**self._store.metadata(), "municipality": self.code}

    def rounds(self) -> pd.DataFrame:
        return self._store.rounds()

    def round_record(self, label: str) -> RoundRecord | None:
        return self._store.round_record(label)

    def round_scenes(self, label: str) -> gpd.GeoDataFrame:
        scenes = self._store.round_scenes(label)
        return scenes[scenes["municipality_code"] == self.code].reset_index(drop=True)

    def scene_history(self) -> pd.DataFrame:
        history = self._store.scene_history()
        return history[history["municipality_code"] == self.code].reset_index(drop=True)

    def read_incidents(
        self,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        wanted = list(columns) if columns else None
        cols = None if wanted is None else list(dict.fromkeys([*wanted, "x", "y"]))
        inside = self._inside(self._store.read_incidents(start, end, cols))
        return inside if wanted is None else inside[wanted]

    def count_incidents(self) -> int:
        return len(self.read_incidents(columns=["x", "y"]))

    def survey_years(self) -> list[int]:
        return self._store.survey_years()

    def survey_record(self, year: int) -> SurveyRecord | None:
        return self._store.survey_record(year)

    def read_survey(self, year: int) -> pd.DataFrame:
        return self._inside(self._store.read_survey(year))

    # -- read-only ------------------------------------------------------------------
    def _refuse(self) -> UsageError:
        return UsageError("a municipality's view of a workspace is read-only")

    def write_round(
        self,
        record: RoundRecord,
        scenes: gpd.GeoDataFrame,
        replace: bool,
        history: HistoryFunction | None = None,
    ) -> None:
        raise self._refuse()

    def delete_round(self, label: str, history: HistoryFunction | None = None) -> None:
        raise self._refuse()

    def write_incidents(self, incidents: pd.DataFrame) -> IncidentWrite:
        raise self._refuse()

    def write_survey(self, record: SurveyRecord, respondents: pd.DataFrame, replace: bool) -> None:
        raise self._refuse()

    def close(self) -> None:
        """The view owns no connection: closing it leaves the store open."""


def municipality_scope(store: Store, municipality: str | None) -> Store:
    """``store`` itself, or its view restricted to ``municipality`` (code or name)."""
    return store if municipality is None else MunicipalityScope(store, municipality)
