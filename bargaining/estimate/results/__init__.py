"""Results objects shared by every estimator of :mod:`bargaining.estimate`: one family.

* :class:`EstimationResults` (:mod:`.base`): estimates, covariance, inference, dropped rows, convergence,
  the specification, test statistics (:mod:`bargaining.estimate.hypotheses`) and :meth:`~EstimationResults.
  wald_test`; estimators subclass it.
* :class:`Summary` (:mod:`.summary`): the printable report, as text, LaTeX (booktabs), HTML and CSV.
* :func:`compare` (:mod:`.compare`): several fits side by side.
"""

from __future__ import annotations

from bargaining.estimate.results.base import EstimationResults, empty_dropped, jsonable, warn_not_converged
from bargaining.estimate.results.compare import ComparisonResults, compare
from bargaining.estimate.results.summary import Summary, format_number, format_pvalue

__all__ = [
    "ComparisonResults",
    "EstimationResults",
    "Summary",
    "compare",
    "empty_dropped",
    "format_number",
    "format_pvalue",
    "jsonable",
    "warn_not_converged",
]
