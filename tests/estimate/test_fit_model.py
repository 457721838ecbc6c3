"""A new model gets estimates, standard errors, a bootstrap and a summary by implementing a protocol alone.

Two test models, each written only against :mod:`bargaining.models.protocols`: a probit (likelihood) checked
against statsmodels' own Probit, and a linear IV equation (moment model) checked against linearmodels'
IV2SLS. Neither reference shares code with the engines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from bargaining import fit_model
from bargaining.errors import InvalidParameterError
from bargaining.models.protocols import LikelihoodModel, MomentModel


class Probit:
    param_names = ("const", "slope")
    lower_bounds = np.array([-np.inf, -np.inf])
    upper_bounds = np.array([np.inf, np.inf])

    def __init__(self, y: np.ndarray, x: np.ndarray) -> None:
        self.y, self.x = y, x

    @property
    def nobs(self) -> int:
        return len(self.y)

    def start_values(self) -> np.ndarray:
        return np.zeros(2)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        z = params[0] + params[1] * self.x
        return np.where(self.y == 1, norm.logcdf(z), norm.logcdf(-z))

    def subset(self, rows: np.ndarray) -> Probit:
        return Probit(self.y[rows], self.x[rows])


class LinearIV:
    """y = a + b x + u with x endogenous and instrument w: residuals y - a - b x, instruments (1, w)."""

    param_names = ("a", "b")

    def __init__(self, y: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
        self.y, self.x, self.w = y, x, w

    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def instruments(self) -> np.ndarray:
        return np.column_stack([np.ones_like(self.w), self.w])

    def start_values(self) -> np.ndarray:
        return np.zeros(2)

    def residuals(self, params: np.ndarray) -> np.ndarray:
        return self.y - params[0] - params[1] * self.x

    def jacobian(self, params: np.ndarray) -> None:
        return None  # let the engine difference

    def subset(self, rows: np.ndarray) -> LinearIV:
        return LinearIV(self.y[rows], self.x[rows], self.w[rows])


@pytest.fixture(scope="module")
def probit_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    y = (0.3 + 0.8 * x + rng.normal(size=3000) > 0).astype(float)
    groups = np.repeat(np.arange(60), 50)
    return y, x, groups


def test_protocols_are_recognized(probit_data):
    y, x, _ = probit_data
    assert isinstance(Probit(y, x), LikelihoodModel)
    assert isinstance(LinearIV(y, x, x), MomentModel)


@pytest.mark.parametrize("cov_type", ["unadjusted", "robust", "clustered"])
def test_probit_matches_statsmodels(probit_data, cov_type):
    import statsmodels.api as sm

    y, x, groups = probit_data
    res = fit_model(Probit(y, x), cov_type=cov_type, cluster=groups if cov_type == "clustered" else None)
    # statsmodels' cluster correction is the package's small-sample factor G/(G-1)(N-1)/(N-K)
    kwargs = {"nonrobust": {}, "HC0": {}, "cluster": {"cov_kwds": {"groups": groups, "use_correction": True}}}
    sm_type = {"unadjusted": "nonrobust", "robust": "HC0", "clustered": "cluster"}[cov_type]
    reference = sm.Probit(y, sm.add_constant(x)).fit(disp=0, cov_type=sm_type, **kwargs[sm_type])
    np.testing.assert_allclose(res.params.to_numpy(), reference.params, rtol=1e-5)
    np.testing.assert_allclose(res.std_errors.to_numpy(), reference.bse, rtol=1e-3)
    assert res.converged and res.cov_type == cov_type
    assert "const" in res.summary.as_text()
    if cov_type == "clustered":  # t(G - 1) reference: 60 clusters
        from scipy import stats

        assert res.df_inference == 59
        t = res.params / res.std_errors
        np.testing.assert_allclose(res.pvalues, 2 * stats.t(59).sf(np.abs(t)), rtol=1e-12)
        half = (res.conf_int()["upper"] - res.conf_int()["lower"]) / 2
        np.testing.assert_allclose(half, stats.t(59).ppf(0.975) * res.std_errors, rtol=1e-12)
    else:
        assert res.df_inference is None


def test_probit_bootstrap_is_seeded_and_independent_of_workers(probit_data):
    y, x, _ = probit_data
    one = fit_model(Probit(y, x), bootstrap=20, seed=5)
    two = fit_model(Probit(y, x), bootstrap=20, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(one.bootstrap_params, two.bootstrap_params)
    analytic = fit_model(Probit(y, x))
    assert one.cov_type == "bootstrap"
    ratio = one.std_errors / analytic.std_errors
    assert np.all((ratio > 0.5) & (ratio < 2.0))


def test_linear_moment_model_matches_linearmodels():
    from linearmodels.iv import IV2SLS

    rng = np.random.default_rng(7)
    n = 2000
    w = rng.normal(size=n)
    v = rng.normal(size=n)
    x = w + v
    y = 1.0 + 2.0 * x + v + rng.normal(size=n)  # x correlated with the error through v
    res = fit_model(LinearIV(y, x, w), cov_type="robust")
    reference = IV2SLS(y, np.ones((n, 1)), x[:, None], w[:, None]).fit(cov_type="robust", debiased=False)
    np.testing.assert_allclose(res.params.to_numpy(), reference.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), reference.std_errors.to_numpy(), rtol=1e-4)
    boot = fit_model(LinearIV(y, x, w), bootstrap=30, seed=1)
    assert boot.bootstrap_params.shape == (30, 2)
    assert "b" in boot.summary.as_text()


def test_unknown_model_and_bad_cluster_raise(probit_data):
    y, x, _ = probit_data
    with pytest.raises(InvalidParameterError):
        fit_model(object())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        fit_model(Probit(y, x), cov_type="clustered", cluster=np.arange(3))


class ProbitWithScore(Probit):
    """The same probit with its analytic score: d l_i / d theta = (y_i - Phi) phi / (Phi (1 - Phi)) (1, x_i)."""

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        z = params[0] + params[1] * self.x
        cdf, pdf = norm.cdf(z), norm.pdf(z)
        weight = (self.y - cdf) * pdf / (cdf * (1 - cdf))
        return weight[:, None] * np.column_stack([np.ones_like(self.x), self.x])

    def subset(self, rows: np.ndarray) -> ProbitWithScore:
        return ProbitWithScore(self.y[rows], self.x[rows])


def test_analytic_score_is_used_and_agrees(probit_data):
    y, x, _ = probit_data
    numerical = fit_model(Probit(y, x), cov_type="robust")
    analytic = fit_model(ProbitWithScore(y, x), cov_type="robust")
    np.testing.assert_allclose(analytic.params, numerical.params, rtol=1e-5)
    np.testing.assert_allclose(analytic.std_errors, numerical.std_errors, rtol=1e-4)

    class WrongScore(ProbitWithScore):  # twice the gradient: same maximizer, four times the robust meat
        def score_obs(self, params: np.ndarray) -> np.ndarray:
            return 2.0 * super().score_obs(params)

    wrong = fit_model(WrongScore(y, x), cov_type="robust")
    np.testing.assert_allclose(wrong.params, numerical.params, rtol=1e-4)
    # the Hessian is numerical from the log-likelihood, the meat from the (doubled) scores: se doubles
    np.testing.assert_allclose(wrong.std_errors, 2.0 * numerical.std_errors, rtol=1e-3)

