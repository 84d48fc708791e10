"""Charts as SVG, embedded in the HTML (they print and zoom without loss)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from drugscenes.report.i18n import fmt_pct, t


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog: the SVG is inline


def survey_chart(bands: Sequence[dict], region: dict, lang: str, min_n: int | None = None) -> str:
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, crisp in print
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
    ax.set_xticks(list(xs), [b["label"] for b in bands])
    top = max([b.get("ci_high") or 0 for b in bands] + [region.get("share_unsafe") or 0, 0.1])
    ax.set_ylim(0, min(1.0, top * 1.25))
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_pct(v, lang))
    ax.set_xlabel(t("chart_x", lang))
    ax.set_ylabel(t("chart_y", lang))
    ax.set_title(t("chart_unsafe_title", lang), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def municipality_chart(
    codes: Sequence[str],
    names: Sequence[str],
    before: Sequence[int] | None,
    after: Sequence[int],
    label_before: str,
    label_after: str,
) -> str:
    """Scenes per municipality in two rounds (horizontal bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    n = len(codes)
    fig, ax = plt.subplots(figsize=(7.0, 0.35 * n + 1.0))
    ys = list(range(n))
    h = 0.38
    if before is not None:
        ax.barh([y + h / 2 for y in ys], before, height=h, color="#9db4cc", label=label_before)
    ax.barh(
        [y - h / 2 for y in ys] if before is not None else ys,
        after,
        height=h,
        color="#1f4e79",
        label=label_after,
    )
    ax.set_yticks(ys, [f"{nm} ({c})" for c, nm in zip(codes, names, strict=True)])
    ax.invert_yaxis()
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig)
