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
