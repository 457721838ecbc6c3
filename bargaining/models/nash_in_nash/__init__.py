"""Nash-in-Nash bargaining in a network of bilateral agreements (see :mod:`.prices`)."""

from bargaining.models.nash_in_nash.prices import (
    NashInNash,
    NashInNashEquilibrium,
    NashInNashPrices,
    format_agreements,
    parse_agreements,
)

__all__ = [
    "NashInNash",
    "NashInNashEquilibrium",
    "NashInNashPrices",
    "format_agreements",
    "parse_agreements",
]
