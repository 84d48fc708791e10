"""The report's workbook: what it is about, every table as an Excel table, notes apart.

:func:`write_report_workbook` writes ``report.xlsx``:

- a first sheet (``Om rapporten`` / ``About``) naming the region, the round and the round
  compared with, the crime period, the data sources, the parameters, the definitions of
  the terms used, a list of the sheets, the software version and the date;
- every :class:`~drugscenes.report.tables.ReportTable` on its own sheet as an Excel table
  (a table style and filter buttons, frozen header row, column widths from the shown
  text), with number formats: integers for counts, percent formats for shares, p-values
  as ``< 0,0001`` when smaller while the cell keeps the exact number, and float noise
  (``-5.7e-10`` for an unchanged area) rounded away well below the precision shown;
- scene ids with the scene's name beside them in every sheet listing scenes;
- the tables' notes on their own sheet (``Noter`` / ``Notes``).

:func:`workbook_info` takes what the first sheet says from the
:class:`~drugscenes.report.model.ReportData` the renderer was given: it formats, it
computes no figure.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from drugscenes import config
from drugscenes.analysis.change import MatchParameters
from drugscenes.report.i18n import fmt_num, label, t
from drugscenes.report.tables import (
    ReportTable,
    _excel_value,
    clean_number,
    excel_format,
    format_cell,
    set_cell,
)

if TYPE_CHECKING:
    from drugscenes.report.model import ReportData

__all__ = [
    "AboutRow",
    "WorkbookInfo",
    "table_name",
    "with_scene_names",
    "workbook_info",
    "write_report_workbook",
]

TABLE_STYLE = "TableStyleMedium2"
"""The Excel table style of every data sheet (blue header, banded rows)."""

# Words of the workbook that no other output shows (the report's words are in i18n).
_TEXT: dict[str, dict[str, str]] = {
    "sheet_about": {"sv": "Om rapporten", "en": "About"},
    "sheet_notes": {"sv": "Noter", "en": "Notes"},
    "about_title": {"sv": "Om rapporten", "en": "About this report"},
    "about_intro": {
        "sv": "Arbetsboken innehåller rapportens tabeller, en per blad, som Excel-tabeller "
        "med filter. Talen är analysens egna värden: formaten visar dem avrundade, "
        "cellerna håller hela värdet (p-värden under 0,0001 visas som ”< 0,0001”).",
        "en": "The workbook holds the report's tables, one per sheet, as Excel tables with "
        "filters. The numbers are the analysis's own values: the formats show them "
        "rounded, the cells hold the full value (p-values below 0.0001 show as "
        "'< 0.0001').",
    },
    "h_report": {"sv": "Rapport", "en": "Report"},
    "h_sources": {"sv": "Datakällor", "en": "Data sources"},
    "h_parameters": {"sv": "Parametrar", "en": "Parameters"},
    "h_definitions": {"sv": "Definitioner", "en": "Definitions"},
    "h_sheets": {"sv": "Blad", "en": "Sheets"},
    "col_item": {"sv": "Uppgift", "en": "Item"},
    "col_value": {"sv": "Värde", "en": "Value"},
    "col_detail": {"sv": "Kommentar", "en": "Detail"},
    "col_sheet": {"sv": "Blad", "en": "Sheet"},
    "col_table": {"sv": "Tabell", "en": "Table"},
    "col_note": {"sv": "Not", "en": "Note"},
    "region": {"sv": "Region", "en": "Region"},
    "region_unnamed": {
        "sv": "länet ({n} kommuner; regionens namn finns inte i rapportens data)",
        "en": "the county ({n} municipalities; the region's name is not in the report's data)",
    },
    "municipality": {"sv": "Kommun", "en": "Municipality"},
    "data": {"sv": "Data", "en": "Data"},
    "synthetic": {
        "sv": "SYNTETISKA: påhittade data för demonstration, inte verkliga förhållanden",
        "en": "SYNTHETIC: invented data for demonstration, not real conditions",
    },
    "whole_region": {"sv": "hela länet", "en": "the whole county"},
    "round": {"sv": "Kartläggning", "en": "Mapping round"},
    "compare": {"sv": "Jämförs med kartläggning", "en": "Compared with round"},
    "none": {"sv": "ingen (första kartläggningen)", "en": "none (the first round)"},
    "round_date": {"sv": "datum {date}", "en": "dated {date}"},
    "period": {"sv": "Brottsperiod", "en": "Crime period"},
    "period_detail": {
        "sv": "svenska kalenderdagar, sista dagen ingår",
        "en": "Swedish calendar days, the last day included",
    },
    "survey_year": {"sv": "Trygghetsmätning, år", "en": "Safety survey, year"},
    "language": {"sv": "Språk", "en": "Language"},
    "generated": {"sv": "Skapad", "en": "Generated"},
    "version": {"sv": "Programversion", "en": "Software version"},
    "src_round": {"sv": "Kartläggning {round}", "en": "Mapping round {round}"},
    "src_round_detail": {
        "sv": "{n} scener; daterad {date}; importerad {imported}; SHA-256 {sha}",
        "en": "{n} scenes; dated {date}; imported {imported}; SHA-256 {sha}",
    },
    "src_incidents": {"sv": "Brott och händelser", "en": "Crimes and incidents"},
    "src_incidents_detail": {
        "sv": "händelser i perioden {period} i arbetsytans händelsedata (antal)",
        "en": "incidents in the period {period} in the workspace's incident data (count)",
    },
    "src_no_incidents": {
        "sv": "inga händelser i perioden {period}",
        "en": "no incidents in the period {period}",
    },
    "src_survey": {"sv": "Trygghetsmätning {year}", "en": "Safety survey {year}"},
    "src_survey_detail": {
        "sv": "svarande (antal), vägda; {strata} strata, {psus} PSU",
        "en": "respondents (count), weighted; {strata} strata, {psus} PSUs",
    },
    "src_no_survey": {"sv": "ingen trygghetsmätning", "en": "no safety survey"},
    "p_ring": {"sv": "Ring runt scenerna (m)", "en": "Ring around the scenes (m)"},
    "p_min_overlap": {
        "sv": "Matchning: minsta överlapp",
        "en": "Matching: smallest overlap",
    },
    "p_tolerance": {"sv": "Matchning: tolerans (m)", "en": "Matching: tolerance (m)"},
    "p_size": {
        "sv": "Ytförändring räknas från",
        "en": "Area change counts from",
    },
    "p_displacement": {
        "sv": "Förflyttning: ny scen inom (m) från en upphörd",
        "en": "Displacement: new scene within (m) of a ceased one",
    },
    "p_min_n": {
        "sv": "Minsta antal svarande i en grupp (min_n)",
        "en": "Fewest respondents in a group (min_n)",
    },
    "p_survey_level": {"sv": "Konfidensnivå, trygghet", "en": "Confidence level, survey"},
    "p_survey_method": {"sv": "Konfidensintervall, metod", "en": "Confidence interval, method"},
    "p_hs_method": {"sv": "Hot spots: metod", "en": "Hot spots: method"},
    "p_hs_categories": {"sv": "Hot spots: kategorier", "en": "Hot spots: categories"},
    "p_hs_cell": {"sv": "Hot spots: cellstorlek (m)", "en": "Hot spots: cell size (m)"},
    "p_hs_band": {"sv": "Hot spots: grannskap (m)", "en": "Hot spots: neighbourhood (m)"},
    "p_hs_baseline": {
        "sv": "Hot spots: lokal baslinje (m)",
        "en": "Hot spots: local baseline (m)",
    },
    "p_hs_ratio": {
        "sv": "Hot spots: minsta kvot mot omgivningen",
        "en": "Hot spots: smallest ratio to the surroundings",
    },
    "p_hs_fdr": {
        "sv": "Hot spots: FDR-korrektion (Benjamini–Hochberg)",
        "en": "Hot spots: FDR correction (Benjamini–Hochberg)",
    },
    "p_hs_level": {
        "sv": "Hot spots: konfidensnivå för heta celler",
        "en": "Hot spots: confidence level of hot cells",
    },
    "p_cand_distance": {
        "sv": "Kandidat: minsta avstånd till registrerad scen (m)",
        "en": "Candidate: smallest distance to a registered scene (m)",
    },
    "p_cand_min": {
        "sv": "Kandidat: minsta antal händelser",
        "en": "Candidate: fewest incidents",
    },
    "p_cand_ceased": {
        "sv": "Kandidat: långt från upphörda scener, mer än (m)",
        "en": "Candidate: far from ceased scenes, more than (m)",
    },
    "p_ev_placebo": {
        "sv": "Effektutvärdering: placebomånader",
        "en": "Evaluation: placebo months",
    },
    "p_ev_near": {
        "sv": "Effektutvärdering: trygghet nära scen, inom (m)",
        "en": "Evaluation: survey near a scene, within (m)",
    },
    "yes": {"sv": "ja", "en": "yes"},
    "no": {"sv": "nej", "en": "no"},
    "d_scene": {"sv": "Öppen drogscen", "en": "Open drug scene"},
    "d_scene_text": {
        "sv": "En avgränsad plats där narkotika används och säljs öppet och som gör "
        "allmänheten otrygg; registreras som en yta (polygon) vid varje kartläggning.",
        "en": "A bounded place where drugs are used and sold openly and which makes the "
        "public feel unsafe; registered as an area (polygon) in each mapping round.",
    },
    "d_round": {"sv": "Kartläggning (omgång)", "en": "Round (mapping)"},
    "d_round_text": {
        "sv": "Årets inventering av scenerna, med datum; två kartläggningar jämförs plats "
        "för plats.",
        "en": "The year's inventory of the scenes, with a date; two rounds are compared "
        "place by place.",
    },
    "d_fates": {
        "sv": "Kvarstår, upphört, tillkommit, sammanslagen, uppdelad",
        "en": "Persisting, ceased, new, merged, split",
    },
    "d_fates_text": {
        "sv": "En scen kvarstår när den överlappar en scen i den tidigare kartläggningen "
        "(minst {overlap} av den mindre ytan, eller inom {tol} m); upphört (arbetats bort): "
        "ingen efterföljare; tillkommit: ingen föregångare; sammanslagen/uppdelad: flera "
        "scener blev en / en blev flera.",
        "en": "A scene persists when it overlaps a scene of the earlier round (at least "
        "{overlap} of the smaller area, or within {tol} m); ceased (worked away): no "
        "successor; new: no predecessor; merged/split: several scenes became one / one "
        "became several.",
    },
    "d_ring": {"sv": "Ring, zon", "en": "Ring, zone"},
    "d_ring_text": {
        "sv": "Ringen är området inom {ring} m utanför en scens gräns; zonerna är scenerna, "
        "ringen och resten av regionen, så att varje händelse räknas en gång.",
        "en": "The ring is the area within {ring} m outside a scene's boundary; the zones "
        "are the scenes, the ring and the rest of the region, so that each incident "
        "counts once.",
    },
    "d_share": {"sv": "Andel", "en": "Share"},
    "d_share_text": {
        "sv": "En zons andel av regionens händelser i kategorin; jämförs med zonens andel av ytan.",
        "en": "A zone's share of the region's incidents of the category; compared with the "
        "zone's share of the area.",
    },
    "d_ratio": {"sv": "Kvot (rate ratio)", "en": "Rate ratio"},
    "d_ratio_text": {
        "sv": "Händelser per km² i zonen delat med händelser per km² i resten av regionen, "
        "med exakt 95 % konfidensintervall (KI) och p-värde.",
        "en": "Incidents per km² in the zone divided by incidents per km² in the rest of "
        "the region, with an exact 95 % confidence interval (CI) and p-value.",
    },
    "d_p": {"sv": "p-värde", "en": "p-value"},
    "d_p_text": {
        "sv": "Visas med fyra (eller tre) decimaler och som ”< 0,0001” (”< 0,001”) när det "
        "är mindre; cellen håller det exakta värdet.",
        "en": "Shown with four (or three) decimals and as '< 0.0001' ('< 0.001') when "
        "smaller; the cell holds the exact value.",
    },
    "d_control": {"sv": "Kontrollgrupp", "en": "Control group"},
    "d_control_text": {
        "sv": "I effektutvärderingen jämförs brotten vid de bortarbetade scenerna med dem "
        "vid scener som fanns kvar (kontrollgruppen), före och efter "
        "(difference-in-differences, Poissonregression med scen- och månadseffekter).",
        "en": "The evaluation compares crime at the worked-away scenes with crime at the "
        "scenes that persisted (the control group), before and after "
        "(difference-in-differences, Poisson regression with scene and month effects).",
    },
    "d_wdq": {"sv": "WDQ", "en": "WDQ"},
    "d_wdq_text": {
        "sv": "Weighted Displacement Quotient (Bowers & Johnson 2003): (Da/Ca − Db/Cb) / "
        "(Ra/Ca − Rb/Cb) för insatsområde R, buffert D och kontroll C före (b) och efter "
        "(a); över 0 spridning av nytta, under 0 förflyttning. Beräknas av kommandot "
        "displacement; rapporten mäter förflyttning med ringens kvot i effektutvärderingen.",
        "en": "Weighted Displacement Quotient (Bowers & Johnson 2003): (Da/Ca − Db/Cb) / "
        "(Ra/Ca − Rb/Cb) for response area R, buffer D and control C before (b) and after "
        "(a); above 0 diffusion of benefits, below 0 displacement. Computed by the "
        "displacement command; the report measures displacement by the ring's ratio in the "
        "evaluation.",
    },
    "d_candidate": {"sv": "Kandidat (möjlig ny scen)", "en": "Candidate scene"},
    "d_candidate_text": {
        "sv": "Ett område utanför registret där våld, skjutningar och narkotikabrott är "
        "signifikant fler än i omgivningen (korrigerat för många test, FDR); en plats att "
        "pröva i nästa kartläggning, inte en fastställd scen.",
        "en": "An area outside the registry where violence, shootings and drug offences are "
        "significantly more frequent than in its surroundings (corrected for many tests, "
        "FDR); a place to check in the next mapping, not an established scene.",
    },
    "d_fdr": {"sv": "FDR", "en": "FDR"},
    "d_fdr_text": {
        "sv": "False discovery rate (Benjamini–Hochberg): andelen falska fynd bland de "
        "signifikanta hålls under nivån.",
        "en": "False discovery rate (Benjamini–Hochberg): the share of false findings among "
        "the significant ones is kept below the level.",
    },
    "d_unsafe": {"sv": "Andel otrygga", "en": "Share unsafe"},
    "d_unsafe_text": {
        "sv": "Vägd andel svarande som känner sig mycket eller ganska otrygga i sitt "
        "bostadsområde, med 95 % KI; grupper med färre än {min_n} svarande undertrycks.",
        "en": "Weighted share of respondents feeling very or rather unsafe in their "
        "neighbourhood, with a 95 % CI; groups of fewer than {min_n} respondents are "
        "suppressed.",
    },
    "d_drugs": {"sv": "Narkotikabrott", "en": "Drug offences"},
    "d_drugs_text": {
        "sv": "Upptäcks till stor del genom polisens egen verksamhet och redovisas för sig: "
        "fler patruller ger fler registrerade brott.",
        "en": "Mostly found by police activity and shown apart: more patrols produce more "
        "recorded offences.",
    },
    "names_of": {"sv": "{name} {round}", "en": "{name} {round}"},
}


def _w(key: str, lang: str, **values: object) -> str:
    """A workbook word (this module's table, else the report's)."""
    if key in _TEXT:
        text = _TEXT[key].get(lang, _TEXT[key]["en"])
        return text.format(**values) if values else text
    return t(key, lang, **values)


# -- what the first sheet says --------------------------------------------------------------


@dataclass(frozen=True)
class AboutRow:
    """One line of the first sheet: an item, its value and a comment.

    ``value`` is a number or text; ``fmt`` one of the report's formats
    (:data:`drugscenes.report.tables.FORMATS`) for a number. A row with neither value nor
    detail is a heading.
    """

    item: str
    value: object = None
    detail: str = ""
    fmt: str = "text"


@dataclass(frozen=True)
class WorkbookInfo:
    """What the workbook says about itself, and the scene names its sheets show.

    Attributes
    ----------
    lang : {"sv", "en"}
    title : str
        The report's title.
    report, sources, parameters, definitions : tuple of AboutRow
        The first sheet's sections.
    scene_names : mapping of str to str
        Name of each scene of the reported round, by scene id.
    earlier_names : mapping of str to str
        Name of each scene of the round compared with, by scene id.
    round, compare : str, str or None
        The reported round and the round compared with.
    """

    lang: str
    title: str
    report: tuple[AboutRow, ...] = ()
    sources: tuple[AboutRow, ...] = ()
    parameters: tuple[AboutRow, ...] = ()
    definitions: tuple[AboutRow, ...] = ()
    scene_names: Mapping[str, str] = field(default_factory=dict)
    earlier_names: Mapping[str, str] = field(default_factory=dict)
    round: str = ""
    compare: str | None = None


def _names(frame: pd.DataFrame | None) -> dict[str, str]:
    if frame is None or "scene_id" not in frame or "name" not in frame:
        return {}
    return {
        str(i): str(n)
        for i, n in zip(frame["scene_id"], frame["name"], strict=True)
        if isinstance(n, str) and n
    }


def workbook_info(data: ReportData, *, generated: datetime | None = None) -> WorkbookInfo:
    """What the first sheet of ``data``'s workbook says, from the results only.

    Parameters
    ----------
    data : ReportData
        The report's results (:func:`drugscenes.services.report.gather`).
    generated : datetime, optional
        When the report was made; default now (UTC).

    Notes
    -----
    The region's name is the story's (``data.story.region_name``); without one the sheet
    says the region is the county of the report's municipalities.
    """
    lang = data.options.lang
    when = (generated or datetime.now(UTC)).date().isoformat()
    rounds = data.rounds.set_index("label") if "label" in data.rounds else pd.DataFrame()

    def round_date(r: str | None) -> str:
        if r is None or r not in rounds.index or "date" not in rounds:
            return ""
        d = rounds.loc[r, "date"]
        return _w("round_date", lang, date=d) if isinstance(d, str) and d else ""

    from drugscenes import __version__

    # The story (drugscenes.services.report.story) names the region and flags demo data.
    story = getattr(data, "story", None)
    region = getattr(story, "region_name", None)
    synthetic = bool(getattr(story, "synthetic", False))
    n_munis = len(data.municipalities) if data.municipality is None else None
    muni = data.municipality
    title = (
        t("title_muni", lang, municipality=muni[1], round=data.round)
        if muni
        else t("title", lang, round=data.round)
    )
    report = [
        AboutRow(
            _w("region", lang),
            region
            if isinstance(region, str) and region
            else _w("region_unnamed", lang, n=n_munis if n_munis else "–"),
        ),
        AboutRow(
            _w("municipality", lang),
            f"{muni[1]} ({muni[0]})" if muni else _w("whole_region", lang),
        ),
        AboutRow(_w("round", lang), data.round, round_date(data.round)),
        AboutRow(
            _w("compare", lang),
            data.compare if data.compare else _w("none", lang),
            round_date(data.compare),
        ),
        AboutRow(_w("period", lang), str(data.period), _w("period_detail", lang)),
        AboutRow(
            _w("survey_year", lang),
            data.survey_year if data.survey_year is not None else "–",
        ),
        *([AboutRow(_w("data", lang), _w("synthetic", lang))] if synthetic else []),
        AboutRow(_w("language", lang), lang),
        AboutRow(_w("generated", lang), when),
        AboutRow(_w("version", lang), f"drugscenes {__version__}"),
    ]
    return WorkbookInfo(
        lang=lang,
        title=title,
        report=tuple(report),
        sources=tuple(_sources(data, rounds, lang)),
        parameters=tuple(_parameters(data, lang)),
        definitions=tuple(_definitions(data, lang)),
        scene_names=_names(data.scenes),
        earlier_names=_names(None if data.change is None else data.change.before),
        round=data.round,
        compare=data.compare,
    )


def _sources(data: ReportData, rounds: pd.DataFrame, lang: str) -> list[AboutRow]:
    rows = []
    for r, rec in rounds.iterrows():
        sha = rec.get("source_sha256")
        imported = rec.get("imported_at")
        rows.append(
            AboutRow(
                _w("src_round", lang, round=r),
                rec.get("source_file") or "–",
                _w(
                    "src_round_detail",
                    lang,
                    n=fmt_num(rec.get("n_scenes"), lang) if pd.notna(rec.get("n_scenes")) else "–",
                    date=rec.get("date") or "–",
                    imported=str(imported)[:10] if isinstance(imported, str) else "–",
                    sha=f"{sha[:12]}…" if isinstance(sha, str) and sha else "–",
                ),
            )
        )
    period = str(data.period)
    if data.crime is not None:
        n = data.crime.to_dict().get("n_incidents")
        rows.append(
            AboutRow(
                _w("src_incidents", lang),
                n,
                _w("src_incidents_detail", lang, period=period),
                "int",
            )
        )
    else:
        rows.append(
            AboutRow(_w("src_incidents", lang), "–", _w("src_no_incidents", lang, period=period))
        )
    if data.survey is not None:
        s = data.survey.to_dict()
        design = s.get("design") or {}
        rows.append(
            AboutRow(
                _w("src_survey", lang, year=s.get("year")),
                (s.get("region") or {}).get("n"),
                _w(
                    "src_survey_detail",
                    lang,
                    strata=fmt_num(design.get("strata"), lang),
                    psus=fmt_num(design.get("psus"), lang),
                ),
                "int",
            )
        )
    else:
        rows.append(
            AboutRow(
                _w("src_survey", lang, year=data.survey_year or ""), "–", _w("src_no_survey", lang)
            )
        )
    return rows


def _parameters(data: ReportData, lang: str) -> list[AboutRow]:
    ring = data.crime.rings_m[0] if data.crime is not None else config.RING_M
    rows = [AboutRow(_w("p_ring", lang), ring, "", "int")]
    if data.change is not None:
        p = data.change.comparison.parameters
        rows += [
            AboutRow(_w("p_min_overlap", lang), p.min_overlap, "", "pct"),
            AboutRow(_w("p_tolerance", lang), p.tolerance_m, "", "int"),
            AboutRow(_w("p_size", lang), p.size_tolerance, "", "pct"),
            AboutRow(_w("p_displacement", lang), p.displacement_m, "", "int"),
        ]
    min_n = data.options.min_n
    if data.survey is not None:
        s = data.survey.to_dict()
        min_n = s.get("min_n", min_n)
        method = {"beta": "Korn–Graubard", "logit": "logit", "wald": "Wald"}.get(
            s.get("method"), s.get("method")
        )
        rows += [
            AboutRow(_w("p_min_n", lang), min_n, "", "int"),
            AboutRow(_w("p_survey_level", lang), s.get("level"), "", "pct"),
            AboutRow(_w("p_survey_method", lang), method),
        ]
    else:
        rows.append(AboutRow(_w("p_min_n", lang), min_n, "", "int"))
    check = data.candidates
    if check is not None:
        a = check.analysis.to_dict()
        local = a.get("local_test") or {}
        cand = a.get("candidates") or {}
        level = {1: 0.90, 2: 0.95, 3: 0.99}.get(cand.get("min_bin"))  # ArcGIS-style bins
        rows += [
            AboutRow(_w("p_hs_method", lang), a.get("method")),
            AboutRow(
                _w("p_hs_categories", lang),
                ", ".join(label(c, lang) for c in a.get("categories", [])),
            ),
            AboutRow(_w("p_hs_cell", lang), a.get("cell_m"), "", "int"),
            AboutRow(_w("p_hs_band", lang), a.get("band_m"), "", "int"),
        ]
        if local.get("baseline_m") is not None:
            rows.append(AboutRow(_w("p_hs_baseline", lang), local["baseline_m"], "", "int"))
        if local.get("min_rate_ratio") is not None:
            rows.append(AboutRow(_w("p_hs_ratio", lang), local["min_rate_ratio"], "", "float1"))
        if a.get("fdr") is not None:
            rows.append(AboutRow(_w("p_hs_fdr", lang), _w("yes" if a["fdr"] else "no", lang)))
        if level is not None:
            rows.append(AboutRow(_w("p_hs_level", lang), level, "", "pct"))
        rows += [
            AboutRow(_w("p_cand_distance", lang), cand.get("distance_m"), "", "int"),
            AboutRow(_w("p_cand_min", lang), cand.get("min_count"), "", "int"),
            AboutRow(_w("p_cand_ceased", lang), check.distance_m, "", "int"),
        ]
    if data.evaluation is not None:
        rows += [
            AboutRow(_w("p_ev_placebo", lang), config.EVALUATION_PLACEBO_MONTHS, "", "int"),
            AboutRow(_w("p_ev_near", lang), config.NEAR_BAND_M, "", "int"),
        ]
    return rows


def _definitions(data: ReportData, lang: str) -> list[AboutRow]:
    ring = data.crime.rings_m[0] if data.crime is not None else config.RING_M
    p = MatchParameters() if data.change is None else data.change.comparison.parameters
    overlap = f"{fmt_num(100 * p.min_overlap, lang)}\u00a0%"
    tol = fmt_num(p.tolerance_m, lang)
    values = {
        "d_fates": {"overlap": overlap, "tol": tol},
        "d_ring": {"ring": fmt_num(ring, lang)},
        "d_unsafe": {"min_n": data.options.min_n},
    }
    keys = (
        "d_scene",
        "d_round",
        "d_fates",
        "d_ring",
        "d_share",
        "d_ratio",
        "d_p",
        "d_control",
        "d_wdq",
        "d_candidate",
        "d_fdr",
        "d_unsafe",
        "d_drugs",
    )
    return [AboutRow(_w(k, lang), _w(f"{k}_text", lang, **values.get(k, {}))) for k in keys]


# -- cells ---------------------------------------------------------------------------------


def table_name(sheet: str, used: set[str]) -> str:
    """A valid, unique Excel table name for a sheet: ASCII letters, digits and ``_``,
    starting with ``T_`` (never a cell reference such as ``A1`` or ``R1C1``)."""
    ascii_name = unicodedata.normalize("NFKD", sheet).encode("ascii", "ignore").decode()
    base = "T_" + (re.sub(r"[^A-Za-z0-9_]+", "_", ascii_name).strip("_") or "table")
    name, k = base[:250], 2
    while name.lower() in used:
        name = f"{base[:245]}_{k}"
        k += 1
    used.add(name.lower())
    return name


# -- scene names -----------------------------------------------------------------------------


def _join_names(ids: object, *lookups: Mapping[str, str]) -> str | None:
    """Names of a cell's scene ids (one id or ``"A, B"``), in order, each once."""
    if not isinstance(ids, str) or not ids:
        return None
    found: list[str] = []
    for i in ids.split(", "):
        name = next((m[i] for m in lookups if i in m), None)
        if name is not None and name not in found:
            found.append(name)
    return ", ".join(found) if found else None


def with_scene_names(table: ReportTable, info: WorkbookInfo) -> ReportTable:
    """``table`` with the scenes' names beside their ids, when it has none yet.

    A column of scene ids (``Scen``) gets ``Namn`` after it (the reported round's
    names, else the earlier round's); the change table's id lists of the earlier and the
    later round (``Scen(er) 2023``, ``Scen(er) 2024``) get ``Namn 2023``, ``Namn 2024``;
    the history's id lists (``Id``) get ``Namn``. A table with a column whose header
    starts with ``Namn`` is returned as it is, and no column is added where no id has a
    known name (e.g. ids already shown as ``Name (S003)``).
    """
    lang = info.lang
    name = t("col_name", lang)
    cols = [str(c) for c in table.frame.columns]
    if any(c == name or c.startswith(name + " ") for c in cols):
        return table
    now, before = info.scene_names, info.earlier_names
    plans: list[tuple[str, str, tuple[Mapping[str, str], ...]]] = []
    for c in cols:
        if c == t("col_scene", lang) or c == t("col_ids", lang):
            plans.append((c, name, (now, before)))
        elif info.compare and c == t("col_from_ids", lang, round=info.compare):
            plans.append((c, _w("names_of", lang, name=name, round=info.compare), (before,)))
        elif c == t("col_to_ids", lang, round=info.round):
            plans.append((c, _w("names_of", lang, name=name, round=info.round), (now,)))
    if not plans or not (now or before):
        return table
    frame = table.frame.copy()
    for col, new, lookups in plans:
        values = [_join_names(_excel_value(v), *lookups) for v in frame[col]]
        if new in frame.columns or all(v is None for v in values):
            continue  # the ids are not bare ids (e.g. "Name (S003)"): nothing to add
        frame.insert(list(frame.columns).index(col) + 1, new, values)
    return replace(table, frame=frame)


# -- writing ---------------------------------------------------------------------------------


def _unique_headers(cols: Sequence[object]) -> list[str]:
    """Header texts as Excel tables need them: non-empty, unique (case-insensitive), one
    line."""
    out: list[str] = []
    seen: set[str] = set()
    for j, c in enumerate(cols, start=1):
        text = re.sub(r"\s+", " ", str(c)).strip() or f"{j}"
        name, k = text, 2
        while name.lower() in seen:
            name = f"{text} ({k})"
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def _width(header: str, shown: Sequence[str]) -> float:
    """Column width from the text shown: the header may wrap after 24 characters, the
    filter button needs three more."""
    cells = max((len(s) for s in shown), default=0)
    head = min(len(header), 24) * 1.1 + 3
    return min(max(8.0, head, cells * 1.1 + 2), 60.0)


def _total_column(table: ReportTable, lang: str) -> int | None:
    """The column saying "Totalt" (``t("total")``) in the last of several rows, if any."""
    if len(table.frame) < 2:
        return None
    word = t("total", lang).casefold()
    for j, v in enumerate(table.frame.iloc[-1]):
        if isinstance(v, str) and v.strip().casefold() == word:
            return j
    return None


def _data_sheet(wb: Any, title: str, table: ReportTable, lang: str, used: set[str]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(title)
    cols = list(table.frame.columns)
    headers = _unique_headers(cols)
    for j, h in enumerate(headers, start=1):
        cell = set_cell(ws, 1, j, h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fmts = [table.formats.get(c, "text") for c in cols]
    for i, row in enumerate(table.frame.itertuples(index=False, name=None), start=2):
        for j, (v, fmt) in enumerate(zip(row, fmts, strict=True), start=1):
            cell = set_cell(ws, i, j, clean_number(v, fmt))
            number_format = excel_format(fmt, lang)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
    last_row = max(2, len(table.frame) + 1)  # a table needs a row below its header
    last_col = get_column_letter(max(1, len(cols)))
    total = _total_column(table, lang)
    if cols:
        tab = Table(displayName=table_name(title, used), ref=f"A1:{last_col}{last_row}")
        tab.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        tab.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
        if total is not None:
            # The total row is the table's totals row: filters and sorting leave it last.
            tab.totalsRowCount = 1
            tab.tableColumns[total].totalsRowLabel = str(table.frame.iloc[-1, total])
            for cell in ws[last_row]:
                cell.font = Font(bold=True)
        filtered = last_row - 1 if total is not None else last_row
        tab.autoFilter = AutoFilter(ref=f"A1:{last_col}{filtered}")
        ws.add_table(tab)
    ws.freeze_panes = "A2"
    for j, (c, h, fmt) in enumerate(zip(cols, headers, fmts, strict=True), start=1):
        shown = [format_cell(v, fmt, lang) for v in table.frame[c]]
        ws.column_dimensions[get_column_letter(j)].width = _width(h, shown)
    ws.print_title_rows = "1:1"  # the header on every printed page
    _print_setup(ws)


def _fit_height(
    ws: Any, row: int, texts: Mapping[str, object], widths: Mapping[str, float]
) -> None:
    """Give a row of wrapped text the height of its longest cell (spreadsheets do not
    grow a row for wrapped text on their own when they open a file)."""
    lines = 1
    for col, text in texts.items():
        if isinstance(text, str) and text:
            per_line = max(1, int(widths[col] * 1.15))  # most letters are narrower than "0"
            lines = max(lines, sum(math.ceil(len(p) / per_line) or 1 for p in text.split("\n")))
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _print_setup(ws: Any) -> None:
    """Printed on A4 landscape, as wide as one page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _about_sheet(
    wb: Any, title: str, info: WorkbookInfo, contents: Sequence[tuple[str, str]]
) -> None:
    from openpyxl.styles import Alignment, Font

    lang = info.lang
    ws = wb.create_sheet(title, 0)
    set_cell(ws, 1, 1, info.title).font = Font(bold=True, size=14)
    intro = set_cell(ws, 2, 1, _w("about_intro", lang))
    intro.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    widths = {"A": 45, "B": 50, "C": 60}
    _fit_height(ws, 2, {"A": _w("about_intro", lang)}, {"A": sum(widths.values())})
    r = 4
    sheets = tuple(AboutRow(name, caption) for name, caption in contents)
    for heading, rows in (
        ("h_report", info.report),
        ("h_sources", info.sources),
        ("h_parameters", info.parameters),
        ("h_sheets", sheets),
        ("h_definitions", info.definitions),
    ):
        set_cell(ws, r, 1, _w(heading, lang)).font = Font(bold=True, size=12)
        r += 1
        for row in rows:
            set_cell(ws, r, 1, row.item).alignment = Alignment(vertical="top", wrap_text=True)
            cell = set_cell(ws, r, 2, clean_number(row.value, row.fmt))
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="left")
            number_format = excel_format(row.fmt, lang)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
            if row.detail:
                d = set_cell(ws, r, 3, row.detail)
                d.alignment = Alignment(vertical="top", wrap_text=True)
            _fit_height(ws, r, {"A": row.item, "B": row.value, "C": row.detail}, widths)
            r += 1
        r += 1
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    _print_setup(ws)


def _notes_sheet(
    wb: Any, title: str, notes: Sequence[tuple[str, str, str]], lang: str, used: set[str]
) -> None:
    frame = pd.DataFrame(
        notes, columns=[_w("col_sheet", lang), _w("col_table", lang), _w("col_note", lang)]
    )
    _data_sheet(wb, title, ReportTable(title, title, frame), lang, used)
    ws = wb[title]
    from openpyxl.styles import Alignment

    widths = {"A": ws.column_dimensions["A"].width, "B": 60, "C": 100}
    ws.column_dimensions["B"].width = widths["B"]
    ws.column_dimensions["C"].width = widths["C"]
    for k, (_, caption, note) in enumerate(notes, start=2):
        for cell in ws[k]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(ws, k, {"B": caption, "C": note}, widths)


def _sheet_title(name: str, used: set[str]) -> str:
    title, k = name, 2
    while title.lower() in used:
        title = f"{name[:28]}_{k}"
        k += 1
    used.add(title.lower())
    return title


def write_report_workbook(
    path: Path, tables: Sequence[ReportTable], lang: str, info: WorkbookInfo | None = None
) -> None:
    """Write the report's workbook (see the module's description).

    Parameters
    ----------
    path : Path
        The file to write (replaced).
    tables : sequence of ReportTable
        One data sheet each, in order, named by :attr:`ReportTable.sheet` (a repeated
        name gets ``_2``, ``_3``).
    lang : {"sv", "en"}
    info : WorkbookInfo, optional
        What the first sheet says (:func:`workbook_info`) and the scenes' names; without
        it the workbook has no first sheet and no names are added.

    Notes
    -----
    Text is always written as text, never as a formula
    (:func:`~drugscenes.report.tables.set_cell`).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used_sheets = {_w("sheet_about", lang).lower(), _w("sheet_notes", lang).lower()}
    used_tables: set[str] = set()
    contents: list[tuple[str, str]] = []
    notes: list[tuple[str, str, str]] = []
    for table in tables:
        title = _sheet_title(table.sheet, used_sheets)
        shown = with_scene_names(table, info) if info is not None else table
        _data_sheet(wb, title, shown, lang, used_tables)
        contents.append((title, table.title))
        if table.note:
            notes.append((title, table.title, table.note))
    if notes:
        _notes_sheet(wb, _w("sheet_notes", lang), notes, lang, used_tables)
        contents.append((_w("sheet_notes", lang), _w("sheet_notes", lang)))
    if info is not None:
        _about_sheet(wb, _w("sheet_about", lang), info, contents)
        wb.active = 0
        wb.properties.title = info.title
    if not wb.sheetnames:
        wb.create_sheet("report")
    from drugscenes import __version__

    wb.properties.creator = f"drugscenes {__version__}"
    wb.properties.language = lang
    wb.save(path)
