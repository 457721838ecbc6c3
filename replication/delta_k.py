"""Replication: k-double auction = Loertscher-Marx at Delta_k: trade rules on a (v, c) grid and payoffs.

Run from the repository root: `python replication/delta_k.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.delta_k`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("delta_k"))
