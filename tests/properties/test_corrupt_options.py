"""Inference options of the estimators (cov_type, cluster, bootstrap, bootstrap_kind, seed, n_jobs, ...), valid or
corrupted, on small valid data: a checked result or one of our errors with a hint, nothing else."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from bargaining import fit_incomplete, fit_incomplete_moments, fit_nash
from tests.properties._profile import PROFILE
from tests.properties.strategies import WIDE, agreements_base, check_outcome, negotiations_base, options


@functools.cache
def _agreements():
    return agreements_base().iloc[:40].reset_index(drop=True)


@functools.cache
def _negotiations():
    return negotiations_base().iloc[:150].reset_index(drop=True)


@settings(PROFILE)
@given(options(["market", "system", "insurer"]))
def test_fit_nash_options(opts):
    check_outcome(lambda: fit_nash(_agreements(), price="price", buyer_value="buyer_value",
                                   seller_cost="seller_cost", **opts))


@settings(PROFILE)
@given(st.sampled_from(["likelihood", "moments"]), options(["group", "traded"]))
def test_fit_incomplete_options(which, opts):
    if which == "likelihood":
        check_outcome(lambda: fit_incomplete(_negotiations(), traded="traded", value="value_proxy",
                                             cost="cost_proxy", value_bounds=WIDE, cost_bounds=WIDE, **opts))
    else:
        check_outcome(lambda: fit_incomplete_moments(_negotiations(), traded="traded", price="price",
                                                     price_rule="k-double-auction", **opts))
