"""Report sections of the crime, survey and candidate results.

Each section formats a result of :class:`~drugscenes.report.model.ReportData` (the
``crime``, ``survey`` and ``compare`` jobs' results, through their ``to_dict()``), so
the report shows exactly the figures those commands print. A section whose result is
missing says in one line what would fill it (:func:`missing_section`).
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from drugscenes.report import charts
from drugscenes.report.i18n import fmt_dist, fmt_pct, label, t
from drugscenes.report.model import Paragraph, ReportData, Section, Unavailable
from drugscenes.report.tables import ReportTable


def missing_text(why: Unavailable, data: ReportData, lang: str) -> str:
    """The one line saying why a section has no figures."""
    if why.reason == "no_comparison":
        text = t("why_no_change", lang)
    elif why.reason == "no_incidents":
        text = t("missing_incidents", lang, period=str(data.period))
    elif why.reason == "no_survey":
        text = t("missing_survey", lang)
        text = f"{why.message}: {text}" if why.message else text
    else:
        text = why.message
    return t("missing", lang, why=text)


def missing_section(key: str, data: ReportData, lang: str) -> Section:
    """Section ``key`` without figures, saying why (``data.missing[key]``)."""
    return Section(key, t(f"sec_{key}", lang), missing=missing_text(data.missing[key], data, lang))


def crime_section(data: ReportData, lang: str) -> Section:
    """The crime figures (``data.crime``, not None)."""
    assert data.crime is not None
    sec = Section("crime", t("sec_crime", lang))
    d = data.crime.to_dict()
    period = str(data.period)
    police = set(d.get("police_activity_categories", []))
    zones = d["zones"]
    cats = [c for c in zones[0]["counts"] if c not in police]
    ring = fmt_dist(data.crime.rings_m[0], lang)

    def zone_label(z: str) -> str:
        if z == "scene":
            return label("inside", lang)
        if z.startswith("near"):
            return t("within", lang, dist=ring)
        if z.startswith("rest:"):
            return f"{label('rest', lang)} {z[5:]}"
        return label(z, lang)

    # Headline: share of violence and shootings at or next to scenes against their area.
    at = data.crime_at_scenes
    if "violence" in at and "shooting" in at:
        sec.paragraphs.append(
            Paragraph(
                t(
                    "h_crime",
                    lang,
                    period=period,
                    ring=ring,
                    share_viol=fmt_pct(at["violence"].share_of_incidents, lang),
                    share_shoot=fmt_pct(at["shooting"].share_of_incidents, lang),
                    share_area=fmt_pct(at["violence"].share_of_area, lang, 2),
                ),
                "headline",
            )
        )
    if d.get("share_of_scenes_with_shooting") is not None:
        sec.paragraphs.append(
            Paragraph(
                t(
                    "h_shooting_scenes",
                    lang,
                    share=fmt_pct(d["share_of_scenes_with_shooting"], lang),
                ),
                "headline",
            )
        )

    col_zone, col_area = t("col_zone", lang), t("col_area_m2", lang)
    col_cat, col_n = t("col_category", lang), t("col_count", lang)
    col_share, col_dens = t("col_share", lang), t("col_density", lang)
    frame = pd.DataFrame(
        [
            {
                col_zone: zone_label(z["zone"]),
                col_area: z["area_m2"],
                col_cat: label(c, lang),
                col_n: z["counts"].get(c, 0),
                col_share: z["shares"].get(c),
                col_dens: z.get("density_per_km2", {}).get(c),
            }
            for z in zones
            for c in cats
        ]
    )
    sec.tables.append(
        ReportTable(
            t("sheet_zones", lang),
            t("t_zone", lang, period=period),
            frame,
            {col_area: "area", col_n: "int", col_share: "pct", col_dens: "float1"},
        )
    )

    rr = pd.DataFrame([r for r in d["rate_ratios"] if r["category"] not in police])
    if len(rr):
        frame = pd.DataFrame(
            {
                t("col_category", lang): [label(c, lang) for c in rr["category"]],
                t("col_zone", lang): [zone_label(z) for z in rr["zone"]],
                t("col_ratio", lang): rr["ratio"],
                t("col_ci_low", lang): rr["ci_low"],
                t("col_ci_high", lang): rr["ci_high"],
                t("col_p", lang): rr["p_value"],
            }
        )
        sec.tables.append(
            ReportTable(
                t("sheet_rr", lang),
                t("t_rr", lang),
                frame,
                {
                    t("col_ratio", lang): "ratio",
                    t("col_ci_low", lang): "ratio",
                    t("col_ci_high", lang): "ratio",
                    t("col_p", lang): "p",
                },
            )
        )

    scenes = pd.DataFrame(d["scenes"])
    if len(scenes):
        scene_rows = pd.DataFrame(
            {
                t("col_rank", lang): scenes["rank"],
                t("col_scene", lang): scenes["scene_id"],
                **{label(c, lang): [s.get(c, 0) for s in scenes["counts"]] for c in cats},
                t("col_shooting", lang): [
                    t("yes", lang) if v else t("no", lang) for v in scenes["any_shooting"]
                ],
            }
        ).sort_values(t("col_rank", lang))
        sec.tables.append(
            ReportTable(
                t("sheet_scenes_crime", lang),
                t("t_scene", lang, dist=ring),
                scene_rows,
                {t("col_rank", lang): "int", **{label(c, lang): "int" for c in cats}},
            )
        )
        shoot = scenes[scenes["any_shooting"]]
        shoot_rows = pd.DataFrame(
            {
                t("col_scene", lang): shoot["scene_id"],
                label("shooting", lang): [s.get("shooting", 0) for s in shoot["counts"]],
            }
        ).sort_values(label("shooting", lang), ascending=False)
        sec.tables.append(
            ReportTable(
                t("sheet_shootings", lang),
                t("t_shootings", lang),
                shoot_rows,
                {label("shooting", lang): "int"},
            )
        )

    for cat in sorted(police):
        frame = pd.DataFrame(
            {
                col_zone: [zone_label(z["zone"]) for z in zones],
                t("col_count", lang): [z["counts"].get(cat, 0) for z in zones],
                t("col_density", lang): [z.get("density_per_km2", {}).get(cat) for z in zones],
            }
        )
        sec.tables.append(
            ReportTable(
                t("sheet_drugs", lang),
                f"{label(cat, lang).capitalize()} ({period})",
                frame,
                {t("col_count", lang): "int", t("col_density", lang): "float1"},
                note=t("drug_caveat", lang),
            )
        )
    return sec


def survey_section(data: ReportData, lang: str) -> Section:
    """The survey estimates (``data.survey``, not None)."""
    assert data.survey is not None
    sec = Section("survey", t("sec_survey", lang))
    d = data.survey.to_dict()
    min_n = d["min_n"]
    region = d["region"]
    bands = d["bands"]
    near = bands[0] if bands else None
    if (
        near
        and not near["suppressed"]
        and near.get("share_unsafe") is not None
        and near.get("max_m") is not None
        and not region["suppressed"]
        and region.get("share_unsafe") is not None
    ):
        sec.paragraphs.append(
            Paragraph(
                t(
                    "h_survey",
                    lang,
                    year=d["year"],
                    share_near=fmt_pct(near["share_unsafe"], lang),
                    dist=fmt_dist(near["max_m"], lang),
                    share_region=fmt_pct(region["share_unsafe"], lang),
                    region_noun=t("region_noun", lang)
                    if data.municipality is None
                    else data.municipality[1],
                ),
                "headline",
            )
        )
    sec.figures.append(Markup(charts.survey_chart(bands, region, lang, min_n)))

    def rows(groups: list[dict], key: str) -> pd.DataFrame:
        supp = t("suppressed", lang, k=min_n)
        return pd.DataFrame(
            {
                key: [g["label"] for g in groups],
                t("col_n", lang): [g["n"] for g in groups],
                t("col_unsafe", lang): [
                    None if g["suppressed"] else g["share_unsafe"] for g in groups
                ],
                t("col_ci_low", lang): [None if g["suppressed"] else g["ci_low"] for g in groups],
                t("col_ci_high", lang): [None if g["suppressed"] else g["ci_high"] for g in groups],
                t("col_note", lang): [
                    (
                        t("suppressed_secondary", lang)
                        if "secondary" in (g["reason"] or "")
                        else supp
                    )
                    if g["suppressed"]
                    else (g.get("reason") or "")
                    for g in groups
                ],
            }
        )

    fmts = {
        t("col_n", lang): "int",
        t("col_unsafe", lang): "pct",
        t("col_ci_low", lang): "pct",
        t("col_ci_high", lang): "pct",
    }
    method = {"beta": "Korn–Graubard", "logit": "logit", "wald": "Wald"}.get(
        d["method"], d["method"]
    )
    note = t("t_survey_note", lang, method=method, k=min_n)
    sec.tables.append(
        ReportTable(
            t("sheet_survey_bands", lang),
            t("chart_unsafe_title", lang),
            rows([*bands, {**region, "label": t("chart_region_line", lang)}], t("col_band", lang)),
            fmts,
            note,
        )
    )
    if d["municipalities"] and data.municipality is None:
        sec.tables.append(
            ReportTable(
                t("sheet_survey_munis", lang),
                t("t_survey_muni", lang),
                rows(d["municipalities"], t("col_municipality", lang)),
                fmts,
                note,
            )
        )
    return sec


def candidates_section(data: ReportData, lang: str) -> Section:
    """Hot areas of drug offences, violence and shootings outside the registry
    (``data.candidates``, not None)."""
    check = data.candidates
    assert check is not None
    sec = Section("candidates", t("sec_candidates", lang))
    period = str(data.period)
    cands = check.analysis.candidates.candidates
    far = set(check.elsewhere["candidate_id"])
    sentence = (
        t("h_candidates_none", lang, period=period)
        if len(cands) == 0
        else t(
            "h_candidates",
            lang,
            n=len(cands),
            period=period,
            far=len(far),
            dist=fmt_dist(check.distance_m, lang),
        )
    )
    sec.paragraphs.append(Paragraph(sentence, "headline"))
    a = check.analysis
    sec.paragraphs.append(
        Paragraph(
            t(
                "m_candidates",
                lang,
                cell=fmt_dist(a.cell_m, lang),
                band=fmt_dist(a.band_m, lang),
                dist=fmt_dist(a.candidates.distance_m, lang),
            ),
            "note",
        )
    )
    if len(cands):
        frame = pd.DataFrame(
            {
                t("col_rank", lang): cands["rank"],
                t("col_candidate", lang): cands["candidate_id"],
                t("col_code", lang): cands["municipality_code"],
                t("col_count", lang): cands["count"],
                t("col_area_m2", lang): cands["area_m2"],
                "max z": cands["max_z"],
                t("col_trend", lang): [
                    label(v, lang) if isinstance(v, str) else "" for v in cands["trend"]
                ],
                t("col_pattern", lang): [v or "" for v in cands["pattern"]],
                t("col_nearest_scene", lang): cands["nearest_scene_m"],
                t("col_far_from_ceased", lang): [
                    t("yes", lang) if c in far else t("no", lang) for c in cands["candidate_id"]
                ],
            }
        )
        sec.tables.append(
            ReportTable(
                t("sheet_candidates", lang),
                t("sec_candidates", lang),
                frame,
                {
                    t("col_rank", lang): "int",
                    t("col_count", lang): "int",
                    t("col_area_m2", lang): "area",
                    "max z": "float1",
                    t("col_nearest_scene", lang): "area",
                },
                note=t("t_candidates_note", lang),
            )
        )
    return sec
