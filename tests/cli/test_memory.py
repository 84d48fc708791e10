"""The command's memory policy (drugscenes.cli.memory)."""

from __future__ import annotations

import platform

from drugscenes.cli.memory import fixed_mmap_threshold


def test_fixed_mmap_threshold_is_set_on_glibc() -> None:
    # glibc takes the setting (mallopt returns 1); elsewhere it is a no-op that says so
    expected = platform.libc_ver()[0] == "glibc"
    assert fixed_mmap_threshold() is expected
    assert fixed_mmap_threshold(256 * 1024) is expected


def test_one_read_policy_sets_both_thresholds() -> None:
    from drugscenes.cli.memory import for_batches, for_one_read

    expected = platform.libc_ver()[0] == "glibc"
    assert for_one_read() is expected
    assert for_batches() is expected  # back to the default policy
