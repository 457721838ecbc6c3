"""Replication: Proposition 7: first best before vertical integration, not after (non-overlapping supports, equal weights).

Run from the repository root: `python replication/prop7.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.prop7`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("prop7"))
