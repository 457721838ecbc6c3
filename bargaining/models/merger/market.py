"""The supply side as a model object: :class:`NashInNashMarket` (equilibrium and counterfactuals).

The equations, with their derivation and Jacobians, are in :mod:`bargaining.models.merger.equations`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import root

from bargaining.errors import ConvergenceError, InvalidParameterError, InvalidWeightError
from bargaining.models.demand import DiscreteChoiceDemand, LogitDemand
from bargaining.models.merger import equations as eq
from bargaining.models.merger import general
from bargaining.models.merger.result import MergerContext, MergerResult, hhi

__all__ = ["MarketSolution", "NashInNashMarket"]

#: residual (in price units, relative to the price level) below which an equilibrium counts as solved
TOLERANCE = 1e-9


def _labels(values: Any, products: pd.Index, name: str) -> np.ndarray:
    """One owner label per product (a sequence in product order, or a Series indexed by product)."""
    if isinstance(values, pd.Series):
        if set(values.index) != set(products):
            raise InvalidParameterError(f"{name} is not indexed by the demand's products.",
                                        hint=f"index {name} by {list(products)[:5]}, or pass a plain sequence.")
        values = values.reindex(products)
    if isinstance(values, str) or np.ndim(values) == 0:
        raise InvalidParameterError(f"{name} must give one label per product, got {values!r}.",
                                    hint=f"pass a sequence of {len(products)} labels, e.g. firm names.")
    out = np.asarray(list(values), dtype=object)
    if out.shape != (len(products),):
        raise InvalidParameterError(f"{name} has {out.size} labels for {len(products)} products.",
                                    hint=f"pass one label per product in the order {list(products)[:5]}.")
    if pd.isna(pd.Series(out)).any():
        raise InvalidParameterError(f"{name} has missing labels.", hint=f"give every product a {name}.")
    return out


def _numbers(values: Any, products: pd.Index, name: str, *, default: float | None = None) -> np.ndarray:
    """A finite float per product from a number, a sequence or a Series indexed by product."""
    if values is None:
        if default is None:
            raise InvalidParameterError(f"{name} is required.", hint=f"pass {name}= one number per product.")
        values = default
    if isinstance(values, pd.Series):
        if set(values.index) != set(products):
            raise InvalidParameterError(f"{name} is not indexed by the demand's products.",
                                        hint=f"index {name} by {list(products)[:5]}, or pass a plain sequence.")
        values = values.reindex(products)
    try:
        out = np.broadcast_to(np.asarray(values, dtype=float), (len(products),)).copy()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be one number or one number per product, got {values!r}.",
                                    hint=f"pass {name} as a number or a sequence of {len(products)}.") from None
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(f"{name} must be finite.", hint=f"remove NaN or infinite values from {name}.")
    return out


def _weights(values: Any, products: pd.Index, name: str, *, chain: bool) -> np.ndarray:
    out = _numbers(values, products, name)
    upper_ok = out < 1 if chain else out <= 1
    if not np.all((out >= 0) & upper_ok):
        raise InvalidWeightError(
            f"{name} must be in [0, 1]{' (below 1 in a chain)' if chain else ''}, got {np.unique(out)[:5]}.",
            hint="seller_weight is the seller's Nash weight beta (R antitrust's bargaining power is 1 - beta)"
            + ("; with beta = 1 a retailer would keep no gain, which Bertrand retail pricing rules out." if chain
               else "."),
        )
    return out


@dataclass(frozen=True)
class MarketSolution:
    """An equilibrium: prices (and wholesale prices), whether the solver converged, and its residual."""

    price: np.ndarray
    wholesale_price: np.ndarray | None
    converged: bool
    residual: float
    iterations: int
    message: str


class NashInNashMarket:
    r"""Nash-in-Nash bargaining over per-unit prices with logit or nested logit demand, one market.

    Without ``buyer``, each seller bargains over the price of each of its products with the consumers, whose
    gain is their willingness to pay for the product (Miller 2014; R antitrust ``bargaining.logit``). With
    ``buyer``, product j is sold by seller u(j) to retailer d(j) at a bargained wholesale price, and retailers
    set retail prices by Bertrand (Sheu and Taragin 2021; R antitrust ``vertical.barg``); a product whose seller
    and buyer carry the same label is vertically integrated (priced at upstream cost, both levels internalized).
    Multi-product firms recapture diverted sales. The first-order conditions, derived in
    :mod:`bargaining.models.merger.equations` (logit closed forms) and :mod:`bargaining.models.merger.general`
    (any demand object: nested logit), are solved by scipy ``root`` (hybrid Powell) with analytic Jacobians,
    starting from the given prices.

    Parameters
    ----------
    demand
        A :class:`~bargaining.models.demand.LogitDemand` or :class:`~bargaining.models.demand.NestedLogitDemand`
        (any :class:`~bargaining.models.demand.DiscreteChoiceDemand`: the general equations use its shares,
        analytic derivatives and the shares after a product leaves the choice set).
    seller
        The seller (upstream firm) of each product: a sequence in product order or a Series by product.
    buyer
        The retailer of each product (a chain), or None (sellers bargain with consumers).
    marginal_cost
        The seller's marginal cost per product (without ``buyer``).
    upstream_cost, downstream_cost
        c^U (the seller's) and c^D (the retailer's, default 0) per product (with ``buyer``).
    seller_weight
        beta in [0, 1], the seller's Nash weight: one number or one per product (in a chain below 1).

    Examples
    --------
    >>> demand = LogitDemand(1.0, [1.0, 0.5])
    >>> market = NashInNashMarket(demand, seller=["A", "B"], marginal_cost=[0.5, 0.5], seller_weight=1.0)
    >>> bool(market.solve().converged)         # beta = 1: Bertrand, margin 1 / (alpha (1 - s))
    True
    """

    def __init__(
        self,
        demand: DiscreteChoiceDemand,
        *,
        seller: Any,
        buyer: Any = None,
        marginal_cost: Any = None,
        upstream_cost: Any = None,
        downstream_cost: Any = None,
        seller_weight: Any,
    ) -> None:
        if not isinstance(demand, DiscreteChoiceDemand):
            raise InvalidParameterError(
                f"the bargaining supply side needs a demand object, got {type(demand).__name__}.",
                hint="pass demand= a LogitDemand or a NestedLogitDemand.",
            )
        self.demand = demand
        #: True: the general equations (any demand); False: the logit closed forms (the same roots, faster)
        self._general = type(demand) is not LogitDemand
        products = demand.products
        self.products = products
        self.seller = _labels(seller, products, "seller")
        self.buyer = None if buyer is None else _labels(buyer, products, "buyer")
        self.is_chain = self.buyer is not None
        self.marginal_cost: np.ndarray | None = None
        self.upstream_cost: np.ndarray | None = None
        self.downstream_cost: np.ndarray | None = None
        if self.is_chain:
            if marginal_cost is not None:
                raise InvalidParameterError(
                    "marginal_cost was given for a chain (buyer= given).",
                    hint="pass upstream_cost= (the seller's) and downstream_cost= (the retailer's) instead.")
            self.upstream_cost = _numbers(upstream_cost, products, "upstream_cost")
            self.downstream_cost = _numbers(downstream_cost, products, "downstream_cost", default=0.0)
        else:
            if upstream_cost is not None or downstream_cost is not None:
                raise InvalidParameterError(
                    "upstream_cost / downstream_cost were given without buyer=.",
                    hint="pass buyer= (the retailer of each product) for a chain, or marginal_cost= alone.")
            self.marginal_cost = _numbers(marginal_cost, products, "marginal_cost")
        self.seller_weight = _weights(seller_weight, products, "seller_weight", chain=self.is_chain)

    # -- structure -------------------------------------------------------------------------------------------
    def _chain(self) -> eq.Chain:
        assert self.buyer is not None
        firms = {label: i for i, label in enumerate(dict.fromkeys([*self.seller, *self.buyer]))}
        supplier = np.array([firms[x] for x in self.seller])
        retailer = np.array([firms[x] for x in self.buyer])
        return eq.Chain.build(supplier, retailer, len(firms))

    @property
    def integrated(self) -> np.ndarray:
        """True for products whose seller is also their retailer (vertically integrated pairs)."""
        if self.buyer is None:
            return np.zeros(len(self.products), dtype=bool)
        return np.asarray(self.seller == self.buyer, dtype=bool)

    @property
    def params(self) -> pd.Series:
        """``alpha``, ``mean_utility[P]``, the costs and ``seller_weight`` (or ``seller_weight[P]``)."""
        out = self.demand.params.to_dict()
        def put(name: str, values: np.ndarray) -> None:
            out.update({f"{name}[{p}]": float(v) for p, v in zip(self.products, values)})
        if self.is_chain:
            assert self.upstream_cost is not None and self.downstream_cost is not None
            put("upstream_cost", self.upstream_cost)
            put("downstream_cost", self.downstream_cost)
        else:
            assert self.marginal_cost is not None
            put("marginal_cost", self.marginal_cost)
        if np.all(self.seller_weight == self.seller_weight[0]):
            out["seller_weight"] = float(self.seller_weight[0])
        else:
            put("seller_weight", self.seller_weight)
        return pd.Series(out, name="params", dtype=float)

    # -- solving ---------------------------------------------------------------------------------------------
    def _system(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        if self._general:
            return self._general_system()
        d = self.demand
        alpha, delta = d.alpha, d.mean_utility.to_numpy()
        outside_price, outside = d.outside_price, d.has_outside_good
        beta = self.seller_weight
        if not self.is_chain:
            cost = self.marginal_cost
            assert cost is not None
            ownership = eq.same_owner(pd.factorize(pd.Series(self.seller))[0])

            def consumer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return eq.consumer_residual(x, alpha=alpha, delta=delta, outside_price=outside_price,
                                            outside=outside, cost=cost, ownership=ownership, beta=beta)
            return consumer
        chain = self._chain()
        upstream, downstream = self.upstream_cost, self.downstream_cost
        assert upstream is not None and downstream is not None

        def vertical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return eq.chain_residual(x, alpha=alpha, delta=delta, outside_price=outside_price, outside=outside,
                                     chain=chain, upstream_cost=upstream, downstream_cost=downstream, beta=beta)
        return vertical

    def _general_system(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        demand, beta = self.demand, self.seller_weight
        if not self.is_chain:
            cost = self.marginal_cost
            assert cost is not None
            ownership = eq.same_owner(pd.factorize(pd.Series(self.seller))[0])

            def consumer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return general.consumer_residual(x, demand=demand, cost=cost, ownership=ownership, beta=beta)
            return consumer
        chain = self._chain()
        upstream, downstream = self.upstream_cost, self.downstream_cost
        assert upstream is not None and downstream is not None

        def vertical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return general.chain_residual(x, demand=demand, chain=chain, upstream_cost=upstream,
                                          downstream_cost=downstream, beta=beta)
        return vertical

    def _own_price_scale(self, share: np.ndarray) -> np.ndarray:
        """How much each residual moves per unit of its own price (or wholesale price) at fixed shares:
        1 - s_j for the logit closed forms, 1 for the general equations."""
        return np.ones_like(share) if self._general else 1.0 - share

    def _start(self, start: Any) -> np.ndarray:
        n = len(self.products)
        bargained = np.flatnonzero(~self.integrated) if self.is_chain else np.array([], dtype=int)
        if start is not None:
            if isinstance(start, pd.DataFrame):
                retail = _numbers(start["price"], self.products, "start price")
                if self.is_chain:
                    wholesale = _numbers(start["wholesale_price"], self.products, "start wholesale_price")
                    return np.concatenate([retail, wholesale[bargained]])
                return retail
            values = np.asarray(start, dtype=float)
            if values.shape == (n,) and not self.is_chain:
                return values
            if self.is_chain and values.shape == (2 * n,):   # retail then wholesale, one each per product
                return np.concatenate([values[:n], values[n:][bargained]])
            raise InvalidParameterError(
                f"start has shape {values.shape}.",
                hint="pass a DataFrame with price (and wholesale_price) by product, or prices per product "
                "(retail then wholesale in a chain).")
        # a default start: costs plus the Bertrand-like markup 1 / alpha
        markup = 1.0 / self.demand.alpha
        if not self.is_chain:
            assert self.marginal_cost is not None
            return self.marginal_cost + markup
        assert self.upstream_cost is not None and self.downstream_cost is not None
        retail = self.upstream_cost + self.downstream_cost + 2 * markup
        return np.concatenate([retail, (self.upstream_cost + markup)[bargained]])

    def solve(self, start: Any = None, *, tol: float = TOLERANCE, maxiter: int = 200) -> MarketSolution:
        """Solve the first-order conditions (scipy ``root``, hybrid Powell, analytic Jacobian).

        Parameters
        ----------
        start
            Starting prices: a DataFrame like :meth:`equilibrium`'s (``price``, and ``wholesale_price`` in a
            chain), or prices per product (retail then wholesale in a chain). Default: costs plus 1/alpha.
        tol
            The largest residual accepted, relative to the largest price (residuals are in price units).
        maxiter
            Iteration budget of the solver (function evaluations = maxiter times the number of unknowns).
        """
        return self._solve_from(self._start(start), tol=tol, maxiter=maxiter)

    def _desaturate(self, x0: np.ndarray) -> np.ndarray:
        """Raise the start prices of products that take (almost) the whole market until their share is 0.99.

        From a start where a share is 1 to machine precision the derivatives underflow and the solver can
        stop there with a vanishing residual; the logit step log(s/(1 - s)) / alpha - log(99) / alpha
        moves the own share to about 0.99 holding the others (repeated, since the others adjust)."""
        n = len(self.products)
        x = np.array(x0, dtype=float)
        for _ in range(20):
            shares, _ = self.demand.shares_and_derivatives(x[:n])
            shares = np.asarray(shares, dtype=float)
            high = shares > 0.99
            if not high.any():
                break
            s = np.minimum(shares[high], 1.0 - 1e-16)
            x[:n][high] += (np.log(s / (1.0 - s)) - np.log(99.0)) / self.demand.alpha + 1e-9
        return x

    def _solve_from(self, x0: np.ndarray, *, tol: float = TOLERANCE, maxiter: int = 200) -> MarketSolution:
        system = self._system()
        n = len(self.products)
        if np.all(np.isfinite(x0)):
            x0 = self._desaturate(x0)
        solution = root(system, x0, jac=True, method="hybr",  # type: ignore[call-overload]
                        options={"xtol": 1e-13, "maxfev": maxiter * (len(x0) + 1)})
        x = solution.x
        residual = float(np.max(np.abs(system(x)[0]))) if np.all(np.isfinite(x)) else math.inf
        scale = max(1.0, float(np.max(np.abs(x[:n])))) if np.all(np.isfinite(x)) else 1.0
        converged = bool(residual <= tol * scale)
        message = str(solution.message)
        if converged:
            shares, _ = self.demand.shares_and_derivatives(x[:n])
            if np.any(np.asarray(shares) >= 1.0 - 1e-12):
                # the residual vanishes numerically where a product takes the whole market (its share is 1 to
                # machine precision and the derivatives underflow): not an equilibrium of the model
                converged = False
                message = "degenerate point: a share of 1 to machine precision (try other starts)"
        wholesale = None
        if self.is_chain:
            assert self.upstream_cost is not None
            wholesale = self.upstream_cost.copy()
            wholesale[~self.integrated] = x[n:]
        return MarketSolution(x[:n].copy(), wholesale, converged, residual, int(solution.nfev), message)

    def _start_list(self, start: Any, starts: int) -> list[tuple[str, np.ndarray]]:
        """The starting points of a multi-start solve, in the order they are preferred."""
        if isinstance(starts, bool) or not isinstance(starts, int | np.integer) or starts < 1:
            raise InvalidParameterError(f"starts must be a positive integer, got {starts!r}.",
                                        hint="starts=1 solves once; starts=3 adds cost-plus and high-markup starts.")
        out: list[tuple[str, np.ndarray]] = []
        if start is not None:
            out.append(("given", self._start(start)))
        cost_plus = self._start(None)
        out.append(("cost-plus", cost_plus))
        # monopoly-ish: every margin several times the Bertrand-like markup 1 / alpha
        markup = 1.0 / self.demand.alpha
        high = cost_plus + 3.0 * markup
        if self.is_chain:
            high[: len(self.products)] += 3.0 * markup
        out.append(("high markup", high))
        rng = np.random.default_rng(0)
        base = out[0][1]
        while len(out) < starts:
            out.append((f"perturbed {len(out) - 2}", base * rng.uniform(0.8, 1.25, size=base.shape)))
        return out[:starts]

    def _solve_starts(self, start: Any, starts: int) -> tuple[MarketSolution, pd.DataFrame | None]:
        """Solve from ``starts`` starting points; the chosen solution is the first that converged (in the order
        given, cost-plus, high markup, perturbed), and the table says which equilibrium each start reached."""
        candidates = self._start_list(start, starts)
        if len(candidates) == 1:
            return self._solve_from(candidates[0][1]), None
        solutions = [self._solve_from(x0) for _, x0 in candidates]
        found: list[np.ndarray] = []
        labels: list[float] = []
        for sol in solutions:
            if not sol.converged:
                labels.append(np.nan)
                continue
            x = sol.price if sol.wholesale_price is None else np.concatenate([sol.price, sol.wholesale_price])
            scale = max(1.0, float(np.max(np.abs(x))))
            match = [i for i, y in enumerate(found) if float(np.max(np.abs(x - y))) <= 1e-6 * scale]
            if not match:
                found.append(x)
                match = [len(found) - 1]
            labels.append(float(match[0]))
        table = pd.DataFrame({"start": [name for name, _ in candidates],
                              "converged": [sol.converged for sol in solutions],
                              "residual": [sol.residual for sol in solutions],
                              "equilibrium": labels})
        for k, product in enumerate(self.products):
            table[f"price[{product}]"] = [sol.price[k] for sol in solutions]
        table.attrs["multiple_equilibria"] = len(found) > 1
        chosen = next((sol for sol in solutions if sol.converged), solutions[0])
        return chosen, table

    def _frame(self, solution: MarketSolution) -> pd.DataFrame:
        price = solution.price
        share = self.demand.shares(price).to_numpy()
        frame = pd.DataFrame({"price": price, "share": share}, index=self.products)
        frame.index.name = "product"
        if self.is_chain:
            assert solution.wholesale_price is not None and self.upstream_cost is not None
            assert self.downstream_cost is not None
            w = solution.wholesale_price
            frame["wholesale_price"] = w
            frame["margin"] = (price - w - self.downstream_cost) / price
            frame["wholesale_margin"] = (w - self.upstream_cost) / w
            frame["seller"] = self.seller
            frame["buyer"] = self.buyer
            frame = frame[["price", "wholesale_price", "share", "margin", "wholesale_margin", "seller", "buyer"]]
        else:
            assert self.marginal_cost is not None
            frame["margin"] = (price - self.marginal_cost) / price
            frame["seller"] = self.seller
        frame.attrs.update(converged=solution.converged, residual=solution.residual,
                           iterations=solution.iterations)
        return frame

    def equilibrium(self, start: Any = None, *, starts: int = 1) -> pd.DataFrame:
        """The equilibrium as a DataFrame indexed by product: ``price``, ``share``, ``margin`` (and
        ``wholesale_price``, ``wholesale_margin`` in a chain) and the owners; ``frame.attrs`` holds
        ``converged``, ``residual`` (price units) and ``iterations``.

        ``starts=K`` solves from K starting points: ``start`` (e.g. observed prices) when given, costs plus
        1/alpha, a monopoly-ish high markup (costs plus 4/alpha at each level), then seeded perturbations of the
        first. The first converged solution in that order is returned; ``frame.attrs["starts"]`` is a table of
        each start's convergence, residual, prices and the equilibrium it reached (numbered from 0), and
        ``frame.attrs["multiple_equilibria"]`` says whether converged starts reached different equilibria
        (prices apart by more than 1e-6 relative).

        Raises :class:`~bargaining.errors.ConvergenceError` when the solver does not converge.
        """
        solution, table = self._solve_starts(start, starts)
        if not solution.converged:
            raise ConvergenceError(
                f"the equilibrium did not converge (largest residual {solution.residual:.3g}; {solution.message}).",
                hint="pass start= prices near the equilibrium (observed prices), or check that costs are below "
                "prices and weights are not at the edge of [0, 1].")
        frame = self._frame(solution)
        if table is not None:
            frame.attrs.update(starts=table, multiple_equilibria=bool(table.attrs["multiple_equilibria"]))
        return frame

    def without(self, remove: Any) -> NashInNashMarket:
        """A copy in which the products ``remove`` (one label or several) have left the choice set.

        The others keep their mean utilities, so consumer surplus stays on the same scale. Without an outside
        good the normalized product cannot leave (it fixes the utility scale) and one product must remain.
        """
        d = self.demand
        mask = d._removed_mask(remove)
        if mask.all():
            raise InvalidParameterError("remove names every product.", hint="keep at least one product.")
        if d.normalize is not None and d.normalize in set(self.products[mask]):
            raise InvalidParameterError(
                f"the normalized product {d.normalize!r} cannot be removed (it fixes the utility scale).",
                hint="remove other products, or calibrate with another normalize= product.")
        keep = ~mask
        demand = d._restricted(keep)

        def part(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[keep]
        kwargs: dict[str, Any] = {"seller": self.seller[keep], "seller_weight": self.seller_weight[keep]}
        if self.is_chain:
            kwargs.update(buyer=part(self.buyer), upstream_cost=part(self.upstream_cost),
                          downstream_cost=part(self.downstream_cost))
        else:
            kwargs.update(marginal_cost=part(self.marginal_cost))
        return NashInNashMarket(demand, **kwargs)

    # -- counterfactuals -------------------------------------------------------------------------------------
    def with_changes(
        self,
        *,
        seller: Any = None,
        buyer: Any = None,
        seller_weight: Any = None,
        cost_change: Any = None,
        cost_change_kind: str = "relative",
    ) -> NashInNashMarket:
        """A copy with new owners, weights or costs (``cost_change`` applies to the seller's cost: the
        marginal cost, or the upstream cost in a chain; relative: c (1 + change), level: c + change)."""
        if cost_change_kind not in ("relative", "level"):
            raise InvalidParameterError(f"cost_change_kind must be 'relative' or 'level', got {cost_change_kind!r}.",
                                        hint="relative: -0.05 is 5% cheaper; level: -0.05 is 0.05 cheaper.")
        base = self.upstream_cost if self.is_chain else self.marginal_cost
        assert base is not None
        cost = base.copy()
        if cost_change is not None:
            change = _numbers(cost_change, self.products, "cost_change")
            cost = cost * (1.0 + change) if cost_change_kind == "relative" else cost + change
        if buyer is not None and not self.is_chain:
            raise InvalidParameterError("buyer_post was given, but the market has no buyers (retailers).",
                                        hint="pass buyer= for a chain, or drop buyer_post.")
        kwargs: dict[str, Any] = {
            "seller": self.seller if seller is None else seller,
            "seller_weight": self.seller_weight if seller_weight is None else seller_weight,
        }
        if self.is_chain:
            kwargs.update(buyer=self.buyer if buyer is None else buyer, upstream_cost=cost,
                          downstream_cost=self.downstream_cost)
        else:
            kwargs.update(marginal_cost=cost)
        return NashInNashMarket(self.demand, **kwargs)

    def simulate(
        self,
        seller_post: Any = None,
        buyer_post: Any = None,
        seller_weight_post: Any = None,
        cost_change: Any = None,
        cost_change_kind: str = "relative",
        *,
        start: Any = None,
        starts: int = 1,
        remove: Any = None,
    ) -> MergerResult:
        """Solve the market before and after a change of owners, weights, costs or choice set.

        Parameters
        ----------
        seller_post, buyer_post
            Post-merger owners per product: a horizontal merger relabels sellers (or buyers); vertical
            integration relabels a retailer with a seller's name (or the reverse).
        seller_weight_post
            Post-merger seller weights (a number or one per product).
        cost_change, cost_change_kind
            A change in the seller's (upstream) cost per product: relative (-0.05: 5% cheaper) or ``"level"``.
        start
            Pre-merger starting prices (observed prices when calibrated); the post-merger solve starts from
            the pre-merger equilibrium.
        starts
            Number of starting points for each solve (see :meth:`equilibrium`); the result's ``starts`` table
            and ``multiple_equilibria`` report whether they reached different equilibria.
        remove
            Products that leave the market after the change (one label or several): their post-merger price
            is NaN and their share 0.

        Returns
        -------
        MergerResult
            Prices, shares and margins before and after, HHI, consumer surplus change (compensating
            variation), producer surplus by firm, the compensating marginal-cost reduction and upward pricing
            pressure (definitions in :mod:`bargaining.models.merger.outputs`).
        """
        changed = self.with_changes(seller=seller_post, buyer=buyer_post, seller_weight=seller_weight_post,
                                    cost_change=cost_change, cost_change_kind=cost_change_kind)
        post_market = changed if remove is None else changed.without(remove)
        pre_solution, pre_table = self._solve_starts(start, starts)
        pre = self._frame(pre_solution)
        post_start = pre.loc[post_market.products]
        post_solution, post_table = post_market._solve_starts(post_start, starts)
        if not post_solution.converged and starts == 1:  # a second try from the costs-plus-markup start
            retry = post_market.solve()
            if retry.converged:
                post_solution = retry
        solved = post_market._frame(post_solution)
        post = solved.reindex(self.products)
        post.index.name = "product"
        post.attrs.update(solved.attrs)
        removed = ~self.products.isin(post_market.products)
        post.loc[removed, "share"] = 0.0
        post["price_change"] = post["price"] / pre["price"] - 1.0
        if self.is_chain:
            post["wholesale_price_change"] = post["wholesale_price"] / pre["wholesale_price"] - 1.0
        level_pre, level_post = self._hhi_owners(changed)
        level_post = level_post[~removed]
        post_shares = post["share"].loc[post_market.products].to_numpy()
        values = (hhi(pre["share"].to_numpy(), level_pre), hhi(post_shares, level_post))
        notes = []
        if not pre_solution.converged:
            notes.append(f"the pre-merger equilibrium did not converge ({pre_solution.message}).")
        if not post_solution.converged:
            notes.append(f"the post-merger equilibrium did not converge ({post_solution.message}).")
        cs_pre = self.demand.consumer_surplus(pre["price"].to_numpy())
        cs_post = post_market.demand.consumer_surplus(post["price"].loc[post_market.products].to_numpy())
        starts_table = None
        multiple = None
        if pre_table is not None and post_table is not None:
            starts_table = pd.concat({"pre": pre_table, "post": post_table}, names=["stage", "row"])
            multiple = bool(pre_table.attrs["multiple_equilibria"] or post_table.attrs["multiple_equilibria"])
            if multiple:
                notes.append("different starting points reached different equilibria (see result.starts).")
        return MergerResult(
            params=self.params,
            pre=pre,
            post=post,
            hhi=pd.Series({"pre": values[0], "post": values[1], "change": values[1] - values[0]}, name="hhi"),
            consumer_surplus_change=float(cs_post - cs_pre),
            converged=pre_solution.converged and post_solution.converged,
            residual=max(pre_solution.residual, post_solution.residual),
            notes=notes,
            consumer_surplus=pd.Series({"pre": cs_pre, "post": cs_post}, name="consumer_surplus"),
            context=MergerContext(self, post_market, changed, (level_pre, level_post)),
            starts=starts_table,
            multiple_equilibria=multiple,
        )

    def _hhi_owners(self, post: NashInNashMarket) -> tuple[np.ndarray, np.ndarray]:
        """Owners for the HHI: sellers; in a chain the retailers unless only the sellers changed."""
        if not self.is_chain:
            return self.seller, post.seller
        assert self.buyer is not None and post.buyer is not None
        sellers_changed = not np.array_equal(self.seller, post.seller)
        buyers_changed = not np.array_equal(self.buyer, post.buyer)
        if sellers_changed and not buyers_changed:
            return self.seller, post.seller
        return self.buyer, post.buyer

    def __repr__(self) -> str:
        kind = "chain" if self.is_chain else "sellers and consumers"
        return f"NashInNashMarket({len(self.products)} products, {kind}, demand={self.demand!r})"

