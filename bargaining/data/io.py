"""Reading and writing tables: CSV or Parquet chosen by the file suffix, or a DataFrame passed through.

Numbers are left for :mod:`bargaining.data.validate` to check: a column named in ``numeric`` is returned as
float64 when it parses as numbers and left as it is otherwise, so that validation can name the offending
entries instead of this module silently turning text into NaN. Id columns (``ids``) are read as text
(keeping leading zeros such as ``"007"``) in pandas' default string dtype (``str``, Arrow-backed, in pandas 3;
object in pandas 2) or, with ``ids_as="category"``, as pandas categoricals.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bargaining.errors import DataValidationError

__all__ = ["SUFFIXES", "read_table", "table_format", "write_table"]

SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
_FORMAT_HINT = "use a file ending in .csv (or .csv.gz) or .parquet (or .pq)"
_SAMPLE_ROWS = 100  # rows read first to see which id columns pandas would not infer as text


def table_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"parquet"`` from the suffix of ``path``; DataValidationError for anything else."""
    name = str(path).lower()
    for suffix, kind in sorted(SUFFIXES.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return kind
    raise DataValidationError(
        f"cannot tell the format of {str(path)!r} from its suffix {Path(name).suffix or '(none)'!r}.",
        hint=_FORMAT_HINT + ".",
    )


def _names(columns: Sequence[str] | str | None) -> list[str]:
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def read_table(
    path_or_frame: str | os.PathLike[str] | pd.DataFrame,
    *,
    numeric: Sequence[str] | str | None = None,
    ids: Sequence[str] | str | None = None,
    ids_as: str = "string",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a table from a DataFrame, a CSV file or a Parquet file.

    Parameters
    ----------
    path_or_frame
        A DataFrame (returned as a shallow copy, with the dtype handling below) or a path whose suffix
        says the format: ``.csv``, ``.csv.gz``, ``.txt`` (CSV) or ``.parquet``, ``.pq``.
    numeric
        Columns to return as float64 when all their entries are numbers (else left for validation to
        report).
    ids
        Id columns: read as text (``ids_as="string"``) or categoricals (``"category"``). Text ids read from
        a file have pandas' default string dtype: ``str`` (Arrow-backed) in pandas 3, object in pandas 2.
        Text ids of a DataFrame (object or string dtype) are kept as they are; ids of other dtypes (numbers)
        are converted to text (object dtype).
    ids_as
        ``"string"`` or ``"category"``.
    columns
        Read only these columns (faster for wide files).

    Raises
    ------
    DataValidationError
        Unknown suffix, missing or unreadable file, or a requested column that is absent.

    Examples
    --------
    >>> read_table(pd.DataFrame({"x": [1, 2]}))["x"].tolist()   # a DataFrame passes through
    [1, 2]
    """
    if ids_as not in ("string", "category"):
        raise DataValidationError(
            f"ids_as must be 'string' or 'category', got {ids_as!r}.", hint="use 'string'."
        )
    id_columns = _names(ids)
    if isinstance(path_or_frame, pd.DataFrame):
        frame = path_or_frame.copy(deep=False)
        if columns is not None:
            frame = frame[list(columns)]
    else:
        frame = _read_file(path_or_frame, id_columns, columns)
    for column in id_columns:
        if column in frame.columns:
            if ids_as == "category":
                frame[column] = frame[column].astype("category")
            elif not isinstance(frame[column].dtype, pd.StringDtype) and frame[column].dtype != object:
                frame[column] = (
                    frame[column].astype(object).where(frame[column].isna(), frame[column].astype(str))
                )
    for column in _names(numeric):
        if column in frame.columns and frame[column].dtype != "float64":
            converted = pd.to_numeric(frame[column], errors="coerce")
            if (
                pd.api.types.is_numeric_dtype(frame[column].dtype)
                or (converted.notna() == frame[column].notna()).all()
            ):
                frame[column] = converted.astype("float64")
    return frame


def _is_text(series: pd.Series) -> bool:
    """A column of strings and missing entries only (pandas' string dtype, or object holding only strings)."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string"


def _read_csv(path: str | os.PathLike[str], id_columns: list[str], usecols: list[str] | None) -> pd.DataFrame:
    """``pandas.read_csv`` with the id columns as text (``dtype=str``), the same frame, read faster.

    Naming dtypes makes pandas' parallel reader (pandas >= 3.1) gather every column in one thread, and object
    ids would be built as one Python string per row. pandas' own type inference keeps a text column as the raw
    text (``str`` in pandas 3), so only the id columns that the first rows of the file show as something else
    (numbers such as ``007``, which would be read as 7, booleans, missing entries) are named with
    ``dtype=str``; when no id column needs it, the whole file goes through the parallel reader. When an id
    column still comes out as something else (text in the first rows, numbers in a later chunk of the parser),
    the file is read again with that column named too, and the first read's warnings are dropped.
    """
    if not id_columns:
        return pd.read_csv(path, usecols=usecols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the whole file's read below warns about the same lines
        first = pd.read_csv(path, usecols=usecols, nrows=_SAMPLE_ROWS)
    named = [c for c in id_columns if c in first.columns and not _is_text(first[c])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(path, dtype={c: str for c in named} or None, usecols=usecols)
    again = [c for c in id_columns if c in frame.columns and not _is_text(frame[c])]
    if again:
        return pd.read_csv(path, dtype={c: str for c in [*named, *again]}, usecols=usecols)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return frame


def _read_file(
    path: str | os.PathLike[str], id_columns: list[str], columns: Sequence[str] | None
) -> pd.DataFrame:
    kind = table_format(path)
    if not os.path.exists(path):
        raise DataValidationError(
            f"file {str(path)!r} does not exist.", hint="check the path (relative to the current directory)."
        )
    if os.path.isdir(path):
        raise DataValidationError(
            f"{str(path)!r} is a directory, not a table.", hint="give the path of a file."
        )
    try:
        if kind == "csv":
            return _read_csv(path, id_columns, list(columns) if columns is not None else None)
        return pd.read_parquet(path, columns=list(columns) if columns is not None else None)
    except pd.errors.EmptyDataError:
        raise DataValidationError(
            f"file {str(path)!r} is empty.", hint="a table needs a header line and at least one row."
        ) from None
    except ValueError as error:
        if columns is not None:
            raise DataValidationError(
                f"cannot read the requested columns from {str(path)!r}: {error}",
                hint="check the column names against the file's header.",
            ) from None
        raise DataValidationError(
            f"cannot read {str(path)!r} as {kind.upper()}: {error}", hint=f"is it really a {kind} file?"
        ) from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataValidationError(
            f"cannot read {str(path)!r} as {kind.upper()}: {error}",
            hint=f"is it really a {kind} file? {_FORMAT_HINT}.",
        ) from None
    except Exception as error:  # noqa: BLE001 - pyarrow raises its own exception classes for corrupt Parquet files
        raise DataValidationError(
            f"cannot read {str(path)!r} as {kind.upper()}: {type(error).__name__}: {error}",
            hint=f"is it really a {kind} file? {_FORMAT_HINT}.",
        ) from None


def write_table(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, float_format: str | None = None
) -> Path:
    """Write ``frame`` (without its index) as CSV or Parquet, chosen by the suffix of ``path``.

    ``float_format`` (CSV only, e.g. ``"%.10g"``) fixes the written digits; by default floats are written
    with the shortest representation that reads back to the same double. Returns the path written.

    Parameters
    ----------
    frame
        The table to write.
    path
        Destination; ``.csv`` or ``.parquet``.
    float_format
        printf-style float format for CSV (default: shortest round-trip representation).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> path = write_table(pd.DataFrame({"x": [0.1, 2.0]}), os.path.join(tempfile.mkdtemp(), "t.csv"))
    >>> read_table(path)["x"].tolist()
    [0.1, 2.0]
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"write_table needs a pandas DataFrame, got {type(frame).__name__}.", hint="pass a DataFrame."
        )
    kind = table_format(path)
    target = Path(path)
    if not target.parent.exists():
        raise DataValidationError(
            f"cannot write {str(path)!r}: directory {str(target.parent)!r} does not exist.",
            hint="create the directory first or choose another path.",
        )
    try:
        if kind == "csv":
            # gzip stores a timestamp; mtime 0 makes the same table give the same bytes on every run
            compression: dict[str, Any] | None = (
                {"method": "gzip", "mtime": 0} if target.name.lower().endswith(".gz") else None
            )
            frame.to_csv(
                target, index=False, float_format=float_format, lineterminator="\n", compression=compression
            )
        else:
            frame.to_parquet(target, index=False)
    except OSError as error:
        raise DataValidationError(
            f"cannot write {str(path)!r}: {error}", hint="check the path and permissions."
        ) from None
    return target
