"""`bargaining market`: the Loertscher-Marx outcome of bargaining with private information."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from bargaining.commands._output import add_json_flag, print_json, print_table
from bargaining.errors import InvalidParameterError, UnknownNameError

DESCRIPTION = """\
Predict the outcome of bargaining with private information (Loertscher and Marx, 2022): buyers with
private values and suppliers with private costs, bargaining weights w, and the mechanism that maximizes
weighted welfare subject to incentive compatibility, participation and no deficit. Prints rho, each agent's
expected payoff, welfare, budget surplus, expected trades and the numerical accuracy reached.

Type distributions, one option per agent (repeat --buyer / --supplier):
  uniform:LOW,HIGH            beta:A,B[,LOW,HIGH]          truncnorm:MEAN,SD,LOW,HIGH
  truncexp:SCALE[,LOW,HIGH]   (the default support is [0, 1])

Weights: --delta D in [-1, 1] (all buyers w_B, all suppliers w_S, Delta = (w_B - w_S) / max) or
--buyer-weights / --supplier-weights, one per agent. --frontier N prints the Pareto frontier at N values of
Delta instead; --first-best adds the ex post efficient outcome and its deficit.

examples:
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --delta 0
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --supplier uniform:0,1 --preferences 2 1 \\
      --buyer-weights 1 --supplier-weights 1 1
  bargaining market --buyer beta:2,3 --supplier beta:3,2 --frontier 11 --json
"""

FAMILIES = {
    "uniform": ("Uniform", 2, 2),
    "beta": ("Beta", 2, 4),
    "truncnorm": ("TruncatedNormal", 4, 4),
    "truncexp": ("TruncatedExponential", 1, 3),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "market",
        help="Loertscher-Marx outcome of bargaining with private values and costs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--buyer", action="append", metavar="DIST", help="a buyer's value distribution (repeat)")
    parser.add_argument("--supplier", action="append", metavar="DIST", help="a supplier's cost distribution (repeat)")
    parser.add_argument("--buyer-units", nargs="+", type=int, metavar="K", help="units demanded per buyer (default 1)")
    parser.add_argument("--supplier-units", nargs="+", type=int, metavar="K", help="capacity per supplier (default 1)")
    parser.add_argument("--preferences", nargs="+", type=float, metavar="THETA", help="one buyer's taste theta_j per supplier (C.2)")
    parser.add_argument("--delta", type=float, metavar="D", help="bargaining differential in [-1, 1]")
    parser.add_argument("--buyer-weights", nargs="+", type=float, metavar="W", help="one weight per buyer")
    parser.add_argument("--supplier-weights", nargs="+", type=float, metavar="W", help="one weight per supplier")
    parser.add_argument("--frontier", type=int, metavar="N", help="print the frontier at N values of Delta")
    parser.add_argument("--first-best", action="store_true", help="also print the ex post efficient outcome")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def parse_distribution(spec: str) -> Any:
    """``NAME:p1,p2,...`` -> a type distribution of :mod:`bargaining.models.distributions`."""
    from bargaining.models import distributions

    name, _, params = spec.partition(":")
    key = name.strip().lower()
    if key not in FAMILIES:
        raise UnknownNameError(f"Unknown distribution {name!r} in {spec!r}.", hint=f"Use one of {', '.join(FAMILIES)}.")
    cls_name, fewest, most = FAMILIES[key]
    try:
        values = [float(p) for p in params.split(",")] if params.strip() else []
    except ValueError:
        raise InvalidParameterError(f"Parameters of {spec!r} must be numbers.", hint="e.g. beta:2,3 or uniform:0,1") from None
    if not fewest <= len(values) <= most:
        raise InvalidParameterError(
            f"{key} takes {fewest} to {most} numbers, got {len(values)} in {spec!r}.", hint="see `bargaining market --help`."
        )
    return getattr(distributions, cls_name)(*values)


def _outcome_table(outcome: Any) -> pd.DataFrame:
    rows = [(f"buyer {i + 1}", w, r, u) for i, (w, r, u) in enumerate(
        zip(outcome.buyer_weights, outcome.buyer_weight_ratios, outcome.buyer_payoffs))]
    rows += [(f"supplier {j + 1}", w, r, u) for j, (w, r, u) in enumerate(
        zip(outcome.supplier_weights, outcome.supplier_weight_ratios, outcome.supplier_payoffs))]
    return pd.DataFrame(rows, columns=["agent", "weight", "weight / rho", "expected payoff"]).set_index("agent")


def _totals(outcome: Any) -> str:
    lines = [
        ("rho", f"{outcome.rho:.10g}"),
        ("welfare", f"{outcome.welfare:.10g}"),
        ("budget surplus", f"{outcome.budget_surplus:.3g}"),
        ("expected trades", f"{outcome.expected_trades:.10g}"),
        ("accuracy (absolute error bound)", f"{outcome.accuracy:.2g}"),
        ("method", str(outcome.method)),
    ]
    return "\n".join(f"{name:<32}{value}" for name, value in lines)


def run(args: argparse.Namespace) -> int:
    from bargaining.models.mechanism import Market

    if not args.buyer or not args.supplier:
        raise InvalidParameterError("Give at least one --buyer and one --supplier.", hint="e.g. --buyer uniform:0,1 --supplier uniform:0,1")
    market = Market(
        [parse_distribution(s) for s in args.buyer],
        [parse_distribution(s) for s in args.supplier],
        buyer_units=args.buyer_units,
        supplier_units=args.supplier_units,
        preferences=args.preferences,
    )
    if args.frontier is not None:
        if args.frontier < 2:
            raise InvalidParameterError("--frontier needs at least 2 points.", hint="e.g. --frontier 11")
        frame = market.frontier(points=args.frontier)
        if args.json:
            print_json({"frontier": frame})
        else:
            print_table(frame.set_index("delta"), title="Pareto frontier over Delta (payoffs summed by side)")
        return 0
    explicit = args.buyer_weights is not None or args.supplier_weights is not None
    if explicit and args.delta is not None:
        raise InvalidParameterError("Give --delta or weights, not both.", hint="drop one of them.")
    if explicit:
        wb = args.buyer_weights or [1.0] * len(market.buyers)
        ws = args.supplier_weights or [1.0] * len(market.suppliers)
        outcome = market.bargain(wb, ws)
    else:
        outcome = market.bargain_delta(0.0 if args.delta is None else args.delta)
    first_best = market.first_best() if args.first_best else None
    if args.json:
        payload: dict[str, Any] = {"outcome": outcome.to_dict()}
        if first_best is not None:
            payload["first_best"] = first_best.to_dict()
        print_json(payload)
        return 0
    print_table(_outcome_table(outcome), title="Loertscher-Marx outcome")
    print(_totals(outcome))
    if first_best is not None:
        print()
        print(f"first best: welfare {first_best.welfare:.6g}, budget surplus {first_best.budget_surplus:.6g} "
              f"(the deficit of ex post efficient trade), expected trades {first_best.expected_trades:.6g}")
        print(f"share of the first-best gains lost: {1 - outcome.welfare / first_best.welfare:.4%}"
              if first_best.welfare > 0 else "")
    return 0

