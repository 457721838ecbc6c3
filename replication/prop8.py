"""Replication: Proposition 8: equilibrium investment = first best with Delta = 0 and values above costs; else under-investment.

Run from the repository root: `python replication/prop8.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.prop8`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("prop8"))
