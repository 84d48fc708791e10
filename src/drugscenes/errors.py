"""Exceptions a user can cause, and the problems found in their data.

Every error a person can trigger with a command or a file is one of these types;
the command line turns them into one clear message and an exit status
(:data:`EXIT_DATA` for bad data, :data:`EXIT_USAGE` for wrong usage). Anything
else that escapes is a bug.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One finding about one place in an input file.

    Attributes
    ----------
    code : str
        Stable machine-readable code, e.g. ``"geometry-empty"``.
    message : str
        What is wrong and, where possible, what to do, for a person.
    file : str or None
        The input file.
    row : int or None
        1-based data row (CSV: the line after the header is row 1) or
        feature number (vector files, 1-based).
    field : str or None
        The column or property concerned.
    severity : {"error", "warning", "info"}
        Errors reject the whole import; warnings and infos are reported only.
    """

    code: str
    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class DrugscenesError(Exception):
    """Base of all errors a user can cause."""

    exit_code = EXIT_DATA


class UsageError(DrugscenesError):
    """The command was called wrongly (missing option, unknown file type, ...)."""

    exit_code = EXIT_USAGE


class DataError(DrugscenesError):
    """Input data cannot be used; nothing was written.

    Parameters
    ----------
    message : str
        Summary for a person.
    problems : list of Problem, optional
        Every error (and warning) found, so that all of them can be fixed at once.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ColumnError(UsageError, DataError):
    """A column named with an option is not in the file, or a needed column is missing.

    Raised by :func:`drugscenes.io.columns.resolve_columns` for every reader, with a
    message naming the file, the option or field and the file's columns. It is a
    usage error (exit status 2: name the column with an option) and also a
    :class:`DataError`, so that handlers of bad input files catch it too.
    """

    exit_code = EXIT_USAGE


class WorkspaceError(DrugscenesError):
    """The workspace is missing, not a drugscenes workspace, or of an unknown version."""


class NotFoundError(DrugscenesError):
    """A named round, scene or municipality is not in the workspace."""


class SurveyAccessError(WorkspaceError):
    """The survey microdata cannot be read or written with this connection's rights.

    Survey microdata is personal data kept apart from the shared workspace (a file of
    its own beside a GeoPackage workspace, a schema of its own in PostGIS that only a
    survey role may read); every other job works without it.
    """
