"""Monte Carlo study incomplete-likelihood: rerun and compare with the recorded full run (``--record`` redoes it).

Run from the repository root: `python replication/mc_incomplete_likelihood.py` (add `--json` for JSON), or
`python replication/mc_incomplete_likelihood.py --record [--n-jobs J]` to rerun the full study and overwrite
replication/results/mc_incomplete_likelihood/. The study itself is :mod:`bargaining.replication.mc_incomplete_likelihood`.
"""

import sys

from bargaining.commands.montecarlo import replication_script

if __name__ == "__main__":
    sys.exit(replication_script("mc_incomplete_likelihood"))
