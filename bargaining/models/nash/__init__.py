r"""The generalized (asymmetric) Nash bargaining solution.

Given a convex feasible set :math:`U \subset \mathbb{R}^2` of payoff pairs, a disagreement point
:math:`d = (d_1, d_2)` and player 1's bargaining weight :math:`\beta \in [0, 1]`, the solution is

.. math::

    f_\beta(U, d) = \arg\max_{u \in U,\ u \ge d} (u_1 - d_1)^{\beta} (u_2 - d_2)^{1 - \beta}.

The set is given by its Pareto frontier, in one of three forms:

* :class:`Pie` -- transferable utility, :math:`u_1 + u_2 \le S`; closed form
  :math:`u_1 = d_1 + \beta (S - d_1 - d_2)`.
* :class:`Frontier` -- :math:`u_2 \le \varphi(u_1)` for :math:`u_1 \in [\underline u, \overline u]` with
  :math:`\varphi` decreasing and concave; solved by a bracketed root search on the first-order condition.
* :class:`FeasibleSet` -- the convex hull of finitely many payoff pairs (lotteries over them are allowed); the
  frontier is piecewise linear and the solution is found exactly, segment by segment.

On a frontier the first-order condition, multiplied by :math:`(u_1 - d_1)(\varphi(u_1) - d_2) > 0`, reads

.. math::

    H(u_1) = \beta\,(\varphi(u_1) - d_2) + (1 - \beta)\,(u_1 - d_1)\,\varphi'(u_1) = 0,

and :math:`H` is decreasing when :math:`\varphi` is decreasing and concave, so the root is unique and can be
bracketed. On a line segment of slope :math:`s < 0` meeting :math:`u_2 = d_2` at :math:`u_1 = X`, the root is
:math:`u_1 = d_1 + \beta (X - d_1)`: each segment behaves like a pie.

Weights 0 and 1 are the limits of the interior solutions: with :math:`\beta = 1` player 1 gets the largest payoff
compatible with player 2 getting at least :math:`d_2`, and player 2 the largest payoff compatible with that
(:math:`d_2` itself when the frontier reaches down to :math:`d_2`); :math:`\beta = 0` is the mirror image.

Modules, one idea each:

* :mod:`.solution`: :func:`nash_solution`, the entry point (checks the weight and the disagreement point and
  hands the problem to its feasible set).
* :mod:`.pie`: :class:`Pie`, transferable utility, closed form.
* :mod:`.frontier`: :class:`Frontier`, a concave decreasing frontier, bracketed root search.
* :mod:`.feasible_set`: :class:`FeasibleSet`, the convex hull of finitely many points, exact segment by segment.
* :mod:`.result`: :class:`NashSolution`, what every solve returns, and the helpers that build it.
"""

from __future__ import annotations

from bargaining.models.nash.feasible_set import FeasibleSet
from bargaining.models.nash.frontier import Frontier
from bargaining.models.nash.pie import Pie
from bargaining.models.nash.result import TARGET_TOLERANCE as TARGET_TOLERANCE
from bargaining.models.nash.result import NashSolution
from bargaining.models.nash.solution import nash_solution

__all__ = ["FeasibleSet", "Frontier", "NashSolution", "Pie", "nash_solution"]
