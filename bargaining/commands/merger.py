"""`bargaining merger`: calibrate Nash-in-Nash bargaining to one market and simulate a merger."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from bargaining.commands._output import add_json_flag, print_json, print_table

DESCRIPTION = """\
One market, one row per product (CSV or Parquet). Without --buyer each seller bargains with the consumers over
the price of its products (Miller 2014; R antitrust bargaining.logit); with --buyer and --wholesale-price the
seller bargains a wholesale price with that retailer, which sets the retail price by Bertrand (Sheu-Taragin;
R antitrust vertical.barg). Logit demand, marginal costs and (without --seller-weight) one common seller weight
are calibrated from the prices, shares and margins, exactly when exactly identified; the market is then solved
before and after the change of owners, weights or costs. --seller-weight is the seller's Nash weight beta
(R antitrust's bargaining power is 1 - beta). --market-elasticity adds the aggregate elasticity of the inside
goods as a moment (and, with shares that sum to 1, calibrates the outside share); --weight-by calibrates one
weight per seller, buyer or group; --nests uses nested logit demand, with lambda given by --nesting-parameter or
(without it) calibrated as one common lambda, which needs one margin more.

examples:
  bargaining merger miller.csv --price price --share share --seller firm --product product \\
      --margin margin --seller-weight 0.4 --normalize 2 --seller-post firm_post
  bargaining merger chain.csv --price price --share share --seller up --buyer down --wholesale-price w \\
      --margin margin --wholesale-margin w_margin --outside-price 10 --buyer-post down_post --json
  bargaining merger miller.csv --price price --share share --seller firm --margin margin \\
      --seller-weight 0.4 --normalize 2 --seller-post firm_post --remove 4 --starts 3
  bargaining merger nested.csv --price price --share share --seller firm --margin margin \
      --market-elasticity -1.2 --weight-by seller --nests nest --nesting-parameter 0.6 --seller-post firm_post

Outputs: pre/post prices, shares and margins; % price changes; upward pricing pressure (the post-merger
first-order condition at pre-merger prices, money per unit) and the compensating marginal-cost reduction (the
cost cut that keeps pre-merger prices) per product; for the industry and the merging parties the
share-weighted price change, consumer surplus change (compensating variation = -change), producer surplus
and HHI.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "merger",
        help="merger simulation with Nash-in-Nash bargaining and logit demand (one market)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", help="CSV or Parquet file, one row per product")
    parser.add_argument("--price", required=True, metavar="COL", help="consumer (retail) price column")
    parser.add_argument("--share", required=True, metavar="COL", help="market share column")
    parser.add_argument("--seller", required=True, metavar="COL", help="seller (upstream firm) column")
    parser.add_argument("--product", metavar="COL", help="product label column (default: row number)")
    parser.add_argument("--buyer", metavar="COL", help="retailer column (a vertical chain)")
    parser.add_argument("--wholesale-price", metavar="COL", help="wholesale price column (with --buyer)")
    parser.add_argument("--margin", metavar="COL",
                        help="(price - cost) / price, or the retail margin (P - W - c_D) / P; empty where unknown")
    parser.add_argument("--wholesale-margin", metavar="COL", help="(W - c_U) / W (with --buyer)")
    parser.add_argument("--seller-weight", metavar="X",
                        help="seller's Nash weight (a number or a column); default: calibrated")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--outside-price", type=float, default=0.0, metavar="X",
                        help="price of the outside good (default 0)")
    choice.add_argument("--normalize", metavar="PRODUCT",
                        help="no outside good: this product's mean utility is 0")
    parser.add_argument("--seller-post", metavar="COL", help="post-merger seller column")
    parser.add_argument("--buyer-post", metavar="COL", help="post-merger retailer column")
    parser.add_argument("--seller-weight-post", metavar="X", help="post-merger seller weight (number or column)")
    parser.add_argument("--cost-change", metavar="COL", help="change in the seller's (upstream) cost, a column")
    parser.add_argument("--cost-change-kind", choices=("relative", "level"), default="relative",
                        help="relative (-0.05: 5%% cheaper, default) or level (in money)")
    parser.add_argument("--remove", metavar="PRODUCTS",
                        help="comma-separated products that leave the market in the counterfactual")
    parser.add_argument("--market-elasticity", type=float, metavar="X",
                        help="aggregate elasticity of the inside goods (negative), an extra calibration moment; with "
                        "shares summing to 1 it also calibrates the outside share")
    parser.add_argument("--weight-by", metavar="seller|buyer|COL",
                        help="calibrate one seller weight per seller, per buyer, or per group of a column "
                        "(default: one common weight)")
    parser.add_argument("--nests", metavar="COL", help="nest column: nested logit demand (lambda from --nesting-parameter, else calibrated)")
    parser.add_argument("--nesting-parameter", metavar="X",
                        help="nested logit lambda in (0, 1]: one number, or NEST=X,NEST=X,... per nest")
    parser.add_argument("--starts", type=int, default=1, metavar="K",
                        help="starting points per solve (observed prices, cost-plus, high markup, perturbed); "
                        "reports whether they reach different equilibria")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _number_or_column(value: str | None) -> float | str | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value


def _simulate(args: argparse.Namespace) -> Any:
    from bargaining.estimate.merger import simulate_merger

    return simulate_merger(
        args.data,
        price=args.price,
        share=args.share,
        seller=args.seller,
        product=args.product,
        buyer=args.buyer,
        wholesale_price=args.wholesale_price,
        margin=args.margin,
        wholesale_margin=args.wholesale_margin,
        seller_weight=_number_or_column(args.seller_weight),
        outside_price=args.outside_price,
        normalize=args.normalize,
        seller_post=args.seller_post,
        buyer_post=args.buyer_post,
        seller_weight_post=_number_or_column(args.seller_weight_post),
        cost_change=args.cost_change,
        cost_change_kind=args.cost_change_kind,
        remove=[x.strip() for x in args.remove.split(",") if x.strip()] if args.remove else None,
        starts=args.starts,
        market_elasticity=args.market_elasticity,
        weight_by=args.weight_by,
        nests=args.nests,
        nesting_parameter=_nesting(args.nesting_parameter),
    )


def _nesting(value: str | None) -> Any:
    """``0.5`` -> 0.5; ``a=0.5,b=0.7`` -> {"a": 0.5, "b": 0.7}; ``0.5,0.7`` -> [0.5, 0.7] (nests in order)."""
    if value is None:
        return None
    from bargaining.errors import InvalidParameterError

    parts = [x.strip() for x in value.split(",") if x.strip()]
    try:
        if all("=" in x for x in parts):
            return {k.strip(): float(v) for k, v in (x.split("=", 1) for x in parts)}
        numbers = [float(x) for x in parts]
    except ValueError:
        raise InvalidParameterError(f"--nesting-parameter {value!r} is not understood.",
                                    hint="pass one number (0.6), or NEST=X pairs (cars=0.5,trucks=0.7).") from None
    return numbers[0] if len(numbers) == 1 else numbers


def run(args: argparse.Namespace) -> int:
    from bargaining.errors import BargainingWarning

    with warnings.catch_warnings(record=True) as caught:   # the package's warnings become notes of the result
        warnings.simplefilter("always", BargainingWarning)
        result = _simulate(args)
    for item in caught:
        if issubclass(item.category, BargainingWarning):
            result.notes.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return _print(result, args)


def _print(result: Any, args: argparse.Namespace) -> int:
    if args.json:
        print_json({
            "params": result.params,
            "pre": {str(k): v for k, v in result.pre.to_dict(orient="index").items()},
            "post": {str(k): v for k, v in result.post.to_dict(orient="index").items()},
            "hhi": result.hhi,
            "consumer_surplus_change": result.consumer_surplus_change,
            "converged": result.converged,
            "residual": result.residual,
            "calibration": result.calibration,
            "compensating_variation": result.compensating_variation,
            "consumer_surplus": result.consumer_surplus,
            "producer_surplus": {str(k): v for k, v in result.producer_surplus.to_dict(orient="index").items()},
            "producer_surplus_total": result.producer_surplus_total,
            "compensating_cost_reduction": {
                str(k): v for k, v in result.compensating_cost_reduction.to_dict(orient="index").items()},
            "upward_pricing_pressure": {
                str(k): v for k, v in result.upward_pricing_pressure.to_dict(orient="index").items()},
            "merging_firms": [str(x) for x in result.merging_firms],
            "products": {str(k): v for k, v in result.to_frame().to_dict(orient="index").items()},
            "industry": {str(k): v for k, v in result.industry.to_dict(orient="index").items()},
            "multiple_equilibria": result.multiple_equilibria,
            "notes": result.notes,
        })
        return 0
    print(result.summary)
    print()
    print_table(result.producer_surplus, title="Producer surplus by firm (per unit of market size)")
    print()
    print_table(result.params.to_frame("value"), title="Parameters")
    return 0
