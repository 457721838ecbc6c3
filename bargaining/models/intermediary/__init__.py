"""The fee-setting intermediary game (Loertscher-Marx online appendix D.3, Proposition 10).

Modules, one idea each:

* :mod:`.game`: :class:`IntermediaryGame` (strategies, play, expected outcomes by quadrature or simulation),
  :class:`IntermediaryPlay`, :func:`intermediary_game`, :data:`FEE_RULES`; its docstring describes the game.
* :mod:`.price_rule`: :class:`IntermediaryRule`, the game as a price rule of :mod:`bargaining.models.price_rules`
  (``get_price_rule("intermediary")``), with its moments for the minimum-distance estimator.
"""

from __future__ import annotations

from bargaining.models.intermediary.game import (
    FEE_RULES,
    IntermediaryGame,
    IntermediaryPlay,
    intermediary_game,
)
from bargaining.models.intermediary.price_rule import IntermediaryRule

__all__ = ["FEE_RULES", "IntermediaryGame", "IntermediaryPlay", "IntermediaryRule", "intermediary_game"]
