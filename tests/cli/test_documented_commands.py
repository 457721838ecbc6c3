"""Every command the README shows, and every example in a command's --help, runs as written.

Commands run in-process (``bargaining.cli.main``) in a temporary folder holding the files they name. Long
Monte Carlo runs are marked ``slow``; in the default run their argument lists are still parsed.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bargaining.cli import build_parser, main

README = Path(__file__).resolve().parents[2] / "README.md"
SLOW = ("montecarlo nash-constant-formula --reps", "montecarlo nash-logistic", "montecarlo incomplete-likelihood",
        "--bootstrap 199", "--bootstrap 499",
        "replicate --json")  # every replication: run one by one in tests/test_replication.py


def readme_commands() -> list[str]:
    text = README.read_text()
    block = re.search(r"## Commands\n+```\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    # commands quoted in the prose, without placeholders (`bargaining market ... --merge-suppliers 1,2`)
    for quoted in re.findall(r"`(bargaining [^`]*)`", text):
        if "..." not in quoted and not re.search(r"\b[A-Z]{2,}\b", quoted) and "[" not in quoted:
            commands.append(quoted)
    for snippet in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):  # quick start: `... && bargaining demo`
        commands += [part.strip() for part in snippet.split("&&") if part.strip().startswith("bargaining ")]
    return [c for c in commands if c]


def help_examples() -> list[str]:
    def walk(parser: argparse.ArgumentParser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from walk(sub)

    found = []
    for parser in walk(build_parser()):
        text = "\n".join(filter(None, [parser.description, parser.epilog])).replace("\\\n", " ")
        for line in text.splitlines():
            line = re.sub(r"\s+\(.*\)$", "", line.strip())  # a trailing "(explanation)"
            if line.startswith("bargaining ") and "DATA" not in line and "COMMAND" not in line:
                found.append(" ".join(line.split()))
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """The files the documented commands name."""
    from bargaining import simulate

    folder = tmp_path_factory.mktemp("documented")
    shutil.copy(resources.files("bargaining.data") / "examples" / "nash_in_nash_payoffs.csv", folder / "payoffs.csv")
    pd.DataFrame({"agent": ["h1", "h2", "i1", "i2"], "weight": [1, 1, 2, 2]}).to_csv(folder / "weights.csv", index=False)
    pd.DataFrame({"u1": [0, 0.5, 0.8, 1, 0], "u2": [1, 0.9, 0.5, 0, 0]}).to_csv(folder / "offers.csv", index=False)
    neg = simulate("negotiations", n=600, seed=3, proxy_noise=0.05, price_rule="k-double-auction").data
    neg = neg.assign(value=neg.value_proxy, cost=neg.cost_proxy, market=np.arange(len(neg)) % 3)
    neg.to_csv(folder / "negotiations.csv", index=False)
    return folder


def _run(command: str, folder: Path, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(folder)
    argv = shlex.split(command)
    assert argv[0] == "bargaining"
    try:
        code = main(argv[1:])
    except SystemExit as stop:  # --help, --version
        code = int(stop.code or 0)
    return code, capsys.readouterr().err


def _marks(command: str) -> list:
    return [pytest.mark.slow] if any(s in command for s in SLOW) else []


README_COMMANDS = readme_commands()
HELP_EXAMPLES = help_examples()


def test_documented_commands_are_found():
    assert len(README_COMMANDS) >= 15
    assert any("nash-in-nash payoffs.csv" in c for c in README_COMMANDS)
    assert len(HELP_EXAMPLES) >= 30


@pytest.mark.parametrize("command", README_COMMANDS + HELP_EXAMPLES)
def test_documented_command_parses(command):
    try:
        build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit as stop:  # --help, --version
        assert stop.code == 0, command


def test_readme_commands_run_as_written(workdir, monkeypatch, capsys):
    """In order: `simulate ... --out hospitals.csv` writes the file the next `fit nash` reads."""
    for command in README_COMMANDS:
        if _marks(command):
            continue
        code, err = _run(command, workdir, monkeypatch, capsys)
        assert code == 0, f"{command}: {err}"


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in README_COMMANDS if _marks(c)])
def test_readme_slow_commands_run_as_written(command, workdir, monkeypatch, capsys):
    code, err = _run(command, workdir, monkeypatch, capsys)
    assert code == 0, f"{command}: {err}"


NEEDS_FILES = ("agreements.csv", "agreements.parquet", "miller.csv", "chain.csv", "nested.csv")


@pytest.mark.parametrize(
    "command",
    [pytest.param(c, marks=_marks(c)) for c in HELP_EXAMPLES if not any(f in c for f in NEEDS_FILES)],
)
def test_help_examples_run_as_written(command, workdir, monkeypatch, capsys):
    if "hospital-insurer" not in command and "hospitals.csv" in command and not (workdir / "hospitals.csv").exists():
        pytest.skip("needs hospitals.csv")
    code, err = _run(command, workdir, monkeypatch, capsys)
    assert code == 0, f"{command}: {err}"
