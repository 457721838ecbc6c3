"""The fee-setting intermediary game (moved from ``bargaining/models/intermediary.py``; split next commit)."""

from bargaining.models.intermediary.game import *
from bargaining.models.intermediary.game import __all__ as __all__
