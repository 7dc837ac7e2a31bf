"""Hypothesis profiles, and the count of fuzz cases printed at the end of a run.

``default`` keeps ``make test`` fast; ``ci`` (``HYPOTHESIS_PROFILE=ci``, set by
``.ci/run``) tries ten times more cases. Tests that fix their own
``max_examples`` keep it under both.
"""

import os

from _fuzz import CASES
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def pytest_terminal_summary(terminalreporter):
    if not CASES:
        return
    terminalreporter.section(f"fuzz cases tried (Hypothesis profile {PROFILE!r})")
    for name, count in sorted(CASES.items()):
        terminalreporter.write_line(f"{name}: {count}")
    terminalreporter.write_line(f"total: {sum(CASES.values())} cases in {len(CASES)} tests")
