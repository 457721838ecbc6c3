"""Exception and warning classes of :mod:`bargaining`.

Every error raised on purpose by the package derives from :class:`BargainingError`. Each carries a
``hint`` that tells the user how to fix the input; ``str(error)`` shows the message followed by the hint,
so a command-line user sees both on one line.

Where a built-in exception type is the natural category (``ValueError`` for a bad argument, ``KeyError`` for a
missing column) the package class also derives from it, so ``except ValueError`` in user code keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccuracyWarning",
    "BargainingError",
    "BargainingWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "DistributionError",
    "FewClustersWarning",
    "FrontierShapeError",
    "GainsFromTradeError",
    "IdentificationError",
    "IdentificationWarning",
    "InfeasibleProblemError",
    "InvalidParameterError",
    "InvalidWeightError",
    "MissingColumnError",
    "NonConvexSetError",
    "NumericalAccuracyError",
    "SpecificationWarning",
    "SupportError",
    "UnknownNameError",
]


class BargainingError(Exception):
    """Base class of every error raised on purpose by :mod:`bargaining`.

    Parameters
    ----------
    message
        What was wrong, in terms of the user's input.
    hint
        How to fix it. Appended to the message when the error is printed.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} Hint: {self.hint}"
        return self.message


class InvalidParameterError(BargainingError, ValueError):
    """A scalar or array argument is outside its allowed range or has the wrong shape."""


class InvalidWeightError(InvalidParameterError):
    """A bargaining weight is outside [0, 1] (or all weights are zero)."""


class InfeasibleProblemError(BargainingError, ValueError):
    """No feasible agreement strictly improves on the disagreement point, or a problem has no solution."""


class FrontierShapeError(BargainingError, ValueError):
    """A Pareto frontier is not decreasing or not concave, so the feasible set is not convex."""


class NonConvexSetError(FrontierShapeError):
    """A feasible set given as data is not convex (and lotteries were not allowed)."""


class GainsFromTradeError(BargainingError, ValueError):
    """A pair's agreement does not create gains from trade (Nash-in-Nash assumption), named in the message."""


class DistributionError(BargainingError, ValueError):
    """A type distribution is invalid: bad parameters, a density that vanishes inside the support, ..."""


class SupportError(DistributionError):
    """Supports are empty, unbounded, or do not overlap where the model needs them to."""


class DataValidationError(BargainingError, ValueError):
    """Input data violate the schema. Carries the offending ``column`` and the first offending ``rows``."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        column: str | None = None,
        rows: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.column = column
        self.rows = list(rows) if rows is not None else []


class MissingColumnError(DataValidationError, KeyError):
    """A required column is absent. The hint suggests the closest existing column name."""

    def __str__(self) -> str:  # KeyError would otherwise wrap the message in quotes
        return BargainingError.__str__(self)


class IdentificationError(BargainingError, ValueError):
    """A parameter is not identified by the data (no variation, collinearity, rank failure)."""


class ConvergenceError(BargainingError, RuntimeError):
    """A fixed point, root or optimizer failed to converge; the message says how far it got."""


class NumericalAccuracyError(BargainingError, RuntimeError):
    """A numerical result could not be computed to the requested accuracy."""


class UnknownNameError(BargainingError, KeyError):
    """A named item (simulator, study, distribution, price rule) does not exist; the hint lists the choices."""

    def __str__(self) -> str:
        return BargainingError.__str__(self)


class BargainingWarning(UserWarning):
    """Base class of the package's warnings."""


class ConvergenceWarning(BargainingWarning):
    """An optimizer stopped before converging; the result is flagged ``converged=False``."""


class AccuracyWarning(BargainingWarning):
    """A numerical result is less accurate than requested; the reached accuracy is in the result."""


class IdentificationWarning(BargainingWarning):
    """Weak identification (e.g. a small first-stage F statistic)."""


class FewClustersWarning(IdentificationWarning):
    """Clustered inference with few clusters: the small-sample correction and t(G - 1) help, but intervals
    can still undercover; consider the cluster bootstrap and report the number of clusters."""


class SpecificationWarning(BargainingWarning):
    """A specification check rejects (goodness of fit, assumed distributions) or the data look mis-entered
    (e.g. value and cost columns swapped); the estimates are computed but the model may not describe the data."""
