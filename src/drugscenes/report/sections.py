"""Report sections of the crime and survey analyses.

Each section is built from the analysis's JSON-ready result (``to_dict()``), so the
report shows exactly the figures the ``crime`` and ``survey`` commands print. A
section whose data is missing says in one line what would fill it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from markupsafe import Markup

from drugscenes.analysis.crime import crime_concentration
from drugscenes.analysis.hotspots import registry_check
from drugscenes.analysis.periods import local_day, period_before_round
from drugscenes.analysis.survey import survey_estimates
from drugscenes.analysis.zones import assign_polygons
from drugscenes.errors import DrugscenesError, UsageError
from drugscenes.report import charts
from drugscenes.report.i18n import fmt_dist, fmt_pct, label, t
from drugscenes.report.model import Paragraph, ReportOptions, Section
from drugscenes.report.tables import ReportTable
from drugscenes.store import Store, incidents_path
from drugscenes.store.incidents_parquet import read_incidents

DEFAULT_RING_M = 200.0
NEAR_BAND_M = 500.0


def crime_period(store: Store, rnd: str, opts: ReportOptions) -> tuple[str, str]:
    """The period ``[start, end)``: ``--from``/``--to`` (``--to`` included), else the
    twelve months before the round (:func:`~drugscenes.analysis.periods.period_before_round`).
    """
    if opts.period_from and opts.period_to:
        last = date.fromisoformat(opts.period_to)
        return opts.period_from, (last + timedelta(days=1)).isoformat()
    if bool(opts.period_from) != bool(opts.period_to):
        raise UsageError("give both --from and --to, or neither")
    record = store.round_record(rnd)
    return period_before_round(rnd, record.date if record is not None else None)


def _period_text(start: str, end: str) -> str:
    last = date.fromisoformat(end) - timedelta(days=1)
    return f"{start} – {last.isoformat()}"


def _incidents(store: Store, opts: ReportOptions, ctx: dict[str, object], start: str, end: str):
    """The period's incidents (Swedish local days), only those in the reported municipality
    when there is one."""
    incidents = read_incidents(incidents_path(store.path), local_day(start), local_day(end))
    if opts.municipality and len(incidents):
        munis = ctx["municipalities"]
        inside = assign_polygons(
            incidents["x"].to_numpy(), incidents["y"].to_numpy(), munis.geometry.to_numpy()
        )
        incidents = incidents[inside >= 0]
    return incidents


def crime_section(store: Store, opts: ReportOptions, ctx: dict[str, object]) -> Section:
    lang = opts.lang
    rnd = str(ctx["round"])
    start, end_excl = crime_period(store, rnd, opts)
    period = _period_text(start, end_excl)
    sec = Section("crime", t("sec_crime", lang))
    munis = ctx["municipalities"]
    incidents = _incidents(store, opts, ctx, start, end_excl)
    if len(incidents) == 0:
        sec.missing = t("missing", lang, why=t("missing_incidents", lang, period=period))
        return sec
    result = crime_concentration(
        incidents,
        ctx["scenes"],
        munis,
        local_day(start),
        local_day(end_excl),
        rnd,
        rings_m=(DEFAULT_RING_M,),
    )
    d = result.to_dict()
    ctx["crime_result"] = d
    police = set(d.get("police_activity_categories", []))
    zones = d["zones"]
    cats = [c for c in zones[0]["counts"] if c not in police]
    ring = fmt_dist(DEFAULT_RING_M, lang)

    def zone_label(z: str) -> str:
        if z == "scene":
            return label("inside", lang)
        if z.startswith("near"):
            return t("within", lang, dist=ring)
        if z.startswith("rest:"):
            return f"{label('rest', lang)} {z[5:]}"
        return label(z, lang)

    # Headline: share of violence and shootings at or next to scenes against their area.
    conc = pd.DataFrame(d["concentration"])
    near = conc[conc["zone"] != "rest"] if len(conc) else conc
    if len(near):
        by_cat = near.groupby("category")[["share_of_incidents", "share_of_area"]].sum()
        if {"violence", "shooting"} <= set(by_cat.index):
            sec.paragraphs.append(
                Paragraph(
                    t(
                        "h_crime",
                        lang,
                        period=period,
                        ring=ring,
                        share_viol=fmt_pct(by_cat.loc["violence", "share_of_incidents"], lang),
                        share_shoot=fmt_pct(by_cat.loc["shooting", "share_of_incidents"], lang),
                        share_area=fmt_pct(by_cat.loc["violence", "share_of_area"], lang, 2),
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
    ctx["crime_headline"] = [p.text for p in sec.paragraphs]

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


def survey_section(store: Store, opts: ReportOptions, ctx: dict[str, object]) -> Section:
    lang = opts.lang
    sec = Section("survey", t("sec_survey", lang))
    years = store.survey_years()
    year = opts.survey_year if opts.survey_year is not None else (years[-1] if years else None)
    if year is None or year not in years:
        why = t("missing_survey", lang) if year is None else f"{year}: {t('missing_survey', lang)}"
        sec.missing = t("missing", lang, why=why)
        return sec
    respondents = store.read_survey(year)
    munis = ctx["municipalities"]
    if opts.municipality:
        code = munis["code"].iloc[0]
        respondents = respondents[respondents["municipality_code"] == code]
    try:
        result = survey_estimates(
            respondents,
            ctx["scenes"],
            munis,
            round_label=str(ctx["round"]),
            year=year,
            min_n=opts.min_n,
        )
    except DrugscenesError as exc:
        sec.missing = t("missing", lang, why=str(exc))
        return sec
    d = result.to_dict()
    ctx["survey_result"] = d
    region = d["region"]
    bands = d["bands"]
    near = bands[0] if bands else None
    if (
        near
        and not near["suppressed"]
        and near.get("share_unsafe") is not None
        and not region["suppressed"]
        and region.get("share_unsafe") is not None
    ):
        sec.paragraphs.append(
            Paragraph(
                t(
                    "h_survey",
                    lang,
                    year=year,
                    share_near=fmt_pct(near["share_unsafe"], lang),
                    dist=fmt_dist(near["max_m"] or NEAR_BAND_M, lang),
                    share_region=fmt_pct(region["share_unsafe"], lang),
                    region_noun=t("region_noun", lang)
                    if not opts.municipality
                    else str(ctx["municipality"]),
                ),
                "headline",
            )
        )
    ctx["survey_headline"] = [p.text for p in sec.paragraphs]
    sec.figures.append(Markup(charts.survey_chart(bands, region, lang, opts.min_n)))

    def rows(groups: list[dict], key: str) -> pd.DataFrame:
        supp = t("suppressed", lang, k=opts.min_n)
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
    note = t("t_survey_note", lang, method=method, k=opts.min_n)
    sec.tables.append(
        ReportTable(
            t("sheet_survey_bands", lang),
            t("chart_unsafe_title", lang),
            rows([*bands, {**region, "label": t("chart_region_line", lang)}], t("col_band", lang)),
            fmts,
            note,
        )
    )
    if d["municipalities"] and not opts.municipality:
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


def candidates_section(store: Store, opts: ReportOptions, ctx: dict[str, object]) -> Section:
    """Hot areas of drug offences, violence and shootings outside the registry."""
    lang = opts.lang
    rnd = str(ctx["round"])
    sec = Section("candidates", t("sec_candidates", lang))
    start, end = crime_period(store, rnd, opts)
    period = _period_text(start, end)
    incidents = _incidents(store, opts, ctx, start, end)
    if len(incidents) == 0:
        sec.missing = t("missing", lang, why=t("missing_incidents", lang, period=period))
        return sec
    comparison = ctx.get("comparison")
    ceased = ctx.get("ceased")
    distance = comparison.parameters.displacement_m if comparison is not None else 1000.0
    try:
        check = registry_check(
            incidents,
            ctx["municipalities"],
            ctx["scenes"],
            ceased,
            local_day(start),
            local_day(end),
            distance,
            rnd,
        )
    except DrugscenesError as exc:
        sec.missing = t("missing", lang, why=str(exc))
        return sec
    ctx["candidates_result"] = check.to_dict()
    ctx["candidates"] = check.analysis.candidates.candidates
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
            dist=fmt_dist(distance, lang),
        )
    )
    sec.paragraphs.append(Paragraph(sentence, "headline"))
    ctx["candidates_headline"] = [sentence]
    sec.paragraphs.append(Paragraph(t("m_candidates", lang), "note"))
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
