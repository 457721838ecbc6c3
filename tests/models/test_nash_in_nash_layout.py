"""Layout of models.nash_in_nash: the layer rule (models never loads data) and the payoff-table protocol."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bargaining.data.payoff_table import PayoffTable
from bargaining.errors import DataValidationError
from bargaining.models.nash_in_nash import NashInNash, TabulatedPayoffs

MODELS = Path(__file__).resolve().parents[2] / "bargaining" / "models"


def test_importing_models_does_not_load_the_data_layer():
    code = (
        "import sys, bargaining.models.nash_in_nash, bargaining.models.nash_in_nash.hospital_insurer;"
        "print(sorted(m for m in sys.modules if m.startswith(('bargaining.data', 'bargaining.estimate'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("path", sorted(MODELS.rglob("*.py")), ids=lambda p: str(p.relative_to(MODELS)))
def test_no_module_level_import_of_data_or_estimate(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:  # module level only; the one deferred import is documented in docs/architecture.md
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(("bargaining.data", "bargaining.estimate")), (path, name)


class _TwoAgentTable:
    """A payoff table that is not a PayoffTable: seller s, buyer b; when s-b forms b gains 10, s loses 4."""

    def __init__(self, pairs_seen):
        self.pairs_seen = pairs_seen
        self.looked_up = set()

    @property
    def n_rows(self):
        return 4

    @property
    def n_used(self):
        return len(self.looked_up)

    def __call__(self, agent, agreements):
        self.looked_up.add((agent, agreements))
        formed = ("s", "b") in agreements
        return {"s": -4.0, "b": 10.0}[agent] if formed else 0.0


def test_any_tabulated_payoffs_object_is_used_as_a_table():
    table = _TwoAgentTable([("s", "b")])
    assert isinstance(table, TabulatedPayoffs)
    assert isinstance(PayoffTable({"s-b": {"s": -4.0, "b": 10.0}}), TabulatedPayoffs)
    model = NashInNash([("s", "b")], table, {"s": 1, "b": 3})
    assert model.table is table
    # p = C + beta (V - C) with C = 4, V = 10, beta = 1 / 4
    assert model.transfers().loc["s-b", "transfer"] == pytest.approx(4 + 0.25 * 6)
    assert model.table.n_used == 4
    with pytest.raises(DataValidationError, match="not in pairs"):
        NashInNash([("s", "b")], _TwoAgentTable([("s", "b"), ("s", "c")]))
    assert NashInNash([("s", "b")], lambda agent, agreements: 1.0).table is None
