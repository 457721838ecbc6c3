"""`bargaining merger`: the counterfactual outputs in the table and --json, --remove and --starts."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from bargaining import SpecificationWarning, simulate_merger

MILLER = pd.DataFrame({
    "product": [1, 2, 3, 4],
    "price": [35.53, 154.0, 84.08, 53.16],
    "share": [0.29, 0.40, 0.28, 0.03],
    "firm": ["s1", "s2", "s3", "s4"],
    "firm_post": ["s1", "s2", "s2", "s4"],
    "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
})
ARGS = ["--price", "price", "--share", "share", "--seller", "firm", "--product", "product", "--margin", "margin",
        "--seller-weight", "0.4", "--normalize", "2", "--seller-post", "firm_post"]


@pytest.fixture
def miller_csv(tmp_path):
    path = tmp_path / "miller.csv"
    MILLER.to_csv(path, index=False)
    return path


def python_result(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecificationWarning)
        return simulate_merger(MILLER, price="price", share="share", seller="firm", product="product",
                               margin="margin", seller_weight=0.4, normalize=2, seller_post="firm_post", **kwargs)


def test_json_has_the_counterfactual_outputs(run_cli, miller_csv):
    code, out, err = run_cli("merger", str(miller_csv), *ARGS, "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    res = python_result()
    assert payload["compensating_variation"] == pytest.approx(res.compensating_variation, rel=1e-10)
    assert payload["producer_surplus"]["s2"]["post"] == pytest.approx(res.producer_surplus.loc["s2", "post"])
    assert payload["producer_surplus_total"]["change"] == pytest.approx(res.producer_surplus_total["change"])
    assert payload["compensating_cost_reduction"]["3"]["marginal_cost"] == pytest.approx(
        res.compensating_cost_reduction.loc[3, "marginal_cost"])
    assert payload["upward_pricing_pressure"]["2"]["price"] == pytest.approx(
        res.upward_pricing_pressure.loc[2, "price"])
    assert payload["industry"]["merging parties"]["price_change_pct"] == pytest.approx(
        res.industry.loc["merging parties", "price_change_pct"])
    assert payload["products"]["3"]["merging"] is True
    assert sorted(payload["merging_firms"]) == ["s2", "s3"]
    assert any("negative" in note and "-11.97" in note for note in payload["notes"])   # the warning, as a note


def test_table_remove_and_starts(run_cli, miller_csv):
    code, out, err = run_cli("merger", str(miller_csv), *ARGS, "--remove", "4", "--starts", "3")
    assert code == 0 and err == ""
    for text in ("merging parties", "compensating variation", "Producer surplus by firm", "price_change_pct",
                 "multiple starts reached different equilibria: False", "note: the calibrated marginal cost"):
        assert text in out
    code, out, _ = run_cli("merger", str(miller_csv), *ARGS, "--remove", "4", "--json")
    payload = json.loads(out)
    assert payload["post"]["4"]["price"] is None and payload["post"]["4"]["share"] == 0.0
    np.testing.assert_allclose([payload["post"][k]["price"] for k in ("1", "2", "3")],
                               python_result(remove=[4]).post["price"].to_numpy()[:3], rtol=1e-10)
    code, out, err = run_cli("merger", str(miller_csv), *ARGS, "--remove", "9")
    assert code == 2 and "9" in err and len(err.strip().splitlines()) == 1
