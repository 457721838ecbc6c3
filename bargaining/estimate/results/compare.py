"""Several fits side by side: :func:`compare` and its :class:`ComparisonResults`.

Parameters are rows (the union over the fits, in order of first appearance); each fit is a column with the
estimate and, on the line below, its standard error in parentheses; the bottom panel gives the method, the
number of observations, the covariance type and whether the optimizer converged. A parameter a fit does not
have is left blank.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.estimate.results.base import EstimationResults
from bargaining.estimate.results.summary import format_number, latex_escape

__all__ = ["ComparisonResults", "compare"]


class ComparisonResults:
    """A table of several fits side by side (built by :func:`compare`).

    Parameters
    ----------
    results
        The fits by column label.
    title
        Title of the table.
    """

    def __init__(self, results: Mapping[str, EstimationResults], *, title: str = "Model comparison") -> None:
        self._results = dict(results)
        self.title = title
        names: list[str] = []
        for res in self._results.values():
            names += [str(n) for n in res.params.index if str(n) not in names]
        self._names = names

    @property
    def results(self) -> dict[str, EstimationResults]:
        """The fits compared, by column label."""
        return dict(self._results)

    def _frame(self, attribute: str) -> pd.DataFrame:
        columns = {}
        for label, res in self._results.items():
            series = getattr(res, attribute)
            columns[label] = pd.Series(series.to_numpy(), index=[str(n) for n in series.index])
        return pd.DataFrame(columns).reindex(self._names)

    @property
    def params(self) -> pd.DataFrame:
        """Estimates, parameters by fits (NaN where a fit lacks the parameter)."""
        return self._frame("params")

    @property
    def std_errors(self) -> pd.DataFrame:
        """Standard errors, parameters by fits."""
        return self._frame("std_errors")

    @property
    def tvalues(self) -> pd.DataFrame:
        """t statistics, parameters by fits."""
        return self._frame("tvalues")

    @property
    def pvalues(self) -> pd.DataFrame:
        """p values, parameters by fits."""
        return self._frame("pvalues")

    @property
    def info(self) -> pd.DataFrame:
        """Method, observations, covariance type and convergence (rows) of each fit (columns)."""
        return pd.DataFrame(
            {
                label: {
                    "Method": res.method or "-",
                    "Observations": res.nobs,
                    "Cov. type": res.cov_type,
                    "Converged": "yes" if res.converged else "NO",
                }
                for label, res in self._results.items()
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Numbers of the table: rows are parameters, columns (fit, quantity) with quantity in
        ``estimate``, ``std_error``, ``t``, ``p``."""
        parts = {
            "estimate": self.params,
            "std_error": self.std_errors,
            "t": self.tvalues,
            "p": self.pvalues,
        }
        frame = pd.concat(parts, axis=1).swaplevel(axis=1)
        return frame[[(label, q) for label in self._results for q in parts]]

    def _cells(self) -> tuple[list[list[str]], list[list[str]]]:
        """Parameter rows (estimate line, then the standard-error line) and the info rows, as text."""
        params, se = self.params, self.std_errors
        body: list[list[str]] = []
        for name in self._names:
            present = [name in self._has(label) for label in self._results]
            body.append([name, *(format_number(v) if ok else "" for v, ok in zip(params.loc[name], present))])
            body.append(
                ["", *(f"({format_number(v)})" if ok else "" for v, ok in zip(se.loc[name], present))]
            )
        info = self.info
        bottom = [[str(row), *(str(v) for v in info.loc[row].to_numpy())] for row in info.index]
        return body, bottom

    def _has(self, label: str) -> set[str]:
        return {str(n) for n in self._results[label].params.index}

    def as_text(self) -> str:
        """Plain-text table (standard errors in parentheses under the estimates)."""
        body, bottom = self._cells()
        header = ["", *self._results]
        rows = [header, *body, *bottom]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

        def line(cells: list[str]) -> str:
            return "  ".join(
                f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        width = max(len(line(header)), len(self.title))
        return "\n".join(
            [
                self.title.center(width),
                "=" * width,
                line(header),
                "-" * width,
                *(line(r) for r in body),
                "-" * width,
                *(line(r) for r in bottom),
                "=" * width,
                "Standard errors in parentheses.",
            ]
        )

    def as_latex(self) -> str:
        r"""LaTeX table with booktabs rules (needs ``\usepackage{booktabs}``); standard errors in
        parentheses on the line below each estimate."""
        esc = latex_escape
        body, bottom = self._cells()
        n = len(self._results)
        lines = [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{{esc(self.title)}}}",
            r"\begin{tabular}{l" + "c" * n + "}",
            r"\toprule",
            " & ".join(["", *(esc(label) for label in self._results)]) + r" \\",
            r"\midrule",
            *(" & ".join(esc(c) for c in row) + r" \\" for row in body),
            r"\midrule",
            *(" & ".join(esc(c) for c in row) + r" \\" for row in bottom),
            r"\bottomrule",
            r"\end{tabular}",
            r"\par\footnotesize Standard errors in parentheses.",
            r"\end{table}",
        ]
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML table (also ``_repr_html_`` for notebooks)."""
        e = html.escape
        body, bottom = self._cells()
        parts = [f'<table class="bargaining-compare"><caption>{e(self.title)}</caption>']
        parts.append("<tr><th></th>" + "".join(f"<th>{e(label)}</th>" for label in self._results) + "</tr>")
        for row in [*body, *bottom]:
            parts.append(f"<tr><th>{e(row[0])}</th>" + "".join(f"<td>{e(c)}</td>" for c in row[1:]) + "</tr>")
        parts.append("</table>")
        parts.append("<p>Standard errors in parentheses.</p>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


def compare(
    results: Mapping[str, EstimationResults] | Sequence[EstimationResults], *, title: str = "Model comparison"
) -> ComparisonResults:
    """Several fits side by side.

    Parameters
    ----------
    results
        The fits: a mapping label -> results (labels become the column titles) or a sequence (columns
        ``(1)``, ``(2)``, ...).
    title
        Title of the table.

    Returns
    -------
    ComparisonResults
        With :meth:`~ComparisonResults.as_text`, :meth:`~ComparisonResults.as_latex`,
        :meth:`~ComparisonResults.as_html` (and ``_repr_html_``), :meth:`~ComparisonResults.to_frame`, and
        the frames ``params``, ``std_errors``, ``tvalues``, ``pvalues``, ``info``.

    Examples
    --------
    Nash weights from the bundled hospital-insurer prices with the seller's cost unobserved
    (C = recapture + z'gamma + omega): OLS, and IV with the insurer's willingness to pay per patient as the
    instrument for V - recapture:

    >>> df = load_example("hospital_insurer")
    >>> spec = dict(price="price", buyer_value="buyer_value", cost_formula="~ 1 + z1 + z2",
    ...             recapture="recapture")
    >>> ols = fit_nash(df, **spec)
    >>> iv = fit_nash(df, **spec, instruments="~ wtp_drop")
    >>> print(compare({"OLS": ols, "IV": iv}))
                          Model comparison
    ============================================================
                                     OLS                      IV
    ------------------------------------------------------------
    beta                          0.4004                  0.4013
                              (0.001875)              (0.002404)
    gamma[Intercept]              5.9961                  5.9696
                               (0.05341)               (0.06772)
    gamma[z1]                     0.9915                  0.9929
                               (0.01447)               (0.01462)
    gamma[z2]                     0.4729                  0.4735
                               (0.01405)               (0.01412)
    ------------------------------------------------------------
    Method            OLS + delta method  IV-2SLS + delta method
    Observations                    2000                    2000
    Cov. type                     robust                  robust
    Converged                        yes                     yes
    ============================================================
    Standard errors in parentheses.
    >>> compare({"OLS": ols, "IV": iv}).params.loc["beta"].round(4).to_dict()
    {'OLS': 0.4004, 'IV': 0.4013}
    """
    if isinstance(results, Mapping):
        labelled = {str(k): v for k, v in results.items()}
    elif isinstance(results, Sequence) and not isinstance(results, str):
        labelled = {f"({i + 1})": v for i, v in enumerate(results)}
    else:
        raise InvalidParameterError(
            f"compare() takes a mapping or a sequence of results, not {type(results).__name__}",
            hint="e.g. compare({'OLS': res1, 'IV': res2}) or compare([res1, res2])",
        )
    if not labelled:
        raise InvalidParameterError("compare() needs at least one result", hint="pass e.g. [res1, res2]")
    for label, res in labelled.items():
        if not isinstance(res, EstimationResults):
            raise InvalidParameterError(
                f"{label!r} is a {type(res).__name__}, not an EstimationResults",
                hint="pass the results returned by fit_nash, fit_incomplete, fit_incomplete_moments, ...",
            )
    return ComparisonResults(labelled, title=title)
