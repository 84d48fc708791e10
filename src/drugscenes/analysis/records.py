"""Turning result tables into JSON-ready records (the ``to_dict`` of every analysis)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def json_value(v: Any) -> Any:
    """A value JSON can hold: NumPy scalars as Python, NaN and pandas' NA as None.

    Examples
    --------
    >>> json_value(np.int64(3)), json_value(float("nan")), json_value([np.float64(1.5), pd.NA])
    (3, None, [1.5, None])
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of JSON-ready values (``columns`` present, in order)."""
    cols = list(frame.columns) if columns is None else [c for c in columns if c in frame.columns]
    return [
        {c: json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False, name=None)
    ]
