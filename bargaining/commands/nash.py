"""`bargaining nash`: the generalized Nash bargaining solution on a pie, a frontier or a set of points."""

from __future__ import annotations

import argparse
import ast
import math
import operator
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bargaining.commands._output import add_json_flag, print_json, print_table
from bargaining.errors import DataValidationError, InvalidParameterError, MissingColumnError

if TYPE_CHECKING:
    import numpy as np

DESCRIPTION = """\
Compute the generalized Nash bargaining solution: the payoffs (u1, u2) that maximize
(u1 - d1)^beta (u2 - d2)^(1 - beta) over a convex feasible set, with d the disagreement point and beta
player 1's bargaining weight. Give the feasible set in exactly one way:

  --pie SIZE                      transferable utility, u1 + u2 <= SIZE (closed form)
  --frontier EXPR --low L --high H
                                  u2 <= EXPR(u1) for u1 in [L, H]; EXPR must be decreasing and concave
                                  (root of the first-order condition, bracketed, to about 1e-10)
  --points FILE.csv               the convex hull of payoff pairs in columns u1, u2 (lotteries allowed;
                                  exact on each segment of the piecewise-linear frontier)

EXPR is arithmetic in u1: numbers, u1, pi, e, + - * / ** and the functions
sqrt exp log log1p expm1 log10 log2 abs minimum maximum sin cos tan arctan tanh.

examples:
  bargaining nash --pie 1 --weight 0.3
  bargaining nash --frontier "1 - u1**2" --low 0 --high 1
  bargaining nash --points offers.csv --disagreement 0.1 0.2 --json
"""

# ---------------------------------------------------------------------------------- safe expressions
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# name -> arity; each is the numpy function of that name (looked up when an expression is compiled, so that
# importing this module does not import numpy)
_FUNCTIONS: dict[str, int] = {
    name: 1
    for name in (
        "sqrt",
        "exp",
        "log",
        "log1p",
        "expm1",
        "log10",
        "log2",
        "abs",
        "sin",
        "cos",
        "tan",
        "arctan",
        "tanh",
    )
}
_FUNCTIONS.update({"minimum": 2, "maximum": 2})
_CONSTANTS = {"pi": math.pi, "e": math.e}
_MAX_LENGTH = 1000

Evaluator = Callable[["np.ndarray"], Any]  # numpy is imported lazily


def _bad_expression(text: str, problem: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"cannot use the frontier expression {text!r}: {problem}.",
        hint="write arithmetic in u1 with numbers, + - * / **, pi, e and "
        f'{", ".join(sorted(_FUNCTIONS))}; e.g. "1 - u1**2".',
    )


def parse_expression(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """Compile an arithmetic expression in ``u1`` into a function of a numpy array, without ``eval``.

    Only numbers, ``u1``, ``pi``, ``e``, the operators ``+ - * / **`` (and unary ``-``/``+``) and a whitelist of
    numpy functions are accepted; anything else (names, attributes, subscripts, keywords, comparisons...)
    raises :class:`~bargaining.errors.InvalidParameterError`. The result works on complex input too, so the
    frontier can be differentiated by the complex step.
    """
    import numpy as np

    if len(text) > _MAX_LENGTH:
        raise _bad_expression(text[:40] + "...", f"it is longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        detail = getattr(error, "msg", None) or type(error).__name__
        raise _bad_expression(text, f"it is not a valid expression ({detail})") from None

    def build(node: ast.AST) -> Evaluator:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise _bad_expression(text, f"{node.value!r} is not a real number")
            # numpy floats: no huge integer powers, and (-8) ** (1/3) is nan, not a complex number
            value = np.float64(node.value)
            return lambda u: value
        if isinstance(node, ast.Name):
            if node.id == "u1":
                return lambda u: u
            if node.id in _CONSTANTS:
                constant = _CONSTANTS[node.id]
                return lambda u: constant
            raise _bad_expression(text, f"unknown name {node.id!r} (the variable is u1)")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], build(node.left), build(node.right)
            return lambda u: op(left(u), right(u))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            unary, operand = _UNARY[type(node.op)], build(node.operand)
            return lambda u: unary(operand(u))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise _bad_expression(text, f"function {name!r} is not allowed")
            function, arity = getattr(np, node.func.id), _FUNCTIONS[node.func.id]
            if node.keywords or len(node.args) != arity:
                raise _bad_expression(text, f"{node.func.id} takes {arity} positional argument(s)")
            args = [build(arg) for arg in node.args]
            return lambda u: function(*(arg(u) for arg in args))
        raise _bad_expression(text, f"{ast.unparse(node)!r} is not allowed")

    try:
        body = build(tree)
    except RecursionError:
        raise _bad_expression(text[:40], "it is nested too deeply") from None

    def frontier(u1: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # overflow or log(0) give inf / nan, which the Frontier reports
            return np.asarray(body(u1)) + 0 * u1  # broadcast constants to the shape of u1

    frontier.__name__ = text.strip()
    return frontier


# ------------------------------------------------------------------------------------------- inputs
def number(text: str | None, option: str) -> float:
    """A finite number from a command-line value; a clear one-line error otherwise."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{option} must be a number, got {text!r}.", hint=f"e.g. {option} 0.5"
        ) from None
    if not math.isfinite(value):
        raise InvalidParameterError(f"{option} must be finite, got {text!r}.", hint=f"e.g. {option} 0.5")
    return value


def read_points(path: str | Path) -> np.ndarray:
    """Payoff pairs from a CSV file with columns u1, u2; every row must be two finite numbers."""
    import numpy as np
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataValidationError(
            f"cannot read the points file {str(path)!r}: {first_line}.",
            hint="give a comma-separated file with a header row u1,u2 and one payoff pair per row.",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("u1", "u2"):
        if column not in frame.columns:
            raise MissingColumnError(
                f"the points file {str(path)!r} has no column {column!r}.",
                hint=f"columns are: {', '.join(frame.columns) or '(none)'}; it needs u1 and u2.",
                column=column,
            )
    if frame.empty:
        raise DataValidationError(
            f"the points file {str(path)!r} has no rows.", hint="add at least one payoff pair u1,u2."
        )
    values = frame[["u1", "u2"]].apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    bad = ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad)]  # line numbers in the file (header is line 1)
        shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
        raise DataValidationError(
            f"{len(rows)} row(s) of {str(path)!r} do not hold two finite numbers u1, u2 (lines {shown}).",
            hint="fix or remove those rows; every row is a feasible payoff pair.",
            column="u1" if not np.isfinite(values["u1"].to_numpy(dtype=float)[bad]).all() else "u2",
            rows=rows,
        )
    return values.to_numpy(dtype=float)


# ---------------------------------------------------------------------------------------------- command
def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "nash",
        help="generalized Nash bargaining solution on a pie, a frontier or a set of payoff points",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pie", metavar="SIZE", help="surplus to divide with transferable utility")
    parser.add_argument(
        "--frontier", metavar="EXPR", help='player 2\'s best payoff given u1, e.g. "1 - u1**2"'
    )
    parser.add_argument("--low", metavar="L", help="with --frontier: smallest u1 on the frontier")
    parser.add_argument("--high", metavar="H", help="with --frontier: largest u1 on the frontier")
    parser.add_argument(
        "--points", metavar="FILE.csv", help="payoff pairs, columns u1,u2 (their convex hull)"
    )
    parser.add_argument(
        "--disagreement",
        nargs=2,
        metavar=("D1", "D2"),
        default=("0", "0"),
        help="disagreement payoffs (default 0 0)",
    )
    parser.add_argument(
        "--weight", metavar="BETA", default="0.5", help="player 1's weight in [0, 1] (default 0.5)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _problem(args: argparse.Namespace) -> tuple[Any, dict[str, Any], str]:
    """The feasible set, its JSON description and a one-line text description."""
    from bargaining.models.nash import FeasibleSet, Frontier, Pie

    given = [name for name in ("pie", "frontier", "points") if getattr(args, name) is not None]
    if len(given) != 1:
        problem = "none was given" if not given else f"got {' and '.join('--' + g for g in given)}"
        raise InvalidParameterError(
            f"give the feasible set exactly one way: {problem}.",
            hint="use --pie SIZE, --frontier EXPR --low L --high H, or --points FILE.csv.",
        )
    if given[0] != "frontier" and (args.low is not None or args.high is not None):
        raise InvalidParameterError(
            "--low and --high only apply to --frontier.",
            hint="drop them, or describe the set with --frontier.",
        )
    if args.pie is not None:
        size = number(args.pie, "--pie")
        return Pie(size), {"type": "pie", "size": size}, f"pie u1 + u2 <= {size:g}"
    if args.frontier is not None:
        if args.low is None or args.high is None:
            raise InvalidParameterError(
                "--frontier needs --low and --high (the range of u1 on the frontier).",
                hint='e.g. --frontier "1 - u1**2" --low 0 --high 1',
            )
        low, high = number(args.low, "--low"), number(args.high, "--high")
        function = parse_expression(args.frontier)
        description = {"type": "frontier", "expression": args.frontier.strip(), "low": low, "high": high}
        return (
            Frontier(function, low, high),
            description,
            f"u2 <= {args.frontier.strip()}, u1 in [{low:g}, {high:g}]",
        )
    points = read_points(args.points)
    feasible = FeasibleSet(points)
    description = {
        "type": "points",
        "file": str(args.points),
        "n_points": int(points.shape[0]),
        "pareto_vertices": feasible.pareto_frontier.tolist(),
    }
    text = f"convex hull of {points.shape[0]} points in {args.points} ({len(feasible.pareto_frontier)} Pareto vertices)"
    return feasible, description, text


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from bargaining.models.nash import nash_solution

    weight = number(args.weight, "--weight")
    disagreement = (
        number(args.disagreement[0], "--disagreement D1"),
        number(args.disagreement[1], "--disagreement D2"),
    )
    feasible, description, text = _problem(args)
    solution = nash_solution(feasible, disagreement, weight)
    if args.json:
        print_json({"feasible_set": description, **solution.to_dict()})
        return 0
    table = pd.DataFrame(
        {
            "player 1": [solution.payoffs[0], solution.disagreement[0], solution.gains[0], solution.weight],
            "player 2": [
                solution.payoffs[1],
                solution.disagreement[1],
                solution.gains[1],
                1 - solution.weight,
            ],
        },
        index=["payoff", "disagreement", "gain", "weight"],
    )
    print_table(table, title="Generalized Nash bargaining solution", digits=10)
    print()
    print(f"feasible set   {text}")
    print(f"Nash product   {solution.nash_product:.10g}")
    print(f"method         {solution.method}")
    print(f"tolerance      {solution.tolerance:.2g} (bound on the absolute error of each payoff)")
    return 0
