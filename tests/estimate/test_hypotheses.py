"""Typed test statistics and Wald tests against hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining.errors import InvalidParameterError
from bargaining.estimate.hypotheses import (
    InvalidTestStatistic,
    TestStatistic,
    chi2_test,
    f_test,
    linear_restrictions,
    restriction_text,
    wald_test,
)
from bargaining.estimate.results import EstimationResults

NAMES = ["beta", "gamma"]
PARAMS = pd.Series([0.4, 1.2], index=NAMES)
COV = pd.DataFrame([[0.01, 0.002], [0.002, 0.04]], index=NAMES, columns=NAMES)


def result(**kwargs) -> EstimationResults:
    return EstimationResults(params=PARAMS, cov=COV, nobs=100, cov_type="robust", **kwargs)


def test_joint_wald_test_matches_a_hand_computation():
    # H0: beta = 0.5, gamma = 1.0; d = (-0.1, 0.2), det V = 0.01 * 0.04 - 0.002^2 = 0.000396,
    # d' V^-1 d = (0.04 * 0.01 - 2 * 0.002 * (-0.1) * 0.2 + 0.01 * 0.04) / 0.000396 = 0.00088 / 0.000396 = 20 / 9
    expected = 20 / 9
    res = result()
    by_matrix = res.wald_test(np.eye(2), [0.5, 1.0])
    by_text = res.wald_test("beta = 0.5; gamma = 1")
    by_list = res.wald_test(["beta = 0.5", "gamma = 1"])
    for test in (by_matrix, by_text, by_list):
        assert test.statistic == pytest.approx(expected, rel=1e-12)
        assert test.df == 2 and test.distribution == "chi2(2)"
        # chi2(2) survival function is exp(-x / 2)
        assert test.pvalue == pytest.approx(math.exp(-expected / 2), rel=1e-12)
        assert test.pvalue == pytest.approx(stats.chi2.sf(expected, 2), rel=1e-12)
    assert by_text.null == "beta = 0.5; gamma = 1"
    assert by_matrix.null == "beta = 0.5; gamma = 1"
    bare = wald_test(PARAMS.to_numpy(), COV.to_numpy(), np.eye(2), [0.5, 1.0], name="joint")
    assert bare.statistic == pytest.approx(expected, rel=1e-12) and bare.name == "joint"
    assert bare.null == "theta[0] = 0.5; theta[1] = 1"


def test_single_restriction_is_the_squared_t_statistic_and_contrasts_work():
    res = result()
    test = res.wald_test("beta = 0")
    assert test.statistic == pytest.approx(res.tvalues["beta"] ** 2, rel=1e-12)
    assert test.pvalue == pytest.approx(res.pvalues["beta"], rel=1e-10)
    # beta - gamma = 0: (0.4 - 1.2)^2 / (0.01 + 0.04 - 2 * 0.002)
    contrast = res.wald_test("beta - gamma = 0")
    assert contrast.statistic == pytest.approx(0.64 / 0.046, rel=1e-12)
    assert res.wald_test([1.0, -1.0]).statistic == pytest.approx(0.64 / 0.046, rel=1e-12)
    aligned = pd.DataFrame([[-1.0, 1.0]], columns=["gamma", "beta"])  # aligned on the names
    assert res.wald_test(aligned).statistic == pytest.approx(0.64 / 0.046, rel=1e-12)
    # 2 beta + gamma = 2: (0.8 + 1.2 - 2)^2 = 0
    assert res.wald_test("2 * beta + gamma = 2").statistic == pytest.approx(0.0, abs=1e-20)


def test_redundant_rows_use_the_rank_and_f_version():
    res = result()
    redundant = res.wald_test([[1.0, 0.0], [2.0, 0.0]], [0.5, 1.0])
    single = res.wald_test("beta = 0.5")
    assert redundant.df == 1 and redundant.statistic == pytest.approx(single.statistic, rel=1e-10)
    f = res.wald_test(np.eye(2), [0.5, 1.0], df_denom=100)
    assert f.distribution == "F(2, 100)" and f.df == 2 and f.df_denom == 100
    assert f.statistic == pytest.approx(20 / 9 / 2, rel=1e-12)
    assert f.pvalue == pytest.approx(stats.f.sf(10 / 9, 2, 100), rel=1e-12)


def test_invalid_tests_say_why():
    singular = pd.DataFrame([[0.01, 0.0], [0.0, 0.0]], index=NAMES, columns=NAMES)
    res = EstimationResults(params=PARAMS, cov=singular, nobs=10, cov_type="robust")
    test = res.wald_test("gamma = 1")
    assert isinstance(test, InvalidTestStatistic) and not test.valid
    assert math.isnan(test.statistic) and math.isnan(test.pvalue)
    assert "singular" in test.reason and "singular" in str(test)
    assert res.wald_test("beta = 0").valid  # the other direction is fine
    missing = pd.DataFrame([[np.nan, 0.0], [0.0, 0.04]], index=NAMES, columns=NAMES)
    res = EstimationResults(params=PARAMS, cov=missing, nobs=10, cov_type="robust")
    assert "NaN" in res.wald_test("beta = 0").reason
    out = json.loads(json.dumps(res.wald_test("beta = 0").to_dict()))
    assert out["statistic"] is None and out["pvalue"] is None and out["valid"] is False and out["reason"]
    assert not chi2_test(float("nan"), 1, name="x", null="y").valid


def test_statistic_objects_print_and_serialize():
    test = chi2_test(3.84, 1, name="Hansen J", null="the over-identifying restrictions hold")
    assert test.pvalue == pytest.approx(stats.chi2.sf(3.84, 1))
    text = str(test)
    assert "Hansen J" in text and "H0: the over-identifying restrictions hold" in text
    assert "Statistic: 3.8400" in text and f"P-value: {test.pvalue:.4f}" in text and "chi2(1)" in text
    out = json.loads(json.dumps(test.to_dict()))
    assert out == {
        "name": "Hansen J",
        "statistic": 3.84,
        "pvalue": test.pvalue,
        "distribution": "chi2(1)",
        "df": 1.0,
        "df_denom": None,
        "null": "the over-identifying restrictions hold",
        "valid": True,
    }
    f = f_test(12.0, 1, 250, name="First-stage F (V)", null="the instruments do not move V")
    assert f.distribution == "F(1, 250)" and f.pvalue == pytest.approx(stats.f.sf(12.0, 1, 250))
    assert "F(1, 250)" in repr(f)
    assert TestStatistic.__test__ is False  # pytest does not collect it


def test_linear_restrictions_parser():
    names = ["b", "beta", "beta[north]", "beta[south]", "gamma[z]"]
    R, q = linear_restrictions("beta[north] - beta[south] = 0; 2*beta + b = 1; gamma[z]", names)
    np.testing.assert_array_equal(R, [[0, 0, 1, -1, 0], [1, 2, 0, 0, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(q, [0, 1, 0])
    R, q = linear_restrictions("beta * 0.5 + 1 = b - 2", names)
    np.testing.assert_array_equal(R, [[-1, 0.5, 0, 0, 0]])
    np.testing.assert_array_equal(q, [-3])
    for bad in ("beta * b = 0", "delta = 0", "= 1", "1 = 2", "beta = ", "a = b = 0", "2 beta = 0"):
        with pytest.raises(InvalidParameterError):
            linear_restrictions(bad, names)
    assert restriction_text(np.array([[1.0, -2.0], [0.0, 1.0]]), np.array([0.0, 0.5]), ["a", "b"]) == (
        "a - 2 * b = 0; b = 0.5"
    )


def test_results_carry_tests_and_reject_other_objects():
    j = chi2_test(1.3, 2, name="Hansen J", null="over-identifying restrictions hold")
    na = InvalidTestStatistic("the model is just identified", name="Sargan")
    res = result(tests={"Hansen J": j, "Sargan": na})
    assert set(res.tests) == {"Hansen J", "Sargan"} and res.tests["Hansen J"] is j
    text = res.summary.as_text()
    assert "Tests" in text and "chi2(2)" in text and "0.5220" in text
    assert "not available: the model is just identified" in text
    out = json.loads(json.dumps(res.to_dict()))
    assert out["tests"]["Hansen J"]["distribution"] == "chi2(2)"
    assert out["tests"]["Sargan"]["valid"] is False
    with pytest.raises(InvalidParameterError):
        result(tests={"J": 1.3})
    with pytest.raises(InvalidParameterError):
        result().wald_test(np.eye(3))
