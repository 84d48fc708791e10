"""The mapping report: gather the analyses of a round, write HTML, Excel and GeoPackage.

:func:`build_report` is the one entry point. It reads from a workspace, runs the
pure analyses (inventory, change, history, crime, survey, each when its data is
there) and writes three files into a folder:

- ``report.html``: one self-contained file (Leaflet, CSS, data and SVG charts
  inside; a Content-Security-Policy forbids requests to any other host);
- ``report.xlsx``: every table of the report, one sheet each;
- ``scenes.gpkg``: the round's scenes with fate and area change, the ceased
  scenes and the municipalities, for QGIS.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from drugscenes import __version__
from drugscenes.analysis.change import RoundComparison, compare_rounds
from drugscenes.analysis.history import summarize_history
from drugscenes.analysis.inventory import RoundInventory, summarize_round
from drugscenes.errors import NotFoundError, UsageError
from drugscenes.io.gpkg_export import write_gpkg_layers
from drugscenes.report import charts
from drugscenes.report.i18n import (
    LANGS,
    fmt_area,
    fmt_dist,
    fmt_num,
    fmt_pct,
    fmt_signed_pct,
    label,
    t,
)
from drugscenes.report.mapdata import BASE_SIMPLIFY_M, bounds_wgs84, to_geojson
from drugscenes.report.model import Paragraph, ReportOptions, Section
from drugscenes.report.tables import ReportTable, to_html, write_workbook
from drugscenes.store import Store

FATE_COLORS = {
    "persisting": "#1f77b4",
    "grown": "#d62728",
    "shrunk": "#2ca02c",
    "unchanged": "#1f77b4",
    "new": "#ff7f0e",
    "merged": "#9467bd",
    "split": "#8c564b",
    "restructured": "#e377c2",
    "ceased": "#7f7f7f",
    "current": "#1f77b4",
}


@dataclass
class ReportOutput:
    """Files written and the figures behind the headline (for tests and the CLI)."""

    directory: Path
    html: Path
    xlsx: Path
    gpkg: Path
    round: str
    compare: str | None
    headline: list[str]
    inventory: RoundInventory
    comparison: RoundComparison | None
    sections: list[str]
    missing: dict[str, str]
    tables: list[ReportTable]
    extra: dict[str, object] = field(default_factory=dict)


# -- gathering ---------------------------------------------------------------------------


def _resolve_rounds(store: Store, opts: ReportOptions) -> tuple[str, str | None]:
    labels = store.round_labels()
    if not labels:
        raise UsageError(f"{store.path} has no mapping rounds; import one first")
    rnd = opts.round or labels[-1]
    if rnd not in labels:
        raise NotFoundError(f"no round '{rnd}' (rounds: {', '.join(labels)})")
    if opts.compare is not None:
        if opts.compare not in labels:
            raise NotFoundError(f"no round '{opts.compare}' (rounds: {', '.join(labels)})")
        return rnd, opts.compare
    k = labels.index(rnd)
    return rnd, labels[k - 1] if k > 0 else None


def _scene_layer(
    scenes: gpd.GeoDataFrame,
    comparison: RoundComparison | None,
    history: pd.DataFrame,
    names: dict[str, str],
    lang: str,
) -> gpd.GeoDataFrame:
    """The reported round's scenes with fate, area change and history, for map and GeoPackage."""
    out = scenes[["scene_id", "name", "municipality_code", "area_m2", "geometry"]].copy()
    out["municipality"] = out["municipality_code"].map(names)
    if comparison is not None:
        fates = comparison.to_scenes.reset_index(drop=True)
        comp = comparison.scenes.set_index("component")
        out["status"] = fates["status"].to_numpy()
        out["size_change"] = fates["size_change"].to_numpy()
        out["displacement"] = fates["displacement"].to_numpy()
        out["previous_ids"] = fates["linked_ids"].to_numpy()
        out["area_previous_m2"] = comp.loc[fates["component"], "area_from_m2"].to_numpy()
        # A merged scene's previous area is the sum of its predecessors'; a split part's
        # previous area is the whole of the scene it came from.
        out["area_change_pct"] = (
            100 * (out["area_m2"] - out["area_previous_m2"]) / out["area_previous_m2"]
        ).where(out["status"] == "persisting")
        out["fate"] = out["size_change"].where(
            (out["status"] == "persisting") & out["size_change"].isin(["grown", "shrunk"]),
            out["status"],
        )
    else:
        out["status"] = None
        out["fate"] = "current"
    hist = _history_by_scene(history, scenes)
    out["history"] = out["scene_id"].map(hist).fillna("")
    out["title"] = out["name"].fillna(out["scene_id"])
    return out


def _history_by_scene(history: pd.DataFrame, scenes: gpd.GeoDataFrame) -> dict[str, str]:
    if history.empty:
        return {}
    out = {}
    for row in history.itertuples():
        text = ", ".join(row.rounds_present)
        for sid in row.scene_ids:
            out.setdefault(sid, text)
    return {sid: out.get(sid, "") for sid in scenes["scene_id"]}


def _popup(row: pd.Series, lang: str, compare: str | None) -> list[list[str]]:
    rows = [
        [t("col_scene", lang), str(row["scene_id"])],
        [t("col_municipality", lang), f"{row['municipality'] or ''} ({row['municipality_code']})"],
        [t("map_area", lang), fmt_area(row["area_m2"], lang)],
    ]
    if compare is not None and row.get("status"):
        rows.append([t("col_status", lang), label(row["fate"], lang)])
        if pd.notna(row.get("area_previous_m2")):
            change = row.get("area_change_pct")
            tail = f" ({fmt_signed_pct(change, lang)})" if pd.notna(change) else ""
            rows.append(
                [f"{t('map_area', lang)} {compare}", fmt_area(row["area_previous_m2"], lang) + tail]
            )
    if row.get("history"):
        rows.append([t("map_history", lang), row["history"]])
    return rows


# -- sections ---------------------------------------------------------------------------


def _headline(
    inv: RoundInventory,
    comparison: RoundComparison | None,
    lang: str,
    municipality: str | None,
) -> list[str]:
    """Sentences for the summary, each generated from the analysis results."""
    area = fmt_area(inv.total_area_m2, lang)
    if municipality:
        lines = [
            t(
                "h_inventory_muni",
                lang,
                round=inv.round,
                n=fmt_num(inv.n_scenes, lang),
                municipality=municipality,
                area=area,
            )
        ]
    else:
        lines = [
            t(
                "h_inventory",
                lang,
                round=inv.round,
                n=fmt_num(inv.n_scenes, lang),
                k=fmt_num(inv.n_municipalities_with_scenes, lang),
                N=fmt_num(inv.n_municipalities, lang),
                region_the=t("region_the", lang),
                area=area,
            )
        ]
    if comparison is None:
        return lines
    c = comparison
    lines.append(
        t(
            "h_change",
            lang,
            from_round=c.from_round,
            ceased=fmt_num(c.ceased, lang),
            new=fmt_num(c.new, lang),
            n_from=fmt_num(c.n_from, lang),
            n_to=fmt_num(c.n_to, lang),
        )
    )
    if c.merged or c.split:
        lines.append(
            t("h_restructure", lang, merged=fmt_num(c.merged, lang), split=fmt_num(c.split, lang))
        )
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
    if not municipality and c.municipalities_from != c.municipalities_to:
        lines.append(
            t(
                "h_munis",
                lang,
                m_from=fmt_num(c.municipalities_from, lang),
                m_to=fmt_num(c.municipalities_to, lang),
            )
        )
    if c.new_near_previous:
        lines.append(
            t(
                "h_new_near",
                lang,
                near=fmt_num(c.new_near_previous, lang),
                dist=fmt_dist(c.parameters.displacement_m, lang),
            )
        )
    if c.new_elsewhere:
        lines.append(t("h_new_elsewhere", lang, elsewhere=fmt_num(c.new_elsewhere, lang)))
    else:
        lines.append(t("h_no_new", lang))
    return lines


def _municipality_table(
    inv: RoundInventory,
    comparison: RoundComparison | None,
    lang: str,
    rnd: str,
    compare: str | None,
) -> ReportTable:
    by = inv.by_municipality
    frame = pd.DataFrame(
        {
            t("col_code", lang): by["code"],
            t("col_municipality", lang): by["name"],
            t("col_n_to", lang, round=rnd): by["n_scenes"],
            t("col_area_to", lang, round=rnd): by["area_m2"],
        }
    )
    formats = {t("col_n_to", lang, round=rnd): "int", t("col_area_to", lang, round=rnd): "area"}
    if comparison is not None and compare is not None:
        prev = comparison.by_municipality.reindex(by["code"].to_numpy())
        col_n, col_a = t("col_n_from", lang, round=compare), t("col_area_from", lang, round=compare)
        frame.insert(2, col_n, prev["n_from"].fillna(0).astype(int).to_numpy())
        frame.insert(4, col_a, prev["area_from_m2"].fillna(0.0).to_numpy())
        frame[t("col_change", lang)] = frame[t("col_n_to", lang, round=rnd)] - frame[col_n]
        formats.update({col_n: "int", col_a: "area", t("col_change", lang): "int"})
    keep = frame[t("col_n_to", lang, round=rnd)] > 0
    if comparison is not None and compare is not None:
        keep |= frame[t("col_n_from", lang, round=compare)] > 0
    return ReportTable(
        t("sheet_municipalities", lang),
        t("sec_municipalities", lang),
        frame[keep].reset_index(drop=True),
        formats,
    )


def _scene_table(layer: gpd.GeoDataFrame, lang: str, rnd: str, compare: str | None) -> ReportTable:
    frame = pd.DataFrame(
        {
            t("col_scene", lang): layer["scene_id"],
            t("col_name", lang): layer["name"],
            t("col_code", lang): layer["municipality_code"],
            t("col_municipality", lang): layer["municipality"],
            t("col_area_to", lang, round=rnd): layer["area_m2"],
        }
    )
    formats = {t("col_area_to", lang, round=rnd): "area"}
    if compare is not None:
        frame[t("col_status", lang)] = [label(v, lang) for v in layer["fate"]]
        frame[t("col_area_from", lang, round=compare)] = layer["area_previous_m2"]
        frame[t("col_change_pct", lang)] = layer["area_change_pct"]
        formats.update(
            {t("col_area_from", lang, round=compare): "area", t("col_change_pct", lang): "float1"}
        )
    return ReportTable(t("sheet_scenes", lang), t("map_scenes", lang, round=rnd), frame, formats)


def _change_table(c: RoundComparison, lang: str) -> ReportTable:
    s = c.scenes
    frame = pd.DataFrame(
        {
            t("col_status", lang): [label(v, lang) for v in s["status"]],
            t("col_from_ids", lang, round=c.from_round): s["from_ids"].map(", ".join),
            t("col_to_ids", lang, round=c.to_round): s["to_ids"].map(", ".join),
            t("col_code", lang): s["municipality_code"],
            t("col_area_from", lang, round=c.from_round): s["area_from_m2"],
            t("col_area_to", lang, round=c.to_round): s["area_to_m2"],
            t("col_change_pct", lang): s["area_pct_change"],
            t("col_size", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in s["size_change"]
            ],
            t("col_displacement", lang): [
                label(v, lang) if isinstance(v, str) else "" for v in s["displacement"]
            ],
        }
    )
    formats = {
        t("col_area_from", lang, round=c.from_round): "area",
        t("col_area_to", lang, round=c.to_round): "area",
        t("col_change_pct", lang): "float1",
    }
    return ReportTable(
        t("sheet_change", lang),
        t("sec_change", lang, round=c.from_round),
        frame,
        formats,
    )


def _history_table(history: pd.DataFrame, labels: list[str], lang: str) -> ReportTable:
    frame = pd.DataFrame(
        {
            t("col_place", lang): history["place_id"],
            t("col_ids", lang): history["scene_ids"].map(", ".join),
            t("col_first", lang): history["first_round"],
            t("col_last", lang): history["last_round"],
            t("col_n_rounds", lang): history["n_rounds"],
            t("col_rounds", lang): history["rounds_present"].map(", ".join),
            t("col_came_back", lang): [t("yes", lang) if v else "" for v in history["came_back"]],
        }
    )
    formats = {t("col_n_rounds", lang): "int"}
    for lbl in labels:
        col = f"{t('map_area', lang)} {lbl} (m²)"
        frame[col] = history[f"area_m2_{lbl}"]
        formats[col] = "area"
    return ReportTable(t("sheet_history", lang), t("sec_history", lang), frame, formats)


# -- building ---------------------------------------------------------------------------


SectionHook = Callable[[Store, ReportOptions, dict[str, object]], Section]
"""A section added by another analysis (crime, survey, candidates): gets the store, the
options and the context (``round``, ``scenes``, ``municipalities``, ...) and returns its
section, with ``missing`` set when its data is absent."""

SECTION_HOOKS: list[SectionHook] = []


def build_report(
    store: Store,
    out_dir: str | Path,
    options: ReportOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportOutput:
    """Write ``report.html``, ``report.xlsx`` and ``scenes.gpkg`` for a round.

    Parameters
    ----------
    store : Store
        The workspace.
    out_dir : str or Path
        Folder for the three files (created if needed).
    options : ReportOptions, optional
        Round, comparison, period, survey year, municipality, language.
    progress : callable, optional
        Called with a short description before each step.

    Returns
    -------
    ReportOutput
    """
    opts = options or ReportOptions()
    if opts.lang not in LANGS:
        raise UsageError(f"--lang must be one of {', '.join(LANGS)}, got {opts.lang!r}")
    lang = opts.lang
    step = progress or (lambda _m: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    step("reading the workspace")
    rnd, compare = _resolve_rounds(store, opts)
    labels = store.round_labels()
    munis = store.municipalities()
    names = dict(zip(munis["code"], munis["name"], strict=True))
    scenes_to = store.round_scenes(rnd)
    scenes_from = store.round_scenes(compare) if compare else None
    muni_name = None
    report_munis = munis
    if opts.municipality is not None:
        code = (
            opts.municipality.strip().zfill(4)
            if opts.municipality.strip().isdigit()
            else opts.municipality
        )
        if code not in names:
            raise NotFoundError(f"no municipality '{opts.municipality}' in the workspace")
        muni_name = names[code]
        report_munis = munis[munis["code"] == code].reset_index(drop=True)
        scenes_to = scenes_to[scenes_to["municipality_code"] == code].reset_index(drop=True)
        if scenes_from is not None:
            scenes_from = scenes_from[scenes_from["municipality_code"] == code].reset_index(
                drop=True
            )

    step("analysing the round")
    inv = summarize_round(scenes_to, report_munis, rnd)
    comparison = (
        compare_rounds(scenes_from, scenes_to, report_munis, from_round=compare, to_round=rnd)
        if scenes_from is not None
        else None
    )
    stored_history = store.read_table("scene_history")
    history = (
        summarize_history(stored_history, labels) if not stored_history.empty else pd.DataFrame()
    )
    if not history.empty:
        wanted = set(scenes_to["scene_id"]) | (
            set(scenes_from["scene_id"]) if scenes_from is not None else set()
        )
        history = history[history["scene_ids"].map(lambda ids: bool(wanted & set(ids)))]
        history = history.reset_index(drop=True)
    layer = _scene_layer(scenes_to, comparison, history, names, lang)
    ceased = gpd.GeoDataFrame(geometry=[], crs=munis.crs)
    if comparison is not None and scenes_from is not None:
        ceased_mask = (comparison.from_scenes["status"] == "ceased").to_numpy()
        ceased = scenes_from[ceased_mask][
            ["scene_id", "name", "municipality_code", "area_m2", "geometry"]
        ].copy()
        ceased["municipality"] = ceased["municipality_code"].map(names)
        ceased["status"] = "ceased"
        ceased["title"] = ceased["name"].fillna(ceased["scene_id"])

    headline = _headline(inv, comparison, lang, muni_name)
    sections: list[Section] = []
    sections.append(
        Section("summary", t("sec_headline", lang), [Paragraph(s, "headline") for s in headline])
    )
    map_sec = Section("map", t("sec_map", lang))
    if opts.tile_url is None:
        map_sec.paragraphs.append(Paragraph(t("map_no_tiles", lang), "note"))
    sections.append(map_sec)

    muni_table = _municipality_table(inv, comparison, lang, rnd, compare)
    scene_table = _scene_table(layer, lang, rnd, compare)
    sec = Section("municipalities", t("sec_municipalities", lang), tables=[muni_table, scene_table])
    if len(muni_table.frame) > 1:
        before = muni_table.frame.get(t("col_n_from", lang, round=compare)) if compare else None
        sec.figures.append(
            Markup(
                charts.municipality_chart(
                    list(muni_table.frame[t("col_code", lang)]),
                    list(muni_table.frame[t("col_municipality", lang)]),
                    None if before is None else list(before),
                    list(muni_table.frame[t("col_n_to", lang, round=rnd)]),
                    str(compare),
                    rnd,
                )
            )
        )
    sections.append(sec)

    if comparison is not None:
        sections.append(
            Section(
                "change",
                t("sec_change", lang, round=compare),
                tables=[_change_table(comparison, lang)],
            )
        )
    else:
        sections.append(
            Section(
                "change",
                t("sec_change", lang, round="–"),
                missing=t("missing", lang, why=t("why_no_change", lang)),
            )
        )
    if not history.empty:
        sections.append(
            Section(
                "history", t("sec_history", lang), tables=[_history_table(history, labels, lang)]
            )
        )

    context: dict[str, object] = {
        "round": rnd,
        "compare": compare,
        "scenes": scenes_to,
        "municipalities": report_munis,
        "all_municipalities": munis,
        "municipality": opts.municipality and muni_name,
        "comparison": comparison,
        "headline": headline,
    }
    from drugscenes.report.sections import candidates_section, crime_section, survey_section

    context["ceased"] = ceased
    for hook in (crime_section, survey_section, candidates_section, *SECTION_HOOKS):
        step(f"section {getattr(hook, '__name__', 'extra')}")
        sections.append(hook(store, opts, context))
    # Sections add their headline sentences to the summary.
    for key in ("crime_headline", "survey_headline", "candidates_headline"):
        sections[0].paragraphs += [Paragraph(s, "headline") for s in context.get(key, [])]
        headline += list(context.get(key, []))
    sections.append(_method_section(opts, rnd, compare, comparison, lang, store))

    tables = [tbl for s in sections for tbl in s.tables]
    step("writing report.html")
    html = _render_html(
        sections,
        layer,
        ceased,
        report_munis,
        rnd,
        compare,
        opts,
        muni_name,
        context.get("candidates"),
    )
    paths = (out / "report.html", out / "report.xlsx", out / "scenes.gpkg")
    paths[0].write_text(html, encoding="utf-8")
    step("writing report.xlsx")
    write_workbook(paths[1], tables, lang)
    step("writing scenes.gpkg")
    _write_gpkg(paths[2], layer, ceased, report_munis, context.get("candidates"))
    return ReportOutput(
        out,
        *paths,
        rnd,
        compare,
        headline,
        inv,
        comparison,
        [s.key for s in sections],
        {s.key: s.missing for s in sections if s.missing},
        tables,
        {k: v for k, v in context.items() if k.endswith("_result")},
    )


def _method_section(
    opts: ReportOptions,
    rnd: str,
    compare: str | None,
    comparison: RoundComparison | None,
    lang: str,
    store: Store,
) -> Section:
    rounds = store.rounds().set_index("label")
    sec = Section("method", t("sec_method", lang))

    def src(r: str) -> str:
        return f"{r} ({rounds.loc[r, 'source_file']}, {rounds.loc[r, 'date'] or '–'})"

    lines = [t("m_round", lang, round=src(rnd))]
    if compare:
        lines[0] += " " + t("m_compare", lang, round=src(compare))
    lines.append(t("m_area", lang))
    if comparison is not None:
        p = comparison.parameters
        lines += [
            t(
                "m_matching",
                lang,
                overlap=fmt_pct(p.min_overlap, lang),
                tolerance=fmt_dist(p.tolerance_m, lang),
            ),
            t(
                "m_size",
                lang,
                size=fmt_pct(p.size_tolerance, lang),
                distance=fmt_dist(p.displacement_m, lang),
            ),
            t("m_counting", lang),
        ]
    lines += [t("m_crime", lang), t("m_survey", lang)]
    lines.append(
        t("generated", lang, date=datetime.now(UTC).date().isoformat(), version=__version__)
    )
    sec.paragraphs = [Paragraph(s, "note") for s in lines]
    return sec


def _vendor(name: str) -> str:
    return resources.files("drugscenes.report").joinpath(name).read_text(encoding="utf-8")


def _leaflet_css() -> str:
    """Leaflet's CSS with its images inlined, so the report requests nothing."""
    css = _vendor("vendor/leaflet/leaflet.css")
    base = resources.files("drugscenes.report").joinpath("vendor/leaflet")

    def inline(m: re.Match[str]) -> str:
        data = base.joinpath(m.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode()})"

    return re.sub(r"url\((images/[\w-]+\.png)\)", inline, css)


def _render_html(
    sections: list[Section],
    layer: gpd.GeoDataFrame,
    ceased: gpd.GeoDataFrame,
    munis: gpd.GeoDataFrame,
    rnd: str,
    compare: str | None,
    opts: ReportOptions,
    muni_name: str | None,
    candidates: gpd.GeoDataFrame | None = None,
) -> str:
    lang = opts.lang
    env = Environment(
        loader=PackageLoader("drugscenes.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    scenes_geo = layer.copy()
    scenes_geo["popup"] = [_popup(r, lang, compare) for _, r in layer.iterrows()]
    centres = gpd.GeoSeries(layer.geometry.representative_point(), crs=layer.crs).to_crs(4326)
    scenes_geo["centre"] = [[round(p.x, 6), round(p.y, 6)] for p in centres]
    scenes_geo = scenes_geo[["title", "fate", "popup", "centre", "geometry"]]
    ceased_geo = ceased.copy()
    if len(ceased_geo):
        ceased_geo["popup"] = [
            [
                [t("col_scene", lang), r["scene_id"]],
                [
                    t("col_municipality", lang),
                    f"{r['municipality'] or ''} ({r['municipality_code']})",
                ],
                [t("map_area", lang), fmt_area(r["area_m2"], lang)],
                [t("col_status", lang), label("ceased", lang)],
            ]
            for _, r in ceased.iterrows()
        ]
        centres = gpd.GeoSeries(ceased.geometry.representative_point(), crs=ceased.crs)
        ceased_geo["centre"] = [[round(p.x, 6), round(p.y, 6)] for p in centres.to_crs(4326)]
        ceased_geo = ceased_geo[["title", "popup", "centre", "geometry"]]
    fates = (
        [
            f
            for f in ("persisting", "grown", "shrunk", "new", "merged", "split", "restructured")
            if f in set(layer["fate"])
        ]
        if compare
        else ["current"]
    )
    data = {
        "municipalities": to_geojson(munis[["code", "name", "geometry"]], BASE_SIMPLIFY_M),
        "scenes": to_geojson(scenes_geo),
        "ceased": to_geojson(ceased_geo)
        if len(ceased_geo)
        else {"type": "FeatureCollection", "features": []},
        "colors": FATE_COLORS,
        "legend": [
            [label(f, lang) if f != "current" else t("map_scenes", lang, round=rnd), FATE_COLORS[f]]
            for f in fates
        ]
        + ([[t("map_ceased", lang, round=compare), "#ffffff"]] if len(ceased_geo) else []),
        "labels": {
            "candidates": t("sec_candidates", lang),
            "municipalities": t("map_municipalities", lang),
            "scenes": t("map_scenes", lang, round=rnd),
            "ceased": t("map_ceased", lang, round=compare or ""),
        },
        "bounds": bounds_wgs84(layer) if len(layer) else None,
        "region_bounds": bounds_wgs84(munis),
        "tile_url": opts.tile_url,
        "candidates": _candidate_layer(candidates, lang),
    }
    # "</" cannot appear inside the JSON script element.
    map_json = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    img_src = "data:"
    if opts.tile_url:
        m = re.match(r"^(https?://[^/]+)", opts.tile_url.replace("{s}", "a"))
        img_src += f" {m.group(1)}" if m else ""
    csp = (
        f"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        f"img-src {img_src}; font-src data:"
    )
    title = (
        t("title_muni", lang, municipality=muni_name, round=rnd)
        if muni_name
        else t("title", lang, round=rnd)
    )
    rendered_sections = []
    for s in sections:
        rendered_sections.append(
            {
                "key": s.key,
                "title": s.title,
                "missing": s.missing,
                "paragraphs": s.paragraphs,
                "figures": s.figures,
                "tables": [to_html(tbl, lang, f"t-{s.key}-{k}") for k, tbl in enumerate(s.tables)],
            }
        )
    return env.get_template("report.html.j2").render(
        lang=lang,
        title=title,
        csp=csp,
        version=__version__,
        generated=t(
            "generated", lang, date=datetime.now(UTC).date().isoformat(), version=__version__
        ),
        contents=t("contents", lang),
        sections=rendered_sections,
        leaflet_css=Markup(_leaflet_css()),
        report_css=Markup(_vendor("static/report.css")),
        leaflet_js=Markup(_vendor("vendor/leaflet/leaflet.js")),
        report_js=Markup(_vendor("static/report.js")),
        map_json=Markup(map_json),
    )


def _candidate_layer(candidates: gpd.GeoDataFrame | None, lang: str) -> dict:
    """Candidate areas for the map, with a popup each."""
    if candidates is None or len(candidates) == 0:
        return {"type": "FeatureCollection", "features": []}
    frame = candidates[["candidate_id", "count", "trend", "geometry"]].copy()
    frame["title"] = [f"{t('col_candidate', lang)} {c}" for c in frame["candidate_id"]]
    frame["popup"] = [
        [[t("col_count", lang), fmt_num(n, lang)], [t("col_trend", lang), label(tr or "", lang)]]
        for n, tr in zip(frame["count"], frame["trend"], strict=True)
    ]
    return to_geojson(frame[["title", "popup", "geometry"]])


def _write_gpkg(
    path: Path,
    layer: gpd.GeoDataFrame,
    ceased: gpd.GeoDataFrame,
    munis: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame | None = None,
) -> None:
    cols = [
        c
        for c in (
            "scene_id", "name", "municipality_code", "municipality", "area_m2", "status",
            "fate", "size_change", "displacement", "previous_ids", "area_previous_m2",
            "area_change_pct", "history", "geometry",
        )
        if c in layer.columns
    ]  # fmt: skip
    ceased_cols = ["scene_id", "name", "municipality_code", "municipality", "area_m2", "status"]
    write_gpkg_layers(
        path,
        {
            "scenes": gpd.GeoDataFrame(layer[cols], geometry="geometry", crs=munis.crs),
            "ceased_scenes": ceased[[*ceased_cols, "geometry"]] if len(ceased) else None,
            "municipalities": munis[["code", "name", "geometry"]],
            "candidate_scenes": candidates,
        },
    )
