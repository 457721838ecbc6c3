"""Sub-commands of the ``bargaining`` command line, one module each.

A module here (not starting with an underscore) must define ``register(subparsers)``; it is found
automatically by :func:`bargaining.cli.build_parser`. Shared helpers for output live in
:mod:`bargaining.commands._output`.
"""
