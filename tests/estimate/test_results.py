"""EstimationResults: inference quantities against linearmodels and hand computations; reporting."""

from __future__ import annotations

import io
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


# -- reporting formats, negative variances, specification, compare -------------------------------------
def _small(**kwargs):
    names = ["beta", "gamma[z]"]
    return EstimationResults(
        params=pd.Series([0.4, 1.2], index=names),
        cov=pd.DataFrame([[0.01, 0.002], [0.002, 0.04]], index=names, columns=names),
        nobs=100,
        cov_type="robust",
        method="IV-2SLS",
        **kwargs,
    )


SPEC = {"Dependent variable": "price", "Instruments": ["wtp_drop", "z_2"], "Cluster": None}


def test_latex_uses_booktabs_with_standard_errors_below_the_estimates():
    latex = _small(specification=SPEC).summary.as_latex()
    lines = latex.splitlines()
    assert lines[0] == r"\begin{table}[ht]" and lines[-1] == r"\end{table}"
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in lines
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"\hline" not in latex
    assert "booktabs" in type(_small().summary).as_latex.__doc__
    # p = 2 (1 - Phi(6)) = 2e-9 prints as 0.0000; the standard error sits on the next line in parentheses
    row = lines.index(r"gamma[z] & 1.2000 & 6.0000 & 0.0000 & 0.8080 & 1.5920 \\")
    assert lines[row + 1] == r" & (0.2000) &  &  &  &  \\"
    row = lines.index(r"beta & 0.4000 & 4.0000 & 0.0001 & 0.2040 & 0.5960 \\")
    assert lines[row + 1] == r" & (0.1000) &  &  &  &  \\"
    assert r"Instruments & \multicolumn{5}{l}{wtp\_drop, z\_2} \\" in lines
    assert "Cluster" not in latex  # None entries are left out


def test_text_and_html_format_pvalues_with_four_decimals():
    res = _small(specification=SPEC)
    text = res.summary.as_text()
    assert "Dependent variable: price" in text and "Instruments: wtp_drop, z_2" in text
    gamma = next(line for line in text.splitlines() if line.startswith("gamma[z]"))
    assert gamma.split() == ["gamma[z]", "1.2000", "0.2000", "6.0000", "0.0000", "0.8080", "1.5920"]
    html = res._repr_html_()
    assert html == res.summary._repr_html_() == res.summary.as_html()
    assert html.startswith("<div") and html.rstrip().endswith("</div>")
    assert html.count("<table") == html.count("</table>") >= 2
    assert "<td>0.0000</td>" in html and "<td>0.0001</td>" in html
    assert "<th>Dependent variable:</th><td>price</td>" in html
    assert "<th>gamma[z]</th>" in html
    out = json.loads(json.dumps(res.to_dict()))
    assert out["specification"] == {"Dependent variable": "price", "Instruments": "wtp_drop, z_2"}
    assert res.specification == out["specification"]


def test_csv_is_the_parameter_table_at_full_precision(tmp_path):
    res = _small()
    text = res.summary.as_csv()
    assert text.splitlines()[0] == "parameter,estimate,std_error,t,p,lower,upper"
    back = pd.read_csv(io.StringIO(text), index_col="parameter")
    pd.testing.assert_frame_equal(back, res.to_frame(), check_names=False, rtol=1e-15)
    path = tmp_path / "params.csv"
    assert res.summary.as_csv(path) is None
    assert path.read_text() == text


def test_negative_and_nan_variances_give_nan_standard_errors_and_a_note():
    names = ["a", "b", "c"]
    cov = pd.DataFrame(np.diag([0.04, -0.01, np.nan]), index=names, columns=names)
    res = EstimationResults(
        params=pd.Series([1.0, 2.0, 3.0], index=names), cov=cov, nobs=5, cov_type="robust"
    )
    assert res.std_errors["a"] == pytest.approx(0.2)
    assert np.isnan(res.std_errors["b"]) and np.isnan(res.std_errors["c"])  # never 0
    assert np.isnan(res.tvalues["b"]) and np.isnan(res.pvalues["b"])
    assert res.conf_int().loc["b"].isna().all()
    negative = [note for note in res.notes if "negative" in note]
    assert len(negative) == 1 and "of b is negative" in negative[0] and "NaN" in negative[0]
    assert any("of c is NaN" in note for note in res.notes)
    text = res.summary.as_text()
    assert "of b is negative" in text
    b_row = next(line for line in text.splitlines() if line.startswith("b "))
    assert b_row.split()[2:] == ["NaN"] * 5
    assert "of b is negative" in res.summary.as_latex() and "of b is negative" in res._repr_html_()
    assert not [note for note in _small().notes if "variance" in note]


def test_compare_two_fits_side_by_side():
    from bargaining.estimate.results import compare

    lm, first = _ols_pair()
    names = ["beta", "gamma[z]"]
    second = EstimationResults(
        params=pd.Series([0.4, 1.2], index=names),
        cov=pd.DataFrame([[0.01, 0.002], [0.002, 0.04]], index=names, columns=names),
        nobs=50,
        cov_type="unadjusted",
        converged=False,
    )
    table = compare({"OLS": first, "Nash": second})
    frame = table.to_frame()
    assert list(frame.index) == ["const", "x", "beta", "gamma[z]"]
    assert frame[("OLS", "estimate")]["x"] == pytest.approx(lm.params["x"])
    assert frame[("OLS", "std_error")]["x"] == pytest.approx(lm.std_errors["x"])
    assert frame[("Nash", "p")]["gamma[z]"] == pytest.approx(second.pvalues["gamma[z]"])
    assert np.isnan(frame[("Nash", "estimate")]["const"])
    text = table.as_text()
    lines = text.splitlines()
    assert "OLS" in lines[2] and "Nash" in lines[2]
    beta = lines.index(next(line for line in lines if line.startswith("beta")))
    assert lines[beta].split() == ["beta", "0.4000"] and lines[beta + 1].split() == ["(0.1000)"]
    assert next(line for line in lines if line.startswith("Observations")).split() == [
        "Observations",
        "200",
        "50",
    ]
    assert next(line for line in lines if line.startswith("Cov. type")).split() == [
        "Cov.",
        "type",
        "robust",
        "unadjusted",
    ]
    assert next(line for line in lines if line.startswith("Converged")).split() == ["Converged", "yes", "NO"]
    latex = table.as_latex()
    assert r"\toprule" in latex and r"\bottomrule" in latex
    assert r"gamma[z] &  & 1.2000 \\" in latex and r" &  & (0.2000) \\" in latex
    assert "<th>Nash</th>" in table._repr_html_() and "<td>(0.2000)</td>" in table._repr_html_()
    assert list(compare([first, second]).to_frame().columns.get_level_values(0).unique()) == ["(1)", "(2)"]
    assert list(table.info.index) == ["Method", "Observations", "Cov. type", "Converged"]
    with pytest.raises(InvalidParameterError):
        compare([first, "not a result"])
    with pytest.raises(InvalidParameterError):
        compare([])
