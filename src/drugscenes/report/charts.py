"""Charts as SVG, embedded in the HTML (they print and zoom without loss).

Text from data (municipality names, labels) is drawn as it is: mathtext and TeX are off
(``$`` is a dollar sign, never the start of a formula) and control characters are
removed. The SVG carries no ``style`` attribute or element, only presentation
attributes, so that the report's Content-Security-Policy needs no ``'unsafe-inline'``
styles (:func:`inline_svg`).
"""

from __future__ import annotations

import functools
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from drugscenes.io.outputs import strip_controls
from drugscenes.report.i18n import fmt_num, fmt_pct, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHART_RC = {
    "svg.fonttype": "none",  # text stays text: searchable, crisp in print
    "text.parse_math": False,  # "$" in a name is a dollar sign
    "text.usetex": False,
}
"""matplotlib settings of every chart (in force while it is drawn)."""

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)


def _chart(func: Callable[..., Any]) -> Callable[..., str]:
    """Draw ``func``'s figure with :data:`CHART_RC` and return it as inline SVG."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        with matplotlib.rc_context(CHART_RC):
            fig = func(*args, **kwargs)
            buf = io.StringIO()
            try:
                fig.savefig(buf, format="svg", bbox_inches="tight")
            finally:
                plt.close(fig)
        return inline_svg(buf.getvalue())

    return wrapper


def _text(value: object) -> str:
    """Text from data as matplotlib gets it: without control characters."""
    return strip_controls(value)


def _declarations(css: str) -> list[tuple[str, str]]:
    pairs = (d.partition(":") for d in css.split(";"))
    return [(p.strip(), v.strip()) for p, sep, v in pairs if sep and p.strip()]


def inline_svg(svg: str) -> str:
    """matplotlib's SVG for inclusion in the page: no XML prolog, no metadata, and every
    ``style`` attribute and element turned into presentation attributes (a ``*{...}``
    rule becomes inherited attributes of the root)."""
    root = ET.fromstring(svg[svg.index("<svg") :])
    for el in list(root.iter()):
        for child in list(el):
            if child.tag == f"{{{_SVG}}}metadata":
                el.remove(child)
            elif child.tag == f"{{{_SVG}}}style":
                el.remove(child)
                for rule in re.findall(r"\*\s*\{([^}]*)\}", child.text or ""):
                    for prop, value in _declarations(rule):
                        root.set(prop, value)
        for prop, value in _declarations(el.attrib.pop("style", "")):
            el.set(prop, value)
    return ET.tostring(root, encoding="unicode")


@_chart
def survey_chart(
    bands: Sequence[dict], region: dict, lang: str, min_n: int | None = None
) -> Figure:
    """Share unsafe by distance band with 95 % intervals and the region-wide line.

    Parameters
    ----------
    bands : list of dict
        ``label``, ``share_unsafe``, ``ci_low``, ``ci_high``, ``suppressed`` (the
        survey result's JSON). Suppressed bands get no bar, only the word.
    region : dict
        ``share_unsafe``, ``ci_low``, ``ci_high`` for the whole region.
    lang : str
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    xs = range(len(bands))
    for x, b in zip(xs, bands, strict=True):
        if b.get("suppressed") or b.get("share_unsafe") is None:
            ax.text(
                x,
                0.02,
                t("chart_suppressed", lang),
                ha="center",
                va="bottom",
                rotation=90,
                color="#666666",
                fontsize=9,
            )
            continue
        share = b["share_unsafe"]
        ax.bar(x, share, color="#c0392b", width=0.6, alpha=0.85)
        if b.get("ci_low") is not None and b.get("ci_high") is not None:
            ax.errorbar(
                x,
                share,
                yerr=[[share - b["ci_low"]], [b["ci_high"] - share]],
                color="#222222",
                capsize=5,
                lw=1.2,
            )
        ax.text(x + 0.33, share, fmt_pct(share, lang), va="center", fontsize=9)
    if region.get("share_unsafe") is not None:
        ax.axhline(region["share_unsafe"], color="#1f4e79", ls="--", lw=1.4)
        ax.text(
            len(bands) - 0.5,
            region["share_unsafe"],
            f"{t('chart_region_line', lang)} {fmt_pct(region['share_unsafe'], lang)}",
            color="#1f4e79",
            ha="right",
            va="bottom",
            fontsize=9,
        )
    ax.set_xticks(list(xs), [_text(b["label"]) for b in bands])
    top = max([b.get("ci_high") or 0 for b in bands] + [region.get("share_unsafe") or 0, 0.1])
    ax.set_ylim(0, min(1.0, top * 1.25))
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_pct(v, lang))
    ax.set_xlabel(t("chart_x", lang))
    ax.set_ylabel(t("chart_y", lang))
    ax.set_title(t("chart_unsafe_title", lang), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


@_chart
def municipality_chart(
    codes: Sequence[str],
    names: Sequence[str],
    before: Sequence[int] | None,
    after: Sequence[int],
    label_before: str,
    label_after: str,
) -> Figure:
    """Scenes per municipality in two rounds (horizontal bars)."""
    import matplotlib.pyplot as plt

    n = len(codes)
    fig, ax = plt.subplots(figsize=(7.0, 0.35 * n + 1.0))
    ys = list(range(n))
    h = 0.38
    if before is not None:
        ax.barh(
            [y + h / 2 for y in ys], before, height=h, color="#9db4cc", label=_text(label_before)
        )
    ax.barh(
        [y - h / 2 for y in ys] if before is not None else ys,
        after,
        height=h,
        color="#1f4e79",
        label=_text(label_after),
    )
    ax.set_yticks(ys, [_text(f"{nm} ({c})") for c, nm in zip(codes, names, strict=True)])
    ax.invert_yaxis()
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


_PHASE_COLORS = {"before": "#1f4e79", "between rounds": "#8a8a8a", "after": "#c0392b"}


def _ratio_text(value: float, lang: str) -> str:
    """A log-axis tick as written: ``0,25``, ``0,5``, ``1``, ``2``."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "sv" else text


@_chart
def event_study_chart(
    coefficients: Sequence[dict],
    lang: str,
    *,
    round_label: str,
    compare_label: str,
    event_month: str,
    reference_month: str,
    average: dict | None = None,
) -> Figure:
    """Rate ratio per month relative to the reference month, with 95 % intervals.

    Parameters
    ----------
    coefficients : list of dict
        The evaluation's ``event_study`` (``period``, ``phase``, ``coef``, ``ci_low``,
        ``ci_high`` on the log scale, ``reference``); months without a coefficient
        (``coef`` None) are left out.
    round_label, compare_label : str
        Rounds B and A; a dashed vertical line marks round B's date (between periods -1
        and 0), the months between the rounds are shaded.
    event_month, reference_month : str
        ``YYYY-MM`` of period 0 and of the reference month (a ring at 1).
    average : dict, optional
        The difference-in-differences estimate (``rate_ratio``), drawn as a dotted line
        over the months after round B.

    The y axis is the rate ratio on a log scale (1: the same change as at the remaining
    scenes); the legend sits under the axes, so it never hides a month.
    """
    import math

    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, NullLocator

    fig, ax = plt.subplots(figsize=(7.6, 4.2))
    periods = [int(c["period"]) for c in coefficients]
    lo_p, hi_p = (min(periods), max(periods)) if periods else (-1, 1)
    between = [int(c["period"]) for c in coefficients if c.get("phase") == "between rounds"]
    handles: list[Any] = []
    if between:
        ax.axvspan(min(between) - 0.5, max(between) + 0.5, color="#eeeeee", lw=0)
    ax.axhline(1.0, color="#444444", lw=0.9)
    ax.axvline(-0.5, color="#222222", ls="--", lw=1.2)
    ax.text(
        -0.3,
        0.02,
        _text(t("ev_chart_round", lang, round=round_label)),
        transform=ax.get_xaxis_transform(),
        ha="left",
        va="bottom",
        fontsize=8,
    )
    values = [1.0]
    for c in coefficients:
        if c.get("coef") is None:
            continue
        colour = _PHASE_COLORS.get(c.get("phase", ""), "#1f4e79")
        if c.get("reference"):
            ax.plot(c["period"], 1.0, "o", mfc="white", mec="#222222", ms=7, mew=1.5)
            continue
        if c.get("ci_low") is not None and c.get("ci_high") is not None:
            lo, hi = math.exp(c["ci_low"]), math.exp(c["ci_high"])
            ax.plot([c["period"], c["period"]], [lo, hi], color=colour, lw=1.2)
            values += [lo, hi]
        ratio = math.exp(c["coef"])
        ax.plot(c["period"], ratio, "o", color=colour, ms=5)
        values.append(ratio)
    phases = {c.get("phase") for c in coefficients if c.get("coef") is not None}
    for phase, text in (
        ("before", t("ev_chart_before", lang, compare=compare_label)),
        ("between rounds", t("ev_chart_between", lang)),
        ("after", t("ev_chart_after", lang, round=round_label)),
    ):
        if phase in phases:
            handles.append(
                Line2D([], [], color=_PHASE_COLORS[phase], marker="o", ms=5, label=_text(text))
            )
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            mfc="white",
            mec="#222222",
            ms=7,
            mew=1.5,
            label=_text(t("ev_chart_reference", lang, month=reference_month)),
        )
    )
    if between:
        handles.append(Patch(color="#eeeeee", label=t("ev_chart_between_shade", lang)))
    if average is not None and average.get("rate_ratio"):
        rr = float(average["rate_ratio"])
        ax.plot([-0.5, hi_p + 0.5], [rr, rr], color="#c0392b", ls=":", lw=1.6)
        handles.append(
            Line2D(
                [],
                [],
                color="#c0392b",
                ls=":",
                lw=1.6,
                label=t("ev_chart_average", lang, rr=fmt_num(rr, lang, 2)),
            )
        )
        values.append(rr)
    ax.set_yscale("log")
    finite = [v for v in values if v > 0 and math.isfinite(v)]
    bottom, top = max(min(finite) / 1.15, 0.02), min(max(finite) * 1.15, 50.0)
    ax.set_ylim(bottom, top)
    ticks = [v for v in (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20) if bottom <= v <= top]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(lambda v, _pos: _ratio_text(v, lang))
    ax.set_xlim(lo_p - 0.8, hi_p + 0.8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt_num(v, lang))
    ax.set_xlabel(_text(t("ev_chart_x", lang, round=round_label, month=event_month)))
    ax.set_ylabel(t("ev_chart_y", lang))
    ax.set_title(t("ev_chart_title", lang), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    return fig


@_chart
def rounds_chart(
    labels: Sequence[str],
    n_scenes: Sequence[int],
    area_ha: Sequence[float],
    lang: str,
    *,
    current: str | None = None,
) -> Figure:
    """Number of scenes and their total area (ha) in every round, side by side.

    Parameters
    ----------
    labels : sequence of str
        The rounds, in chronological order.
    n_scenes, area_ha : sequences of numbers
        Scenes and total area of each round.
    lang : str
    current : str, optional
        The round reported on: drawn darker than the others.
    """
    import matplotlib.pyplot as plt

    fig, (ax_n, ax_a) = plt.subplots(1, 2, figsize=(7.6, 3.0))
    names = [_text(v) for v in labels]
    colours = ["#1f4e79" if v == current else "#9db4cc" for v in labels]
    xs = list(range(len(names)))
    for ax, values, title, decimals in (
        (ax_n, n_scenes, t("chart_rounds_n", lang), 0),
        (ax_a, area_ha, t("chart_rounds_area", lang), 1),
    ):
        ax.bar(xs, values, color=colours, width=0.6)
        top = max([float(v) for v in values] + [1.0])
        for x, v in zip(xs, values, strict=True):
            ax.text(x, float(v) + top * 0.02, fmt_num(v, lang, decimals), ha="center", fontsize=9)
        ax.set_xticks(xs, names)
        ax.set_ylim(0, top * 1.15)
        ax.set_title(title, fontsize=10)
        step = 0 if top >= 5 else 1
        ax.yaxis.set_major_formatter(lambda v, _pos, d=step: fmt_num(v, lang, d))
        ax.spines[["top", "right"]].set_visible(False)
    ax_n.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig
