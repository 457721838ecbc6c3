"""EstimationResults: inference quantities against linearmodels and hand computations; reporting."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

from bargaining.errors import ConvergenceWarning, InvalidParameterError
from bargaining.estimate.results import EstimationResults, empty_dropped, warn_not_converged


def _ols_pair(seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 200
    x = pd.DataFrame({"const": 1.0, "x": rng.normal(size=n)})
    y = pd.Series(1.0 + 0.5 * x["x"] + rng.normal(size=n), name="y")
    lm = IV2SLS(y, x, None, None).fit(cov_type="robust")
    ours = EstimationResults(params=lm.params, cov=lm.cov, nobs=n, cov_type="robust", method="OLS")
    return lm, ours


def test_inference_matches_linearmodels():
    lm, ours = _ols_pair()
    np.testing.assert_allclose(ours.std_errors, lm.std_errors, rtol=1e-12)
    np.testing.assert_allclose(ours.tvalues, lm.tstats, rtol=1e-12)
    np.testing.assert_allclose(ours.pvalues, lm.pvalues, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(ours.conf_int(0.9).to_numpy(), lm.conf_int(0.9).to_numpy(), rtol=1e-12)


def test_hand_computed_interval_and_pvalue():
    params = pd.Series({"beta": 0.4})
    cov = pd.DataFrame([[0.01]], index=["beta"], columns=["beta"])
    res = EstimationResults(params=params, cov=cov, nobs=10, cov_type="unadjusted")
    assert res.std_errors["beta"] == pytest.approx(0.1)
    assert res.tvalues["beta"] == pytest.approx(4.0)
    # 2 * (1 - Phi(4)) = 6.334248366623996e-05 (standard normal tail)
    assert res.pvalues["beta"] == pytest.approx(6.334248366623996e-05, rel=1e-9)
    ci = res.conf_int(0.95)
    assert ci.loc["beta", "lower"] == pytest.approx(0.4 - 1.959963984540054 * 0.1, rel=1e-12)
    assert ci.loc["beta", "upper"] == pytest.approx(0.4 + 1.959963984540054 * 0.1, rel=1e-12)
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "std_error", "t", "p", "lower", "upper"]
    with pytest.raises(InvalidParameterError):
        res.conf_int(1.5)


def test_percentile_intervals_use_bootstrap_quantiles():
    draws = pd.DataFrame({"beta": np.arange(1, 101, dtype=float)})  # quantiles known exactly
    res = EstimationResults(
        params=pd.Series({"beta": 50.0}),
        cov=pd.DataFrame([[draws["beta"].var()]], index=["beta"], columns=["beta"]),
        nobs=100,
        cov_type="bootstrap",
        bootstrap_params=draws,
        ci_method="percentile",
    )
    ci = res.conf_int(0.9)
    # numpy linear interpolation: position 0.05 * 99 = 4.95 -> 5.95; 0.95 * 99 = 94.05 -> 95.05
    assert ci.loc["beta", "lower"] == pytest.approx(5.95)
    assert ci.loc["beta", "upper"] == pytest.approx(95.05)
    with pytest.raises(InvalidParameterError):
        EstimationResults(params=res.params, cov=res.cov, nobs=1, cov_type="x", ci_method="percentile")


def test_to_dict_is_json_and_reports_drops():
    dropped = pd.DataFrame({"reason": ["missing price"], "count": [3]})
    _, base = _ols_pair()
    res = EstimationResults(
        params=base.params,
        cov=base.cov,
        nobs=base.nobs,
        cov_type="robust",
        dropped=dropped,
        diagnostics={"condition number": 2.5, "first-stage F": float("nan")},
    )
    out = json.loads(json.dumps(res.to_dict()))
    for key in ("params", "std_errors", "nobs", "dropped", "converged", "cov_type", "conf_int"):
        assert key in out
    assert out["dropped"] == [{"reason": "missing price", "count": 3}]
    assert out["n_input"] == base.nobs + 3
    assert out["diagnostics"]["first-stage F"] is None
    text = res.summary.as_text()
    assert "missing price" in text and "Rows dropped" in text
    assert empty_dropped().empty and list(empty_dropped().columns) == ["reason", "count"]


def test_summary_flags_non_convergence_and_renders_latex():
    _, base = _ols_pair()
    res = EstimationResults(
        params=base.params,
        cov=base.cov,
        nobs=base.nobs,
        cov_type="robust",
        converged=False,
        model="Test model",
    )
    text = str(res.summary)
    assert "NOT converge" in text and "Test model" in text
    latex = res.summary.as_latex()
    assert latex.startswith(r"\begin{table}") and r"\end{tabular}" in latex
    assert "const" in latex
    with pytest.warns(ConvergenceWarning):
        warn_not_converged("test optimizer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        str(base.summary)  # a converged fit warns about nothing


def test_base_class_has_no_fitted_values():
    _, base = _ols_pair()
    with pytest.raises(NotImplementedError):
        _ = base.fitted_values
    assert "nobs=200" in repr(base)
