"""bargaining: the empirical economics of bargaining.

Theory (:mod:`bargaining.models`), data (:mod:`bargaining.data`) and estimation (:mod:`bargaining.estimate`).
Every public name is importable from the top level, e.g. ``from bargaining import nash_solution, Pie``.
Names are imported lazily, on first use, so ``import bargaining`` and the command line start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    **{
        name: "bargaining.errors"
        for name in (
            "BargainingError", "InvalidParameterError", "InvalidWeightError", "InfeasibleProblemError",
            "FrontierShapeError", "NonConvexSetError", "GainsFromTradeError", "DistributionError",
            "SupportError", "DataValidationError", "MissingColumnError", "IdentificationError",
            "ConvergenceError", "NumericalAccuracyError", "UnknownNameError", "BargainingWarning",
            "ConvergenceWarning", "AccuracyWarning", "IdentificationWarning",
        )
    },
    # complete information
    "Pie": "bargaining.models.nash",
    "Frontier": "bargaining.models.nash",
    "FeasibleSet": "bargaining.models.nash",
    "NashSolution": "bargaining.models.nash",
    "nash_solution": "bargaining.models.nash",
    "rubinstein": "bargaining.models.rubinstein",
    "rubinstein_limit": "bargaining.models.rubinstein",
    "RubinsteinOutcome": "bargaining.models.rubinstein",
    "NashInNash": "bargaining.models.nash_in_nash",
    "NashInNashPrices": "bargaining.models.nash_in_nash",
    "NashInNashEquilibrium": "bargaining.models.nash_in_nash",
    "HospitalInsurerMarkets": "bargaining.models.nash_in_nash",
    "HospitalInsurerEquilibrium": "bargaining.models.nash_in_nash",
    **{n: "bargaining.models.bilateral" for n in (
        "k_double_auction", "KDoubleAuction", "delta_from_k", "k_from_delta", "rho_from_delta",
        "uniform_trade_threshold", "posted_price", "PostedPrice", "random_posted_price",
        "RandomPostedPrice", "myerson_satterthwaite", "MyersonSatterthwaite")},
    **{n: "bargaining.models.price_rules" for n in (
        "get_price_rule", "PRICE_RULES", "PriceRule", "PriceMoments", "list_price_rules")},
    **{n: "bargaining.data" for n in (
        "validate_agreements", "validate_negotiations", "read_table", "write_table", "simulate",
        "list_simulators", "load_example", "list_examples")},
    "fit_nash": "bargaining.estimate.nash_price",
    "NashResults": "bargaining.estimate.nash_results",
    "EstimationResults": "bargaining.estimate.results",
    "fit_incomplete": "bargaining.estimate.incomplete",
    "fit_incomplete_moments": "bargaining.estimate.min_distance",
    "efficiency_report": "bargaining.estimate.efficiency",
    "fit_model": "bargaining.estimate.fit_model",
    "LikelihoodModel": "bargaining.models.protocols",
    "MomentModel": "bargaining.models.protocols",
    "MinimumDistanceModel": "bargaining.models.protocols",
    "TypeDistribution": "bargaining.models.distributions",
    "Uniform": "bargaining.models.distributions",
    "Beta": "bargaining.models.distributions",
    "TruncatedNormal": "bargaining.models.distributions",
    "TruncatedExponential": "bargaining.models.distributions",
    "Mixture": "bargaining.models.distributions",
    "Market": "bargaining.models.mechanism",
    "BargainingOutcome": "bargaining.models.mechanism",
    "weights_from_delta": "bargaining.models.conventions",
    "delta_from_weights": "bargaining.models.conventions",
    "IntermediaryGame": "bargaining.models.intermediary",
    "IntermediaryPlay": "bargaining.models.intermediary",
    "intermediary_game": "bargaining.models.intermediary",
    "plot_frontier": "bargaining.plots",
    "plot_trade_regions": "bargaining.plots",
    "plot_k_double_auction_payoffs": "bargaining.plots",
    "list_studies": "bargaining.replication",
    "run_study": "bargaining.replication",
    "IncompleteResults": "bargaining.estimate.incomplete",
    "fit_type_distribution": "bargaining.estimate.incomplete",
    "MinDistanceResults": "bargaining.estimate.min_distance",
    "EfficiencyReport": "bargaining.estimate.efficiency",
    "demo_fit": "bargaining.estimate.nash_price",
    "run_monte_carlo": "bargaining.estimate.montecarlo",
    "MonteCarloResults": "bargaining.estimate.montecarlo",
    "run_monte_carlo_study": "bargaining.studies",
    "list_monte_carlo_studies": "bargaining.studies",
    "sample_size_study": "bargaining.studies",
    "SampleSizeResults": "bargaining.studies",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'bargaining' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
