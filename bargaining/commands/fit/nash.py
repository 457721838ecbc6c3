"""`bargaining fit nash`: estimate bargaining weights from agreement prices, p = C + beta (V - C) + u."""

from __future__ import annotations

import argparse
from typing import Literal

from bargaining.commands._output import add_json_flag, print_json

DESCRIPTION = """\
Estimate the seller's Nash bargaining weight beta from agreement-level prices (one row per agreement):

  price = C + beta (V - C) + u        V = the buyer's value of the agreement, C = the seller's cost (net of
                                      what the seller earns elsewhere if the agreement fails)

With the cost observed (--seller-cost), p - C = beta (V - C) + u is fitted by OLS (IV-2SLS with
--instruments). With the cost unobserved, C = r + z'gamma + omega with cost shifters z from --cost-formula and
a known recapture r (--recapture, default 0), and p - r = beta (V - r) + (1 - beta) z'gamma + u is linear in
(beta, (1 - beta) gamma); gamma is recovered by the delta method. beta may differ by group (--weight-by) or
depend on covariates, beta = logistic(x'delta) (--weight-formula; nonlinear least squares / 2SLS).
beta is identified separately from the cost only by variation in V - r that is not collinear with the cost
shifters; collinear designs are refused with an explanation.

Parameters are named beta, beta[GROUP], delta[TERM] and gamma[TERM] (TERM as in the formula, e.g.
gamma[Intercept], gamma[z]). Standard errors: robust (default), unadjusted, clustered (--cluster), or a
bootstrap (--bootstrap R, percentile intervals). Rows with missing or invalid values stop the fit unless
--drop-invalid, which drops them and reports how many and why.

examples:
  bargaining fit nash agreements.csv --price price --buyer-value value --seller-cost cost
  bargaining fit nash agreements.csv --price price --buyer-value value --cost-formula "~ 1 + beds" \\
      --recapture recapture --weight-by system --cluster market
  bargaining fit nash agreements.parquet --price p --buyer-value v --seller-cost c \\
      --weight-formula "~ 1 + share" --bootstrap 499 --seed 1 --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "nash",
        help="Nash bargaining weights from agreement prices: p = C + beta (V - C) + u",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help="agreements table (.csv, or .parquet by suffix)")
    parser.add_argument("--price", default="price", metavar="COL", help="price column (default: price)")
    parser.add_argument(
        "--buyer-value",
        default="buyer_value",
        metavar="COL",
        help="buyer's value V column (default: buyer_value)",
    )
    cost = parser.add_mutually_exclusive_group(required=True)
    cost.add_argument("--seller-cost", metavar="COL", help="observed seller cost C (net of recapture)")
    cost.add_argument(
        "--cost-formula", metavar="FORMULA", help='cost shifters z of the unobserved cost, e.g. "~ 1 + z"'
    )
    parser.add_argument(
        "--recapture", metavar="COL", help="known recapture r (with --cost-formula; default 0)"
    )
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--weight-by", metavar="COL", help="one beta per group of this column: beta[GROUP]")
    weights.add_argument(
        "--weight-formula", metavar="FORMULA", help='beta = logistic(x\'delta), e.g. "~ 1 + x": delta[TERM]'
    )
    parser.add_argument(
        "--instruments",
        metavar="FORMULA",
        help='excluded instruments for V - C (or V - r), e.g. "~ 0 + w" (an intercept is added unless "0 +")',
    )
    parser.add_argument(
        "--iv-method", choices=("2sls", "gmm"), default="2sls", help="IV estimator (default 2sls)"
    )
    parser.add_argument("--cluster", metavar="COL", help="cluster id column (implies --cov-type clustered)")
    parser.add_argument(
        "--cov-type",
        choices=("unadjusted", "robust", "clustered"),
        help="covariance estimator (default: robust, or clustered with --cluster)",
    )
    parser.add_argument(
        "--bootstrap", type=int, metavar="R", help="bootstrap standard errors with R replicates"
    )
    parser.add_argument(
        "--bootstrap-kind",
        choices=("pairs", "cluster", "wild"),
        help="resample rows (pairs) or whole clusters (default: cluster with --cluster, else pairs); wild: the "
        "wild cluster restricted bootstrap with --cluster (p-values and intervals by test inversion, R draws, "
        "default 999; with --instruments Davidson-MacKinnon's WRE, --iv-method 2sls only; with "
        "--weight-formula the wild score bootstrap)",
    )
    parser.add_argument("--n-jobs", type=int, default=1, metavar="N", help="parallel bootstrap workers")
    parser.add_argument("--seed", type=int, help="random seed of the bootstrap")
    parser.add_argument("--maxiter", type=int, help="function-evaluation limit of the nonlinear optimizer")
    parser.add_argument(
        "--drop-invalid", action="store_true", help="drop (and report) rows with missing or invalid values"
    )
    parser.add_argument("--progress", action="store_true", help="show a bootstrap progress bar")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bargaining.data import read_table
    from bargaining.estimate.nash_price import fit_nash

    frame = read_table(args.data)
    cov_type = args.cov_type or ("clustered" if args.cluster else "robust")
    kind: Literal["pairs", "cluster", "wild"] = args.bootstrap_kind or ("cluster" if args.cluster and args.bootstrap else "pairs")
    results = fit_nash(
        frame,
        price=args.price,
        buyer_value=args.buyer_value,
        seller_cost=args.seller_cost,
        cost_formula=args.cost_formula,
        recapture=args.recapture,
        weight_by=args.weight_by,
        weight_formula=args.weight_formula,
        instruments=args.instruments,
        cov_type=cov_type,
        cluster=args.cluster,
        bootstrap=args.bootstrap,
        bootstrap_kind=kind,
        n_jobs=args.n_jobs,
        seed=args.seed,
        drop_invalid=args.drop_invalid,
        progress=args.progress,
        iv_method=args.iv_method,
        maxiter=args.maxiter,
    )
    if args.json:
        print_json(results.to_dict())
    else:
        print(results.summary.as_text())
    return 0
