"""`bargaining market`: the Loertscher-Marx outcome of bargaining with private information."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bargaining.commands._output import add_json_flag, print_json, print_table
from bargaining.errors import InvalidParameterError, UnknownNameError

if TYPE_CHECKING:
    import pandas as pd

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

Counterfactuals (agents numbered from 1 in the order given; the weights above are those before the change):
  --merge-suppliers I,J   suppliers I and J merge: one firm with cost min(c_I, c_J) (--merged-weight W, default
                          the larger of the two weights; --merged-units K, default the larger capacity)
  --merge-buyers I,J      buyers I and J merge: one firm with value max(v_I, v_J)
  --integrate I           the only buyer integrates with supplier I (or, with one supplier, the supplier with
                          buyer I): its value of outside supply is min(v, c_I) (Proposition 7;
                          --integrated-weight W, default the weight it negotiates with as a buyer)
  --equalize              the given weights against equal weights, with Proposition 3's conditions (i)-(iv)
  --invest                agents choose investments e before bargaining (Proposition 8): distribution
                          parameters may use e, e.g. --buyer beta:1+e,1 --supplier beta:1,1+e; each agent pays
                          Psi(e) = C e^2 (--investment-cost C, default 1) with e in --investment-bounds LOW,HIGH
                          (default 0,1); prints first-best and equilibrium investments, the under-investment and
                          the welfare lost (slow: seconds to a minute)
Each prints the market before and after (payoffs, welfare, trade rate, rho, accuracy); --json prints both
markets and outcomes. --plot FILE also saves the frontiers before and after with the two outcomes (png, pdf,
svg; needs matplotlib).

examples:
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --delta 0
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --supplier uniform:0,1 --preferences 2 1 \\
      --buyer-weights 1 --supplier-weights 1 1
  bargaining market --buyer beta:2,3 --supplier beta:3,2 --frontier 11 --json
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --supplier uniform:0,1 --supplier uniform:0,1 \
      --merge-suppliers 1,2
  bargaining market --buyer uniform:1,2 --supplier uniform:0,1 --supplier uniform:0,1 --integrate 1 --plot vi.png
  bargaining market --buyer uniform:1,2 --supplier uniform:0,1 --supplier uniform:0,1 --integrate 1 --json
  bargaining market --buyer uniform:0,1 --supplier uniform:0,1 --supplier uniform:0,1 --delta 0.5 --equalize
  bargaining market --buyer beta:1+e,1 --supplier beta:1,1+e --invest --investment-bounds 0,2 --json
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
    group = parser.add_argument_group("counterfactuals (one at a time)")
    group.add_argument("--merge-suppliers", metavar="I,J", help="merge suppliers I and J (numbered from 1)")
    group.add_argument("--merge-buyers", metavar="I,J", help="merge buyers I and J (numbered from 1)")
    group.add_argument("--merged-weight", type=float, metavar="W", help="the merged firm's weight (default: the larger)")
    group.add_argument("--merged-units", type=int, metavar="K", help="the merged firm's units (default: the larger)")
    group.add_argument("--integrate", type=int, metavar="I", help="vertical integration with supplier I (or buyer I)")
    group.add_argument("--integrated-weight", type=float, metavar="W", help="the integrated firm's weight")
    group.add_argument("--equalize", action="store_true", help="compare with equal bargaining weights (Proposition 3)")
    group.add_argument("--invest", action="store_true", help="investment before bargaining (Proposition 8)")
    group.add_argument("--investment-cost", type=float, default=1.0, metavar="C", help="Psi(e) = C e^2 (default 1)")
    group.add_argument("--investment-bounds", default="0,1", metavar="LOW,HIGH", help="investment range (default 0,1)")
    group.add_argument("--plot", metavar="FILE", help="save the frontiers before and after the counterfactual (png, pdf, svg)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _arithmetic(text: str, investment: float | None, spec: str) -> float:
    """Evaluate a parameter: a number, or (with --invest) arithmetic in the investment e (+ - * / **)."""
    import ast
    import operator

    operators: dict[type, Any] = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos,
    }

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id == "e":
            if investment is None:
                raise InvalidParameterError(
                    f"{spec!r} uses the investment e.", hint="add --invest (Proposition 8), or give numbers."
                )
            return investment
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return float(operators[type(node.op)](value(node.left), value(node.right)))
        if isinstance(node, ast.UnaryOp) and type(node.op) in operators:
            return float(operators[type(node.op)](value(node.operand)))
        raise ValueError(text)

    try:
        return value(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        raise InvalidParameterError(
            f"Parameters of {spec!r} must be numbers (or arithmetic in e with --invest).",
            hint="e.g. beta:2,3, uniform:0,1 or, with --invest, beta:1+e,1",
        ) from None


def parse_distribution(spec: str, investment: float | None = None) -> Any:
    """``NAME:p1,p2,...`` -> a type distribution of :mod:`bargaining.models.distributions`.

    With ``investment`` given, parameters may be arithmetic in ``e`` (the agent's investment).
    """
    from bargaining.models import distributions

    name, _, params = spec.partition(":")
    key = name.strip().lower()
    if key not in FAMILIES:
        raise UnknownNameError(f"Unknown distribution {name!r} in {spec!r}.", hint=f"Use one of {', '.join(FAMILIES)}.")
    cls_name, fewest, most = FAMILIES[key]
    values = [_arithmetic(p, investment, spec) for p in params.split(",")] if params.strip() else []
    if not fewest <= len(values) <= most:
        raise InvalidParameterError(
            f"{key} takes {fewest} to {most} numbers, got {len(values)} in {spec!r}.", hint="see `bargaining market --help`."
        )
    return getattr(distributions, cls_name)(*values)


def _outcome_table(outcome: Any) -> pd.DataFrame:
    import pandas as pd

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
    if args.invest:
        return _investment(args)
    market = Market(
        [parse_distribution(s) for s in args.buyer],
        [parse_distribution(s) for s in args.supplier],
        buyer_units=args.buyer_units,
        supplier_units=args.supplier_units,
        preferences=args.preferences,
    )
    counterfactuals = [name for name in ("merge_suppliers", "merge_buyers", "integrate") if getattr(args, name) is not None]
    counterfactuals += ["equalize"] if args.equalize else []
    if counterfactuals:
        if len(counterfactuals) > 1 or args.frontier is not None:
            raise InvalidParameterError(
                "Give one counterfactual at a time (and no --frontier).", hint="e.g. only --merge-suppliers 1,2."
            )
        return _counterfactual(args, market, counterfactuals[0])
    if args.plot:
        raise InvalidParameterError(
            "--plot draws the frontiers before and after a counterfactual.",
            hint="Add one of --merge-suppliers I,J, --merge-buyers I,J, --integrate I or --equalize.",
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
    weights = _weights(args, market)
    if weights is not None:
        outcome = market.bargain(*weights)
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



def _weights(args: argparse.Namespace, market: Any) -> tuple[list[float], list[float]] | None:
    """Explicit per-agent weights, or None for --delta (checked: not both)."""
    explicit = args.buyer_weights is not None or args.supplier_weights is not None
    if explicit and args.delta is not None:
        raise InvalidParameterError("Give --delta or weights, not both.", hint="drop one of them.")
    if not explicit:
        return None
    return args.buyer_weights or [1.0] * len(market.buyers), args.supplier_weights or [1.0] * len(market.suppliers)


def _one_based_pair(text: str, option: str, n: int) -> tuple[int, int]:
    try:
        i, j = (int(p) for p in text.split(","))
    except ValueError:
        raise InvalidParameterError(f"{option} takes two agent numbers I,J, got {text!r}.", hint=f"e.g. {option} 1,2") from None
    for k in (i, j):
        if not 1 <= k <= n:
            raise InvalidParameterError(f"{option} {text}: agent {k} does not exist.", hint=f"Number agents from 1 to {n}.")
    return i - 1, j - 1


def _counterfactual(args: argparse.Namespace, market: Any, which: str) -> int:
    from bargaining.models.conventions import weights_from_delta
    from bargaining.models.mechanism.counterfactuals import (
        compare_integration,
        compare_merger,
        equalize_power,
    )

    weights = _weights(args, market)
    if weights is None:
        w_b, w_s = weights_from_delta(0.0 if args.delta is None else args.delta)
        weights = [w_b] * len(market.buyers), [w_s] * len(market.suppliers)
    wb, ws = weights
    if which == "merge_suppliers":
        pair = _one_based_pair(args.merge_suppliers, "--merge-suppliers", len(market.suppliers))
        cmp = compare_merger(market, suppliers=pair, buyer_weights=wb, supplier_weights=ws,
                             merged_weight=args.merged_weight, units=args.merged_units)
    elif which == "merge_buyers":
        pair = _one_based_pair(args.merge_buyers, "--merge-buyers", len(market.buyers))
        cmp = compare_merger(market, buyers=pair, buyer_weights=wb, supplier_weights=ws,
                             merged_weight=args.merged_weight, units=args.merged_units)
    elif which == "integrate":
        n_other = len(market.suppliers) if len(market.buyers) == 1 else len(market.buyers)
        if not 1 <= args.integrate <= n_other:
            raise InvalidParameterError(f"--integrate {args.integrate}: no such agent.", hint=f"Number agents from 1 to {n_other}.")
        side = {"supplier": args.integrate - 1} if len(market.buyers) == 1 else {"buyer": args.integrate - 1}
        cmp = compare_integration(market, buyer_weights=wb, supplier_weights=ws,
                                  integrated_weight=args.integrated_weight, **side)
    else:
        cmp = equalize_power(market, wb, ws)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from bargaining.plots import plot_counterfactual

        plot_counterfactual(cmp).savefig(args.plot, bbox_inches="tight")
    if args.json:
        payload = cmp.to_dict()
        if args.plot:
            payload["plot"] = str(args.plot)
        print_json(payload)
    else:
        print(cmp)
        if args.plot:
            print(f"\nfigure: {args.plot}")
    return 0


def _investment(args: argparse.Namespace) -> int:
    """--invest: first-best and equilibrium investments (Proposition 8) for families given by the specs."""
    from bargaining.models.mechanism.investment import InvestmentGame

    others = [o for o in ("merge_suppliers", "merge_buyers", "integrate", "frontier", "plot") if getattr(args, o)]
    if others or args.equalize:
        raise InvalidParameterError("--invest is its own counterfactual.", hint="drop the other counterfactual options.")
    try:
        low, high = (float(x) for x in args.investment_bounds.split(","))
    except ValueError:
        raise InvalidParameterError(
            f"--investment-bounds {args.investment_bounds!r} is not LOW,HIGH.", hint="e.g. --investment-bounds 0,2"
        ) from None
    if not (args.investment_cost > 0):
        raise InvalidParameterError("--investment-cost must be positive.", hint="e.g. --investment-cost 1")
    cost = float(args.investment_cost)

    def family(spec: str) -> Any:
        parse_distribution(spec, investment=low)  # fail early on a bad spec
        return lambda e: parse_distribution(spec, investment=float(e))

    market_weights = None
    if args.buyer_weights is not None or args.supplier_weights is not None or args.delta is not None:
        from bargaining.models.conventions import weights_from_delta

        if args.delta is not None:
            w_b, w_s = weights_from_delta(args.delta)
            market_weights = ([w_b] * len(args.buyer), [w_s] * len(args.supplier))
        else:
            market_weights = (
                args.buyer_weights or [1.0] * len(args.buyer),
                args.supplier_weights or [1.0] * len(args.supplier),
            )
    game = InvestmentGame(
        [family(s) for s in args.buyer],
        [family(s) for s in args.supplier],
        [lambda e: cost * e**2] * len(args.buyer),
        [lambda e: cost * e**2] * len(args.supplier),
        bounds=(low, high),
        buyer_weights=None if market_weights is None else market_weights[0],
        supplier_weights=None if market_weights is None else market_weights[1],
        buyer_units=args.buyer_units,
        supplier_units=args.supplier_units,
    )
    result = game.solve()
    if args.json:
        print_json({"investment": result.to_dict(), "first_best": result.first_best, "equilibrium": result.equilibrium})
        return 0
    print(str(result))
    return 0

