"""Type distributions (moved from ``bargaining/models/distributions.py``; split into modules in the next commit)."""

from bargaining.models.distributions.base import *
from bargaining.models.distributions.base import __all__ as __all__
