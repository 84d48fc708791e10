"""Imports into a workspace: read a file, validate it, store it.

- Scenes of a mapping round (:func:`import_scenes`): all or nothing; any error rejects
  the file.
- Incidents (:func:`import_incidents`): the accepted rows are stored and every rejected
  row is reported with its reason (rejected rows are normal in police extracts, e.g.
  county-level events); nothing is stored when no row is accepted.
- Safety-survey microdata (:func:`import_survey`): all or nothing.

Each is idempotent: importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from drugscenes.errors import DataError, Problem, UsageError
from drugscenes.io.incidents import CategoryMapping, IncidentImport, read_incidents
from drugscenes.io.vector import read_vector
from drugscenes.periods import parse_day
from drugscenes.registry.prepare import ValidationOptions, prepare_round
from drugscenes.store import RoundRecord, Store, SurveyRecord

if TYPE_CHECKING:  # the survey reader loads SciPy: imported by the survey import alone
    from drugscenes.io.survey import AnswerMapping, SurveyColumns, SurveyReadResult

_LABEL_RE = re.compile(r"^[\w][\w .:-]{0,63}$")
_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass
class ImportResult:
    """What an import did.

    Attributes
    ----------
    status : {"imported", "replaced", "unchanged"}
        ``unchanged`` when the round already holds exactly this file with the
        same options (re-importing changes nothing).
    round : str
    file : str
    n_features : int
        Features in the file.
    n_scenes : int
        Scenes stored for the round.
    source_crs : str
    problems : list of Problem
        Warnings (an import with errors raises DataError instead).
    fields : dict
        Source column of each scene field.
    """

    status: str
    round: str
    file: str
    n_features: int
    n_scenes: int
    source_crs: str = ""
    problems: list[Problem] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Every attribute, ``problems`` last (as dicts)."""
        data: dict[str, object] = {k: v for k, v in self.__dict__.items() if k != "problems"}
        return {**data, "problems": [p.to_dict() for p in self.problems]}


def check_round_label(label: str) -> str:
    """A round label is a short name such as ``2023`` or ``2024-spring``."""
    label = label.strip()
    if not _LABEL_RE.match(label):
        raise UsageError(f"round label {label!r} must be 1-64 letters, digits, spaces or . : - _")
    return label


def check_date(value: str | None) -> str | None:
    """ISO date (YYYY-MM-DD) or None."""
    if value is None or not value.strip():
        return None
    return parse_day(value, "--date").isoformat()


def without_repeats(problems: list[Problem], reader_problems: list[Problem]) -> list[Problem]:
    """``problems`` less "no geometry" for rows whose geometry the reader already
    reported as unreadable (one line per row and cause)."""
    reported = {p.row for p in reader_problems if p.severity == "error" and p.row is not None}
    return [p for p in problems if not (p.code == "geometry-empty" and p.row in reported)]


def file_fingerprint(path: Path, options: dict[str, object]) -> str:
    """SHA-256 of the file's bytes (and Shapefile side files) and the import options."""
    h = hashlib.sha256()
    paths = [path]
    if path.suffix.lower() == ".shp":
        paths = [path.with_suffix(s) for s in _SIDECARS if path.with_suffix(s).exists()]
    for p in paths:
        h.update(p.name.encode())
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h.hexdigest()


def import_scenes(
    store: Store,
    file: str | Path,
    round_label: str,
    date: str | None = None,
    crs: str | int | None = None,
    replace: bool = False,
    wkt_field: str | None = None,
    layer: str | None = None,
    fields: dict[str, str] | None = None,
    note: str | None = None,
    options: ValidationOptions | None = None,
) -> ImportResult:
    """Import one round's scenes from a file, all or nothing.

    The round and the recomputed scene history are written in one transaction; a file
    with any error writes nothing.

    Parameters
    ----------
    store : Store
        An open workspace.
    file : str or Path
        Scenes as GeoPackage, GeoJSON, Shapefile or CSV with WKT (see
        :func:`drugscenes.io.vector.read_vector`).
    round_label : str
        The round to create (or replace).
    date : str, optional
        ISO date of the mapping.
    crs : str or int, optional
        CRS of the coordinates; required for CSV.
    replace : bool
        Replace an existing round of that label (otherwise refused, unless it
        holds exactly this file, in which case nothing changes).
    wkt_field, layer : str, optional
        See :func:`~drugscenes.io.vector.read_vector`.
    fields : dict, optional
        Explicit source columns of scene fields (see
        :data:`~drugscenes.registry.prepare.FIELD_ALIASES`).
    note : str, optional
        Free text stored with the round.
    options : ValidationOptions, optional

    Raises
    ------
    DataError
        When any feature has an error: nothing is written, and every error
        (and warning) is in ``problems``.
    """
    path = Path(file)
    label = check_round_label(round_label)
    iso_date = check_date(date)
    fingerprint_options = {
        "crs": None if crs is None else str(crs),
        "wkt_field": wkt_field,
        "layer": layer,
        "fields": fields or {},
        "date": iso_date,
        "note": note,
    }
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    digest = file_fingerprint(path, fingerprint_options)
    existing = store.round_record(label)
    if existing is not None and existing.source_sha256 == digest:
        n = len(store.round_scenes(label))
        return ImportResult("unchanged", label, path.name, n, n)
    if existing is not None and not replace:
        raise DataError(
            f"round '{label}' exists already (imported from {existing.source_file}); "
            "pass --replace to replace it",
            [
                Problem(
                    "round-exists",
                    f"round '{label}' exists already; pass --replace to replace it",
                    file=path.name,
                )
            ],
        )

    read = read_vector(path, crs=crs, wkt_field=wkt_field, layer=layer)
    prepared = prepare_round(
        read.frame,
        store.municipalities(),
        label,
        path.name,
        rows=read.rows,
        geometry_field=read.geometry_field,
        fields=fields,
        options=options,
    )
    problems = read.problems + without_repeats(prepared.problems, read.problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(
            f"{path.name}: {len(errors)} error(s) in {len(read.frame)} feature(s); "
            "nothing was imported",
            problems,
        )
    if len(prepared.scenes) == 0:
        raise DataError(
            f"{path.name}: no scenes in the file; nothing was imported",
            [Problem("no-features", "the file has no features", file=path.name)],
        )
    record = RoundRecord(label, iso_date, note, path.name, digest)
    from drugscenes.analysis.history import scene_history

    store.write_round(record, prepared.scenes, replace=replace, history=scene_history)
    return ImportResult(
        "replaced" if existing is not None else "imported",
        label,
        path.name,
        len(read.frame),
        len(prepared.scenes),
        read.source_crs,
        [p for p in problems if p.severity != "error"],
        prepared.fields,
    )


# -- incidents ------------------------------------------------------------------------------


@dataclass
class IncidentImportResult:
    """What an incident import read, rejected and stored.

    Attributes
    ----------
    read : IncidentImport
        The reader's result: accepted rows, problems (one per rejected row and reason),
        notes, counts.
    stored_before, stored_after : int
        Incidents in the store before and after; ``stored_after - stored_before`` are
        new ids, the rest of the accepted rows replaced stored ones with the same id.
    workspace : str
        The workspace the incidents went to (its store's target).
    file : str
        The file read, as given.
    problems_file : str or None
        Where an edge wrote every rejected row with its reason, if it did.
    """

    read: IncidentImport
    stored_before: int
    stored_after: int
    workspace: str = ""
    file: str = ""
    problems_file: str | None = None

    @property
    def n_new(self) -> int:
        return self.stored_after - self.stored_before

    @property
    def n_replaced(self) -> int:
        return self.read.n_accepted - self.n_new

    @property
    def rejected(self) -> list[Problem]:
        """One problem per rejected row and reason."""
        return [p for p in self.read.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, object]:
        """Counts read, accepted, rejected (by reason), stored; categories and times."""
        table = self.read.table
        by_reason = Counter(p.code for p in self.rejected).most_common()
        first, last = accepted_time_range(table)
        return {
            "workspace": self.workspace,
            "file": self.file,
            "format": self.read.format,
            "n_read": self.read.n_read,
            "n_accepted": self.read.n_accepted,
            "n_rejected": self.read.n_rejected,
            "rejected_by_reason": dict(by_reason),
            "accepted_by_category": accepted_by_category(table),
            "first_time": first,
            "last_time": last,
            "n_new": self.n_new,
            "n_replaced": self.n_replaced,
            "stored_before": self.stored_before,
            "stored_after": self.stored_after,
            "store": self.workspace,
            "problems_file": self.problems_file,
            "notes": self.read.notes,
        }


def import_incidents(
    store: Store,
    file: str | Path,
    fmt: str | None = None,
    crs: int | str | None = None,
    columns: dict[str, str] | None = None,
    mapping: CategoryMapping | None = None,
    progress: Callable[[str], None] | None = None,
) -> IncidentImportResult:
    """Read incidents and store the accepted ones beside the workspace, by id.

    Raises
    ------
    DataError
        When the file cannot be read or no row is accepted (nothing is stored then);
        its problems list every rejected row with its reason.
    """
    step = progress or (lambda _m: None)
    path = Path(file)
    step(f"reading {path.name}")
    read = read_incidents(path, store.municipalities(), fmt, crs, columns, mapping)
    if read.n_accepted == 0:
        raise DataError(
            f"no row of {path.name} was accepted ({read.n_read:,} read); nothing was stored",
            [p for p in read.problems if p.severity == "warning"],
        )
    step(f"storing {read.n_accepted:,} incidents")
    written = store.write_incident_table(read.table)
    return IncidentImportResult(
        read, written.stored_before, written.stored_after, store.target, str(file)
    )


def accepted_by_category(table: pa.Table) -> dict[str, int]:
    """Accepted rows per category, most first (ties in order of first appearance), as
    ``pandas.Series.value_counts`` orders them; counted on the dictionary codes."""
    cat = table["category"].combine_chunks()
    if not pa.types.is_dictionary(cat.type):
        cat = pc.dictionary_encode(cat)
    codes = cat.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(codes, minlength=len(cat.dictionary))
    present = np.flatnonzero(counts)
    first = np.array([int(np.argmax(codes == k)) for k in present], dtype=np.int64)
    present = present[np.argsort(first, kind="stable")]
    names = cat.dictionary.to_pylist()
    ordered = pd.Series(counts[present], index=[names[k] for k in present]).sort_values(
        ascending=False
    )
    return {str(k): int(v) for k, v in ordered.items()}


def accepted_time_range(table: pa.Table) -> tuple[str, str]:
    """First and last accepted time, ISO 8601 in UTC (as pandas writes a Timestamp)."""
    ns = table["time"].cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
    bounds = pc.min_max(ns)
    return (
        pd.Timestamp(bounds["min"].as_py(), tz="UTC").isoformat(),
        pd.Timestamp(bounds["max"].as_py(), tz="UTC").isoformat(),
    )


# -- safety survey ------------------------------------------------------------------------------


@dataclass
class SurveyImportResult:
    """What a survey import did: ``status`` is ``imported``, ``replaced`` or ``unchanged``."""

    status: str
    year: int
    read: SurveyReadResult
    file: str = ""

    @property
    def n_missing_answer(self) -> int:
        return int(self.read.respondents["unsafe"].isna().sum())

    def to_dict(self) -> dict[str, object]:
        """Counts and row-level problems only: never a respondent's id, place or answer."""
        return {
            "status": self.status,
            "year": self.year,
            "file": self.file,
            "n_respondents": len(self.read.respondents),
            "n_missing_answer": self.n_missing_answer,
            "problems": [p.to_dict() for p in self.read.problems],
        }


def import_survey(
    store: Store,
    file: str | Path,
    year: int,
    crs: int | str | None = None,
    columns: SurveyColumns | None = None,
    answers: AnswerMapping | None = None,
    replace: bool = False,
) -> SurveyImportResult:
    """Import a survey year's microdata, all or nothing.

    Raises
    ------
    DataError
        Any bad row (nothing is written), or the year exists with another file and
        ``replace`` is false.
    """
    from drugscenes.io.survey import read_survey

    path = Path(file)
    read = read_survey(
        path, crs=crs, columns=columns, answers=answers, region=store.municipalities()
    )
    read.raise_for_errors()
    record = store.survey_record(year)
    if record is not None and record.source_sha256 == read.source_sha256:
        return SurveyImportResult("unchanged", year, read, path.name)
    new = SurveyRecord(int(year), len(read.respondents), path.name, read.source_sha256)
    store.write_survey(new, read.respondents, replace)
    return SurveyImportResult("imported" if record is None else "replaced", year, read, path.name)
