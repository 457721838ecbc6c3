"""`bargaining simulate` output is read by `bargaining fit` unchanged: the command-line round trip."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_simulated_agreements_fit_back(run_cli, tmp_path, suffix):
    out = tmp_path / f"hospitals{suffix}"
    code, _, err = run_cli("simulate", "hospital-insurer", "--seed", "4", "--n", "60", "--out", str(out))
    assert code == 0, err
    code, stdout, err = run_cli(
        "fit", "nash", str(out), "--price", "price", "--buyer-value", "buyer_value", "--seller-cost", "seller_cost", "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    truth = json.loads((tmp_path / "hospitals.truth.json").read_text())
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert payload["nobs"] == len(frame)  # every simulated row is used
    assert abs(payload["params"]["beta"] - truth["beta"]) < 4 * payload["std_errors"]["beta"]


def test_simulated_negotiations_fit_back(run_cli, tmp_path):
    out = tmp_path / "negotiations.csv"
    code, _, err = run_cli(
        "simulate", "negotiations", "--seed", "5", "--n", "4000", "--out", str(out), "--param", "delta=0.5"
    )
    assert code == 0, err
    code, stdout, err = run_cli(
        "fit", "incomplete", str(out), "--traded", "traded", "--price", "price", "--price-rule", "k-double-auction", "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["nobs"] == 4000 and payload["converged"]
    assert abs(payload["params"]["Delta"] - 0.5) < 4 * payload["std_errors"]["Delta"]
