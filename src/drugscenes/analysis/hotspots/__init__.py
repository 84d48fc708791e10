"""Hot-spot surveillance: grid counts, kernel density, Gi* with FDR, emerging hot spots,
candidate scenes outside the registry.

Everything lives on a :class:`~drugscenes.analysis.grid.Grid` aligned to SWEREF 99 TM
and clipped to the region: cells outside the region are absent, never zeros. Values are
compact arrays over the in-region cells (``grid.n_cells`` long); ``grid.raster`` expands
them to maps with NaN outside.

Verbs (one vocabulary: ``cell_m``, ``band_m``, ``period``, ``categories``), one module a
step, all importable from this package:

- :mod:`.counts` — :func:`grid_counts`, incidents per cell, category and period
  (:func:`make_periods`);
- :mod:`.density` — :func:`kde`, :func:`dual_kde`, binned FFT kernel density and the
  ratio of two densities;
- :mod:`.gistar` — :func:`gi_star`, :func:`confidence_bin`, Getis-Ord Gi* by
  convolution, two-sided p-values, Benjamini-Hochberg FDR (:func:`fdr_bh`, from
  :mod:`drugscenes.stats.multiple`) and ArcGIS-style ``Gi_Bin``;
- :mod:`.emerging` — :func:`classify_patterns`, :func:`emerging_hotspots`, emerging hot
  spots over months or quarters (trend: :func:`mann_kendall`, from
  :mod:`drugscenes.stats.trend`);
- :mod:`.candidates` — :func:`candidate_scenes`, :func:`candidates_far_from`,
  significant hot areas not near a registered scene;
- :mod:`.analyse` — :func:`analyse_hotspots`, all of it for one period, as the
  ``hotspots`` command runs it, and :func:`registry_check` for the ``compare`` command.

Differences from the reference tools, on purpose
-------------------------------------------------
- Gi* is the *star* statistic (the cell is its own neighbour), always; esda's ``G_Local``
  computes Gi unless ``star=True`` is given.
- Grids are clipped to the region (ArcGIS/sfhotspot grids over a bounding box add sea
  cells with zero counts, which lowers the mean and invents cold spots / inflates hot ones).
- Mann-Kendall trends need at least 5 periods: with n periods the smallest two-sided
  p-value is 2/n! (0.083 for n = 4), so with fewer no trend can be significant at 0.05 and
  trend classes are refused instead of silently never assigned.
- Drug offences are mostly found by police activity; every result that counts them says so.
"""

from __future__ import annotations

from drugscenes.analysis.hotspots.analyse import (
    CANDIDATE_CATEGORIES,
    POLICE_ACTIVITY_NOTE,
    HotspotAnalysis,
    RegistryCheck,
    analyse_hotspots,
    registry_check,
)
from drugscenes.analysis.hotspots.candidates import (
    CandidateScenes,
    candidate_scenes,
    candidates_far_from,
)
from drugscenes.analysis.hotspots.counts import GridCounts, Period, grid_counts, make_periods
from drugscenes.analysis.hotspots.density import (
    DualKDE,
    KDEResult,
    dual_kde,
    kde,
    rule_of_thumb_bandwidth,
)
from drugscenes.analysis.hotspots.emerging import (
    COLD_PATTERNS,
    HOT_PATTERNS,
    MIN_TREND_PERIODS,
    NO_PATTERN,
    EmergingHotSpots,
    classify_patterns,
    emerging_hotspots,
)
from drugscenes.analysis.hotspots.gistar import GiStar, band_kernel, confidence_bin, gi_star
from drugscenes.stats.multiple import fdr_bh
from drugscenes.stats.trend import MannKendall, mann_kendall

__all__ = [
    "CANDIDATE_CATEGORIES",
    "COLD_PATTERNS",
    "HOT_PATTERNS",
    "MIN_TREND_PERIODS",
    "NO_PATTERN",
    "POLICE_ACTIVITY_NOTE",
    "CandidateScenes",
    "DualKDE",
    "EmergingHotSpots",
    "GiStar",
    "GridCounts",
    "HotspotAnalysis",
    "KDEResult",
    "MannKendall",
    "Period",
    "RegistryCheck",
    "analyse_hotspots",
    "band_kernel",
    "candidate_scenes",
    "candidates_far_from",
    "classify_patterns",
    "confidence_bin",
    "dual_kde",
    "emerging_hotspots",
    "fdr_bh",
    "gi_star",
    "grid_counts",
    "kde",
    "make_periods",
    "mann_kendall",
    "registry_check",
    "rule_of_thumb_bandwidth",
]
