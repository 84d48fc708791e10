"""What a report is made of: its options, the results it shows, its sections, its files.

:func:`drugscenes.services.report.report` runs the jobs (inventory, compare, history,
crime, survey) and collects their typed results in one :class:`ReportData`; the
renderer (:func:`drugscenes.report.build.render`) only formats a ReportData into HTML,
Excel and GeoPackage. It computes no figure of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from markupsafe import Markup

from drugscenes import config
from drugscenes.analysis.crime import CrimeResult
from drugscenes.analysis.hotspots import RegistryCheck
from drugscenes.analysis.story import ReportStory
from drugscenes.analysis.survey import SurveyResult
from drugscenes.periods import Period
from drugscenes.report.csp import tile_source
from drugscenes.report.tables import ReportTable
from drugscenes.services.change import CompareResult, HistoryResult
from drugscenes.services.evaluate import EvaluationResult
from drugscenes.services.workspace import InventoryResult


@dataclass
class ReportOptions:
    """What to report on; ``None`` means the default documented per field.

    Attributes
    ----------
    round : str, optional
        The round reported on; default the latest.
    compare : str, optional
        The earlier round to compare with; default the one before ``round``.
    period : Period, optional
        Days of the crime figures and of the hot-spot check; default the twelve months
        before the round's date (:meth:`Period.before_round
        <drugscenes.periods.Period.before_round>`).
    survey_year : int, optional
        Survey year; default the latest stored survey year.
    municipality : str, optional
        Report for one municipality (code or name): every figure is computed on its view
        of the workspace (:func:`drugscenes.services.scope.municipality_scope`).
    lang : {"sv", "en"}
    tile_url : str, optional
        A tile server URL template to draw under the boundaries (none by default:
        the report then needs no network at all); an http(s) URL with a plain host name
        (:func:`~drugscenes.report.csp.tile_source`), else a UsageError.
    min_n : int
        Survey cells with fewer respondents are suppressed.
    pdf : bool
        Also print ``report.pdf`` (when a browser is found, :mod:`drugscenes.report.pdf`).
    """

    round: str | None = None
    compare: str | None = None
    period: Period | None = None
    survey_year: int | None = None
    municipality: str | None = None
    lang: str = "sv"
    tile_url: str | None = None
    min_n: int = config.SURVEY_MIN_N
    pdf: bool = True

    def __post_init__(self) -> None:
        if self.tile_url is not None:
            tile_source(self.tile_url)  # a UsageError naming --tile-url


Reason = Literal[
    "no_comparison",
    "no_incidents",
    "no_survey",
    "no_ceased",
    "no_persisting",
    "no_history",
    "no_scenes",
    "error",
]


@dataclass(frozen=True)
class Unavailable:
    """Why a section has no figures.

    ``reason``: ``no_comparison`` (no earlier round), ``no_incidents`` (none in the
    period), ``no_survey`` (no survey of the year; ``message`` then holds the year asked
    for, or is empty), ``no_ceased`` / ``no_persisting`` (no scene of the earlier round
    ceased / persisted: nothing to evaluate), ``no_history`` (neither incidents nor
    surveys around the rounds to evaluate with), ``error`` (the job refused its data;
    ``message`` says why), ``no_scenes`` (the round has no scene on the reported scope:
    the crime section then shows the period's incidents by category).
    """

    reason: Reason
    message: str = ""


@dataclass(frozen=True)
class CrimeAtScenes:
    """A category's share of the region's incidents in the scenes or their first ring,
    against the share of the area those zones cover (the report's crime headline)."""

    category: str
    share_of_incidents: float | None
    share_of_area: float


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything a report shows: the results of the jobs, run on the reported scope.

    Attributes
    ----------
    options : ReportOptions
    round, compare : str, str or None
        The round reported on and the earlier round it is compared with (None: none).
    period : Period
        The days of the crime figures and the hot-spot check.
    municipality : (str, str) or None
        Code and name of the reported municipality; None for the whole region.
    municipalities : GeoDataFrame
        The reported region's municipalities (one for a municipality's report).
    rounds : DataFrame
        The workspace's rounds (label, date, source file), for the method notes.
    scenes : GeoDataFrame
        The round's scenes as the jobs read them (``change.after`` when compared).
    inventory : InventoryResult
    change : CompareResult or None
        The comparison with ``compare`` and its hot-spot check (the candidate scenes).
    history : HistoryResult
        Places present in ``round`` or ``compare``.
    crime : CrimeResult or None
    crime_at_scenes : dict of str to CrimeAtScenes
        Per category: its share in or next to the scenes (empty without crime figures).
    survey : SurveyResult or None
    survey_year : int or None
        The survey year asked for or the latest stored one.
    missing : dict of str to Unavailable
        Why a section (``change``, ``crime``, ``survey``, ``candidates``, ``evaluation``)
        has no figures.
    evaluation : EvaluationResult or None
        Worked-away against persisting scenes of ``compare`` by ``round``
        (:func:`~drugscenes.services.evaluate.evaluate`).
    story : ReportStory or None
        The region's name, every municipality with a total, the rounds over time, the
        changes by scene name and the candidates split into crime remaining at
        worked-away scenes and new places (:func:`drugscenes.services.report.story`).
    """

    options: ReportOptions
    round: str
    compare: str | None
    period: Period
    municipality: tuple[str, str] | None
    municipalities: gpd.GeoDataFrame
    rounds: pd.DataFrame
    scenes: gpd.GeoDataFrame
    inventory: InventoryResult
    change: CompareResult | None
    history: HistoryResult
    crime: CrimeResult | None
    crime_at_scenes: dict[str, CrimeAtScenes]
    survey: SurveyResult | None
    survey_year: int | None
    missing: dict[str, Unavailable] = field(default_factory=dict)
    evaluation: EvaluationResult | None = None
    story: ReportStory | None = None

    @property
    def candidates(self) -> RegistryCheck | None:
        """Hot areas outside the registry (the comparison's hot-spot check)."""
        return None if self.change is None else self.change.hotspot_check

    @property
    def results(self) -> dict[str, Any]:
        """The jobs' results by job (``inventory``, ``compare``, ``history``, ``crime``,
        ``survey``, ``evaluate``, and the report's ``story``), each with ``to_dict()``; a
        job without a result is left out."""
        found = {
            "inventory": self.inventory,
            "compare": self.change,
            "history": self.history,
            "crime": self.crime,
            "survey": self.survey,
            "evaluate": self.evaluation,
            "story": self.story,
        }
        return {k: v for k, v in found.items() if v is not None}


@dataclass
class ReportOutput:
    """The files written and the data they show (for the CLI and tests).

    ``headline`` holds the summary's sentences, ``sections`` the section keys in order,
    ``missing`` the localized reason of each section left out; ``pdf`` is ``report.pdf``,
    or None when it was skipped (no browser to print it), and then ``pdf_skipped`` says
    why and how to get it, in one line.
    """

    directory: Path
    html: Path
    xlsx: Path
    gpkg: Path
    data: ReportData
    headline: list[str]
    sections: list[str]
    missing: dict[str, str]
    tables: list[ReportTable]
    pdf: Path | None = None
    pdf_skipped: str | None = None

    @property
    def round(self) -> str:
        return self.data.round

    @property
    def compare(self) -> str | None:
        return self.data.compare

    @property
    def results(self) -> dict[str, Any]:
        """See :attr:`ReportData.results`."""
        return self.data.results


@dataclass
class Paragraph:
    text: str
    cls: str = ""


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[Markup] = field(default_factory=list)
    missing: str | None = None
