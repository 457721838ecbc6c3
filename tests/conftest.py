"""Shared test configuration."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# Tests run on 2 busy cores; wall-clock deadlines would make property tests flaky. The default profile is
# derandomized, so every CI run checks the same examples (and takes the same time); run
# `HYPOTHESIS_PROFILE=explore python -m pytest` to search new random examples (and `-m slow` for more of them).
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", derandomize=True, **_COMMON)
settings.register_profile("explore", **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def run_cli(capsys):
    """Run the command line in-process; return (exit code, stdout, stderr)."""
    from bargaining.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@contextmanager
def _recorded_sizes(owner: Any, name: str, position: int) -> Iterator[list[int]]:
    """Replace ``owner.name`` for the block by a wrapper recording the size of its argument ``position`` at every
    call (how many levels or types a computation evaluates), and restore it after."""
    sizes: list[int] = []
    original = getattr(owner, name)

    def recorded(*args: Any) -> Any:
        sizes.append(int(np.size(args[position])))
        return original(*args)

    setattr(owner, name, recorded)
    try:
        yield sizes
    finally:
        setattr(owner, name, original)


@pytest.fixture
def record_sizes() -> Callable[[Any, str, int], Any]:
    """``with record_sizes(owner, name, position) as sizes:`` counts the work of a computation, not its time."""
    return _recorded_sizes
