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
from drugscenes.report.i18n import fmt_pct, t

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
