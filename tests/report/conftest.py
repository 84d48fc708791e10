"""The demo county and its default report, built once for the report tests."""

from __future__ import annotations

import pytest

from drugscenes.demo.build import build_demo
from drugscenes.report.model import ReportOptions
from drugscenes.services.report import report as build_report
from drugscenes.store import open_workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo county (read it only: copy the workspace to change it)."""
    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def report(demo, tmp_path_factory):
    """The demo's default report (Swedish, round 2024 compared with 2023)."""
    out = tmp_path_factory.mktemp("report")
    with open_workspace(demo.workspace) as store:
        return build_report(store, out, options=ReportOptions())
