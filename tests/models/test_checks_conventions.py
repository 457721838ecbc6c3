"""Shared argument checks (bargaining.models._checks) and the Delta convention (bargaining.models.conventions)."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.errors import InvalidParameterError, InvalidWeightError
from bargaining.models import _checks, conventions
from bargaining.models import mechanism as mechanism_package


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf"), "x", None])
def test_check_weight_rejects_with_the_callers_name(bad: object) -> None:
    with pytest.raises(InvalidWeightError, match=r"buyer_weight .*\[0, 1\]") as info:
        _checks.check_weight(bad, "buyer_weight")
    assert info.value.hint and "buyer_weight" in info.value.hint


def test_check_weight_slack_clips_rounding() -> None:
    assert _checks.check_weight(1 + 1e-13, slack=1e-12) == 1.0
    assert _checks.check_weight(-1e-13, slack=1e-12) == 0.0
    with pytest.raises(InvalidWeightError):
        _checks.check_weight(1 + 1e-13)
    assert _checks.check_weight("0.25", "w") == 0.25


def test_check_in_interval_raises_the_requested_class() -> None:
    with pytest.raises(InvalidParameterError, match=r"x must be in \[-1, 1\], got 2.0") as info:
        _checks.check_in_interval(2, "x", -1.0, 1.0)
    assert not isinstance(info.value, InvalidWeightError)
    assert _checks.check_in_interval(-1, "x", -1.0, 1.0) == -1.0


def test_check_finite_and_positive() -> None:
    assert _checks.check_finite("3", "low") == 3.0
    with pytest.raises(InvalidParameterError, match="low must be finite"):
        _checks.check_finite(float("inf"), "low")
    with pytest.raises(InvalidParameterError, match="low must be a number"):
        _checks.check_finite("a", "low")
    with pytest.raises(InvalidParameterError, match="sd must be positive") as info:
        _checks.check_positive(0, "sd")
    assert "sd" in info.value.hint


def test_conventions_are_the_mechanism_exports() -> None:
    assert mechanism_package.weights_from_delta is conventions.weights_from_delta
    assert mechanism_package.delta_from_weights is conventions.delta_from_weights


@pytest.mark.parametrize("delta", np.linspace(-1, 1, 17))
def test_delta_weights_round_trip(delta: float) -> None:
    w_b, w_s = conventions.weights_from_delta(delta)
    assert max(w_b, w_s) == 1.0 and min(w_b, w_s) >= 0.0
    assert conventions.delta_from_weights(w_b, w_s) == pytest.approx(delta, abs=1e-15)
    # only the ratio of the weights matters
    assert conventions.delta_from_weights(0.5 * w_b, 0.5 * w_s) == pytest.approx(delta, abs=1e-15)


def test_conventions_reject_bad_input() -> None:
    with pytest.raises(InvalidWeightError, match=r"delta .*\[-1, 1\]"):
        conventions.weights_from_delta(1.5)
    with pytest.raises(InvalidWeightError, match="w_S"):
        conventions.delta_from_weights(1.0, 2.0)
    with pytest.raises(InvalidWeightError, match="zero"):
        conventions.delta_from_weights(0.0, 0.0)
