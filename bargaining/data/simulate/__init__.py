"""Simulators of bargaining data with known parameters, and their registry.

Every simulator is seeded (``seed``: int or :class:`numpy.random.Generator`), returns a
:class:`Simulation` whose ``data`` passed the package's validation and whose ``truth`` holds the true
parameters as plain JSON types, and is reproducible: the same seed gives the same data on every run and
platform (draws come from numpy's PCG64 generator in a fixed order; outputs are deterministic functions of
the draws up to floating-point rounding in the last bits of exp/log, which is why tests hash values rounded
to 10 significant digits).

=================== ======================================================= =========================
name                what                                                    function
=================== ======================================================= =========================
hospital-insurer    Nash-in-Nash per-patient prices, hospitals x insurers   simulate_hospital_insurer
negotiations        bilateral Loertscher-Marx negotiations, trade and price simulate_negotiations
procurement         one buyer, several suppliers (Loertscher-Marx)          simulate_procurement
bargaining-markets  logit markets, Nash-in-Nash prices with consumers       simulate_bargaining_markets
=================== ======================================================= =========================
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, UnknownNameError

__all__ = ["SIMULATORS", "Simulation", "list_simulators", "simulate"]


@dataclass(frozen=True)
class Simulation:
    """Simulated data with the parameters that generated them.

    Attributes
    ----------
    data
        The simulated rows (validated).
    truth
        True parameters and design settings (JSON-ready dict).
    description
        One paragraph: the model, and which columns an econometrician would observe.
    """

    data: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class _Entry:
    module: str
    function: str
    size_argument: str
    default_n: int
    description: str

    def load(self) -> Callable[..., Simulation]:
        return getattr(importlib.import_module(self.module), self.function)


SIMULATORS: dict[str, _Entry] = {
    "hospital-insurer": _Entry(
        "bargaining.data.simulate.hospital_insurer",
        "simulate_hospital_insurer",
        "n_markets",
        100,
        "hospital-insurer agreements with Nash-in-Nash per-patient prices (n = number of markets)",
    ),
    "negotiations": _Entry(
        "bargaining.data.simulate.negotiations",
        "simulate_negotiations",
        "n",
        5000,
        "bilateral negotiations: Loertscher-Marx trade and a declared price rule (n = negotiations)",
    ),
    "procurement": _Entry(
        "bargaining.data.simulate.procurement",
        "simulate_procurement",
        "n",
        2000,
        "procurement: one buyer, several suppliers, Loertscher-Marx allocation (n = auctions)",
    ),
    "bargaining-markets": _Entry(
        "bargaining.data.simulate.bargaining_markets",
        "simulate_bargaining_markets",
        "n_markets",
        200,
        "logit markets with Nash-in-Nash prices bargained with consumers (n = markets)",
    ),
}


def _canonical(name: str) -> str:
    return str(name).strip().lower().replace("_", "-")


def simulate(name: str, *, n: int | None = None, seed: Any = None, **params: Any) -> Simulation:
    """Run the simulator ``name`` (see :func:`list_simulators`).

    ``n`` is the simulator's size (markets for ``hospital-insurer``, rows otherwise; default in
    :func:`list_simulators`); other keyword arguments go to the simulator function.

    Parameters
    ----------
    name
        A simulator listed by :func:`list_simulators` (``"hospital-insurer"``, ``"negotiations"``,
        ``"procurement"``).
    n
        Size of the data set.
    seed
        Seed (an int, a ``SeedSequence`` or a ``Generator``).
    **params
        The simulator's own parameters.

    Returns
    -------
    Simulation
        ``data`` (DataFrame), ``truth`` (dict keyed as the estimators name their parameters), ``description``.

    Examples
    --------
    >>> sim = simulate("negotiations", n=10, seed=0)
    >>> sim.data.shape, sim.truth["Delta"]
    ((10, 5), 0.0)
    """
    key = _canonical(name)
    if key not in SIMULATORS:
        raise UnknownNameError(
            f"no simulator named {name!r}.", hint=f"choose one of: {', '.join(SIMULATORS)}."
        )
    entry = SIMULATORS[key]
    if n is not None:
        if entry.size_argument in params:
            raise InvalidParameterError(
                f"both n and {entry.size_argument} were given.", hint=f"give only {entry.size_argument}."
            )
        params[entry.size_argument] = n
    params.setdefault(entry.size_argument, entry.default_n)
    _check_seed(seed)
    function = entry.load()
    accepted = [
        p.name for p in inspect.signature(function).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "seed"
    ]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise InvalidParameterError(
            f"simulator {key!r} has no option {', '.join(map(repr, unknown))}.",
            hint=f"its options are: {', '.join(accepted)}.",
        )
    return function(seed=seed, **params)


def _check_seed(seed: Any) -> None:
    """A seed is None, an integer >= 0, a numpy SeedSequence or Generator (what numpy's default_rng takes)."""
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.random.Generator, np.random.BitGenerator)):
        return
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed >= 0:
            return
        raise InvalidParameterError(f"seed must be >= 0, got {seed}.", hint="pass seed=0, 1, 2, ...")
    raise InvalidParameterError(
        f"seed must be an integer >= 0, got {type(seed).__name__} {seed!r}.",
        hint="pass seed=0, 1, 2, ... (or a numpy Generator).",
    )


def list_simulators() -> pd.DataFrame:
    """DataFrame[name, description, default_n] of the registered simulators.

    Examples
    --------
    >>> {"hospital-insurer", "negotiations", "procurement"} <= set(list_simulators()["name"])
    True
    """
    return pd.DataFrame(
        [(name, entry.description, entry.default_n) for name, entry in SIMULATORS.items()],
        columns=["name", "description", "default_n"],
    )
