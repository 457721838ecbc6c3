"""Incomplete-information studies: bilateral Loertscher-Marx negotiations from the ``negotiations`` simulator
(v, c ~ U[0, 1], Delta = 0.3; N counts negotiations).

``incomplete-likelihood`` fits :func:`~bargaining.estimate.incomplete.fit_incomplete` (Delta, sigma) with F, G
known to trades redrawn with logit noise (:func:`logit_trades`, whose probability is the model's
:func:`bargaining.models.incomplete_likelihood.trade_probability`); ``incomplete-min-distance`` fits
:func:`~bargaining.estimate.min_distance.fit_incomplete_moments` to k-double-auction prices with the common
uniform support estimated.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.studies.study import Study

__all__ = ["INCOMPLETE_STUDIES", "fit_incomplete_known_uniform", "logit_trade_probability", "logit_trades"]

INCOMPLETE_DELTA = 0.3
LOGIT_SIGMA = 0.05
UNIFORM = "Uniform(0, 1)"


def _check_uniform(truth: Mapping[str, Any]) -> None:
    if truth["value_dist"] != UNIFORM or truth["cost_dist"] != UNIFORM:
        raise InvalidParameterError(
            f"the study assumes uniform [0, 1] values and costs; the simulator used {truth['value_dist']} "
            "and "
            f"{truth['cost_dist']}.",
            hint="keep the simulator's default distributions in this study.",
        )


def logit_trade_probability(simulation: Any, *, sigma: float = LOGIT_SIGMA) -> np.ndarray:
    r"""P(trade | v, c) of every simulated negotiation under the logit model of
    :func:`~bargaining.estimate.incomplete.fit_incomplete` at the simulator's Delta.

    It is the model's :func:`bargaining.models.incomplete_likelihood.trade_probability`,
    Lambda((Phi_{a_B}(v) - Gamma_{a_S}(c)) / sigma), with F = G = Uniform(0, 1) and the weight ratios
    a = w / rho of :class:`~bargaining.models.incomplete_likelihood.WeightRatioCurve` (for uniform types on a
    common interval the closed form of eq. (38), equal to the ratios the simulator's mechanism solver reports
    in ``truth``).
    """
    from bargaining.models.incomplete_likelihood import TypeData, trade_probability

    _check_uniform(simulation.truth)
    (group,) = simulation.truth["groups"]
    data = simulation.data
    value_dist, cost_dist, curve = _uniform_model()
    types = TypeData.build(data["value"].to_numpy(), data["cost"].to_numpy(), value_dist, cost_dist)
    return trade_probability(float(group["delta"]), sigma, types, curve)


@cache
def _uniform_model() -> tuple[Any, Any, Any]:
    """F = G = Uniform(0, 1) and their weight-ratio curve, built once per process (they are immutable)."""
    from bargaining.models.incomplete_likelihood import WeightRatioCurve

    value_dist, cost_dist = _uniform_0_1(), _uniform_0_1()
    return value_dist, cost_dist, WeightRatioCurve.for_distributions(value_dist, cost_dist)


def logit_trades(simulation: Any, rng: np.random.Generator, *, sigma: float = LOGIT_SIGMA) -> pd.DataFrame:
    r"""Replace the simulator's exact Loertscher-Marx trade decisions by noisy ones.

    The negotiations simulator trades exactly when Phi_{a_B}(v) >= Gamma_{a_S}(c), where a likelihood has no
    maximum (perfect separation). Here trade happens with probability
    Lambda((Phi_{a_B}(v) - Gamma_{a_S}(c)) / sigma), the model of
    :func:`~bargaining.estimate.incomplete.fit_incomplete` (:func:`logit_trade_probability`): row i trades
    when the i-th of ``len(data)`` uniform draws of ``rng`` is below its probability.
    """
    prob = logit_trade_probability(simulation, sigma=sigma)
    data = simulation.data.copy()
    data["traded"] = (rng.uniform(size=len(data)) < prob).astype(np.int64)
    return data


def _likelihood_truth(truth: Mapping[str, Any], *, sigma: float) -> dict[str, float]:
    _check_uniform(truth)
    return {"Delta": float(truth["delta"]), "sigma": sigma}


def _moments_truth(truth: Mapping[str, Any]) -> dict[str, float]:
    _check_uniform(truth)
    return {"Delta": float(truth["delta"]), "low": 0.0, "high": 1.0}


def _uniform_0_1() -> Any:
    from bargaining.models.distributions import Uniform

    return Uniform(0.0, 1.0)


def fit_incomplete_known_uniform(data: pd.DataFrame, **options: Any) -> Any:
    """:func:`~bargaining.estimate.incomplete.fit_incomplete` with F = G = Uniform(0, 1) known."""
    from bargaining.estimate.incomplete import fit_incomplete

    return fit_incomplete(data, value_dist=_uniform_0_1(), cost_dist=_uniform_0_1(), **options)


INCOMPLETE_STUDIES: list[Study] = [
    Study(
        name="incomplete-likelihood",
        description=(
            f"fit_incomplete (logit trade likelihood, F = G = U[0,1] known): Delta = {INCOMPLETE_DELTA}, "
            f"sigma = {LOGIT_SIGMA}; values and costs from the negotiations simulator, noisy trades"
        ),
        simulator="negotiations",
        simulator_params={"delta": INCOMPLETE_DELTA, "price_rule": None},
        estimator="bargaining.studies.incomplete:fit_incomplete_known_uniform",
        estimator_options={"traded": "traded", "value": "value", "cost": "cost"},
        truth_map=partial(_likelihood_truth, sigma=LOGIT_SIGMA),
        default_n=2000,
        default_reps=500,
        tags=("incomplete", "likelihood"),
        transform=partial(logit_trades, sigma=LOGIT_SIGMA),
    ),
    Study(
        name="incomplete-min-distance",
        description=(
            f"fit_incomplete_moments (k-double auction, common uniform support estimated): Delta = "
            f"{INCOMPLETE_DELTA}, support [0, 1]; trades and prices from the negotiations simulator"
        ),
        simulator="negotiations",
        simulator_params={"delta": INCOMPLETE_DELTA, "price_rule": "k-double-auction"},
        estimator="bargaining.estimate.min_distance:fit_incomplete_moments",
        estimator_options={"traded": "traded", "price": "price", "price_rule": "k-double-auction"},
        truth_map=_moments_truth,
        default_n=2000,
        default_reps=500,
        tags=("incomplete", "min-distance"),
    ),
]
