"""One period type and one day parser for every job.

People give Swedish calendar days (``YYYY-MM-DD``); a period runs from its first day to
its last day, **both included**, in Swedish local time (:data:`~drugscenes.config.TIMEZONE`).
Analyses take the half-open instants ``[start, end)``, timezone-aware; the store keeps
UTC. A round's default period is the twelve months before its mapping date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from drugscenes.config import TIMEZONE
from drugscenes.errors import UsageError

__all__ = ["TIMEZONE", "Period", "local_day", "local_midnight", "parse_day"]

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR = 1900
LAST_YEAR = 2199
"""Days outside these years are refused: no crime or survey data is dated there, and
pandas' nanosecond timestamps end in 2262."""


def parse_day(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` day as people give it; anything else is a UsageError naming the option.

    Examples
    --------
    >>> parse_day("2023-01-31", "--from")
    datetime.date(2023, 1, 31)
    >>> parse_day("20231231", "--to")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    drugscenes.errors.UsageError: --to: '20231231' is not an ISO date; give it as YYYY-MM-DD...
    """
    value = str(text).strip()
    try:
        if not _DAY_RE.match(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: '{text}' is not an ISO date; give it as YYYY-MM-DD, e.g. 2023-01-31"
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(f"{option}: {value} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return day


def local_day(day: str | date) -> pd.Timestamp:
    """Midnight starting a Swedish calendar day, as a timezone-aware timestamp.

    A midnight that occurs twice (1916-10-01, when summer time ended at 01:00) is its
    first occurrence, so that the day holds all of its hours; one that does not occur
    is the first instant after it.

    Examples
    --------
    >>> local_day("2023-07-01").isoformat()
    '2023-07-01T00:00:00+02:00'
    >>> local_day("1916-10-01").isoformat()
    '1916-10-01T00:00:00+02:00'
    """
    return local_midnight(pd.Timestamp(str(day)), TIMEZONE)


def local_midnight(naive: pd.Timestamp, tz: Any) -> pd.Timestamp:
    """A naive local time (a day's or a month's start) in ``tz``: its first occurrence
    when it occurs twice, the first instant after it when it does not occur."""
    return naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


@dataclass(frozen=True)
class Period:
    """Calendar days ``first`` .. ``last``, both included, in Swedish local time.

    Attributes
    ----------
    first, last : date
        The first and the last day.

    Examples
    --------
    >>> p = Period.parse("2023-01-01", "2023-12-31")
    >>> p.start.isoformat(), p.end.isoformat()  # the last day is included
    ('2023-01-01T00:00:00+01:00', '2024-01-01T00:00:00+01:00')
    >>> str(p), p.days
    ('2023-01-01 – 2023-12-31', 365)
    """

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise UsageError(f"the period ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def parse(
        cls, first: str, last: str, from_option: str = "--from", to_option: str = "--to"
    ) -> Period:
        """The period ``--from first`` .. ``--to last``; a wrong day is a UsageError."""
        a, b = parse_day(first, from_option), parse_day(last, to_option)
        if b < a:
            raise UsageError(f"{to_option} ({b}) is before {from_option} ({a})")
        return cls(a, b)

    @classmethod
    def parse_range(cls, text: str, option: str) -> Period:
        """``FIRST:LAST`` (e.g. ``2023-01-01:2023-06-30``), both days included."""
        first, sep, last = str(text).partition(":")
        if not sep:
            raise UsageError(
                f"{option}: give FIRST:LAST days, e.g. 2023-01-01:2023-06-30; got '{text}'"
            )
        a, b = parse_day(first, option), parse_day(last, option)
        if b < a:
            raise UsageError(f"{option}: the last day ({b}) is before the first ({a})")
        return cls(a, b)

    @classmethod
    def before_round(cls, label: str, round_date: str | None) -> Period:
        """The twelve months before a mapping round (its default crime period).

        A round mapped on 2024-02-01 is judged by the days 2023-02-01 .. 2024-01-31. A
        round without a date but labelled by a year takes that calendar year.

        Examples
        --------
        >>> str(Period.before_round("2024", "2024-02-01"))
        '2023-02-01 – 2024-01-31'
        >>> str(Period.before_round("2023", None))
        '2023-01-01 – 2023-12-31'
        """
        if round_date:
            end = parse_day(round_date, f"date of round '{label}'")
            # 29 February has no twin a year earlier: take 28 February.
            day = 28 if (end.month, end.day) == (2, 29) else end.day
            return cls(end.replace(year=end.year - 1, day=day), end - timedelta(days=1))
        if label.isdigit() and len(label) == 4:
            year = int(parse_day(f"{label}-01-01", f"round '{label}'").year)
            return cls(date(year, 1, 1), date(year, 12, 31))
        raise UsageError(f"round '{label}' has no date: give the period with --from and --to")

    @property
    def start(self) -> pd.Timestamp:
        """Midnight starting the first day (timezone-aware)."""
        return local_day(self.first)

    @property
    def end(self) -> pd.Timestamp:
        """Midnight after the last day (timezone-aware): the period is ``[start, end)``."""
        return local_day(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        """Number of days, both ends included."""
        return (self.last - self.first).days + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "to_included": True,
            "timezone": TIMEZONE,
        }

    def __str__(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"
