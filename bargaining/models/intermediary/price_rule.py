"""IntermediaryRule: the bilateral intermediary game as a price rule (``get_price_rule("intermediary")``),
with its moments by quadrature for the minimum-distance estimator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bargaining.errors import InvalidParameterError
from bargaining.models.intermediary.game import IntermediaryGame, IntermediaryPlay
from bargaining.models.price_rules import MOMENT_NAMES, PriceMoments, PriceRule

__all__ = ["IntermediaryRule"]


class IntermediaryRule(PriceRule):
    """Price rule of the bilateral intermediary game: the price p the buyer pays the supplier.

    Parameters
    ----------
    value_dist, cost_dist
        Type distributions (default uniform [0, 1]).
    buyer_weight, supplier_weight
        Intermediary preference weights; alternatively ``delta`` (bargaining differential, max weight 1).
    paid
        "supplier" (default): the price received by the supplier; "buyer": price plus the intermediary's fee.
    fee_rule
        "appendix" (default) or "myerson"; see :data:`FEE_RULES`. Only matters for ``paid="buyer"``.
    """

    name = "intermediary"

    def __init__(
        self,
        value_dist: Any = None,
        cost_dist: Any = None,
        buyer_weight: float | None = None,
        supplier_weight: float | None = None,
        *,
        delta: float | None = None,
        paid: str = "supplier",
        fee_rule: str = "appendix",
    ) -> None:
        from bargaining.models.bilateral._common import _default_distributions

        value_dist, cost_dist = _default_distributions(value_dist, cost_dist)
        if delta is not None:
            if buyer_weight is not None or supplier_weight is not None:
                raise InvalidParameterError(
                    "Pass either delta or the two weights, not both.",
                    hint="Use delta=... alone or the weights.",
                )
            from bargaining.models.conventions import weights_from_delta

            buyer_weight, supplier_weight = weights_from_delta(delta)
        buyer_weight = 1.0 if buyer_weight is None else buyer_weight
        supplier_weight = 1.0 if supplier_weight is None else supplier_weight
        if paid not in ("supplier", "buyer"):
            raise InvalidParameterError(
                f"paid={paid!r} is not known.", hint="Use paid='supplier' or paid='buyer'."
            )
        self.paid = paid
        self.game = IntermediaryGame(
            value_dist, [cost_dist], buyer_weight, supplier_weight, fee_rule=fee_rule
        )

    @property
    def params(self) -> dict[str, Any]:
        return {
            "buyer_weight": self.game.buyer_weight,
            "supplier_weight": self.game.supplier_weights[0],
            "paid": self.paid,
            "fee_rule": self.game.fee_rule,
        }

    def _play(self, v: Any, c: Any) -> tuple[IntermediaryPlay, tuple[int, ...]]:
        v_arr, c_arr = np.broadcast_arrays(np.asarray(v, dtype=float), np.asarray(c, dtype=float))
        play = self.game.play(v_arr.ravel(), c_arr.reshape(-1, 1))
        return play, v_arr.shape

    def trades(self, v: Any, c: Any) -> np.ndarray:
        play, shape = self._play(v, c)
        return play.traded.reshape(shape)

    def price(self, v: Any, c: Any) -> np.ndarray:
        play, shape = self._play(v, c)
        total = play.price + (play.fee if self.paid == "buyer" else 0.0)
        return total.reshape(shape)

    def moments(self, value_dist: Any = None, cost_dist: Any = None) -> PriceMoments:
        """Moments by quadrature over v (the price depends on v only) under the rule's own distributions."""
        if value_dist is not None or cost_dist is not None:
            raise InvalidParameterError(
                "The intermediary rule's moments use the distributions it was built with.",
                hint="Build a new rule with get_price_rule('intermediary', value_dist=..., cost_dist=...).",
            )
        if self.paid == "buyer":
            raise InvalidParameterError(
                "Moments are implemented for the supplier's price.", hint="Use paid='supplier' for moments."
            )
        e = self.game.price_moments()
        return PriceMoments(
            e["trade_probability"], e["mean_price"], e["mean_price_squared"], e["accuracy"], "quadrature"
        )

    # -- moment model: Delta, with known distributions (the base class's parameterization) ---------------
    default_moments = MOMENT_NAMES[:3]

    @classmethod
    def cell_moments(
        cls, params: Mapping[str, float], value_dist: Any = None, cost_dist: Any = None
    ) -> np.ndarray:
        """P(trade), mean and variance of the supplier's price by quadrature; no third-moment model."""
        m = cls(value_dist, cost_dist, delta=float(params["Delta"])).moments()
        return np.array([m.trade_probability, m.mean_price, m.price_variance, np.nan])
