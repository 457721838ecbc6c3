"""``bargaining fit incomplete DATA ...``: Loertscher-Marx bargaining weights from negotiation data.

Two estimators, chosen by the columns given:

* ``--value COL --cost COL``: maximum likelihood of the trade outcomes (parameters ``Delta`` and ``sigma``),
  see :func:`bargaining.estimate.incomplete.fit_incomplete`;
* ``--price COL --price-rule NAME``: minimum distance on cell moments of trades and prices, see
  :func:`bargaining.estimate.min_distance.fit_incomplete_moments`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bargaining.commands._output import add_json_flag, print_json
from bargaining.errors import InvalidParameterError

if TYPE_CHECKING:
    from bargaining.estimate.results import EstimationResults

EXAMPLES = """\
examples:
  bargaining fit incomplete negotiations.csv --traded traded --value value --cost cost
  bargaining fit incomplete negotiations.csv --traded traded --value value --cost cost \\
      --value-dist beta --cost-dist uniform --cost-bounds 0 1 --bootstrap 199 --n-jobs 2 --progress --seed 1 --json
  bargaining fit incomplete negotiations.csv --traded traded --price price \\
      --price-rule k-double-auction --cells market --support by-cell
  bargaining fit incomplete negotiations.csv --traded traded --price price --price-rule intermediary \\
      --value-bounds 0 1 --cost-bounds 0 1
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "incomplete",
        help="incomplete-information (Loertscher-Marx) bargaining: Delta from trades",
        description=(
            "Estimate the bargaining differential Delta = (w_B - w_S)/max(w_B, w_S) of Loertscher-Marx "
            "incomplete-information bargaining from one row per negotiation. With --value and --cost: maximum "
            "likelihood of P(trade | v, c) = Lambda((Phi_{w_B/rho}(v) - Gamma_{w_S/rho}(c)) / sigma) "
            "(parameters Delta and sigma). With --price and --price-rule instead: minimum distance on the "
            "trade rate and price moments by cell under the declared price rule."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help="CSV or Parquet file, one row per negotiation")
    parser.add_argument(
        "--traded", required=True, metavar="COL", help="0/1 column: did the negotiation end in trade"
    )
    lik = parser.add_argument_group("likelihood (values and costs observed)")
    lik.add_argument("--value", metavar="COL", help="buyer's value (or proxy)")
    lik.add_argument("--cost", metavar="COL", help="seller's cost (or proxy)")
    for side in ("value", "cost"):
        lik.add_argument(
            f"--{side}-dist",
            default="uniform",
            choices=("uniform", "beta", "truncnorm", "empirical"),
            help=f"family of the {side} distribution, estimated from the {side} column (default uniform)",
        )
        lik.add_argument(
            f"--{side}-bounds",
            nargs=2,
            type=float,
            metavar=("LOW", "HIGH"),
            help=f"known support of the {side}s (default: the sample range, widened by range/(n-1))",
        )
    lik.add_argument(
        "--bootstrap",
        type=int,
        metavar="B",
        help="bootstrap replications (likelihood: re-estimates F and G; minimum distance: re-fits the moments)",
    )
    lik.add_argument(
        "--bootstrap-kind",
        choices=("pairs", "cluster", "wild"),
        help="resample rows (pairs) or whole clusters (default: cluster with --cluster, else pairs); wild: the "
        "wild restricted score bootstrap with --cluster (p-values and intervals by test inversion, B draws, "
        "default 999; likelihood: for Delta, F and G held at their estimates; minimum distance: every parameter "
        "inside its range)",
    )
    lik.add_argument("--seed", type=int, default=None, help="seed of the bootstrap")
    lik.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        metavar="N",
        help="parallel bootstrap workers (the same replicates for any N with --seed; -1 = all cores)",
    )
    lik.add_argument("--progress", action="store_true", help="show a bootstrap progress bar (on stderr)")
    md = parser.add_argument_group("minimum distance (trades and prices observed)")
    md.add_argument("--price", metavar="COL", help="price column (empty where there was no trade)")
    md.add_argument(
        "--price-rule",
        choices=("k-double-auction", "intermediary", "posted-price"),
        help="how prices are formed (k-double-auction: uniform types, support estimated unless bounds given)",
    )
    md.add_argument("--k", type=float, help="k-double-auction: fix k (then only the support is estimated)")
    md.add_argument("--cells", nargs="+", metavar="COL", help="columns whose values define the moment cells")
    md.add_argument(
        "--support", choices=("common", "by-cell"), default="common", help="k-double-auction support"
    )
    md.add_argument(
        "--weighting",
        choices=("optimal", "two-step", "diagonal", "identity"),
        default="optimal",
        help="weight matrix",
    )
    parser.add_argument(
        "--cov-type",
        default=None,
        choices=("unadjusted", "robust", "clustered", "bootstrap"),
        help="standard errors (default: robust, or clustered with --cluster; minimum distance: robust, clustered "
        "or bootstrap)",
    )
    parser.add_argument("--cluster", metavar="COL", help="cluster ids for clustered standard errors")
    parser.add_argument("--drop-invalid", action="store_true", help="drop (and report) invalid rows")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _jobs(n_jobs: int) -> int:
    if n_jobs == 0 or n_jobs < -1:
        raise InvalidParameterError(
            f"--n-jobs must be a positive number of workers or -1 (all cores), not {n_jobs}.",
            hint="use --n-jobs 1 (serial), 2, ... or -1.",
        )
    return n_jobs


def _known_uniform(bounds: Any) -> Any:
    if bounds is None:
        return None
    from bargaining.models.distributions import Uniform

    return Uniform(float(bounds[0]), float(bounds[1]))


def run(args: argparse.Namespace) -> int:
    from bargaining.data import read_table

    likelihood = args.value is not None or args.cost is not None
    moments = args.price is not None or args.price_rule is not None
    if likelihood == moments:
        raise InvalidParameterError(
            "Give either --value and --cost (likelihood) or --price and --price-rule (minimum distance).",
            hint="See `bargaining fit incomplete --help`.",
        )
    frame = read_table(args.data)
    results: EstimationResults
    if likelihood:
        if args.value is None or args.cost is None:
            raise InvalidParameterError(
                "The likelihood needs both --value and --cost.", hint="Add the missing column."
            )
        from bargaining.estimate.incomplete import fit_incomplete

        results = fit_incomplete(
            frame,
            traded=args.traded,
            value=args.value,
            cost=args.cost,
            value_dist=args.value_dist,
            cost_dist=args.cost_dist,
            value_bounds=args.value_bounds,
            cost_bounds=args.cost_bounds,
            cov_type=args.cov_type or ("clustered" if args.cluster else "robust"),
            cluster=args.cluster,
            bootstrap=args.bootstrap,
            bootstrap_kind=args.bootstrap_kind,
            n_jobs=_jobs(args.n_jobs),
            seed=args.seed,
            progress=args.progress,
            drop_invalid=args.drop_invalid,
        )
    else:
        if args.price is None or args.price_rule is None:
            raise InvalidParameterError(
                "Minimum distance needs both --price and --price-rule.", hint="Add the missing option."
            )
        from bargaining.estimate.min_distance import fit_incomplete_moments

        results = fit_incomplete_moments(
            frame,
            traded=args.traded,
            price=args.price,
            price_rule=args.price_rule,
            cells=args.cells,
            value_dist=_known_uniform(args.value_bounds),
            cost_dist=_known_uniform(args.cost_bounds),
            k=args.k,
            support=args.support,
            weighting=args.weighting,
            cov_type=args.cov_type or ("clustered" if args.cluster else "robust"),
            cluster=args.cluster,
            bootstrap=args.bootstrap,
            bootstrap_kind=args.bootstrap_kind,
            n_jobs=_jobs(args.n_jobs),
            seed=args.seed,
            progress=args.progress,
            drop_invalid=args.drop_invalid,
        )
    if args.json:
        print_json(results.to_dict())
    else:
        print(results.summary.as_text())
    return 0
