"""Output helpers shared by the sub-commands: readable tables and JSON."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported inside the functions: `bargaining --help` must not pay for them


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add the standard ``--json`` flag."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")


def to_jsonable(obj: Any) -> Any:
    """Convert numpy / pandas objects (recursively) into plain JSON types; NaN and inf become null."""
    import numpy as np
    import pandas as pd

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
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 160):
        body = frame.to_string(float_format=lambda x: f"{x:.{digits}g}")
    if title:
        rule = "=" * max(len(title), min(len(body.splitlines()[0]) if body else 0, 160))
        return f"{title}\n{rule}\n{body}"
    return body


def print_table(frame: pd.DataFrame, *, title: str | None = None, digits: int = 6) -> None:
    """Print a DataFrame as a readable table."""
    print(format_table(frame, title=title, digits=digits))
