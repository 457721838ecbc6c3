"""`bargaining market`: the Loertscher-Marx outcome from the command line, against closed forms."""

from __future__ import annotations

import json
import math

import pytest


def test_uniform_bilateral_matches_eq38_and_the_second_best(run_cli):
    code, out, err = run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "0.5", "--json")
    assert code == 0 and err == ""
    outcome = json.loads(out)["outcome"]
    assert outcome["rho"] == pytest.approx((2 - 0.5 + math.sqrt(1 - 0.5 + 0.25)) / 2, abs=1e-10)  # eq. (38)
    _, out, _ = run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--first-best", "--json")
    payload = json.loads(out)
    assert payload["outcome"]["welfare"] == pytest.approx(9 / 64, abs=1e-12)  # second best
    assert payload["first_best"]["budget_surplus"] == pytest.approx(-1 / 6, abs=1e-12)


def test_table1_column_from_the_command_line(run_cli):
    # appendix Table 1, D = 1, theta_1 = 2: 1/rho, u_B, u_1, u_2 = 0.76, 0.34, 0.21, 0.01 (two decimals)
    _, out, _ = run_cli(
        "market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1",
        "--preferences", "2", "1", "--buyer-weights", "1", "--supplier-weights", "1", "1", "--json",
    )
    outcome = json.loads(out)["outcome"]
    assert [round(1 / outcome["rho"], 2), round(outcome["buyer_payoffs"][0], 2)] == [0.76, 0.34]
    assert [round(u, 2) for u in outcome["supplier_payoffs"]] == [0.21, 0.01]


def test_readable_table_and_frontier(run_cli):
    code, out, _ = run_cli("market", "--buyer", "beta:2,3", "--supplier", "beta:3,2", "--delta", "-0.2")
    assert code == 0 and "Loertscher-Marx outcome" in out and "accuracy" in out and "buyer 1" in out
    _, out, _ = run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--frontier", "5", "--json")
    frontier = json.loads(out)["frontier"]
    assert [row["delta"] for row in frontier] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert frontier[2]["welfare"] == pytest.approx(9 / 64, abs=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--buyer", "gamma:1", "--supplier", "uniform:0,1"], "Unknown distribution"),
        (["--buyer", "beta:2", "--supplier", "uniform:0,1"], "takes 2 to 4 numbers"),
        (["--buyer", "uniform:a,b", "--supplier", "uniform:0,1"], "must be numbers"),
        (["--supplier", "uniform:0,1"], "at least one --buyer"),
        (["--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "2"], "[-1, 1]"),
        (["--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "0", "--buyer-weights", "1"], "not both"),
        (["--buyer", "uniform:2,3", "--supplier", "uniform:4,5"], "gains from trade"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, argv, message):
    code, out, err = run_cli("market", *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
