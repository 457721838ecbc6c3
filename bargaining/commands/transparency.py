"""`bargaining transparency`: the pay-transparency model (many sellers, one buyer guarding a reputation)."""

from __future__ import annotations

import argparse

from bargaining.commands._output import (
    add_json_flag,
    check_output_file,
    print_json,
    print_table,
    require_matplotlib,
)
from bargaining.errors import InvalidParameterError

DESCRIPTION = """\
N zero-cost sellers make take-it-or-leave-it offers to one buyer with additive unit demand and value HIGH or
LOW per unit (HIGH with probability MU). Each seller then sees the period-1 outcome with probability TAU; in
period 2 a seller who saw a price above LOW accepted charges HIGH, the others LOW (discount DELTA). Prints the
selected symmetric equilibrium of period 1 (the buyer chooses the best subset of offers, sellers best-respond)
next to the passive-beliefs benchmark (the buyer judges each offer on its own): offers, acceptance by type,
payoffs and welfare, and the largest seller gain from a deviation found by the check.

--grid-transparency and/or --grid-sellers print the comparative statics over those values instead;
--plot FILE draws them (needs matplotlib).

examples:
  bargaining transparency --sellers 3 --high 1 --low 0.35 --prob-high 0.5 --discount 0.9 --transparency 0.2
  bargaining transparency --sellers 3 --low 0.35 --grid-transparency 0,0.25,0.5,0.75,1 --grid-sellers 1,3,6
  bargaining transparency --sellers 4 --recall --json
"""


def _floats(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InvalidParameterError(f"Expected comma-separated numbers, got {text!r}.", hint="e.g. 0,0.5,1") from None


def _ints(text: str) -> list[int]:
    values = _floats(text)
    if not all(v.is_integer() for v in values):
        raise InvalidParameterError(f"Expected comma-separated integers, got {text!r}.", hint="e.g. 1,2,5")
    return [int(v) for v in values]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transparency",
        help="pay-transparency model: sellers' offers to a buyer who protects its reputation",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sellers", type=int, default=3, metavar="N", help="number of sellers (default 3)")
    parser.add_argument("--high", type=float, default=1.0, help="high value per unit h (default 1)")
    parser.add_argument("--low", type=float, default=0.4, help="low value per unit l (default 0.4)")
    parser.add_argument("--prob-high", type=float, default=0.5, metavar="MU", help="P(high type) (default 0.5)")
    parser.add_argument("--discount", type=float, default=0.9, metavar="DELTA", help="period-2 discount (default 0.9)")
    parser.add_argument("--transparency", type=float, default=0.5, metavar="TAU",
                        help="probability a seller sees the period-1 outcome (default 0.5)")
    parser.add_argument("--recall", action="store_true", help="a seller whose own price above l was accepted knows it")
    parser.add_argument("--grid-transparency", metavar="T1,T2,...", help="comparative statics over these tau")
    parser.add_argument("--grid-sellers", metavar="N1,N2,...", help="comparative statics over these N")
    parser.add_argument("--plot", metavar="FILE", help="save a figure of the comparative statics (png, pdf, svg)")
    parser.add_argument("--quantity", default="seller_payoff",
                        help="column plotted by --plot (default seller_payoff; e.g. high_price, welfare)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bargaining.models.pay_transparency import PayTransparency

    model = PayTransparency(args.sellers, args.high, args.low, args.prob_high, args.discount, args.transparency,
                            recall=args.recall)
    taus = _floats(args.grid_transparency) if args.grid_transparency else None
    ns = _ints(args.grid_sellers) if args.grid_sellers else None
    if args.plot and taus is None and ns is None:
        taus = [i / 20 for i in range(21)]
    if args.plot:
        require_matplotlib("--plot")
        check_output_file(args.plot, "--plot")
    if taus is not None or ns is not None:
        frame = model.comparative_statics(transparency=taus, n_sellers=ns)
        if args.plot:
            if args.quantity not in frame or f"passive_{args.quantity}" not in frame:
                raise InvalidParameterError(f"Cannot plot {args.quantity!r}.",
                                            hint="Use a numeric column such as seller_payoff, high_price or welfare.")
            import matplotlib

            matplotlib.use("Agg")
            from bargaining.plots import plot_transparency

            x = "transparency" if taus is not None and (ns is None or len(taus) > 1) else "n_sellers"
            plot_transparency(frame, quantity=args.quantity, x=x).savefig(args.plot, bbox_inches="tight")
        if args.json:
            print_json({"model": repr(model), "comparative_statics": frame})
        else:
            shown = [c for q in ("regime", "high_price", "prob_high_offer", "payoff_high_type", "seller_payoff", "welfare")
                     for c in (q, f"passive_{q}")]
            print_table(frame.set_index(["n_sellers", "transparency"])[shown],
                        title=f"Comparative statics of {model!r} (strategic vs passive_; --json for every column)")
        return 0
    eq = model.equilibrium()
    if args.json:
        print_json({"model": repr(model), "equilibrium": eq.as_dict()})
    else:
        print_table(eq.table(), title=f"Period-1 equilibrium of {model!r}")
        print("\nSelection: the symmetric equilibrium sellers like best; 'other equilibria' lists the rest found.")
    return 0
