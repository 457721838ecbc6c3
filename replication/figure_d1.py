"""Replication: Figure D.1: k-double auction payoffs against k trace the Loertscher-Marx frontier.

Run from the repository root: `python replication/figure_d1.py` (add `--json` for JSON, `--figure PATH` to save the figure).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.figure_d1`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("figure_d1"))
