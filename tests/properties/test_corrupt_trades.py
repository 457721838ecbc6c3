"""fit_incomplete and fit_incomplete_moments on corrupted trade data (swapped columns, out-of-support values,
bad trade flags, ...): a checked result or one of our errors with a hint, nothing else."""

from __future__ import annotations

from hypothesis import given, settings

from bargaining import fit_incomplete, fit_incomplete_moments
from tests.properties._profile import PROFILE
from tests.properties.strategies import check_outcome, incomplete_inputs, moments_inputs


@settings(PROFILE)
@given(incomplete_inputs())
def test_fit_incomplete_on_corrupted_trades(case):
    frame, kwargs = case
    check_outcome(lambda: fit_incomplete(frame, **kwargs))


@settings(PROFILE)
@given(moments_inputs())
def test_fit_incomplete_moments_on_corrupted_trades(case):
    frame, kwargs = case
    check_outcome(lambda: fit_incomplete_moments(frame, **kwargs))
