"""The whole hot-spot analysis of one period, as the ``hotspots`` command runs it
(:func:`analyse_hotspots`, :class:`HotspotAnalysis`), and the check of the registry
against it that the ``compare`` command runs (:func:`registry_check`,
:class:`RegistryCheck`).

Drug offences are mostly found by police activity; every result that counts them says so
(:data:`POLICE_ACTIVITY_NOTE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from drugscenes import config
from drugscenes.analysis.crime import check_incidents
from drugscenes.analysis.grid import Grid, make_grid
from drugscenes.analysis.hotspots.candidates import (
    CandidateScenes,
    CandidateStory,
    candidate_scenes,
    candidates_far_from,
    classify_candidates,
)
from drugscenes.analysis.hotspots.counts import GridCounts, _ns, grid_counts, make_periods
from drugscenes.analysis.hotspots.density import KDEResult, kde
from drugscenes.analysis.hotspots.emerging import (
    MIN_TREND_PERIODS,
    EmergingHotSpots,
    emerging_hotspots,
)
from drugscenes.analysis.hotspots.gistar import GiStar, gi_star
from drugscenes.analysis.hotspots.local import LocalPoisson, local_poisson
from drugscenes.errors import DataError, UsageError
from drugscenes.times import to_utc

__all__ = [
    "CANDIDATE_CATEGORIES",
    "METHODS",
    "POLICE_ACTIVITY_NOTE",
    "HotspotAnalysis",
    "RegistryCheck",
    "analyse_hotspots",
    "registry_check",
]

CANDIDATE_CATEGORIES = ("drug offence", "violence", "shooting")
"""Categories whose concentration marks a possible open drug scene (default of the command)."""

METHODS = ("local-poisson", "gistar")
"""Hot-spot tests: the local exact Poisson test (default) and Getis-Ord Gi*."""

POLICE_ACTIVITY_NOTE = (
    "Drug offences are mostly recorded through police activity: more patrols at a place "
    "produce more recorded drug crime. Their hot spots show where the police look as much "
    "as where drugs are sold; do not read them like reported crimes."
)


@dataclass(frozen=True, eq=False)
class HotspotAnalysis:
    """Hot-spot surveillance of one period (result of :func:`analyse_hotspots`).

    Attributes
    ----------
    round_label : str
        Round whose registered scenes were excluded.
    start, end : Timestamp
    categories : tuple of str
        Categories combined into the analysed counts.
    cell_m, band_m : float
    grid : Grid
    counts : GridCounts
        By category, one period.
    total : ndarray, shape (n_cells,)
        Counts of the combined categories.
    gi : LocalPoisson or GiStar
        The hot-spot test of ``total`` (``method``): its ``z``, ``p``, ``q``, ``bin`` are
        the cells' ``gi_*`` columns whatever the method.
    density : KDEResult
        Quartic KDE of the combined categories, bandwidth = ``band_m``.
    emerging : EmergingHotSpots or None
    trend_note : str or None
        Why there is no emerging analysis, when there is none.
    candidates : CandidateScenes
    notes : tuple of str
        Messages for the reader (police activity, incidents outside the region, …).
    """

    round_label: str
    start: pd.Timestamp
    end: pd.Timestamp
    categories: tuple[str, ...]
    cell_m: float
    band_m: float
    grid: Grid
    counts: GridCounts
    total: NDArray[np.int64]
    gi: GiStar | LocalPoisson
    density: KDEResult
    emerging: EmergingHotSpots | None
    trend_note: str | None
    candidates: CandidateScenes
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def method(self) -> str:
        """``"local-poisson"`` or ``"gistar"``."""
        return getattr(self.gi, "method", "gistar")

    def cells(self) -> gpd.GeoDataFrame:
        """In-region cells with ``count``, ``density_km2``, ``gi_z``, ``gi_p``, ``gi_q``,
        ``gi_bin`` (the chosen method's; with the local Poisson test also ``observed``,
        ``expected`` and ``rate_ratio`` within the band) and, with periods, ``pattern``,
        ``trend_tau``, ``trend_p``."""
        cols: dict[str, ArrayLike] = {
            "count": self.total,
            "density_km2": self.density.density * 1e6,
            "gi_z": self.gi.z,
            "gi_p": self.gi.p,
            "gi_q": self.gi.q,
            "gi_bin": self.gi.bin,
        }
        if isinstance(self.gi, LocalPoisson):
            cols["observed"] = self.gi.observed
            cols["expected"] = self.gi.expected
            cols["rate_ratio"] = self.gi.rate_ratio
        if self.emerging is not None:
            cols["pattern"] = self.emerging.pattern
            cols["trend_tau"] = self.emerging.trend.tau
            cols["trend_p"] = self.emerging.trend.p
        return self.grid.to_frame(**cols)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: parameters, totals, bins, patterns, candidates, notes."""
        bins, nb = np.unique(self.gi.bin, return_counts=True)
        by_bin = {int(b): 0 for b in range(-3, 4)}
        by_bin.update({int(b): int(c) for b, c in zip(bins, nb, strict=True)})
        local = (
            {**self.gi.parameters(), "n_tested_cells": int(self.gi.tested_hot.sum())}
            if isinstance(self.gi, LocalPoisson)
            else None
        )
        return {
            "method": self.method,
            "local_test": local,
            "round": self.round_label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "categories": list(self.categories),
            "cell_m": self.cell_m,
            "band_m": self.band_m,
            "fdr": self.gi.fdr,
            "n_cells_in_region": self.grid.n_cells,
            "incidents": {
                c: {"in_period": int(n), "outside_region": int(o)}
                for c, n, o in zip(
                    self.counts.categories,
                    self.counts.n_incidents,
                    self.counts.n_outside,
                    strict=True,
                )
            },
            "n_analysed": int(self.total.sum()),
            "cells_by_gi_bin": {str(k): v for k, v in by_bin.items()},
            "density": self.density.to_dict(),
            "emerging": None if self.emerging is None else self.emerging.to_dict(),
            "trend_note": self.trend_note,
            "candidates": self.candidates.to_dict(),
            "notes": list(self.notes),
        }


def analyse_hotspots(
    incidents: pd.DataFrame,
    region: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    categories: Sequence[str] = CANDIDATE_CATEGORIES,
    cell_m: float = 100.0,
    band_m: float = 300.0,
    period: Literal["month", "quarter"] | None = "month",
    distance_m: float = 200.0,
    alpha: float = 0.05,
    fdr: bool = True,
    min_bin: int = 2,
    min_count: int = 5,
    round_label: str = "",
    method: str = config.HOTSPOT_METHOD,
    baseline_m: float = config.HOTSPOT_BASELINE_M,
    min_ratio: float = config.HOTSPOT_MIN_RATE_RATIO,
) -> HotspotAnalysis:
    """Counts, density, hot spots, emerging hot spots and candidate scenes for one period.

    The hot-spot test is ``method``: ``"local-poisson"`` (default,
    :func:`~drugscenes.analysis.hotspots.local.local_poisson`: each cell's counts within
    the band against the ring up to ``baseline_m`` around it, exact for sparse counts) or
    ``"gistar"`` (:func:`gi_star`, county-wide). See the package docstring for the choice.

    The categories are combined (summed) into one count per cell. The test and the candidates
    use the whole period ``[start, end)``; the emerging analysis splits it into months or
    quarters. With fewer than :data:`MIN_TREND_PERIODS` periods (or ``period=None``) there
    is no emerging analysis and ``trend_note`` says why; the rest is still computed.

    Parameters
    ----------
    incidents : DataFrame
        ``time``, ``category``, ``x``, ``y`` (EPSG:3006).
    region : GeoDataFrame
        The municipalities (``code``, geometry) in EPSG:3006.
    scenes : GeoDataFrame
        Registered scenes of the round.
    start, end : str or Timestamp
        ``[start, end)``, UTC.
    categories : sequence of str
        Default :data:`CANDIDATE_CATEGORIES`; only those present in the data are used.
    cell_m, band_m, period, distance_m, alpha, fdr, min_bin, min_count
        See :func:`make_grid`, :func:`gi_star`, :func:`emerging_hotspots`,
        :func:`candidate_scenes`.
    round_label : str
        Recorded in the result.
    method : {"local-poisson", "gistar"}
    baseline_m, min_ratio : float
        Of the local Poisson test (see :func:`local_poisson`).

    Raises
    ------
    DataError
        No incident of the categories in the period inside the region.
    UsageError
        A cell larger than the region, a band smaller than a cell, unaligned periods, …
    """
    check_incidents(incidents)
    if method not in METHODS:
        raise UsageError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not categories:
        raise UsageError("give at least one category")
    s, e = to_utc(start), to_utc(end)
    if e <= s:
        raise UsageError(f"the end ({e.date()}) must be after the start ({s.date()})")
    if not (math.isfinite(band_m) and band_m >= cell_m):
        raise UsageError(
            f"the band ({band_m:g} m) is smaller than a cell ({cell_m:g} m): no cell would "
            "have a neighbour; use a band of at least one cell"
        )
    periods = make_periods(start, end, period) if period is not None else None
    present = set(incidents["category"].astype(str).unique().tolist())
    used = tuple(c for c in dict.fromkeys(categories) if c in present)
    notes: list[str] = []
    missing = [c for c in dict.fromkeys(categories) if c not in present]
    if missing:
        notes.append(f"no incidents at all of: {', '.join(missing)}")
    if not used:
        raise DataError(
            f"no incidents of {', '.join(categories)} in the data; categories present: "
            f"{', '.join(sorted(present)) or '(none)'}"
        )
    grid = make_grid(region, cell_m)
    if periods is not None and len(periods) >= MIN_TREND_PERIODS:
        _check_cell_periods(grid, len(periods), period)
    counts = grid_counts(grid, incidents, s, e, categories=used, small=True)
    total = counts.total()[0]
    if total.sum() == 0:
        raise DataError(
            f"no incidents of {', '.join(used)} inside the region in {_days(start, end)}: "
            "nothing to analyse (a map would be empty, not a finding)"
        )
    out = int(counts.n_outside.sum())
    if out:
        notes.append(f"{out} incident(s) lie outside the region's cells and are not counted")
    if "drug offence" in used:
        notes.append(POLICE_ACTIVITY_NOTE)
    gi: GiStar | LocalPoisson
    if method == "gistar":
        gi = gi_star(grid, total, band_m, fdr=fdr)
    else:
        if baseline_m < 2 * band_m:
            notes.append(
                f"the ring of the local test reaches {2 * band_m:g} m instead of "
                f"{baseline_m:g} m: at least twice the band"
            )
            baseline_m = 2 * band_m
        gi = local_poisson(
            grid, total, band_m, baseline_m=baseline_m, min_ratio=min_ratio, alpha=alpha, fdr=fdr
        )
    t = _ns(incidents["time"])
    sel = (t >= s.value) & (t < e.value) & incidents["category"].astype(str).isin(used).to_numpy()
    density = kde(
        grid, incidents["x"].to_numpy()[sel], incidents["y"].to_numpy()[sel], bandwidth_m=band_m
    )
    emerging: EmergingHotSpots | None = None
    trend_note: str | None = None
    if periods is None:
        trend_note = "no periods asked for: no emerging hot-spot analysis"
    elif len(periods) < MIN_TREND_PERIODS:
        n = len(periods)
        trend_note = (
            f"only {n} {period}(s) in {_days(start, end)}: with n periods the smallest "
            f"two-sided Mann-Kendall p-value is 2/n! ({2 / math.factorial(n):.3f} here), so "
            f"no trend can be significant at 0.05; trend classes need at least "
            f"{MIN_TREND_PERIODS} periods"
        )
    else:
        per = grid_counts(
            grid, incidents, start, end, categories=used, period=period, total=True, small=True
        ).counts[0]
        emerging = emerging_hotspots(
            grid,
            per,
            periods,
            band_m,
            alpha=alpha,
            fdr=fdr,
            method=method,
            baseline_m=baseline_m,
            min_ratio=min_ratio,
        )
        if emerging.empty_periods:
            notes.append(
                "periods without incidents (taken as no hot or cold spot): "
                + ", ".join(emerging.empty_periods)
            )
    cands = candidate_scenes(
        grid,
        total,
        gi,
        scenes,
        distance_m=distance_m,
        min_bin=min_bin,
        min_count=min_count,
        emerging=emerging,
        municipalities=region if "code" in region.columns else None,
    )
    return HotspotAnalysis(
        round_label=round_label,
        start=s,
        end=e,
        categories=used,
        cell_m=float(cell_m),
        band_m=float(band_m),
        grid=grid,
        counts=counts,
        total=total,
        gi=gi,
        density=density,
        emerging=emerging,
        trend_note=trend_note,
        candidates=cands,
        notes=tuple(notes),
    )


def _days(start: str | pd.Timestamp, end: str | pd.Timestamp) -> str:
    """``[start, end)`` as the calendar days it covers, in ``start``'s timezone (UTC when
    naive): ``2023-01-01 – 2023-03-31``."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    if s.tzinfo is not None:
        e = e.tz_convert(s.tz) if e.tzinfo is not None else e.tz_localize("UTC").tz_convert(s.tz)
    elif e.tzinfo is not None:
        e = e.tz_convert("UTC").tz_localize(None)
    return f"{s.date()} – {(e - pd.Timedelta(1, 'ns')).date()}"


def _fitting_cell(region: gpd.GeoDataFrame, cell_m: float, n_periods: int) -> float:
    """``cell_m``, or the smallest multiple of 10 m above it whose grid over the region's
    bounding box keeps within :data:`~drugscenes.config.GRID_MAX_CELLS` and, with
    ``n_periods`` periods of an emerging analysis (at least
    :data:`~drugscenes.analysis.hotspots.emerging.MIN_TREND_PERIODS`), within
    :data:`~drugscenes.config.GRID_MAX_CELL_PERIODS`."""
    minx, miny, maxx, maxy = (float(v) for v in region.total_bounds)
    allowed = config.GRID_MAX_CELLS
    if n_periods >= MIN_TREND_PERIODS:
        allowed = min(allowed, config.GRID_MAX_CELL_PERIODS // n_periods)
    cell = float(cell_m)
    while ((maxx - minx) / cell + 2) * ((maxy - miny) / cell + 2) > allowed:
        cell = math.ceil(cell * 1.2 / 10) * 10.0
    return cell


def _check_cell_periods(grid: Grid, n_periods: int, period: str | None) -> None:
    """Refuse an emerging analysis larger than
    :data:`~drugscenes.config.GRID_MAX_CELL_PERIODS` (its memory grows with cells × periods)."""
    cells = grid.nx * grid.ny
    if cells * n_periods > config.GRID_MAX_CELL_PERIODS:
        raise UsageError(
            f"{n_periods} {period}s on a grid of {cells:,} cells of {grid.cell_m:g} m are "
            f"{cells * n_periods:,} cell-periods (at most {config.GRID_MAX_CELL_PERIODS:,}): "
            "choose a larger cell (--cell), a shorter period, quarters (--period quarter) or "
            "no emerging analysis (--period none)"
        )


@dataclass(frozen=True, eq=False)
class RegistryCheck:
    """Hot areas outside the registry, and those of them far from every ceased scene.

    Attributes
    ----------
    analysis : HotspotAnalysis
        The hot-spot analysis of the period (candidates in ``analysis.candidates``).
    elsewhere : GeoDataFrame
        Candidates farther than ``distance_m`` from every ceased scene: places where a
        new scene may have appeared elsewhere, not displaced from a worked-away one.
    distance_m : float
    start, end : Timestamp
        The period ``[start, end)`` as given (e.g. Swedish local days).
    story : CandidateStory or None
        The candidates split into crime remaining at worked-away scenes (by scene name)
        and new places (``new_places`` are the rows of ``elsewhere``), by
        :func:`~drugscenes.analysis.hotspots.candidates.classify_candidates`.
    """

    analysis: HotspotAnalysis
    elsewhere: gpd.GeoDataFrame
    distance_m: float
    start: pd.Timestamp
    end: pd.Timestamp
    story: CandidateStory | None = None

    def to_dict(self) -> dict[str, Any]:
        cols = [c for c in self.elsewhere.columns if c != "geometry"]
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "categories": list(self.analysis.categories),
            "n_candidates": len(self.analysis.candidates.candidates),
            "distance_m": self.distance_m,
            "candidates_elsewhere": pd.DataFrame(self.elsewhere[cols]).to_dict("records"),
            # Added keys: crime remaining at worked-away scenes, and the new places.
            "candidate_story": None if self.story is None else self.story.to_dict(),
        }


def registry_check(
    incidents: pd.DataFrame,
    region: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    ceased: gpd.GeoDataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    distance_m: float = 1000.0,
    round_label: str = "",
    method: str = config.HOTSPOT_METHOD,
) -> RegistryCheck:
    """Back "no new scenes elsewhere" with data.

    Runs :func:`analyse_hotspots` with its defaults on the period (monthly trends when
    the period is whole months, none otherwise) against the later round's registered
    scenes, then keeps the candidates farther than ``distance_m`` (the displacement
    distance of :func:`drugscenes.analysis.change.compare_rounds`) from every ceased
    scene of the earlier round (:func:`candidates_far_from`).

    A region or a period too large for the default grid within the bounds of
    :data:`~drugscenes.config.GRID_MAX_CELLS` and
    :data:`~drugscenes.config.GRID_MAX_CELL_PERIODS` gets larger cells (and a band of at
    least one cell), said in the analysis' notes, rather than no check.
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)  # keep their timezone: it is the calendar
    whole_months = s == s.normalize() and e == e.normalize() and s.day == 1 and e.day == 1
    n_months = len(make_periods(s, e, "month")) if whole_months else 0
    cell = _fitting_cell(region, config.GRID_CELL_M, n_months)
    analysis = analyse_hotspots(
        incidents,
        region,
        scenes,
        s,
        e,
        cell_m=cell,
        band_m=max(config.HOTSPOT_BAND_M, cell),
        period="month" if whole_months else None,
        round_label=round_label,
        method=method,
    )
    if cell > config.GRID_CELL_M:
        note = (
            f"cells of {cell:g} m instead of {config.GRID_CELL_M:g} m, so that the grid over "
            "the region and its months stay within the memory bounds"
        )
        analysis = replace(analysis, notes=(*analysis.notes, note))
    elsewhere = candidates_far_from(analysis.candidates, ceased, distance_m)
    story = classify_candidates(
        analysis.candidates, ceased, distance_m, scenes=scenes, municipalities=region
    )
    return RegistryCheck(analysis, elsewhere, distance_m, s, e, story)
