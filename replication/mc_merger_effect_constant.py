"""Monte Carlo study merger-effect-constant: rerun it and compare with the recorded full run.

Run from the repository root: `python replication/mc_merger_effect_constant.py` (add `--json` for JSON), or
`python replication/mc_merger_effect_constant.py --record [--n-jobs J]` to redo the full study and overwrite
bargaining/studies/recorded/mc_merger_effect_constant/. The study itself is
:mod:`bargaining.replication.mc_merger_effect_constant`.
"""

import sys

from bargaining.commands.montecarlo import replication_script

if __name__ == "__main__":
    sys.exit(replication_script("mc_merger_effect_constant"))
