"""Instants: every timestamp inside drugscenes is timezone-aware UTC."""

from __future__ import annotations

import pandas as pd

from drugscenes.errors import UsageError


def to_utc(value: str | pd.Timestamp) -> pd.Timestamp:
    """A timestamp in UTC; a naive one (``"2023-01-01"``) is taken as UTC.

    Examples
    --------
    >>> to_utc("2023-01-01").isoformat()
    '2023-01-01T00:00:00+00:00'
    >>> to_utc(pd.Timestamp("2023-06-01 02:00", tz="Europe/Stockholm")).isoformat()
    '2023-06-01T00:00:00+00:00'
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"not a date: {value!r}") from exc
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
