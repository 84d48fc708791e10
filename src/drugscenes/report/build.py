"""The mapping report's renderer: HTML, Excel and GeoPackage from a ReportData.

:func:`render` formats the results of :class:`~drugscenes.report.model.ReportData` (made
by :func:`drugscenes.services.report.report`, the one entry point) and computes no
figure of its own. It writes these files into a folder:

- ``report.html``: one self-contained file (Leaflet, CSS, data and SVG charts
  inside; a Content-Security-Policy forbids requests to any other host);
- ``report.xlsx``: every table of the report, one sheet each;
- ``scenes.gpkg``: the round's scenes with their fates (the layers of ``compare
  --gpkg``), the ceased scenes, the municipalities and the candidate scenes, for QGIS
  (:func:`drugscenes.io.gpkg_export.write_change_gpkg`);
- ``report.pdf``: the page's print version (no script, a static map, long tables in an
  appendix) printed to A4 by a headless Chromium when one is found
  (:mod:`drugscenes.report.pdf`, :mod:`drugscenes.report.staticmap`).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from drugscenes import __version__, config
from drugscenes.analysis.change import RoundComparison
from drugscenes.io.gpkg_export import change_layers, write_change_gpkg
from drugscenes.io.outputs import check_output_dir, staged_outputs
from drugscenes.report.csp import content_security_policy, script_json
from drugscenes.report.i18n import (
    fmt_area,
    fmt_dist,
    fmt_num,
    fmt_pct,
    fmt_signed_pct,
    label,
    scene_ref,
    t,
)
from drugscenes.report.mapdata import (
    BASE_SIMPLIFY_M,
    LAYER_STYLES,
    MAP_BACKGROUND,
    MARKER_MAX_ZOOM,
    MARKER_RADIUS_PX,
    bounds_wgs84,
    focus_geometries,
    label_points,
    legend_entries,
    legend_html,
    to_geojson,
    view_bounds,
)
from drugscenes.report.model import Paragraph, ReportData, ReportOptions, ReportOutput, Section
from drugscenes.report.pdf import LONG_TABLE_ROWS, PdfResult, page_css, print_text, write_pdf
from drugscenes.report.qgis_style import report_layer_styles
from drugscenes.report.sections import (
    candidates_section,
    crime_section,
    evaluation_section,
    missing_section,
    missing_text,
    survey_section,
)
from drugscenes.report.staticmap import static_map_svg
from drugscenes.report.story import (
    change_paragraphs,
    headline_sentences,
    municipality_table,
    rounds_section,
)
from drugscenes.report.story import title as report_title
from drugscenes.report.tables import ReportTable, to_html, write_workbook
from drugscenes.report.workbook import workbook_info
from drugscenes.services.common import Progress, quiet

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
OUTPUT_FILES = ("report.html", "report.xlsx", "scenes.gpkg", "report.pdf")
"""The files :func:`render` writes into its folder (``report.pdf`` when a browser can print
it, :mod:`drugscenes.report.pdf`)."""


# -- the scenes layer ----------------------------------------------------------------------


def _scene_layer(data: ReportData) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The round's scenes with their fates (:func:`~drugscenes.io.gpkg_export.change_layers`)
    and the ceased scenes, with the columns the map adds (:func:`_map_columns`)."""
    c = data.change
    later, ceased = change_layers(
        None if c is None else c.before, data.scenes, None if c is None else c.comparison
    )
    if c is None:
        later["status"] = None
        later["fate"] = "current"
    for frame in (later, ceased):
        for col, values in _map_columns(frame, data).items():
            frame[col] = values
    return later, ceased


def _map_columns(frame: gpd.GeoDataFrame, data: ReportData) -> dict[str, list[str]]:
    """Municipality name, the title on the map and the rounds of the scene's place."""
    names = dict(zip(data.municipalities["code"], data.municipalities["name"], strict=True))
    rounds = data.history.rounds_of_scenes()
    return {
        "municipality": [names.get(c) for c in frame["municipality_code"]],
        "title": [
            n if isinstance(n, str) and n else str(i)
            for n, i in zip(frame["name"], frame["scene_id"], strict=True)
        ],
        "history": [", ".join(rounds.get(str(i), [])) for i in frame["scene_id"]],
    }


def _popup(row: pd.Series, lang: str, compare: str | None) -> list[list[str]]:
    rows = [
        [t("col_scene", lang), str(row["scene_id"])],
        [t("col_municipality", lang), f"{row['municipality'] or ''} ({row['municipality_code']})"],
        [t("map_area", lang), fmt_area(row["area_m2"], lang)],
    ]
    if compare is not None and row.get("status"):
        rows.append([t("col_status", lang), label(row["fate"], lang)])
        if pd.notna(row.get("area_from_m2")):
            change = row.get("area_pct_change")
            tail = f" ({fmt_signed_pct(change, lang)})" if pd.notna(change) else ""
            rows.append(
                [f"{t('map_area', lang)} {compare}", fmt_area(row["area_from_m2"], lang) + tail]
            )
    if row.get("history"):
        rows.append([t("map_history", lang), row["history"]])
    return rows


# -- sections ---------------------------------------------------------------------------


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
        frame[t("col_area_from", lang, round=compare)] = layer["area_from_m2"]
        frame[t("col_change_pct", lang)] = layer["area_pct_change"]
        formats.update(
            {t("col_area_from", lang, round=compare): "area", t("col_change_pct", lang): "float1"}
        )
    return ReportTable(t("sheet_scenes", lang), t("map_scenes", lang, round=rnd), frame, formats)


def _change_table(c: RoundComparison, lang: str, data: ReportData | None = None) -> ReportTable:
    s = c.scenes
    names = {} if data is None or data.story is None else data.story.scene_names

    def refs(ids: list[str]) -> str:
        return ", ".join(scene_ref(i, names.get(str(i), "")) for i in ids)

    frame = pd.DataFrame(
        {
            t("col_status", lang): [label(v, lang) for v in s["status"]],
            t("col_from_ids", lang, round=c.from_round): s["from_ids"].map(refs),
            t("col_to_ids", lang, round=c.to_round): s["to_ids"].map(refs),
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


def _history_table(
    history: pd.DataFrame, labels: list[str], lang: str, names: dict[str, str] | None = None
) -> ReportTable:
    names = names or {}
    frame = pd.DataFrame(
        {
            t("col_place", lang): history["place_id"],
            t("col_ids", lang): history["scene_ids"].map(", ".join),
            # The place's name: the first of its scenes' names that is known.
            t("col_name", lang): [
                next((names[str(i)] for i in ids if names.get(str(i))), "")
                for ids in history["scene_ids"]
            ],
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


# -- rendering ---------------------------------------------------------------------------


def _sections(
    data: ReportData, step: Progress
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[Section], list[str]]:
    """The scenes layer, the ceased scenes, the report's sections and its summary."""
    opts, lang = data.options, data.options.lang
    rnd, compare = data.round, data.compare
    comparison = None if data.change is None else data.change.comparison
    layer, ceased = _scene_layer(data)
    headline = headline_sentences(data, lang)
    sections: list[Section] = [
        Section("summary", t("sec_headline", lang), [Paragraph(s, "headline") for s in headline])
    ]
    map_sec = Section("map", t("sec_map", lang))
    if opts.tile_url is None:
        map_sec.paragraphs.append(Paragraph(t("map_no_tiles", lang), "note"))
    sections.append(map_sec)

    muni_table, muni_chart = municipality_table(data, lang)
    scene_table = _scene_table(layer, lang, rnd, compare)
    shown = [muni_table, scene_table] if len(scene_table.frame) else [muni_table]
    sec = Section("municipalities", t("sec_municipalities", lang), tables=shown)
    if muni_chart is not None:
        sec.figures.append(muni_chart)
    sections.append(sec)
    sections.append(rounds_section(data, lang))

    if comparison is not None:
        sections.append(
            Section(
                "change",
                t("sec_change", lang, round=compare),
                paragraphs=change_paragraphs(data, lang),
                tables=[_change_table(comparison, lang, data)] if len(comparison.scenes) else [],
            )
        )
    else:
        sections.append(
            Section(
                "change",
                t("sec_change", lang, round="–"),
                missing=missing_text(data.missing["change"], data, lang),
            )
        )
    places = data.history.places
    if len(places):
        sections.append(
            Section(
                "history",
                t("sec_history", lang),
                tables=[
                    _history_table(
                        places,
                        data.history.rounds,
                        lang,
                        None if data.story is None else data.story.scene_names,
                    )
                ],
            )
        )
    for key, result, build in (
        ("crime", data.crime, crime_section),
        ("survey", data.survey, survey_section),
        ("evaluation", data.evaluation, evaluation_section),
        ("candidates", data.candidates, candidates_section),
    ):
        step(f"section {key}")
        extra = missing_section(key, data, lang) if result is None else build(data, lang)
        sections.append(extra)
        # Sections add their headline sentences to the summary.
        found = [p.text for p in extra.paragraphs if p.cls == "headline"]
        sections[0].paragraphs += [Paragraph(s, "headline") for s in found]
        headline += found
    sections.append(_method_section(data, comparison, lang))
    return layer, ceased, sections, headline


def render_html(data: ReportData, progress: Progress | None = None) -> str:
    """``report.html`` of ``data`` as text, without writing anything (for checks of every
    municipality's page; :func:`render` writes it with the other files)."""
    step = progress or quiet
    layer, ceased, sections, _ = _sections(data, step)
    cands = None if data.candidates is None else data.candidates.analysis.candidates.candidates
    muni_name = None if data.municipality is None else data.municipality[1]
    return _render_html(
        sections,
        layer,
        ceased,
        data.municipalities,
        data.round,
        data.compare,
        data.options,
        muni_name,
        cands,
        data,
    )


def render(data: ReportData, out_dir: str | Path, progress: Progress | None = None) -> ReportOutput:
    """Write ``report.html``, ``report.xlsx`` and ``scenes.gpkg`` showing ``data``.

    Parameters
    ----------
    data : ReportData
        The results to show (:func:`drugscenes.services.report.gather`).
    out_dir : str or Path
        Folder for the three files (created if needed). A folder or any of the three
        files that is a symbolic link, or a file where the folder should be, is refused
        before anything is written (:mod:`drugscenes.io.outputs`); the files are moved
        into place only when all three are complete.
    progress : callable, optional
        Told what is being written.
    """
    step = progress or quiet
    opts, lang = data.options, data.options.lang
    rnd, compare = data.round, data.compare
    comparison = None if data.change is None else data.change.comparison
    muni_name = None if data.municipality is None else data.municipality[1]
    out = check_output_dir(out_dir, "--out", OUTPUT_FILES)

    layer, ceased, sections, headline = _sections(data, step)

    tables = [tbl for s in sections for tbl in s.tables]
    step("writing report.html")
    cands = None if data.candidates is None else data.candidates.analysis.candidates.candidates
    html_args = (sections, layer, ceased, data.municipalities, rnd, compare, opts, muni_name, cands)
    html_args += (data,)  # the title and the synthetic-data banner (report.story)
    html = _render_html(*html_args)
    # Written beside the folder's files and moved over them when all three are complete.
    with staged_outputs(out, OUTPUT_FILES, "--out") as staged:
        staged["report.html"].write_text(html, encoding="utf-8", newline="\n")
        step("writing report.xlsx")
        write_workbook(staged["report.xlsx"], tables, lang, workbook_info(data))
        step("writing scenes.gpkg")
        _write_gpkg(staged["scenes.gpkg"], data, layer, comparison, cands)
        pdf = PdfResult(None)  # not asked for (ReportOptions.pdf)
        if opts.pdf:
            step("writing report.pdf")
            pdf = write_pdf(
                lambda: _render_html(*html_args, for_print=True),
                staged["report.pdf"],
                staged["report.pdf"].parent,
            )
    paths = tuple(out / name for name in OUTPUT_FILES[:3])
    return ReportOutput(
        out,
        *paths,
        data,
        headline,
        [s.key for s in sections],
        {s.key: s.missing for s in sections if s.missing},
        tables,
        pdf=None if pdf.path is None else out / "report.pdf",
        pdf_skipped=pdf.skipped,
    )


def _write_gpkg(
    path: Path,
    data: ReportData,
    layer: gpd.GeoDataFrame,
    comparison: RoundComparison | None,
    candidates: gpd.GeoDataFrame | None,
) -> None:
    write_change_gpkg(
        path,
        None if data.change is None else data.change.before,
        data.scenes,
        comparison,
        layer_names=("scenes", "ceased_scenes"),
        scene_columns={c: layer[c] for c in ("municipality", "history")}
        | ({} if comparison is not None else {"fate": layer["fate"]}),
        extra_layers={
            "municipalities": data.municipalities[["code", "name", "geometry"]],
            "candidate_scenes": candidates,
        },
        # QGIS opens the layers styled as the map draws them (layer_styles table).
        styles=report_layer_styles(
            lang=data.options.lang,
            round_label=data.round,
            compare=data.compare,
            fates=[f for f in FATE_COLORS if f in set(layer["fate"])],
            fate_colors=FATE_COLORS,
            leaflet=LAYER_STYLES,
            marker_max_zoom=MARKER_MAX_ZOOM,
            marker_radius_px=MARKER_RADIUS_PX,
        ),
    )


def _method_section(data: ReportData, comparison: RoundComparison | None, lang: str) -> Section:
    rounds = data.rounds.set_index("label")
    sec = Section("method", t("sec_method", lang))

    def src(r: str) -> str:
        return f"{r} ({rounds.loc[r, 'source_file']}, {rounds.loc[r, 'date'] or '–'})"

    lines = [t("m_round", lang, round=src(data.round))]
    if data.compare:
        lines[0] += " " + t("m_compare", lang, round=src(data.compare))
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
    ring = data.crime.rings_m[0] if data.crime is not None else config.RING_M
    rest = t("rest_muni" if data.municipality else "rest", lang)
    lines += [t("m_crime", lang, ring=fmt_dist(ring, lang), rest=rest), t("m_survey", lang)]
    lines.append(
        t("generated", lang, date=datetime.now(UTC).date().isoformat(), version=__version__)
    )
    sec.paragraphs = [Paragraph(s, "note") for s in lines]
    return sec


def _vendor(name: str) -> str:
    """A packaged file's text with the newlines the HTML parser gives (its hash is in the
    policy, so it must be exactly the text the browser sees)."""
    text = resources.files("drugscenes.report").joinpath(name).read_text(encoding="utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    data_shown: ReportData | None = None,
    *,
    for_print: bool = False,
) -> str:
    """The report page; ``for_print``: its print version (for ``report.pdf``), without
    any script, the map as a static SVG and the long tables in an appendix."""
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
    # The legend lists every layer and every fate exactly as drawn (mapdata.LAYER_STYLES).
    present = set(layer["fate"])
    fates = [f for f in FATE_COLORS if f in present] + sorted(present - set(FATE_COLORS))
    candidate_geo = _candidate_layer(candidates, lang)
    legend = legend_entries(
        [
            (
                f,
                label(f, lang) if f != "current" else t("map_scenes", lang, round=rnd),
                FATE_COLORS.get(f, "#999999"),
            )
            for f in fates
        ],
        ceased=t("map_ceased", lang, round=compare) if len(ceased_geo) else None,
        candidates=t("sec_candidates", lang) if candidate_geo["features"] else None,
        municipalities=t("map_municipalities", lang),
    )
    # The start view holds everything drawn: scenes, ceased scenes, candidate areas and
    # the municipalities with (current or ceased) scenes.
    with_scenes = set(layer["municipality_code"]) | set(ceased["municipality_code"])
    view = view_bounds(focus_geometries([layer, ceased, candidates], munis, with_scenes))
    places = label_points(munis, with_scenes)
    places_wgs = places.to_crs(4326)
    data = {
        "municipalities": to_geojson(munis[["code", "name", "geometry"]], BASE_SIMPLIFY_M),
        "scenes": to_geojson(scenes_geo),
        "ceased": to_geojson(ceased_geo)
        if len(ceased_geo)
        else {"type": "FeatureCollection", "features": []},
        "colors": FATE_COLORS,
        "styles": LAYER_STYLES,
        "background": MAP_BACKGROUND,
        "marker_radius": MARKER_RADIUS_PX,
        "marker_max_zoom": MARKER_MAX_ZOOM,
        "legend": [e.to_dict() for e in legend],
        "labels": {
            "candidates": t("sec_candidates", lang),
            "municipalities": t("map_municipalities", lang),
            "scenes": t("map_scenes", lang, round=rnd),
            "ceased": t("map_ceased", lang, round=compare or ""),
        },
        "place_labels": [
            {"code": c, "name": n, "at": [round(p.y, 6), round(p.x, 6)]}
            for c, n, p in zip(
                places_wgs["code"], places_wgs["name"], places_wgs.geometry, strict=True
            )
        ],
        "bounds": None if view is None else view[1],
        "region_bounds": bounds_wgs84(munis),
        "tile_url": opts.tile_url,
        "candidates": candidate_geo,
    }
    if data_shown is not None:
        title = report_title(data_shown, lang)
    else:
        title = (
            t("title_muni", lang, municipality=muni_name, round=rnd)
            if muni_name
            else t("title", lang, round=rnd)
        )
    synthetic = (
        data_shown is not None and data_shown.story is not None and data_shown.story.synthetic
    )
    # Every inline script and style is allowed by the hash of its exact text, nothing else.
    scripts = (
        {}
        if for_print
        else {
            "leaflet_js": _vendor("vendor/leaflet/leaflet.js"),
            "report_js": _vendor("static/report.js"),
        }
    )
    styles = {
        "leaflet_css": _leaflet_css(),
        "report_css": _vendor("static/report.css"),
        "page_css": page_css(title),
    }
    csp = content_security_policy(scripts.values(), styles.values(), opts.tile_url)
    static_map = None
    if for_print:
        static_map = Markup(
            static_map_svg(
                municipalities=munis,
                scenes=layer,
                ceased=ceased,
                candidates=candidates,
                fate_colors=FATE_COLORS,
                labels=places,
                bounds=view[0] if view is not None else tuple(munis.total_bounds),
                title=t("sec_map", lang),
            )
        )
    rendered_sections, appendix = [], []
    for s in sections:
        tables = []
        for k, tbl in enumerate(s.tables):
            table_html = to_html(tbl, lang, f"t-{s.key}-{k}")
            if for_print and len(tbl.frame) > LONG_TABLE_ROWS:
                # A long table would split its section over pages: it goes to the appendix.
                appendix.append(table_html)
                table_html = Markup('<p class="note appendix-ref"><a href="#{}">{}</a></p>').format(
                    f"t-{s.key}-{k}",
                    print_text(
                        "in_appendix", lang, title=tbl.title, n=fmt_num(len(tbl.frame), lang)
                    ),
                )
            tables.append(table_html)
        rendered_sections.append(
            {
                "key": s.key,
                "title": s.title,
                "missing": s.missing,
                "paragraphs": s.paragraphs,
                "figures": s.figures,
                "tables": tables,
            }
        )
    if appendix:
        rendered_sections.append(
            {
                "key": "appendix",
                "title": print_text("appendix", lang),
                "missing": None,
                "paragraphs": [],
                "figures": [],
                "tables": appendix,
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
        map_json=Markup(script_json(data)),
        static_map=static_map,
        synthetic_title=t("synthetic_title", lang) if synthetic else None,
        synthetic_text=t("synthetic_text", lang),
        legend=legend_html(legend) if for_print else None,
        **{k: Markup(v) for k, v in (scripts | styles).items()},
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
