"""`bargaining nash` and `bargaining rubinstein`, run in-process.

Expected numbers are worked by hand (see tests/models/test_nash.py and test_rubinstein.py): pie of size 1 with
beta = 0.3 -> (0.3, 0.7); u2 = 1 - u1^2 with beta = 1/2 -> (1/sqrt(3), 2/3); the hull of (0, 1), (0.8, 0.8),
(1, 0) with beta = 0.9 -> (0.9, 0.4) and with beta = 1/2 the kink (0.8, 0.8); Rubinstein with delta = (0.9, 0.8)
-> 5/7 for the first proposer, and player 2 proposing keeps 5/14.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bargaining.commands.nash import parse_expression
from bargaining.errors import InvalidParameterError


@pytest.fixture
def points_csv(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("u1,u2\n0,1\n0.8,0.8\n1,0\n0,0\n0.3, 0.3\n")
    return str(path)


def _json(out: str) -> dict:
    return json.loads(out)


# ------------------------------------------------------------------------------------------------ nash
def test_pie_table(run_cli):
    code, out, err = run_cli("nash", "--pie", "1", "--weight", "0.3")
    assert code == 0 and err == ""
    assert "Generalized Nash bargaining solution" in out
    payoff_row = next(line for line in out.splitlines() if line.startswith("payoff"))
    assert payoff_row.split()[1:] == ["0.3", "0.7"]
    assert "closed form" in out and "tolerance" in out and "pie u1 + u2 <= 1" in out


def test_pie_json_with_disagreement(run_cli):
    # S = 2, d = (0.2, 0.1), beta = 0.3: (0.2 + 0.3 * 1.7, 0.1 + 0.7 * 1.7) = (0.71, 1.29)
    code, out, _ = run_cli("nash", "--pie", "2", "--disagreement", "0.2", "0.1", "--weight", "0.3", "--json")
    assert code == 0
    payload = _json(out)
    assert payload["payoffs"] == pytest.approx([0.71, 1.29], abs=1e-14)
    assert payload["disagreement"] == [0.2, 0.1]
    assert payload["weight"] == 0.3
    assert payload["method"] == "closed form"
    assert payload["feasible_set"] == {"type": "pie", "size": 2.0}


def test_frontier_expression(run_cli):
    code, out, _ = run_cli("nash", "--frontier", "1 - u1**2", "--low", "0", "--high", "1", "--json")
    assert code == 0
    payload = _json(out)
    assert payload["payoffs"] == pytest.approx([1 / math.sqrt(3), 2 / 3], abs=1e-10)
    assert payload["method"] == "bracketed solve"
    assert payload["tolerance"] <= 1e-10
    assert payload["feasible_set"]["expression"] == "1 - u1**2"


def test_frontier_with_numpy_functions(run_cli):
    # u2 = sqrt(1 - u1), beta = 1/2: u1 = 2 b / (1 + b) = 2/3 (hand derivation in the model tests)
    code, out, _ = run_cli("nash", "--frontier", "sqrt(1 - u1)", "--low", "0", "--high", "1", "--json")
    assert code == 0
    assert _json(out)["payoffs"][0] == pytest.approx(2 / 3, abs=1e-10)


def test_points_file(run_cli, points_csv):
    code, out, _ = run_cli("nash", "--points", points_csv, "--weight", "0.9", "--json")
    assert code == 0
    payload = _json(out)
    assert payload["payoffs"] == pytest.approx([0.9, 0.4], abs=1e-14)
    assert payload["feasible_set"]["n_points"] == 5
    assert payload["feasible_set"]["pareto_vertices"] == [[0.0, 1.0], [0.8, 0.8], [1.0, 0.0]]
    code, out, _ = run_cli("nash", "--points", points_csv)
    assert code == 0
    assert next(line for line in out.splitlines() if line.startswith("payoff")).split()[1:] == ["0.8", "0.8"]
    assert "convex hull of 5 points" in out


def _one_line_error(run_cli, *argv: str) -> str:
    code, out, err = run_cli(*argv)
    assert code == 2, (argv, out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("nash",), "exactly one way"),
        (("nash", "--pie", "1", "--frontier", "1 - u1", "--low", "0", "--high", "1"), "exactly one way"),
        (("nash", "--pie", "abc"), "--pie must be a number"),
        (("nash", "--pie", "nan"), "--pie must be finite"),
        (("nash", "--pie", "1", "--weight", "1.5"), "weight must be in [0, 1]"),
        (("nash", "--pie", "1", "--weight", "nan"), "--weight must be finite"),
        (("nash", "--pie", "1", "--disagreement", "x", "0"), "--disagreement D1 must be a number"),
        (("nash", "--pie", "1", "--disagreement", "0.6", "0.6"), "lower the disagreement"),
        (("nash", "--pie", "1", "--low", "0"), "only apply to --frontier"),
        (("nash", "--frontier", "1 - u1**2", "--low", "0"), "needs --low and --high"),
        (("nash", "--frontier", "1 - u1**2", "--low", "1", "--high", "0"), "low must be smaller than high"),
        (("nash", "--frontier", "u1**2", "--low", "0", "--high", "1"), "increases between"),
        (("nash", "--frontier", "(1 - u1)**2", "--low", "0", "--high", "1"), "not concave"),
        (("nash", "--frontier", "sqrt(0.5 - u1)", "--low", "0", "--high", "1"), "not finite at u1"),
        (
            ("nash", "--frontier", "__import__('os').system('true')", "--low", "0", "--high", "1"),
            "not allowed",
        ),
        (("nash", "--frontier", "1 - x", "--low", "0", "--high", "1"), "unknown name 'x'"),
        (("nash", "--frontier", "1 - u1 +", "--low", "0", "--high", "1"), "not a valid expression"),
        (("nash", "--points", "/no/such/file.csv"), "cannot read"),
    ],
)
def test_nash_bad_input(run_cli, argv, fragment):
    err = _one_line_error(run_cli, *argv)
    assert fragment in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("a,b\n0,1\n", "no column 'u1'"),
        ("u1,u2\n", "has no rows"),
        ("", "cannot read the points file"),
        ("u1,u2\n0,1\n1,x\n0.5,nan\n2,inf\n", "3 row(s)"),
        ("u1,u2\n0,0\n", "disagreement point"),
    ],
)
def test_points_file_errors(run_cli, tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    err = _one_line_error(run_cli, "nash", "--points", str(path))
    assert fragment in err
    if "row(s)" in fragment:
        assert "lines 3, 4, 5" in err  # line numbers in the file, header = line 1


# ---------------------------------------------------------------------------------- expression parser
def test_parse_expression_evaluates_arithmetic_and_whitelisted_functions():
    u = np.array([0.0, 0.25, 0.5])
    assert parse_expression("1 - u1**2")(u) == pytest.approx(1 - u**2)
    assert parse_expression("-u1 / 2 + +3 * pi - e")(u) == pytest.approx(-u / 2 + 3 * math.pi - math.e)
    assert parse_expression("sqrt(1 - u1) + log1p(u1) - exp(-u1)")(u) == pytest.approx(
        np.sqrt(1 - u) + np.log1p(u) - np.exp(-u)
    )
    assert parse_expression("minimum(1, 2 - 2*u1)")(u) == pytest.approx(np.minimum(1, 2 - 2 * u))
    # works on complex input (the frontier's derivative is taken by the complex step)
    value = parse_expression("1 - u1**2")(np.array([0.5 + 1e-20j]))
    assert value.imag[0] / 1e-20 == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "u1.real",
        "u1[0]",
        "lambda: 1",
        "open('x')",
        "np.sqrt(u1)",
        "sqrt(u1, out=u1)",
        "minimum(u1)",
        "u1 < 1",
        "'1' + u1",
        "True + u1",
        "1j * u1",
        "u1 if u1 else 0",
        "2 % u1",
        "y",
        "x" * 2000,
    ],
)
def test_parse_expression_rejects_everything_else(text):
    with pytest.raises(InvalidParameterError) as info:
        parse_expression(text)
    assert info.value.hint


def test_parse_expression_huge_power_does_not_hang():
    assert np.isinf(parse_expression("u1 + 10**10**10")(np.array([0.0]))).all()


def test_constant_frontier_is_a_box(run_cli):
    # u2 <= 1 for u1 in [0, 2]: a rectangle; both players do best at its corner (2, 1)
    code, out, _ = run_cli("nash", "--frontier", "1", "--low", "0", "--high", "2", "--json")
    assert code == 0
    assert _json(out)["payoffs"] == pytest.approx([2.0, 1.0], abs=1e-12)


# ------------------------------------------------------------------------------------------ rubinstein
def test_rubinstein_table(run_cli):
    code, out, err = run_cli("rubinstein", "--delta1", "0.9", "--delta2", "0.8")
    assert code == 0 and err == ""
    payoff_row = next(line for line in out.splitlines() if line.startswith("payoff"))
    assert [float(x) for x in payoff_row.split()[1:]] == pytest.approx([5 / 7, 2 / 7], abs=1e-9)
    assert "player 1 proposes first" in out


def test_rubinstein_json_second_proposer(run_cli):
    code, out, _ = run_cli(
        "rubinstein", "--delta1", "0.9", "--delta2", "0.8", "--size", "14", "--first-proposer", "2", "--json"
    )
    assert code == 0
    payload = _json(out)
    assert payload["payoffs"] == pytest.approx([9.0, 5.0], abs=1e-12)
    assert payload["offer_by_1"] == pytest.approx([10.0, 4.0], abs=1e-12)
    assert payload["proposer"] == 2 and payload["immediate_agreement"] is True


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--delta2", "0.8"), "--delta1 is required"),
        (("--delta1", "0.9", "--delta2", "1.2"), "delta2 must be a discount factor"),
        (("--delta1", "1", "--delta2", "1"), "every division"),
        (("--delta1", "0.9", "--delta2", "abc"), "--delta2 must be a number"),
        (("--delta1", "0.9", "--delta2", "0.8", "--size", "-1"), "size must be positive"),
        (("--delta1", "0.9", "--delta2", "0.8", "--first-proposer", "3"), "--first-proposer must be 1 or 2"),
    ],
)
def test_rubinstein_bad_input(run_cli, argv, fragment):
    err = _one_line_error(run_cli, "rubinstein", *argv)
    assert fragment in err


@pytest.mark.parametrize("command", ["nash", "rubinstein"])
def test_help(run_cli, capsys, command):
    with pytest.raises(SystemExit) as stop:
        run_cli(command, "--help")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--json" in out
