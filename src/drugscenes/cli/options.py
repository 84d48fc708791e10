"""Parsing of option values shared by every command: number lists, band edges, CRS.

Each parser turns a person's text into a typed value or raises a UsageError naming the
option and showing an example, so a wrong value ends in one line and exit status 2.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

from drugscenes.errors import UsageError

if TYPE_CHECKING:
    from drugscenes.periods import Period

__all__ = ["Period", "column_mapping", "parse_band_edges", "parse_crs", "parse_numbers"]


def __getattr__(name: str) -> Any:
    """``Period`` on first use: :mod:`drugscenes.periods` loads pandas, which parsing the
    command line does not need."""
    if name == "Period":
        from drugscenes.periods import Period

        return Period
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_numbers(text: str, option: str, unit: str) -> list[float]:
    """``"100,200"`` -> ``[100.0, 200.0]``; a wrong list is a UsageError.

    Examples
    --------
    >>> parse_numbers("500, 1000,2000", "--bands", "metres")
    [500.0, 1000.0, 2000.0]
    """
    try:
        values = [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) for v in values):
        raise UsageError(f"{option}: give {unit} separated by commas, e.g. 100,200; got '{text}'")
    return values


def parse_band_edges(text: str, option: str, unit: str) -> list[float]:
    """Band edges ``0,100,200`` or ``100,200`` -> upper edges ``[100, 200]``.

    A leading 0 is the lower bound of the first band and may be left out.

    Examples
    --------
    >>> parse_band_edges("0,100,200,400", "--space-bands", "metres")
    [100.0, 200.0, 400.0]
    """
    values = parse_numbers(text, option, unit)
    if values[0] == 0:
        values = values[1:]
    if (
        not values
        or any(v <= 0 for v in values)
        or any(b <= a for a, b in itertools.pairwise(values))
    ):
        raise UsageError(
            f"{option}: give increasing positive band edges in {unit}, e.g. 0,100,200; got '{text}'"
        )
    return values


def parse_crs(text: str | None, option: str = "--crs") -> int | str | None:
    """An EPSG code or CRS text that pyproj knows, or None; else a UsageError.

    Examples
    --------
    >>> parse_crs("3006"), parse_crs(None)
    (3006, None)
    """
    if text is None:
        return None
    from pyproj import CRS  # only when a CRS is given: pyproj takes a while to load
    from pyproj.exceptions import CRSError

    value: int | str = int(text) if str(text).strip().isdigit() else str(text).strip()
    try:
        CRS.from_user_input(value)
    except CRSError:
        raise UsageError(f"{option}: unknown CRS '{text}'; give an EPSG code, e.g. 3006") from None
    return value


def column_mapping(given: dict[str, str | None], pairs: list[str]) -> dict[str, str]:
    """Explicit source columns: ``--x-field`` style options plus ``--column FIELD=COLUMN``.

    Examples
    --------
    >>> column_mapping({"id": None, "x": "E"}, ["time=tidpunkt"])
    {'x': 'E', 'time': 'tidpunkt'}
    """
    columns = {k: v for k, v in given.items() if v}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise UsageError(f"--column: give FIELD=COLUMN, e.g. id=ärendenummer; got '{pair}'")
        columns[field_name.strip()] = column.strip()
    return columns
