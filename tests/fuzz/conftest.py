"""The Hypothesis profile of the fuzz tests, and the workspace they start from.

``DRUGSCENES_FUZZ_EXAMPLES`` chooses the profile:

- unset (CI and ``make test``): :data:`CI_EXAMPLES` examples per test, derandomized, so a
  CI run is deterministic and the whole folder runs in well under two minutes;
- a number, e.g. ``DRUGSCENES_FUZZ_EXAMPLES=500``: that many examples per test, random
  (a new sample each run, failures kept in Hypothesis' example database in
  ``.hypothesis/`` and replayed first next time; ``--hypothesis-seed=N`` fixes the
  sample).

The profile is applied with ``@settings(settings.get_profile(PROFILE))`` on the fuzz tests
only, never loaded as the session's default, so that the suite's other property tests keep
their own settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from fuzzing import PROFILE, build_base

CI_EXAMPLES = 25
"""Examples per test in the default (CI) run."""

_given = os.environ.get("DRUGSCENES_FUZZ_EXAMPLES", "").strip()
_common = {
    "deadline": None,  # one example runs a command on a workspace: 0.05-1 s
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,  # a failure prints @reproduce_failure(...) to replay it
}
if _given:
    settings.register_profile(PROFILE, max_examples=int(_given), derandomize=False, **_common)
else:
    settings.register_profile(
        PROFILE, max_examples=CI_EXAMPLES, derandomize=True, database=None, **_common
    )


@pytest.fixture(scope="module")
def fuzz_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small workspace per test module (:func:`fuzzing.build_base`); copy it with
    :func:`fuzzing.fresh` for each example, never change it."""
    return build_base(tmp_path_factory.mktemp("fuzz-base"))
