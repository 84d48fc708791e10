"""Hot spots of incidents, emerging trends and candidate scenes outside the registry.

One job, :func:`hotspots`: the stored incidents of a period against a round's registered
scenes, analysed by :func:`~drugscenes.analysis.hotspots.analyse_hotspots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from drugscenes import config
from drugscenes.analysis.hotspots import (
    CANDIDATE_CATEGORIES,
    METHODS,
    HotspotAnalysis,
    analyse_hotspots,
)
from drugscenes.errors import UsageError
from drugscenes.periods import Period
from drugscenes.services.common import Progress, check_number, quiet, read_period
from drugscenes.store import Store

__all__ = ["STEPS", "hotspots"]

STEPS = ("month", "quarter")
"""Time steps of the emerging hot-spot analysis (None: no emerging analysis)."""


def hotspots(
    store: Store,
    *,
    round_label: str,
    period: Period,
    categories: Sequence[str] | None = None,
    cell_m: float = config.GRID_CELL_M,
    band_m: float = config.HOTSPOT_BAND_M,
    step: Literal["month", "quarter"] | None = "month",
    distance_m: float = config.CANDIDATE_DISTANCE_M,
    fdr: bool = True,
    method: str = config.HOTSPOT_METHOD,
    progress: Progress | None = None,
) -> HotspotAnalysis:
    """Hot spots of a period's incidents and candidate scenes away from a round's registry.

    Parameters
    ----------
    store : Store
        An open workspace with incidents.
    round_label : str
        Round whose registered scenes are not candidates.
    period : Period
        The days analysed (Swedish local days, both included; months and quarters of
        the emerging analysis follow the Swedish calendar).
    categories : sequence of str, optional
        Categories combined into one count; default
        :data:`~drugscenes.analysis.hotspots.CANDIDATE_CATEGORIES`.
    cell_m, band_m : float
        Grid cell size; Gi* distance band and KDE radius.
    step : {"month", "quarter"} or None
        Time steps of the emerging hot-spot analysis (at least 5 are needed); None for
        none.
    distance_m : float
        A hot area within this distance of a registered scene is not a candidate.
    fdr : bool
        Bins from FDR-adjusted p-values (else raw ones).
    method : {"local-poisson", "gistar"}
        The hot-spot test (default :data:`~drugscenes.config.HOTSPOT_METHOD`).
    progress : callable, optional
        Told what the job is doing.

    Raises
    ------
    NotFoundError
        No such round.
    DataError
        No incidents in the period, or none of the categories.
    UsageError
        An unknown step, a cell, band or distance out of bounds
        (:data:`~drugscenes.config.GRID_CELL_MIN_M` .. :data:`~drugscenes.config.GRID_CELL_MAX_M`,
        :data:`~drugscenes.config.BAND_MAX_M`, :data:`~drugscenes.config.RING_MAX_M`), a band
        smaller than a cell, a grid or a grid of periods too large
        (:data:`~drugscenes.config.GRID_MAX_CELLS`,
        :data:`~drugscenes.config.GRID_MAX_CELL_PERIODS`), ...
    """
    tell = progress or quiet
    if method not in METHODS:
        raise UsageError(f"method must be one of {', '.join(METHODS)}, got '{method}'")
    if step is not None and step not in STEPS:
        raise UsageError(f"step must be one of {', '.join(STEPS)} or None, got '{step}'")
    cell_m = check_number(
        cell_m,
        "--cell",
        low=config.GRID_CELL_MIN_M,
        low_included=True,
        high=config.GRID_CELL_MAX_M,
    )
    band_m = check_number(band_m, "--band", high=config.BAND_MAX_M)
    if band_m < cell_m:
        raise UsageError(
            f"--band: {band_m:g} m is smaller than a cell (--cell {cell_m:g} m): no cell would "
            "have a neighbour; give a band of at least one cell"
        )
    distance_m = check_number(distance_m, "--distance", low_included=True, high=config.RING_MAX_M)
    municipalities = store.municipalities()
    scenes = store.round_scenes(round_label)
    tell(f"reading incidents {period}")
    incidents = read_period(store, period, ["time", "category", "x", "y"])
    tell(f"analysing {len(incidents):,} incidents")
    return analyse_hotspots(
        incidents,
        municipalities,
        scenes,
        period.start,
        period.end,
        categories=tuple(categories) if categories else CANDIDATE_CATEGORIES,
        cell_m=cell_m,
        band_m=band_m,
        period=step,
        distance_m=distance_m,
        fdr=fdr,
        round_label=round_label,
        method=method,
    )
