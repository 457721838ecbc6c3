"""Simulated hospital-insurer agreements with Nash-in-Nash per-patient prices.

A thin driver over the model object the theory defines,
:class:`bargaining.models.nash_in_nash.hospital_insurer.HospitalInsurerMarkets` (logit demand, log-sum
willingness to pay, diversion, system recapture and the per-patient Nash-in-Nash prices, with the math in
its module doc). The simulator

1. draws the primitives with the seeded generator, in a fixed order: hospital quality x_h, cost shifters z,
   enrollment N_i, dollars per util kappa_i (``wtp_scale`` times a lognormal factor), taste shocks xi_hi,
   cost shocks omega_hi and the price errors e_hi;
2. builds the model: utility u_hi = x_h + xi_hi, marginal cost mc_hi = gamma_0 + z_h' gamma + omega_hi, the
   hospital's weight beta (a number, one per insurer, or logistic in insurer_size and hospital_quality),
   hospital systems and the recapture share;
3. solves it, and writes one row per agreement: the recorded ``price`` is p_hi + e_hi with a mean-zero error
   e (pricing or measurement error independent of everything else), so
   ``price = seller_cost + beta (buyer_value - seller_cost) + e`` holds exactly in the data.

``Simulation.truth`` names the parameters as :func:`bargaining.estimate.nash_price.fit_nash` does (``beta``,
``beta[I1]``, ``delta[TERM]``, ``gamma[Intercept]``, ``gamma[z1]``, ...), next to the design settings.

Identification: V - C varies with hospital quality, insurer tastes, network size and enrollment, none of
which is collinear with the cost shifters z, so beta and gamma are separately identified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bargaining.data.simulate import Simulation
from bargaining.data.validate import validate_agreements
from bargaining.errors import InvalidParameterError, InvalidWeightError
from bargaining.models.nash_in_nash.hospital_insurer import HospitalInsurerMarkets

__all__ = ["simulate_hospital_insurer"]

BETA_TERMS = ("Intercept", "insurer_size", "hospital_quality")
OBSERVED = (
    "market, insurer, hospital, system, price, buyer_value, seller_cost, wtp_drop, recapture, quantity, "
    "cost shifters z1..zK, hospital_quality, insurer_size"
)


def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidParameterError(
            f"{name} must be an integer >= {minimum}, got {value!r}.", hint=f"e.g. {name}={max(minimum, 4)}."
        )
    return int(value)


def _nonnegative(value: Any, name: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InvalidParameterError(
            f"{name} must be finite and >= 0, got {value!r}.", hint=f"e.g. {name}=0.5."
        )
    return number


def _gamma(gamma: Mapping[str, float] | Sequence[float]) -> dict[str, float]:
    if isinstance(gamma, Mapping):
        items = dict(gamma)
        if "Intercept" not in items:
            raise InvalidParameterError(
                "gamma needs an 'Intercept'.", hint="e.g. gamma={'Intercept': 4, 'z1': 1}."
            )
        names = [k for k in items if k != "Intercept"]
        expected = [f"z{k + 1}" for k in range(len(names))]
        if sorted(names) != sorted(expected):
            raise InvalidParameterError(
                f"gamma's cost shifters must be named z1, z2, ..., got {names}.",
                hint="e.g. {'Intercept': 4, 'z1': 1}.",
            )
        out = {"Intercept": float(items["Intercept"])}
        out.update({name: float(items[name]) for name in expected})
    else:
        values = [float(g) for g in gamma]
        if not values:
            raise InvalidParameterError(
                "gamma is empty.", hint="give at least the intercept, e.g. gamma=(4.0, 1.0)."
            )
        out = {"Intercept": values[0], **{f"z{k}": g for k, g in enumerate(values[1:], start=1)}}
    if not all(math.isfinite(v) for v in out.values()):
        raise InvalidParameterError(
            f"gamma must be finite, got {out}.", hint="give finite cost coefficients."
        )
    return out


def _system_sizes(systems: int | Sequence[int] | None, n_hospitals: int) -> list[int]:
    if systems is None:
        return [1] * n_hospitals
    if isinstance(systems, (int, np.integer)):  # _int rejects bools
        size = _int(systems, "systems", 1)
        sizes = [size] * (n_hospitals // size)
        return sizes + ([n_hospitals % size] if n_hospitals % size else [])
    sizes = [_int(s, "each system size", 1) for s in systems]
    if sum(sizes) != n_hospitals:
        raise InvalidParameterError(
            f"system sizes {sizes} add up to {sum(sizes)}, not n_hospitals = {n_hospitals}.",
            hint="give one size per system, singletons included: systems=[2, 1, 1, 1] for 5 hospitals where "
            "h1 and h2 merged.",
        )
    return sizes


def _fit_nash_names(
    beta: float | dict[str, float] | None, delta: dict[str, float] | None, gamma: dict[str, float]
) -> dict[str, float]:
    """The true parameters keyed as fit_nash names its estimates: beta, beta[GROUP], delta[TERM],
    gamma[TERM]."""
    if delta is not None:
        out = {f"delta[{term}]": value for term, value in delta.items()}
    elif isinstance(beta, dict):
        out = {f"beta[{group}]": value for group, value in beta.items()}
    else:
        assert beta is not None  # beta is None only when delta is given
        out = {"beta": beta}
    out.update({f"gamma[{term}]": value for term, value in gamma.items()})
    return out


def simulate_hospital_insurer(
    *,
    n_markets: int = 100,
    n_hospitals: int = 5,
    n_insurers: int = 4,
    beta: float | Sequence[float] = 0.5,
    delta: Mapping[str, float] | None = None,
    gamma: Mapping[str, float] | Sequence[float] = (6.0, 1.0, 0.5),
    omega_sd: float = 0.5,
    price_sd: float = 0.25,
    recapture: float = 1.0,
    systems: int | Sequence[int] | None = None,
    wtp_scale: float = 10.0,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate hospital-insurer agreements with Nash-in-Nash per-patient prices (model in the module doc).

    Parameters
    ----------
    n_markets, n_hospitals, n_insurers
        M markets, each with the same numbers of hospitals and insurers; every pair contracts, so there are
        M x n_hospitals x n_insurers agreements. Insurers ``I1, I2, ...`` are brands present in every market.
    beta
        The seller's (hospital's) bargaining weight: one number in [0, 1], or one per insurer brand.
    delta
        If given, beta is logistic: beta = 1 / (1 + exp(-(delta_0 + delta' x))) with terms ``Intercept``,
        ``insurer_size`` and ``hospital_quality`` (missing terms are 0); ``beta`` is then ignored.
    gamma
        Cost coefficients: (gamma_0, gamma_1, ..., gamma_K) or a mapping {"Intercept": ..., "z1": ..., ...};
        K cost shifters z1..zK (standard normal, one per hospital) enter mc = gamma_0 + z' gamma + omega.
    omega_sd
        Standard deviation of the unobserved cost shock omega (one per agreement).
    price_sd
        Standard deviation of the mean-zero price error added to the equilibrium price.
    recapture
        Share in [0, 1] of the sibling margins a system counts when one of its agreements fails (1: full
        pooling of profits; 0: members bargain as if independent).
    systems
        None (every hospital independent), an int s (consecutive hospitals form systems of s members), or a
        list of system sizes adding up to n_hospitals, the same in every market. The random draws do not
        depend on ``systems``, so the same seed with and without systems simulates a merger.
    wtp_scale
        Dollars per util in the insurer's willingness to pay (each insurer's scale is wtp_scale times a
        lognormal factor with log-sd 0.2).
    seed
        int or numpy Generator.

    Returns
    -------
    Simulation
        ``data`` has one row per agreement with columns market, insurer (buyer), hospital (seller), system,
        price, buyer_value, seller_cost, wtp_drop, recapture, quantity, z1..zK, hospital_quality,
        insurer_size; ``truth`` holds beta (or delta), gamma, the standard deviations and the design, and the
        same parameters under the names :func:`~bargaining.estimate.nash_price.fit_nash` gives them: ``beta``
        (constant), ``beta[I1]``, ... (one per insurer; fit with ``weight_by="insurer"``), or
        ``delta[Intercept]``, ``delta[insurer_size]``, ``delta[hospital_quality]`` (fit with
        ``weight_formula="~ 1 + insurer_size + hospital_quality"``), and ``gamma[Intercept]``, ``gamma[z1]``,
        ... (fit with ``cost_formula="~ 1 + z1 + ..."`` and ``recapture="recapture"``).
    """
    n_markets = _int(n_markets, "n_markets", 1)
    n_hospitals = _int(n_hospitals, "n_hospitals", 1)
    n_insurers = _int(n_insurers, "n_insurers", 1)
    gammas = _gamma(gamma)
    omega_sd = _nonnegative(omega_sd, "omega_sd")
    price_sd = _nonnegative(price_sd, "price_sd")
    wtp_scale = _nonnegative(wtp_scale, "wtp_scale")
    recapture = _nonnegative(recapture, "recapture")
    if recapture > 1:
        raise InvalidParameterError(
            f"recapture must be in [0, 1], got {recapture}.", hint="use 1 for full pooling."
        )
    sizes = _system_sizes(systems, n_hospitals)
    n_shifters = len(gammas) - 1
    rng = np.random.default_rng(seed)
    M, I, H = n_markets, n_insurers, n_hospitals

    # draws, in a fixed order (reproducibility does not depend on the options below)
    quality = rng.standard_normal((M, H))
    shifters = rng.standard_normal((M, H, max(n_shifters, 0)))
    enrollees = 4000.0 * np.exp(0.4 * rng.standard_normal((M, I)))
    kappa = wtp_scale * np.exp(0.2 * rng.standard_normal((M, I)))
    taste = 0.5 * rng.standard_normal((M, I, H))
    omega = omega_sd * rng.standard_normal((M, I, H))
    error = price_sd * rng.standard_normal((M, I, H))

    insurer_size = np.log(enrollees / 4000.0)
    if delta is not None:
        unknown = [k for k in delta if k not in BETA_TERMS]
        if unknown:
            raise InvalidParameterError(
                f"unknown delta terms {unknown}.", hint=f"use terms among {', '.join(BETA_TERMS)}."
            )
        index = (
            float(delta.get("Intercept", 0.0))
            + float(delta.get("insurer_size", 0.0)) * insurer_size[:, :, None]
            + float(delta.get("hospital_quality", 0.0)) * quality[:, None, :]
        )
        betas = 1.0 / (1.0 + np.exp(-index))
        beta_truth: Any = None
    else:
        given = np.atleast_1d(np.asarray(beta, dtype=float))
        if given.size not in (1, I) or given.ndim != 1:
            raise InvalidWeightError(
                f"beta must be one number or one per insurer ({I}), got {given.size} values.",
                hint="e.g. beta=0.5 or beta=[0.3, 0.5, 0.7, 0.6] for 4 insurers.",
            )
        if not np.all((given >= 0) & (given <= 1)):
            raise InvalidWeightError(f"beta must be in [0, 1], got {given.tolist()}.", hint="e.g. beta=0.5.")
        betas = np.broadcast_to(np.resize(given, I)[None, :, None], (M, I, H)).copy()
        beta_truth = (
            float(given[0]) if given.size == 1 else {f"I{k + 1}": float(b) for k, b in enumerate(given)}
        )

    system_of = np.repeat(np.arange(len(sizes)), sizes)
    mc = (
        gammas["Intercept"] + shifters @ np.array([gammas[f"z{k + 1}"] for k in range(n_shifters)])
        if n_shifters
        else np.full((M, H), gammas["Intercept"])
    )
    model = HospitalInsurerMarkets(
        utility=quality[:, None, :] + taste,
        enrollees=enrollees,
        wtp_per_util=kappa,
        marginal_cost=mc[:, None, :] + omega,
        beta=betas,
        systems=system_of,
        recapture=recapture,
    )
    equilibrium = model.equilibrium(check=False)
    if not equilibrium.has_gains_from_trade:
        raise InvalidParameterError(
            "the simulated design has agreements without gains from trade "
            f"(smallest V - C = {equilibrium.smallest_gain:.4g}).",
            hint="raise wtp_scale or lower the costs (gamma, omega_sd) so that every pair creates surplus.",
        )

    markets = np.array([f"m{m + 1:03d}" for m in range(M)])
    insurers = np.array([f"I{i + 1}" for i in range(I)])
    hospitals = np.array([f"h{h + 1}" for h in range(H)])
    system_names = np.array([f"s{s + 1}" for s in system_of])
    grid = (M, I, H)
    frame = pd.DataFrame(
        {
            "market": np.broadcast_to(markets[:, None, None], grid).ravel(),
            "insurer": np.broadcast_to(insurers[None, :, None], grid).ravel(),
            "hospital": np.broadcast_to(hospitals[None, None, :], grid).ravel(),
            "system": np.broadcast_to(system_names[None, None, :], grid).ravel(),
            "price": (equilibrium.price + error).ravel(),
            "buyer_value": equilibrium.buyer_value.ravel(),
            "seller_cost": equilibrium.seller_cost.ravel(),
            "wtp_drop": equilibrium.wtp_drop.ravel(),
            "recapture": equilibrium.recapture.ravel(),
            "quantity": equilibrium.quantity.ravel(),
            **{
                f"z{k + 1}": np.broadcast_to(shifters[:, None, :, k], grid).ravel() for k in range(n_shifters)
            },
            "hospital_quality": np.broadcast_to(quality[:, None, :], grid).ravel(),
            "insurer_size": np.broadcast_to(insurer_size[:, :, None], grid).ravel(),
        }
    )
    covariates = [f"z{k + 1}" for k in range(n_shifters)] + [
        "hospital_quality",
        "insurer_size",
        "wtp_drop",
        "recapture",
    ]
    validate_agreements(
        frame,
        price="price",
        buyer_value="buyer_value",
        seller_cost="seller_cost",
        market="market",
        buyer="insurer",
        seller="hospital",
        quantity="quantity",
        covariates=covariates,
    )
    truth_delta = None if delta is None else {k: float(delta.get(k, 0.0)) for k in BETA_TERMS}
    truth: dict[str, Any] = {
        "model": "hospital-insurer Nash-in-Nash per-patient prices",
        "beta": beta_truth,
        "delta": truth_delta,
        "gamma": gammas,
        "omega_sd": omega_sd,
        "price_sd": price_sd,
        "recapture": recapture,
        "systems": sizes,
        "wtp_scale": wtp_scale,
        "n_markets": M,
        "n_hospitals": H,
        "n_insurers": I,
        "mean_beta": round(float(betas.mean()), 12),
        "price_equation": "price = seller_cost + beta (buyer_value - seller_cost) + e; "
        "seller_cost = Intercept + z'gamma + omega + recapture",
        # the same parameters under the names fit_nash gives its estimates
        **_fit_nash_names(beta_truth, truth_delta, gammas),
    }
    description = (
        f"{M} markets x {H} hospitals x {I} insurers = {len(frame)} agreements. Per-patient prices solve "
        "Nash-in-Nash bargaining (each agreement separately, hospital systems pool profits) with the "
        "hospital's weight beta; price = seller_cost + beta (buyer_value - seller_cost) + e. Observable in "
        f"practice: {OBSERVED} (wtp_drop and recapture require a demand model; seller_cost = marginal cost + "
        "recapture includes the unobserved cost shock omega and is given here only because the data are "
        "synthetic). Not in the data: omega, the price error e, beta."
    )
    return Simulation(data=frame, truth=truth, description=description)
