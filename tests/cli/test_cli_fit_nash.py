"""`bargaining fit nash`: same numbers as fit_nash, JSON schema, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bargaining.estimate.nash_price import fit_nash


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 400
    z = rng.normal(size=n)
    r = rng.uniform(0, 1, size=n)
    expected_cost = r + 1 + 0.5 * z
    cost = expected_cost + rng.uniform(-0.3, 0.3, size=n)
    value = expected_cost + 0.4 + rng.lognormal(0.5, 0.5, size=n)
    system = rng.choice(["big", "small"], size=n)
    beta = np.where(system == "big", 0.6, 0.3)
    price = cost + beta * (value - cost) + rng.normal(scale=0.2, size=n)
    return pd.DataFrame(
        {
            "p": price,
            "v": value,
            "c": cost,
            "z": z,
            "r": r,
            "system": system,
            "x": rng.normal(size=n),
            "market": rng.integers(0, 30, size=n),
        }
    )


@pytest.fixture(scope="module")
def csv_path(frame, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("fit_nash") / "agreements.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_table_output(run_cli, csv_path):
    code, out, err = run_cli(
        "fit", "nash", csv_path, "--price", "p", "--buyer-value", "v", "--seller-cost", "c"
    )
    assert code == 0, err
    assert "beta" in out and "Observations" in out and "robust" in out


def test_json_matches_python_api(run_cli, csv_path, frame):
    code, out, err = run_cli(
        "fit",
        "nash",
        csv_path,
        "--price",
        "p",
        "--buyer-value",
        "v",
        "--cost-formula",
        "~ 1 + z",
        "--recapture",
        "r",
        "--weight-by",
        "system",
        "--cluster",
        "market",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    for key in ("params", "std_errors", "nobs", "dropped", "converged"):
        assert key in result
    # the CSV round trip loses nothing that matters at this tolerance
    api = fit_nash(
        frame,
        price="p",
        buyer_value="v",
        cost_formula="~ 1 + z",
        recapture="r",
        weight_by="system",
        cov_type="clustered",
        cluster="market",
    )
    assert result["cov_type"] == "clustered"
    assert set(result["params"]) == {"beta[big]", "beta[small]", "gamma[Intercept]", "gamma[z]"}
    for name, value in api.params.items():
        assert result["params"][name] == pytest.approx(value, rel=1e-8)
        assert result["std_errors"][name] == pytest.approx(api.std_errors[name], rel=1e-6)
    assert result["nobs"] == len(frame) and result["dropped"] == [] and result["converged"] is True


def test_logistic_bootstrap_json(run_cli, csv_path):
    code, out, err = run_cli(
        "fit",
        "nash",
        csv_path,
        "--price",
        "p",
        "--buyer-value",
        "v",
        "--seller-cost",
        "c",
        "--weight-formula",
        "~ 1 + x",
        "--bootstrap",
        "20",
        "--seed",
        "3",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert set(result["params"]) == {"delta[Intercept]", "delta[x]"}
    assert result["cov_type"] == "bootstrap" and result["bootstrap_reps"] == 20


def test_drop_invalid_reports_rows(run_cli, frame, tmp_path):
    broken = frame.copy()
    broken.loc[[0, 1], "p"] = np.nan
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    args = ("fit", "nash", str(path), "--price", "p", "--buyer-value", "v", "--seller-cost", "c")
    code, out, err = run_cli(*args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, out, err = run_cli(*args, "--drop-invalid", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["nobs"] == len(frame) - 2
    assert sum(row["count"] for row in result["dropped"]) == 2


@pytest.mark.parametrize(
    "extra",
    [
        ("--price", "nope", "--buyer-value", "v", "--seller-cost", "c"),
        ("--price", "p", "--buyer-value", "v", "--cost-formula", "~ 1 + missing_column"),
        ("--price", "p", "--buyer-value", "v", "--seller-cost", "c", "--cov-type", "clustered"),
    ],
)
def test_bad_column_or_option_is_one_line(run_cli, csv_path, extra):
    code, _out, err = run_cli("fit", "nash", csv_path, *extra)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("bargaining fit: error:")


def test_bad_file_is_one_line(run_cli, tmp_path):
    code, _out, err = run_cli("fit", "nash", str(tmp_path / "missing.csv"), "--seller-cost", "c")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_unidentified_is_one_line(run_cli, frame, tmp_path):
    flat = frame.assign(v=frame.r + 1 + 2 * frame.z)  # V - r collinear with the cost shifters
    path = tmp_path / "flat.csv"
    flat.to_csv(path, index=False)
    code, _out, err = run_cli(
        "fit",
        "nash",
        str(path),
        "--price",
        "p",
        "--buyer-value",
        "v",
        "--cost-formula",
        "~ 1 + z",
        "--recapture",
        "r",
    )
    assert code == 2 and "not identified" in err and len(err.strip().splitlines()) == 1


def test_help_mentions_the_model(run_cli):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("fit", "nash", "--help")
    assert exit_info.value.code == 0


def test_wild_bootstrap_with_instruments_matches_python(run_cli, csv_path, frame):
    flags = ("--price", "p", "--buyer-value", "v", "--cost-formula", "~ 1 + z", "--instruments", "~ x + z",
             "--cluster", "market", "--bootstrap-kind", "wild", "--bootstrap", "99", "--seed", "5", "--json")
    code, out, err = run_cli("fit", "nash", csv_path, *flags)
    assert code == 0, err
    result = json.loads(out)
    with pytest.warns(Warning):
        res = fit_nash(frame, price="p", buyer_value="v", cost_formula="~ 1 + z", instruments="~ x + z",
                       cluster="market", bootstrap=99, bootstrap_kind="wild", seed=5)
    assert "wild restricted efficient bootstrap" in result["method"]
    assert result["pvalues"]["beta"] == pytest.approx(res.pvalues["beta"], abs=1e-12)
