"""Monte Carlo study incomplete-likelihood: rerun it and compare with the recorded full run.

Run from the repository root: `python replication/mc_incomplete_likelihood.py` (add `--json` for JSON), or
`python replication/mc_incomplete_likelihood.py --record [--n-jobs J]` to redo the full study and overwrite
bargaining/studies/recorded/mc_incomplete_likelihood/. The study itself is
:mod:`bargaining.replication.mc_incomplete_likelihood`.
"""

import sys

from bargaining.commands.montecarlo import replication_script

if __name__ == "__main__":
    sys.exit(replication_script("mc_incomplete_likelihood"))
