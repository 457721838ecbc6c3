"""The ``bargaining`` command line.

Each sub-command lives in its own module of :mod:`bargaining.commands` and exposes
``register(subparsers) -> None``; it adds its parser and sets ``func`` (a callable taking the parsed
arguments and returning an exit code). This module only discovers the sub-commands and runs them, turning the
package's errors into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from bargaining import __version__, commands
from bargaining.errors import BargainingError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command found in :mod:`bargaining.commands`."""
    parser = argparse.ArgumentParser(
        prog="bargaining",
        description=(
            "Compute, estimate and simulate bargaining models: Nash, Rubinstein, Nash-in-Nash, "
            "Loertscher-Marx incomplete-information bargaining and bilateral trade. "
            "Run `bargaining COMMAND --help` for the options of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"bargaining {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bargaining`` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else EXIT_USAGE
    try:
        code = args.func(args)
    except BargainingError as error:
        print(f"bargaining {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"bargaining {args.command}: error: cannot read {error.filename!r}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # pragma: no cover - output piped into e.g. `head`, which closed early
        # point stdout at devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
