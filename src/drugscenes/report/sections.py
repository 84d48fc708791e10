"""Report sections of the crime, survey, candidate and evaluation results.

Each section formats a result of :class:`~drugscenes.report.model.ReportData` (the
``crime``, ``survey``, ``compare`` and ``evaluate`` jobs' results, through their
``to_dict()``), so
the report shows exactly the figures those commands print. A section whose result is
missing says in one line what would fill it (:func:`missing_section`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from drugscenes import config
from drugscenes.report import charts
from drugscenes.report.i18n import (
    fmt_dist,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_ratio,
    join_words,
    label,
    plural,
    reason_text,
    scene_ref,
    t,
)
from drugscenes.report.model import Paragraph, ReportData, Section, Unavailable
from drugscenes.report.story import crime_counts_section, place_of
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
    elif why.reason in ("no_ceased", "no_persisting", "no_history"):
        text = t(f"why_{why.reason}", lang, compare=data.compare, round=data.round)
    else:
        text = why.message
    return t("missing", lang, why=text)


def missing_section(key: str, data: ReportData, lang: str) -> Section:
    """Section ``key`` without figures, saying why (``data.missing[key]``); the crime
    section of a scope without scenes shows the period's incidents by category."""
    why = data.missing[key]
    if key == "crime" and why.reason == "no_scenes" and data.story is not None:
        return crime_counts_section(data, lang)
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
    rest = t("rest_muni", lang) if data.municipality else t("rest", lang)
    names = {} if data.story is None else data.story.scene_names

    def zone_label(z: str) -> str:
        if z == "scene":
            return label("inside", lang)
        if z.startswith("near"):
            return t("within", lang, dist=ring)
        if z == "rest":
            return rest
        if z.startswith("rest:"):
            return f"{rest} ({z[5:]})"
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
                    where=place_of(data, lang),
                    area_of=t("area_of_muni" if data.municipality else "area_of_county", lang),
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

    col_zone, col_area = t("col_zone", lang), t("col_area_km2", lang)
    col_cat, col_n = t("col_category", lang), t("col_count", lang)
    col_share, col_dens = t("col_share", lang), t("col_density", lang)
    frame = pd.DataFrame(
        [
            {
                col_zone: zone_label(z["zone"]),
                col_area: z["area_m2"] / 1e6,
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
            {col_area: "float2", col_n: "int", col_share: "pct", col_dens: "float1"},
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
                t("t_rr", lang, rest=rest),
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
                t("col_name", lang): [names.get(str(i), "") for i in scenes["scene_id"]],
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
                t("col_name", lang): [names.get(str(i), "") for i in shoot["scene_id"]],
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
    muni = data.municipality[1] if data.municipality else None
    region_label = muni or t("chart_region_line", lang)
    if muni:
        # The municipality's figure as the county's table shows it; no bands of its own.
        if not region["suppressed"] and region.get("share_unsafe") is not None:
            sec.paragraphs.append(
                Paragraph(
                    t(
                        "h_survey_muni",
                        lang,
                        year=d["year"],
                        share=fmt_pct(region["share_unsafe"], lang),
                        municipality=muni,
                        lo=fmt_pct(region.get("ci_low"), lang),
                        hi=fmt_pct(region.get("ci_high"), lang),
                    ),
                    "headline",
                )
            )
        sec.paragraphs.append(Paragraph(t("survey_muni_note", lang), "note"))
    if bands:
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
            t("chart_unsafe_title", lang) if bands else t("t_survey_muni", lang),
            rows(
                [*bands, {**region, "label": region_label}],
                t("col_band", lang) if bands else t("col_municipality", lang),
            ),
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
    (``data.candidates``, not None), split as the story splits them: crime remaining
    where scenes were worked away (by scene name) and new candidate places."""
    check = data.candidates
    assert check is not None
    sec = Section("candidates", t("sec_candidates", lang))
    period = str(data.period)
    cands = check.analysis.candidates.candidates
    story = None if data.story is None else data.story.candidates
    if len(cands) == 0:
        sec.paragraphs.append(Paragraph(t("h_candidates_none", lang, period=period)))
    elif story is not None:
        sec.paragraphs.append(
            Paragraph(
                t(
                    "h_candidates",
                    lang,
                    period=period,
                    areas=plural("area", len(cands), lang),
                    remaining=plural("remaining", len(story.remaining), lang),
                    new=plural("new_place", len(story.new_places), lang),
                )
            )
        )
    a = check.analysis
    key = "m_candidates_local" if a.method == "local-poisson" else "m_candidates"
    sec.paragraphs.append(
        Paragraph(
            t(
                key,
                lang,
                cell=fmt_dist(a.cell_m, lang),
                band=fmt_dist(a.band_m, lang),
                dist=fmt_dist(a.candidates.distance_m, lang),
                ceased=fmt_dist(check.distance_m, lang),
            ),
            "note",
        )
    )
    if story is not None and len(story.new_places):
        sec.tables.append(_new_places_table(story.new_places, lang))
    if story is not None and len(story.worked_away):
        sec.tables.append(_remaining_table(story.worked_away, lang))
    if len(cands):
        sec.tables.append(_all_candidates_table(cands, story, lang))
    return sec


def _new_places_table(places: pd.DataFrame, lang: str) -> ReportTable:
    col_n, col_a = t("col_count", lang), t("col_area_ha", lang)
    col_d = t("col_nearest_km", lang)
    frame = pd.DataFrame(
        {
            t("col_candidate", lang): places["candidate_id"],
            t("col_municipality", lang): [
                n if isinstance(n, str) else (c or "")
                for n, c in zip(
                    places["municipality_name"], places["municipality_code"], strict=True
                )
            ],
            col_n: places["count"],
            col_a: places["area_m2"] / 10_000,
            t("col_nearest_scene_name", lang): [
                scene_ref(i, n) if i else "–"
                for i, n in zip(
                    places["nearest_scene_id"], places["nearest_scene_name"], strict=True
                )
            ],
            col_d: places["nearest_scene_m"] / 1000,
            t("col_trend", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in places["trend"]
            ],
            t("col_pattern", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in places["pattern"]
            ],
        }
    )
    return ReportTable(
        t("sheet_new_places", lang),
        t("t_new_places", lang),
        frame,
        {col_n: "int", col_a: "float1", col_d: "float1"},
        note=t("t_candidates_note", lang),
    )


def _remaining_table(worked: pd.DataFrame, lang: str) -> ReportTable:
    col_n, col_d = t("col_count", lang), t("col_nearest_m", lang)
    frame = pd.DataFrame(
        {
            t("col_scene", lang): worked["scene_id"],
            t("col_name", lang): worked["name"],
            t("col_municipality", lang): [
                n if isinstance(n, str) else (c or "")
                for n, c in zip(
                    worked["municipality_name"], worked["municipality_code"], strict=True
                )
            ],
            t("col_candidates", lang): [", ".join(v) for v in worked["candidate_ids"]],
            col_n: worked["count"],
            col_d: worked["nearest_m"],
        }
    )
    return ReportTable(
        t("sheet_remaining", lang), t("t_remaining", lang), frame, {col_n: "int", col_d: "int"}
    )


def _all_candidates_table(cands: pd.DataFrame, story: Any, lang: str) -> ReportTable:
    kinds: dict[str, str] = {}
    if story is not None:
        for cid, names_, ids in zip(
            story.remaining["candidate_id"],
            story.remaining["ceased_names"],
            story.remaining["ceased_ids"],
            strict=True,
        ):
            refs = [scene_ref(i, n) for i, n in zip(ids, names_, strict=True)]
            kinds[cid] = t("kind_remaining", lang, names=join_words(refs, lang))
        for cid in story.new_places["candidate_id"]:
            kinds[cid] = t("kind_new", lang)
    col_n, col_a = t("col_count", lang), t("col_area_ha", lang)
    col_d = t("col_nearest_km", lang)
    frame = pd.DataFrame(
        {
            t("col_rank", lang): cands["rank"],
            t("col_candidate", lang): cands["candidate_id"],
            t("col_code", lang): cands["municipality_code"],
            col_n: cands["count"],
            col_a: cands["area_m2"] / 10_000,
            "max z": cands["max_z"],
            t("col_trend", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in cands["trend"]
            ],
            t("col_pattern", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in cands["pattern"]
            ],
            col_d: cands["nearest_scene_m"] / 1000,
            t("col_kind", lang): [kinds.get(c, "") for c in cands["candidate_id"]],
        }
    )
    return ReportTable(
        t("sheet_candidates", lang),
        t("t_all_candidates", lang),
        frame,
        {
            t("col_rank", lang): "int",
            col_n: "int",
            col_a: "float1",
            "max z": "float1",
            col_d: "float1",
        },
        note=t("t_candidates_note", lang),
    )


def _ratio(v: float | None, lang: str) -> str:
    return fmt_ratio(v, lang)


def _clear(e: dict[str, Any] | None) -> int:
    """-1 / +1 when the interval lies wholly below / above 1, else 0."""
    if not e or e.get("ci_low") is None or e.get("ci_high") is None:
        return 0
    return -1 if e["ci_high"] < 1 else (1 if e["ci_low"] > 1 else 0)


def _pp(v: float | None, lang: str) -> str:
    """A fraction as signed whole percentage points: ``-0.08`` → ``−8``."""
    if v is None:
        return "–"
    return ("+" if round(100 * v) > 0 else "") + fmt_num(100 * v, lang)


def evaluation_headline(data: ReportData, lang: str) -> str | None:
    """The summary's sentence on the worked-away scenes, only when the estimate is clear
    (its interval excludes 1) and the months before gave no warning (pre-trend p ≥ 0,05)."""
    if data.evaluation is None:
        return None
    c = data.evaluation.to_dict()["crime"]
    side = _clear(c)
    pre = c["pretrend_p_value"]
    if c["reason"] or side == 0 or (pre is not None and pre < 0.05):
        return None
    return t(
        "h_evaluation_down" if side < 0 else "h_evaluation_up",
        lang,
        pct=fmt_pct(abs(c["rate_ratio"] - 1.0), lang),
        ring=fmt_dist(config.RING_M, lang),  # the ring the report's evaluation uses
        round=data.round,
        rr=_ratio(c["rate_ratio"], lang),
        lo=_ratio(c["ci_low"], lang),
        hi=_ratio(c["ci_high"], lang),
    )


def evaluation_section(data: ReportData, lang: str) -> Section:
    """Worked-away against remaining scenes (``data.evaluation``, not None): the event
    study chart, the crime and survey tables and a reading of what the design can show."""
    assert data.evaluation is not None
    ev = data.evaluation.to_dict()
    c, sv = ev["crime"], ev["survey"]
    compare, rnd = ev["from_round"], ev["to_round"]
    ring = fmt_dist(config.RING_M, lang)
    near = fmt_dist(config.NEAR_BAND_M, lang)
    n_placebo = config.EVALUATION_PLACEBO_MONTHS
    sec = Section("evaluation", t("sec_evaluation", lang))
    headline = evaluation_headline(data, lang)
    if headline:
        sec.paragraphs.append(Paragraph(headline, "headline"))
    sec.paragraphs.append(
        Paragraph(
            t(
                "ev_intro",
                lang,
                compare=compare,
                round=rnd,
                n_ceased=fmt_num(c["n_ceased"], lang),
                n_persisting=fmt_num(c["n_persisting"], lang),
            )
        )
    )
    sec.paragraphs += [Paragraph(line) for line in _evaluation_reading(ev, data, lang)]
    sec.paragraphs.append(
        Paragraph(
            t("ev_read_design", lang, compare=compare, round=rnd, month=c["event_month"] or "–"),
            "caveat",
        )
    )
    if any(e.get("coef") is not None for e in c["event_study"]):
        sec.figures.append(
            Markup(
                charts.event_study_chart(
                    c["event_study"],
                    lang,
                    round_label=rnd,
                    compare_label=compare,
                    event_month=c["event_month"],
                    reference_month=c["reference_month"],
                    average=c if not c["reason"] else None,
                )
            )
        )
        sec.paragraphs.append(
            Paragraph(t("ev_chart_note", lang, month=c["reference_month"], compare=compare), "note")
        )
    sec.tables.append(_evaluation_crime_table(c, data, lang, ring, n_placebo))
    sec.tables.append(_evaluation_survey_table(sv, lang, near, data.options.min_n))
    return sec


def _evaluation_reading(ev: dict[str, Any], data: ReportData, lang: str) -> list[str]:
    """The result in plain words: the estimate, the pre-trend, the placebo, displacement
    and the survey."""
    c, sv = ev["crime"], ev["survey"]
    compare, rnd = ev["from_round"], ev["to_round"]
    lines: list[str] = []
    if c["reason"] or c["rate_ratio"] is None or c["ci_low"] is None:
        lines.append(t("ev_read_no_crime", lang, reason=reason_text(c["reason"], lang)))
    else:
        values = dict(
            round=rnd,
            pct=fmt_pct(abs(c["rate_ratio"] - 1.0), lang),
            rr=_ratio(c["rate_ratio"], lang),
            lo=_ratio(c["ci_low"], lang),
            hi=_ratio(c["ci_high"], lang),
        )
        sure = t("ev_read_clear" if _clear(c) else "ev_read_unclear", lang)
        lines.append(
            t("ev_read_down" if c["rate_ratio"] < 1 else "ev_read_up", lang, **values) + " " + sure
        )
        pre = c["pretrend_p_value"]
        if pre is not None:
            shown = fmt_p(pre, lang)
            p_text = f"p {shown}" if shown.startswith("<") else f"p = {shown}"
            key = "ev_read_pretrend_ok" if pre >= 0.05 else "ev_read_pretrend_bad"
            lines.append(t(key, lang, compare=compare, p=p_text))
        pl = c["placebo"]
        if pl and pl.get("rate_ratio") is not None and pl.get("ci_low") is not None:
            lines.append(
                t(
                    "ev_read_placebo_bad" if _clear(pl) else "ev_read_placebo_ok",
                    lang,
                    n=config.EVALUATION_PLACEBO_MONTHS,
                    rr=_ratio(pl["rate_ratio"], lang),
                    lo=_ratio(pl["ci_low"], lang),
                    hi=_ratio(pl["ci_high"], lang),
                )
            )

        def item(where: str, e: dict[str, Any] | None) -> str:
            if not e or e.get("rate_ratio") is None or e.get("ci_low") is None:
                return t("ev_disp_none", lang, where=t(where, lang))
            verdict = {-1: "ev_v_lower", 1: "ev_v_higher", 0: "ev_v_none"}[_clear(e)]
            return t(
                "ev_disp_item",
                lang,
                where=t(where, lang),
                rr=_ratio(e["rate_ratio"], lang),
                lo=_ratio(e["ci_low"], lang),
                hi=_ratio(e["ci_high"], lang),
                verdict=t(verdict, lang),
            )

        disp = c["displacement"]
        rest = disp["rest_of_municipality"]
        lines.append(
            t(
                "ev_read_displacement",
                lang,
                ring=item("ev_where_ring", disp["ring"]),
                rest=(
                    f"{t('ev_where_rest', lang)}: {t('ev_note_county_only', lang)}"
                    if data.municipality is not None and (not rest or rest.get("reason"))
                    else item("ev_where_rest", rest)
                ),
            )
        )
    if sv.get("reason") or sv.get("difference") is None:
        lines.append(t("ev_read_no_survey", lang, reason=reason_text(sv.get("reason"), lang)))
    else:
        lines.append(
            t(
                "ev_read_survey",
                lang,
                near=fmt_dist(config.NEAR_BAND_M, lang),
                y0=sv["years"][0],
                y1=sv["years"][1],
                diff=_pp(sv["difference"], lang),
                lo=_pp(sv["ci_low"], lang),
                hi=_pp(sv["ci_high"], lang),
            )
        )
    return lines


def _evaluation_crime_table(
    c: dict[str, Any], data: ReportData, lang: str, ring: str, n_placebo: int
) -> ReportTable:
    compare, rnd = data.compare, data.round
    county_only = data.municipality is not None
    rows: list[tuple[str, dict[str, Any] | None, str]] = [
        (t("ev_row_main", lang, ring=ring, round=rnd), c, t("ev_note_main", lang)),
        (
            t("ev_row_between", lang, compare=compare, round=rnd),
            c["between_rounds"],
            t("ev_note_between", lang),
        ),
        (
            t("ev_row_ring", lang, ring=ring),
            c["displacement"]["ring"],
            t("ev_note_displacement", lang),
        ),
        (
            t("ev_row_rest", lang),
            c["displacement"]["rest_of_municipality"],
            t("ev_note_displacement", lang),
        ),
        (t("ev_row_placebo", lang, n=n_placebo), c["placebo"], t("ev_note_placebo", lang)),
    ]
    col_out, col_rr = t("col_outcome", lang), t("col_rate_ratio", lang)
    col_lo, col_hi = t("col_ci_low", lang), t("col_ci_high", lang)
    col_p, col_note = t("col_p", lang), t("col_note", lang)
    records = []
    for name, e, note in rows:
        e = e or {}
        reason = e.get("reason")
        if reason and county_only and e is c["displacement"]["rest_of_municipality"]:
            note = t("ev_note_county_only", lang)
        elif reason:
            note = t("ev_no_estimate", lang, reason=reason_text(reason, lang))
        estimated = e.get("ci_low") is not None
        records.append(
            {
                col_out: name,
                col_rr: e.get("rate_ratio") if estimated else None,
                col_lo: e.get("ci_low"),
                col_hi: e.get("ci_high"),
                col_p: e.get("p_value"),
                col_note: note,
            }
        )
    records.append(
        {
            col_out: t("ev_row_pretrend", lang, compare=compare),
            col_rr: None,
            col_lo: None,
            col_hi: None,
            col_p: c["pretrend_p_value"],
            col_note: t("ev_note_pretrend", lang),
        }
    )
    return ReportTable(
        t("sheet_ev_crime", lang),
        t(
            "t_ev_crime",
            lang,
            first=c["first_month"] or "–",
            last=c["last_month"] or "–",
        ),
        pd.DataFrame(records),
        {col_rr: "ratio", col_lo: "ratio", col_hi: "ratio", col_p: "p3"},
        note=t("t_ev_crime_note", lang),
    )


def _evaluation_survey_table(sv: dict[str, Any], lang: str, near: str, min_n: int) -> ReportTable:
    years = list(sv.get("years") or [])
    col_diff = t("col_diff_pp", lang)
    col_lo, col_hi = t("col_ci_low", lang), t("col_ci_high", lang)

    def points(v: float | None) -> float | None:
        return None if v is None else round(100 * v, 6)

    frame = pd.DataFrame(
        [
            {
                t("col_year_before", lang): str(years[0]) if len(years) > 0 else "–",
                t("col_year_after", lang): str(years[1]) if len(years) > 1 else "–",
                col_diff: points(sv.get("difference")),
                col_lo: points(sv.get("ci_low")),
                col_hi: points(sv.get("ci_high")),
                t("col_note", lang): (
                    t("ev_no_estimate", lang, reason=reason_text(sv["reason"], lang))
                    if sv.get("reason")
                    else ""
                ),
            }
        ]
    )
    return ReportTable(
        t("sheet_ev_survey", lang),
        t("t_ev_survey", lang, near=near),
        frame,
        {col_diff: "pp", col_lo: "pp", col_hi: "pp"},
        note=t("t_ev_survey_note", lang, k=min_n),
    )
