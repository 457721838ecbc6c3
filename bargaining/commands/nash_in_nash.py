"""`bargaining nash-in-nash`: Nash-in-Nash transfers from a CSV of payoffs."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bargaining.commands._output import add_json_flag, print_json, print_table
from bargaining.errors import (
    DataValidationError,
    InvalidParameterError,
    InvalidWeightError,
    MissingColumnError,
)

if TYPE_CHECKING:
    import pandas as pd

DESCRIPTION = """\
Compute Nash-in-Nash transfers in a network of bilateral agreements from a table of payoffs.

PAYOFFS.csv (long format, see docs/nash_in_nash_csv.md) has one row per agent and set of formed agreements:
  agreements   the formed agreements, SELLER-BUYER separated by ';' (e.g. h1-i1;h2-i1); empty for none
  agent        an agent's name
  payoff       pi_agent(agreements): the agent's payoff when exactly those agreements form, before payments
A wide format also works: an `agreements` column and one column per agent. The network G is every agreement
that appears in the file; needed rows: every agent at G, and both parties at G without each agreement (with
--system, without each system bundle). Other rows may be present; the output says how many were used.

For each agreement (i, j), i is the seller who receives the transfer and j the buyer who pays it:
  gain_i = pi_i(G) - pi_i(G without ij), gain_j likewise, and
  transfer = (b_i gain_j - b_j gain_i) / (b_i + b_j),
i.e. price = C + beta (V - C) with C = -gain_i, V = gain_j, beta = b_i / (b_i + b_j). Every agreement needs
gain_i + gain_j > 0 (gains from trade), or the command fails naming the pairs.

Weights: omitted = all equal; otherwise every agent needs one (--weights FILE.csv with columns agent,
weight; or --weight AGENT=B, repeatable, overriding the file). Only ratios b_i / (b_i + b_j) matter.

examples:
  bargaining nash-in-nash payoffs.csv
  bargaining nash-in-nash payoffs.csv --weight h1=1 --weight h2=1 --weight i1=2 --weight i2=2
  bargaining nash-in-nash payoffs.csv --system sys=h1,h2          (merger: sys bargains jointly)
  bargaining nash-in-nash payoffs.csv --weights weights.csv --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "nash-in-nash",
        help="Nash-in-Nash transfers in a network, from a CSV of payoffs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("payoffs", metavar="PAYOFFS.csv", help="payoff table (CSV, or Parquet by suffix)")
    parser.add_argument("--weights", metavar="FILE.csv", help="bargaining weights: columns agent, weight")
    parser.add_argument(
        "--weight", action="append", default=[], metavar="AGENT=B", help="weight of one agent (repeatable)"
    )
    parser.add_argument(
        "--system",
        action="append",
        default=[],
        metavar="NAME=A,B",
        help="agents A, B, ... merge into system NAME and pool payoffs (repeatable); give NAME a weight or "
        "give the members equal weights",
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="with --system: negotiate each agreement separately (pooled payoffs), not one joint bundle "
        "per counterparty",
    )
    parser.add_argument("--agreements-col", default="agreements", metavar="COL", help="default: agreements")
    parser.add_argument("--agent-col", default="agent", metavar="COL", help="default: agent")
    parser.add_argument("--payoff-col", default="payoff", metavar="COL", help="default: payoff")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def read_csv_table(path: str | Path, *, what: str) -> pd.DataFrame:
    """Read a CSV (or Parquet) file with every cell as text; malformed files raise DataValidationError."""
    import pandas as pd

    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            return frame.astype(object).where(frame.notna(), "")
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataValidationError(
            f"cannot read the {what} file {str(path)!r}: {first_line}.",
            hint="give a comma-separated file with a header row (see docs/nash_in_nash_csv.md).",
        ) from None


def parse_weights(path: str | None, overrides: list[str]) -> dict[str, float] | None:
    """Weights from a file (columns agent, weight) and AGENT=B overrides; None when neither is given."""
    weights: dict[str, Any] = {}
    if path is not None:
        frame = read_csv_table(path, what="weights")
        for column in ("agent", "weight"):
            if column not in frame.columns:
                raise MissingColumnError(
                    f"the weights file has no column {column!r}.",
                    hint=f"columns are: {', '.join(map(str, frame.columns))}; it needs agent and weight.",
                    column=column,
                )
        for position, (agent, value) in enumerate(zip(frame["agent"], frame["weight"], strict=True)):
            agent = str(agent).strip()
            if agent in weights:
                raise DataValidationError(
                    f"agent {agent!r} has two weights in the weights file (row {position + 1}).",
                    hint="keep one row per agent.",
                    column="agent",
                )
            weights[agent] = _number(value, f"the weight of {agent!r} (row {position + 1})")
    for item in overrides:
        agent, separator, value = item.partition("=")
        if not separator or not agent.strip():
            raise InvalidWeightError(
                f"cannot read --weight {item!r}.", hint="write --weight AGENT=B, e.g. h1=0.5."
            )
        weights[agent.strip()] = _number(value, f"the weight of {agent.strip()!r}")
    return weights or None


def _number(text: Any, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidWeightError(f"{what} is not a number: {text!r}.", hint="give a number b >= 0.") from None
    if not math.isfinite(value):
        raise InvalidWeightError(f"{what} is {value}.", hint="give a finite number b >= 0.")
    return value


def parse_systems(items: list[str]) -> dict[str, list[str]] | None:
    """``NAME=A,B`` strings to a systems mapping."""
    systems: dict[str, list[str]] = {}
    for item in items:
        name, separator, members = item.partition("=")
        names = [member.strip() for member in members.split(",") if member.strip()]
        if not separator or not name.strip() or not names:
            raise InvalidParameterError(
                f"cannot read --system {item!r}.", hint="write --system NAME=A,B (the merging agents)."
            )
        if name.strip() in systems:
            raise InvalidParameterError(f"system {name.strip()!r} is given twice.", hint="merge the lists.")
        systems[name.strip()] = names
    return systems or None


def transfers_report(model: Any) -> dict[str, Any]:
    """Transfers, payoffs and table usage of a solved :class:`~bargaining.models.nash_in_nash.NashInNash`."""
    transfers = model.transfers()
    payoffs = model.payoffs()
    report: dict[str, Any] = {
        "transfers": transfers.reset_index(),
        "payoffs": payoffs.reset_index(),
        "weights": dict(model.network.weights),
    }
    if model.table is not None:
        report["rows_used"] = model.table.n_used
        report["rows_total"] = model.table.n_rows
    return report


def print_report(report: dict[str, Any], *, title: str) -> None:
    """Print a transfers report as tables."""
    print_table(
        report["transfers"].set_index("agreement"), title=f"{title}: transfer paid by buyer j to seller i"
    )
    print()
    print_table(report["payoffs"].set_index("agent"), title="payoffs at G (pi before payments)")
    if "rows_used" in report:
        unused = report["rows_total"] - report["rows_used"]
        print(
            f"\nused {report['rows_used']} of {report['rows_total']} payoff rows"
            + (f"; {unused} describe agreement sets Nash-in-Nash does not need" if unused else "")
        )


def run(args: argparse.Namespace) -> int:
    from bargaining.models.nash_in_nash import NashInNash

    frame = read_csv_table(args.payoffs, what="payoffs")
    model = NashInNash.from_table(
        frame,
        parse_weights(args.weights, args.weight),
        systems=parse_systems(args.system),
        joint=not args.separate,
        agreements=args.agreements_col,
        agent=args.agent_col,
        payoff=args.payoff_col,
    )
    report = transfers_report(model)
    if args.json:
        print_json(report)
    else:
        print_report(report, title="Nash-in-Nash")
    return 0
