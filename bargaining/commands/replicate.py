"""`bargaining replicate`: recompute published numbers and compare them with the package's."""

from __future__ import annotations

import argparse

from bargaining.commands._output import add_json_flag, check_output_file, print_json, require_matplotlib

DESCRIPTION = """\
Run replication studies: each recomputes published numbers (tables, equations, figures of the
Loertscher-Marx appendix; Myerson-Satterthwaite closed forms) with the package and compares them, row by row,
within a stated tolerance. Without NAME every study runs. The exit code is 0 when every row matches, 1 when
any row does not, 2 for an unknown study.

examples:
  bargaining replicate --list
  bargaining replicate table1
  bargaining replicate figure-d1 --figure figure_d1.png
  bargaining replicate --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replicate",
        help="reproduce published tables and equations (exit 1 on mismatch)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="studies to run (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the studies and exit")
    parser.add_argument(
        "--figure", metavar="PATH", help="save the figure of a study that draws one (figure_d1)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bargaining.replication import get_study, list_studies, run_study

    if args.list:
        studies = list_studies()
        if args.json:
            print_json(studies)
        else:
            width = max(len(name) for name in studies["name"])
            print("replication studies (run one with `bargaining replicate NAME`)")
            for name, title in zip(studies["name"], studies["title"]):
                print(f"  {name:<{width}}  {title}")
        return 0
    names = args.names or list(list_studies()["name"])
    for name in names:
        get_study(name)  # unknown names fail before anything runs
    if args.figure:
        require_matplotlib("--figure")
        check_output_file(args.figure, "--figure")
    reports = [run_study(name, figure_path=args.figure) for name in names]
    if args.json:
        print_json([report.to_dict() for report in reports])
    else:
        for report in reports:
            print(report.format())
            print()
        failed = [r.study for r in reports if not r.ok]
        verdict = "all studies match" if not failed else f"MISMATCH in: {', '.join(failed)}"
        print(f"{len(reports)} studies run; {verdict}")
    return 0 if all(report.ok for report in reports) else 1
