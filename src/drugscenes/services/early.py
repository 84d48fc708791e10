"""What a job can start before its own modules load.

A command spends its first half second importing pandas and GeoPandas, holding the GIL
all along. Work that needs neither can run beside that import on the machine's other
core: Arrow reading the period's incidents (without the GIL) and the import of the
statistics modules the job ends with. This module loads neither pandas nor the job, so
an edge can call it first; the job itself asks for the same things again and gets the
table read early (:func:`drugscenes.store.incident_files.start_read`) and the modules
loaded (:func:`drugscenes.stats.preload.preload`), or does the work itself.
"""

from __future__ import annotations

from pathlib import Path

from drugscenes import config
from drugscenes.stats.preload import preload
from drugscenes.store import incident_files

__all__ = ["CRIME_STATS", "start_crime"]

CRIME_STATS = ("drugscenes.stats.poisson", "drugscenes.stats.proportions")
"""The modules of the crime job's tests (they load :mod:`scipy.special`)."""


def start_crime(workspace: str | Path, first_day: str, last_day: str) -> None:
    """Start what :func:`drugscenes.services.crime.crime` will need for the days
    ``first_day`` .. ``last_day`` of ``workspace``: the read of the incidents (a
    GeoPackage workspace only) and the import of its statistics modules, each on a thread.
    Nothing is decided here: a wrong day or workspace is the job's to report."""
    incident_files.start_read(workspace, first_day, last_day, config.CRIME_COLUMNS)
    preload(*CRIME_STATS)
