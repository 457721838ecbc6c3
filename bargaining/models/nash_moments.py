r"""The Nash bargaining price equation as residuals of a parameter vector (the estimation "seam").

In a pair with buyer value V, seller cost C (net of recapture) and the seller's bargaining weight beta, the
Nash (Nash-in-Nash) price is

.. math:: p = C + \beta (V - C).

Observed prices add an error u. Writing b for a known baseline subtracted from both sides (b = C when the
seller's cost is observed; b = r, a known recapture, when it is not; 0 without either), y = p - b for the
price gap and s = V - b for the surplus over the baseline, every variant estimated by the package is

.. math:: u_i(\theta) = y_i - \beta_i s_i - (1 - \beta_i)\, z_i'\gamma ,
          \qquad \beta_i = \ell(w_i'\delta),

with theta = (delta, gamma): w_i the weight design (a column of ones for one beta, group dummies for beta by
group, covariates for beta = logistic(x'delta)), ell the identity or the logistic link, and z_i'gamma the
unobserved part of the cost, C = r + z'gamma + omega (no gamma when C is observed). The functions below
evaluate u(theta) and its Jacobian du/dtheta analytically; the estimators in :mod:`bargaining.estimate` do
least squares or GMM on them and import nothing else from the economics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from bargaining.errors import InvalidParameterError

__all__ = [
    "Link",
    "NashPriceEquation",
    "gamma_delta_method",
    "nash_price",
    "nash_price_jacobian",
    "nash_price_residuals",
    "nash_weights",
]

Link = Literal["identity", "logistic"]


def nash_price(
    seller_cost: np.ndarray | float, buyer_value: np.ndarray | float, beta: np.ndarray | float
) -> np.ndarray:
    """Nash bargaining price C + beta (V - C), vectorized; beta is the seller's weight in [0, 1]."""
    beta_arr = np.asarray(beta, dtype=float)
    if np.any((beta_arr < 0) | (beta_arr > 1)):
        raise InvalidParameterError(
            "the seller's bargaining weight beta must lie in [0, 1]", hint="pass beta = b_S / (b_S + b_B)"
        )
    cost = np.asarray(seller_cost, dtype=float)
    return cost + beta_arr * (np.asarray(buyer_value, dtype=float) - cost)


def nash_weights(
    delta: np.ndarray, weight_design: np.ndarray, link: Link = "identity"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-row weights beta_i = ell(w_i'delta) and their derivative d beta_i / d(w_i'delta).

    For the logistic link the derivative is Lambda(1 - Lambda); for the identity link it is 1.
    """
    index = np.asarray(weight_design, dtype=float) @ np.asarray(delta, dtype=float)
    if link == "identity":
        return index, np.ones_like(index)
    if link == "logistic":
        beta = expit(index)
        return beta, beta * (1.0 - beta)
    raise InvalidParameterError(f"unknown link {link!r}", hint="use 'identity' or 'logistic'")


def _split(
    theta: np.ndarray, weight_design: np.ndarray, cost_design: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    theta = np.asarray(theta, dtype=float)
    k_w = weight_design.shape[1]
    k_c = 0 if cost_design is None else cost_design.shape[1]
    if theta.shape != (k_w + k_c,):
        raise InvalidParameterError(
            f"theta has shape {theta.shape}, expected ({k_w + k_c},)",
            hint="theta stacks delta (one per weight-design column) and gamma (one per cost-design column)",
        )
    return theta[:k_w], (theta[k_w:] if cost_design is not None else None)


def nash_price_residuals(
    theta: np.ndarray,
    *,
    price_gap: np.ndarray,
    surplus: np.ndarray,
    weight_design: np.ndarray,
    cost_design: np.ndarray | None = None,
    link: Link = "identity",
) -> np.ndarray:
    r"""Residuals u_i = y_i - beta_i s_i - (1 - beta_i) z_i'gamma of the Nash price equation.

    Parameters
    ----------
    theta
        (delta, gamma) stacked; gamma absent when ``cost_design`` is None.
    price_gap
        y = p - b (price minus the observed cost, or minus the known recapture).
    surplus
        s = V - b.
    weight_design
        w, (n, k_w): the design of the bargaining weight.
    cost_design
        z, (n, k_z): the cost shifters, or None when the cost is observed.
    link
        ``"identity"`` (beta = w'delta) or ``"logistic"`` (beta = Lambda(w'delta)).
    """
    delta, gamma = _split(theta, weight_design, cost_design)
    beta, _ = nash_weights(delta, weight_design, link)
    if gamma is None or cost_design is None:
        return price_gap - beta * surplus
    cost = cost_design @ gamma
    return price_gap - cost - beta * (surplus - cost)


def nash_price_jacobian(
    theta: np.ndarray,
    *,
    price_gap: np.ndarray,
    surplus: np.ndarray,
    weight_design: np.ndarray,
    cost_design: np.ndarray | None = None,
    link: Link = "identity",
) -> np.ndarray:
    r"""Jacobian du/dtheta, shape (n, k_w + k_z), of :func:`nash_price_residuals`.

    du_i/d delta = -ell'(w_i'delta) (s_i - z_i'gamma) w_i and du_i/d gamma = -(1 - beta_i) z_i.
    (``price_gap`` is accepted for symmetry with the residual function and not used.)
    """
    del price_gap
    delta, gamma = _split(theta, weight_design, cost_design)
    beta, dbeta = nash_weights(delta, weight_design, link)
    if gamma is None or cost_design is None:
        return -(dbeta * surplus)[:, None] * weight_design
    cost = cost_design @ gamma
    d_delta = -(dbeta * (surplus - cost))[:, None] * weight_design
    d_gamma = -(1.0 - beta)[:, None] * cost_design
    return np.hstack([d_delta, d_gamma])


def gamma_delta_method(beta: float, pi: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(beta, gamma) and their covariance from (beta, pi) with pi = (1 - beta) gamma (delta method).

    The linear form of the equation with an unobserved cost, p - r = beta (V - r) + z'pi + u, estimates
    pi = (1 - beta) gamma; gamma = pi / (1 - beta) with d gamma_k / d beta = pi_k / (1 - beta)^2 and
    d gamma_k / d pi_k = 1 / (1 - beta). ``cov`` is the covariance of (beta, pi_1, ..., pi_k) in that order.
    """
    pi = np.asarray(pi, dtype=float)
    one_minus = 1.0 - beta
    gamma = pi / one_minus
    jac = np.zeros((pi.size + 1, pi.size + 1))
    jac[0, 0] = 1.0
    jac[1:, 0] = pi / one_minus**2
    jac[1:, 1:] = np.eye(pi.size) / one_minus
    return np.concatenate([[beta], gamma]), jac @ cov @ jac.T


@dataclass
class NashPriceEquation:
    r"""The Nash price equation on one data set: a :class:`~bargaining.models.protocols.MomentModel`.

    Holds the arrays of u_i(theta) = y_i - beta_i s_i - (1 - beta_i) z_i'gamma (see the module docstring)
    and, with excluded instruments e_i, the instruments H_i = [z_i, e_i x w_i] (the cost shifters instrument
    themselves; the excluded instruments times each weight-design column instrument the surplus s_i w_i).

    Attributes
    ----------
    index
        Labels of the rows (the data's index).
    price, base
        Observed price p and baseline b (observed C, known recapture r, or 0); y = p - b, s = V - b.
    weights, weight_names, link
        Weight design w (n x k_w), parameter names (``beta``, ``beta[GROUP]`` or ``delta[TERM]``), link.
    cost, cost_names
        Cost shifters z (n x k_z) and names ``gamma[TERM]``, or None when C is observed.
    excluded, excluded_names
        Excluded instruments e before interaction with w, or None.
    """

    index: pd.Index
    price: np.ndarray
    base: np.ndarray
    y: np.ndarray
    s: np.ndarray
    weights: np.ndarray
    weight_names: list[str]
    link: Link
    cost: np.ndarray | None
    cost_names: list[str]
    excluded: np.ndarray | None
    excluded_names: list[str]
    clusters: np.ndarray | None = None
    weight_spec: Any = None  # formulaic spec or group labels, for prediction on new data
    cost_spec: Any = None
    groups: list[str] = field(default_factory=list)

    # -- MomentModel -------------------------------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        return self.weight_names + self.cost_names

    @property
    def names(self) -> list[str]:
        """Alias of :attr:`param_names`."""
        return self.param_names

    @property
    def nobs(self) -> int:
        return int(self.y.size)

    @property
    def instruments(self) -> np.ndarray | None:
        """Full instrument matrix H = [z, e x w] (None without excluded instruments)."""
        interacted = self.excluded_interacted()
        if interacted is None or self.cost is None:
            return interacted
        return np.hstack([self.cost, interacted])

    def instrument_matrix(self) -> np.ndarray | None:
        """Same as :attr:`instruments`."""
        return self.instruments

    def residuals(self, params: np.ndarray) -> np.ndarray:
        return nash_price_residuals(params, **self._arrays())

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        return nash_price_jacobian(params, **self._arrays())

    def start_values(self) -> np.ndarray:
        """From the constant-beta linear equation (beta clipped to [0.05, 0.95])."""
        regressors = self.s[:, None] if self.cost is None else np.hstack([self.s[:, None], self.cost])
        coef = np.linalg.lstsq(regressors, self.y, rcond=None)[0]
        beta0 = float(np.clip(coef[0], 0.05, 0.95))
        if self.link == "logistic":
            delta0 = np.zeros(self.weights.shape[1])
            intercept = [i for i, n in enumerate(self.weight_names) if n == "delta[Intercept]"]
            if intercept:
                delta0[intercept[0]] = math.log(beta0 / (1 - beta0))
        else:
            delta0 = np.full(self.weights.shape[1], beta0)
        if self.cost is None:
            return delta0
        return np.concatenate([delta0, coef[1:] / (1 - beta0)])

    def subset(self, rows: np.ndarray) -> NashPriceEquation:
        """The equation on rows ``rows`` (with repetition, for the bootstrap)."""
        return NashPriceEquation(
            index=self.index[rows],
            price=self.price[rows],
            base=self.base[rows],
            y=self.y[rows],
            s=self.s[rows],
            weights=self.weights[rows],
            weight_names=self.weight_names,
            link=self.link,
            cost=None if self.cost is None else self.cost[rows],
            cost_names=self.cost_names,
            excluded=None if self.excluded is None else self.excluded[rows],
            excluded_names=self.excluded_names,
            clusters=None if self.clusters is None else self.clusters[rows],
        )

    # -- the equation's structure ------------------------------------------------------------------------
    @property
    def linear(self) -> bool:
        """Linear in parameters: identity link and (no cost shifters or a single constant beta)."""
        return self.link == "identity" and (self.cost is None or self.weights.shape[1] == 1)

    def excluded_interacted(self) -> np.ndarray | None:
        """Excluded instruments times each weight-design column (the instruments of the endogenous s*w)."""
        if self.excluded is None:
            return None
        return (self.excluded[:, :, None] * self.weights[:, None, :]).reshape(len(self.y), -1)

    def instrument_names(self) -> list[str]:
        labels = [f"{e}*{w}" for e in self.excluded_names for w in self.weight_names]
        return self.cost_names + labels if self.cost is not None else labels

    def seller_weights(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """beta_i and d beta_i / d(w_i'delta) at ``params``."""
        return nash_weights(np.asarray(params, dtype=float)[: self.weights.shape[1]], self.weights, self.link)

    def _arrays(self) -> dict[str, Any]:
        return {
            "price_gap": self.y,
            "surplus": self.s,
            "weight_design": self.weights,
            "cost_design": self.cost,
            "link": self.link,
        }
