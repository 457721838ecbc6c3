"""Design matrices from formulas (formulaic) and identification checks shared by the price estimators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, IdentificationError, InvalidParameterError
from bargaining.estimate.engines.covariance import cross_product

__all__ = [
    "check_full_rank",
    "formula_variables",
    "group_dummies",
    "model_matrix",
    "scaled_condition_number",
]

# Columns of a design whose scaled condition number exceeds this are treated as collinear: beyond 1e10 the
# least-squares solution loses all significant digits of the weakest direction in double precision.
CONDITION_LIMIT = 1e10


def _check_rhs_only(formula: str, what: str) -> str:
    text = formula.strip()
    if "~" not in text:
        text = "~ " + text
    if text.split("~", 1)[0].strip():
        raise InvalidParameterError(
            f"the {what} {formula!r} has a left-hand side",
            hint=f'write only the right-hand side, e.g. "~ 1 + z" (the {what} explains, it is not explained)',
        )
    return text


def formula_variables(formula: str | None, *, what: str = "formula") -> list[str]:
    """Names of the data columns a right-hand-side formula uses (sorted)."""
    if formula is None:
        return []
    import formulaic

    text = _check_rhs_only(formula, what)
    try:
        variables = formulaic.Formula(text).required_variables
    except Exception as error:  # formulaic raises several parser exception types
        raise InvalidParameterError(
            f"cannot parse the {what} {formula!r}: {error}",
            hint='use formulaic syntax, e.g. "~ 1 + z + C(g)"',
        ) from error
    return sorted(str(v) for v in variables if str(v) not in {"np", "numpy"})


def model_matrix(formula: str, data: pd.DataFrame, *, what: str = "formula") -> tuple[np.ndarray, list[str]]:
    """Evaluate a right-hand-side formula on ``data``; returns (float array (n, k), column names).

    Names are formulaic's (``Intercept``, ``z``, ``C(g)[T.b]``). Missing values raise a
    :class:`DataValidationError` (rows are never dropped silently here; validation drops and reports them).
    """
    import formulaic

    text = _check_rhs_only(formula, what)
    missing = [v for v in formula_variables(text, what=what) if v not in data.columns]
    if missing:
        from bargaining.errors import MissingColumnError

        raise MissingColumnError(
            f"the {what} {formula!r} uses column(s) {missing} that the data do not have",
            hint=f"available columns: {list(map(str, data.columns))}",
            column=missing[0],
        )
    try:
        matrix = formulaic.model_matrix(text, data, na_action="raise")
    except ValueError as error:
        raise DataValidationError(
            f"cannot evaluate the {what} {formula!r}: {error}",
            hint="remove or fill missing values (or pass drop_invalid=True to drop and report those rows)",
        ) from error
    names = [str(c) for c in matrix.columns]
    values = np.asarray(matrix, dtype=float)
    if values.shape[1] == 0:
        raise InvalidParameterError(f"the {what} {formula!r} has no columns", hint='e.g. "~ 1 + z"')
    if not np.all(np.isfinite(values)):
        bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
        raise DataValidationError(
            f"the {what} {formula!r} evaluates to NaN or infinite values in {bad.size} row(s)",
            hint="check transformations such as log of non-positive numbers",
            rows=list(data.index[bad[:10]]),
        )
    return values, names


def group_dummies(groups: pd.Series) -> tuple[np.ndarray, list[str]]:
    """One indicator column per distinct value of ``groups`` (sorted), and the group labels as strings."""
    codes, labels = pd.factorize(groups, sort=True)
    if np.any(codes < 0):
        raise DataValidationError(
            f"the group column {groups.name!r} has missing values",
            hint="fill them or pass drop_invalid=True",
            column=str(groups.name),
        )
    dummies = np.zeros((len(groups), len(labels)))
    dummies[np.arange(len(groups)), codes] = 1.0
    return dummies, [str(label) for label in labels]


def scaled_condition_number(design: np.ndarray) -> float:
    """2-norm condition number of ``design`` after scaling every column to unit length.

    Scaling removes the units of the columns, so the number measures collinearity only (Belsley, Kuh and
    Welsch). A column of zeros gives ``inf``.
    """
    norms = np.linalg.norm(design, axis=0)
    if np.any(norms == 0):
        return float("inf")
    singular = np.linalg.svd(np.linalg.qr(design / norms, mode="r"), compute_uv=False)
    return float(singular[0] / singular[-1]) if singular[-1] > 0 else float("inf")


GRAM_CONDITION_LIMIT = 1e3  # below this, the Gram matrix gives the scaled condition number to ~1e-10


def _gram_condition(gram: np.ndarray) -> float | None:
    r"""The scaled condition number from the k x k Gram matrix X'X when the design is well conditioned, else None.

    The squared singular values of :math:`X D^{-1}` (D the column norms) are the eigenvalues of
    :math:`D^{-1} X'X D^{-1}`: one pass over the data and no copy, where the QR route copies the scaled
    design. Squaring the condition number costs accuracy (relative error about :math:`\epsilon\,\kappa^2`),
    so above :data:`GRAM_CONDITION_LIMIT` (and for the rank decision near ``CONDITION_LIMIT``) the caller
    uses the QR factor instead. One column: exactly 1.
    """
    if not np.all(np.isfinite(gram)):
        return None
    if gram.shape[0] == 1:
        return 1.0
    norms = np.sqrt(np.diag(gram))
    scaled = gram / np.outer(norms, norms)
    eigen = np.linalg.eigvalsh((scaled + scaled.T) / 2.0)
    if not np.all(np.isfinite(eigen)) or eigen[0] <= 0:
        return None
    condition = float(np.sqrt(eigen[-1] / eigen[0]))
    return condition if condition < GRAM_CONDITION_LIMIT else None


def check_full_rank(design: np.ndarray, names: Sequence[str], *, what: str, hint: str) -> float:
    """Raise :class:`IdentificationError` naming the collinear columns when ``design`` is rank deficient.

    Returns the scaled condition number. A design is rejected when a column is all zero or the scaled
    condition number exceeds 1e10.
    """
    names = list(names)
    gram = cross_product(design)  # k x k, one pass over the data
    zero = [names[i] for i in np.flatnonzero(np.diag(gram) == 0)]
    if zero:
        raise IdentificationError(f"{what}: column(s) {zero} are identically zero", hint=hint)
    condition = _gram_condition(gram) if design.shape[0] >= design.shape[1] else None
    if condition is not None:
        return condition
    # the singular values and right vectors of the n x k design are those of its k x k QR factor
    norms = np.linalg.norm(design, axis=0)
    triangular = np.linalg.qr(design / norms, mode="r")
    _, singular, vt = np.linalg.svd(triangular)
    condition = float(singular[0] / singular[-1]) if singular[-1] > 0 else float("inf")
    if condition > CONDITION_LIMIT or design.shape[0] < design.shape[1]:
        null = np.abs(vt[-1])
        involved = [names[i] for i in np.flatnonzero(null > 1e-3 * null.max())]
        raise IdentificationError(
            f"{what}: columns {involved} are collinear (scaled condition number {condition:.3g}, "
            f"{design.shape[0]} rows)",
            hint=hint,
        )
    return condition
