"""The :class:`Study` record: one package simulator + one package estimator + the simulator's truth."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError

__all__ = ["Study"]


@dataclass(frozen=True)
class Study:
    """A Monte Carlo design: simulator, its parameters, estimator, its options, and the truth mapping.

    Attributes
    ----------
    name, description
        Identifier (``list_studies``) and one line describing the design.
    simulator, simulator_params
        Name for :func:`bargaining.data.simulate` and its keyword parameters (besides ``n`` and ``seed``).
    estimator, estimator_options
        ``"module:function"`` of the estimator and its keyword options (besides the data).
    truth_map
        Function of ``Simulation.truth`` returning {parameter name: true value}.
    default_n, default_reps
        Sample size N (rows / agreements) and replications R used when not given.
    rows_per_unit
        Rows per simulator size unit (25 agreements per hospital-insurer market; 1 otherwise).
    tags
        Keywords (``complete`` / ``incomplete``, weights, cost).
    transform
        Optional ``transform(simulation, rng) -> data`` applied to the simulator's output with the same
        generator (e.g. to draw noisy trade decisions); None uses ``simulation.data``.
    """

    name: str
    description: str
    simulator: str
    simulator_params: Mapping[str, Any]
    estimator: str
    estimator_options: Mapping[str, Any]
    truth_map: Callable[[Mapping[str, Any]], dict[str, float]]
    default_n: int = 1000
    default_reps: int = 500
    rows_per_unit: int = 1
    tags: tuple[str, ...] = field(default_factory=tuple)
    transform: Callable[[Any, np.random.Generator], pd.DataFrame] | None = None

    def units(self, n: int) -> int:
        """Simulator size argument for N rows (N must be a multiple of ``rows_per_unit``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < self.rows_per_unit:
            raise InvalidParameterError(
                f"study {self.name!r}: N must be an integer >= {self.rows_per_unit}, got {n!r}.",
                hint=f"e.g. N={self.default_n}.",
            )
        if n % self.rows_per_unit:
            raise InvalidParameterError(
                f"study {self.name!r} simulates {self.rows_per_unit} agreements per market; N = {n} is not a "
                "multiple of it.",
                hint=f"use a multiple of {self.rows_per_unit}, e.g. {self.default_n}.",
            )
        return int(n) // self.rows_per_unit

    def simulate(self, rng: np.random.Generator, *, n: int) -> pd.DataFrame:
        """One simulated data set of N rows drawn with ``rng``."""
        from bargaining.data.simulate import simulate

        sim = simulate(self.simulator, n=self.units(n), seed=rng, **dict(self.simulator_params))
        return sim.data if self.transform is None else self.transform(sim, rng)

    def estimate(self, data: pd.DataFrame) -> Any:
        """Fit the study's estimator to ``data``."""
        return _resolve(self.estimator)(data, **dict(self.estimator_options))

    def truth(self) -> dict[str, float]:
        """theta_0, read from the simulator's ``Simulation.truth`` (one small simulated data set)."""
        from bargaining.data.simulate import simulate

        sim = simulate(self.simulator, n=1, seed=0, **dict(self.simulator_params))
        return {k: float(v) for k, v in self.truth_map(sim.truth).items()}


def _resolve(target: str) -> Callable[..., Any]:
    import importlib

    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)
