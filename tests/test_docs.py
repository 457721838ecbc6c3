"""Documentation coverage: every public name is in the API reference and has a usable docstring.

Rules (issue 14):

* every name of ``bargaining.__all__`` is listed in ``docs/api/index.rst`` (so autosummary generates its page);
* every public function and class has its own docstring with a summary line;
* every public function and class that takes arguments documents them in a numpydoc ``Parameters`` section
  (classes may use ``Attributes`` instead: result objects and protocols are described by their members);
  exception and warning classes take ``(message, *, hint)`` and are documented once, in ``BargainingError``;
* every public function and class has an ``Examples`` section, except the names in ``MISSING_EXAMPLES``,
  which is the remaining work: the list may only shrink (a name that gains an example must leave it);
* an ``Examples`` section (of a public name or of a public method or property of a public class) holds at
  least one ``>>>`` line that runs (not ``# doctest: +SKIP``): prose alone or skipped code is not an example
  (``PROSE_EXAMPLES`` lists the exceptions and may only shrink);
* the examples run (doctest, with the package's public names in scope), the methods' ones included.
"""

from __future__ import annotations

import doctest
import functools
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
MISSING_EXAMPLES: frozenset[str] = frozenset()

# Examples sections (of public names or their methods, "Class.method") with no ``>>>`` line that runs.
PROSE_EXAMPLES: frozenset[str] = frozenset()


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


@functools.cache
def _public_members() -> dict[str, object]:
    """Public methods and properties of the public classes, as "Class.member" -> function (each function once).

    Members defined in the package's own classes (the class and its bargaining base classes) are included;
    those inherited from numpy, pandas or the standard library are not.
    """
    members: dict[str, object] = {}
    seen: set[int] = set()
    for name in _documented_objects():
        obj = getattr(bargaining, name)
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not klass.__module__.startswith("bargaining"):
                continue
            for member, value in vars(klass).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, property):
                    value = value.fget
                elif isinstance(value, (classmethod, staticmethod)):
                    value = value.__func__
                elif hasattr(value, "func") and inspect.isfunction(value.func):  # functools.cached_property
                    value = value.func
                if not inspect.isfunction(value) or id(value) in seen:
                    continue
                seen.add(id(value))
                members[f"{name}.{member}"] = value
    return members


def _object(name: str) -> object:
    """A public name, or "Class.member" (from :func:`_public_members`)."""
    return getattr(bargaining, name) if "." not in name else _public_members()[name]


def _doc(name: str) -> dict[str, str]:
    """The numpydoc sections of a docstring: "Summary" (first paragraph) and each titled section's body."""
    text = inspect.getdoc(_object(name)) or ""
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


def _runs_code(examples: str) -> bool:
    """Whether an Examples section has a ``>>>`` line that doctest runs (not marked ``+SKIP``)."""
    return any(
        line.lstrip().startswith(">>>") and not re.search(r"doctest:.*\+SKIP", line)
        for line in examples.splitlines()
    )


def _with_examples() -> list[str]:
    names = [*_documented_objects(), *_public_members()]
    return [n for n in names if "Examples" in _doc(n)]


def test_runs_code_recognizes_prose_and_skipped_examples() -> None:
    assert _runs_code(">>> 1 + 1\n2")
    assert _runs_code("Text first.\n\n    >>> x = 1   # doctest: +ELLIPSIS")
    assert not _runs_code("See :func:`fit_incomplete_moments` and the user guide.")
    assert not _runs_code(">>> report = run_study('eq38')   # doctest: +SKIP")
    assert not _runs_code("Literal block::\n\n    fit_model(model)")


@pytest.mark.parametrize("name", _with_examples())
def test_examples_section_has_code(name: str) -> None:
    has = _runs_code(_doc(name)["Examples"])
    if name in PROSE_EXAMPLES:
        assert not has, f"{name} has a runnable example now: remove it from PROSE_EXAMPLES"
    else:
        assert has, f"{name}: its Examples section needs a '>>>' line that runs (prose or +SKIP only)"


def test_prose_examples_list_is_current() -> None:
    stale = sorted(PROSE_EXAMPLES - set(_with_examples()))
    assert not stale, f"remove from PROSE_EXAMPLES (no such Examples section): {stale}"


def _run_doctests(name: str) -> None:
    obj = _object(name)
    globs = {n: getattr(bargaining, n) for n in bargaining.__all__}
    globs.update(np=np, pd=pd)  # the docstrings' convention
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, name, globs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} failing doctest example(s)"


@pytest.mark.parametrize("name", _documented_objects())
def test_docstring_examples_run(name: str) -> None:
    _run_doctests(name)


@pytest.mark.parametrize("name", [n for n, f in _public_members().items() if ">>>" in (inspect.getdoc(f) or "")])
def test_method_examples_run(name: str) -> None:
    _run_doctests(name)
