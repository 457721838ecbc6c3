"""Everything the README uses is importable from `bargaining`, lazily and without optional extras."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bargaining


@pytest.mark.parametrize("name", bargaining.__all__)
def test_every_public_name_resolves(name):
    assert getattr(bargaining, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        bargaining.no_such_thing  # noqa: B018


def test_import_does_not_load_matplotlib_or_the_estimators():
    code = "import sys, bargaining; print(any(m in sys.modules for m in ('matplotlib', 'linearmodels', 'statsmodels')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
