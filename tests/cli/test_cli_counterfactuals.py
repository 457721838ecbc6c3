"""`bargaining market` counterfactuals: merger, vertical integration, equal bargaining power, against the API."""

from __future__ import annotations

import json

import pytest

UNIFORM3 = ("--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1")


def test_merge_suppliers_json_shows_both_markets(run_cli):
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market
    from bargaining.models.mechanism.counterfactuals import compare_merger

    code, out, err = run_cli("market", *UNIFORM3, "--merge-suppliers", "1,2", "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert [a["agent"] for a in payload["before"]["market"]] == ["buyer 1", "supplier 1", "supplier 2", "supplier 3"]
    assert [a["agent"] for a in payload["after"]["market"]] == ["buyer 1", "supplier 1+2 (merged)", "supplier 3"]
    expected = compare_merger(Market([Uniform()], [Uniform()] * 3), suppliers=(0, 1))
    assert payload["after"]["outcome"]["welfare"] == pytest.approx(expected.after.welfare, abs=1e-12)
    assert payload["comparison"]["welfare"]["change"] == pytest.approx(expected.welfare_change, abs=1e-12)
    assert payload["comparison"]["rho"]["accuracy"] < 1e-8


def test_integrate_text_and_json(run_cli):
    args = ("market", "--buyer", "uniform:1,2", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1", "--integrate", "1")
    code, out, _ = run_cli(*args)
    assert code == 0 and "vertical integration of buyer 1 with supplier 1" in out and "Proposition 7 applies" in out
    payload = json.loads(run_cli(*args, "--json")[1])
    assert payload["after"]["outcome"]["welfare"] == pytest.approx(9 / 64, abs=1e-10)   # Myerson-Satterthwaite
    assert payload["claim"]["agrees"] is True


def test_equalize_names_the_failing_condition(run_cli):
    code, out, _ = run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1",
                           "--delta", "0.5", "--equalize")
    assert code == 0 and "(i)   FAILS" in out and "The numbers agree." in out
    payload = json.loads(run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "0.5",
                                 "--equalize", "--json")[1])
    assert payload["claim"]["failing"] == ["(i)"] and payload["comparison"]["welfare"]["change"] > 0


@pytest.mark.parametrize(
    "extra",
    [("--merge-suppliers", "1,4"), ("--merge-suppliers", "1"), ("--integrate", "5"),
     ("--merge-suppliers", "1,2", "--equalize"), ("--merge-suppliers", "1,2", "--merged-weight", "3")],
)
def test_bad_counterfactual_is_one_line_exit_2(run_cli, extra):
    code, out, err = run_cli("market", *UNIFORM3, *extra)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_plot_saves_the_frontiers_before_and_after(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "integration.png"
    code, out, err = run_cli("market", "--buyer", "uniform:1,2", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1",
                             "--integrate", "1", "--plot", str(figure))
    assert code == 0 and err == "" and f"figure: {figure}" in out
    assert figure.stat().st_size > 1000
    svg = tmp_path / "merger.svg"
    code, out, _ = run_cli("market", *UNIFORM3, "--merge-suppliers", "1,2", "--plot", str(svg), "--json")
    assert code == 0 and json.loads(out)["plot"] == str(svg)
    text = svg.read_text()
    assert "before" in text and "after" in text          # both frontiers are labelled in the legend


def test_plot_needs_a_counterfactual(run_cli, tmp_path):
    code, _, err = run_cli("market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--plot", str(tmp_path / "f.png"))
    assert code == 2 and "--plot" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f.png").exists()
