"""``bargaining fit MODEL DATA ...``: estimate a model on a CSV or Parquet file.

Each model is a module of this package (``nash``, ``incomplete``, ...) defining ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit",
        help="estimate bargaining weights on a data file",
        description="Estimate a bargaining model on DATA (a .csv or .parquet file). "
        "Run `bargaining fit MODEL --help` for the options of a model.",
    )
    models = parser.add_subparsers(title="models", dest="model", metavar="MODEL")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").register(models)
    parser.set_defaults(func=lambda args: _missing_model(parser))


def _missing_model(parser: argparse.ArgumentParser) -> int:
    """Without a model: usage and one error line on stderr, exit code 2 (argparse's convention)."""
    models = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: choose a MODEL: {', '.join(models)}", file=sys.stderr)
    return 2
