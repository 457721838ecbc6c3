"""Data: schemas and validation, CSV/Parquet loading, simulators and bundled example data sets."""

from __future__ import annotations

from bargaining.data.io import read_table, write_table
from bargaining.data.schema import AgreementSchema, NegotiationSchema
from bargaining.data.validate import ValidatedData, validate_agreements, validate_negotiations

__all__ = [
    "AgreementSchema",
    "NegotiationSchema",
    "ValidatedData",
    "read_table",
    "validate_agreements",
    "validate_negotiations",
    "write_table",
]
