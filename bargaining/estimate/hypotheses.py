"""Test statistics as typed objects, and Wald tests of linear restrictions.

Every test a result reports is a :class:`TestStatistic`: its name, the statistic, the p-value, the reference
distribution written out (``"chi2(2)"``, ``"F(2, 100)"``), the degrees of freedom and the null hypothesis in
words. A test that cannot be computed for a fit (just-identified model, singular covariance, ...) is an
:class:`InvalidTestStatistic` carrying the reason, with statistic and p-value NaN, so a report never has to
guess what a missing entry means.

Builders
--------
* :func:`chi2_test` and :func:`f_test` wrap a statistic computed elsewhere (p-value from the upper tail).
* :func:`wald_test` computes W = (R theta-hat - q)' (R V-hat R')^{-1} (R theta-hat - q), chi-square with
  rank(R) degrees of freedom under H0: R theta = q (or W / rank(R), F(rank(R), df_denom) when ``df_denom``
  is given).
* :func:`linear_restrictions` turns text such as ``"beta = 0.5"`` or ``"beta[north] - beta[south] = 0"``
  into (R, q) on a list of parameter names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bargaining.errors import InvalidParameterError

__all__ = [
    "InvalidTestStatistic",
    "TestStatistic",
    "chi2_test",
    "f_test",
    "linear_restrictions",
    "restriction_text",
    "wald_test",
]


def _df_text(value: float) -> str:
    return f"{value:g}"


class TestStatistic:
    """A test statistic with its p-value, reference distribution and null hypothesis.

    Parameters
    ----------
    name
        Short name of the test (e.g. ``"Wald"``, ``"Hansen J"``, ``"First-stage F (V)"``).
    statistic
        Value of the statistic.
    pvalue
        Its p-value under the null.
    distribution
        The reference distribution as text, e.g. ``"chi2(1)"`` or ``"F(2, 100)"``.
    df
        Degrees of freedom (the numerator's for an F test); None if the distribution has none.
    null
        The null hypothesis in words or as an equation (e.g. ``"beta = 0.5"``).
    df_denom
        Denominator degrees of freedom of an F test.

    Notes
    -----
    Build chi-square and F tests with :func:`chi2_test`, :func:`f_test` or :func:`wald_test`, which compute
    the p-value and the distribution text consistently.

    Examples
    --------
    >>> test = TestStatistic("Wald", 4.0, 0.0455, distribution="chi2(1)", df=1, null="beta = 0.5")
    >>> test.statistic, test.pvalue
    (4.0, 0.0455)
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        name: str,
        statistic: float,
        pvalue: float,
        *,
        distribution: str,
        df: float | None,
        null: str,
        df_denom: float | None = None,
    ) -> None:
        self._name = str(name)
        self._statistic = float(statistic)
        self._pvalue = float(pvalue)
        self._distribution = str(distribution)
        self._df = None if df is None else float(df)
        self._df_denom = None if df_denom is None else float(df_denom)
        self._null = str(null)

    @property
    def name(self) -> str:
        """Name of the test."""
        return self._name

    @property
    def statistic(self) -> float:
        """Value of the statistic."""
        return self._statistic

    @property
    def pvalue(self) -> float:
        """p-value under the null."""
        return self._pvalue

    @property
    def distribution(self) -> str:
        """Reference distribution as text (``"chi2(2)"``, ``"F(2, 100)"``)."""
        return self._distribution

    @property
    def df(self) -> float | None:
        """Degrees of freedom (numerator for F)."""
        return self._df

    @property
    def df_denom(self) -> float | None:
        """Denominator degrees of freedom of an F test, else None."""
        return self._df_denom

    @property
    def null(self) -> str:
        """Null hypothesis."""
        return self._null

    @property
    def valid(self) -> bool:
        """True for a computed test (False for :class:`InvalidTestStatistic`)."""
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``name``, ``statistic``, ``pvalue``, ``distribution``, ``df``, ``df_denom``,
        ``null``, ``valid`` (NaN becomes None)."""
        out = {
            "name": self._name,
            "statistic": self._statistic if math.isfinite(self._statistic) else None,
            "pvalue": self._pvalue if math.isfinite(self._pvalue) else None,
            "distribution": self._distribution,
            "df": self._df,
            "df_denom": self._df_denom,
            "null": self._null,
            "valid": self.valid,
        }
        return out

    def __str__(self) -> str:
        return "\n".join(
            [
                self._name,
                f"H0: {self._null}",
                f"Statistic: {self._statistic:.4f}",
                f"P-value: {self._pvalue:.4f}",
                f"Distributed: {self._distribution}",
            ]
        )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._name}: {self._distribution} = {self._statistic:.4g}, "
            f"p = {self._pvalue:.4f}>"
        )


class InvalidTestStatistic(TestStatistic):
    """A test that could not be computed for this fit; statistic and p-value are NaN.

    Parameters
    ----------
    reason
        Why the test is not available (e.g. ``"the model is just identified"``).
    name
        Name of the test.
    null
        Its null hypothesis, if known.

    Examples
    --------
    A minimum-distance fit with diagonal weights has no valid J test (the J statistic is chi-square only
    under efficient weights), so the fit reports why instead of a p-value:

    >>> df = load_example("negotiations")
    >>> res = fit_incomplete_moments(df[df.group == "g1"], traded="traded", price="price",
    ...                              price_rule="k-double-auction", weighting="diagonal")
    >>> test = res.tests["J"]
    >>> test.valid, test.reason, test.pvalue
    (False, 'diagonal weighting is not efficient', nan)
    >>> print(test)
    J (over-identification)
    Invalid test statistic
    Reason: diagonal weighting is not efficient

    With the (default) optimal weights the test is available:

    >>> optimal = fit_incomplete_moments(df[df.group == "g1"], traded="traded", price="price",
    ...                                  price_rule="k-double-auction")
    >>> {name: round(t.pvalue, 3) for name, t in optimal.tests.items() if t.valid}
    {'J': 0.599}
    """

    def __init__(self, reason: str, *, name: str, null: str = "") -> None:
        super().__init__(name, math.nan, math.nan, distribution="none", df=None, null=null)
        self._reason = str(reason)

    @property
    def reason(self) -> str:
        """Why the test is not available."""
        return self._reason

    @property
    def valid(self) -> bool:
        """Always False."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`TestStatistic.to_dict`, plus ``reason``."""
        out = super().to_dict()
        out["reason"] = self._reason
        return out

    def __str__(self) -> str:
        lines = [self._name, "Invalid test statistic", f"Reason: {self._reason}"]
        if self._null:
            lines.insert(1, f"H0: {self._null}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}: {self._reason}>"


def chi2_test(statistic: float, df: float, *, name: str, null: str) -> TestStatistic:
    """A chi-square test: p-value = P(chi2(df) > statistic).

    Parameters
    ----------
    statistic
        The statistic (NaN gives an :class:`InvalidTestStatistic`).
    df
        Degrees of freedom (positive).
    name, null
        Name of the test and its null hypothesis.
    """
    statistic = float(statistic)
    if not math.isfinite(statistic) or not df > 0:
        return InvalidTestStatistic(
            f"the statistic ({statistic}) or its degrees of freedom ({df}) is not usable",
            name=name,
            null=null,
        )
    pvalue = float(stats.chi2.sf(statistic, df))
    return TestStatistic(name, statistic, pvalue, distribution=f"chi2({_df_text(df)})", df=df, null=null)


def f_test(statistic: float, df_num: float, df_denom: float, *, name: str, null: str) -> TestStatistic:
    """An F test: p-value = P(F(df_num, df_denom) > statistic).

    Parameters
    ----------
    statistic
        The statistic (NaN gives an :class:`InvalidTestStatistic`).
    df_num, df_denom
        Numerator and denominator degrees of freedom (positive).
    name, null
        Name of the test and its null hypothesis.
    """
    statistic = float(statistic)
    if not math.isfinite(statistic) or not df_num > 0 or not df_denom > 0:
        return InvalidTestStatistic(
            f"the statistic ({statistic}) or its degrees of freedom ({df_num}, {df_denom}) is not usable",
            name=name,
            null=null,
        )
    pvalue = float(stats.f.sf(statistic, df_num, df_denom))
    return TestStatistic(
        name,
        statistic,
        pvalue,
        distribution=f"F({_df_text(df_num)}, {_df_text(df_denom)})",
        df=df_num,
        df_denom=df_denom,
        null=null,
    )


# ------------------------------------------------------------------------------ linear restrictions
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _tokenize(text: str, names: Sequence[str]) -> list[tuple[str, Any]]:
    """Tokens ("name", index), ("num", value), ("op", char); names matched longest first."""
    ordered = sorted(range(len(names)), key=lambda i: -len(names[i]))
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        for i in ordered:
            name = names[i]
            if name and text.startswith(name, pos):
                end = pos + len(name)
                # a name must not continue into a longer identifier (e.g. "b" inside "beta2")
                if (
                    not (name[-1].isalnum() or name[-1] == "_")
                    or end == len(text)
                    or not (text[end].isalnum() or text[end] == "_")
                ):
                    tokens.append(("name", i))
                    pos = end
                    break
        else:
            number = _NUMBER.match(text, pos)
            if number and not (pos > 0 and (text[pos - 1].isalpha() or text[pos - 1] == "_")):
                tokens.append(("num", float(number.group(0))))
                pos = number.end()
            elif char in "+-*=;":
                tokens.append(("op", char))
                pos += 1
            else:
                raise InvalidParameterError(
                    f"cannot read the restriction {text!r} at {text[pos : pos + 20]!r}",
                    hint=f"write linear equations in the parameter names {list(names)}, e.g. "
                    f"'{names[0] if names else 'beta'} = 0.5'; separate several with ';'",
                )
    return tokens


def _linear_side(tokens: list[tuple[str, Any]], n: int, text: str) -> tuple[np.ndarray, float]:
    """Coefficients on the parameters and the constant of one side of an equation."""
    coef = np.zeros(n)
    const = 0.0
    i = 0
    if not tokens:
        raise InvalidParameterError(f"empty side in the restriction {text!r}", hint="e.g. 'beta = 0.5'")
    while i < len(tokens):
        sign = 1.0
        while i < len(tokens) and tokens[i] in (("op", "+"), ("op", "-")):
            sign *= -1.0 if tokens[i][1] == "-" else 1.0
            i += 1
        factor, which = sign, None
        expect_operand = True
        while i < len(tokens) and expect_operand:
            kind, value = tokens[i]
            if kind == "num":
                factor *= value
            elif kind == "name" and which is None:
                which = value
            else:
                raise InvalidParameterError(
                    f"the restriction {text!r} is not linear in the parameters",
                    hint="use sums of number * parameter terms, e.g. '2 * a - b = 1'",
                )
            i += 1
            if i < len(tokens) and tokens[i] == ("op", "*"):
                i += 1
            else:
                expect_operand = False
        if expect_operand:
            raise InvalidParameterError(
                f"the restriction {text!r} ends with an operator", hint="e.g. 'a = 1'"
            )
        if which is None:
            const += factor
        else:
            coef[which] += factor
        if i < len(tokens) and tokens[i][0] != "op":
            raise InvalidParameterError(
                f"missing operator in the restriction {text!r}", hint="write '2 * a', not '2 a'"
            )
    return coef, const


def linear_restrictions(formula: str | Sequence[str], names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(R, q) of linear restrictions written as equations in the parameter names.

    Parameters
    ----------
    formula
        One equation (``"beta = 0.5"``, ``"2 * a - b = 1"``, ``"gamma[z]"`` meaning ``gamma[z] = 0``), several
        separated by ``;``, or a list of them.
    names
        The parameter names, in the order of the columns of R.

    Returns
    -------
    restriction, value
        R (one row per equation) and q, so the null is R theta = q.
    """
    names = [str(name) for name in names]
    equations = [formula] if isinstance(formula, str) else list(formula)
    parts = [piece for equation in equations for piece in str(equation).split(";") if piece.strip()]
    if not parts:
        raise InvalidParameterError("no restriction given", hint="e.g. 'beta = 0.5'")
    rows, values = [], []
    for part in parts:
        tokens = _tokenize(part, names)
        sides: list[list[tuple[str, Any]]] = [[]]
        for token in tokens:
            if token == ("op", "="):
                sides.append([])
            else:
                sides[-1].append(token)
        if len(sides) > 2:
            raise InvalidParameterError(
                f"the restriction {part.strip()!r} has more than one '='", hint="separate equations with ';'"
            )
        left_coef, left_const = _linear_side(sides[0], len(names), part)
        right_coef, right_const = (
            _linear_side(sides[1], len(names), part) if len(sides) == 2 else (np.zeros(len(names)), 0.0)
        )
        row = left_coef - right_coef
        if not row.any():
            raise InvalidParameterError(
                f"the restriction {part.strip()!r} involves no parameter",
                hint=f"the parameters are {names}",
            )
        rows.append(row)
        values.append(right_const - left_const)
    return np.vstack(rows), np.asarray(values, dtype=float)


def restriction_text(restriction: np.ndarray, value: np.ndarray, names: Sequence[str]) -> str:
    """The null R theta = q written out, e.g. ``"beta - gamma = 0; delta = 0.5"``."""
    equations = []
    for row, q in zip(np.atleast_2d(restriction), np.atleast_1d(value), strict=True):
        terms = []
        for coef, name in zip(row, names, strict=True):
            if coef == 0:
                continue
            magnitude = "" if abs(coef) == 1 else f"{abs(coef):g} * "
            sign = "-" if coef < 0 else "+"
            terms.append((sign, f"{magnitude}{name}"))
        text = " ".join(f"{s} {t}" for s, t in terms).removeprefix("+ ")
        if text.startswith("- "):
            text = "-" + text[2:]
        equations.append(f"{text or '0'} = {float(q):g}")
    return "; ".join(equations)


def wald_test(
    params: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    restriction: Any,
    value: Any = None,
    *,
    names: Sequence[str] | None = None,
    name: str = "Wald",
    null: str | None = None,
    df_denom: float | None = None,
) -> TestStatistic:
    r"""Wald test of H0: R theta = q.

    W = (R theta-hat - q)' (R V-hat R')^{+} (R theta-hat - q) is chi-square with rank(R) degrees of freedom
    under H0 (the pseudo-inverse allows redundant rows in R). With ``df_denom``, the statistic reported is
    W / rank(R), referred to F(rank(R), df_denom).

    Parameters
    ----------
    params, cov
        theta-hat and V-hat (a Series and DataFrame labelled by parameter name, or arrays).
    restriction
        R: a matrix with one row per restriction (a vector for a single one; a DataFrame is aligned on the
        parameter names), or text parsed by :func:`linear_restrictions` (needs parameter names).
    value
        q (default zeros); ignored for text restrictions, which carry their own.
    names
        Parameter names (default: the index of ``params``).
    name, null
        Name of the test and the null in words (default: R theta = q written out).
    df_denom
        Denominator degrees of freedom for an F version of the test.

    Returns
    -------
    TestStatistic
        Or :class:`InvalidTestStatistic` when V-hat has NaN entries in the restricted directions or
        R V-hat R' is singular in a direction R restricts (the statistic would be infinite or undefined).
    """
    if names is None:
        names = [str(n) for n in params.index] if isinstance(params, pd.Series) else None
    theta = np.asarray(params, dtype=float).ravel()
    if names is None:
        names = [f"theta[{i}]" for i in range(theta.size)]
    names = list(names)
    if isinstance(restriction, str) or (
        isinstance(restriction, Sequence) and restriction and all(isinstance(r, str) for r in restriction)
    ):
        formula = restriction if isinstance(restriction, str) else "; ".join(restriction)
        R, q = linear_restrictions(restriction, names)
        null = formula.strip() if null is None else null
    else:
        if isinstance(restriction, pd.DataFrame):
            restriction = restriction.reindex(columns=names, fill_value=0.0)
        R = np.atleast_2d(np.asarray(restriction, dtype=float))
        q = np.zeros(R.shape[0]) if value is None else np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        if isinstance(value, (int, float)) and R.shape[0] > 1:
            q = np.full(R.shape[0], float(value))
    if R.shape[1] != theta.size or q.size != R.shape[0]:
        raise InvalidParameterError(
            f"restriction matrix of shape {R.shape} and value of length {q.size} do not fit "
            f"{theta.size} parameters",
            hint="R needs one column per parameter and q one entry per row of R",
        )
    if null is None:
        null = restriction_text(R, q, names)
    V = np.asarray(cov, dtype=float)
    used = np.flatnonzero(np.any(R != 0, axis=0))
    if not np.all(np.isfinite(V[np.ix_(used, used)])) or not np.all(np.isfinite(theta[used])):
        return InvalidTestStatistic(
            "the estimates or their covariance are NaN for a restricted parameter", name=name, null=null
        )
    rank = int(np.linalg.matrix_rank(R))
    middle = R @ V @ R.T
    middle = (middle + middle.T) / 2
    eigenvalues = np.linalg.eigvalsh(middle)
    tol = max(middle.shape) * np.finfo(float).eps * max(float(np.max(np.abs(eigenvalues))), 1e-300)
    if int(np.sum(eigenvalues > tol)) < rank or np.any(eigenvalues < -tol):
        return InvalidTestStatistic(
            "R cov R' is singular or not positive semi-definite in a restricted direction",
            name=name,
            null=null,
        )
    diff = R @ theta - q
    statistic = float(diff @ np.linalg.pinv(middle, hermitian=True) @ diff)
    if df_denom is not None:
        return f_test(statistic / rank, rank, df_denom, name=name, null=null)
    return chi2_test(statistic, rank, name=name, null=null)


def check_tests(tests: Mapping[str, Any] | None) -> dict[str, TestStatistic]:
    """Validate a mapping name -> :class:`TestStatistic` (the ``tests`` argument of results objects)."""
    out: dict[str, TestStatistic] = {}
    for key, test in (tests or {}).items():
        if not isinstance(test, TestStatistic):
            raise InvalidParameterError(
                f"test {key!r} is a {type(test).__name__}, not a TestStatistic",
                hint="build tests with bargaining.estimate.hypotheses.chi2_test, f_test, wald_test or "
                "InvalidTestStatistic(reason, name=...)",
            )
        out[str(key)] = test
    return out
