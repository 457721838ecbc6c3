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

from typing import Literal

import numpy as np
from scipy.special import expit

from bargaining.errors import InvalidParameterError

__all__ = [
    "Link",
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
    if gamma is None:
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
    if gamma is None:
        return -(dbeta * surplus)[:, None] * weight_design
    cost = cost_design @ gamma
    d_delta = -(dbeta * (surplus - cost))[:, None] * weight_design
    d_gamma = -(1.0 - beta)[:, None] * cost_design
    return np.hstack([d_delta, d_gamma])
