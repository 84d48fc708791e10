"""Incidents per grid cell, category and calendar period: the counting step of the
hot-spot analysis.

:func:`make_periods` cuts ``[start, end)`` into whole calendar months or quarters
(:class:`Period`); :func:`grid_counts` counts incidents per in-region cell of a
:class:`~drugscenes.analysis.grid.Grid`, category and period (:class:`GridCounts`).
The grid itself (alignment, clipping to the region) is :mod:`drugscenes.analysis.grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from drugscenes.analysis.crime import check_incidents
from drugscenes.analysis.grid import Grid
from drugscenes.errors import UsageError
from drugscenes.periods import local_midnight
from drugscenes.times import to_utc

__all__ = ["GridCounts", "Period", "count_dtype", "grid_counts", "make_periods"]


@dataclass(frozen=True)
class Period:
    """A time step ``[start, end)`` in UTC, labelled ``2023-01`` (month) or ``2023Q1``."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp


def _ns(times: pd.Series) -> NDArray[np.int64]:
    """Nanoseconds since the epoch (UTC) of a time column; naive values are UTC."""
    t = pd.to_datetime(times, utc=True).dt.tz_convert(None)
    return t.to_numpy().astype("datetime64[ns]").view(np.int64)


def count_dtype(most: int) -> np.dtype[np.signedinteger]:
    """The smallest of int16, int32 and int64 that holds counts up to ``most``.

    Examples
    --------
    >>> str(count_dtype(7_607)), str(count_dtype(40_000)), str(count_dtype(2**40))
    ('int16', 'int32', 'int64')
    """
    for dt in (np.int16, np.int32):
        if most <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


def make_periods(
    start: str | pd.Timestamp, end: str | pd.Timestamp, period: Literal["month", "quarter"]
) -> list[Period]:
    """Calendar months or quarters exactly covering ``[start, end)``.

    The calendar is that of ``start``'s timezone (``Europe/Stockholm`` for local days),
    UTC when ``start`` is naive; the periods' bounds are returned in UTC. Raises
    UsageError when ``start``/``end`` do not fall on period boundaries: a partial first
    or last period would have fewer incidents and fake a trend.

    Examples
    --------
    >>> [p.label for p in make_periods("2023-01-01", "2023-07-01", "quarter")]
    ['2023Q1', '2023Q2']
    """
    if period not in ("month", "quarter"):
        raise UsageError(f"period must be 'month' or 'quarter', got {period!r}")
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    tz = _calendar(start)
    freq = "M" if period == "month" else "Q"
    naive_s, naive_e = s.tz_convert(tz).tz_localize(None), e.tz_convert(tz).tz_localize(None)
    first = naive_s.to_period(freq)
    last = (naive_e - pd.Timedelta(1, "ns")).to_period(freq)
    if first.start_time != naive_s or (last + 1).start_time != naive_e:
        day = pd.Timedelta(days=1)
        raise UsageError(
            f"{period}ly periods need whole {period}s: the period must start on the first "
            f"day of a {period} and end on the last day of one (got {naive_s.date()} – "
            f"{(naive_e - pd.Timedelta(1, 'ns')).date()}, days included; e.g. "
            f"{first.start_time.date()} – {((last + 1).start_time - day).date()}): a partial "
            f"{period} would fake a trend"
        )
    out = []
    for p in pd.period_range(first, last, freq=freq):
        label = str(p) if period == "month" else f"{p.year}Q{p.quarter}"
        bounds = (p.start_time, (p + 1).start_time)
        out.append(Period(label, *(local_midnight(b, tz).tz_convert("UTC") for b in bounds)))
    return out


def _calendar(start: str | pd.Timestamp) -> object:
    """Timezone whose calendar the periods follow: ``start``'s own, else UTC."""
    ts = pd.Timestamp(start)
    return ts.tz if ts.tzinfo is not None else "UTC"


@dataclass(frozen=True, eq=False)
class GridCounts:
    """Incidents per in-region cell, category and period (result of :func:`grid_counts`).

    Attributes
    ----------
    grid : Grid
    categories : tuple of str
    periods : tuple of Period
        One period ``[start, end)`` when counted without periods.
    counts : ndarray of int, shape (n_categories, n_periods, grid.n_cells)
        int64, or with ``grid_counts(..., small=True)`` the smallest type that holds them.
    n_incidents : ndarray of int64, shape (n_categories,)
        Incidents of each category in ``[start, end)``.
    n_outside : ndarray of int64, shape (n_categories,)
        Of those, incidents in no in-region cell (sea, outside the county): not counted.
    """

    grid: Grid
    categories: tuple[str, ...]
    periods: tuple[Period, ...]
    counts: NDArray[np.integer]
    n_incidents: NDArray[np.int64]
    n_outside: NDArray[np.int64]

    def total(self, categories: Sequence[str] | None = None) -> NDArray[np.int64]:
        """Counts summed over ``categories`` (default all): shape (n_periods, n_cells)."""
        cats = self.categories if categories is None else tuple(categories)
        unknown = set(cats) - set(self.categories)
        if unknown:
            raise UsageError(f"categories {sorted(unknown)} were not counted")
        idx = [self.categories.index(c) for c in cats]
        return self.counts[idx].sum(axis=0)

    def to_frame(self, nonzero: bool = False) -> pd.DataFrame:
        """Long table ``cell_id``, ``x``, ``y`` (centre), ``category``, ``period``, ``count``.

        Only in-region cells appear; with ``nonzero`` only cells with incidents.
        """
        c, p, n = self.counts.shape
        cx, cy = self.grid.centres()
        ids = self.grid.cell_ids()
        frame = pd.DataFrame(
            {
                "cell_id": np.tile(ids, c * p),
                "x": np.tile(cx, c * p),
                "y": np.tile(cy, c * p),
                "category": np.repeat(np.array(self.categories, dtype=object), p * n),
                "period": np.tile(np.repeat([q.label for q in self.periods], n), c),
                "count": self.counts.ravel(),
            }
        )
        return frame[frame["count"] > 0].reset_index(drop=True) if nonzero else frame


def grid_counts(
    grid: Grid,
    incidents: pd.DataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    categories: Sequence[str] | None = None,
    period: Literal["month", "quarter"] | None = None,
    total: bool = False,
    small: bool = False,
) -> GridCounts:
    """Count incidents per in-region cell, category and period.

    Parameters
    ----------
    grid : Grid
        From :func:`~drugscenes.analysis.grid.make_grid`.
    incidents : DataFrame
        ``time`` (UTC), ``category``, ``x``, ``y`` (EPSG:3006).
    start, end : str or Timestamp
        The period ``[start, end)``; naive values are UTC.
    categories : sequence of str, optional
        Categories to count (default: every category present in ``incidents``).
        A name that no incident carries raises UsageError listing those that exist.
    period : {"month", "quarter"}, optional
        Split into calendar periods (see :func:`make_periods`); default one period.
    total : bool, default False
        Count the categories together: one category named by the categories joined with
        ``+`` (``counts[0]`` equals ``GridCounts.total()`` of the counts by category, in a
        category's share of the memory).
    small : bool, default False
        Counts in the smallest integer type that holds them (:func:`count_dtype` of the
        incidents counted: int16 below 32,768), counted a period at a time: a year of
        monthly counts on a county grid in a quarter of the memory of int64.

    Returns
    -------
    GridCounts

    Examples
    --------
    >>> from drugscenes.analysis.grid import make_grid
    >>> import shapely
    >>> g = make_grid(shapely.box(0, 0, 300, 200), cell_m=100)
    >>> inc = pd.DataFrame({"time": ["2023-01-05", "2023-02-07", "2023-02-08"],
    ...     "category": ["violence"] * 3, "x": [50.0, 150, 160], "y": [50.0, 50, 60]})
    >>> gc = grid_counts(g, inc, "2023-01-01", "2023-03-01", period="month")
    >>> gc.counts[0].tolist()
    [[1, 0, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0]]
    """
    check_incidents(incidents)
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    periods = make_periods(start, end, period) if period is not None else [Period("all", s, e)]
    cat_all = incidents["category"].astype(str).to_numpy()
    known = sorted(set(np.unique(cat_all).tolist()))
    cats = tuple(known if categories is None else dict.fromkeys(categories))
    unknown = [c for c in cats if c not in known]
    if unknown:
        raise UsageError(
            f"no incident has the category {', '.join(map(repr, unknown))}; "
            f"categories in the data: {', '.join(known) or '(none)'}"
        )
    t = _ns(incidents["time"])
    in_time = (t >= s.value) & (t < e.value)
    code = pd.Index(list(cats)).get_indexer(cat_all).astype(np.int64)
    keep = in_time & (code >= 0)
    starts = np.array([p.start.value for p in periods], dtype=np.int64)
    per = np.searchsorted(starts, t[keep], side="right") - 1
    cell = grid.locate(incidents["x"].to_numpy()[keep], incidents["y"].to_numpy()[keep])
    ck = code[keep]
    n_cat, n_per, n = len(cats), len(periods), grid.n_cells
    n_inc = np.bincount(ck, minlength=n_cat).astype(np.int64)
    inside = cell >= 0
    n_out = np.bincount(ck[~inside], minlength=n_cat).astype(np.int64)
    if total:  # the categories summed: one (periods, cells) array, not one per category
        slab = per[inside]
        cats = ("+".join(cats),)
        n_inc, n_out = n_inc.sum(keepdims=True), n_out.sum(keepdims=True)
        n_slab = n_per
    else:
        slab = ck[inside] * n_per + per[inside]
        n_slab = n_cat * n_per
    if small:
        counts = _slab_counts(slab, cell[inside], n_slab, n)
    else:
        counts = np.bincount(slab * n + cell[inside], minlength=n_slab * n)
        counts = counts.astype(np.int64, copy=False)  # bincount's intp: int64 here, no copy
    return GridCounts(grid, cats, tuple(periods), counts.reshape(-1, n_per, n), n_inc, n_out)


def _slab_counts(
    slab: NDArray[np.int64], cell: NDArray[np.int64], n_slab: int, n: int
) -> NDArray[np.integer]:
    """Points per (slab, cell) in the smallest type that holds them, shape (n_slab, n):
    one slab (category and period) at a time, so no int64 array of them all is made."""
    out = np.zeros((n_slab, n), count_dtype(slab.size))
    order = np.argsort(slab, kind="stable")
    bounds = np.searchsorted(slab[order], np.arange(n_slab + 1))
    for k in range(n_slab):
        out[k] = np.bincount(cell[order[bounds[k] : bounds[k + 1]]], minlength=n)
    return out
