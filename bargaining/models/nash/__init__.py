"""The generalized Nash bargaining solution (moved from ``bargaining/models/nash.py``; split next commit)."""

from bargaining.models.nash.frontier import *
from bargaining.models.nash.frontier import __all__ as __all__
