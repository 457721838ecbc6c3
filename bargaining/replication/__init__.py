"""Replication studies: published (or closed-form) numbers recomputed by the package.

Each study is one module of this package whose name does not start with ``_``. A study module defines

* ``TITLE`` -- one line saying what is reproduced,
* ``SOURCE`` -- where the reference numbers come from (paper, table, equation),
* ``run(**options) -> Report`` -- recompute and compare. Options are keyword-only and optional
  (``figure_path`` for studies that draw a figure, ``reps``/``seed`` for Monte Carlo studies).

Adding a study is adding one module: it is discovered by :func:`list_studies`, run by
``bargaining replicate NAME`` and ``bargaining replicate`` (all studies), and gets a thin script
``replication/NAME.py``. Names on the command line may use ``-`` or ``_``.

A :class:`Report` holds :class:`Row` objects (quantity, published, computed, tolerance); a row is ``ok`` when
``|computed - published| <= tolerance`` and the report is ok when every row is.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pandas as pd

from bargaining.errors import InvalidParameterError, UnknownNameError

__all__ = [
    "Report",
    "Row",
    "get_study",
    "list_studies",
    "report_to_json",
    "run_all",
    "run_study",
    "script_main",
]


@dataclass(frozen=True)
class Row:
    """One compared quantity.

    Attributes
    ----------
    quantity
        What is compared, e.g. ``"u_B (D=1, theta_1=2)"``.
    published
        Reference value: the published number, or a closed form / an independent computation, as
        ``reference`` says.
    computed
        The package's value.
    tolerance
        Allowed absolute difference (for a number published to 2 decimals: 0.005 plus numerical error).
    reference
        Where ``published`` comes from.
    """

    quantity: str
    published: float
    computed: float
    tolerance: float
    reference: str = ""

    @property
    def difference(self) -> float:
        return float(self.computed) - float(self.published)

    @property
    def ok(self) -> bool:
        diff = abs(self.difference)
        return bool(math.isfinite(diff) and diff <= self.tolerance)


@dataclass
class Report:
    """Outcome of one replication study."""

    study: str
    title: str
    source: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)

    def add(
        self, quantity: str, published: float, computed: float, tolerance: float, reference: str = ""
    ) -> Row:
        row = Row(quantity, float(published), float(computed), float(tolerance), reference)
        self.rows.append(row)
        return row

    @property
    def ok(self) -> bool:
        """True when there is at least one row and every row is within tolerance."""
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def n_failed(self) -> int:
        return sum(not row.ok for row in self.rows)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "quantity": [r.quantity for r in self.rows],
                "published": [r.published for r in self.rows],
                "computed": [r.computed for r in self.rows],
                "difference": [r.difference for r in self.rows],
                "tolerance": [r.tolerance for r in self.rows],
                "ok": [r.ok for r in self.rows],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "title": self.title,
            "source": self.source,
            "ok": self.ok,
            "n_failed": self.n_failed,
            "rows": [
                {
                    "quantity": r.quantity,
                    "published": r.published,
                    "computed": r.computed,
                    "difference": r.difference,
                    "tolerance": r.tolerance,
                    "ok": r.ok,
                    "reference": r.reference,
                }
                for r in self.rows
            ],
            "notes": list(self.notes),
            "artifacts": dict(self.artifacts),
        }

    def format(self) -> str:
        """Readable text: title, table, notes and a verdict line."""
        status = "OK" if self.ok else f"MISMATCH ({self.n_failed} of {len(self.rows)} rows)"
        title = f"{self.study}: {self.title}"
        with pd.option_context("display.max_rows", 500, "display.max_columns", 20, "display.width", 160):
            body = self.to_frame().to_string(index=False, float_format=lambda x: f"{x:.8g}")
        lines = [title, "=" * min(max(len(title), 20), 160), body]
        lines.append(f"source: {self.source}")
        references = sorted({r.reference for r in self.rows if r.reference})
        if references:
            lines.append("reference values: " + "; ".join(references))
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(f"{name}: {path}" for name, path in self.artifacts.items())
        lines.append(f"result: {status}")
        return "\n".join(lines)


def _normalize(name: str) -> str:
    return str(name).strip().lower().replace("-", "_")


def _study_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def get_study(name: str) -> ModuleType:
    """The module of study ``name`` (``-`` and ``_`` are interchangeable)."""
    key = _normalize(name)
    names = _study_names()
    if key not in names:
        raise UnknownNameError(
            f"Unknown replication study {name!r}.",
            hint=f"Choose one of: {', '.join(names)} (or run `bargaining replicate --list`).",
        )
    return importlib.import_module(f"{__name__}.{key}")


def list_studies() -> pd.DataFrame:
    """DataFrame[name, title, source] of every study.

    Examples
    --------
    >>> "table1" in list_studies()["name"].tolist()
    True
    """
    rows = []
    for name in _study_names():
        module = get_study(name)
        rows.append({"name": name, "title": module.TITLE, "source": module.SOURCE})
    return pd.DataFrame(rows, columns=["name", "title", "source"])


def run_study(name: str, **options: Any) -> Report:
    """Run one study; options the study does not accept are ignored (so one set can be passed to all).

    Parameters
    ----------
    name
        A study listed by :func:`list_studies`.
    **options
        Options passed to the study's ``run`` when it accepts them (e.g. ``reps``, ``seed``).

    Examples
    --------
    Table 1 of the Loertscher-Marx online appendix (1/rho and expected payoffs, printed to two decimals)
    against the package's solver:

    >>> report = run_study("table1")
    >>> report.ok, report.n_failed, len(report.rows)
    (True, 0, 16)
    >>> report.to_frame().loc[0, ["quantity", "published", "computed"]].to_dict()  # doctest: +ELLIPSIS
    {'quantity': '1/rho (D=1, theta_1=1)', 'published': 0.73, 'computed': 0.7257...}
    """
    module = get_study(name)
    accepted = inspect.signature(module.run).parameters
    kwargs = {k: v for k, v in options.items() if k in accepted and v is not None}
    report = module.run(**kwargs)
    if not isinstance(report, Report):
        raise InvalidParameterError(
            f"Study {name!r} returned {type(report).__name__}, not a Report.", hint="Fix the study's run()."
        )
    return report


def run_all(**options: Any) -> list[Report]:
    """Run every study."""
    return [run_study(name, **options) for name in _study_names()]


def script_main(name: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``replication/NAME.py``: print the report (``--json`` for JSON); 1 on mismatch."""
    module = get_study(name)
    parser = argparse.ArgumentParser(prog=f"replication/{name}.py", description=module.TITLE)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    if "figure_path" in inspect.signature(module.run).parameters:
        parser.add_argument("--figure", metavar="PATH", help="also save the figure to PATH")
    args = parser.parse_args(argv)
    report = run_study(name, figure_path=getattr(args, "figure", None))
    if args.json:
        print(report_to_json(report))
    else:
        print(report.format())
    sys.stdout.flush()
    return 0 if report.ok else 1


def report_to_json(report: Report | Sequence[Report]) -> str:
    """JSON text of one report or a list of reports (NaN as null)."""
    if isinstance(report, Report):
        return json.dumps(_jsonable(report.to_dict()), indent=2)
    return json.dumps([_jsonable(r.to_dict()) for r in report], indent=2)


def _jsonable(obj: Any) -> Any:
    """Plain JSON types; NaN and inf become null."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj
