"""The hypothesis profile of the property suite: ``ci`` unless ``HYPOTHESIS_PROFILE=explore``."""

from __future__ import annotations

import os

from hypothesis import settings

from tests.properties import conftest  # noqa: F401  (registers the profiles)

NAME = "explore" if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else "ci"

#: Settings every property in this directory uses: ``@settings(PROFILE)``.
PROFILE = settings.get_profile(NAME)
