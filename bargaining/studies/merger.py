"""Merger-model studies: :func:`~bargaining.estimate.merger_estimation.fit_merger_model` on ``bargaining-markets``.

Logit markets with 4 products (seller A owns two, B and C one each) whose prices are Nash-in-Nash bargains
with the consumers (:class:`~bargaining.models.merger.NashInNashMarket`); alpha = 1 is given; marginal cost
2 + z1 + 0.5 z2 + omega. The pricing conditions are estimated by nonlinear 2SLS with the cost regressors and
the excluded instruments x (own demand shifter), x_rivals, z1_rivals, z2_rivals (rivals' sums); standard
errors clustered by market. N counts products, 4 per market.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from bargaining.studies.study import Study

__all__ = ["MERGER_STUDIES"]

GROUP_WEIGHTS = {"A": 0.3, "B": 0.5, "C": 0.8}
FIT_MERGER = "bargaining.estimate.merger_estimation:fit_merger_model"
OPTIONS: dict[str, Any] = {
    "price": "price", "share": "share", "seller": "seller", "market": "market",
    "cost_formula": "~ 1 + z1 + z2", "alpha": 1.0, "instruments": "~ x + x_rivals + z1_rivals + z2_rivals",
    "cov_type": "clustered", "cluster": "market",
}


def _truth(truth: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in truth.items() if k.startswith(("seller_weight", "gamma["))}


def _study(weights: str) -> Study:
    options = dict(OPTIONS)
    params: dict[str, Any] = {}
    if weights == "constant":
        params["seller_weight"] = 0.5
        what = "one seller weight 0.5"
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


MERGER_STUDIES: list[Study] = [_study("constant"), _study("grouped")]
