"""Convergence by stationarity and curvature, and restarts from flat regions, in the nonlinear least-squares
engine (issue: nonlinear fits must not report convergence on a plateau)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from bargaining import fit_nash
from bargaining.errors import IdentificationError
from bargaining.estimate.engines.gmm import fallback_starts, fit_moment_model
from bargaining.estimate.engines.least_squares import multistart_least_squares, nonlinear_least_squares
from bargaining.models.nash_moments import NashPriceEquation

Y = np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.3])


def _residual(theta: np.ndarray) -> np.ndarray:
    return Y - expit(theta[0])


def _jacobian(theta: np.ndarray) -> np.ndarray:
    p = expit(theta[0])
    return np.full((Y.size, 1), -p * (1 - p))


def test_plateau_is_not_reported_as_converged():
    # at theta = 40 the derivative of the logistic is about 4e-18: scipy stops (its step and gradient
    # tolerances are met) on a point that is not a minimum
    fit = nonlinear_least_squares(_residual, _jacobian, np.array([40.0]))
    assert not fit.converged
    assert fit.curvature < 1e-8 or fit.newton_step > 1e-6
    assert "flat" in fit.message or "stationary" in fit.message


def test_restart_from_a_plateau_finds_the_closed_form():
    fit = multistart_least_squares(_residual, _jacobian, [np.array([40.0]), np.array([0.0])])
    assert fit.converged and fit.starts == 2
    # least squares of y on a constant: expit(theta) = mean(y)
    assert fit.theta[0] == pytest.approx(logit(Y.mean()), abs=1e-8)
    assert fit.newton_step < 1e-6


def test_converged_fit_is_stationary():
    fit = nonlinear_least_squares(_residual, _jacobian, np.array([0.3]))
    assert fit.converged
    gradient = _jacobian(fit.theta).T @ _residual(fit.theta)
    assert np.max(np.abs(gradient)) < 1e-10


def test_try_all_counts_distinct_minima():
    # u(theta) = theta^2 - 1 has two exact minima, -1 and +1
    residual = lambda t: np.array([t[0] ** 2 - 1.0, 0.5 * (t[0] ** 2 - 1.0)])
    jacobian = lambda t: np.array([[2 * t[0]], [t[0]]])
    both = multistart_least_squares(residual, jacobian, [np.array([0.5]), np.array([-0.5])], try_all=True)
    assert both.converged and both.starts == 2 and both.distinct_minima == 2
    first = multistart_least_squares(residual, jacobian, [np.array([0.5]), np.array([-0.5])])
    assert first.starts == 1 and first.theta[0] == pytest.approx(1.0)


def test_no_finite_start_is_an_error():
    with pytest.raises(ValueError):
        multistart_least_squares(lambda t: np.array([np.nan]), lambda t: np.ones((1, 1)), [np.array([0.0])])


def test_fallback_starts_are_reproducible_and_distinct():
    a = fallback_starts(np.array([3.0, 1.0]), np.array([0.5, 1.0]))
    b = fallback_starts(np.array([3.0, 1.0]), np.array([0.5, 1.0]))
    assert len(a) == 6
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[2], a[3])
    np.testing.assert_array_equal(a[2], [0.0, 0.0])


def _agreements(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cost = 1.0 + rng.uniform(size=n)
    value = cost + 1.0 + rng.gamma(2.0, 0.5, size=n)
    return pd.DataFrame({"price": cost + 0.35 * (value - cost) + rng.normal(scale=0.1, size=n),
                         "value": value, "cost": cost})


def test_logistic_fit_nash_recovers_from_a_saturated_start():
    """Started where beta = Lambda(40) = 1 (no derivative), the fit restarts and equals the closed form
    delta = logit(beta_OLS) of the intercept-only logistic model (beta observed cost: y = p - C, s = V - C)."""
    data = _agreements()
    linear = fit_nash(data, price="price", buyer_value="value", seller_cost="cost")
    y = (data.price - data.cost).to_numpy()
    s = (data.value - data.cost).to_numpy()
    design = NashPriceEquation(
        index=data.index, price=data.price.to_numpy(), base=data.cost.to_numpy(), y=y, s=s,
        weights=np.ones((len(data), 1)), weight_names=["delta[Intercept]"], link="logistic",
        cost=None, cost_names=[], excluded=None, excluded_names=[],
    )
    fit = fit_moment_model(design, start=np.array([40.0]))
    assert fit.solver.converged and fit.solver.starts > 1
    assert fit.params[0] == pytest.approx(logit(linear.params["beta"]), abs=1e-7)
    assert fit.params[0] == pytest.approx(logit((s @ y) / (s @ s)), abs=1e-7)  # OLS through the origin
    single = fit_moment_model(design, start=np.array([40.0]), max_starts=1, compute_cov=False)
    assert not single.solver.converged
    # without restarts the covariance at the plateau would be singular: refused, never a zero standard error
    with pytest.raises(IdentificationError):
        fit_moment_model(design, start=np.array([40.0]), max_starts=1)


class _Probit:
    """A probit written against the LikelihoodModel protocol only (start values at the truth)."""

    param_names = ("const", "slope")
    lower_bounds = np.array([-np.inf, -np.inf])
    upper_bounds = np.array([np.inf, np.inf])

    def __init__(self, y: np.ndarray, x: np.ndarray) -> None:
        self.y, self.x = y, x

    @property
    def nobs(self) -> int:
        return len(self.y)

    def start_values(self) -> np.ndarray:
        return np.array([0.3, 0.8])

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        from scipy.stats import norm

        z = params[0] + params[1] * self.x
        return np.where(self.y == 1, norm.logcdf(z), norm.logcdf(-z))


def test_likelihood_restarts_when_the_first_start_does_not_converge():
    import statsmodels.api as sm

    from bargaining.estimate.engines.mle import maximize_likelihood

    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    y = (0.3 + 0.8 * x + rng.normal(size=3000) > 0).astype(float)
    model = _Probit(y, x)
    far = np.array([5.0, -5.0])
    single = maximize_likelihood(model, start=far, maxiter=10, max_starts=1, compute_cov=False)
    assert not single.converged  # ten BFGS iterations from far away do not reach a vanishing gradient
    fit = maximize_likelihood(model, start=far, maxiter=10, compute_cov=False)
    assert fit.converged and "starting points tried" in fit.message
    reference = sm.Probit(y, sm.add_constant(x)).fit(disp=0)
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-5)


@pytest.mark.parametrize("beta", [0.02, 0.0])
def test_logistic_weights_near_zero_with_instruments(beta):
    """Issue example: logistic weights near 0 with instruments came back converged with standard error 0 and
    estimates far from the truth. Now: a small weight is estimated with a positive standard error; with a weight of
    0 the estimate is either interior (a finite, positive standard error) or an IdentificationError (delta runs
    off to -infinity), never a zero standard error."""
    from bargaining.models.nash_moments import nash_price

    rng = np.random.default_rng(5)
    n = 600
    w = rng.normal(size=n)
    x = rng.normal(size=n)
    cost = 1.0 + 0.3 * rng.normal(size=n)
    value = cost + 2.0 + 0.8 * w + rng.gamma(2.0, 0.5, size=n)
    data = pd.DataFrame({"price": nash_price(cost, value, beta) + rng.normal(scale=0.2, size=n),
                         "value": value, "cost": cost, "w": w, "x": x})
    kwargs = {"price": "price", "buyer_value": "value", "seller_cost": "cost", "weight_formula": "~ 1 + x", "instruments": "~ w"}
    try:
        res = fit_nash(data, **kwargs)
    except IdentificationError as error:  # delta -> -infinity: the weight is on its boundary, said so
        assert beta == 0.0 and error.hint
        return
    assert res.converged
    assert np.all(np.isfinite(res.std_errors)) and np.all(res.std_errors > 1e-3)
    assert abs(res.implied_weights.mean() - beta) < 0.02


@pytest.mark.parametrize("cov_type", ["unadjusted", "robust"])
def test_singular_hessian_is_an_identification_error_not_linalg_error(cov_type):
    """Issue example: a singular Hessian raised numpy's LinAlgError from the covariance."""
    from bargaining.estimate.engines.covariance import likelihood_covariance

    hessian = -np.array([[1.0, 1.0], [1.0, 1.0]])  # two parameters entering only through their sum
    scores = np.random.default_rng(0).normal(size=(50, 1)) @ np.ones((1, 2))
    with pytest.raises(IdentificationError, match="singular") as error:
        likelihood_covariance(hessian, scores, cov_type=cov_type)
    assert "identified" in error.value.hint


def test_gauss_newton_step_with_a_flat_direction():
    """A Jacobian column of zeros (a saturated logistic weight) gets no step; the others solve the least-squares
    problem they span (here exactly: f + J b = 0 for the first column, b = -f / 2)."""
    from bargaining.estimate.engines.least_squares import _gauss_newton_step

    jac = np.array([[2.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    f = np.array([1.0, 1.0, 1.0])
    step = _gauss_newton_step(f, jac)
    assert np.all(np.isfinite(step))
    assert step == pytest.approx([-0.5, 0.0])


def test_parallel_bootstrap_sends_the_estimator_once_per_block():
    """With n_jobs > 1 the replicates run in a few blocks per worker (the estimator and its caches travel once per
    block; one task per replicate made a 199-replicate fit_incomplete bootstrap 12 times slower than n_jobs=1),
    and the draws equal the sequential ones replicate by replicate."""
    from bargaining.estimate.engines.bootstrap import bootstrap_replicates

    y = np.random.default_rng(2).normal(size=200)

    def mean(rows: np.ndarray) -> np.ndarray:
        return np.array([y[rows].mean()])

    one, _ = bootstrap_replicates(mean, 200, reps=37, names=["mean"], seed=5, kind="pairs", clusters=None, n_jobs=1)
    two, _ = bootstrap_replicates(mean, 200, reps=37, names=["mean"], seed=5, kind="pairs", clusters=None, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
