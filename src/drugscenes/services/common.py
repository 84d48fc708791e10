"""Steps every job shares: which round, which period, the incidents of a period, and the
bounds of the numbers people give (:func:`check_number`, :func:`check_numbers`)."""

from __future__ import annotations

import math
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


def previous_round(store: Store, label: str) -> str | None:
    """The round mapped just before ``label`` (a stored round), or None for the first."""
    labels = store.round_labels()
    k = labels.index(label)
    return labels[k - 1] if k > 0 else None


def round_period(store: Store, label: str, period: Period | None) -> Period:
    """``period``, or the twelve months before the round's date (see Period.before_round).

    Raises
    ------
    UsageError
        The round has no date (and is not labelled by a year): give the period.
    DataError
        The stored date (or year label) is no day of 1900–2199 (a workspace written by
        other means): no default period can be taken from it.
    """
    if period is not None:
        return period
    record = store.round_record(label)
    date = record.date if record is not None else None
    try:
        return Period.before_round(label, date)
    except UsageError as exc:
        if not date and not (label.isdigit() and len(label) == 4):
            raise
        raise DataError(
            f"round '{label}' gives no default period ({exc}); give the period with --from and --to"
        ) from None


def check_number(
    value: float,
    option: str,
    *,
    high: float,
    low: float = 0.0,
    low_included: bool = False,
    unit: str = "m",
) -> float:
    """``value`` within ``low`` .. ``high``, or a UsageError naming the option and the bound.

    Every edge (command, report) gets the same check, because the jobs make it.

    Examples
    --------
    >>> check_number(200, "--rings", high=50_000)
    200.0
    >>> check_number(1e9, "--rings", high=50_000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    drugscenes.errors.UsageError: --rings: at most 50000 m, got 1e+09
    """
    v = float(value)
    if math.isnan(v):
        raise UsageError(f"{option}: give a number, got {value}")
    if v > high:
        raise UsageError(f"{option}: at most {high:g} {unit}, got {v:g}")
    if v < low or (v == low and not low_included):
        bound = f"at least {low:g} {unit}" if low_included else f"more than {low:g} {unit}"
        raise UsageError(f"{option}: {bound}, got {v:g}")
    return v


def check_numbers(
    values: Sequence[float], option: str, *, high: float, most: int | None = None, unit: str = "m"
) -> tuple[float, ...]:
    """Positive values, each at most ``high``, at most ``most`` of them (see
    :func:`check_number`)."""
    if most is not None and len(values) > most:
        raise UsageError(f"{option}: at most {most} values, got {len(values)}")
    return tuple(check_number(v, option, high=high, unit=unit) for v in values)


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
