"""The command line on corrupted argument lists: exit 0, or exit 2 with one error line starting 'bargaining'
(argparse's usage lines may precede it) and never a traceback."""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings

import pytest
from hypothesis import given, settings

from bargaining.cli import main
from tests.properties._profile import PROFILE
from tests.properties.strategies import cli_paths, command_lines, count_example, time_limit

_TMP = tempfile.TemporaryDirectory(prefix="bargaining-props-cli-")
PATHS = cli_paths(_TMP.name)


def run(argv):
    count_example()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with time_limit():
                code = main(argv)
        except SystemExit as stop:  # argparse: --help (0) or a usage error (2)
            code = stop.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _in_tmp_dir(monkeypatch):
    # relative --out paths produced by corruption land in the temporary directory
    monkeypatch.chdir(_TMP.name)


@settings(PROFILE)
@given(command_lines(PATHS))
def test_cli_on_corrupted_arguments(argv):
    code, _out, err = run(argv)
    assert code in (0, 2), f"exit code {code!r}; stderr: {err}"
    assert "Traceback" not in err
    if code == 2:
        lines = err.strip().splitlines()
        assert lines, "exit 2 without a message"
        assert lines[-1].startswith("bargaining"), err
        if not lines[0].startswith("usage:"):
            assert len(lines) == 1, err
