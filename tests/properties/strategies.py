"""Hypothesis strategies for the property suite: valid inputs of the package, then randomly corrupted.

Every strategy starts from something that works (the bundled example data, a simulator's output, a valid
option set, a valid command line) and applies a few corruptions drawn at random, so the examples stay close
to what a user would really pass. The checks that every outcome must pass are in :func:`check_outcome`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from bargaining.errors import BargainingError

# --------------------------------------------------------------------------------------------------------------
# the invariant
# --------------------------------------------------------------------------------------------------------------

#: Seconds one example may take before it counts as a failure (a hang, or a size that was not refused).
EXAMPLE_TIMEOUT = 300


class ExampleTimeout(AssertionError):
    """An example ran longer than :data:`EXAMPLE_TIMEOUT` seconds."""


@contextlib.contextmanager
def time_limit(seconds: int = EXAMPLE_TIMEOUT) -> Iterator[None]:
    """Fail (AssertionError) when the block runs longer than ``seconds`` (SIGALRM; main thread only)."""

    def handler(signum: int, frame: Any) -> None:
        raise ExampleTimeout(f"example took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


_COUNTS: dict[str, int] = {}


def count_example() -> None:
    """With ``PROPERTIES_PROGRESS=FILE``: every 250 examples of a test, append its running count to FILE.

    Long explore runs can then be stopped at any time with an exact record of how many examples ran.
    """
    path = os.environ.get("PROPERTIES_PROGRESS")
    if not path:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    _COUNTS[test] = _COUNTS.get(test, 0) + 1
    if _COUNTS[test] % 250 == 0:
        with open(path, "a") as handle:
            handle.write(f"{time.strftime('%H:%M:%S')} {test} {_COUNTS[test]}\n")


def check_results(res: Any) -> None:
    """A returned estimation result: finite estimates and positive finite standard errors, or NaN with a note.

    Never a standard error of exactly 0 (or 0 up to rounding) and never a NaN that no note explains.
    """
    params = res.params
    se = res.std_errors
    notes = list(res.notes)
    assert len(params) > 0
    for name, value in params.items():
        assert not np.isinf(value), f"infinite estimate {name} = {value}"
        if np.isnan(value):
            assert notes, f"estimate {name} is NaN and no note explains it"
    for name, value in se.items():
        assert value != 0, f"standard error of {name} is 0"
        assert not np.isinf(value), f"standard error of {name} is infinite"
        if np.isnan(value):
            assert notes, f"standard error of {name} is NaN and no note explains it"
        else:
            assert value > 0


def check_error(error: BargainingError) -> None:
    """One of our errors: it must carry a hint that says how to fix the input."""
    assert error.hint, f"{type(error).__name__} without a hint: {error.message}"
    assert str(error.hint).strip()


def check_outcome(call: Callable[[], Any], check: Callable[[Any], None] | None = check_results) -> Any:
    """Run ``call``: it returns a result that passes ``check``, or raises a :class:`BargainingError` with a hint.

    Any other exception propagates (and fails the property). Warnings are allowed (they are documented
    behaviour); they are silenced so that the explore profile does not print thousands of them.
    """
    count_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with time_limit():
                result = call()
        except BargainingError as error:
            check_error(error)
            return None
    if check is not None:
        check(result)
    return result


# --------------------------------------------------------------------------------------------------------------
# base data (built once)
# --------------------------------------------------------------------------------------------------------------


@functools.cache
def agreements_base() -> pd.DataFrame:
    """The bundled hospital-insurer agreements (2,000 rows), shuffled once."""
    from bargaining import load_example

    frame = load_example("hospital_insurer")
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


@functools.cache
def negotiations_base() -> pd.DataFrame:
    """400 simulated negotiations with noisy value and cost proxies (so the likelihood has a maximum)."""
    from bargaining import simulate

    frame = simulate("negotiations", n=400, seed=3, proxy_noise=0.1, delta=[0.3, -0.3]).data
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------------
# corruptions of a data frame
# --------------------------------------------------------------------------------------------------------------

BAD_CELLS: list[Any] = [
    np.nan, np.inf, -np.inf, "abc", "", None, -1.0, -1e6, 1e300, -1e300, 1e-300, 0.0, 2.0, True, 10**20,
    pd.NaT,
]

CORRUPTIONS = [
    "drop", "rename", "cells", "cells", "as_str", "as_object_mixed", "constant", "duplicate", "swap",
    "one_row", "empty", "huge_column", "negate", "as_bool", "as_category", "duplicate_index", "duplicate_column",
    "column_all_nan",
]


@st.composite
def corrupted(draw: st.DrawFn, frame: pd.DataFrame, columns: list[str], max_ops: int = 3) -> pd.DataFrame:
    """``frame`` with up to ``max_ops`` random corruptions applied to the named ``columns``."""
    out = frame.copy()
    duplicated: list[str] = []
    for op in draw(st.lists(st.sampled_from(CORRUPTIONS), max_size=max_ops)):
        present = [c for c in columns if c in out.columns]
        if op == "empty":
            out = out.iloc[0:0]
            continue
        if op == "one_row":
            out = out.iloc[:1]
            continue
        if op == "duplicate":
            out = pd.concat([out, out.iloc[: draw(st.integers(1, 3))]], ignore_index=True)
            continue
        if op == "duplicate_index":
            out.index = [0] * len(out)
            continue
        if not present:
            continue
        col = draw(st.sampled_from(present))
        if op == "drop":
            out = out.drop(columns=[col])
        elif op == "rename":
            out = out.rename(columns={col: draw(st.sampled_from([col + "_x", col.upper(), "", " " + col]))})
        elif op == "cells" and len(out):
            rows = draw(st.lists(st.integers(0, len(out) - 1), min_size=1, max_size=3))
            value = draw(st.sampled_from(BAD_CELLS))
            values = out[col].astype(object)
            values.iloc[rows] = value
            out[col] = values
            with contextlib.suppress(TypeError, ValueError):
                out[col] = pd.to_numeric(out[col])
        elif op == "as_str":
            out[col] = out[col].astype(str)
        elif op == "as_object_mixed" and len(out):
            values = out[col].astype(object)
            values.iloc[0] = "n/a"
            out[col] = values
        elif op == "constant" and len(out):
            out[col] = out[col].iloc[0]
        elif op == "swap":
            other = draw(st.sampled_from(present))
            out[[col, other]] = out[[other, col]].to_numpy()
        elif op == "huge_column":
            with contextlib.suppress(TypeError):
                out[col] = pd.to_numeric(out[col], errors="coerce") * draw(st.sampled_from([1e150, 1e-150, 1e9]))
        elif op == "negate":
            with contextlib.suppress(TypeError):
                out[col] = -pd.to_numeric(out[col], errors="coerce")
        elif op == "as_bool":
            out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0) > 0
        elif op == "as_category":
            out[col] = out[col].astype("category")
        elif op == "duplicate_column":
            duplicated.append(col)  # applied last: later corruptions address columns by name
        elif op == "column_all_nan":
            out[col] = np.nan
    for col in duplicated:
        if col in out.columns:
            out = pd.concat([out, out[[col]]], axis=1)
    return out


# --------------------------------------------------------------------------------------------------------------
# (a) fit_nash
# --------------------------------------------------------------------------------------------------------------

NASH_SPECS: list[dict[str, Any]] = [
    {"seller_cost": "seller_cost"},
    {"cost_formula": "~ 1 + z1", "recapture": "recapture"},
    {"seller_cost": "seller_cost", "weight_by": "system"},
    {"seller_cost": "seller_cost", "weight_formula": "~ 1 + z2"},
    {"seller_cost": "seller_cost", "instruments": "~ 0 + wtp_drop"},
    {"seller_cost": "seller_cost", "cluster": "market"},
    {"cost_formula": "~ 1 + z1 + z2"},
]

NASH_COLUMNS = ["price", "buyer_value", "seller_cost", "recapture", "z1", "z2", "system", "market", "wtp_drop"]


@st.composite
def nash_inputs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A small agreements frame (0-60 rows of the bundled data), corrupted, and the keywords of a fit_nash spec."""
    base = agreements_base()
    start = draw(st.integers(0, len(base) - 60))
    n = draw(st.sampled_from([60, 40, 20, 12, 5, 3, 2, 1]))
    frame = base.iloc[start : start + n].reset_index(drop=True)
    frame = draw(corrupted(frame, NASH_COLUMNS))
    spec = dict(draw(st.sampled_from(NASH_SPECS)))
    if draw(st.booleans()):
        spec["drop_invalid"] = True
    return frame, spec


# --------------------------------------------------------------------------------------------------------------
# (b) fit_incomplete / fit_incomplete_moments
# --------------------------------------------------------------------------------------------------------------

TRADE_COLUMNS = ["traded", "price", "value_proxy", "cost_proxy", "group"]
#: Known supports of the values and costs. The default (None: the sample range, widened) costs a fresh solve of
#: the Loertscher-Marx market per data set (tens of seconds), so examples use a fixed support, on which the
#: solution is cached, or a corrupted one that must be refused.
WIDE = (-0.5, 1.5)
BOUNDS = [WIDE, WIDE, WIDE, WIDE, (0.0, 1.0), (1.0, 0.0), (0.2, 0.4), (0.0, 0.0), (np.nan, 1.0), (0.0, np.inf), (0.0,),
          "a", (1.5, -0.5), (WIDE[0], WIDE[1], 2.0)]


@st.composite
def trade_frame(draw: st.DrawFn) -> pd.DataFrame:
    """A slice of simulated negotiations (1-300 rows), corrupted: swapped columns, out-of-support values, ..."""
    base = negotiations_base()
    n = draw(st.sampled_from([300, 200, 100, 40, 10, 3, 1]))
    start = draw(st.integers(0, len(base) - n))
    frame = base.iloc[start : start + n].reset_index(drop=True)
    extra = draw(st.sampled_from(["none", "none", "swap_vc", "all_traded", "none_traded", "shift_values",
                                  "traded_2", "price_on_failure", "price_missing_on_trade"]))
    if extra == "swap_vc":
        frame[["value_proxy", "cost_proxy"]] = frame[["cost_proxy", "value_proxy"]].to_numpy()
    elif extra == "all_traded":
        frame["traded"] = 1
    elif extra == "none_traded":
        frame["traded"] = 0
    elif extra == "shift_values":
        frame["value_proxy"] = frame["value_proxy"] + draw(st.sampled_from([-2.0, 5.0, 1e12]))
    elif extra == "traded_2" and len(frame):
        frame.loc[frame.index[0], "traded"] = 2
    elif extra == "price_on_failure":
        frame["price"] = frame["price"].fillna(0.5)
    elif extra == "price_missing_on_trade":
        frame.loc[frame["traded"] == 1, "price"] = np.nan
    return draw(corrupted(frame, TRADE_COLUMNS))


@st.composite
def incomplete_inputs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Arguments of fit_incomplete (uniform F and G; the fitted families are too slow for thousands of runs)."""
    frame = draw(trade_frame())
    kwargs: dict[str, Any] = {"traded": "traded", "value": "value_proxy", "cost": "cost_proxy"}
    kwargs["value_bounds"] = draw(st.sampled_from(BOUNDS))
    kwargs["cost_bounds"] = draw(st.sampled_from(BOUNDS))
    if draw(st.booleans()):
        kwargs["cluster"] = "group"
    if draw(st.booleans()):
        kwargs["drop_invalid"] = True
    return frame, kwargs


@st.composite
def moments_inputs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Arguments of fit_incomplete_moments under the k-double-auction price rule."""
    frame = draw(trade_frame())
    kwargs: dict[str, Any] = {"traded": "traded", "price": "price", "price_rule": "k-double-auction"}
    kwargs["k"] = draw(st.sampled_from([None, None, 0.5, 0.0, 1.0, 0.3, -0.1, 1.5, np.nan]))
    kwargs["cells"] = draw(st.sampled_from([None, None, "group", ["group"], "traded", "missing_column"]))
    kwargs["support"] = draw(st.sampled_from(["common", "common", "by-cell", "bogus"]))
    if draw(st.booleans()):
        kwargs["cluster"] = "group"
    if draw(st.booleans()):
        kwargs["drop_invalid"] = True
    # a few solver iterations: on small, badly identified samples the default limit (200) takes ~10-80 s per
    # example; a fit stopped early must still be reported honestly (converged=False, a note), which is checked
    kwargs["maxiter"] = draw(st.sampled_from([3, 10]))
    return frame, kwargs


# --------------------------------------------------------------------------------------------------------------
# (c) distributions and markets
# --------------------------------------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.sampled_from([0.0, 1.0, 0.99, 1.01, 0.5, 2.0, -1.0, 1e-9, 1e-300, 1e9, 1e300, np.nan, np.inf, -np.inf]),
    st.floats(min_value=-3, max_value=5, allow_nan=False),
)


@st.composite
def distributions(draw: st.DrawFn, cheap: bool = False) -> Any:
    """A type distribution built from random (possibly invalid) parameters; may raise on construction.

    Returns a zero-argument callable that builds it, so the construction is checked as part of the property.
    """
    from bargaining import Beta, Mixture, TruncatedExponential, TruncatedNormal, Uniform

    family = draw(st.sampled_from(["uniform", "uniform", "beta", "truncnorm", "truncexp", "mixture"]))
    if family == "uniform":
        lo, hi = draw(NUMBERS), draw(NUMBERS)
        return lambda: Uniform(lo, hi)
    if family == "beta":
        if cheap:
            a, b = draw(st.sampled_from([(2.0, 3.0), (1.0, 1.0), (3.0, 2.0), (0.0, 1.0), (-1.0, 2.0), (np.nan, 1.0)]))
        else:
            a = draw(st.one_of(NUMBERS, st.sampled_from([0.99, 1.0, 0.5, 0.999, 1.001])))
            b = draw(st.one_of(NUMBERS, st.sampled_from([0.99, 1.0, 0.5, 0.999, 1.001])))
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (0.0, 1.0), (1.0, 2.0), (1.0, 0.0), (0.0, np.inf)]))
        return lambda: Beta(a, b, lo, hi)
    if family == "truncnorm":
        mean, sd = draw(NUMBERS), draw(NUMBERS)
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (0.0, 1.0), (1.0, 0.0), (-np.inf, 1.0), (0.0, 1e-12)]))
        return lambda: TruncatedNormal(mean, sd, lo, hi)
    if family == "truncexp":
        scale = draw(NUMBERS)
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (0.5, 1.0), (1.0, 0.0), (0.0, np.inf)]))
        return lambda: TruncatedExponential(scale, lo, hi)
    weights = draw(st.sampled_from([None, [0.5, 0.5], [1.0, -1.0], [np.nan, 1.0], [0.0, 0.0], [1.0], [2.0, 1.0]]))
    return lambda: Mixture([Uniform(0, 0.5), Uniform(0.3, 1)], weights)


WEIGHT = st.sampled_from([1.0, 0.5, 0.0, 0.25, -0.1, 1.5, np.nan, np.inf, "1", None])
UNITS = st.sampled_from([1, 1, 2, 0, -1, 1.5, 10**7, 10**12, np.nan, "2", True])


@st.composite
def market_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Keywords of a small Market and its bargain() call: 1-2 buyers and 1-3 suppliers, some inputs corrupted."""
    from bargaining import Beta, Uniform

    n_buyers = draw(st.integers(1, 2))
    n_suppliers = draw(st.integers(0 if draw(st.integers(0, 19)) == 0 else 1, 3))
    singular = draw(st.integers(0, 199)) == 0  # rarely: a density unbounded at an end (solving it takes seconds)

    def dist(i: int) -> Any:
        if singular and i == 0:
            return draw(st.sampled_from([Beta(1, 0.99), Beta(0.99, 0.99), Beta(0.99, 1)]))
        return draw(st.sampled_from([Uniform(0, 1), Uniform(0, 1), Uniform(0.5, 1.5), Beta(2, 2)]))

    buyers: Any = [dist(i) for i in range(n_buyers)]
    suppliers: Any = [dist(i + 1) for i in range(n_suppliers)]
    kwargs: dict[str, Any] = {"buyers": buyers, "suppliers": suppliers}
    if draw(st.booleans()):
        kwargs["buyer_units"] = [draw(UNITS) for _ in range(draw(st.integers(n_buyers - 1, n_buyers + 1)))]
    if draw(st.booleans()):
        kwargs["supplier_units"] = [draw(UNITS) for _ in range(draw(st.integers(max(n_suppliers - 1, 0),
                                                                               n_suppliers + 1)))]
    if draw(st.integers(0, 3)) == 0:
        kwargs["preferences"] = [draw(st.sampled_from([1.0, 2.0, 0.0, -1.0, np.nan])) for _ in range(n_suppliers)]
    if draw(st.integers(0, 5)) == 0:
        kwargs["buyers"] = draw(st.sampled_from([[], "uniform", [None], [0.5], buyers[0]]))
    buyer_weights = [draw(WEIGHT) for _ in range(draw(st.integers(max(n_buyers - 1, 0), n_buyers + 1)))]
    supplier_weights = [draw(WEIGHT) for _ in range(draw(st.integers(max(n_suppliers - 1, 0), n_suppliers + 1)))]
    shares = draw(st.sampled_from([None, None, None, [0.5, 0.5], [1.0], [-1.0, 2.0]]))
    return {"market": kwargs, "buyer_weights": buyer_weights, "supplier_weights": supplier_weights,
            "shares": shares, "frontier": draw(st.sampled_from([None, None, 3, 0, 1, -2, 2.5, 10**9]))}


# --------------------------------------------------------------------------------------------------------------
# (d) options
# --------------------------------------------------------------------------------------------------------------

#: n_jobs values that do not start worker processes (the machine running the suite is shared).
N_JOBS = st.sampled_from([1, 1, 0, -1000, "2", 1.5, None, True, np.int64(1)])


@st.composite
def options(draw: st.DrawFn, cluster_columns: list[str]) -> dict[str, Any]:
    """Inference options, each valid or corrupted (wrong types, negative, unknown names)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["cov_type"] = draw(st.sampled_from(["robust", "unadjusted", "clustered", "bootstrap", "HC3", "",
                                                "ROBUST", None, 3, "cluster"]))
    if draw(st.booleans()):
        out["cluster"] = draw(st.sampled_from([*cluster_columns, "nonexistent", 5, "", None, ["a", "b"]]))
    if draw(st.booleans()):
        out["bootstrap"] = draw(st.sampled_from([None, 0, 1, 2, 4, -1, 2.5, "4", True, 10**9, np.nan,
                                                 np.int64(3)]))
    if draw(st.booleans()):
        out["bootstrap_kind"] = draw(st.sampled_from([None, "pairs", "cluster", "wild", "foo", 1, "PAIRS"]))
    if draw(st.booleans()):
        out["seed"] = draw(st.sampled_from([None, 0, 1, -1, "a", 2.5, 2**70, -(2**70), True, np.int64(7),
                                            np.random.default_rng(0), [1, 2], np.nan]))
    if draw(st.booleans()):
        out["n_jobs"] = draw(N_JOBS)
    if draw(st.integers(0, 3)) == 0:
        out["maxiter"] = draw(st.sampled_from([None, 0, -1, 1, 5, "x", 2.5]))
    if draw(st.integers(0, 3)) == 0:
        out["drop_invalid"] = draw(st.sampled_from([True, False, "yes", None, 1]))
    if draw(st.integers(0, 5)) == 0:
        out["progress"] = draw(st.sampled_from([False, "no", 2]))
    return out


# --------------------------------------------------------------------------------------------------------------
# (e) command lines
# --------------------------------------------------------------------------------------------------------------

JUNK = ["", "-1", "0", "1", "2", "0.5", "nan", "inf", "-inf", "abc", "1e308", "1e-308", "10000000", "--json",
        "-", "1,2", "uniform:1,0", "beta:0,1", "beta:1,0.99", "beta:0.99,0.99", "uniform:0,1", "~ 1 +", "~ 1 + nope",
        "x=1", "=", "sys=", "2.5", "true", "é", "\x00"]


def cli_paths(tmp: Any) -> dict[str, str]:
    """Write the input files the command templates need into directory ``tmp``; return their paths by role."""
    from pathlib import Path

    tmp = Path(tmp)
    agreements = agreements_base().iloc[:60]
    agreements.to_csv(tmp / "agreements.csv", index=False)
    negotiations_base().iloc[:200].to_csv(tmp / "negotiations.csv", index=False)
    pd.DataFrame({
        "product": [1, 2, 3, 4],
        "price": [35.53, 154.0, 84.08, 53.16],
        "share": [0.29, 0.40, 0.28, 0.03],
        "firm": ["s1", "s2", "s3", "s4"],
        "firm_post": ["s1", "s2", "s2", "s4"],
        "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
    }).to_csv(tmp / "miller.csv", index=False)
    from bargaining import load_example

    load_example("nash_in_nash_payoffs").to_csv(tmp / "payoffs.csv", index=False)
    pd.DataFrame({"u1": [0.0, 1.0, 0.6], "u2": [1.0, 0.0, 0.6]}).to_csv(tmp / "points.csv", index=False)
    (tmp / "empty.csv").write_text("")
    (tmp / "garbage.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe,,,\n\"unterminated")
    (tmp / "header_only.csv").write_text("price,buyer_value,seller_cost\n")
    (tmp / "subdir").mkdir(exist_ok=True)
    return {
        "agreements": str(tmp / "agreements.csv"),
        "negotiations": str(tmp / "negotiations.csv"),
        "miller": str(tmp / "miller.csv"),
        "payoffs": str(tmp / "payoffs.csv"),
        "points": str(tmp / "points.csv"),
        "out": str(tmp / "out.csv"),
        "bad_inputs": [str(tmp / "empty.csv"), str(tmp / "garbage.csv"), str(tmp / "header_only.csv"),
                       str(tmp / "subdir"), str(tmp / "missing.csv"), str(tmp / "agreements.txt"),
                       str(tmp / "x.parquet"), "/proc/self/nonexistent.csv"],
        "bad_outs": [str(tmp / "subdir"), str(tmp / "nope" / "out.csv"), "/nonexistent-dir/out.csv",
                     "/proc/out.csv", str(tmp / "out.xyz"), str(tmp / "out"), "", str(tmp / "out.csv.gz"),
                     str(tmp / "out.parquet"), str(tmp / "agreements.csv") + "/x.csv"],
    }


def cli_templates(paths: dict[str, Any]) -> list[list[str]]:
    """Valid command lines (each runs and exits 0 on the files of :func:`cli_paths`)."""
    a, n, m, p, out = paths["agreements"], paths["negotiations"], paths["miller"], paths["payoffs"], paths["out"]
    return [
        ["simulate", "negotiations", "--seed", "1", "--n", "50", "--out", out],
        ["simulate", "hospital-insurer", "--seed", "2", "--n", "3", "--out", out, "--json"],
        ["simulate", "procurement", "--seed", "2", "--n", "20", "--out", out, "--param", "n_suppliers=2"],
        ["fit", "nash", a, "--price", "price", "--buyer-value", "buyer_value", "--seller-cost", "seller_cost"],
        ["fit", "nash", a, "--cost-formula", "~ 1 + z1", "--recapture", "recapture", "--weight-by", "system",
         "--cluster", "market", "--json"],
        ["fit", "nash", a, "--seller-cost", "seller_cost", "--weight-formula", "~ 1 + z2"],
        ["fit", "nash", a, "--seller-cost", "seller_cost", "--bootstrap", "3", "--seed", "1"],
        ["fit", "incomplete", n, "--traded", "traded", "--value", "value_proxy", "--cost", "cost_proxy"],
        ["fit", "incomplete", n, "--traded", "traded", "--value", "value_proxy", "--cost", "cost_proxy",
         "--value-bounds", "0", "1", "--cluster", "group", "--json"],
        ["fit", "incomplete", n, "--traded", "traded", "--price", "price", "--price-rule", "k-double-auction"],
        ["fit", "incomplete", n, "--traded", "traded", "--price", "price", "--price-rule", "k-double-auction",
         "--k", "0.5", "--cells", "group"],
        ["nash", "--pie", "1", "--weight", "0.3"],
        ["nash", "--frontier", "1 - u1**2", "--low", "0", "--high", "1", "--json"],
        ["nash", "--points", paths["points"], "--disagreement", "0.1", "0.2"],
        ["nash-in-nash", p],
        ["nash-in-nash", p, "--weight", "h1=1", "--weight", "h2=1", "--weight", "i1=2", "--weight", "i2=2"],
        ["nash-in-nash", p, "--system", "sys=h1,h2", "--json"],
        ["market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "0"],
        ["market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1",
         "--buyer-weights", "1", "--supplier-weights", "1", "0.5", "--json"],
        ["market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--frontier", "3"],
        ["market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--supplier", "uniform:0,1",
         "--merge-suppliers", "1,2"],
        ["market", "--buyer", "uniform:0,1", "--supplier", "uniform:0,1", "--delta", "0.5", "--first-best",
         "--buyer-units", "2", "--supplier-units", "1"],
        ["merger", m, "--price", "price", "--share", "share", "--seller", "firm", "--product", "product",
         "--margin", "margin", "--seller-weight", "0.4", "--normalize", "2", "--seller-post", "firm_post"],
        ["merger", m, "--price", "price", "--share", "share", "--seller", "firm", "--margin", "margin",
         "--seller-weight", "0.4", "--normalize", "2", "--seller-post", "firm_post", "--json"],
    ]


@st.composite
def command_lines(draw: st.DrawFn, paths: dict[str, Any]) -> list[str]:
    """A valid command line with up to three corruptions: tokens dropped, replaced, duplicated or added."""
    argv = list(draw(st.sampled_from(cli_templates(paths))))
    flags = sorted({t for template in cli_templates(paths) for t in template if t.startswith("--")})
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["drop", "replace", "replace", "bad_in", "bad_out", "add_flag", "duplicate"]))
        i = draw(st.integers(1, max(len(argv) - 1, 1)))
        if op == "drop" and len(argv) > 1:
            del argv[i]
        elif op == "replace" and len(argv) > 1:
            argv[i] = draw(st.sampled_from(JUNK))
        elif op == "bad_in":
            files = [j for j, t in enumerate(argv) if t in (paths["agreements"], paths["negotiations"],
                                                            paths["miller"], paths["payoffs"], paths["points"])]
            if files:
                argv[files[0]] = draw(st.sampled_from(paths["bad_inputs"]))
        elif op == "bad_out":
            if "--out" in argv[:-1]:
                argv[argv.index("--out") + 1] = draw(st.sampled_from(paths["bad_outs"]))
            else:
                argv += ["--out", draw(st.sampled_from(paths["bad_outs"]))]
        elif op == "add_flag":
            argv += [draw(st.sampled_from(flags)), draw(st.sampled_from(JUNK))]
        elif op == "duplicate" and len(argv) > 2:
            argv.insert(i, argv[i])
    if argv[0] == "simulate":  # --n 10000000 is a legitimate (slow, 1 GB) request, not a corruption
        argv = ["100000" if t == "10000000" else t for t in argv]
    return argv
