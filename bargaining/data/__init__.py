"""Data: schemas and validation, CSV/Parquet loading, simulators and bundled example data sets."""

from __future__ import annotations

import importlib
from typing import Any

from bargaining.data.io import read_table, write_table
from bargaining.data.schema import AgreementSchema, NegotiationSchema

# `simulate` is both a subpackage and its registry function; importing the function here makes the
# package attribute the function (the subpackage stays importable as bargaining.data.simulate.*).
from bargaining.data.simulate import Simulation, list_simulators, simulate
from bargaining.data.validate import ValidatedData, validate_agreements, validate_negotiations

# simulators and examples import bargaining.models; load them on first use
_LAZY: dict[str, str] = {
    "simulate_hospital_insurer": "bargaining.data.simulate.hospital_insurer",
    "simulate_negotiations": "bargaining.data.simulate.negotiations",
    "simulate_procurement": "bargaining.data.simulate.procurement",
    "PayoffTable": "bargaining.data.payoff_table",
    "load_example": "bargaining.data.examples",
    "list_examples": "bargaining.data.examples",
}

__all__ = [
    "AgreementSchema",
    "NegotiationSchema",
    "PayoffTable",
    "Simulation",
    "ValidatedData",
    "list_examples",
    "list_simulators",
    "load_example",
    "read_table",
    "simulate",
    "simulate_hospital_insurer",
    "simulate_negotiations",
    "simulate_procurement",
    "validate_agreements",
    "validate_negotiations",
    "write_table",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'bargaining.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
