"""Monte Carlo sample-size study: RMSE of the main estimators against N (slope -1/2 on log-log axes).

Run from the repository root: `python replication/mc_sample_size.py` (add `--json` for JSON), or
`python replication/mc_sample_size.py --record [--n-jobs J]` to rerun the full study and overwrite
bargaining/studies/recorded/mc_sample_size/. The study itself is :mod:`bargaining.replication.mc_sample_size`.
"""

import sys

from bargaining.commands.montecarlo import replication_script

if __name__ == "__main__":
    sys.exit(replication_script("mc_sample_size"))
