"""Monte Carlo study nash-logistic-formula: rerun it and compare with the recorded full run.

Run from the repository root: `python replication/mc_nash_logistic_formula.py` (add `--json` for JSON), or
`python replication/mc_nash_logistic_formula.py --record [--n-jobs J]` to redo the full study and overwrite
bargaining/studies/recorded/mc_nash_logistic_formula/. The study itself is
:mod:`bargaining.replication.mc_nash_logistic_formula`.
"""

import sys

from bargaining.commands.montecarlo import replication_script

if __name__ == "__main__":
    sys.exit(replication_script("mc_nash_logistic_formula"))
