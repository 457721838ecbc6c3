"""`bargaining market --invest`: Proposition 8 from the command line, against the Python API and by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bargaining.cli import main
from bargaining.models.distributions import Beta
from bargaining.models.mechanism.investment import InvestmentGame


def _run(capsys, *args):
    code = main(["market", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_invest_json_matches_the_python_api(capsys):
    code, out, _ = _run(
        capsys, "--buyer", "beta:1+e,1", "--supplier", "beta:1,1+e", "--invest", "--investment-bounds", "0,2",
        "--investment-cost", "1", "--json",
    )
    assert code == 0
    payload = json.loads(out)
    game = InvestmentGame([lambda e: Beta(1 + e, 1)], [lambda e: Beta(1, 1 + e)],
                          [lambda e: e**2], [lambda e: e**2], bounds=(0.0, 2.0))
    reference = game.solve()
    np.testing.assert_allclose(payload["equilibrium"], reference.equilibrium, atol=1e-7)
    np.testing.assert_allclose(payload["first_best"], reference.first_best, atol=1e-7)
    # overlapping supports: both under-invest (Proposition 8's conditions fail)
    assert all(fb > eq for fb, eq in zip(payload["first_best"], payload["equilibrium"], strict=True))


@pytest.mark.parametrize(
    "args",
    [
        ("--buyer", "beta:1+e,1", "--supplier", "uniform:0,1"),                       # e without --invest
        ("--buyer", "beta:1+x,1", "--supplier", "uniform:0,1", "--invest"),           # unknown name
        ("--buyer", "beta:1+e,1", "--supplier", "uniform:0,1", "--invest", "--investment-bounds", "2"),
        ("--buyer", "beta:1+e,1", "--supplier", "uniform:0,1", "--invest", "--investment-cost", "-1"),
        ("--buyer", "beta:1+e,1", "--supplier", "uniform:0,1", "--invest", "--equalize"),
    ],
)
def test_bad_investment_input_is_one_line(capsys, args):
    code, _, err = _run(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Hint" in err
