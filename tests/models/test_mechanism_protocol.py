"""Every evaluation engine of the mechanism implements the engine protocol the market relies on."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.models.distributions import Uniform
from bargaining.models.mechanism import Market
from bargaining.models.mechanism.engines import OneBuyerEngine, SeparableEngine
from bargaining.models.mechanism.protocol import Evaluation, MechanismEngine
from bargaining.models.mechanism.qmc import QMCEngine


@pytest.mark.parametrize(
    ("market", "engine_type", "method"),
    [
        (Market([Uniform(0, 1)], [Uniform(0, 1)]), SeparableEngine, "quadrature"),
        (Market([Uniform(0, 1)], [Uniform(0, 1)] * 2, preferences=[2.0, 1.0]), OneBuyerEngine, "quadrature"),
        (Market([Uniform(0, 1)], [Uniform(0, 1)], method="qmc", qmc_points=2**8, qmc_replicates=2), QMCEngine, "qmc"),
    ],
)
def test_engines_implement_the_protocol(market: Market, engine_type: type, method: str) -> None:
    engine = market._engine
    assert isinstance(engine, engine_type)
    assert isinstance(engine, MechanismEngine)
    assert engine.method == method
    nb, ns = len(market.buyers), len(market.suppliers)
    ev = engine.evaluate(np.full(nb, 0.5), np.full(ns, 0.5))
    assert isinstance(ev, Evaluation) and ev.method == method
    q = engine.interim("B", 0, np.array([0.25, 0.75]), np.full(nb, 0.5), np.full(ns, 0.5))
    assert q.shape == (2,) and np.all(np.diff(q) >= 0)
