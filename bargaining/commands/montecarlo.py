"""`bargaining montecarlo`: run a named Monte Carlo study (simulate, estimate, compare with the truth)."""

from __future__ import annotations

import argparse
from typing import Any

from bargaining.commands._output import add_json_flag, check_output_folder, format_table, print_json
from bargaining.errors import InvalidParameterError

DESCRIPTION = """\
Run a Monte Carlo study: R times, simulate N observations from known parameters with one of the package's
simulators, fit them with one of its estimators, and compare the estimates with the truth. Prints, per
parameter: truth, bias and median bias, RMSE, standard deviation of the estimates, mean reported standard
error (and SD / mean SE), coverage of 95% intervals, rejection rate of the true value at 5%, with Monte Carlo
standard errors (*_mcse), and the numbers of failed and non-converged replications.

Replication r draws its data from child r of numpy's SeedSequence(S), so the same --seed gives the same
table for any --n-jobs. --n-jobs J runs J worker processes (joblib; -1 = all cores).

With --sizes N1,N2,... the study runs at each sample size and reports bias and RMSE by N with the log-log
slope of RMSE on N (root-N consistency: -0.5).

examples:
  bargaining montecarlo --list
  bargaining montecarlo nash-constant-formula --reps 200 --seed 1
  bargaining montecarlo nash-logistic-observed --reps 500 --seed 2 --n 2000 --n-jobs 2 --out mc_logistic
  bargaining montecarlo nash-constant-formula --reps 100 --seed 3 --sizes 250,1000,4000 --json
"""

COMPACT = [
    "truth",
    "bias",
    "bias_mcse",
    "rmse",
    "sd",
    "mean_se",
    "coverage",
    "coverage_mcse",
    "n_ok",
    "n_no_se",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "montecarlo",
        help="Monte Carlo study of an estimator: bias, RMSE, coverage over R replications",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="study name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the studies and exit")
    parser.add_argument("--reps", metavar="R", help="number of replications (default: the study's)")
    parser.add_argument("--seed", metavar="S", default="0", help="random seed, an integer >= 0 (default 0)")
    parser.add_argument(
        "--n",
        metavar="N",
        help="sample size: agreements (a multiple of 25 for nash-*) or negotiations (default: the study's)",
    )
    parser.add_argument("--sizes", metavar="N1,N2,...", help="run at several sample sizes (RMSE slope)")
    parser.add_argument("--n-jobs", metavar="J", default="1", help="parallel worker processes (default 1)")
    parser.add_argument("--out", metavar="DIR", help="write the tables (txt, csv, tex) and figures to DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _integer(text: str | None, option: str, minimum: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidParameterError(
            f"{option} must be an integer, got {text!r}.", hint=f"e.g. {option} 2"
        ) from None
    if value < minimum:
        raise InvalidParameterError(f"{option} must be >= {minimum}, got {value}.", hint=f"e.g. {option} 2")
    return value


def _sizes(text: str) -> list[int]:
    parts = [p for p in str(text).replace(" ", "").split(",") if p]
    sizes = [_integer(p, "--sizes", 1) for p in parts]
    if len(sizes) < 2:
        raise InvalidParameterError(
            f"--sizes needs at least two sizes, got {text!r}.", hint="e.g. --sizes 250,1000"
        )
    return [int(s) for s in sizes if s is not None]


def run(args: argparse.Namespace) -> int:
    from bargaining.studies import get_study, list_studies, run_study, sample_size_study

    if args.list:
        table = list_studies()
        if args.json:
            print_json(table)
        else:
            width = max(len(name) for name in table["name"])
            print("Monte Carlo studies (run one with `bargaining montecarlo NAME`; N and R are the defaults)")
            for row in table.itertuples(index=False):
                print(f"  {row.name:<{width}}  N={row.default_n:<5} R={row.default_reps:<5} {row.description}")
        return 0
    if args.name is None:
        raise InvalidParameterError(
            "no study named.", hint="run `bargaining montecarlo --list` for the names."
        )
    study = get_study(args.name)
    seed = _integer(args.seed, "--seed", 0)
    assert seed is not None  # --seed defaults to "0"
    reps = _integer(args.reps, "--reps", 1)
    n = _integer(args.n, "--n", 1)
    n_jobs = _integer(args.n_jobs, "--n-jobs", -1)
    if n_jobs == 0:
        raise InvalidParameterError(
            "--n-jobs must not be 0.", hint="use 1 (serial), 2, ... or -1 (all cores)."
        )
    progress = not args.no_progress
    if args.out:
        check_output_folder(args.out)  # before the replications run, not after
    if args.sizes is not None:
        if n is not None:
            raise InvalidParameterError(
                "give either --n or --sizes.", hint="--sizes 250,1000 runs both sizes."
            )
        sized = sample_size_study(
            [study.name], _sizes(args.sizes), reps=reps or 200, seed=seed, n_jobs=n_jobs, progress=progress
        )
        paths = sized.save(args.out) if args.out else {}
        if args.json:
            print_json({"table": sized.table, "slopes": sized.slopes, "files": _strings(paths)})
        else:
            print(sized.to_text())
            _print_paths(paths)
        return 0
    results = run_study(study, reps=reps, seed=seed, n=n, n_jobs=n_jobs, progress=progress)
    paths = results.save(args.out) if args.out else {}
    if args.json:
        record = results.to_dict()
        record["files"] = _strings(paths)
        print_json(record)
        return 0
    print(results.header())
    print()
    print(format_table(results.summary[COMPACT], title="Summary (all columns: --json or --out)", digits=4))
    if results.n_failed:
        print(f"\n{results.n_failed} failed replications:")
        for message, count in results.error_counts.items():
            print(f"  {count} x {message}")
    _print_paths(paths)
    return 0


def _strings(paths: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in paths.items()}


def _print_paths(paths: dict[str, Any]) -> None:
    for kind, path in paths.items():
        print(f"wrote {kind}: {path}")


def replication_script(name: str, argv: list[str] | None = None) -> int:
    """Entry point of ``replication/mc_*.py``: compare with the recorded run, or ``--record`` it anew."""
    import sys

    from bargaining.replication import get_study, script_main

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--record" not in argv:
        return script_main(name, argv)
    parser = argparse.ArgumentParser(prog=f"replication/{name}.py", description=get_study(name).TITLE)
    parser.add_argument(
        "--record", action="store_true", help="rerun the full study and overwrite its results"
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    results = get_study(name).record(n_jobs=args.n_jobs, progress=not args.no_progress)
    print(results.to_text() if hasattr(results, "to_text") else results)
    return 0
