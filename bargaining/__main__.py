"""``python -m bargaining`` runs the command line."""

import sys

from bargaining.cli import main

sys.exit(main())
