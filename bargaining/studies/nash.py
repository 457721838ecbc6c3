"""Complete-information studies: :func:`~bargaining.estimate.nash_price.fit_nash` on hospital-insurer
Nash-in-Nash prices (5 hospitals x 5 insurers = 25 agreements per market; N counts agreements).

With C unobserved, the cost shock omega is in the error term, and in the Nash-in-Nash design the buyer's value
V_hi includes the other hospitals' equilibrium prices, which respond to omega_hi; so cov(V, omega) > 0 and OLS
overstates beta. The insurer's willingness to pay per patient ``wtp_drop`` moves V but not omega: it is the
instrument (``nash-*-formula``); ``nash-constant-formula-ols`` leaves it out to show the bias.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from bargaining.studies.study import Study

__all__ = ["NASH_STUDIES"]

HOSPITAL_DESIGN: dict[str, Any] = {"n_hospitals": 5, "n_insurers": 5}
GROUP_BETAS = (0.3, 0.5, 0.7, 0.4, 0.6)
LOGISTIC_DELTA = {"Intercept": -0.2, "insurer_size": 0.8, "hospital_quality": 0.5}
COST_FORMULA = {"cost_formula": "~ 1 + z1 + z2", "recapture": "recapture"}
# With C unobserved, omega is in the error, and V - r is endogenous in this design: V_hi contains the other
# hospitals' equilibrium prices, which respond to omega_hi (cov(omega, V) > 0, so OLS overstates beta).
# The insurer's willingness to pay per patient (wtp_drop) moves V but not omega: it is the instrument.
COST_INSTRUMENTS = {"instruments": "~ wtp_drop"}
COST_TEXT = {
    "observed": "observed seller cost",
    "formula": "unobserved cost C = r + z'gamma + omega, V - r instrumented by wtp_drop (IV-2SLS)",
    "formula-ols": "unobserved cost C = r + z'gamma + omega, no instrument (OLS: endogeneity bias)",
}
OBSERVED_COST = {"seller_cost": "seller_cost"}
FIT_NASH = "bargaining.estimate.nash_price:fit_nash"


def _gamma_truth(truth: Mapping[str, Any]) -> dict[str, float]:
    return {f"gamma[{term}]": float(value) for term, value in truth["gamma"].items()}


def _nash_truth(truth: Mapping[str, Any], *, weights: str, cost: str) -> dict[str, float]:
    if weights == "constant":
        out = {"beta": float(truth["beta"])}
    elif weights == "grouped":
        out = {f"beta[{group}]": float(b) for group, b in truth["beta"].items()}
    else:
        out = {f"delta[{term}]": float(d) for term, d in truth["delta"].items()}
    if cost.startswith("formula"):
        out.update(_gamma_truth(truth))
    return out


def _nash_study(weights: str, cost: str) -> Study:
    params: dict[str, Any] = dict(HOSPITAL_DESIGN)
    options: dict[str, Any] = {"price": "price", "buyer_value": "buyer_value"}
    options.update(OBSERVED_COST if cost == "observed" else COST_FORMULA)
    if cost == "formula":
        options.update(COST_INSTRUMENTS)
    if weights == "constant":
        params["beta"] = 0.5
        what = "constant beta = 0.5"
    elif weights == "grouped":
        params["beta"] = list(GROUP_BETAS)
        options["weight_by"] = "insurer"
        what = f"one beta per insurer {GROUP_BETAS}"
    else:
        params["delta"] = dict(LOGISTIC_DELTA)
        options["weight_formula"] = "~ 1 + insurer_size + hospital_quality"
        what = "logistic beta(insurer_size, hospital_quality)"
    cost_text = COST_TEXT[cost]
    return Study(
        name=f"nash-{weights}-{cost}",
        description=f"fit_nash, hospital-insurer Nash-in-Nash prices: {what}; {cost_text}",
        simulator="hospital-insurer",
        simulator_params=params,
        estimator=FIT_NASH,
        estimator_options=options,
        truth_map=partial(_nash_truth, weights=weights, cost=cost),
        default_n=1000,
        default_reps=1000,
        rows_per_unit=25,
        tags=("complete", weights, cost),
    )


NASH_STUDIES: list[Study] = [
    _nash_study(weights, cost)
    for weights in ("constant", "grouped", "logistic")
    for cost in ("observed", "formula")
]
NASH_STUDIES.append(_nash_study("constant", "formula-ols"))
