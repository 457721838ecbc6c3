"""Documentation coverage: every public name is in the API reference and has a usable docstring.

Rules (issue 14):

* every name of ``bargaining.__all__`` is listed in ``docs/api/index.rst`` (so autosummary generates its page);
* every public function and class has its own docstring with a summary line;
* every public function and class that takes arguments documents them in a numpydoc ``Parameters`` section
  (classes may use ``Attributes`` instead: result objects and protocols are described by their members);
  exception and warning classes take ``(message, *, hint)`` and are documented once, in ``BargainingError``;
* every public function and class has an ``Examples`` section, except the names in ``MISSING_EXAMPLES``,
  which is the remaining work: the list may only shrink (a name that gains an example must leave it);
* the examples run (doctest, with the package's public names in scope).
"""

from __future__ import annotations

import doctest
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bargaining

ROOT = Path(__file__).resolve().parents[1]
API_INDEX = ROOT / "docs" / "api" / "index.rst"

# Public functions and classes still without an Examples section (the remaining work of issue 14).
MISSING_EXAMPLES = frozenset(
    {
        "EfficiencyReport",
        "HospitalInsurerEquilibrium",
        "IncompleteResults",
        "IntermediaryPlay",
        "InvalidTestStatistic",
        "InvestmentResult",
        "MinimumDistanceModel",
        "MomentModel",
        "NashInNashEquilibrium",
        "PriceMoments",
        "SampleSizeResults",
        "efficiency_report",
        "fit_incomplete",
        "fit_model",
        "plot_merger_price_changes",
        "run_monte_carlo_study",
        "sample_size_study",
    }
)


def _documented_objects() -> list[str]:
    """Public functions and classes (constants such as ``__version__`` and ``PRICE_RULES`` have no docstring)."""
    return [
        name
        for name in bargaining.__all__
        if inspect.isclass(getattr(bargaining, name)) or inspect.isfunction(getattr(bargaining, name))
    ]


def _is_exception(obj: object) -> bool:
    return inspect.isclass(obj) and issubclass(obj, (Exception, Warning))


def _takes_arguments(obj: object) -> bool:
    try:
        params = inspect.signature(obj).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    if inspect.isclass(obj) and getattr(obj, "_is_protocol", False):
        return True  # protocols: documented by their members (Attributes)
    return any(p not in ("self",) for p in params)


def _doc(name: str) -> dict[str, str]:
    """The numpydoc sections of a docstring: "Summary" (first paragraph) and each titled section's body."""
    text = inspect.getdoc(getattr(bargaining, name)) or ""
    parts = re.split(r"^(\w[\w ]*)\n-{3,}[ \t]*$", text, flags=re.MULTILINE)
    sections = {"Summary": parts[0].strip().split("\n\n")[0]}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[title.strip()] = body.strip()
    return sections


def test_every_public_name_is_in_the_api_reference() -> None:
    text = API_INDEX.read_text()
    listed = set(re.findall(r"^\s{3}(\w+)\s*$", text, re.MULTILINE))
    missing = [n for n in bargaining.__all__ if n not in listed and n != "__version__"]
    assert not missing, f"add to docs/api/index.rst: {missing}"


@pytest.mark.parametrize("name", _documented_objects())
def test_docstring_has_summary(name: str) -> None:
    obj = getattr(bargaining, name)
    own = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert own and own.strip(), f"{name} has no docstring of its own"
    assert _doc(name)["Summary"], f"{name}: no summary line"


@pytest.mark.parametrize(
    "name", [n for n in _documented_objects() if not _is_exception(getattr(bargaining, n))]
)
def test_docstring_documents_parameters(name: str) -> None:
    obj = getattr(bargaining, name)
    if not _takes_arguments(obj):
        return
    doc = _doc(name)
    ok = bool(doc.get("Parameters")) or (inspect.isclass(obj) and bool(doc.get("Attributes")))
    assert ok, f"{name}: add a numpydoc 'Parameters' section"


def test_exceptions_share_documented_parameters() -> None:
    assert _doc("BargainingError").get("Parameters"), (
        "BargainingError documents (message, hint) for every error"
    )


@pytest.mark.parametrize(
    "name", [n for n in _documented_objects() if not _is_exception(getattr(bargaining, n))]
)
def test_docstring_has_example(name: str) -> None:
    has = bool(_doc(name).get("Examples"))
    if name in MISSING_EXAMPLES:
        assert not has, f"{name} has an example now: remove it from MISSING_EXAMPLES"
    else:
        assert has, f"{name}: add an 'Examples' section"


@pytest.mark.parametrize("name", _documented_objects())
def test_docstring_examples_run(name: str) -> None:
    obj = getattr(bargaining, name)
    globs = {n: getattr(bargaining, n) for n in bargaining.__all__}
    globs.update(np=np, pd=pd)  # the docstrings' convention
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, name, globs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} failing doctest example(s)"
