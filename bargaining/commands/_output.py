"""Output helpers shared by the sub-commands: readable tables and JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add the standard ``--json`` flag."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")


def to_jsonable(obj: Any) -> Any:
    """Convert numpy / pandas objects (recursively) into plain JSON types; NaN and inf become null."""
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON."""
    print(json.dumps(to_jsonable(obj), indent=2))


def format_table(frame: pd.DataFrame, *, title: str | None = None, digits: int = 6) -> str:
    """Format a DataFrame as a plain-text table with a title line."""
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 160):
        body = frame.to_string(float_format=lambda x: f"{x:.{digits}g}")
    if title:
        rule = "=" * max(len(title), min(len(body.splitlines()[0]) if body else 0, 160))
        return f"{title}\n{rule}\n{body}"
    return body


def print_table(frame: pd.DataFrame, *, title: str | None = None, digits: int = 6) -> None:
    """Print a DataFrame as a readable table."""
    print(format_table(frame, title=title, digits=digits))


def require_matplotlib(flag: str) -> None:
    """Refuse ``flag`` (a figure option) when matplotlib is missing, naming the extra that installs it."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise DataValidationError(
            f"{flag} draws a figure, which needs matplotlib (not installed).",
            hint='install the plot extra: python -m pip install "bargaining[plot]", or leave out ' + flag + ".",
        )


def check_output_folder(folder: str, flag: str = "--out") -> None:
    """Refuse an output folder that cannot be created or written, before any work is done."""
    path = Path(folder)
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    problem = None
    if path.exists() and not path.is_dir():
        problem = "it exists and is not a folder"
    elif not existing.is_dir():
        problem = f"{str(existing)!r} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{str(existing)!r} is not writable"
    if problem:
        raise DataValidationError(
            f"cannot write into {folder!r}: {problem}.", hint=f"give {flag} a folder that can be created and written."
        )


def check_output_file(file: str, flag: str = "--out") -> None:
    """Refuse an output file whose folder does not exist or cannot be written, before any work is done."""
    path = Path(file)
    problem = None
    if path.is_dir():
        problem = "it is a folder"
    elif not path.parent.is_dir():
        problem = f"folder {str(path.parent)!r} does not exist"
    elif not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        problem = "it is not writable"
    if problem:
        raise DataValidationError(
            f"cannot write {file!r}: {problem}.", hint=f"give {flag} a writable file in an existing folder."
        )
