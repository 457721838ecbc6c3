"""`bargaining merger`: calibration and merger simulation on one market's CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def miller_csv(tmp_path):
    path = tmp_path / "miller.csv"
    pd.DataFrame({
        "product": [1, 2, 3, 4],
        "price": [35.53, 154.0, 84.08, 53.16],
        "share": [0.29, 0.40, 0.28, 0.03],
        "firm": ["s1", "s2", "s3", "s4"],
        "firm_post": ["s1", "s2", "s2", "s4"],
        "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
    }).to_csv(path, index=False)
    return path


def test_merger_json_and_table(run_cli, miller_csv):
    argv = ["merger", str(miller_csv), "--price", "price", "--share", "share", "--seller", "firm", "--product",
            "product", "--margin", "margin", "--seller-weight", "0.4", "--normalize", "2", "--seller-post",
            "firm_post"]
    code, out, err = run_cli(*argv, "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert {"params", "pre", "post", "hhi", "consumer_surplus_change", "converged"} <= set(payload)
    assert payload["converged"] is True
    post = [payload["post"][k]["price"] for k in ("1", "2", "3", "4")]
    np.testing.assert_allclose(post, [38.7006, 184.3344, 122.5215, 53.3842], rtol=1e-4)
    assert payload["params"]["seller_weight"] == 0.4
    code, out, _ = run_cli(*argv)
    assert code == 0 and "HHI" in out and "Parameters" in out


def test_bad_column_is_one_line_and_exit_2(run_cli, miller_csv):
    code, out, err = run_cli("merger", str(miller_csv), "--price", "prise", "--share", "share", "--seller", "firm")
    assert code == 2 and out == "" and "prise" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli("merger", str(miller_csv), "--price", "price", "--share", "share", "--seller", "firm",
                             "--normalize", "2")
    assert code == 2 and "margin" in err and len(err.strip().splitlines()) == 1


@pytest.fixture
def nested_csv(tmp_path):
    """A market generated from known parameters: nested logit (lambda 0.5, 0.7), alpha 0.9, weights by seller."""
    from bargaining import NashInNashMarket, NestedLogitDemand

    demand = NestedLogitDemand(0.9, [1.0, 0.3, -0.2, 0.5], nests=list("aabb"), nesting_parameter=[0.5, 0.7])
    market = NashInNashMarket(demand, seller=["A", "B", "B", "C"], marginal_cost=[1.0, 1.2, 0.8, 1.0],
                              seller_weight=[0.3, 0.6, 0.6, 0.45])
    eqm = market.equilibrium()
    total = lambda scale: float(demand.shares(eqm["price"].to_numpy() * scale).sum())
    elasticity = (np.log(total(1 + 1e-6)) - np.log(total(1 - 1e-6))) / 2e-6
    path = tmp_path / "nested.csv"
    pd.DataFrame({
        "product": [1, 2, 3, 4], "price": eqm["price"].to_numpy(), "share": eqm["share"].to_numpy(),
        "firm": ["A", "B", "B", "C"], "post": ["A", "A", "A", "C"], "nest": list("aabb"),
        "margin": eqm["margin"].to_numpy(),
    }).to_csv(path, index=False, float_format="%.17g")
    return path, elasticity


def test_merger_nested_elasticity_and_weights_by_seller(run_cli, nested_csv):
    from bargaining import simulate_merger

    path, elasticity = nested_csv
    argv = ["merger", str(path), "--price", "price", "--share", "share", "--seller", "firm", "--product", "product",
            "--margin", "margin", "--market-elasticity", repr(float(elasticity)), "--weight-by", "seller", "--nests",
            "nest", "--nesting-parameter", "a=0.5,b=0.7", "--seller-post", "post", "--json"]
    code, out, err = run_cli(*argv)
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert payload["params"]["alpha"] == pytest.approx(0.9, rel=1e-6)
    assert [payload["params"][f"seller_weight[{k}]"] for k in (1, 2, 3, 4)] == pytest.approx(
        [0.3, 0.6, 0.6, 0.45], abs=1e-6)
    assert payload["params"]["nesting_parameter[a]"] == 0.5
    python = simulate_merger(pd.read_csv(path).set_index("product"), price="price", share="share", seller="firm",
                             margin="margin", market_elasticity=elasticity, weight_by="seller", nests="nest",
                             nesting_parameter={"a": 0.5, "b": 0.7}, seller_post="post")
    cli_post = [payload["post"][k]["price"] for k in ("1", "2", "3", "4")]
    np.testing.assert_allclose(cli_post, python.post["price"].to_numpy(), rtol=1e-12)
    assert "nested logit" in python.summary
    code, out, err = run_cli(*argv[:-1])   # the table
    assert code == 0 and "nested logit" in out


def test_merger_new_flags_in_help_and_bad_nesting(run_cli, nested_csv, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("merger", "--help")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--market-elasticity", "--weight-by", "--nests", "--nesting-parameter"):
        assert flag in out
    path, _ = nested_csv
    code, out, err = run_cli("merger", str(path), "--price", "price", "--share", "share", "--seller", "firm",
                             "--margin", "margin", "--seller-weight", "0.5", "--nests", "nest",
                             "--nesting-parameter", "a=x")
    assert code == 2 and "nesting-parameter" in err and len(err.strip().splitlines()) == 1


def test_merger_calibrates_the_nesting_parameter_without_the_flag(run_cli, tmp_path):
    """--nests without --nesting-parameter: one common lambda is calibrated (data generated at lambda 0.6)."""
    from bargaining import NashInNashMarket, NestedLogitDemand

    demand = NestedLogitDemand(0.9, [1.0, 0.3, -0.2, 0.5], nests=list("aabb"), nesting_parameter=0.6)
    market = NashInNashMarket(demand, seller=["A", "B", "B", "C"], marginal_cost=[1.0, 1.2, 0.8, 1.0],
                              seller_weight=0.4)
    eqm = market.equilibrium()
    path = tmp_path / "nested_common.csv"
    pd.DataFrame({"product": [1, 2, 3, 4], "price": eqm["price"].to_numpy(), "share": eqm["share"].to_numpy(),
                  "firm": ["A", "B", "B", "C"], "post": ["A", "A", "A", "C"], "nest": list("aabb"),
                  "margin": eqm["margin"].to_numpy()}).to_csv(path, index=False, float_format="%.17g")
    code, out, err = run_cli("merger", str(path), "--price", "price", "--share", "share", "--seller", "firm",
                             "--product", "product", "--margin", "margin", "--nests", "nest", "--seller-post", "post",
                             "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert payload["params"]["nesting_parameter[a]"] == pytest.approx(0.6, abs=1e-6)
    assert payload["params"]["nesting_parameter[b]"] == pytest.approx(0.6, abs=1e-6)
    weights = [v for k, v in payload["params"].items() if k.startswith("seller_weight")]
    assert weights and weights == pytest.approx([0.4] * len(weights), abs=1e-6)
    assert payload["params"]["alpha"] == pytest.approx(0.9, rel=1e-6)
