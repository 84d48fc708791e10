"""A service result's ``to_dict()`` as read-only tables for the pages (no Django here, so
the doctests run with the package's)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def _plain(value: object) -> object:
    """A cell's value for a table: numbers rounded, lists joined, missing as ''."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            pass
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list | tuple):
        return ", ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return value


def tables(
    data: dict[str, Any], title: str = "", label: Callable[[str], str] = str
) -> list[dict[str, Any]]:
    """A service result's ``to_dict()`` as read-only tables.

    Scalars of a level become one two-column table (``title``); a list of records
    becomes a table with a column per key; a nested mapping gets its own tables, titled
    by its path. ``label`` gives a key's header (the web pages pass
    :func:`drugscenes.web.labels.column_label`); the columns keep their keys too.

    Examples
    --------
    >>> [t["title"] for t in tables({"n": 1, "rows": [{"a": 1}], "sub": {"m": 2}})]
    ['', 'rows', 'sub']
    >>> tables({"rows": [{"a": 1.23456, "b": [1, 2]}]})[0]["rows"]
    [[1.235, '1, 2']]
    >>> tables({"n": 1, "rows": [{"a": 1}]}, label=str.upper)[1]["columns"]
    [{'key': 'a', 'label': 'A'}]
    """
    out: list[dict[str, Any]] = []
    scalars = [
        [label(k), _plain(v)]
        for k, v in data.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))
    ]
    if scalars:
        out.append({"title": title, "columns": ["", ""], "rows": scalars, "pairs": True})
    for key, value in data.items():
        path = f"{title} › {label(key)}" if title else label(key)
        if isinstance(value, dict):
            out.extend(tables(value, path, label))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            columns = list(dict.fromkeys(k for row in value for k in row if k != "geometry"))
            rows = [[_plain(row.get(c)) for c in columns] for row in value]
            headers = [{"key": c, "label": label(c)} for c in columns]
            out.append({"title": path, "columns": headers, "rows": rows, "pairs": False})
    return out
