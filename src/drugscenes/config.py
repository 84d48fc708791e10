"""Every default of drugscenes, in one place.

Commands, the report, the web app and the analyses read their defaults from here, so
that a "200 m ring" means the same everywhere and is changed in one line. Each value
says what it is and where it comes from.
"""

from __future__ import annotations

TIMEZONE = "Europe/Stockholm"
"""The calendar of the days people give (``--from``/``--to``) and of monthly periods."""

RING_M = 200.0
"""Ring around a scene counted as "right next to it" (crime zones, WDQ buffer, near repeats)."""

RING_MAX_M = 50_000.0
"""Largest ring or distance band accepted: beyond it a zone is a region, not a place."""

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

KNOX_SPACE_BANDS_M: tuple[float, ...] = (100.0, 200.0, 400.0, 800.0)
"""Upper edges of the Knox test's distance bands (the first band starts at 0)."""

KNOX_TIME_BANDS_DAYS: tuple[float, ...] = (7.0, 14.0, 28.0)
"""Upper edges of the Knox test's time-lag bands (a last open band is added)."""

KNOX_PERMUTATIONS = 999
"""Monte Carlo permutations of the Knox test."""

NEARREPEAT_CATEGORY = "shooting"
"""Category of the near-repeat analysis by default."""

LARGEST_SCENES = 10
"""How many of the largest scenes the inventory lists."""

SURVEY_BAND_GRID_M = 100.0
"""Published grid of survey band edges: edges are rounded to whole multiples of it."""

SURVEY_BAND_MAX_M = 20_000.0
"""Farthest survey band edge published (the last band is open)."""
