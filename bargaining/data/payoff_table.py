"""Nash-in-Nash payoffs given as data: the payoff-table reader (layouts in ``docs/nash_in_nash_csv.md``).

A :class:`PayoffTable` turns a long DataFrame (``agreements, agent, payoff``), a wide one (``agreements`` and
one column per agent) or a mapping ``{agreement set: {agent: payoff}}`` into the payoff function
``table(agent, agreements)`` that :class:`bargaining.models.nash_in_nash.NashInNash` needs, validating every
row and counting the rows looked up. It satisfies the model's
:class:`~bargaining.models.nash_in_nash.TabulatedPayoffs` protocol.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from bargaining.errors import DataValidationError, InvalidParameterError, MissingColumnError
from bargaining.models.nash_in_nash.network import Pair, agreement_list, format_agreements

__all__ = ["PayoffTable"]


class PayoffTable:
    """Payoffs pi_agent(A) given as data, callable as ``table(agent, agreements)``.

    Accepts a long DataFrame (columns ``agreements``, ``agent``, ``payoff``), a wide DataFrame (``agreements``
    and one column per agent), or a mapping ``{agreement set: {agent: payoff}}``. Agreement sets are strings
    like ``"h1-i1;h2-i1"`` (empty for none) or collections of (seller, buyer) pairs. Counts rows looked up,
    so unused rows can be reported.
    """

    def __init__(
        self,
        table: pd.DataFrame | Mapping[Any, Mapping[Any, float]],
        *,
        agreements: str = "agreements",
        agent: str = "agent",
        payoff: str = "payoff",
    ) -> None:
        self.values: dict[tuple[Hashable, frozenset], float] = {}
        self.pairs_seen: list[Pair] = []
        self.used: set[tuple[Hashable, frozenset]] = set()
        if isinstance(table, pd.DataFrame):
            self._read_frame(table, agreements, agent, payoff)
        elif isinstance(table, Mapping):
            self._read_mapping(table)
        else:
            raise InvalidParameterError(
                f"a payoff table must be a pandas DataFrame or a mapping, got {type(table).__name__}.",
                hint="see docs/nash_in_nash_csv.md for the layouts.",
            )
        if not self.values:
            raise DataValidationError("the payoff table has no rows.", hint="add payoff rows.")

    @property
    def n_rows(self) -> int:
        return len(self.values)

    @property
    def n_used(self) -> int:
        return len(self.used)

    def _add(self, agent_name: Hashable, written: list[Pair], value: Any, where: str, column: str) -> None:
        agreement_set = frozenset(written)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise DataValidationError(
                f"payoff {value!r}{where} is not a finite number.",
                hint="every payoff must be a number (no blanks, NaN or inf).",
                column=column,
            )
        key = (agent_name, agreement_set)
        if key in self.values:
            raise DataValidationError(
                f"agent {agent_name!r} has two payoffs for agreements "
                f"{{{format_agreements(agreement_set)}}}{where}.",
                hint="keep one row per agent and agreement set.",
                column=column,
            )
        self.values[key] = number
        for pair in written:
            if pair not in self.pairs_seen:
                self.pairs_seen.append(pair)

    def _read_frame(self, frame: pd.DataFrame, agreements: str, agent: str, payoff: str) -> None:
        columns = [str(c) for c in frame.columns]
        if agreements not in frame.columns:
            raise MissingColumnError(
                f"the payoff table has no column {agreements!r}.",
                hint=f"columns are: {', '.join(columns)}; name the agreement-set column {agreements!r}.",
                column=agreements,
            )
        has_agent, has_payoff = agent in frame.columns, payoff in frame.columns
        if has_agent != has_payoff:
            missing = payoff if has_agent else agent
            raise MissingColumnError(
                f"the payoff table has no column {missing!r}.",
                hint=f"long format needs columns {agreements!r}, {agent!r}, {payoff!r}; columns are: "
                f"{', '.join(columns)}.",
                column=missing,
            )
        for position, (index, row) in enumerate(frame.iterrows()):
            where = f" in row {position + 1} (index {index!r})"
            agreement_set = agreement_list(row[agreements], where=where)
            if has_agent:
                name = row[agent]
                if name is None or (isinstance(name, float) and math.isnan(name)) or str(name).strip() == "":
                    raise DataValidationError(
                        f"empty agent name{where}.", hint="fill in the agent column.", column=agent
                    )
                name = name.strip() if isinstance(name, str) else name
                self._add(name, agreement_set, row[payoff], where, payoff)
            else:
                for column in frame.columns:
                    if column != agreements:
                        self._add(
                            column, agreement_set, row[column], where + f", column {column!r}", str(column)
                        )

    def _read_mapping(self, table: Mapping[Any, Mapping[Any, float]]) -> None:
        for key, by_agent in table.items():
            agreement_set = agreement_list(key)
            if not isinstance(by_agent, Mapping):
                raise InvalidParameterError(
                    f"the payoffs at {key!r} are not a mapping agent -> payoff.",
                    hint="use {agreement set: {agent: payoff}}.",
                )
            for name, value in by_agent.items():
                self._add(name, agreement_set, value, f" at agreements {key!r}", "payoff")

    def __call__(self, agent_name: Hashable, agreement_set: frozenset) -> float:
        key = (agent_name, frozenset(agreement_set))
        if key not in self.values:
            raise DataValidationError(
                f"no payoff for agent {agent_name!r} when agreements "
                f"{{{format_agreements(agreement_set)}}} form.",
                hint="Nash-in-Nash needs every agent's payoff with all agreements and with each negotiated "
                "agreement (or system bundle) removed; add that row.",
                column="payoff",
            )
        self.used.add(key)
        return self.values[key]

