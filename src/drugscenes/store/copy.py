"""Copy a workspace to another target: GeoPackage to PostGIS, PostGIS to GeoPackage, ...

Everything goes through the storage contract (:class:`~drugscenes.store.base.Store`), so
any backend copies to any other. The copy keeps what the source recorded: the region's
name and creation facts, every round with its ``imported_at`` and ``source_sha256``
(so that an identical re-import is still recognised), the stored scene history as it is
(not recomputed), the incidents and, where this user may read it, the survey microdata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from drugscenes.errors import SurveyAccessError
from drugscenes.store.base import KEPT_METADATA, RoundRecord, Store, SurveyRecord

__all__ = ["CopyResult", "copy_workspace"]

Progress = Callable[[str], None]
"""Receives one line per step, e.g. ``"round 2023: 41 scenes"``."""


@dataclass(frozen=True)
class CopyResult:
    """What :func:`copy_workspace` copied.

    Attributes
    ----------
    source, target : str
        Where from and where to (URLs without password).
    municipalities, rounds, scenes, history_rows, incidents : int
        Counts copied (``scenes`` = scene observations over all rounds).
    survey_years, survey_respondents : int
        Survey years and respondents copied.
    survey_copied : bool
        False when the survey microdata could not be read at the source or written at
        the target with this user's rights (then ``survey_reason`` says why). A source
        without survey data counts as copied.
    survey_reason : str or None
    """

    source: str
    target: str
    municipalities: int
    rounds: int
    scenes: int
    history_rows: int
    incidents: int
    survey_years: int
    survey_respondents: int
    survey_copied: bool
    survey_reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def copy_workspace(
    source: Store,
    target: str | Path,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> CopyResult:
    """Copy the workspace ``source`` to a new workspace at ``target``.

    Parameters
    ----------
    source : Store
        An open workspace (any backend).
    target : str or Path
        A GeoPackage path or a ``postgresql://`` URL (an empty database).
    overwrite : bool
        Replace a workspace at ``target``.
    progress : callable, optional
        Called with a line of text after each step.

    Returns
    -------
    CopyResult

    Notes
    -----
    Rounds are written in chronological order with their original ``imported_at``; the
    stored scene history is handed over as the last round's history callback, so it is
    copied as it is rather than recomputed. Incidents are copied one year at a time
    (one read and one write transaction each), which bounds the memory used. Each step
    is a transaction of its own: if the copy fails part-way, the target is incomplete
    and should be copied again with ``overwrite``.
    """
    from drugscenes.store import create_workspace

    say = progress or (lambda _line: None)
    meta = source.metadata()
    region = source.municipalities()
    kept = {k: meta[k] for k in KEPT_METADATA if k in meta}
    dest = create_workspace(target, region, meta.get("region_name", ""), overwrite, kept)
    try:
        say(f"created {dest.target} with {len(region)} municipalities")
        n_rounds, n_scenes, n_history = _copy_rounds(source, dest, say)
        n_incidents = _copy_incidents(source, dest, say)
        n_years, n_respondents, reason = _copy_survey(source, dest, say)
        return CopyResult(
            source=source.target,
            target=dest.target,
            municipalities=len(region),
            rounds=n_rounds,
            scenes=n_scenes,
            history_rows=n_history,
            incidents=n_incidents,
            survey_years=n_years,
            survey_respondents=n_respondents,
            survey_copied=reason is None,
            survey_reason=reason,
        )
    finally:
        dest.close()


def _copy_rounds(source: Store, dest: Store, say: Progress) -> tuple[int, int, int]:
    rounds = source.rounds()  # chronological
    history = source.scene_history()

    def stored_history(_frames: Sequence[tuple[str, gpd.GeoDataFrame]]) -> pd.DataFrame:
        return history

    labels = [str(v) for v in rounds["label"]]
    n_scenes = 0
    for k, row in enumerate(rounds.itertuples(index=False)):
        record = RoundRecord(
            label=str(row.label),
            date=_str_or_none(row.date),
            note=_str_or_none(row.note),
            source_file=_str_or_none(row.source_file) or "",
            source_sha256=_str_or_none(row.source_sha256) or "",
            imported_at=_str_or_none(row.imported_at),
        )
        scenes = source.round_scenes(record.label)
        last = k == len(labels) - 1
        dest.write_round(record, scenes, replace=False, history=stored_history if last else None)
        n_scenes += len(scenes)
        say(f"round {record.label}: {len(scenes)} scenes")
    if labels:
        say(f"scene history: {len(history)} rows")
    return len(labels), n_scenes, len(history) if labels else 0


def _copy_incidents(source: Store, dest: Store, say: Progress) -> int:
    if source.count_incidents() == 0:
        return 0
    times = source.read_incidents(columns=["time"])["time"]
    first, last = int(times.min().year), int(times.max().year)
    del times
    total = 0
    for year in range(first, last + 1):
        start = pd.Timestamp(year=year, month=1, day=1, tz="UTC")
        end = pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC")
        chunk = source.read_incidents(start, end)
        if chunk.empty:
            continue
        dest.write_incidents(chunk)
        total += len(chunk)
        say(f"incidents {year}: {len(chunk)}")
    return total


def _copy_survey(source: Store, dest: Store, say: Progress) -> tuple[int, int, str | None]:
    try:
        years = source.survey_years()
    except SurveyAccessError as exc:
        say(f"survey not copied: {exc}")
        return 0, 0, str(exc)
    n_years = n_respondents = 0
    for year in years:
        try:
            record = source.survey_record(year)
            respondents = source.read_survey(year)
            kept = SurveyRecord(
                year=int(year),
                n_respondents=len(respondents),
                source_file=record.source_file if record else "",
                source_sha256=record.source_sha256 if record else "",
                imported_at=record.imported_at if record else None,
            )
            dest.write_survey(kept, respondents, replace=False)
        except SurveyAccessError as exc:
            say(f"survey not copied from {year} on: {exc}")
            return n_years, n_respondents, str(exc)
        n_years += 1
        n_respondents += len(respondents)
        say(f"survey {year}: {len(respondents)} respondents")
    return n_years, n_respondents, None


def _str_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    return str(value)
