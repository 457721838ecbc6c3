r"""Merger-model studies: :func:`~bargaining.estimate.merger_estimation.fit_merger_model` on ``bargaining-markets``.

Logit markets with 4 products (seller A owns two, B and C one each) whose prices are Nash-in-Nash bargains
with the consumers (:class:`~bargaining.models.merger.NashInNashMarket`); alpha = 1 is given; marginal cost
2 + z1 + 0.5 z2 + omega. The pricing conditions are estimated by nonlinear 2SLS with the cost regressors and
the excluded instruments x (own demand shifter), x_rivals, z1_rivals, z2_rivals (rivals' sums); standard
errors clustered by market. N counts products, 4 per market.

The ``merger-effect-*`` studies estimate demand as well (``demand="~ 1 + x"``, price instrumented by z1, z2
and their rivals' sums; stacked covariance) and add a merger: every simulated data set gets one extra market,
the same in every replication (``FIXED_MARKET_SEED``, market label -1), in which seller C joins A. The
estimator (:func:`fit_merger_with_effect`) fits the model on all markets and adds the relative price change of
C's product P4 in that market (``price_change[P4]``, from
:func:`~bargaining.estimate.merger_inference.simulate_estimated_merger`, delta-method standard error) to the
parameters; its truth is the merger solved from the fixed market's true primitives (mean utilities
:math:`\xi_0 + \xi_x x + \xi`, marginal costs, weights) by
:meth:`~bargaining.models.merger.NashInNashMarket.simulate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

import numpy as np
import pandas as pd

from bargaining.studies.study import Study

__all__ = ["FIXED_MARKET_SEED", "MERGER_STUDIES", "fit_merger_with_effect", "fixed_market"]

FIXED_MARKET_SEED = 20261130
FIXED_MARKET_LABEL = -1
MERGER_POST = {"C": "A"}
EFFECT = "price_change[P4]"

GROUP_WEIGHTS = {"A": 0.3, "B": 0.5, "C": 0.8}
COVARIATE_WEIGHTS = {"Intercept": 0.0, "w": 0.8}     # beta = logistic(0 + 0.8 w), w ~ N(0, 1)
FIT_MERGER = "bargaining.estimate.merger_estimation:fit_merger_model"
OPTIONS: dict[str, Any] = {
    "price": "price", "share": "share", "seller": "seller", "market": "market",
    "cost_formula": "~ 1 + z1 + z2", "alpha": 1.0, "instruments": "~ x + x_rivals + z1_rivals + z2_rivals",
    "cov_type": "clustered", "cluster": "market",
}


def _truth(truth: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in truth.items() if k.startswith(("seller_weight", "delta[", "gamma["))}


def _study(weights: str) -> Study:
    options = dict(OPTIONS)
    params: dict[str, Any] = {}
    if weights == "constant":
        params["seller_weight"] = 0.5
        what = "one seller weight 0.5"
    elif weights == "covariate":
        params["weight_delta"] = dict(COVARIATE_WEIGHTS)
        options["weight_formula"] = "~ 1 + w"
        what = "seller weights logistic(0 + 0.8 w) by a product-market covariate w"
    else:
        params["seller_weight"] = dict(GROUP_WEIGHTS)
        options["weight_by"] = "seller"
        what = f"one weight per seller {GROUP_WEIGHTS}"
    return Study(
        name=f"merger-{weights}-weight",
        description=f"fit_merger_model, logit markets with Nash-in-Nash prices: {what}; alpha given, "
        "cost 2 + z1 + 0.5 z2 + omega, nonlinear 2SLS (x, rivals' x and z as instruments)",
        simulator="bargaining-markets",
        simulator_params=params,
        estimator=FIT_MERGER,
        estimator_options=options,
        truth_map=partial(_truth),
        default_n=800,
        default_reps=500,
        rows_per_unit=4,
        tags=("complete", "merger", weights),
    )


def fixed_market(**simulator_params: Any) -> Any:
    """The market added to every replication of the ``merger-effect-*`` studies (a one-market Simulation)."""
    from bargaining.data.simulate import simulate

    sim = simulate("bargaining-markets", n=1, seed=FIXED_MARKET_SEED, **simulator_params)
    sim.data["market"] = FIXED_MARKET_LABEL
    return sim


@lru_cache(maxsize=8)
def _true_effect(weights: tuple[tuple[str, float], ...]) -> float:
    """The merger's relative price change of P4 in the fixed market, solved from its true primitives."""
    from bargaining.models.demand import LogitDemand
    from bargaining.models.merger import NashInNashMarket

    params: dict[str, Any] = {"seller_weight": dict(weights) if len(weights) > 1 else weights[0][1]}
    sim = fixed_market(**params)
    rows, truth = sim.data, sim.truth
    delta = truth["demand_intercept"] + truth["demand_slope"] * rows.x + rows.xi
    beta = [dict(weights)[s] for s in rows.seller] if len(weights) > 1 else weights[0][1]
    market = NashInNashMarket(LogitDemand(truth["alpha"], delta.to_numpy(), products=list(rows["product"])),
                              seller=list(rows.seller), marginal_cost=rows.marginal_cost.to_numpy(),
                              seller_weight=beta)
    result = market.simulate(seller_post=[MERGER_POST.get(s, s) for s in rows.seller])
    return float(np.asarray(result.post["price_change"].to_numpy()[list(rows["product"]).index("P4")]))


def _effect_truth(truth: Mapping[str, Any], weights: tuple[tuple[str, float], ...]) -> dict[str, float]:
    out = _truth(truth)
    out["alpha"] = float(truth["alpha"])
    out[EFFECT] = _true_effect(weights)
    return out


def _with_fixed_market(simulation: Any, rng: np.random.Generator, *, params: Mapping[str, Any]) -> pd.DataFrame:
    return pd.concat([simulation.data, fixed_market(**params).data], ignore_index=True)


def fit_merger_with_effect(data: pd.DataFrame, **options: Any) -> Any:
    r"""``fit_merger_model`` on ``data``, with the merger effect in the fixed market appended to the parameters.

    The effect's standard error is the delta method's; its covariances with the parameters are
    :math:`\nabla f\, \hat V`.

    Parameters
    ----------
    data
        Simulated markets including the fixed market (label ``FIXED_MARKET_LABEL``).
    **options
        Options of :func:`~bargaining.estimate.merger_estimation.fit_merger_model`.

    Examples
    --------
    >>> from bargaining import simulate
    >>> from bargaining.studies.merger import EFFECT_OPTIONS, fit_merger_with_effect, fixed_market
    >>> sims = [simulate("bargaining-markets", n=60, seed=4), fixed_market()]
    >>> data = pd.concat([s.data for s in sims], ignore_index=True)
    >>> res = fit_merger_with_effect(data, **EFFECT_OPTIONS)
    >>> list(res.params.index)[-1]
    'price_change[P4]'
    """
    from bargaining.estimate.merger_estimation import MergerEstimationResults, fit_merger_model
    from bargaining.estimate.merger_inference import simulate_estimated_merger
    from bargaining.estimate.results import EstimationResults

    fit = fit_merger_model(data, **options)
    assert isinstance(fit, MergerEstimationResults)
    out = simulate_estimated_merger(fit, data, market=FIXED_MARKET_LABEL, seller_post=MERGER_POST, product="product")
    names = list(fit.params.index)
    gradient = out.gradient.loc[EFFECT]
    full = fit.full_cov.loc[names, gradient.index].to_numpy() @ gradient.to_numpy()
    effect = out.effects.loc[EFFECT].to_numpy(dtype=float)     # estimate, std_error, lower, upper
    variance = float(effect[1]) ** 2
    k = len(names)
    cov = np.zeros((k + 1, k + 1))
    cov[:k, :k] = fit.cov.to_numpy()
    cov[:k, k] = cov[k, :k] = full
    cov[k, k] = variance
    index = [*names, EFFECT]
    return EstimationResults(
        params=pd.Series([*fit.params.to_numpy(), float(effect[0])], index=index),
        cov=pd.DataFrame(cov, index=index, columns=index), nobs=fit.nobs, cov_type=fit.cov_type,
        converged=fit.converged and out.result.converged, model="Nash-in-Nash pricing conditions + merger effect",
        method=fit.method, notes=[*fit.notes, *out.notes],
        df_inference=fit.df_inference,
    )


EFFECT_OPTIONS: dict[str, Any] = {
    **{k: v for k, v in OPTIONS.items() if k != "alpha"},
    "demand": "~ 1 + x", "demand_instruments": "~ z1 + z2 + z1_rivals + z2_rivals",
}


def _effect_study(weights: str) -> Study:
    options = dict(EFFECT_OPTIONS)
    if weights == "constant":
        params: dict[str, Any] = {"seller_weight": 0.5}
        key: tuple[tuple[str, float], ...] = (("seller_weight", 0.5),)
        what = "one seller weight 0.5"
    else:
        params = {"seller_weight": dict(GROUP_WEIGHTS)}
        key = tuple(sorted(GROUP_WEIGHTS.items()))
        options["weight_by"] = "seller"
        what = f"one weight per seller {GROUP_WEIGHTS}"
    return Study(
        name=f"merger-effect-{weights}",
        description=f"fit_merger_model with logit demand estimated jointly (stacked 2SLS), {what}, and the "
        "relative price change of P4 when seller C joins A in a fixed extra market (delta method)",
        simulator="bargaining-markets",
        simulator_params=params,
        estimator="bargaining.studies.merger:fit_merger_with_effect",
        estimator_options=options,
        truth_map=partial(_effect_truth, weights=key),
        default_n=800,
        default_reps=500,
        rows_per_unit=4,
        tags=("complete", "merger", "effect", weights),
        transform=partial(_with_fixed_market, params=params),
    )


MERGER_STUDIES: list[Study] = [_study("constant"), _study("grouped"), _study("covariate"), _effect_study("constant"),
                               _effect_study("grouped")]
