"""The report's story in words: the summary, every municipality, the rounds over time, the
changes by name and the candidates split into crime remaining where scenes were worked
away and new candidate places.

Everything here formats :class:`~drugscenes.analysis.story.ReportStory` and the jobs'
results of a :class:`~drugscenes.report.model.ReportData`; no figure is computed here.
Sentences are written to read well for 0, 1 and many (:func:`~drugscenes.report.i18n.plural`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from markupsafe import Markup

from drugscenes.analysis.story import ReportStory
from drugscenes.report import charts
from drugscenes.report.i18n import (
    fmt_area,
    fmt_dist,
    fmt_num,
    fmt_signed_pct,
    join_words,
    label,
    plural,
    scene_ref,
    t,
)
from drugscenes.report.model import Paragraph, ReportData, Section
from drugscenes.report.tables import ReportTable

__all__ = [
    "change_paragraphs",
    "headline_sentences",
    "municipality_table",
    "place_of",
    "rounds_section",
    "story_sentences",
    "title",
]


def _story(data: ReportData) -> ReportStory:
    if data.story is None:
        raise ValueError("the report data has no story (drugscenes.services.report.gather)")
    return data.story


def place_of(data: ReportData, lang: str) -> str:
    """Where the report is about, as a reader names it: the municipality, or the county."""
    return data.municipality[1] if data.municipality else t("county_where", lang)


def title(data: ReportData, lang: str) -> str:
    """The document title, with the region's name when it is known."""
    region = "" if data.story is None else data.story.region_name
    if data.municipality:
        muni = data.municipality[1]
        if region:
            return t("title_muni_region", lang, municipality=muni, region=region, round=data.round)
        return t("title_muni", lang, municipality=muni, round=data.round)
    if region:
        return t("title_region", lang, region=region, round=data.round)
    return t("title", lang, round=data.round)


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [scene_ref(s["scene_id"], s["name"]) for s in items]


def headline_sentences(data: ReportData, lang: str) -> list[str]:
    """The summary's sentences on the round and its change, and the story of the
    candidates (crime remaining at worked-away scenes, new places)."""
    inv = data.inventory.inventory
    c = None if data.change is None else data.change.comparison
    muni = data.municipality[1] if data.municipality else None
    area = fmt_area(inv.total_area_m2, lang)
    if inv.n_scenes == 0:
        where = muni or t("county_where", lang)
        lines = [t("h_inventory_none", lang, round=inv.round, where=where)]
        if muni:
            lines.append(t("h_muni_no_scenes", lang))
    elif muni:
        lines = [
            t(
                "h_inventory_muni",
                lang,
                round=inv.round,
                scenes=plural("open_scene", inv.n_scenes, lang),
                municipality=muni,
                area=area,
            )
        ]
    else:
        lines = [
            t(
                "h_inventory",
                lang,
                round=inv.round,
                scenes=plural("open_scene", inv.n_scenes, lang),
                k=fmt_num(inv.n_municipalities_with_scenes, lang),
                N=fmt_num(inv.n_municipalities, lang),
                region_the=t("region_the", lang),
                area=area,
            )
        ]
    if c is None:
        return lines
    if c.n_from == 0 and c.n_to == 0:
        lines.append(t("h_change_none", lang, from_round=c.from_round))
    else:
        lines.append(
            t(
                "h_change",
                lang,
                from_round=c.from_round,
                ceased=plural("scene", c.ceased, lang),
                new=plural("new_scene", c.new, lang),
                n_from=fmt_num(c.n_from, lang),
                n_to=fmt_num(c.n_to, lang),
            )
        )
        for key, n in (("merged_clause", c.merged), ("split_clause", c.split)):
            if n:
                lines.append(plural(key, n, lang) + ".")
        values = dict(
            area_to=fmt_area(c.area_to_m2, lang),
            area_from=fmt_area(c.area_from_m2, lang),
            pct=fmt_signed_pct(c.area_pct_change, lang),
        )
        if c.area_to_m2 < c.area_from_m2:
            lines.append(t("h_area_smaller", lang, **values))
        elif c.area_to_m2 > c.area_from_m2:
            lines.append(t("h_area_larger", lang, **values))
        else:
            lines.append(t("h_area_same", lang, **values))
    if not muni and c.municipalities_from != c.municipalities_to:
        lines.append(
            t(
                "h_munis",
                lang,
                m_from=fmt_num(c.municipalities_from, lang),
                m_to=fmt_num(c.municipalities_to, lang),
            )
        )
    if c.new_near_previous:
        k, n = c.new_near_previous, c.new
        who = (
            t("near_one_of_one", lang)
            if n == 1
            else t("near_all", lang, n=fmt_num(n, lang))
            if k == n
            else t("near_one", lang, n=fmt_num(n, lang))
            if k == 1
            else t("near_some", lang, k=fmt_num(k, lang), n=fmt_num(n, lang))
        )
        lines.append(
            t("h_new_near", lang, near=who, dist=fmt_dist(c.parameters.displacement_m, lang))
        )
    lines += story_sentences(data, lang)
    return lines


def story_sentences(data: ReportData, lang: str) -> list[str]:
    """ "No new scene in the mapping; crime data point to one place in Almvik", and the
    worked-away scenes where crime remains, by name (from the story's candidates)."""
    c = None if data.change is None else data.change.comparison
    if c is None:
        return []
    story = data.story
    cands = None if story is None else story.candidates
    if c.new == 0:
        mapping = t("story_map_none", lang)
    elif c.new_elsewhere == 0:
        mapping = t("story_map_none_elsewhere", lang)
    else:
        mapping = t("story_map_elsewhere", lang, new=plural("new_scene", c.new_elsewhere, lang))
    if cands is None:
        # No hot-spot check (no incidents): the mapping alone.
        if c.new_elsewhere:
            return [
                t("h_new_elsewhere", lang, elsewhere=plural("new_scene", c.new_elsewhere, lang))
            ]
        return [t("h_no_new", lang)]
    places = cands.new_places
    if len(places) == 0:
        told = t("story_data_none", lang)
    else:
        where = _where(list(places["municipality_name"]), list(places["municipality_code"]), lang)
        told = (
            t("story_data_one", lang, where=where)
            if len(places) == 1
            else t("story_data_many", lang, n=fmt_num(len(places), lang), where=where)
        )
    lines = [t("h_story", lang, mapping=mapping, data=told)]
    worked = cands.worked_away
    if len(worked):
        lines.append(
            t(
                "h_remaining",
                lang,
                scenes=plural("scene", len(worked), lang),
                from_round=c.from_round,
                period=str(data.period),
                names=join_words(_names(worked.to_dict("records")), lang),
            )
        )
    elif c.ceased:
        lines.append(t("h_remaining_none", lang, from_round=c.from_round, period=str(data.period)))
    return lines


def _where(names: list[Any], codes: list[Any], lang: str) -> str:
    """Municipalities of places: ``Almvik``, ``Almvik och Storstad (2)``."""
    shown = [n if isinstance(n, str) and n else str(c) for n, c in zip(names, codes, strict=True)]
    counts = Counter(shown)
    return join_words(
        [f"{n} ({fmt_num(k, lang)})" if k > 1 else n for n, k in counts.items()], lang
    )


def change_paragraphs(data: ReportData, lang: str) -> list[Paragraph]:
    """The scenes that were worked away, added, merged and split, by name."""
    story = data.story
    if story is None or story.changes is None:
        return []
    ch = story.changes
    out = []
    ceased = [s for comp in ch["ceased"] for s in comp["from"]]
    new = [s for comp in ch["new"] for s in comp["to"]]
    out.append(
        Paragraph(
            t("ch_ceased", lang, items=join_words(_names(ceased), lang))
            if ceased
            else t("ch_none_ceased", lang)
        )
    )
    out.append(
        Paragraph(
            t("ch_new", lang, items=join_words(_names(new), lang))
            if new
            else t("ch_none_new", lang)
        )
    )
    for key, status in (("merged_clause", "merged"), ("split_clause", "split")):
        comps = ch[status]
        if comps:
            items = [
                f"{' + '.join(_names(comp['from']))} → {' + '.join(_names(comp['to']))}"
                for comp in comps
            ]
            out.append(
                Paragraph(
                    t(
                        "h_merged",
                        lang,
                        clause=plural(key, len(comps), lang),
                        items="; ".join(items),
                    )
                )
            )
    return out


def municipality_table(data: ReportData, lang: str) -> tuple[ReportTable, Markup | None]:
    """Every municipality of the reported region, with a total row (county report), and the
    chart of scenes per municipality (the municipalities with scenes in either round)."""
    story = _story(data)
    rows, total = story.municipalities, story.municipality_total
    rnd, compare = data.round, data.compare
    col_code, col_name = t("col_code", lang), t("col_municipality", lang)
    col_n, col_a = t("col_n_to", lang, round=rnd), t("col_area_to_ha", lang, round=rnd)
    frame = pd.DataFrame({col_code: rows["code"], col_name: rows["name"], col_n: rows["n_scenes"]})
    formats = {col_n: "int"}
    totals: dict[str, Any] = {col_code: "", col_name: t("total", lang), col_n: total["n_scenes"]}
    if "n_from" in rows.columns and compare is not None:
        col_nf = t("col_n_from", lang, round=compare)
        col_af = t("col_area_from_ha", lang, round=compare)
        col_ch = t("col_change", lang)
        frame.insert(2, col_nf, rows["n_from"])
        frame[col_ch] = rows["n_change"]
        frame[col_af] = rows["area_from_m2"] / 10_000
        totals |= {
            col_nf: total["n_from"],
            col_ch: total["n_change"],
            col_af: total["area_from_m2"] / 10_000,
        }
        formats |= {col_nf: "int", col_ch: "int", col_af: "float2"}
    frame[col_a] = rows["area_m2"] / 10_000
    totals[col_a] = total["area_m2"] / 10_000
    formats[col_a] = "float2"
    if data.municipality is None:
        frame = pd.concat([frame, pd.DataFrame([totals])[frame.columns]], ignore_index=True)
    table = ReportTable(
        t("sheet_municipalities", lang), t("sec_municipalities", lang), frame, formats
    )
    with_scenes = rows["n_scenes"] > 0
    if "n_from" in rows.columns:
        with_scenes |= rows["n_from"] > 0
    shown = rows[with_scenes.to_numpy()]
    chart = None
    if data.municipality is None and len(shown) > 1:
        chart = Markup(
            charts.municipality_chart(
                list(shown["code"]),
                list(shown["name"]),
                list(shown["n_from"]) if "n_from" in shown.columns else None,
                list(shown["n_scenes"]),
                str(compare),
                rnd,
            )
        )
    return table, chart


def rounds_section(data: ReportData, lang: str) -> Section:
    """Scenes and total area in every round of the workspace (chart and table)."""
    story = _story(data)
    series = story.rounds
    sec = Section("rounds", t("sec_rounds", lang))
    if len(series) == 0:
        return sec
    if series["n_scenes"].max() > 0:  # no chart of zeros
        sec.figures.append(
            Markup(
                charts.rounds_chart(
                    list(series["round"]),
                    list(series["n_scenes"]),
                    list(series["area_m2"] / 10_000),
                    lang,
                    current=data.round,
                )
            )
        )
    col_n, col_a = t("col_scenes", lang), t("col_area_ha", lang)
    frame = pd.DataFrame(
        {
            t("col_round", lang): series["round"],
            t("col_date", lang): [d or "–" for d in series["date"]],
            col_n: series["n_scenes"],
            col_a: series["area_m2"] / 10_000,
        }
    )
    formats = {col_n: "int", col_a: "float2"}
    if data.municipality is None:
        col_m = t("col_n_munis", lang)
        frame[col_m] = series["n_municipalities"]
        formats[col_m] = "int"
    sec.tables.append(ReportTable(t("sheet_rounds", lang), t("t_rounds", lang), frame, formats))
    return sec


def crime_counts_section(data: ReportData, lang: str) -> Section:
    """A scope without scenes: the period's incidents by category (``story.crime_counts``)."""
    story = _story(data)
    counts = story.crime_counts or {}
    where = place_of(data, lang)
    sec = Section("crime", t("sec_crime", lang))
    sec.paragraphs.append(
        Paragraph(
            t(
                "crime_no_scenes",
                lang,
                where=where,
                round=data.round,
                period=str(data.period),
                total=fmt_num(sum(counts.values()), lang),
            )
        )
    )
    col_cat, col_n = t("col_category", lang), t("col_count", lang)
    frame = pd.DataFrame({col_cat: [label(k, lang) for k in counts], col_n: list(counts.values())})
    sec.tables.append(
        ReportTable(
            t("sheet_zones", lang),
            t("t_crime_counts", lang, where=where, period=str(data.period)),
            frame,
            {col_n: "int"},
            note=t("drug_caveat", lang) if "drug offence" in counts else "",
        )
    )
    return sec
