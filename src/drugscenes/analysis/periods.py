"""The default analysis period of a mapping round."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from drugscenes.errors import UsageError

TIMEZONE = "Europe/Stockholm"
"""The calendar of the days people give (``--from``/``--to``) and of monthly periods."""


_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` day as people give it; anything else is a UsageError naming the option.

    Examples
    --------
    >>> parse_day("2023-01-31", "--from")
    datetime.date(2023, 1, 31)
    """
    value = text.strip()
    try:
        if not _DAY_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: '{text}' is not an ISO date; give it as YYYY-MM-DD, e.g. 2023-01-31"
        ) from None


def local_day(day: str | date) -> pd.Timestamp:
    """Midnight starting a Swedish calendar day, as a timezone-aware timestamp.

    Examples
    --------
    >>> local_day("2023-07-01").isoformat()
    '2023-07-01T00:00:00+02:00'
    """
    return pd.Timestamp(str(day)).tz_localize(TIMEZONE)


def period_before_round(label: str, round_date: str | None) -> tuple[str, str]:
    """The twelve months before a mapping round, as ISO days ``[start, end)``.

    A round mapped on 2024-02-01 is judged by the incidents of 2023-02-01 up to, not
    including, 2024-02-01. A round without a date but labelled by a year takes that
    calendar year.

    Parameters
    ----------
    label : str
        The round's label, e.g. ``"2023"``.
    round_date : str or None
        The round's ISO date.

    Returns
    -------
    tuple of str
        ``(start, end)``, ``end`` excluded.

    Examples
    --------
    >>> period_before_round("2024", "2024-02-01")
    ('2023-02-01', '2024-02-01')
    >>> period_before_round("2023", None)
    ('2023-01-01', '2024-01-01')
    """
    if round_date:
        end = date.fromisoformat(round_date)
        # 29 February has no twin a year earlier: take 28 February.
        start = (
            end.replace(year=end.year - 1, day=28)
            if (end.month, end.day) == (2, 29)
            else (end.replace(year=end.year - 1))
        )
        return start.isoformat(), end.isoformat()
    if label.isdigit() and len(label) == 4:
        return f"{label}-01-01", f"{int(label) + 1}-01-01"
    raise UsageError(f"round '{label}' has no date: give the period with --from and --to")
