"""The command's memory policy (drugscenes.cli.memory)."""

from __future__ import annotations

import platform

from drugscenes.cli.memory import set_policy


def test_policy_is_set_on_glibc() -> None:
    # glibc takes both settings (mallopt returns 1); elsewhere it is a no-op that says so
    expected = platform.libc_ver()[0] == "glibc"
    assert set_policy() is expected
    assert set_policy(128 * 1024, 1 << 20) is expected
    assert set_policy() is expected  # back to the commands' policy
