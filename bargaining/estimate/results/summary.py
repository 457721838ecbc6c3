"""The printable :class:`Summary` of a fit (text, LaTeX, HTML, CSV) and the number formats shared by reports.

Formats
-------
* Estimates, standard errors, statistics: :func:`format_number`, about four decimals (``0.4000``,
  ``12.346``), scientific notation below 1e-4 or from 1e6 on in absolute value, ``NaN`` for NaN.
* p-values: :func:`format_pvalue`, four decimals (``0.0000``, ``0.0734``) as in ``linearmodels``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bargaining.estimate.hypotheses import TestStatistic

__all__ = ["Summary", "format_number", "format_pvalue", "latex_escape"]

#: Column labels of the parameter table in LaTeX and HTML output.
COLUMN_LABELS = {
    "estimate": "Estimate",
    "std_error": "Std. Err.",
    "t": "T-stat",
    "p": "P-value",
    "lower": "Lower CI",
    "upper": "Upper CI",
}


def format_number(value: Any) -> str:
    """Format a reported number: about four decimals, scientific notation for very small or large values."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return "0.0000"
        magnitude = math.floor(math.log10(abs(v)))
        if magnitude < -4 or magnitude >= 6:
            return f"{v:.4e}"
        decimals = max(4 - magnitude, 1) if magnitude >= 0 else max(4, 3 - magnitude)
        return f"{v:.{decimals}f}"
    return str(value)


def format_pvalue(value: Any) -> str:
    """Format a p-value with four decimals (``0.0000``); ``NaN`` for NaN."""
    if value is None:
        return ""
    v = float(value)
    return "NaN" if math.isnan(v) else f"{v:.4f}"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return _LATEX_PATTERN.sub(lambda m: _LATEX_SPECIAL[m.group(0)], str(text))


def _header_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if not math.isfinite(float(value)) else f"{float(value):.6g}"
    return str(value)


def _frame_text(frame: pd.DataFrame, pvalue_columns: Sequence[str] = ()) -> str:
    formatters = {c: format_pvalue for c in frame.columns if c in pvalue_columns}
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 160):
        return frame.to_string(formatters=formatters or None, float_format=format_number)


def _cell(value: Any, column: Any, pvalue_columns: Sequence[str]) -> str:
    if column in pvalue_columns:
        return format_pvalue(value)
    return format_number(value)


def _test_rows(tests: Mapping[str, TestStatistic]) -> list[list[str]]:
    """Rows (label, statistic, p-value, distribution, H0) of the tests table."""
    rows = []
    for label, test in tests.items():
        if test.valid:
            rows.append(
                [
                    label,
                    format_number(test.statistic),
                    format_pvalue(test.pvalue),
                    test.distribution,
                    test.null,
                ]
            )
        else:
            reason = getattr(test, "reason", "")
            rows.append([label, "NaN", "NaN", "invalid", f"not available: {reason}"])
    return rows


_TEST_COLUMNS = ["Statistic", "P-value", "Distribution", "H0"]


class Summary:
    """Printable summary of a fit: specification, header, parameter table, tests and notes.

    Parameters
    ----------
    title
        Title (the model).
    header
        (label, value) pairs: method, observations, covariance type, convergence, diagnostics.
    table
        The parameter table, one row per parameter (columns such as ``estimate``, ``std_error``, ``t``,
        ``p``, ``lower``, ``upper``).
    notes
        Sentences printed under everything else.
    extra_tables
        Further tables by title (dropped rows, first stage, ...).
    specification
        (label, text) pairs describing the model (dependent variable, regressors, instruments, formulas),
        printed at the top of the header.
    tests
        Test statistics by label, listed under the parameter table.
    pvalue_columns
        Columns of ``table`` holding p-values (printed with four decimals).

    Notes
    -----
    ``str(summary)`` and :meth:`as_text` give plain text, :meth:`as_latex` a LaTeX table, :meth:`as_html`
    (and ``_repr_html_`` for notebooks) HTML, :meth:`as_csv` the parameter table as CSV at full precision.
    """

    def __init__(
        self,
        *,
        title: str,
        header: Sequence[tuple[str, Any]],
        table: pd.DataFrame,
        notes: Sequence[str] = (),
        extra_tables: Mapping[str, pd.DataFrame] | None = None,
        specification: Sequence[tuple[str, str]] = (),
        tests: Mapping[str, TestStatistic] | None = None,
        pvalue_columns: Sequence[str] = ("p",),
    ) -> None:
        self.title = title
        self.header = [(str(k), v) for k, v in header]
        self.table = table
        self.notes = list(notes)
        self.extra_tables = dict(extra_tables or {})
        self.specification = [(str(k), str(v)) for k, v in specification]
        self.tests = dict(tests or {})
        self.pvalue_columns = tuple(pvalue_columns)

    @staticmethod
    def _fmt(value: Any) -> str:
        return _header_value(value)

    # -- text ----------------------------------------------------------------------------------------
    def _header_rows(self) -> list[str]:
        half = (len(self.header) + 1) // 2
        keys = [f"{k}:" for k, _ in self.header]
        values = [self._fmt(v) for _, v in self.header]
        cells = []
        for column in (range(half), range(half, len(self.header))):
            key_width = max((len(keys[i]) for i in column), default=0) + 2
            value_width = max((len(values[i]) for i in column), default=0)
            cells.append([f"{keys[i]:<{key_width}}{values[i]:>{value_width}}" for i in column])
        left_width = max((len(c) for c in cells[0]), default=0)
        return [
            f"{left:<{left_width}}" + (f"    {cells[1][i]}" if i < len(cells[1]) else "")
            for i, left in enumerate(cells[0])
        ]

    def _tests_text(self) -> str:
        rows = [["", *_TEST_COLUMNS], *_test_rows(self.tests)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        right = (1, 2)  # statistic and p-value columns are right-aligned
        return "\n".join(
            "  ".join(
                f"{cell:>{w}}" if i in right else f"{cell:<{w}}"
                for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
            for row in rows
        )

    def as_text(self) -> str:
        """Plain-text summary (p-values with four decimals)."""
        body = _frame_text(self.table, self.pvalue_columns)
        rows = self._header_rows()
        spec = [f"{k}: {v}" for k, v in self.specification]
        sections = [(name, _frame_text(frame)) for name, frame in self.extra_tables.items()]
        if self.tests:
            sections.append(("Tests", self._tests_text()))
        blocks = [body, *rows, *spec, self.title, *(s for _, s in sections)]
        width = max(len(line) for block in blocks for line in block.splitlines() or [""])
        lines = [self.title.center(width), "=" * width]
        if spec:
            lines += [*spec, "-" * width]
        lines += [*rows, "-" * width, body]
        for name, text in sections:
            lines += ["-" * width, name, text]
        lines.append("=" * width)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    # -- LaTeX ---------------------------------------------------------------------------------------
    def as_latex(self) -> str:
        r"""LaTeX table: a ``tabular`` inside a ``table`` environment, ruled with booktabs.

        Needs ``\usepackage{booktabs}`` in the preamble (for ``\toprule``, ``\midrule``, ``\bottomrule``).
        Each parameter takes two lines: the estimate with t, p-value and interval, and below it the standard
        error in parentheses. The specification, the header, and the tests follow the parameters; notes
        come after the tabular.
        """
        esc = latex_escape
        has_se = "estimate" in self.table.columns and "std_error" in self.table.columns
        columns = [c for c in self.table.columns if not (has_se and c == "std_error")]
        n = len(columns) + 1

        def span(label: str, text: str) -> str:
            if n == 1:
                return rf"{label} \\"
            return rf"{label} & \multicolumn{{{n - 1}}}{{l}}{{{text}}} \\"

        lines = [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{{esc(self.title)}}}",
            r"\begin{tabular}{l" + "r" * len(columns) + "}",
            r"\toprule",
            " & ".join(["", *(esc(COLUMN_LABELS.get(str(c), str(c))) for c in columns)]) + r" \\",
            r"\midrule",
        ]
        for name, row in self.table.iterrows():
            cells = [esc(_cell(row[c], c, self.pvalue_columns)) for c in columns]
            lines.append(" & ".join([esc(str(name)), *cells]) + r" \\")
            if has_se:
                below = [
                    f"({esc(format_number(row['std_error']))})" if c == "estimate" else "" for c in columns
                ]
                lines.append(" & ".join(["", *below]) + r" \\")
        lines.append(r"\midrule")
        for key, value in self.specification:
            lines.append(span(esc(key), esc(value)))
        for key, value in self.header:
            lines.append(span(esc(key), esc(self._fmt(value))))
        if self.tests:
            lines.append(r"\midrule")
            for label, statistic, pvalue, distribution, null in _test_rows(self.tests):
                text = (
                    f"{distribution} = {statistic}, p = {pvalue}; H0: {null}"
                    if distribution != "invalid"
                    else null
                )
                lines.append(span(esc(label), esc(text)))
        lines += [r"\bottomrule", r"\end{tabular}"]
        for name, frame in self.extra_tables.items():
            lines += [
                "",
                r"\medskip",
                r"\begin{tabular}{l" + "r" * len(frame.columns) + "}",
                rf"\multicolumn{{{len(frame.columns) + 1}}}{{l}}{{{esc(name)}}} \\",
                r"\toprule",
                " & ".join([esc(str(frame.index.name or "")), *(esc(str(c)) for c in frame.columns)])
                + r" \\",
                r"\midrule",
            ]
            for index, row in frame.iterrows():
                lines.append(
                    " & ".join([esc(str(index)), *(esc(format_number(v)) for v in row.to_numpy())]) + r" \\"
                )
            lines += [r"\bottomrule", r"\end{tabular}"]
        for note in self.notes:
            lines.append(rf"\par\footnotesize {esc(note)}")
        lines.append(r"\end{table}")
        return "\n".join(lines)

    # -- HTML ----------------------------------------------------------------------------------------
    def as_html(self) -> str:
        """HTML summary (also shown by notebooks through ``_repr_html_``)."""
        e = html.escape
        parts = ['<div class="bargaining-summary">']
        pairs = [*self.specification, *((k, self._fmt(v)) for k, v in self.header)]
        parts.append(f'<table class="summary-header"><caption>{e(self.title)}</caption>')
        for i in range(0, len(pairs), 2):
            cells = "".join(f"<th>{e(k)}:</th><td>{e(v)}</td>" for k, v in pairs[i : i + 2])
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
        head = "".join(f"<th>{e(COLUMN_LABELS.get(str(c), str(c)))}</th>" for c in self.table.columns)
        parts.append(f'<table class="summary-params"><tr><th></th>{head}</tr>')
        for name, row in self.table.iterrows():
            cells = "".join(
                f"<td>{e(_cell(row[c], c, self.pvalue_columns))}</td>" for c in self.table.columns
            )
            parts.append(f"<tr><th>{e(str(name))}</th>{cells}</tr>")
        parts.append("</table>")
        for name, frame in self.extra_tables.items():
            head = "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
            parts.append(f'<table class="summary-extra"><caption>{e(name)}</caption><tr><th></th>{head}</tr>')
            for index, row in frame.iterrows():
                cells = "".join(f"<td>{e(format_number(v))}</td>" for v in row.to_numpy())
                parts.append(f"<tr><th>{e(str(index))}</th>{cells}</tr>")
            parts.append("</table>")
        if self.tests:
            head = "".join(f"<th>{e(c)}</th>" for c in _TEST_COLUMNS)
            parts.append(f'<table class="summary-tests"><caption>Tests</caption><tr><th></th>{head}</tr>')
            for label, *test_cells in _test_rows(self.tests):
                parts.append(
                    f"<tr><th>{e(label)}</th>" + "".join(f"<td>{e(c)}</td>" for c in test_cells) + "</tr>"
                )
            parts.append("</table>")
        parts += [f"<p>Note: {e(note)}</p>" for note in self.notes]
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    # -- CSV -----------------------------------------------------------------------------------------
    def as_csv(self, path: Any = None) -> str | None:
        """The parameter table as CSV at full precision (first column ``parameter``).

        Returns the text when ``path`` is None, else writes the file and returns None.
        """
        frame = self.table.copy()
        frame.index.name = "parameter"
        return frame.to_csv(path)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()
