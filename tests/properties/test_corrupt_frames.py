"""fit_nash on corrupted agreement frames: a checked result or one of our errors with a hint, nothing else."""

from __future__ import annotations

from hypothesis import given, settings

from bargaining import fit_nash
from tests.properties._profile import PROFILE
from tests.properties.strategies import check_outcome, nash_inputs


@settings(PROFILE)
@given(nash_inputs())
def test_fit_nash_on_corrupted_frames(case):
    frame, spec = case
    check_outcome(lambda: fit_nash(frame, price="price", buyer_value="buyer_value", **spec))
