"""Hot-spot surveillance: grid counts, kernel density, local exact Poisson hot spots (or
Gi*) with FDR, emerging hot spots, candidate scenes outside the registry.

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
- :mod:`.local` — :func:`local_poisson`, the default hot-spot test: each cell's count
  within the band against the ring around it (exact conditional Poisson test, FDR);
- :mod:`.emerging` — :func:`classify_patterns`, :func:`emerging_hotspots`, emerging hot
  spots over months or quarters (trend: :func:`poisson_trend`, or :func:`mann_kendall`
  with Gi*, from :mod:`drugscenes.stats.trend`);
- :mod:`.candidates` — :func:`candidate_scenes`, :func:`candidates_far_from`,
  significant hot areas not near a registered scene;
- :mod:`.analyse` — :func:`analyse_hotspots`, all of it for one period, as the
  ``hotspots`` command runs it, and :func:`registry_check` for the ``compare`` command;
- :mod:`.simulate` — planted truths (complete spatial randomness, a dense city and a sparse
  countryside, new places, ceasing scenes) for the tests and
  ``benchmarks/bench_hotspot_detection.py``.

The default method, and why
---------------------------
``method="local-poisson"`` (:func:`local_poisson`): for each cell the incidents within
the band (and, to catch a small place in a dense city, within one cell) are tested
against each half of the ring from the band to 2 km around it (``HOTSPOT_BASELINE_M``),
by the exact conditional test of two Poisson rates (Przyborowski & Wilenski 1940;
Breslow & Day 1987, §7.2), one-sided, with the null "at most 1.5 times the rate of that
half" (``HOTSPOT_MIN_RATE_RATIO``); a cell is hot only against every half
(intersection-union, Berger 1982). Cells that could never be significant given their
window's total are not tested (Tarone 1990), and Benjamini & Hochberg (1995) control the
FDR over the tested cells (valid under the positive dependence of overlapping
neighbourhoods, Benjamini & Yekutieli 2001). Trends are the exact conditional Poisson
trend test of each neighbourhood's counts per period with the region's totals as offset
(:func:`poisson_trend`; a Poisson regression's conditional score test, Cox & Hinkley
1974), not Mann-Kendall of z-scores standardised by each month's mean.

Getis-Ord Gi* (Ord & Getis 1995) stays available (``method="gistar"``, ``--method
gistar``) but is no longer the default, for two reasons measured by the benchmark on the
real county (100 m cells, 300 m band, a year of monthly data; see
``benchmarks/bench_hotspot_detection.py``):

- its normal approximation fails when expected counts are far below one: under complete
  spatial randomness (40,000 incidents uniform over the county) Gi* reports thousands of
  FDR-significant hot cells, dozens of candidate scenes and tens of thousands of cells
  with a hot emerging pattern in *every* replication; the local test reports none;
- its null is county-wide randomness, so with crime dense in the city and thin in the
  countryside a whole city district is "hot", touches registered scenes, and a new place
  in the middle of the city is no candidate (Gi* found none of the planted city places);
  the local test compares each place with its own surroundings and found the planted
  places in the city and in the countryside, with no false candidate and none at a
  registered scene.

Kulldorff's (1997) space-time scan with a Poisson model would answer the same question
with family-wise control by Monte Carlo, at the price of hundreds of replications of the
whole grid per run; the local test is exact in one pass.

Differences from the reference tools, on purpose
-------------------------------------------------
- Gi* is the *star* statistic (the cell is its own neighbour), always; esda's ``G_Local``
  computes Gi unless ``star=True`` is given.
- Grids are clipped to the region (ArcGIS/sfhotspot grids over a bounding box add sea
  cells with zero counts, which lowers the mean and invents cold spots / inflates hot ones).
- Trends need at least 5 periods: with n periods the smallest two-sided Mann-Kendall
  p-value is 2/n! (0.083 for n = 4), so with fewer no trend can be significant at 0.05 and
  trend classes are refused instead of silently never assigned (kept for the Poisson
  trend too, so that both methods offer the same periods).
- With the local test, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_bin`` (and candidates'
  ``max_z``) keep their names and meanings: ``gi_p`` is the exact one-sided p-value of
  the side shown, ``gi_z`` its normal equivalent (a display value), ``gi_bin`` ±1..3 at
  90/95/99 % from the FDR-adjusted ``gi_q``.
- Drug offences are mostly found by police activity; every result that counts them says so.
"""

from __future__ import annotations

from drugscenes.analysis.hotspots.analyse import (
    CANDIDATE_CATEGORIES,
    METHODS,
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
from drugscenes.analysis.hotspots.local import LocalPoisson, local_poisson
from drugscenes.stats.multiple import fdr_bh
from drugscenes.stats.trend import MannKendall, PoissonTrend, mann_kendall, poisson_trend

__all__ = [
    "CANDIDATE_CATEGORIES",
    "COLD_PATTERNS",
    "HOT_PATTERNS",
    "METHODS",
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
    "LocalPoisson",
    "MannKendall",
    "Period",
    "PoissonTrend",
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
    "local_poisson",
    "make_periods",
    "mann_kendall",
    "poisson_trend",
    "registry_check",
    "rule_of_thumb_bandwidth",
]
