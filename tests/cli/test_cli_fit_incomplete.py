"""`bargaining fit incomplete`: likelihood and price-moment variants, JSON output, and input errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def _negotiations(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Uniform [0, 1] types, Delta = 0 (rho = 3/2, weight ratios 2/3), logistic noise 0.05, k = 1/2 prices."""
    rng = np.random.default_rng(seed)
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    index = (v - (1 / 3) * (1 - v)) - (c + (1 / 3) * c)
    traded = rng.uniform(size=n) < 1 / (1 + np.exp(-index / 0.05))
    bid, ask = v / 1.5 + 0.25 / 3, c / 1.5 + 0.25  # k = 1/2 equilibrium bids
    kda = bid >= ask
    return pd.DataFrame(
        {
            "traded": traded.astype(int),
            "value": v,
            "cost": c,
            "kda_traded": kda.astype(int),
            "kda_price": np.where(kda, (bid + ask) / 2, np.nan),
            "market": rng.integers(0, 4, n),
        }
    )


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "negotiations.csv"
    _negotiations().to_csv(path, index=False)
    return str(path)


def needs(*modules):
    for module in modules:
        pytest.importorskip(f"bargaining.models.{module}", reason=f"waiting for models.{module}")


def test_likelihood_json(run_cli, csv):
    needs("distributions")
    code, out, err = run_cli(
        "fit",
        "incomplete",
        csv,
        "--traded",
        "traded",
        "--value",
        "value",
        "--cost",
        "cost",
        "--value-bounds",
        "0",
        "1",
        "--cost-bounds",
        "0",
        "1",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    for key in ("params", "std_errors", "nobs", "dropped", "converged"):
        assert key in result
    assert set(result["params"]) == {"Delta", "sigma"}
    assert result["nobs"] == 2000 and result["converged"] is True
    assert abs(result["params"]["Delta"]) < 4 * result["std_errors"]["Delta"]


def test_likelihood_table(run_cli, csv):
    needs("distributions", "mechanism")
    code, out, err = run_cli(
        "fit", "incomplete", csv, "--traded", "traded", "--value", "value", "--cost", "cost"
    )
    assert code == 0, err
    assert "Delta" in out and "sigma" in out and "Observations" in out


def test_price_moments_json(run_cli, csv):
    code, out, err = run_cli(
        "fit",
        "incomplete",
        csv,
        "--traded",
        "kda_traded",
        "--price",
        "kda_price",
        "--price-rule",
        "k-double-auction",
        "--cells",
        "market",
        "--support",
        "by-cell",
    )
    assert code == 0, err
    assert "low[" in out and "J statistic" in out
    needs("distributions")
    code, out, err = run_cli(
        "fit",
        "incomplete",
        csv,
        "--traded",
        "kda_traded",
        "--price",
        "kda_price",
        "--price-rule",
        "k-double-auction",
        "--value-bounds",
        "0",
        "1",
        "--cost-bounds",
        "0",
        "1",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert list(result["params"]) == ["Delta"]
    assert abs(result["params"]["Delta"]) < 4 * result["std_errors"]["Delta"]  # k = 1/2 data: Delta_k = 0


@pytest.mark.parametrize(
    "args",
    [
        ("--traded", "traded", "--value", "nope", "--cost", "cost"),
        ("--traded", "traded", "--value", "value"),
        ("--traded", "traded"),
        ("--traded", "traded", "--value", "value", "--cost", "cost", "--price", "kda_price"),
        ("--traded", "kda_traded", "--price", "kda_price", "--price-rule", "posted-price"),
    ],
)
def test_bad_input_one_line_exit_2(run_cli, csv, args):
    code, _, err = run_cli("fit", "incomplete", csv, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file(run_cli, tmp_path):
    code, _, err = run_cli(
        "fit", "incomplete", str(tmp_path / "none.csv"), "--traded", "t", "--value", "v", "--cost", "c"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_help(run_cli):
    with pytest.raises(SystemExit) as stop:
        run_cli("fit", "incomplete", "--help")
    assert stop.value.code == 0


def test_likelihood_wild_bootstrap_matches_python(run_cli, tmp_path):
    from bargaining import fit_incomplete

    frame = _negotiations(n=300, seed=2)
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    flags = ("--traded", "traded", "--value", "value", "--cost", "cost", "--value-bounds", "0", "1",
             "--cost-bounds", "0", "1", "--cluster", "market", "--bootstrap-kind", "wild", "--bootstrap", "99",
             "--seed", "3", "--json")
    code, out, err = run_cli("fit", "incomplete", str(path), *flags)
    assert code == 0, err
    result = json.loads(out)
    with pytest.warns(Warning):
        res = fit_incomplete(frame, traded="traded", value="value", cost="cost", value_bounds=(0, 1),
                             cost_bounds=(0, 1), cluster="market", bootstrap=99, bootstrap_kind="wild", seed=3)
    assert result["cov_type"] == "clustered" and "wild" in result["method"]
    assert result["pvalues"]["Delta"] == pytest.approx(res.pvalues["Delta"], abs=1e-12)


def test_price_moments_wild_bootstrap_matches_python(run_cli, tmp_path):
    from bargaining import fit_incomplete_moments

    frame = _negotiations(n=400, seed=3).assign(market=np.arange(400) % 8)  # 8 clusters for 4 moments
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    code, out, err = run_cli("fit", "incomplete", str(path), "--traded", "kda_traded", "--price", "kda_price",
                             "--price-rule", "k-double-auction", "--cluster", "market", "--bootstrap-kind", "wild",
                             "--bootstrap", "49", "--seed", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    with pytest.warns(Warning):
        res = fit_incomplete_moments(frame, traded="kda_traded", price="kda_price", price_rule="k-double-auction",
                                     cluster="market", bootstrap=49, bootstrap_kind="wild", seed=2)
    assert "wild score bootstrap" in result["method"]
    assert result["pvalues"]["Delta"] == pytest.approx(res.pvalues["Delta"], abs=1e-12)


def test_price_moments_bootstrap_flags_reach_the_estimator(run_cli, tmp_path):
    """--bootstrap, --seed and --cov-type were silently ignored on the minimum-distance path."""
    from bargaining import fit_incomplete_moments

    frame = _negotiations(n=600, seed=4)
    path = tmp_path / "md.csv"
    frame.to_csv(path, index=False)
    args = ("fit", "incomplete", str(path), "--traded", "kda_traded", "--price", "kda_price",
            "--price-rule", "k-double-auction", "--bootstrap", "19", "--seed", "3", "--json")
    code, out, err = run_cli(*args)
    assert code == 0, err
    result = json.loads(out)
    res = fit_incomplete_moments(frame, traded="kda_traded", price="kda_price", price_rule="k-double-auction",
                                 bootstrap=19, seed=3)
    for name, se in res.std_errors.items():
        assert result["std_errors"][name] == pytest.approx(se, rel=1e-10)
    plain = fit_incomplete_moments(frame, traded="kda_traded", price="kda_price", price_rule="k-double-auction")
    assert not np.allclose(plain.std_errors.to_numpy(), res.std_errors.to_numpy())  # the flags changed something
    code, out, err = run_cli(*args[:-5], "--cov-type", "unadjusted", "--json")
    assert code == 0, err
    unadjusted = fit_incomplete_moments(frame, traded="kda_traded", price="kda_price", price_rule="k-double-auction",
                                        cov_type="unadjusted")
    assert json.loads(out)["cov_type"] == unadjusted.cov_type


def test_parallel_bootstrap_gives_the_same_replicates_and_shows_progress(run_cli, tmp_path):
    """Issue 15: bootstraps run in parallel with a progress bar on the command line too."""
    path = tmp_path / "small.csv"
    _negotiations(n=400, seed=3).to_csv(path, index=False)
    args = ("fit", "incomplete", str(path), "--traded", "traded", "--value", "value", "--cost", "cost",
            "--value-bounds", "0", "1", "--cost-bounds", "0", "1", "--bootstrap", "8", "--seed", "4", "--json")
    code, serial, err = run_cli(*args)
    assert code == 0, err
    code, parallel, err = run_cli(*args, "--n-jobs", "2", "--progress")
    assert code == 0, err
    assert json.loads(parallel)["std_errors"] == json.loads(serial)["std_errors"]
    assert "8/8" in err  # the progress bar, on stderr (stdout stays valid JSON)
    code, _, err = run_cli(*args, "--n-jobs", "0")
    assert code != 0 and "--n-jobs" in err
