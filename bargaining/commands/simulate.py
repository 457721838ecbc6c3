"""`bargaining simulate`: simulate a data set with known parameters and write it to CSV or Parquet."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bargaining.commands._output import add_json_flag, check_output_file, print_json, print_table
from bargaining.errors import InvalidParameterError

DESCRIPTION = """\
Simulate a bargaining data set from known parameters and write it to FILE (CSV or Parquet, chosen by the
suffix: .csv, .csv.gz, .parquet, .pq). The true parameters are written next to it as FILE_STEM.truth.json
(for data.csv: data.truth.json) and summarized on screen. The same NAME, --seed and options always give the
same file.

simulators (bargaining simulate --list):
  hospital-insurer  Nash-in-Nash per-patient prices between hospitals and insurers (--n = markets)
  negotiations      bilateral Loertscher-Marx negotiations: trade flag and price (--n = negotiations)
  procurement       one buyer and several suppliers (--n = auctions)

Simulator options are passed with --param KEY=VALUE (VALUE read as JSON when it parses, else as text),
e.g. --param beta=0.4 --param 'systems=[2,1,1,1]' or --param 'delta=[0.5,-0.5]'.

examples:
  bargaining simulate --list
  bargaining simulate hospital-insurer --seed 1 --out hospitals.csv
  bargaining simulate negotiations --seed 2 --n 1000 --param delta=0.3 --out deals.parquet --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a data set with known parameters (CSV or Parquet)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="simulator name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the simulators and exit")
    parser.add_argument("--seed", metavar="S", help="random seed, an integer >= 0 (required)")
    parser.add_argument("--out", metavar="FILE", help="output file, .csv or .parquet (required)")
    parser.add_argument(
        "--n", metavar="N", help="size: markets (hospital-insurer) or rows (default per simulator)"
    )
    parser.add_argument(
        "--param", metavar="KEY=VALUE", action="append", default=[], help="a simulator option (repeatable)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _integer(text: str | None, option: str, minimum: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidParameterError(
            f"{option} must be an integer, got {text!r}.", hint=f"e.g. {option} 1"
        ) from None
    if value < minimum:
        raise InvalidParameterError(f"{option} must be >= {minimum}, got {value}.", hint=f"e.g. {option} 1")
    return value


def _params(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise InvalidParameterError(
                f"--param {item!r} is not KEY=VALUE.", hint="e.g. --param beta=0.4 or --param 'systems=[2,1]'"
            )
        try:
            params[key] = json.loads(text)
        except json.JSONDecodeError:
            params[key] = text
    return params


def truth_path(out: Path) -> Path:
    """Where the truth of ``out`` is written: same folder, ``STEM.truth.json`` (suffixes like .csv.gz removed)."""
    name = out.name
    for suffix in (".csv.gz", ".csv", ".txt", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out.with_name(f"{name}.truth.json")


def run(args: argparse.Namespace) -> int:
    from bargaining.commands._output import to_jsonable
    from bargaining.data.io import table_format, write_table
    from bargaining.data.simulate import list_simulators, simulate

    if args.list:
        table = list_simulators()
        if args.json:
            print_json(table)
        else:
            print_table(table.set_index("name"), title="Simulators")
        return 0
    if args.name is None:
        raise InvalidParameterError(
            "no simulator named.", hint="run `bargaining simulate --list` for the names."
        )
    seed = _integer(args.seed, "--seed", 0)
    if seed is None:
        raise InvalidParameterError(
            "--seed is required.", hint="e.g. --seed 1 (the same seed gives the same data)."
        )
    if args.out is None:
        raise InvalidParameterError("--out is required.", hint="e.g. --out data.csv or --out data.parquet")
    out = Path(args.out)
    table_format(out)  # an unknown suffix fails before simulating
    check_output_file(args.out)
    check_output_file(str(truth_path(out)), "--out (its .truth.json file)")
    n = _integer(args.n, "--n", 1)
    try:
        simulation = simulate(args.name, n=n, seed=seed, **_params(args.param))
    except TypeError as error:  # an unknown keyword of the simulator function
        raise InvalidParameterError(
            f"bad option for simulator {args.name!r}: {error}.",
            hint="see help(bargaining.data.simulate_...) for the simulator's options.",
        ) from None
    write_table(simulation.data, out)
    truth_file = truth_path(out)
    truth_file.write_text(json.dumps(to_jsonable(simulation.truth), indent=2, sort_keys=True) + "\n")
    report = {
        "name": args.name,
        "seed": seed,
        "out": str(out),
        "truth_file": str(truth_file),
        "rows": len(simulation.data),
        "columns": [str(c) for c in simulation.data.columns],
        "truth": simulation.truth,
        "description": simulation.description,
    }
    if args.json:
        print_json(report)
        return 0
    print(f"wrote {len(simulation.data):,} rows x {simulation.data.shape[1]} columns to {out}")
    print(f"true parameters in {truth_file}")
    print()
    print(simulation.description)
    print()
    numeric = simulation.data.select_dtypes("number")
    if numeric.shape[1]:
        print_table(numeric.describe().T[["count", "mean", "std", "min", "max"]], title="Summary")
    return 0
