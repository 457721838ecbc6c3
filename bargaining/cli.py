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
import re
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
        text = str(error)
        if error.hint:
            text = f"{error.message} Hint: {command_line_hint(error.hint, _command_parser(parser, args))}"
        _error_line(f"{_prog(args)}: error: {text}")
        return EXIT_USAGE
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        _error_line(f"{_prog(args)}: error: cannot read {error.filename!r}: {error.strerror}")
        return EXIT_USAGE
    except BrokenPipeError:  # pragma: no cover - output piped into e.g. `head`, which closed early
        # point stdout at devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _error_line(text: str) -> None:
    """Print ``text`` as one line on stderr; colour codes (from e.g. formula parsers) only on a terminal."""
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        text = _ANSI.sub("", text)
    print(" ".join(text.split()), file=sys.stderr)


def _prog(args: argparse.Namespace) -> str:
    # the prefix names the command (``bargaining fit``), as scripts that parse stderr expect
    return f"bargaining {args.command}"


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub-)parser that parsed ``args``: ``bargaining COMMAND`` or ``bargaining fit MODEL``."""
    for name in (args.command, getattr(args, "model", None)):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not name or not subs or name not in subs[0].choices:
            break
        parser = subs[0].choices[name]
    return parser


# Python syntax in hints that has a fixed command-line spelling
_PYTHON_HINTS = [
    (re.compile(r"""weights\[(['"])([^'"\]]+)\1\]"""), r"--weight \2=..."),
]
_KEYWORD = re.compile(r"""\b([a-z][a-z0-9_]*)=('[^']*'|"[^"]*"|[A-Za-z0-9_.+-]+)""")


def command_line_hint(hint: str, parser: argparse.ArgumentParser) -> str:
    """Rewrite a hint written for Python (``drop_invalid=True``, ``cov_type='robust'``, ``weights['sys']``) in
    the flags of the command that ``parser`` parses (``--drop-invalid``, ``--cov-type robust``,
    ``--weight sys=...``). Keywords the command has no flag for are left as they are."""
    flags: dict[str, argparse.Action] = {}
    for action in parser._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if long:
            flags.setdefault(action.dest, action)
            flags.setdefault(long[0][2:].replace("-", "_"), action)
    for pattern, replacement in _PYTHON_HINTS:
        hint = pattern.sub(replacement, hint)

    def flag(match: re.Match[str]) -> str:
        action = flags.get(match.group(1))
        if action is None:
            return match.group(0)
        option = next(o for o in action.option_strings if o.startswith("--"))
        value = match.group(2)
        if action.nargs == 0:  # store_true / store_false
            return option if value == "True" else match.group(0)
        if value[:1] in "'\"" and value[-1:] == value[:1] and " " not in value:
            value = value[1:-1]
        return f"{option} {value}"

    return _KEYWORD.sub(flag, hint)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
