"""Regression tests for the bad inputs and command-line conventions of issue 13 (items 6 and 7)."""

from __future__ import annotations

import builtins
import gzip
import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

from bargaining.errors import BargainingError, InvalidParameterError


@pytest.fixture
def agreements(tmp_path):
    rng = np.random.default_rng(0)
    n = 50
    v, c = rng.uniform(1, 2, n), rng.uniform(0, 1, n)
    frame = pd.DataFrame({"price": c + 0.4 * (v - c), "value": v, "cost": c, "z": rng.normal(size=n)})
    path = tmp_path / "agreements.csv"
    frame.to_csv(path, index=False)
    return path


def test_formula_error_is_one_line_without_colour_codes(run_cli, agreements):
    code, _, err = run_cli("fit", "nash", str(agreements), "--price", "price", "--buyer-value", "value",
                           "--cost-formula", "~ 1 + ")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("bargaining fit: error:")
    assert "\x1b[" not in err


def test_python_hints_become_flags():
    from bargaining.cli import _command_parser, build_parser, command_line_hint

    parser = build_parser()
    fit = _command_parser(parser, parser.parse_args(["fit", "nash", "x.csv", "--price", "p", "--buyer-value", "v", "--seller-cost", "c"]))
    assert command_line_hint("fix them or pass drop_invalid=True", fit) == "fix them or pass --drop-invalid"
    assert command_line_hint("use cov_type='robust'", fit) == "use --cov-type robust"
    assert command_line_hint("pass cluster=COLUMN", fit) == "pass --cluster COLUMN"
    assert command_line_hint("efficiency_report(F, G)", fit) == "efficiency_report(F, G)"


def test_nash_in_nash_hint_names_the_weight_flag(run_cli, tmp_path):
    from importlib import resources

    payoffs = resources.files("bargaining.data") / "examples" / "nash_in_nash_payoffs.csv"
    code, _, err = run_cli("nash-in-nash", str(payoffs), "--weight", "h1=1", "--system", "sys=h1,h2")
    assert code == 2 and err.count("\n") == 1
    assert "--weight sys=..." in err and "weights[" not in err


def test_missing_values_hint_names_drop_invalid(run_cli, tmp_path):
    path = tmp_path / "gaps.csv"
    pd.DataFrame({"price": [1.0, np.nan, 1.2, 1.1], "value": [2.0, 2.1, 2.2, 1.9], "cost": [0.1, 0.2, 0.3, 0.2]}).to_csv(
        path, index=False
    )
    code, _, err = run_cli("fit", "nash", str(path), "--price", "price", "--buyer-value", "value",
                           "--seller-cost", "cost")
    assert code == 2
    assert "drop_invalid" not in err


def test_fit_without_model_prints_usage_on_stderr(run_cli):
    code, out, err = run_cli("fit")
    assert code == 2 and out == ""
    assert err.startswith("usage: bargaining fit") and "choose a MODEL" in err


def test_csv_gz_output_is_deterministic(tmp_path, monkeypatch):
    import time

    from bargaining.data.io import read_table, write_table

    frame = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    first = write_table(frame, tmp_path / "t.csv.gz").read_bytes()
    monkeypatch.setattr(time, "time", lambda: 1e9)
    second = write_table(frame, tmp_path / "t.csv.gz").read_bytes()
    assert first == second
    assert gzip.decompress(first).startswith(b"a,b\n")
    assert read_table(tmp_path / "t.csv.gz").equals(frame)


@pytest.mark.parametrize(("a", "b"), [(1.0, 0.99), (0.99, 0.99)])
def test_beta_types_with_unbounded_density(a, b):
    """Beta(1, 0.99) and Beta(0.99, 0.99) crashed with FloatingPointError; now solved to the reported accuracy,
    next to the uniform (Beta(1, 1)) answer."""
    from bargaining import Beta, Market, Uniform

    out = Market([Beta(a, b)], [Uniform()]).bargain([1.0], [1.0])
    uniform = Market([Uniform()], [Uniform()]).bargain([1.0], [1.0])
    assert np.isfinite(out.rho) and out.accuracy < 1e-8
    assert out.buyer_payoffs[0] == pytest.approx(uniform.buyer_payoffs[0], abs=0.02)
    # the quadrature's bound is honest: a finer rule agrees within it
    close = Market([Beta(a, b)], [Uniform()], atol=1e-14, rtol=1e-13).bargain([1.0], [1.0])
    assert abs(close.buyer_payoffs[0] - out.buyer_payoffs[0]) <= 10 * out.accuracy + 1e-12


def test_huge_units_refused_before_allocating():
    from bargaining import Market, Uniform

    with pytest.raises(InvalidParameterError, match="units") as info:
        Market([Uniform()], [Uniform()], buyer_units=10**7)
    assert info.value.hint


@pytest.mark.parametrize("seed", [-1, "abc", 1.5])
def test_bad_seeds(seed):
    from bargaining import simulate

    with pytest.raises(InvalidParameterError) as info:
        simulate("negotiations", n=10, seed=seed)
    assert info.value.hint


def test_unknown_simulator_keyword():
    from bargaining import simulate

    with pytest.raises(InvalidParameterError, match="no option 'foo'") as info:
        simulate("negotiations", n=10, seed=1, foo=3)
    assert "delta" in info.value.hint


@pytest.mark.parametrize("seed", ["-1", "x"])
def test_cli_bad_seeds(run_cli, tmp_path, seed):
    code, _, err = run_cli("simulate", "negotiations", "--seed", seed, "--out", str(tmp_path / "d.csv"))
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("out", ["/dev/null/x.csv", "{tmp}"])
def test_unwritable_simulate_out(run_cli, tmp_path, out):
    target = out.format(tmp=tmp_path / "folder.csv")
    (tmp_path / "folder.csv").mkdir()
    code, _, err = run_cli("simulate", "negotiations", "--seed", "1", "--n", "5", "--out", target)
    assert code == 2 and "--out" in err and err.count("\n") == 1


def test_unwritable_montecarlo_out_fails_before_running(run_cli, monkeypatch):
    import bargaining.commands.montecarlo as command

    monkeypatch.setattr(command, "run_study", lambda *a, **k: pytest.fail("ran before checking --out"), raising=False)
    code, _, err = run_cli("montecarlo", "nash-constant-formula", "--reps", "2", "--out", "/dev/null/mc")
    assert code == 2 and "--out" in err


def test_monte_carlo_save_without_jinja2_and_matplotlib(tmp_path, monkeypatch):
    from functools import partial

    from bargaining import fit_nash, run_monte_carlo, simulate

    draw = lambda rng: simulate("hospital-insurer", n=10, seed=rng).data
    fit = partial(fit_nash, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
    mc = run_monte_carlo(draw, fit, {"beta": 0.5}, reps=3, seed=1, progress=False)
    real_import = builtins.__import__

    def no_optional(name, *args, **kwargs):
        if name.split(".")[0] in ("jinja2", "matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [m for m in sys.modules if m.split(".")[0] in ("jinja2", "matplotlib")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", no_optional)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    paths = mc.save(tmp_path / "mc")
    tex = paths["latex"].read_text()
    assert tex.startswith(r"\begin{tabular}") and r"\toprule" in tex and "beta" in tex
    assert "distributions" not in paths
    with pytest.raises(BargainingError):
        mc.save("/dev/null/mc")


@pytest.mark.parametrize(("args", "flag"), [(("replicate", "figure-d1", "--figure", "f.png"), "--figure"),
                                            (("transparency", "--plot", "t.png"), "--plot")])
def test_figures_without_matplotlib_name_the_extra(run_cli, monkeypatch, tmp_path, args, flag):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    code, _, err = run_cli(*args)
    assert code == 2 and flag in err and "bargaining[plot]" in err and err.count("\n") == 1


@pytest.mark.slow
def test_fit_incomplete_with_estimated_beta_on_unbounded_density_data():
    """Issue example: fit_incomplete(value_dist="beta") on Beta(1, 0.99) values crashed with FloatingPointError.
    Now the first stage fits a Beta with an unbounded density at 1 and the likelihood is maximized (about 40 s
    on a quiet machine: the rho curve of the estimated laws is built once)."""
    import warnings

    import pandas as pd

    from bargaining import Beta, fit_incomplete

    rng = np.random.default_rng(1)
    v = Beta(1.0, 0.99).sample(300, seed=rng)
    c = rng.uniform(size=300)
    traded = (rng.uniform(size=300) < 1 / (1 + np.exp(-(v - c - 0.1) / 0.05))).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample and specification warnings are expected here
        res = fit_incomplete(pd.DataFrame({"traded": traded, "value": v, "cost": c}), traded="traded",
                             value="value", cost="cost", value_dist="beta", cost_dist="uniform")
    assert res.converged
    assert np.all(np.isfinite(res.params)) and np.all(res.std_errors > 0)
