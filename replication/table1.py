"""Replication: Table 1: 1/rho, u_B, u_1, u_2 for D in {1, 2} and theta_1 in {1, 2} (theta_2 = 1, w = 1).

Run from the repository root: `python replication/table1.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.table1`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("table1"))
