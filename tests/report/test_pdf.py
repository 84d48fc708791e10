"""``report.pdf`` (issue #13, item 5): A4 pages with numbers and a running title, the
headline's numbers equal to the analyses', long tables in an appendix with their heads
repeated; without a browser the report is written without it and says so in one line."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import unicodedata

import pytest

from drugscenes.cli.report import print_pdf_line
from drugscenes.report.build import render
from drugscenes.report.i18n import fmt_area, fmt_num, fmt_pct
from drugscenes.report.pdf import (
    BROWSER_ENV,
    LONG_TABLE_ROWS,
    css_string,
    find_browser,
    page_css,
    print_text,
)
from helpers import run

pypdf = pytest.importorskip("pypdf")

A4_PT = (595.28, 841.89)


def _squash(text: str) -> str:
    """Text without any white space: PDF text extraction places spaces and line breaks
    where the layout put them, not where the source had them; ligatures (ﬁ) are letters."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def pages(report) -> list[str]:
    if report.pdf is None:
        browser, why = find_browser()
        if browser is not None:
            pytest.fail(f"a browser ({browser}) was found but no PDF written: {report.pdf_skipped}")
        pytest.skip(f"no browser to print the PDF: {why}")
    assert report.pdf == report.directory / "report.pdf" and report.pdf.is_file()
    reader = pypdf.PdfReader(report.pdf)
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_PT[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A4_PT[1], abs=1)
    return [page.extract_text() for page in reader.pages]


def test_pdf_is_a4_with_page_numbers_and_running_title(report, pages):
    n = len(pages)
    assert n >= 3
    title = re.search(r"<title>(.*?)</title>", report.html.read_text(encoding="utf-8"), re.S)
    assert title is not None
    running = _squash(html.unescape(title.group(1)))
    for i, text in enumerate(pages, start=1):
        lines = [ln.strip() for ln in text.splitlines()]
        assert f"{i} / {n}" in lines, f"page {i} has no page number"
        assert running in _squash(text), f"page {i} has no running title"


def test_pdf_headline_numbers_equal_the_analysis(demo, report, pages):
    """The summary page shows the headline, and its numbers are those of the command's
    JSON (``summary --json``) and of the services' results (``to_dict()``, what every
    other ``--json`` prints)."""
    code, out, err = run("summary", demo.workspace, "--round", report.round, "--json")
    assert code == 0, err
    inv = json.loads(out)
    change = report.results["compare"].to_dict()
    crime = report.results["crime"].to_dict()
    survey = report.results["survey"].to_dict()
    first = _squash(pages[0] + pages[1])
    for sentence in report.headline:
        assert _squash(sentence) in first, sentence
    assert (inv["n_scenes"], inv["n_municipalities_with_scenes"]) == (53, 8)
    assert (change["ceased"], change["new"], change["n_from"]) == (10, 0, 63)
    for figure in (
        fmt_num(inv["n_scenes"], "sv"),
        fmt_area(inv["total_area_m2"], "sv"),
        f"{change['n_from']} → {change['n_to']}",
        fmt_area(change["area_from_m2"], "sv"),
        fmt_pct(crime["share_of_scenes_with_shooting"], "sv"),
        fmt_pct(survey["region"]["share_unsafe"], "sv"),
        fmt_pct(survey["bands"][0]["share_unsafe"], "sv"),
    ):
        assert _squash(figure) in first, figure


def test_long_tables_are_in_the_appendix_with_heads_repeated(report, pages):
    appendix = print_text("appendix", "sv")
    starts = [i for i, text in enumerate(pages) if _squash(appendix) in _squash(text)]
    assert len(starts) == 1
    long_tables = [t for t in report.tables if len(t.frame) > LONG_TABLE_ROWS]
    assert long_tables, "the demo has long tables (53 scenes)"
    body = _squash("".join(pages[: starts[0]]))
    tail = pages[starts[0] :]
    for table in long_tables:
        # In its section, a line points to the appendix ...
        ref = print_text("in_appendix", "sv", title=table.title, n=fmt_num(len(table.frame), "sv"))
        assert _squash(ref) in body
        # ... where the table is printed, its head on every page it spans.
        head = _squash(" ".join(str(c) for c in table.frame.columns[:3]))
        on = [i for i, text in enumerate(tail) if head in _squash(text)]
        assert on, table.title
    scenes = next(t for t in long_tables if len(t.frame) == 53)
    head = _squash(" ".join(str(c) for c in scenes.frame.columns[:3]))
    on = [i for i, text in enumerate(tail) if head in _squash(text)]
    assert len(on) >= 2 and on == list(range(on[0], on[0] + len(on)))  # repeated, in a row
    # Short tables stay in their sections.
    short = next(t for t in report.tables if 0 < len(t.frame) <= LONG_TABLE_ROWS)
    assert _squash(short.title) in body


def test_page_css_cannot_end_its_string_rule_or_element():
    title = 'Län "x"; } </style><script>alert(1)</script> \\ \n–'
    css = page_css(title)
    assert "<" not in css and ">" not in css
    inner = css_string(title)[1:-1]
    assert '"' not in inner and "}" not in inner and ";" not in inner and "\n" not in inner
    # CSS reads each escape as its character (the space after it ends the escape).
    decoded = re.sub(r"\\([0-9a-f]{1,6}) ", lambda m: chr(int(m.group(1), 16)), inner)
    assert decoded == title


def test_without_a_browser_the_report_says_so_in_one_line(report, tmp_path, monkeypatch, capsys):
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 an earlier run's")
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-such-browser"))
    result = render(report.data, tmp_path)
    for name in ("report.html", "report.xlsx", "scenes.gpkg"):
        assert (tmp_path / name).is_file()
    assert result.pdf is None and not (tmp_path / "report.pdf").exists()  # no stale PDF
    assert BROWSER_ENV in result.pdf_skipped and "apt-get install chromium" in result.pdf_skipped
    # The command says so in one line on standard error (and nothing on standard output).
    print_pdf_line(result)
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert out == "" and len(lines) == 1 and lines[0].startswith("report.pdf skipped: ")
    assert result.pdf_skipped in " ".join(err.split())


def test_no_pdf_option_writes_none_and_says_nothing(report, tmp_path):
    data = dataclasses.replace(
        report.data, options=dataclasses.replace(report.data.options, pdf=False)
    )
    result = render(data, tmp_path)
    assert (result.pdf, result.pdf_skipped) == (None, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.html",
        "report.xlsx",
        "scenes.gpkg",
    ]
