"""``report.pdf``: the report printed to A4 by a headless Chromium (or Chrome, or Edge).

Why a browser and not WeasyPrint: the report is HTML that is already tested in
Chromium (the browser tests drive Debian's ``chromium``, which CI installs), so the PDF
is laid out by the very engine the report is checked in, and the agencies' machines
have a Chromium-based browser (Chrome or Edge) anyway. Chromium (131 and later) prints
CSS ``@page`` rules with margin boxes (page numbers, a running title), repeats table
heads and honours ``break-inside``/``break-after: avoid``. WeasyPrint would add a Python
dependency and Pango from the system; with no browser the report is written without its
PDF and the reason is given in one line (:attr:`PdfResult.skipped`), never an error.

The browser prints the report's print version (:func:`drugscenes.report.build.render`):
the same page without any script (its policy allows none), with the map as a static SVG
(:mod:`drugscenes.report.staticmap`) and the long tables in an appendix. It runs with a
throw-away profile, no network use and a time limit; the sandbox is off (it cannot start
as root or in most containers), which is safe for a page that runs no script and may
load nothing (``default-src 'none'``, so ``script-src 'none'``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drugscenes.report.i18n import t

BROWSER_ENV = "DRUGSCENES_BROWSER"
"""Environment variable naming the Chromium, Chrome or Edge executable to print with."""
BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
    "microsoft-edge",
)
"""Executables looked for on the ``PATH``, in this order."""
BROWSER_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
)
"""Usual install places on macOS and Windows, looked at after the ``PATH``."""
TIMEOUT_S = 180.0
"""The browser's time limit for one PDF."""
LONG_TABLE_ROWS = 30
"""A table with more rows is printed in the appendix, with a line in its place."""
HOW_TO_GET = (
    f"install Chromium (Debian/Ubuntu: apt-get install chromium) or Chrome, or set "
    f"{BROWSER_ENV} to a Chromium, Chrome or Edge executable, and run the report again; "
    "or print report.html to PDF from a browser"
)


@dataclass(frozen=True)
class PdfResult:
    """What became of ``report.pdf``.

    Attributes
    ----------
    path : Path or None
        The PDF written, or None when it was skipped.
    skipped : str or None
        Why it was skipped and how to get it (one line), or None when written.
    browser : str or None
        The executable that printed it.
    """

    path: Path | None
    skipped: str | None = None
    browser: str | None = None


def print_text(key: str, lang: str, **values: object) -> str:
    """A word of the print version (``print_`` in :data:`~drugscenes.report.i18n.TEXT`)."""
    return t(f"print_{key}", lang, **values)


def find_browser() -> tuple[str | None, str | None]:
    """The browser to print with, or why there is none.

    :data:`BROWSER_ENV` when set (it must name an executable), else the first of
    :data:`BROWSER_NAMES` on the ``PATH``, else the first of :data:`BROWSER_PATHS` that
    exists.

    Returns
    -------
    (str, None) or (None, str)
        The executable's path, or the reason (with :data:`HOW_TO_GET`).
    """
    given = os.environ.get(BROWSER_ENV)
    if given:
        found = shutil.which(given)
        if found is None:
            return None, f"{BROWSER_ENV}={given} is not an executable; {HOW_TO_GET}"
        return found, None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found, None
    for path in BROWSER_PATHS:
        if Path(path).is_file():
            return path, None
    return None, f"no Chromium, Chrome or Edge found; {HOW_TO_GET}"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end its string, rule or element: every
    character but letters, digits and spaces is a hexadecimal escape.

    Examples
    --------
    >>> css_string('Län "x" </style>')
    '"Län \\\\22 x\\\\22  \\\\3c \\\\2f style\\\\3e "'
    """
    # An escape ends with one space, which CSS consumes (so a space after it stays).
    out = [c if (c.isalnum() or c == " ") and c.isprintable() else f"\\{ord(c):x} " for c in text]
    return '"' + "".join(out) + '"'


def page_css(running_title: str) -> str:
    """The pages' running title (top centre of every page), as a style sheet; the size,
    margins and page numbers are in ``report.css``."""
    title = re.sub(r"\s+", " ", running_title).strip()
    return f"@page {{ @top-center {{ content: {css_string(title)}; }} }}"


def print_pdf(html: Path, pdf: Path, browser: str, timeout: float = TIMEOUT_S) -> str | None:
    """Print the page ``html`` to ``pdf`` (A4 as the page's ``@page`` rule says).

    Returns
    -------
    str or None
        None when the PDF was written; else why not, in one line.
    """
    with tempfile.TemporaryDirectory(prefix="drugscenes-browser-") as profile:
        args = [
            browser,
            "--headless",
            "--no-sandbox",  # see the module's docstring
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",  # the page's own margin boxes instead
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0)
                if sys.platform == "win32"
                else 0,
            )
        except subprocess.TimeoutExpired:
            return f"{Path(browser).name} did not finish within {timeout:g} s; {HOW_TO_GET}"
        except OSError as exc:
            return f"{Path(browser).name} could not be started ({exc.strerror}); {HOW_TO_GET}"
    if pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-":
        return None
    # The browser's last words, without the noise of a machine without a desktop bus.
    lines = [
        ln
        for ln in done.stderr.decode("utf-8", "replace").splitlines()
        if ln.strip() and "dbus" not in ln
    ]
    last = lines[-1].strip()[:200] if lines else f"exit status {done.returncode}"
    return f"{Path(browser).name} wrote no PDF ({last}); {HOW_TO_GET}"


def write_pdf(html_text: Callable[[], str], pdf: Path, workdir: Path) -> PdfResult:
    """Write ``pdf`` from the print version ``html_text()`` with a browser, if there is one.

    Parameters
    ----------
    html_text : callable
        Makes the report's print version (no script; every style inline); called only
        when there is a browser.
    pdf : Path
        The file to write.
    workdir : Path
        A private folder for the page while it is printed.
    """
    browser, why = find_browser()
    if browser is None:
        return PdfResult(None, why)
    page = workdir / "report-print.html"
    page.write_text(html_text(), encoding="utf-8", newline="\n")
    try:
        why = print_pdf(page, pdf, browser)
    finally:
        page.unlink(missing_ok=True)
    if why is not None:
        pdf.unlink(missing_ok=True)
        return PdfResult(None, why, browser)
    return PdfResult(pdf, None, browser)
