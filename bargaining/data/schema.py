"""Schemas of the two kinds of bargaining data: which column plays which role.

Column names are arguments, never requirements: a schema maps roles (price, buyer value, ...) to the
user's column names, and :mod:`bargaining.data.validate` checks a DataFrame against it.

* Agreements (complete information): one row per formed agreement between a buyer and a seller in a
  market, with the negotiated ``price``, the buyer's value V and the seller's cost C (or the inputs of C:
  cost shifters among the covariates), an optional ``quantity``, covariates and instruments. The Nash price
  is p = C + beta (V - C), so V >= C (gains from trade) is required of every row where both are observed.
* Negotiations (incomplete information): one row per negotiation with a ``traded`` flag (0/1 or bool), the
  ``price`` when it traded (missing otherwise), optional proxies of the value v and cost c, covariates and
  group ids (cells with possibly different bargaining weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["AgreementSchema", "NegotiationSchema"]


def _names(columns: Sequence[str] | str | None) -> tuple[str, ...]:
    if columns is None:
        return ()
    if isinstance(columns, str):
        return (columns,)
    return tuple(columns)


@dataclass(frozen=True)
class AgreementSchema:
    """Column roles of agreement (complete-information) data.

    ``price`` and ``buyer_value`` are required numeric columns; ``seller_cost`` is optional (it may be
    built from cost shifters by the estimator). ``market``, ``buyer``, ``seller`` are ids; together they
    are the key of a row. ``quantity`` must be >= 0.
    """

    price: str
    buyer_value: str
    seller_cost: str | None = None
    market: str | None = None
    buyer: str | None = None
    seller: str | None = None
    quantity: str | None = None
    covariates: tuple[str, ...] = field(default_factory=tuple)
    instruments: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", _names(self.covariates))
        object.__setattr__(self, "instruments", _names(self.instruments))

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        """Columns that must hold finite numbers."""
        named = (self.price, self.buyer_value, self.seller_cost, self.quantity)
        return _unique([c for c in named if c is not None] + list(self.covariates) + list(self.instruments))

    @property
    def id_columns(self) -> tuple[str, ...]:
        """Identifier columns (read as strings); together they form the row key."""
        return _unique([c for c in (self.market, self.buyer, self.seller) if c is not None])

    @property
    def required_columns(self) -> tuple[str, ...]:
        return _unique([*self.id_columns, *self.numeric_columns])


@dataclass(frozen=True)
class NegotiationSchema:
    """Column roles of negotiation (incomplete-information) data.

    ``traded`` is 0/1 or bool; ``price`` is present exactly when the negotiation traded; ``value`` and
    ``cost`` are optional observed or proxied types; ``groups`` are id columns.
    """

    traded: str
    price: str | None = None
    value: str | None = None
    cost: str | None = None
    covariates: tuple[str, ...] = field(default_factory=tuple)
    groups: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", _names(self.covariates))
        object.__setattr__(self, "groups", _names(self.groups))

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        """Columns that must hold finite numbers (the price only where traded)."""
        return _unique([c for c in (self.value, self.cost) if c is not None] + list(self.covariates))

    @property
    def id_columns(self) -> tuple[str, ...]:
        return _unique(list(self.groups))

    @property
    def required_columns(self) -> tuple[str, ...]:
        named = [self.traded] + ([self.price] if self.price is not None else [])
        return _unique([*named, *self.id_columns, *self.numeric_columns])


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
