"""Replication: rho(Delta) of eq. (38) against the Loertscher-Marx solver, uniform [0, 1], one buyer and one seller.

Run from the repository root: `python replication/eq38.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.eq38`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("eq38"))
