"""Every default of drugscenes, in one place.

Commands, the report, the web app and the analyses read their defaults from here, so
that a "200 m ring" means the same everywhere and is changed in one line. Each value
says what it is and where it comes from.
"""

from __future__ import annotations

TIMEZONE = "Europe/Stockholm"
"""The calendar of the days people give (``--from``/``--to``) and of monthly periods."""

CRIME_COLUMNS = ("time", "category", "x", "y", "police_activity")
"""The incident columns the crime analyses read (the ``crime`` command starts reading them
before its job is loaded: :func:`drugscenes.store.incident_files.start_read`)."""

RING_M = 200.0
"""Ring around a scene counted as "right next to it" (crime zones, WDQ buffer, near repeats)."""

RING_MAX_M = 50_000.0
"""Largest ring or distance accepted (crime rings, WDQ buffer, near-repeat ring, displacement
and candidate distances): beyond it a zone is a region, not a place."""

RINGS_MAX_N = 20
"""Most rings of one crime analysis (one table column each)."""

DISPLACEMENT_DISTANCE_M = 1000.0
"""A new scene within this distance of a ceased or shrunk one is flagged as displacement."""

CANDIDATE_DISTANCE_M = 200.0
"""A hot area within this distance of a registered scene is not a candidate scene."""

SURVEY_BAND_EDGES_M: tuple[float, ...] = (500.0, 1000.0, 2000.0)
"""Distance bands of the safety survey (the county publishes "within 500 m")."""

NEAR_BAND_M = 500.0
"""The band the report's headline quotes ("within 500 m of a scene")."""

SURVEY_MIN_N = 30
"""Fewest respondents behind a published survey figure (smaller groups are suppressed)."""

GRID_CELL_M = 100.0
"""Hot-spot grid cell size."""

HOTSPOT_BAND_M = 300.0
"""Gi* distance band and KDE radius of the hot-spot analysis."""

GRID_CELL_MIN_M = 10.0
GRID_CELL_MAX_M = 10_000.0
"""Smallest and largest hot-spot grid cell: finer than a plot of land says nothing more
(incident coordinates are rarely better), coarser than 10 km is a municipality."""

GRID_MAX_CELLS = 10_000_000
"""Most cells of a hot-spot grid (over the region's bounding box): about 2–3 GB of memory
for one period. Choose a larger cell for a larger region."""

GRID_MAX_CELL_PERIODS = 60_000_000
"""Most grid cells times periods of the emerging hot-spot analysis (about 4–6 GB of
memory): 12 months on a 4.5-million-cell grid, or 48 months on a 1.1-million-cell one."""

BAND_MAX_M = 10_000.0
"""Widest Gi* band / KDE radius and widest Knox distance band: farther apart is not near."""

KNOX_SPACE_BANDS_M: tuple[float, ...] = (100.0, 200.0, 400.0, 800.0)
"""Upper edges of the Knox test's distance bands (the first band starts at 0)."""

KNOX_TIME_BANDS_DAYS: tuple[float, ...] = (7.0, 14.0, 28.0)
"""Upper edges of the Knox test's time-lag bands (a last open band is added)."""

KNOX_PERMUTATIONS = 999
"""Monte Carlo permutations of the Knox test."""

KNOX_MAX_PERMUTATIONS = 99_999
"""Most Monte Carlo permutations of the Knox test (p-values to 0.00001)."""

KNOX_MAX_PAIRS = 5_000_000
"""Most event pairs within the widest Knox distance band (about 0.3 GB of memory)."""

KNOX_MAX_PAIR_PERMUTATIONS = 5_000_000_000
"""Most pairs times permutations of one Knox test (a few minutes of work)."""

NEARREPEAT_CATEGORY = "shooting"
"""Category of the near-repeat analysis by default."""

LARGEST_SCENES = 10
"""How many of the largest scenes the inventory lists."""

SURVEY_BAND_GRID_M = 100.0
"""Published grid of survey band edges: edges are rounded to whole multiples of it."""

SURVEY_BAND_MAX_M = 20_000.0
"""Farthest survey band edge published (the last band is open)."""

EVALUATION_PLACEBO_MONTHS = 6
"""``evaluate``: the placebo event lies this many months before the real one (round B's
date), within the months before round A (6 fits the demo's two years of incidents; 12 is
the common choice with a longer history)."""

HOTSPOT_METHOD = "local-poisson"
"""Hot-spot test of ``hotspots``, ``compare``'s check and the report: ``"local-poisson"``
(exact local Poisson test against the ring around each cell, valid for sparse counts; see
:mod:`drugscenes.analysis.hotspots`) or ``"gistar"`` (Getis-Ord Gi*, county-wide)."""

HOTSPOT_BASELINE_M = 2000.0
"""Outer radius of the ring whose incidents give each cell's local expected count (local
Poisson method): wide enough to hold incidents in the countryside, narrow enough that a
city district is compared with its own surroundings."""

HOTSPOT_MIN_RATE_RATIO = 1.5
"""Local Poisson method: a hot spot has a rate significantly above this many times that of
every side of the ring around it (so a smooth rise of density towards a city centre is not
a place)."""
