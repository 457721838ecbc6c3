"""`bargaining demo`: fit the bundled hospital-insurer data; optionally the worked Nash-in-Nash merger example."""

from __future__ import annotations

import argparse
from importlib import resources
from typing import Any

from bargaining.commands._output import add_json_flag, print_json

EXAMPLE = "nash_in_nash_payoffs.csv"

DESCRIPTION = f"""\
Fit bargaining weights to the bundled data and print the estimates.

The data are 2,000 simulated hospital-insurer agreements (bargaining.data.load_example("hospital_insurer");
data card hospital_insurer.md). Each negotiated per-patient price is the Nash-in-Nash split
price = C + beta (V - C) + error of the pair's gains from trade; the true hospital weight is beta = 0.4.
The demo fits beta by least squares with robust standard errors, exactly like
  bargaining fit nash DATA --price price --buyer-value buyer_value --seller-cost seller_cost

With --nash-in-nash it instead prints a worked network example: two hospitals (h1, h2) and two insurers
(i1, i2), all four contracts formed, with externalities across agreements (payoffs in {EXAMPLE}, layout
in docs/nash_in_nash_csv.md): Nash-in-Nash transfers with equal weights, then the merger counterfactual
in which h1 and h2 form one system that bargains with each insurer over both hospitals at once.
"""

TRUE_BETA = 0.4


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="fit bargaining weights to the bundled hospital-insurer data (or a worked merger example)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--nash-in-nash",
        action="store_true",
        help="print the worked Nash-in-Nash transfers and hospital-merger example instead of the fit",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run_network_example() -> dict[str, Any]:
    """Compute the Nash-in-Nash merger example; returns a JSON-ready-after-``to_jsonable`` dict of tables and a summary.

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
        "description": " ".join(DESCRIPTION.split("\n\n")[2].split()).replace("With --nash-in-nash it instead prints", "This is"),
        "source": EXAMPLE,
        "baseline": baseline,
        "merger": merger,
        "summary": summary,
    }


def run(args: argparse.Namespace) -> int:
    if args.nash_in_nash:
        return _print_network_example(json=args.json)
    from bargaining.estimate.nash_price import demo_fit

    result = demo_fit()
    if args.json:
        payload = result.to_dict()
        payload["truth"] = {"beta": TRUE_BETA}
        payload["data"] = "hospital_insurer"
        print_json(payload)
        return 0
    print("Nash-in-Nash price equation fitted to the bundled hospital-insurer data (true beta = 0.4)")
    print()
    print(result.summary)
    return 0


def _print_network_example(*, json: bool) -> int:
    from bargaining.commands.nash_in_nash import print_report

    result = run_network_example()
    if json:
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
