"""The statistics modules imported on a thread while a job reads (drugscenes.stats.preload)."""

from __future__ import annotations

import sys

import pytest

from drugscenes.stats.preload import SWITCH_INTERVAL, preload


def test_preload_imports_in_order_and_sets_the_switch_interval_back() -> None:
    before = sys.getswitchinterval()
    thread = preload("colorsys", "drugscenes.stats.multiple")
    running = sys.getswitchinterval()
    assert running == pytest.approx(min(before, SWITCH_INTERVAL)) or not thread.is_alive()
    thread.join()
    assert "colorsys" in sys.modules and "drugscenes.stats.multiple" in sys.modules
    assert sys.getswitchinterval() == pytest.approx(before)


def test_a_module_that_fails_stops_quietly() -> None:
    before = sys.getswitchinterval()
    thread = preload("drugscenes.no_such_module", "wave")
    thread.join()
    assert "drugscenes.no_such_module" not in sys.modules
    assert sys.getswitchinterval() == pytest.approx(before)


def test_overlapping_preloads_set_the_interval_back_once_both_end() -> None:
    before = sys.getswitchinterval()
    first = preload("graphlib", "drugscenes.stats.normal")
    second = preload("drugscenes.stats.normal")
    first.join()
    second.join()
    assert sys.getswitchinterval() == pytest.approx(before)
