"""Type distributions on a compact support, weighted virtual types and their ironing.

A buyer's value v has distribution F and density f on [low, high]; a supplier's cost c has G and g. With a
weight ratio a = w / rho in [0, 1] (Loertscher and Marx, 2022) the weighted virtual value and virtual cost are

    Phi_a(v)   = v - (1 - a) (1 - F(v)) / f(v),
    Gamma_a(c) = c + (1 - a) G(c) / g(c).

a = 0 gives Myerson's virtual types, a = 1 the types themselves. When a weighted virtual type is not
non-decreasing, :mod:`bargaining.models.ironing` irons it on the quantile scale, separately for every a (ironing
the unweighted type and then mixing would be wrong). ``virtual_value`` and ``virtual_cost`` return the ironed
types; ``raw_virtual_value`` and ``raw_virtual_cost`` the formulas above.

Every distribution here is the restriction of a continuous distribution to [low, high], renormalised. Its
density must be positive inside the support (it may vanish at an end, as Beta(2, 2) does at 0 and 1); this is
checked on construction on a grid of 2,001 interior points plus the midpoints between breakpoints.

Accuracy: cdf, pdf and virtual types are closed forms of scipy's distribution functions, computed on the side
(lower or upper tail) that avoids cancellation. Ironing intervals are found on a grid of about 2,000 types and
refined by root finding to ~1e-13 of the support length; generalized inverses use Chandrupatla's bracketed
method (``scipy.optimize.elementwise.find_root``) to 1e-13 of the support length.

Modules, one idea each:

* :mod:`.base`: :class:`TypeDistribution`, a scipy distribution restricted to [low, high]: distribution
  functions, weighted virtual types, their ironing and generalized inverses.
* :mod:`.families`: the parametric families with closed-form primitives: :class:`Uniform`, :class:`Beta`,
  :class:`TruncatedNormal`, :class:`TruncatedExponential`.
* :mod:`.mixture`: :class:`Mixture`, a finite mixture of type distributions.
"""

from __future__ import annotations

from bargaining.models.distributions.base import TypeDistribution
from bargaining.models.distributions.families import Beta, TruncatedExponential, TruncatedNormal, Uniform
from bargaining.models.distributions.mixture import Mixture

__all__ = [
    "Beta",
    "Mixture",
    "TruncatedExponential",
    "TruncatedNormal",
    "TypeDistribution",
    "Uniform",
]
