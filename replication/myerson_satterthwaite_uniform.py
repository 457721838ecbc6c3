"""Replication: Bilateral trade with uniform [0, 1] types: first best 1/6, deficit 1/6, second best 9/64, v - c >= 1/4.

Run from the repository root: `python replication/myerson_satterthwaite_uniform.py` (add `--json` for JSON).
Prints the comparison table; exits with status 1 if any number does not match.
The study itself is :mod:`bargaining.replication.myerson_satterthwaite_uniform`.
"""

import sys

from bargaining.replication import script_main

if __name__ == "__main__":
    sys.exit(script_main("myerson_satterthwaite_uniform"))
