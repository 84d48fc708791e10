"""Steps every job shares: which round, which period, the incidents of a period."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from drugscenes.errors import DataError, NotFoundError, UsageError
from drugscenes.periods import Period
from drugscenes.store import Store

Progress = Callable[[str], None]
"""A callback that is told what a long job is doing now (the CLI shows a spinner)."""


def quiet(_message: str) -> None:
    """A :data:`Progress` that says nothing."""


def resolve_round(store: Store, label: str | None) -> tuple[str, bool]:
    """The round to use: ``label``, or the latest when None.

    Returns
    -------
    (str, bool)
        The label and whether it was chosen as the latest (a job's notes say so).

    Raises
    ------
    UsageError
        No rounds yet.
    NotFoundError
        No such round.
    """
    labels = store.round_labels()
    if label is None:
        if not labels:
            raise UsageError(
                f"{store.target} has no rounds yet; import one with 'drugscenes import scenes'"
            )
        return labels[-1], True
    if label not in labels:
        known = ", ".join(labels) or "none"
        raise NotFoundError(f"no round '{label}' in {store.target} (rounds: {known})")
    return label, False


def round_period(store: Store, label: str, period: Period | None) -> Period:
    """``period``, or the twelve months before the round's date (see Period.before_round)."""
    if period is not None:
        return period
    record = store.round_record(label)
    return Period.before_round(label, record.date if record is not None else None)


def read_period(
    store: Store,
    period: Period,
    columns: Sequence[str] | None = None,
    what: str = "incidents",
) -> pd.DataFrame:
    """Stored incidents of a period; a DataError (exit 1) naming the period when none."""
    incidents = store.read_incidents(period.start, period.end, columns)
    if incidents.empty:
        n = store.count_incidents()
        held = (
            f"the store holds {n:,} incidents in other periods"
            if n
            else "no incidents are imported yet; import them with 'drugscenes import incidents'"
        )
        raise DataError(
            f"no {what} from {period} (local time, both days included) in {store.target}: {held}"
        )
    return incidents
