"""Hypothesis profiles of the property suite.

``ci`` (the default): derandomized, so every CI run checks the same examples, with few enough examples that
the whole directory runs in well under a minute on one core. ``explore``: 10,000 fresh random examples per
property, selected with ``HYPOTHESIS_PROFILE=explore`` (see README.md in this directory).

The profiles are applied to this directory's tests only (through :data:`PROFILE`, which each test passes to
``@settings``), so the rest of the test suite keeps the profiles of ``tests/conftest.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                              HealthCheck.function_scoped_fixture],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=int(os.environ.get("PROPERTIES_CI_EXAMPLES", "100")),
                          derandomize=True, **_COMMON)
settings.register_profile("explore", max_examples=10_000, derandomize=False, **_COMMON)
