"""The top-level command line: help, version, python -m."""

import subprocess
import sys

import bargaining


def test_help_lists_commands(run_cli, capsys):
    try:
        run_cli("--help")
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    assert "usage: bargaining" in out
    assert "COMMAND" in out


def test_no_command_prints_help(run_cli):
    code, out, _ = run_cli()
    assert code == 0
    assert "usage: bargaining" in out


def test_python_dash_m_runs():
    done = subprocess.run(
        [sys.executable, "-m", "bargaining", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert bargaining.__version__ in done.stdout


def test_every_subcommand_has_help(run_cli, capsys):
    from bargaining.cli import build_parser

    parser = build_parser()
    sub_actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    names = list(sub_actions[0].choices) if sub_actions else []
    for name in names:
        try:
            run_cli(name, "--help")
        except SystemExit as stop:
            assert stop.code == 0, name
        assert "usage:" in capsys.readouterr().out


def test_unknown_public_name_raises_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        bargaining.no_such_name  # noqa: B018
