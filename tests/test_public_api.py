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


def test_type_checking_imports_match_the_lazy_exports():
    """The TYPE_CHECKING block names exactly the lazily exported names, each from its module."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(bargaining.__file__).read_text())
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names:
                    seen[alias.name] = stmt.module
    assert seen == bargaining._EXPORTS
