"""bargaining: the empirical economics of bargaining.

Theory (:mod:`bargaining.models`), data (:mod:`bargaining.data`) and estimation (:mod:`bargaining.estimate`).
Every public name is importable from the top level, e.g. ``from bargaining import nash_solution, Pie``.
Names are imported lazily, on first use, so ``import bargaining`` and the command line start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
            "ConvergenceWarning", "AccuracyWarning", "IdentificationWarning", "FewClustersWarning", "SpecificationWarning",
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
    "LinearThreatPoints": "bargaining.models.nash_in_nash",
    "NashTerms": "bargaining.models.nash_in_nash",
    "LogitDemand": "bargaining.models.demand",
    "NestedLogitDemand": "bargaining.models.demand",
    "MixedLogitDemand": "bargaining.models.demand",
    "NashInNashMarket": "bargaining.models.merger",
    "HospitalNetworkMarket": "bargaining.models.merger",
    "MergerResult": "bargaining.models.merger",
    "calibrate_market": "bargaining.models.merger",
    "simulate_merger": "bargaining.estimate.merger",
    "fit_merger_model": "bargaining.estimate.merger_estimation",
    "fit_logit_demand": "bargaining.estimate.demand_fit",
    "fit_nested_logit_demand": "bargaining.estimate.demand_fit",
    "simulate_estimated_merger": "bargaining.estimate.merger_inference",
    "EstimatedMerger": "bargaining.estimate.merger_inference",
    "MergerPricingMoments": "bargaining.models.merger.estimation_model",
    "NestedMergerPricingMoments": "bargaining.models.merger.nested_estimation_model",
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
    "compare": "bargaining.estimate.results",
    "TestStatistic": "bargaining.estimate.hypotheses",
    "InvalidTestStatistic": "bargaining.estimate.hypotheses",
    "plot_nash_fit": "bargaining.plots",
    "plot_nash_weights": "bargaining.plots",
    "plot_merger_price_changes": "bargaining.plots",
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
    "CounterfactualComparison": "bargaining.models.mechanism.counterfactuals",
    "MinimumOf": "bargaining.models.mechanism.counterfactuals",
    "MaximumOf": "bargaining.models.mechanism.counterfactuals",
    "merge_suppliers": "bargaining.models.mechanism.counterfactuals",
    "merge_buyers": "bargaining.models.mechanism.counterfactuals",
    "integrate_vertically": "bargaining.models.mechanism.counterfactuals",
    "compare_merger": "bargaining.models.mechanism.counterfactuals",
    "compare_integration": "bargaining.models.mechanism.counterfactuals",
    "equalize_power": "bargaining.models.mechanism.counterfactuals",
    "plot_counterfactual": "bargaining.plots",
    "InvestmentGame": "bargaining.models.mechanism.investment",
    "InvestmentResult": "bargaining.models.mechanism.investment",
    "weights_from_delta": "bargaining.models.conventions",
    "delta_from_weights": "bargaining.models.conventions",
    "IntermediaryGame": "bargaining.models.intermediary",
    "IntermediaryPlay": "bargaining.models.intermediary",
    "intermediary_game": "bargaining.models.intermediary",
    "plot_frontier": "bargaining.plots",
    "plot_trade_regions": "bargaining.plots",
    "plot_k_double_auction_payoffs": "bargaining.plots",
    "plot_transparency": "bargaining.plots",
    "PayTransparency": "bargaining.models.pay_transparency",
    "TransparencyOutcome": "bargaining.models.pay_transparency",
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

if TYPE_CHECKING:  # what the lazy loader provides, visible to type checkers (kept in sync by a test)
    from bargaining.data import (
        list_examples as list_examples,
    )
    from bargaining.data import (
        list_simulators as list_simulators,
    )
    from bargaining.data import (
        load_example as load_example,
    )
    from bargaining.data import (
        read_table as read_table,
    )
    from bargaining.data import (
        simulate as simulate,
    )
    from bargaining.data import (
        validate_agreements as validate_agreements,
    )
    from bargaining.data import (
        validate_negotiations as validate_negotiations,
    )
    from bargaining.data import (
        write_table as write_table,
    )
    from bargaining.errors import (
        AccuracyWarning as AccuracyWarning,
    )
    from bargaining.errors import (
        BargainingError as BargainingError,
    )
    from bargaining.errors import (
        BargainingWarning as BargainingWarning,
    )
    from bargaining.errors import (
        ConvergenceError as ConvergenceError,
    )
    from bargaining.errors import (
        ConvergenceWarning as ConvergenceWarning,
    )
    from bargaining.errors import (
        DataValidationError as DataValidationError,
    )
    from bargaining.errors import (
        DistributionError as DistributionError,
    )
    from bargaining.errors import (
        FewClustersWarning as FewClustersWarning,
    )
    from bargaining.errors import (
        FrontierShapeError as FrontierShapeError,
    )
    from bargaining.errors import (
        GainsFromTradeError as GainsFromTradeError,
    )
    from bargaining.errors import (
        IdentificationError as IdentificationError,
    )
    from bargaining.errors import (
        IdentificationWarning as IdentificationWarning,
    )
    from bargaining.errors import (
        InfeasibleProblemError as InfeasibleProblemError,
    )
    from bargaining.errors import (
        InvalidParameterError as InvalidParameterError,
    )
    from bargaining.errors import (
        InvalidWeightError as InvalidWeightError,
    )
    from bargaining.errors import (
        MissingColumnError as MissingColumnError,
    )
    from bargaining.errors import (
        NonConvexSetError as NonConvexSetError,
    )
    from bargaining.errors import (
        NumericalAccuracyError as NumericalAccuracyError,
    )
    from bargaining.errors import (
        SpecificationWarning as SpecificationWarning,
    )
    from bargaining.errors import (
        SupportError as SupportError,
    )
    from bargaining.errors import (
        UnknownNameError as UnknownNameError,
    )
    from bargaining.estimate.demand_fit import (
        fit_logit_demand as fit_logit_demand,
    )
    from bargaining.estimate.demand_fit import (
        fit_nested_logit_demand as fit_nested_logit_demand,
    )
    from bargaining.estimate.efficiency import (
        EfficiencyReport as EfficiencyReport,
    )
    from bargaining.estimate.efficiency import (
        efficiency_report as efficiency_report,
    )
    from bargaining.estimate.fit_model import (
        fit_model as fit_model,
    )
    from bargaining.estimate.hypotheses import (
        InvalidTestStatistic as InvalidTestStatistic,
    )
    from bargaining.estimate.hypotheses import (
        TestStatistic as TestStatistic,
    )
    from bargaining.estimate.incomplete import (
        IncompleteResults as IncompleteResults,
    )
    from bargaining.estimate.incomplete import (
        fit_incomplete as fit_incomplete,
    )
    from bargaining.estimate.incomplete import (
        fit_type_distribution as fit_type_distribution,
    )
    from bargaining.estimate.merger import (
        simulate_merger as simulate_merger,
    )
    from bargaining.estimate.merger_estimation import (
        fit_merger_model as fit_merger_model,
    )
    from bargaining.estimate.merger_inference import (
        EstimatedMerger as EstimatedMerger,
    )
    from bargaining.estimate.merger_inference import (
        simulate_estimated_merger as simulate_estimated_merger,
    )
    from bargaining.estimate.min_distance import (
        MinDistanceResults as MinDistanceResults,
    )
    from bargaining.estimate.min_distance import (
        fit_incomplete_moments as fit_incomplete_moments,
    )
    from bargaining.estimate.montecarlo import (
        MonteCarloResults as MonteCarloResults,
    )
    from bargaining.estimate.montecarlo import (
        run_monte_carlo as run_monte_carlo,
    )
    from bargaining.estimate.nash_price import (
        demo_fit as demo_fit,
    )
    from bargaining.estimate.nash_price import (
        fit_nash as fit_nash,
    )
    from bargaining.estimate.nash_results import (
        NashResults as NashResults,
    )
    from bargaining.estimate.results import (
        EstimationResults as EstimationResults,
    )
    from bargaining.estimate.results import (
        compare as compare,
    )
    from bargaining.models.bilateral import (
        KDoubleAuction as KDoubleAuction,
    )
    from bargaining.models.bilateral import (
        MyersonSatterthwaite as MyersonSatterthwaite,
    )
    from bargaining.models.bilateral import (
        PostedPrice as PostedPrice,
    )
    from bargaining.models.bilateral import (
        RandomPostedPrice as RandomPostedPrice,
    )
    from bargaining.models.bilateral import (
        delta_from_k as delta_from_k,
    )
    from bargaining.models.bilateral import (
        k_double_auction as k_double_auction,
    )
    from bargaining.models.bilateral import (
        k_from_delta as k_from_delta,
    )
    from bargaining.models.bilateral import (
        myerson_satterthwaite as myerson_satterthwaite,
    )
    from bargaining.models.bilateral import (
        posted_price as posted_price,
    )
    from bargaining.models.bilateral import (
        random_posted_price as random_posted_price,
    )
    from bargaining.models.bilateral import (
        rho_from_delta as rho_from_delta,
    )
    from bargaining.models.bilateral import (
        uniform_trade_threshold as uniform_trade_threshold,
    )
    from bargaining.models.conventions import (
        delta_from_weights as delta_from_weights,
    )
    from bargaining.models.conventions import (
        weights_from_delta as weights_from_delta,
    )
    from bargaining.models.demand import (
        LogitDemand as LogitDemand,
    )
    from bargaining.models.demand import (
        MixedLogitDemand as MixedLogitDemand,
    )
    from bargaining.models.demand import (
        NestedLogitDemand as NestedLogitDemand,
    )
    from bargaining.models.distributions import (
        Beta as Beta,
    )
    from bargaining.models.distributions import (
        Mixture as Mixture,
    )
    from bargaining.models.distributions import (
        TruncatedExponential as TruncatedExponential,
    )
    from bargaining.models.distributions import (
        TruncatedNormal as TruncatedNormal,
    )
    from bargaining.models.distributions import (
        TypeDistribution as TypeDistribution,
    )
    from bargaining.models.distributions import (
        Uniform as Uniform,
    )
    from bargaining.models.intermediary import (
        IntermediaryGame as IntermediaryGame,
    )
    from bargaining.models.intermediary import (
        IntermediaryPlay as IntermediaryPlay,
    )
    from bargaining.models.intermediary import (
        intermediary_game as intermediary_game,
    )
    from bargaining.models.mechanism import (
        BargainingOutcome as BargainingOutcome,
    )
    from bargaining.models.mechanism import (
        Market as Market,
    )
    from bargaining.models.mechanism.counterfactuals import (
        CounterfactualComparison as CounterfactualComparison,
    )
    from bargaining.models.mechanism.counterfactuals import (
        MaximumOf as MaximumOf,
    )
    from bargaining.models.mechanism.counterfactuals import (
        MinimumOf as MinimumOf,
    )
    from bargaining.models.mechanism.counterfactuals import (
        compare_integration as compare_integration,
    )
    from bargaining.models.mechanism.counterfactuals import (
        compare_merger as compare_merger,
    )
    from bargaining.models.mechanism.counterfactuals import (
        equalize_power as equalize_power,
    )
    from bargaining.models.mechanism.counterfactuals import (
        integrate_vertically as integrate_vertically,
    )
    from bargaining.models.mechanism.counterfactuals import (
        merge_buyers as merge_buyers,
    )
    from bargaining.models.mechanism.counterfactuals import (
        merge_suppliers as merge_suppliers,
    )
    from bargaining.models.mechanism.investment import (
        InvestmentGame as InvestmentGame,
    )
    from bargaining.models.mechanism.investment import (
        InvestmentResult as InvestmentResult,
    )
    from bargaining.models.merger import (
        HospitalNetworkMarket as HospitalNetworkMarket,
    )
    from bargaining.models.merger import (
        MergerResult as MergerResult,
    )
    from bargaining.models.merger import (
        NashInNashMarket as NashInNashMarket,
    )
    from bargaining.models.merger import (
        calibrate_market as calibrate_market,
    )
    from bargaining.models.merger.estimation_model import (
        MergerPricingMoments as MergerPricingMoments,
    )
    from bargaining.models.merger.nested_estimation_model import (
        NestedMergerPricingMoments as NestedMergerPricingMoments,
    )
    from bargaining.models.nash import (
        FeasibleSet as FeasibleSet,
    )
    from bargaining.models.nash import (
        Frontier as Frontier,
    )
    from bargaining.models.nash import (
        NashSolution as NashSolution,
    )
    from bargaining.models.nash import (
        Pie as Pie,
    )
    from bargaining.models.nash import (
        nash_solution as nash_solution,
    )
    from bargaining.models.nash_in_nash import (
        HospitalInsurerEquilibrium as HospitalInsurerEquilibrium,
    )
    from bargaining.models.nash_in_nash import (
        HospitalInsurerMarkets as HospitalInsurerMarkets,
    )
    from bargaining.models.nash_in_nash import (
        LinearThreatPoints as LinearThreatPoints,
    )
    from bargaining.models.nash_in_nash import (
        NashInNash as NashInNash,
    )
    from bargaining.models.nash_in_nash import (
        NashInNashEquilibrium as NashInNashEquilibrium,
    )
    from bargaining.models.nash_in_nash import (
        NashInNashPrices as NashInNashPrices,
    )
    from bargaining.models.nash_in_nash import (
        NashTerms as NashTerms,
    )
    from bargaining.models.pay_transparency import (
        PayTransparency as PayTransparency,
    )
    from bargaining.models.pay_transparency import (
        TransparencyOutcome as TransparencyOutcome,
    )
    from bargaining.models.price_rules import (
        PRICE_RULES as PRICE_RULES,
    )
    from bargaining.models.price_rules import (
        PriceMoments as PriceMoments,
    )
    from bargaining.models.price_rules import (
        PriceRule as PriceRule,
    )
    from bargaining.models.price_rules import (
        get_price_rule as get_price_rule,
    )
    from bargaining.models.price_rules import (
        list_price_rules as list_price_rules,
    )
    from bargaining.models.protocols import (
        LikelihoodModel as LikelihoodModel,
    )
    from bargaining.models.protocols import (
        MinimumDistanceModel as MinimumDistanceModel,
    )
    from bargaining.models.protocols import (
        MomentModel as MomentModel,
    )
    from bargaining.models.rubinstein import (
        RubinsteinOutcome as RubinsteinOutcome,
    )
    from bargaining.models.rubinstein import (
        rubinstein as rubinstein,
    )
    from bargaining.models.rubinstein import (
        rubinstein_limit as rubinstein_limit,
    )
    from bargaining.plots import (
        plot_counterfactual as plot_counterfactual,
    )
    from bargaining.plots import (
        plot_frontier as plot_frontier,
    )
    from bargaining.plots import (
        plot_k_double_auction_payoffs as plot_k_double_auction_payoffs,
    )
    from bargaining.plots import (
        plot_merger_price_changes as plot_merger_price_changes,
    )
    from bargaining.plots import (
        plot_nash_fit as plot_nash_fit,
    )
    from bargaining.plots import (
        plot_nash_weights as plot_nash_weights,
    )
    from bargaining.plots import (
        plot_trade_regions as plot_trade_regions,
    )
    from bargaining.plots import (
        plot_transparency as plot_transparency,
    )
    from bargaining.replication import (
        list_studies as list_studies,
    )
    from bargaining.replication import (
        run_study as run_study,
    )
    from bargaining.studies import (
        SampleSizeResults as SampleSizeResults,
    )
    from bargaining.studies import (
        list_monte_carlo_studies as list_monte_carlo_studies,
    )
    from bargaining.studies import (
        run_monte_carlo_study as run_monte_carlo_study,
    )
    from bargaining.studies import (
        sample_size_study as sample_size_study,
    )

__all__ = ["__version__", *sorted(_EXPORTS)]  # noqa: PLE0604 (built from the lazy map; a test checks every name resolves)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'bargaining' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
