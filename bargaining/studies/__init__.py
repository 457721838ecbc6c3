r"""Named Monte Carlo studies: one package simulator + one package estimator + the simulator's truth.

Every estimator of the package has a study here; :func:`run_study` runs one through
:func:`bargaining.estimate.montecarlo.run_monte_carlo`, and :func:`sample_size_study` runs studies at growing
sample sizes N and checks that the RMSE falls like N^{-1/2} (log-log slope -1/2).

Modules: :mod:`~bargaining.studies.study` (the :class:`Study` record), :mod:`~bargaining.studies.nash` and
:mod:`~bargaining.studies.incomplete` (the designs), :mod:`~bargaining.studies.registry` (names, running),
:mod:`~bargaining.studies.sample_size` (RMSE against N) and :mod:`~bargaining.studies.recorded` (the recorded
full runs, package data in ``bargaining/studies/recorded/``, which ``bargaining replicate`` compares with).

Complete-information studies use the ``hospital-insurer`` simulator (Nash-in-Nash prices, 5 hospitals x 5
insurers = 25 agreements per market; a study's N counts agreements, so N must be a multiple of 25) and
:func:`~bargaining.estimate.nash_price.fit_nash`:

==================================== ===================================================================
nash-{constant,grouped,logistic}-    beta constant, one per insurer, or logistic in (insurer_size,
observed                             hospital_quality); the seller's cost C is observed
nash-{constant,grouped,logistic}-    the same with C unobserved: C = r + gamma_0 + z'gamma + omega, fitted
formula                              with ``cost_formula="~ 1 + z1 + z2"`` (parameters gamma[...]) and
                                     V - r instrumented by ``wtp_drop``
nash-constant-formula-ols            the same without the instrument: shows the endogeneity bias
==================================== ===================================================================

Why an instrument with an unobserved cost: the cost shock omega is then in the error term, and in the
Nash-in-Nash design the buyer's value V_hi includes the other hospitals' equilibrium prices, which respond to
omega_hi; so cov(V, omega) > 0 and OLS overstates beta (by about 8 Monte Carlo standard errors at N = 1000,
R = 1000, though only ~0.1% of beta). The insurer's willingness to pay per patient ``wtp_drop`` moves V but
not omega.

Incomplete-information studies use the ``negotiations`` simulator (bilateral Loertscher-Marx negotiations,
v, c ~ U[0, 1], Delta = 0.3; N = negotiations):

=========================== ===========================================================================
incomplete-likelihood       :func:`~bargaining.estimate.incomplete.fit_incomplete` (Delta, sigma) with F,
                            G known; trades redrawn with logit noise sigma = 0.05 (:func:`logit_trades`)
incomplete-min-distance     :func:`~bargaining.estimate.min_distance.fit_incomplete_moments`, k-double
                            auction prices, common uniform support estimated (Delta, low, high)
=========================== ===========================================================================

Merger-model studies use the ``bargaining-markets`` simulator (logit markets, 4 products, Nash-in-Nash prices
bargained with consumers; N = products, a multiple of 4) and
:func:`~bargaining.estimate.merger_estimation.fit_merger_model` (alpha given, nonlinear 2SLS):

=========================== ===========================================================================
merger-constant-weight      one seller weight 0.5 and gamma (Intercept, z1, z2)
merger-grouped-weight       one weight per seller (A 0.3, B 0.5, C 0.8) and gamma
merger-covariate-weight     weights logistic(delta_0 + delta_w w) by a covariate w (0, 0.8) and gamma
                            (``weight_formula="~ 1 + w"``)
merger-effect-constant      one weight 0.5, logit demand estimated jointly (``demand="~ 1 + x"``), and the
                            relative price change of P4 when seller C joins A in a fixed extra market
                            (:func:`~bargaining.studies.merger.fit_merger_with_effect`, delta method)
merger-effect-grouped       the same with one weight per seller (A 0.3, B 0.5, C 0.8)
=========================== ===========================================================================

The truth of a study comes from the simulator's own ``Simulation.truth`` (read from one small simulated data
set), mapped onto the estimator's parameter names.
"""

from __future__ import annotations

from bargaining.studies.incomplete import fit_incomplete_known_uniform, logit_trade_probability, logit_trades
from bargaining.studies.recorded import (
    compare_with_recorded,
    load_recorded,
    record_study,
    recorded_folder,
    recorded_root,
)
from bargaining.studies.registry import (
    STUDIES,
    get_study,
    list_monte_carlo_studies,
    list_studies,
    run_monte_carlo_study,
    run_study,
)
from bargaining.studies.sample_size import SAMPLE_SIZES, SampleSizeResults, sample_size_study
from bargaining.studies.study import Study

__all__ = [
    "SAMPLE_SIZES",
    "STUDIES",
    "SampleSizeResults",
    "Study",
    "compare_with_recorded",
    "fit_incomplete_known_uniform",
    "get_study",
    "list_monte_carlo_studies",
    "list_studies",
    "load_recorded",
    "logit_trade_probability",
    "logit_trades",
    "record_study",
    "recorded_folder",
    "recorded_root",
    "run_monte_carlo_study",
    "run_study",
    "sample_size_study",
]
