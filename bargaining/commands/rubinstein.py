"""`bargaining rubinstein`: subgame-perfect shares of Rubinstein's alternating-offers game."""

from __future__ import annotations

import argparse

from bargaining.commands._output import add_json_flag, print_json, print_table
from bargaining.commands.nash import number
from bargaining.errors import InvalidParameterError

DESCRIPTION = """\
Divide a pie of size SIZE by alternating offers (Rubinstein 1982). Player i discounts each round of delay
by the factor delta_i. In the unique subgame-perfect equilibrium the first offer is accepted and a proposer
keeps (1 - delta_responder) / (1 - delta1 * delta2) of the pie, offering the responder exactly what the
responder would get, discounted, as the next proposer.

With delta_i = exp(-r_i * dt) and offers ever more frequent (dt -> 0) the shares tend to the Nash solution
with player 1's weight r2 / (r1 + r2): see `bargaining nash --pie SIZE --weight BETA`.

examples:
  bargaining rubinstein --delta1 0.9 --delta2 0.8
  bargaining rubinstein --delta1 0.9 --delta2 0.8 --size 100 --first-proposer 2 --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rubinstein",
        help="subgame-perfect shares of alternating-offers bargaining with discounting",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--delta1", metavar="D1", help="player 1's discount factor per round, in [0, 1] (required)"
    )
    parser.add_argument(
        "--delta2", metavar="D2", help="player 2's discount factor per round, in [0, 1] (required)"
    )
    parser.add_argument("--size", metavar="SIZE", default="1", help="size of the pie (default 1)")
    parser.add_argument(
        "--first-proposer", metavar="1|2", default="1", help="who makes the first offer (default 1)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from bargaining.models.rubinstein import rubinstein

    for option, value in (("--delta1", args.delta1), ("--delta2", args.delta2)):
        if value is None:
            raise InvalidParameterError(f"{option} is required.", hint="e.g. --delta1 0.9 --delta2 0.8")
    if args.first_proposer.strip() not in ("1", "2"):
        raise InvalidParameterError(
            f"--first-proposer must be 1 or 2, got {args.first_proposer!r}.",
            hint="say which player offers first.",
        )
    outcome = rubinstein(
        number(args.delta1, "--delta1"),
        number(args.delta2, "--delta2"),
        number(args.size, "--size"),
        first_proposer=int(args.first_proposer),
    )
    if args.json:
        print_json(outcome.to_dict())
        return 0
    table = pd.DataFrame(
        {
            "player 1": [
                outcome.payoffs[0],
                outcome.shares[0],
                outcome.offer_by_1[0],
                outcome.offer_by_2[0],
                outcome.delta1,
            ],
            "player 2": [
                outcome.payoffs[1],
                outcome.shares[1],
                outcome.offer_by_1[1],
                outcome.offer_by_2[1],
                outcome.delta2,
            ],
        },
        index=["payoff", "share", "division offered by 1", "division offered by 2", "discount factor"],
    )
    print_table(table, title="Rubinstein alternating offers: subgame-perfect equilibrium", digits=10)
    print()
    print(
        f"player {outcome.proposer} proposes first and the offer is accepted at once (size {outcome.size:g})."
    )
    return 0
