"""Replication: Proposition 3: W(equal weights) >= W(given weights), with equality iff conditions (i)-(iv) hold.

Run from the repository root: `python replication/prop3.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.prop3`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("prop3"))
