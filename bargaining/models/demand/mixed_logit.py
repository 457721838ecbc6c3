r"""Random-coefficients (mixed) logit demand for one market: :class:`MixedLogitDemand`.

Agents i = 1..I with weights w_i (summing to 1) each have logit demand with their own utility deviations and
price coefficient. With :math:`\alpha_i = \alpha + a_i > 0`,

.. math::

    V_{ij} = \delta_j + u_{ij} - \alpha_i (p_j - p_0), \qquad
    s_{ij} = \frac{e^{V_{ij}}}{1 + \sum_k e^{V_{ik}}}, \qquad s_j = \sum_i w_i s_{ij},

    \frac{\partial s_j}{\partial p_k} = -\sum_i w_i \alpha_i s_{ij} (1[j = k] - s_{ik}), \qquad
    \frac{\partial^2 s_j}{\partial p_k \partial p_l} = \sum_i w_i \alpha_i^2 s_{ij}
    (A_{ijk} A_{ijl} - s_{ik} A_{ikl}),\quad A_{ijk} = 1[j = k] - s_{ik},

    CS = \sum_i w_i \frac{1}{\alpha_i} \log\Bigl(1 + \sum_j e^{V_{ij}}\Bigr).

Removing products removes them for every agent (each agent's logit shares renormalize). There is always an
outside good (utility 0). With one agent, or every u_ij = 0 and a_i = 0, this is
:class:`~bargaining.models.demand.LogitDemand`.

:meth:`MixedLogitDemand.from_pyblp` takes the demand of one market from a solved pyblp problem (``ProblemResults``)
through pyblp's own agents (integration nodes, weights and demographics): with pyblp's
:math:`\delta_j = x_{1j}'\beta + \xi_j` and :math:`\mu_{ij} = x_{2j}'(\Sigma \nu_i + \Pi d_i)`, the price enters
linearly (the label ``prices`` in X1 and/or X2), :math:`\alpha_i = -(\beta_{p} + [\Sigma \nu_i + \Pi d_i]_p)`,
and the rest of :math:`\mu_{ij}` is u_ij. pyblp is an optional dependency (``pip install bargaining[pyblp]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.models.demand._base import DiscreteChoiceDemand, _products_of

__all__ = ["MixedLogitDemand"]


class MixedLogitDemand(DiscreteChoiceDemand):
    r"""Random-coefficients logit demand for one market, with an outside good (formulas in the module docstring).

    Parameters
    ----------
    alpha
        The mean price coefficient, > 0.
    mean_utility
        delta_j, one per product (array, or Series whose index labels the products).
    agent_utility
        u_ij, shape (J, I): each agent's utility deviation (0 for plain logit).
    agent_weights
        w_i, shape (I,): non-negative, summing to 1.
    agent_alpha
        a_i, shape (I,): each agent's deviation from ``alpha`` (default 0); every alpha + a_i must be > 0.
    outside_price
        p_0 (the outside good's utility is 0 at p_0).
    products
        Product labels when ``mean_utility`` is a plain array.

    Examples
    --------
    Two equally weighted agent types who like product 0 more or less:

    >>> demand = MixedLogitDemand(1.0, [0.5, 0.0], agent_utility=[[1.0, -1.0], [0.0, 0.0]],
    ...                           agent_weights=[0.5, 0.5])
    >>> s = demand.shares([1.0, 1.0])
    >>> bool(abs(s.sum() + demand.outside_share([1.0, 1.0]) - 1) < 1e-15)
    True
    """

    def __init__(
        self,
        alpha: float,
        mean_utility: Any,
        agent_utility: Any,
        agent_weights: Any,
        agent_alpha: Any = None,
        outside_price: float = 0.0,
        *,
        products: Iterable[Any] | None = None,
    ) -> None:
        super().__init__(alpha, mean_utility, outside_price, None, products=products)
        n = self.n_products
        try:
            weights = np.asarray(agent_weights, dtype=float).ravel()
            utility = np.asarray(agent_utility, dtype=float)
            slopes = np.zeros(len(weights)) if agent_alpha is None else np.asarray(agent_alpha, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InvalidParameterError("agent_utility, agent_weights and agent_alpha must be numeric.",
                                        hint="pass arrays of shape (J, I), (I,) and (I,).") from None
        if utility.shape != (n, len(weights)) or slopes.shape != weights.shape:
            raise InvalidParameterError(
                f"agent_utility has shape {utility.shape}, agent_weights {weights.shape}, agent_alpha "
                f"{slopes.shape}; expected ({n}, I), (I,), (I,).",
                hint="give one column of agent_utility, one weight and one alpha deviation per agent.")
        if not (np.all(np.isfinite(utility)) and np.all(np.isfinite(weights)) and np.all(np.isfinite(slopes))):
            raise InvalidParameterError("agent arrays must be finite.", hint="remove NaN or infinite values.")
        if np.any(weights < 0) or abs(weights.sum() - 1.0) > 1e-8:
            raise InvalidParameterError(f"agent_weights must be >= 0 and sum to 1 (sum {weights.sum():.12g}).",
                                        hint="normalize the integration weights of the market.")
        if np.any(self.alpha + slopes <= 0):
            raise InvalidParameterError(
                "some agents have a price coefficient alpha + a_i <= 0 (demand rising with price).",
                hint="check the price coefficients; consumer surplus and bargaining need every alpha_i > 0.")
        self._weights = weights
        self._utility = utility
        self._slopes = slopes
        self._alphas = self.alpha + slopes

    # -- agent level -----------------------------------------------------------------------------------------
    def _agent_values(self, p: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._delta[:, None] + self._utility - self._alphas[None, :] * (p - self.outside_price)[:, None]
        return out

    def _agent_shares(self, p: np.ndarray, available: np.ndarray | None = None) -> np.ndarray:
        """s_ij (J, I); products not ``available`` get 0."""
        v = self._agent_values(p)
        if available is not None:
            v = np.where(available[:, None], v, -np.inf)
        top = np.maximum(v.max(axis=0), 0.0)
        e = np.exp(v - top[None, :])
        out: np.ndarray = e / (e.sum(axis=0) + np.exp(-top))[None, :]
        return out

    def _jacobian(self, agent: np.ndarray) -> np.ndarray:
        """ds_j/dp_k from agent shares (J, I)."""
        weighted = agent * (self._weights * self._alphas)[None, :]
        out: np.ndarray = -(np.diag(weighted.sum(axis=1)) - weighted @ agent.T)
        return out

    # -- hooks -----------------------------------------------------------------------------------------------
    def _shares(self, p: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._agent_shares(p) @ self._weights
        return out

    def _shares_available(self, p: np.ndarray, available: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._agent_shares(p, available) @ self._weights
        return out

    def _derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        return self._jacobian(self._agent_shares(p))

    def _second_derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        agent = self._agent_shares(p)                               # (J, I)
        n = len(p)
        a = np.eye(n)[:, :, None] - agent[None, :, :]               # A[j, k, i]
        da = -(agent[:, None, :] * a)                               # dA[k, l, i] = -s_ik A_ikl (same for every j)
        factor = self._weights * self._alphas**2
        out: np.ndarray = np.einsum("ji,jki,jli,i->jkl", agent, a, a, factor) + np.einsum(
            "ji,kli,i->jkl", agent, da, factor)
        return out

    def _log_inclusive(self, p: np.ndarray, available: np.ndarray) -> float:
        # alpha * CS, so that the base class's CS = _log_inclusive / alpha is sum_i w_i log-sum_i / alpha_i
        v = np.where(available[:, None], self._agent_values(p), -np.inf)
        top = np.maximum(v.max(axis=0), 0.0)
        logsum = top + np.log(np.exp(v - top[None, :]).sum(axis=0) + np.exp(-top))
        return float(self.alpha * (self._weights * logsum / self._alphas).sum())

    def outside_share(self, prices: Any) -> float:
        """s_0 = 1 - sum_j s_j = sum_i w_i / (1 + sum_j exp(V_ij))."""
        return float(1.0 - self._shares(self._prices(prices)).sum())

    def _removal_state(self, p: np.ndarray, s: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n_products
        everything = np.ones(n, dtype=bool)
        full = self._log_inclusive(p, everything)
        removal, slopes, wtp = np.zeros((n, n)), np.zeros((n, n, n)), np.empty(n)
        for j in range(n):
            available = everything.copy()
            available[j] = False
            agent = self._agent_shares(p, available)
            removal[j] = agent @ self._weights
            slopes[j] = self._jacobian(agent)
            wtp[j] = (full - self._log_inclusive(p, available)) / self.alpha
        return removal, slopes, wtp

    def _restricted(self, keep: np.ndarray) -> MixedLogitDemand:
        products = self.products[keep]
        return MixedLogitDemand(self.alpha, pd.Series(self._delta[keep], index=products), self._utility[keep],
                                self._weights, self._slopes, self.outside_price)

    @property
    def params(self) -> pd.Series:
        """``alpha``, ``mean_utility[PRODUCT]`` and ``n_agents``."""
        return pd.concat([super().params, pd.Series({"n_agents": float(len(self._weights))})]).rename("params")

    # -- pyblp ------------------------------------------------------------------------------------------------
    @classmethod
    def from_pyblp(cls, results: Any, market_id: Any, *, products: Iterable[Any] | None = None) -> MixedLogitDemand:
        """The demand of market ``market_id`` from a solved pyblp problem (``pyblp.ProblemResults``).

        Parameters
        ----------
        results
            ``problem.solve(...)``'s result. Prices must enter linearly, as the label ``prices`` in the linear
            (X1) and/or nonlinear (X2) formulation; nested (rho) models and agent availability are not supported.
        market_id
            The market, as in pyblp's ``market_ids``.
        products
            Product labels (default: pyblp's ``product_ids`` when given, else 0..J-1).

        Returns
        -------
        MixedLogitDemand
            alpha is the agents' weighted mean price coefficient; mean utilities are pyblp's delta without the
            mean price term; agent utility deviations are pyblp's mu without the price term.
        """
        problem = results.problem
        if np.size(getattr(results, "rho", [])):
            raise InvalidParameterError("nested random-coefficients models (rho) are not supported.",
                                        hint="solve the pyblp problem without nesting_ids.")
        beta_labels = [str(x) for x in results.beta_labels]
        sigma_labels = [str(x) for x in results.sigma_labels]
        for label in beta_labels + sigma_labels:
            if "prices" in label and label != "prices":
                raise InvalidParameterError(
                    f"prices enter pyblp's formulation as {label!r}; only linear 'prices' is supported.",
                    hint="formulate prices linearly (e.g. pyblp.Formulation('1 + prices + x')).")
        if "prices" not in beta_labels + sigma_labels:
            raise InvalidParameterError("prices do not enter the pyblp formulation.",
                                        hint="include 'prices' in the X1 or X2 formulation.")
        rows = np.flatnonzero(np.asarray(problem.products.market_ids).ravel() == market_id)
        if rows.size == 0:
            raise InvalidParameterError(f"market_id {market_id!r} is not in the pyblp problem.",
                                        hint="pass one of the problem's market_ids.")
        prices = np.asarray(problem.products.prices, dtype=float).ravel()[rows]
        delta = np.asarray(results.delta, dtype=float).ravel()[rows]
        beta_price = float(np.asarray(results.beta).ravel()[beta_labels.index("prices")]) if "prices" in \
            beta_labels else 0.0
        k2 = len(sigma_labels)
        if k2:
            agent_rows = np.flatnonzero(np.asarray(problem.agents.market_ids).ravel() == market_id)
            agents = problem.agents
            availability = getattr(agents, "availability", None)
            if availability is not None and np.size(availability) and not np.all(
                    np.asarray(availability)[agent_rows] == 1):
                raise InvalidParameterError("agent availability is not supported.",
                                            hint="solve the pyblp problem without agent availability.")
            weights = np.asarray(agents.weights, dtype=float).ravel()[agent_rows]
            coefficients = np.asarray(results.sigma, dtype=float) @ np.asarray(agents.nodes, dtype=float)[agent_rows].T
            pi = np.asarray(results.pi, dtype=float)
            if pi.size:
                coefficients = coefficients + pi @ np.asarray(agents.demographics, dtype=float)[agent_rows].T
            x2 = np.asarray(problem.products.X2, dtype=float)[rows]
            price_slope = coefficients[sigma_labels.index("prices")] if "prices" in sigma_labels else np.zeros(
                len(weights))
            mu = x2 @ coefficients                                    # (J, I), with the price part
            utility = mu - prices[:, None] * price_slope[None, :]
        else:
            weights, utility, price_slope = np.ones(1), np.zeros((rows.size, 1)), np.zeros(1)
        alphas = -(beta_price + price_slope)
        alpha = float(weights @ alphas / weights.sum())
        weights = weights / weights.sum()
        mean_utility = delta - beta_price * prices   # V_ij = (delta_j - beta_p p_j) + u_ij - alpha_i p_j
        if products is None:
            ids = getattr(problem.products, "product_ids", None)
            labels = (np.asarray(ids).ravel()[rows] if ids is not None and np.size(ids) else None)
            products = list(labels) if labels is not None and len(set(labels)) == rows.size else None
        index = _products_of(mean_utility, products, "mean_utility")
        return cls(alpha, pd.Series(mean_utility, index=index), utility, weights, alphas - alpha)
