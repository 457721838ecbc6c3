"""``simulate_merger``: calibrate a bargaining market from one market's table and simulate a merger.

A thin front end: it reads the columns, calls :func:`bargaining.models.merger.calibrate_market` (logit demand,
costs and the seller weight, exactly when exactly identified) and
:meth:`bargaining.models.merger.NashInNashMarket.simulate`, starting both solves from the observed prices.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, MissingColumnError
from bargaining.estimate.engines.options import read_data
from bargaining.models.merger import MergerResult, calibrate_market

__all__ = ["simulate_merger"]


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in frame.columns:
        close = difflib.get_close_matches(str(name), [str(c) for c in frame.columns], n=1)
        raise MissingColumnError(
            f"column {name!r} ({role}) is not in the data.",
            hint=(f"did you mean {close[0]!r}? " if close else "") + f"columns: {list(frame.columns)[:12]}.",
            column=str(name),
        )
    return frame[name]


def _per_product(frame: pd.DataFrame, value: Any, role: str, *, numeric: bool) -> Any:
    """A column name -> its values; a sequence -> as given; None / a number -> unchanged."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in frame.columns or not numeric:
            return _column(frame, value, role).to_numpy()
        try:
            return float(value)
        except ValueError:
            _column(frame, value, role)  # raises with a hint
    if np.ndim(value) == 0:
        if not numeric:
            raise InvalidParameterError(f"{role} must be a column name or one label per product, got {value!r}.",
                                        hint=f"pass {role} as a column of the data.")
        return float(value)
    values = np.asarray(list(value), dtype=float if numeric else object)
    if len(values) != len(frame):
        raise InvalidParameterError(f"{role} has {len(values)} values for {len(frame)} products.",
                                    hint=f"pass {role} as a column name or one value per row.")
    return values


def _reference(normalize: Hashable | None, products: pd.Index) -> Hashable | None:
    """The normalized product's label, matching a string to non-string labels (the command line)."""
    if normalize is None or normalize in products:
        return normalize
    matches = [p for p in products if str(p) == str(normalize)]
    return matches[0] if len(matches) == 1 else normalize


def _removed(remove: Any, products: pd.Index) -> Any:
    """Product labels to remove, matching strings to non-string labels (the command line)."""
    if remove is None:
        return None
    labels = [remove] if isinstance(remove, str) or np.ndim(remove) == 0 else list(remove)
    return [_reference(label, products) for label in labels]


def _groups(frame: pd.DataFrame, weight_by: Any) -> Any:
    """``"seller"`` / ``"buyer"`` pass through; a column name -> its labels; a sequence as given."""
    if weight_by is None or (isinstance(weight_by, str) and weight_by in ("seller", "buyer")):
        return weight_by
    return _per_product(frame, weight_by, "weight_by", numeric=False)


def _nest_values(nesting_parameter: Any, nests: Any, frame: pd.DataFrame) -> Any:
    """A mapping keyed by strings (the command line) matched to the nest labels of the data."""
    if not isinstance(nesting_parameter, dict) or nests is None:
        return nesting_parameter
    labels = list(dict.fromkeys(_per_product(frame, nests, "nests", numeric=False)))
    by_text = {str(label): label for label in labels}
    return {by_text.get(str(key), key) if key not in labels else key: value
            for key, value in nesting_parameter.items()}


def simulate_merger(
    data: Any,
    *,
    price: str,
    share: str,
    seller: str,
    product: str | None = None,
    buyer: str | None = None,
    wholesale_price: str | None = None,
    margin: str | None = None,
    wholesale_margin: str | None = None,
    seller_weight: float | str | None = None,
    outside_price: float = 0.0,
    normalize: Hashable | None = None,
    seller_post: Any = None,
    buyer_post: Any = None,
    seller_weight_post: Any = None,
    cost_change: Any = None,
    cost_change_kind: str = "relative",
    remove: Any = None,
    starts: int = 1,
    market_elasticity: float | None = None,
    weight_by: Any = None,
    nests: Any = None,
    nesting_parameter: Any = None,
) -> MergerResult:
    """Calibrate Nash-in-Nash bargaining with logit (or nested logit) demand to one market and simulate a merger.

    Parameters
    ----------
    data
        One row per product: a DataFrame, or a CSV/Parquet path.
    price, share, seller
        Columns: the consumer (retail) price, the market share (with an outside good when shares sum to less
        than 1), the seller (upstream firm) that negotiates the product's price.
    product
        Column of product labels (default: the row index).
    buyer, wholesale_price
        Columns for a chain: the retailer, which pays the bargained wholesale price and sets the retail price by
        Bertrand. Without ``buyer`` sellers bargain with consumers (Miller 2014).
    margin
        Column of (price - marginal cost) / price, or in a chain the retail margin (P - W - c^D) / P; NaN where
        unknown.
    wholesale_margin
        Column of (W - c^U) / W in a chain; NaN where unknown.
    seller_weight
        None (calibrate one common weight in [0, 1]), a number, or a column name (fixed per product). The
        seller's Nash weight beta; R antitrust's bargaining power is 1 - beta.
    outside_price, normalize
        The outside good's price, or ``normalize=PRODUCT``: no outside good, that product's mean utility is 0.
    seller_post, buyer_post
        Post-merger owners (column names or sequences): a horizontal merger relabels sellers or buyers;
        vertical integration relabels a retailer with a seller's name.
    seller_weight_post
        Post-merger weight: a number or a column name.
    cost_change, cost_change_kind
        Change in the seller's (upstream) cost, a column or sequence: relative (-0.05 is 5% cheaper) or, with
        ``cost_change_kind="level"``, in money.
    remove
        Products (labels) that leave the market in the counterfactual.
    starts
        Starting points per solve (observed prices first; see ``NashInNashMarket.equilibrium``); the result
        reports whether they reached different equilibria.
    market_elasticity
        The aggregate elasticity of the inside goods (negative; e.g. -1.5), an extra calibration moment: with
        one margin it identifies alpha and a common weight; with shares that sum to 1 (inside shares) and an
        outside good it also calibrates the outside share (``result.calibration["outside_share"]``). See
        :func:`bargaining.models.merger.calibrate_market`.
    weight_by
        With ``seller_weight=None``: ``"seller"`` (one weight per seller), ``"buyer"`` (one per retailer), or a
        column of group labels; default one common weight. Needs at least as many margins (and the elasticity)
        as unknowns, and a margin that depends on each group's weight.
    nests, nesting_parameter
        Nested logit demand: a column of nest labels and the nesting parameter lambda in (0, 1] (one number, a
        mapping nest -> lambda, or one per nest in order of appearance); with ``nests`` and no
        ``nesting_parameter`` one common lambda is calibrated (one margin more is needed).

    Returns
    -------
    MergerResult
        ``params``, ``pre``, ``post``, ``hhi``, ``consumer_surplus_change``, ``converged``, ``summary`` and
        ``calibration`` (fit of the margins); ``producer_surplus``, ``compensating_variation``,
        ``compensating_cost_reduction``, ``upward_pricing_pressure``, ``industry`` and ``to_frame()``.

    Examples
    --------
    The documented example of R antitrust's ``bargaining.logit`` (Miller, 2014); R's bargaining power
    ``bargpowerPre = 0.6`` is ``seller_weight = 0.4``:

    >>> miller = pd.DataFrame({"price": [35.53, 154, 84.08, 53.16], "share": [0.29, 0.40, 0.28, 0.03],
    ...                        "seller": ["s1", "s2", "s3", "s4"], "post": ["s1", "s2", "s2", "s4"],
    ...                        "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan]}, index=[1, 2, 3, 4])
    >>> res = simulate_merger(miller, price="price", share="share", seller="seller", margin="margin",
    ...                       seller_weight=0.4, normalize=2, seller_post="post")
    >>> res.post["price"].round(2).tolist()
    [38.7, 184.33, 122.52, 53.38]
    """
    frame = read_data(data)
    if len(frame) == 0:
        raise InvalidParameterError("the data have no rows.", hint="pass one row per product.")
    index = pd.Index(_column(frame, product, "product") if product is not None else frame.index, name="product")
    if not index.is_unique:
        raise InvalidParameterError("product labels repeat.", hint="label each product once (product= column).")

    def series(value: Any) -> pd.Series | None:
        return None if value is None else pd.Series(np.asarray(value), index=index)

    prices = pd.Series(_column(frame, price, "price").to_numpy(dtype=float), index=index)
    shares = pd.Series(_column(frame, share, "share").to_numpy(dtype=float), index=index)
    weight = _per_product(frame, seller_weight, "seller_weight", numeric=True)
    calibration = calibrate_market(
        prices,
        shares,
        seller=series(_column(frame, seller, "seller").to_numpy()),
        buyer=series(_column(frame, buyer, "buyer").to_numpy()) if buyer is not None else None,
        wholesale_price=series(_column(frame, wholesale_price, "wholesale price").to_numpy(dtype=float))
        if wholesale_price is not None else None,
        margin=series(_column(frame, margin, "margin").to_numpy(dtype=float)) if margin is not None else None,
        wholesale_margin=series(_column(frame, wholesale_margin, "wholesale margin").to_numpy(dtype=float))
        if wholesale_margin is not None else None,
        seller_weight=weight,
        outside_price=outside_price,
        normalize=_reference(normalize, index),
        market_elasticity=market_elasticity,
        weight_by=_groups(frame, weight_by),
        nests=series(_per_product(frame, nests, "nests", numeric=False)),
        nesting_parameter=_nest_values(nesting_parameter, nests, frame),
    )
    market = calibration.market
    start = prices.to_numpy() if buyer is None else np.concatenate(
        [prices.to_numpy(), _column(frame, wholesale_price or "", "wholesale price").to_numpy(dtype=float)])
    result = market.simulate(
        seller_post=series(_per_product(frame, seller_post, "seller_post", numeric=False)),
        buyer_post=series(_per_product(frame, buyer_post, "buyer_post", numeric=False)),
        seller_weight_post=_per_product(frame, seller_weight_post, "seller_weight_post", numeric=True),
        cost_change=_per_product(frame, cost_change, "cost_change", numeric=True),
        cost_change_kind=cost_change_kind,
        start=start,
        starts=starts,
        remove=_removed(remove, index),
    )
    result.calibration = calibration.info
    return result
