"""Bilateral trade (moved from ``bargaining/models/bilateral.py``; split into modules in the next commit)."""

from bargaining.models.bilateral.posted_prices import *
from bargaining.models.bilateral.posted_prices import __all__ as __all__
from bargaining.models.bilateral.posted_prices import (
    _breakpoints as _breakpoints,
)
from bargaining.models.bilateral.posted_prices import (
    _check_price as _check_price,
)
from bargaining.models.bilateral.posted_prices import (
    _check_types as _check_types,
)
from bargaining.models.bilateral.posted_prices import (
    _default_distributions as _default_distributions,
)
from bargaining.models.bilateral.posted_prices import (
    _quad as _quad,
)
