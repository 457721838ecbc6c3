"""`bargaining demo`: a worked example (for now Nash-in-Nash transfers and a merger counterfactual)."""

from __future__ import annotations

import argparse
from importlib import resources
from typing import Any

from bargaining.commands._output import add_json_flag, print_json

EXAMPLE = "nash_in_nash_payoffs.csv"

DESCRIPTION = f"""\
Run a worked example and print the results.

Two hospitals (h1, h2) sell to two insurers (i1, i2); all four contracts form. A bigger network draws
enrollees from the rival insurer, and hospitals recapture patients through the other insurer, so agreements
have externalities. The payoffs come with the package ({EXAMPLE}; layout in docs/nash_in_nash_csv.md).
The demo prints the Nash-in-Nash transfers with equal bargaining weights, then the merger counterfactual in
which h1 and h2 form one system that bargains with each insurer over both hospitals at once.
Same numbers: bargaining nash-in-nash {EXAMPLE} [--system sys=h1,h2].
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run a worked example (Nash-in-Nash transfers and a hospital merger)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run_demo() -> dict[str, Any]:
    """Compute the demo; returns a JSON-ready-after-``to_jsonable`` dict of tables and a summary.

    Keys: ``title``, ``description``, ``source``, ``baseline`` and ``merger`` (each a transfers report:
    ``transfers``, ``payoffs``, ``weights``, ``rows_used``, ``rows_total``) and ``summary`` (lines of text).
    """
    from bargaining.commands.nash_in_nash import read_csv_table, transfers_report
    from bargaining.models.nash_in_nash import NashInNash

    with resources.as_file(resources.files("bargaining.data") / "examples" / EXAMPLE) as path:
        frame = read_csv_table(path, what="example payoffs")
    baseline = transfers_report(NashInNash.from_table(frame))
    systems = {"sys": ["h1", "h2"]}
    merger = transfers_report(NashInNash.from_table(frame, systems=systems))
    merger["systems"] = systems

    before = baseline["transfers"].groupby("j")["transfer"].sum()
    after = merger["transfers"].set_index("j")["transfer"]
    summary = [
        f"insurer {insurer} pays the hospitals {before[insurer]:.6g} in total before the merger and "
        f"{after[insurer]:.6g} after ({after[insurer] - before[insurer]:+.6g})"
        for insurer in before.index
    ]
    alone = (
        baseline["transfers"]
        .groupby("j")["gain_j"]
        .apply(lambda gains: " + ".join(f"{g:.6g}" for g in gains))
    )
    both = merger["transfers"].set_index("j")["gain_j"]
    summary += [
        f"{insurer} loses {both[insurer]:.6g} without both hospitals but {alone[insurer]} without each one "
        "alone: the hospitals are substitutes, so bargaining over both at once strengthens the merged "
        "system's threat"
        for insurer in before.index
    ]
    return {
        "title": "Nash-in-Nash transfers: two hospitals, two insurers",
        "description": " ".join(DESCRIPTION.split("\n\n")[1].split()),
        "source": EXAMPLE,
        "baseline": baseline,
        "merger": merger,
        "summary": summary,
    }


def run(args: argparse.Namespace) -> int:
    from bargaining.commands.nash_in_nash import print_report

    result = run_demo()
    if args.json:
        print_json(result)
        return 0
    print(result["title"])
    print(result["description"])
    print()
    print_report(result["baseline"], title="Before the merger (equal weights)")
    print()
    print_report(result["merger"], title="After h1 and h2 merge into sys (joint bargaining)")
    print()
    for line in result["summary"]:
        print(line)
    return 0
