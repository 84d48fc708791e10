"""What a report is made of: its options and its sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from drugscenes.report.tables import ReportTable


@dataclass
class ReportOptions:
    """What to report on; ``None`` means the default documented per field.

    Attributes
    ----------
    round : str, optional
        The round reported on; default the latest.
    compare : str, optional
        The earlier round to compare with; default the one before ``round``.
    period_from, period_to : str, optional
        ISO dates of the crime period; default the calendar year before the round's date.
    survey_year : int, optional
        Survey year; default the latest stored survey year.
    municipality : str, optional
        Report for one municipality (its scenes, its crime and survey figures).
    lang : {"sv", "en"}
    tile_url : str, optional
        A tile server URL template to draw under the boundaries (none by default:
        the report then needs no network at all).
    min_n : int
        Survey cells with fewer respondents are suppressed (default 30).
    """

    round: str | None = None
    compare: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    survey_year: int | None = None
    municipality: str | None = None
    lang: str = "sv"
    tile_url: str | None = None
    min_n: int = 30


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
