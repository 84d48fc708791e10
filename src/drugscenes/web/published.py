"""The published report: the full ``drugscenes report`` HTML of a round, for viewers.

The report is rendered by :func:`drugscenes.services.report.report` (the same job as
the CLI's ``drugscenes report``) into the instance folder, ``reports/<key>/<lang>/``,
when the coordinator closes the round (and, for a round stored by the CLI or a report
not yet rendered, on the first request). The key is a hash of the round's label and of
when it was closed, so reopening and closing again renders a new report and never
shows the old one.

The file is served as it is, with the report's own Content-Security-Policy (hash-based,
self-contained: :mod:`drugscenes.report.csp`) as the HTTP header instead of the app's,
which would block the report's inline scripts and styles.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from html import unescape
from pathlib import Path

from django.conf import settings

from drugscenes.report.i18n import LANGS

log = logging.getLogger(__name__)
_lock = threading.Lock()
_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def folder(label: str, lang: str) -> Path:
    """Where the report of round ``label`` in ``lang`` is (or will be) rendered."""
    from drugscenes.web.models import Round

    rnd = Round.objects.filter(label=label).only("closed_at", "status").first()
    stamp = "store" if rnd is None or rnd.closed_at is None else rnd.closed_at.isoformat()
    key = hashlib.sha256(f"{label}\n{stamp}".encode()).hexdigest()[:32]
    return Path(settings.INSTANCE_DIR) / "reports" / key / lang


def render(label: str, lang: str = "sv") -> Path:
    """Render the round's report (if not rendered already) and return ``report.html``.

    Raises
    ------
    NotFoundError
        No such round in the workspace.
    """
    from drugscenes.report.model import ReportOptions
    from drugscenes.services.report import report
    from drugscenes.web.storeio import workspace

    if lang not in LANGS:
        lang = "sv"
    out = folder(label, lang)
    html = out / "report.html"
    with _lock:  # one rendering at a time; the others then find the file
        if html.exists():
            return html
        out.mkdir(parents=True, exist_ok=True)
        with workspace(settings.DATABASE_URL) as store:
            result = report(store, out, options=ReportOptions(round=label, lang=lang, pdf=False))
        return result.html


def render_after_close(label: str) -> None:
    """Render the report of a round just closed; a failure is logged, never raised (the
    round is closed all the same, and the page renders it on request)."""
    if not getattr(settings, "DRUGSCENES_REPORT_AT_CLOSE", True):
        return
    try:
        render(label)
    except Exception:
        log.exception("could not render the report of round %s", label)


def policy(html: str) -> str:
    """The report's Content-Security-Policy, from its own ``<meta>`` element."""
    found = _META_CSP.search(html)
    if found is None:
        raise ValueError("the report has no Content-Security-Policy")
    return unescape(found.group(1))
