"""Validation of agreement and negotiation data against their schemas.

Two kinds of problems:

* whole-file problems (empty data, a missing or misspelled column, a column that is not numeric at all,
  a ``traded`` column that is not 0/1 at all, no valid row left) always raise;
* row problems (a missing, non-numeric or infinite entry, a missing id, a duplicate key, a negative
  quantity, negative gains from trade V < C, a price on a negotiation that did not trade or none on one that
  did) raise on the first one found, or, with ``drop_invalid=True``, drop the offending rows and report
  them: :attr:`ValidatedData.dropped` counts the rows per reason, :attr:`ValidatedData.dropped_rows` lists
  their index labels. A row failing several checks is counted once, under the first reason in the order of
  the checks, so ``n_used + dropped["count"].sum() == n_input`` always.

Error messages name the column, the first offending row labels (at most five) and the fix; the errors carry
``column`` and ``rows`` attributes.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bargaining.data.schema import AgreementSchema, NegotiationSchema, _names
from bargaining.errors import DataValidationError, MissingColumnError

__all__ = ["ValidatedData", "suggest_column", "validate_agreements", "validate_negotiations"]

MAX_ROWS_SHOWN = 5
DROP_HINT = "or pass drop_invalid=True to drop those rows and report them"
_TRUE_WORDS = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE_WORDS = {"0", "0.0", "false", "f", "no", "n"}


@dataclass(frozen=True)
class ValidatedData:
    """Result of a validation.

    Attributes
    ----------
    data
        The rows used, with the original index; numeric columns of the schema as float64 and ``traded``
        (negotiations) as int64 0/1. Other columns are passed through unchanged.
    dropped
        DataFrame with columns ``reason`` and ``count``: rows dropped per reason (empty when none).
    n_input, n_used
        Rows in the input and rows kept.
    dropped_rows
        reason -> index labels of the rows dropped for that reason.
    """

    data: pd.DataFrame
    dropped: pd.DataFrame
    n_input: int
    n_used: int
    dropped_rows: dict[str, list[Hashable]] = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        return self.n_input - self.n_used

    @property
    def dropped_index(self) -> pd.Index:
        """Index labels of every dropped row."""
        labels = [label for rows in self.dropped_rows.values() for label in rows]
        return pd.Index(labels)


def suggest_column(name: str, columns: Sequence[Any]) -> str | None:
    """The existing column name closest to ``name`` (difflib, case-insensitive), or None."""
    names = [str(c) for c in columns]
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def _is_plain_numeric(dtype: Any) -> bool:
    """Bool or numeric dtypes that convert to float directly (categoricals excluded)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    return bool(pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype))


def _arrow_text(series: pd.Series) -> Any:
    """An object column holding only strings and missing entries as an Arrow string array (one C-level pass),
    or None when it holds anything else."""
    import pyarrow as pa  # type: ignore[import-untyped]

    try:
        return pa.array(series.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None


def _blank_text(series: pd.Series) -> np.ndarray:
    """Rows holding a string that is empty or only whitespace (a blank id or entry), as a boolean array.

    Vectorized: pandas string columns (Arrow-backed by default in pandas 3) use their string kernels, and an
    object column of strings is handed to Arrow once; only an object column mixing strings with other objects
    is checked row by row. Whitespace is Arrow's (Unicode White_Space), which matches ``str.strip`` on
    everything but a few control characters.
    """
    return _missing_or_blank(series, missing=False)


def _missing_or_blank(series: pd.Series, *, missing: bool = True) -> np.ndarray:
    """Rows that are missing (NaN, None; only with ``missing``) or blank strings, as a boolean array."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        blank = series.str.strip().eq("").to_numpy(dtype=bool, na_value=False)
        return blank | series.isna().to_numpy() if missing else blank
    if dtype != object:
        return series.isna().to_numpy() if missing else np.zeros(len(series), dtype=bool)
    text = _arrow_text(series)
    if text is not None:
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        blank = pc.equal(pc.utf8_trim_whitespace(text), "")
        flagged = pc.or_kleene(pc.is_null(text), blank) if missing else blank
        return np.asarray(flagged.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    blank = series.map(lambda x: isinstance(x, str) and x.strip() == "").to_numpy(dtype=bool)
    return blank | series.isna().to_numpy() if missing else blank


class _Addresses:
    """The pointer buffer of an object array seen as integers (``__array_interface__``); holds the array, so
    the view built on it cannot outlive the objects it points to."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.__array_interface__ = {
            "data": (values.ctypes.data, True),
            "typestr": np.dtype(np.intp).str,
            "shape": values.shape,
            "version": 3,
        }


def _factorize_ids(series: pd.Series) -> tuple[np.ndarray, Any]:
    """``pandas.factorize`` of an id column: the same codes (first appearance order, -1 for missing) and uniques.

    Text read by pandas' CSV parser holds one Python string object per distinct value and chunk, so an object
    column of 10^6 ids points to a few thousand objects: factorizing the object addresses (integers) and then the
    strings of one row per address hashes a few thousand strings instead of a million (about twice as fast).
    Objects at different addresses with equal values are merged by the second step; when most rows hold their
    own object the plain factorize is used. Arrow-backed strings (pandas 3's ``str``) are dictionary-encoded by
    pyarrow directly (int32 codes; pandas would add a copy to int64), other dtypes go to ``pandas.factorize``.
    """
    if series.dtype != object:
        dtype = series.dtype
        if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or len(series) < 4096:
            return pd.factorize(series)
        encoded = series.array.__arrow_array__().dictionary_encode().combine_chunks()  # one dictionary
        indices = encoded.indices
        if indices.null_count:
            indices = indices.fill_null(-1)
        return indices.to_numpy(), pd.Index(pd.array(encoded.dictionary, dtype=dtype))
    values = series.to_numpy()
    if values.ndim != 1 or not values.flags.c_contiguous or len(values) < 4096:
        return pd.factorize(series)
    addresses = np.asarray(_Addresses(values))
    object_codes, objects = pd.factorize(addresses)
    if len(objects) > len(values) // 4:
        return pd.factorize(series)
    # the first row of each object, in the order of the object codes: codes are numbered by first appearance, so
    # their running maximum steps up exactly at those rows
    first = np.flatnonzero(np.diff(np.maximum.accumulate(object_codes), prepend=-1))
    codes, uniques = pd.factorize(values[first])
    return codes[object_codes], uniques


def _duplicated_keys(codes: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Rows whose combination of id codes occurs more than once (all copies flagged), as a boolean array.

    The codes of :func:`pandas.factorize` (-1 for a missing id, which equals other missing ids, as in
    ``DataFrame.duplicated``) are combined into one int64 key, c_1 (G_2 + 1) + c_2 + 1 and so on, re-coded
    densely whenever the next product could overflow; then one hash pass over the keys.
    """
    key = codes[0][0].astype(np.int64)  # a copy: updated in place below
    key += 1
    span = codes[0][1] + 1
    for column_codes, distinct in codes[1:]:
        if span * (distinct + 1) >= 2**62:
            key, uniques = pd.factorize(key)
            span = len(uniques)
        key *= distinct + 1
        key += column_codes
        key += 1
        span *= distinct + 1
    if span <= 4 * len(key) + 1024:  # dense keys: count them directly
        return np.bincount(key, minlength=span)[key] > 1
    return pd.Series(key).duplicated(keep=False).to_numpy()


def _show(labels: Sequence[Hashable]) -> str:
    shown = ", ".join(repr(label) for label in list(labels)[:MAX_ROWS_SHOWN])
    more = ", ..." if len(labels) > MAX_ROWS_SHOWN else ""
    return f"[{shown}{more}]"


class _Checker:
    """Accumulates row problems; raises on the first one unless rows may be dropped."""

    def __init__(self, frame: Any, drop_invalid: bool, what: str) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(
                f"the {what} data must be a pandas DataFrame, got {type(frame).__name__}.",
                hint="load the file with bargaining.data.read_table(path) first.",
            )
        if frame.shape[1] == 0 or len(frame) == 0:
            raise DataValidationError(
                f"the {what} data are empty ({len(frame)} rows, {frame.shape[1]} columns).",
                hint="check the file: it needs a header line and at least one data row.",
            )
        self.frame = frame
        self.what = what
        self.drop_invalid = bool(drop_invalid)
        self.bad = np.zeros(len(frame), dtype=bool)
        self.dropped: dict[str, list[Hashable]] = {}
        self.converted: dict[str, np.ndarray] = {}
        self.unchanged: set[str] = set()  # float64 columns whose converted values are the column itself
        self.id_codes: dict[str, tuple[np.ndarray, int]] = {}  # id column -> (factorize codes, distinct ids)
        self.factorized: dict[str, tuple[np.ndarray, Any]] = {}  # id column -> _factorize_ids, ahead of ids()

    # -- whole-file checks
    def require(self, column: str | None, role: str) -> None:
        if column is None:
            return
        columns = list(self.frame.columns)
        if column not in columns:
            close = suggest_column(column, columns)
            listing = ", ".join(repr(str(c)) for c in columns[:20]) + (", ..." if len(columns) > 20 else "")
            hint = f"did you mean {close!r}? " if close is not None else ""
            raise MissingColumnError(
                f"the {self.what} data have no column {column!r} (the {role}).",
                hint=f"{hint}pass the right column name for the {role}; the columns are: {listing}.",
                column=column,
            )
        if columns.count(column) > 1:
            raise DataValidationError(
                f"the {self.what} data have {columns.count(column)} columns named {column!r}.",
                hint="rename the columns so that each name is used once.",
                column=column,
            )

    # -- row checks
    def row_problem(self, mask: np.ndarray, reason: str, column: str | None, message: str, fix: str) -> None:
        """Rows where ``mask`` holds fail a check: raise, or mark them dropped under ``reason``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        labels = list(self.frame.index[mask])
        if not self.drop_invalid:
            raise DataValidationError(
                f"{message} in {len(labels)} row(s) of the {self.what} data, first rows {_show(labels)}.",
                hint=f"{fix}, {DROP_HINT}.",
                column=column,
                rows=labels[:MAX_ROWS_SHOWN],
            )
        new = mask & ~self.bad
        if new.any():
            self.dropped.setdefault(reason, []).extend(self.frame.index[new])
            self.bad |= new

    def numeric(self, column: str | None, role: str, *, allow_nan: bool = False) -> np.ndarray | None:
        """Float values of ``column``; rows with non-numeric, missing (unless allowed) or inf entries fail."""
        if column is None:
            return None
        if column in self.converted:
            return self.converted[column]
        series = self.frame[column]
        if series.dtype == np.float64:
            values = series.to_numpy()  # no copy; NaN marks missing entries
            self.unchanged.add(column)
        elif _is_plain_numeric(series.dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            raw = series.astype(object)
            blank = _blank_text(raw)
            parsed = pd.to_numeric(raw.where(~blank, np.nan), errors="coerce")
            values = parsed.to_numpy(dtype=float, na_value=np.nan)
            present = raw.notna().to_numpy() & ~blank
            wrong = present & np.isnan(values)
            if wrong.any() and wrong.sum() == present.sum():
                example = raw[wrong].iloc[0]
                rows = list(self.frame.index[wrong][:MAX_ROWS_SHOWN])
                raise DataValidationError(
                    f"column {column!r} (the {role}) is not numeric: it holds text such as {example!r} "
                    f"(rows {_show(rows)}).",
                    hint=f"pass a column of numbers as the {role}, or clean the column (decimal point '.', "
                    "no thousands separators or units).",
                    column=column,
                    rows=rows,
                )
            self.row_problem(
                wrong,
                f"non-numeric value in {column}",
                column,
                f"column {column!r} (the {role}) has non-numeric entries",
                f"correct those entries of {column!r} (numbers only)",
            )
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.sum(values)
        if np.isfinite(total):  # a finite sum has only finite terms: one pass, no temporary array
            self.converted[column] = values
            return values
        if not allow_nan:
            self.row_problem(
                np.isnan(values),
                f"missing value in {column}",
                column,
                f"column {column!r} (the {role}) has missing (NaN or empty) values",
                f"fill in {column!r}",
            )
        self.row_problem(
            np.isinf(values),
            f"infinite value in {column}",
            column,
            f"column {column!r} (the {role}) has infinite values",
            f"replace the infinite entries of {column!r} by finite numbers",
        )
        self.converted[column] = values
        return values

    def covariate(self, column: str, role: str) -> None:
        """A covariate or instrument: numeric columns must be finite; a text column (a categorical, such
        as a region or a group used in a formula) must have no missing entries."""
        series = self.frame[column]
        if not _is_plain_numeric(series.dtype):
            raw = series.astype(object)
            present = raw.notna().to_numpy() & ~_blank_text(raw)
            parsed = pd.to_numeric(raw[present], errors="coerce")
            if parsed.isna().any():
                self.ids(column, f"{role}, categorical")
                return
        self.numeric(column, role)

    def factorize_ids(self, columns: Sequence[str | None]) -> None:
        """Factorize several long id columns ahead of :meth:`ids`, at the same time on different cores.

        Only for columns that are not object (pandas 3's Arrow strings, categoricals, numbers): their hashing
        runs in pyarrow or numpy without holding the GIL. :meth:`ids` still checks the columns in order.
        """
        todo = [c for c in dict.fromkeys(columns) if c is not None and c not in self.factorized]
        workers = min(len(todo), os.cpu_count() or 1)
        if workers < 2 or len(self.frame) < 100_000 or any(self.frame[c].dtype == object for c in todo):
            return
        with ThreadPoolExecutor(workers - 1) as pool:  # this thread works too: it takes the columns not started
            futures = {c: pool.submit(_factorize_ids, self.frame[c]) for c in todo}
            for column in reversed(todo):
                if futures[column].cancel():
                    self.factorized[column] = _factorize_ids(self.frame[column])
            for column, future in futures.items():
                if not future.cancelled():
                    self.factorized[column] = future.result()

    def ids(self, column: str | None, role: str) -> None:
        if column is None:
            return
        series = self.frame[column]
        # ids repeat: check each distinct id once (pd.factorize marks NaN and None with code -1); the codes are
        # kept for the duplicate-key check (one hash pass per column, not two)
        codes, uniques = self.factorized.pop(column) if column in self.factorized else _factorize_ids(series)
        distinct = np.asarray(uniques, dtype=object)
        if len(distinct) <= 10_000:  # few distinct ids: str.strip itself, no Arrow round trip
            blank_unique = np.fromiter(
                (isinstance(x, str) and x.strip() == "" for x in distinct), dtype=bool, count=len(distinct)
            )
        else:
            blank_unique = _missing_or_blank(pd.Series(distinct), missing=False)
        missing = codes < 0
        if blank_unique.any():
            missing |= np.append(blank_unique, False)[codes]
        self.id_codes[column] = (codes, len(uniques))
        self.row_problem(
            missing,
            f"missing id in {column}",
            column,
            f"column {column!r} (the {role}) has missing ids",
            f"fill in {column!r}",
        )

    def result(self, dtypes: dict[str, Any] | None = None) -> ValidatedData:
        keep = ~self.bad
        if np.count_nonzero(self.bad) == len(self.frame):
            raise DataValidationError(
                f"no valid row is left in the {self.what} data: all {len(self.frame)} rows have problems "
                f"({', '.join(self.dropped)}).",
                hint="fix the data; see the reasons above.",
            )
        dropping = bool(self.bad.any())
        data = self.frame.loc[keep].copy() if dropping else self.frame.copy(deep=False)
        for column, values in self.converted.items():
            if column in self.unchanged:
                continue  # already float64 in the frame (and subset with it)
            data[column] = values[keep] if dropping else values
        for column, dtype in (dtypes or {}).items():
            data[column] = data[column].astype(dtype)
        counts = pd.DataFrame(
            {
                "reason": pd.Series(list(self.dropped), dtype=object),
                "count": pd.Series([len(v) for v in self.dropped.values()], dtype="int64"),
            }
        )
        return ValidatedData(
            data=data,
            dropped=counts,
            n_input=len(self.frame),
            n_used=len(self.frame) - int(np.count_nonzero(self.bad)),
            dropped_rows={reason: list(rows) for reason, rows in self.dropped.items()},
        )


def validate_agreements(
    frame: pd.DataFrame,
    *,
    price: str,
    buyer_value: str,
    seller_cost: str | None = None,
    market: str | None = None,
    buyer: str | None = None,
    seller: str | None = None,
    quantity: str | None = None,
    covariates: Sequence[str] | str = (),
    instruments: Sequence[str] | str = (),
    drop_invalid: bool = False,
) -> ValidatedData:
    """Check agreement (complete-information) data: one row per agreement.

    Parameters
    ----------
    frame
        The data.
    price, buyer_value, seller_cost
        Columns of the negotiated price p, the buyer's value V and (optional) the seller's cost C, so that
        p = C + beta (V - C). With both V and C, V < C (negative gains from trade) is a row problem.
    market, buyer, seller
        Optional id columns; with ``buyer`` and ``seller`` given, (market, buyer, seller) must be unique.
    quantity
        Optional column of traded quantities (>= 0).
    covariates, instruments
        Further columns: numeric ones must be finite; text ones (categoricals such as a region, or group ids
        used in formulas) must have no missing entries.
    drop_invalid
        Drop rows with problems and report them instead of raising on the first problem.

    Returns
    -------
    ValidatedData

    Raises
    ------
    MissingColumnError
        A named column is absent (the hint suggests the closest existing name).
    DataValidationError
        Empty data, a non-numeric column, or (without ``drop_invalid``) any row problem.

    Examples
    --------
    >>> checked = validate_agreements(load_example("hospital_insurer"), price="price",
    ...                               buyer_value="buyer_value", seller_cost="seller_cost")
    >>> checked.n_input, checked.n_used
    (2000, 2000)
    """
    schema = AgreementSchema(
        price=price,
        buyer_value=buyer_value,
        seller_cost=seller_cost,
        market=market,
        buyer=buyer,
        seller=seller,
        quantity=quantity,
        covariates=_names(covariates),
        instruments=_names(instruments),
    )
    check = _Checker(frame, drop_invalid, "agreement")
    roles: dict[str | None, str] = {
        price: "price",
        buyer_value: "buyer value V",
        seller_cost: "seller cost C",
        market: "market id",
        buyer: "buyer id",
        seller: "seller id",
        quantity: "quantity",
        **{c: "covariate" for c in schema.covariates},
        **{c: "instrument" for c in schema.instruments},
    }
    for column in schema.required_columns:
        check.require(column, roles.get(column, "column"))
    check.factorize_ids(schema.id_columns)
    for column in schema.id_columns:
        check.ids(column, roles[column])
    extra = set(schema.covariates) | set(schema.instruments)
    for column in schema.numeric_columns:
        if column in extra and column not in (price, buyer_value, seller_cost, quantity):
            check.covariate(column, roles[column])
        else:
            check.numeric(column, roles[column])
    if buyer is not None and seller is not None:
        keys = list(schema.id_columns)
        duplicated = _duplicated_keys([check.id_codes[k] for k in keys])
        check.row_problem(
            duplicated,
            "duplicate key " + "/".join(keys),
            seller,
            f"the key ({', '.join(keys)}) is not unique: duplicate agreements (all copies are flagged)",
            "keep one row per agreement (aggregate or remove the duplicates)",
        )
    if quantity is not None:
        q = check.converted[quantity]
        check.row_problem(
            q < 0,
            f"negative {quantity}",
            quantity,
            f"column {quantity!r} (the quantity) has negative values",
            "quantities must be >= 0",
        )
    if seller_cost is not None:
        v, c = check.converted[buyer_value], check.converted[seller_cost]
        with np.errstate(invalid="ignore"):
            negative = v < c
        check.row_problem(
            negative,
            f"negative gains from trade ({buyer_value} < {seller_cost})",
            buyer_value,
            f"the buyer value {buyer_value!r} is below the seller cost {seller_cost!r} (negative gains from "
            "trade: no Nash bargain exists)",
            "check the value and cost columns (are they swapped?) or remove agreements without gains from "
            "trade",
        )
    return check.result()


def _traded_values(check: _Checker, column: str) -> np.ndarray:
    """The traded flag as floats 1/0 (NaN where missing); entries that are not 0/1 fail."""
    series = check.frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        present = ~np.isnan(values)
    else:
        raw = series.astype(object)

        def word(x: Any) -> float:
            if x is None or (isinstance(x, float) and np.isnan(x)):
                return np.nan
            if isinstance(x, (bool, np.bool_)):
                return float(x)
            if isinstance(x, (int, float, np.integer, np.floating)):
                return float(x)
            text = str(x).strip().lower()
            if text == "":
                return np.nan
            if text in _TRUE_WORDS:
                return 1.0
            if text in _FALSE_WORDS:
                return 0.0
            return 2.0  # marks an entry that is not a 0/1 flag

        values = raw.map(word).to_numpy(dtype=float)
        present = ~np.isnan(values)
    wrong = present & (values != 0) & (values != 1)
    if wrong.any() and wrong.sum() == present.sum():
        rows = list(check.frame.index[wrong][:MAX_ROWS_SHOWN])
        example = series[wrong].iloc[0]
        raise DataValidationError(
            f"column {column!r} (the traded flag) is not a 0/1 flag: it holds values such as {example!r} "
            f"(rows {_show(rows)}).",
            hint="code traded as 1 (trade) or 0 (no trade), or as true/false.",
            column=column,
            rows=rows,
        )
    check.row_problem(
        wrong,
        f"{column} not 0/1",
        column,
        f"column {column!r} (the traded flag) has entries other than 0/1",
        f"code {column!r} as 1 (trade) or 0 (no trade)",
    )
    check.row_problem(
        np.isnan(values),
        f"missing value in {column}",
        column,
        f"column {column!r} (the traded flag) has missing values",
        f"fill in {column!r} with 0 or 1",
    )
    return values


def validate_negotiations(
    frame: pd.DataFrame,
    *,
    traded: str,
    price: str | None = None,
    value: str | None = None,
    cost: str | None = None,
    covariates: Sequence[str] | str = (),
    groups: Sequence[str] | str = (),
    drop_invalid: bool = False,
) -> ValidatedData:
    """Check negotiation (incomplete-information) data: one row per negotiation.

    Parameters
    ----------
    frame
        The data.
    traded
        Column of the trade flag: 0/1, bool, or the words true/false, yes/no.
    price
        Optional price column: finite where traded, missing (NaN or empty) where not.
    value, cost
        Optional observed or proxied buyer value v and seller cost c (finite). Trade with v < c is *not* an
        error here: proxies are noisy.
    covariates
        Further columns: numeric ones must be finite; text ones (categoricals) must have no missing entries.
    groups
        Id columns (cells); missing ids are row problems.
    drop_invalid
        Drop rows with problems and report them instead of raising on the first problem.

    Returns
    -------
    ValidatedData
        ``data[traded]`` is int64 0/1.

    Examples
    --------
    >>> validate_negotiations(load_example("negotiations"), traded="traded", price="price").n_used
    5000
    """
    schema = NegotiationSchema(
        traded=traded,
        price=price,
        value=value,
        cost=cost,
        covariates=_names(covariates),
        groups=_names(groups),
    )
    check = _Checker(frame, drop_invalid, "negotiation")
    roles: dict[str | None, str] = {
        traded: "traded flag",
        price: "price",
        value: "value v",
        cost: "cost c",
        **{c: "covariate" for c in schema.covariates},
        **{c: "group id" for c in schema.groups},
    }
    for column in schema.required_columns:
        check.require(column, roles.get(column, "column"))
    flag = _traded_values(check, traded)
    check.factorize_ids(schema.id_columns)
    for column in schema.id_columns:
        check.ids(column, roles[column])
    if price is not None:
        p = check.numeric(price, "price", allow_nan=True)
        assert p is not None
        with np.errstate(invalid="ignore"):
            check.row_problem(
                (flag == 1) & np.isnan(p),
                f"missing {price} on a trade",
                price,
                f"column {price!r} has no price for negotiations that traded ({traded} = 1)",
                f"fill in the price of every trade, or set {traded!r} to 0 if there was no trade",
            )
            check.row_problem(
                (flag == 0) & ~np.isnan(p),
                f"{price} without a trade",
                price,
                f"column {price!r} has a price for negotiations that did not trade ({traded} = 0)",
                f"leave the price empty (NaN) where {traded!r} is 0, or set {traded!r} to 1",
            )
    for column in schema.numeric_columns:
        if column in schema.covariates and column not in (value, cost):
            check.covariate(column, roles[column])
        else:
            check.numeric(column, roles[column])
    check.converted[traded] = flag
    return check.result(dtypes={traded: "int64"})
