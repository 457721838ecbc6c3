"""Nash-in-Nash bargaining in a network of bilateral agreements.

A finite set of agents; ``pairs`` is the set G of agreements that can form. Pair ``(i, j)`` is oriented: i is
the seller, who receives the payment p_ij, and j the buyer, who makes it. pi_k(A) is agent k's payoff when the
set A of agreements forms, before payments; externalities across agreements are allowed, from payments not.
With Delta pi_k(G, B) = pi_k(G) - pi_k(G minus B), the Nash-in-Nash solution forms every agreement and sets

    p_ij = (b_i Delta pi_j(G, ij) - b_j Delta pi_i(G, ij)) / (b_i + b_j),

the bilateral Nash split maximizing (Delta pi_i + p)^{b_i} (Delta pi_j - p)^{b_j} while every other agreement
is taken as formed ("passive beliefs"). It requires gains from trade: Delta pi_i + Delta pi_j > 0 for all ij.
In the package's price convention (``docs/nash_in_nash_csv.md``, design notes) the seller's cost is
C = -Delta pi_i, the buyer's value V = Delta pi_j and beta = b_i / (b_i + b_j), so p_ij = C + beta (V - C).

Two models:

* :class:`NashInNash`: lump-sum transfers; closed form.
* :class:`NashInNashPrices`: per-unit prices whose profits depend on the network and on every price (for
  example a hospital recaptures margins on other insurers when one insurer drops it), so each pair's threat
  point depends on the other prices and the equilibrium is a fixed point.

Both accept ``systems={"name": [members]}``: members (a merger, a hospital system, vertical integration) pool
their payoffs. With ``joint=True`` a system negotiates all its agreements with one counterparty as one bundle,
and disagreement drops the whole bundle; with ``joint=False`` each agreement is negotiated on its own, but the
system counts the profits it recaptures at its other members. Agreements between two members of one system are
internal: always formed, never negotiated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from bargaining.errors import (
    ConvergenceError,
    DataValidationError,
    GainsFromTradeError,
    InvalidParameterError,
    InvalidWeightError,
    MissingColumnError,
)

__all__ = [
    "NashInNash",
    "NashInNashEquilibrium",
    "NashInNashPrices",
    "format_agreements",
    "parse_agreements",
]

Agent = Hashable
Pair = tuple[Hashable, Hashable]
Agreements = frozenset  # frozenset of Pair
PayoffFunction = Callable[[Agent, frozenset], float]
ProfitFunction = Callable[[Agent, frozenset, Mapping[Pair, float]], float]

PAIR_SEPARATOR = "-"
AGREEMENT_SEPARATOR = ";"
_EMPTY_SET_SPELLINGS = {"", "none", "{}", "empty"}
# Gains from trade must be positive beyond floating-point noise relative to the gains' size.
_GAINS_RTOL = 1e-12


# --------------------------------------------------------------------------------------------- agreements
def _parse_pair(token: str, *, where: str = "") -> Pair:
    parts = [part.strip() for part in token.split(PAIR_SEPARATOR)]
    if len(parts) != 2 or not all(parts):
        raise DataValidationError(
            f"cannot read agreement {token!r}{where}.",
            hint="write each agreement as SELLER-BUYER (one '-', agent names without '-' or ';'), "
            "several agreements separated by ';', e.g. 'h1-i1;h2-i1'.",
        )
    return parts[0], parts[1]


def parse_agreements(value: Any, *, where: str = "") -> frozenset:
    """Read a set of agreements: ``"h1-i1;h2-i1"``, an empty string or ``"none"``, or an iterable of pairs.

    Returns a frozenset of (seller, buyer) tuples.
    """
    return frozenset(_agreement_list(value, where=where))


def _agreement_list(value: Any, *, where: str = "") -> list[Pair]:
    """Like :func:`parse_agreements`, keeping the written order."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _EMPTY_SET_SPELLINGS:
            return []
        return [_parse_pair(token, where=where) for token in text.split(AGREEMENT_SEPARATOR)]
    if isinstance(value, Iterable):
        return [_parse_pair(item, where=where) if isinstance(item, str) else _as_pair(item) for item in value]
    raise DataValidationError(
        f"cannot read the agreement set {value!r}{where}.",
        hint="give a string like 'h1-i1;h2-i1' (empty for no agreement) or a collection of "
        "(seller, buyer) pairs.",
    )


def format_agreements(agreements: Iterable[Pair], *, order: Sequence[Pair] | None = None) -> str:
    """Write a set of agreements as ``"h1-i1;h2-i1"`` (in the order of ``order`` when given)."""
    items = list(agreements)
    if order is not None:
        rank = {pair: k for k, pair in enumerate(order)}
        items.sort(key=lambda pair: rank.get(pair, len(rank)))
    return AGREEMENT_SEPARATOR.join(f"{i}{PAIR_SEPARATOR}{j}" for i, j in items)


def _as_pair(item: Any) -> Pair:
    if isinstance(item, str):
        return _parse_pair(item)
    try:
        i, j = item
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{item!r} is not an agreement (seller, buyer).",
            hint="give each agreement as a tuple (seller, buyer) or a string 'seller-buyer'.",
        ) from None
    return i, j


def _normalize_pairs(pairs: Iterable[Any]) -> tuple[Pair, ...]:
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise InvalidParameterError(
            f"pairs must be a list of agreements, got {pairs!r}.",
            hint="for example pairs=[('h1', 'i1'), ('h2', 'i1')] (seller first).",
        )
    out: list[Pair] = []
    seen: set[frozenset] = set()
    for item in pairs:
        i, j = _as_pair(item)
        if i == j:
            raise InvalidParameterError(
                f"agreement {i!r}-{j!r} has the same agent on both sides.", hint="remove it from pairs."
            )
        key = frozenset((i, j))
        if key in seen:
            raise InvalidParameterError(
                f"agreement {i!r}-{j!r} is listed twice (in either orientation).",
                hint="list each pair of agents once; a pair forms at most one agreement.",
            )
        seen.add(key)
        out.append((i, j))
    if not out:
        raise InvalidParameterError("pairs is empty.", hint="list at least one agreement (seller, buyer).")
    return tuple(out)


# --------------------------------------------------------------------------------------------- network
@dataclass(frozen=True)
class Bundle:
    """Agreements negotiated together between two bargaining units (an agent or a system).

    ``seller`` receives the payment, ``buyer`` makes it; ``pairs`` are the agreements that disagreement drops.
    """

    seller: Hashable
    buyer: Hashable
    pairs: tuple[Pair, ...]
    label: str


class _Network:
    """Agents, bargaining units (systems), bundles and their weights: what both models share."""

    def __init__(
        self,
        pairs: Iterable[Any],
        weights: Mapping[Any, float] | None,
        systems: Mapping[Any, Iterable[Any]] | None,
        joint: bool,
    ) -> None:
        self.pairs = _normalize_pairs(pairs)
        self.full = frozenset(self.pairs)
        agents: list[Hashable] = []
        for pair in self.pairs:
            for agent in pair:
                if agent not in agents:
                    agents.append(agent)
        self.agents = tuple(agents)
        self.systems = self._check_systems(systems)
        self.unit_of = {agent: agent for agent in self.agents}
        for name, members in self.systems.items():
            for member in members:
                self.unit_of[member] = name
        units: list[Hashable] = []
        for agent in self.agents:
            if self.unit_of[agent] not in units:
                units.append(self.unit_of[agent])
        self.units = tuple(units)
        self.members = {unit: tuple(a for a in self.agents if self.unit_of[a] == unit) for unit in self.units}
        self.joint = bool(joint)
        self.bundles, self.internal = self._make_bundles()
        self.weights = self._unit_weights(weights)
        zero = [b.label for b in self.bundles if self.weights[b.seller] + self.weights[b.buyer] == 0]
        if zero:
            raise InvalidWeightError(
                f"both sides have bargaining weight 0 in {', '.join(zero)}: the Nash split is undefined.",
                hint="give at least one side of every agreement a positive weight.",
            )

    def _check_systems(self, systems: Mapping[Any, Iterable[Any]] | None) -> dict[Hashable, tuple]:
        if systems is None:
            return {}
        if not isinstance(systems, Mapping):
            raise InvalidParameterError(
                "systems must map a system name to its member agents.",
                hint="for example systems={'sys': ['h1', 'h2']}.",
            )
        owner: dict[Hashable, Hashable] = {}
        out: dict[Hashable, tuple] = {}
        for name, members in systems.items():
            if name in self.agents:
                raise InvalidParameterError(
                    f"system name {name!r} is also an agent's name.", hint="give the system a new name."
                )
            members = (members,) if isinstance(members, str) else tuple(members)
            if not members:
                raise InvalidParameterError(f"system {name!r} has no members.", hint="list its agents.")
            for member in members:
                if member not in self.agents:
                    raise InvalidParameterError(
                        f"system {name!r} lists {member!r}, which is in no agreement.",
                        hint=f"members must be agents of pairs: {', '.join(map(str, self.agents))}.",
                    )
                if member in owner:
                    raise InvalidParameterError(
                        f"agent {member!r} belongs to two systems ({owner[member]!r} and {name!r}).",
                        hint="an agent can belong to one system only.",
                    )
                owner[member] = name
            out[name] = members
        return out

    def _make_bundles(self) -> tuple[tuple[Bundle, ...], tuple[Pair, ...]]:
        groups: dict[Any, list[Pair]] = {}
        internal: list[Pair] = []
        for pair in self.pairs:
            seller, buyer = self.unit_of[pair[0]], self.unit_of[pair[1]]
            if seller == buyer:
                internal.append(pair)
                continue
            key = frozenset((seller, buyer)) if self.joint else pair
            groups.setdefault(key, []).append(pair)
        bundles = []
        for members in groups.values():
            first = members[0]
            bundles.append(
                Bundle(
                    seller=self.unit_of[first[0]],
                    buyer=self.unit_of[first[1]],
                    pairs=tuple(members),
                    label=format_agreements(members),
                )
            )
        return tuple(bundles), tuple(internal)

    def _unit_weights(self, weights: Mapping[Any, float] | None) -> dict[Hashable, float]:
        if weights is None:
            return {unit: 1.0 for unit in self.units}
        if not isinstance(weights, Mapping):
            raise InvalidWeightError(
                "weights must map each agent to its bargaining weight b.",
                hint="for example weights={'h1': 1, 'i1': 1}; omit weights for equal weights.",
            )
        checked: dict[Hashable, float] = {}
        for key, raw in weights.items():
            if key not in self.agents and key not in self.systems:
                raise InvalidWeightError(
                    f"weights names {key!r}, which is neither an agent nor a system.",
                    hint=f"agents: {', '.join(map(str, self.agents))}.",
                )
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise InvalidWeightError(
                    f"the weight of {key!r} is not a number: {raw!r}.", hint="give a number b >= 0."
                ) from None
            if not math.isfinite(value) or value < 0:
                raise InvalidWeightError(
                    f"the weight of {key!r} is {value}; bargaining weights must be finite and >= 0.",
                    hint="only ratios b_i / (b_i + b_j) matter; give numbers >= 0 such as 1 and 2.",
                )
            checked[key] = value
        out: dict[Hashable, float] = {}
        missing: list[str] = []
        for unit in self.units:
            if unit in checked:
                out[unit] = checked[unit]
                continue
            if unit in self.systems:
                member_weights = {checked.get(member) for member in self.systems[unit]}
                if len(member_weights) == 1 and None not in member_weights:
                    out[unit] = member_weights.pop()
                    continue
                raise InvalidWeightError(
                    f"system {unit!r} has no weight and its members' weights differ or are missing.",
                    hint=f"give weights[{unit!r}] explicitly.",
                )
            missing.append(str(unit))
        if missing:
            raise InvalidWeightError(
                f"no bargaining weight for {', '.join(missing)}.",
                hint="give a weight for every agent (or omit weights entirely for equal weights).",
            )
        return out

    def beta(self, bundle: Bundle) -> float:
        """The seller side's share b_seller / (b_seller + b_buyer)."""
        b_s, b_b = self.weights[bundle.seller], self.weights[bundle.buyer]
        return b_s / (b_s + b_b)


def _finite(value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{what} is not a number: {value!r}.", hint="return a finite float."
        ) from None
    if not math.isfinite(out):
        raise InvalidParameterError(f"{what} is {out}.", hint="payoffs and profits must be finite numbers.")
    return out


def _gains_fail(gain_i: float, gain_j: float) -> bool:
    return not gain_i + gain_j > _GAINS_RTOL * max(1.0, abs(gain_i), abs(gain_j))


# --------------------------------------------------------------------------------------------- payoff table
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
            agreement_set = _agreement_list(row[agreements], where=where)
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
            agreement_set = _agreement_list(key)
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


# --------------------------------------------------------------------------------------------- transfers
class NashInNash:
    """Nash-in-Nash lump-sum transfers in a network of bilateral agreements.

    Parameters
    ----------
    pairs
        The agreements G that can form, each (i, j) with i the seller (receives p_ij) and j the buyer (pays).
        Tuples or strings ``"i-j"``.
    payoff
        ``payoff(agent, agreements) -> pi_agent(A)`` for a frozenset A of pairs, without payments; or a table
        (DataFrame or mapping, see :class:`PayoffTable` and :meth:`from_table`).
    weights
        Agent (or system) -> bargaining weight b >= 0; only b_i / (b_i + b_j) matters. ``None``: all equal.
    systems
        ``{name: [members]}``: agents that pool payoffs (a merger). Weight: ``weights[name]``, or the members'
        common weight.
    joint
        With systems: negotiate all of a system's agreements with one counterparty as one bundle (True), or
        each agreement on its own with pooled payoffs (False).

    Notes
    -----
    For a bundle B between seller unit i and buyer unit j (a single pair without systems),
    gain_i = Delta pi_i(G, B), gain_j = Delta pi_j(G, B) and the transfer from j to i is
    (b_i gain_j - b_j gain_i) / (b_i + b_j) = C + beta (V - C) with C = -gain_i, V = gain_j,
    beta = b_i / (b_i + b_j). A system's bundle has one total transfer: with lump sums its split across the
    bundle's agreements is not determined.
    """

    def __init__(
        self,
        pairs: Iterable[Any],
        payoff: PayoffFunction | pd.DataFrame | Mapping[Any, Mapping[Any, float]],
        weights: Mapping[Any, float] | None = None,
        *,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
    ) -> None:
        self.network = _Network(pairs, weights, systems, joint)
        if isinstance(payoff, (pd.DataFrame, Mapping)):
            payoff = PayoffTable(payoff)
        if not callable(payoff):
            raise InvalidParameterError(
                "payoff must be a function payoff(agent, agreements) or a payoff table.",
                hint="see NashInNash.from_table for tables.",
            )
        self.table: PayoffTable | None = payoff if isinstance(payoff, PayoffTable) else None
        if self.table is not None:
            extra = [p for p in self.table.pairs_seen if p not in self.network.full]
            if extra:
                raise DataValidationError(
                    f"the payoff table mentions agreements not in pairs: {format_agreements(extra)}.",
                    hint="add them to pairs or remove those rows.",
                    column="agreements",
                )
        self._payoff = payoff
        self._cache: dict[tuple[Hashable, frozenset], float] = {}

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame | Mapping[Any, Mapping[Any, float]],
        weights: Mapping[Any, float] | None = None,
        *,
        pairs: Iterable[Any] | None = None,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
        agreements: str = "agreements",
        agent: str = "agent",
        payoff: str = "payoff",
    ) -> NashInNash:
        """Build the model from payoffs given as data (layouts in ``docs/nash_in_nash_csv.md``).

        ``pairs`` defaults to every agreement that appears in the table, in order of appearance; G is the
        set of all of them. Column names are arguments.
        """
        payoff_table = PayoffTable(table, agreements=agreements, agent=agent, payoff=payoff)
        if pairs is None:
            pairs = list(payoff_table.pairs_seen)
            if not pairs:
                raise DataValidationError(
                    "the payoff table mentions no agreement.",
                    hint="the agreements column lists the formed agreements, e.g. 'h1-i1;h2-i1'.",
                    column=agreements,
                )
        return cls(pairs, payoff_table, weights, systems=systems, joint=joint)

    # -- payoffs
    def value(self, agent_name: Hashable, agreement_set: Iterable[Pair]) -> float:
        """pi_agent(A), excluding payments (cached)."""
        key = (agent_name, frozenset(agreement_set))
        if key not in self._cache:
            what = f"payoff({agent_name!r}, {{{format_agreements(key[1])}}})"
            self._cache[key] = _finite(self._payoff(agent_name, key[1]), what)
        return self._cache[key]

    def unit_value(self, unit: Hashable, agreement_set: Iterable[Pair]) -> float:
        """Payoff of an agent or a system (sum over its members), excluding payments."""
        return sum(self.value(member, agreement_set) for member in self.network.members[unit])

    def gains(self) -> pd.DataFrame:
        """Delta pi of both sides of every bundle, without checking gains from trade.

        Columns ``i, j, gain_i, gain_j, total``; the index labels the agreements of the bundle.
        """
        net = self.network
        rows = []
        for bundle in net.bundles:
            without = net.full - frozenset(bundle.pairs)
            gain_i = self.unit_value(bundle.seller, net.full) - self.unit_value(bundle.seller, without)
            gain_j = self.unit_value(bundle.buyer, net.full) - self.unit_value(bundle.buyer, without)
            rows.append((bundle.label, bundle.seller, bundle.buyer, gain_i, gain_j, gain_i + gain_j))
        frame = pd.DataFrame(rows, columns=["agreement", "i", "j", "gain_i", "gain_j", "total"])
        return frame.set_index("agreement")

    def check_gains_from_trade(self) -> None:
        """Raise :class:`GainsFromTradeError` naming every bundle with gain_i + gain_j <= 0."""
        gains = self.gains()
        failing = [
            f"{label} (gain_i {row.gain_i:.6g} + gain_j {row.gain_j:.6g} = {row.total:.6g})"
            for label, row in gains.iterrows()
            if _gains_fail(row.gain_i, row.gain_j)
        ]
        if failing:
            raise GainsFromTradeError(
                f"no gains from trade in {len(failing)} agreement(s): {'; '.join(failing)}.",
                hint="Nash-in-Nash assumes Delta pi_i(G, ij) + Delta pi_j(G, ij) > 0 for every pair; remove "
                "those pairs from G or correct their payoffs.",
            )

    def transfers(self) -> pd.DataFrame:
        """Nash-in-Nash transfers.

        Returns
        -------
        DataFrame
            Columns ``i`` (seller, receives), ``j`` (buyer, pays), ``gain_i`` = Delta pi_i(G, ij),
            ``gain_j`` = Delta pi_j(G, ij) (both excluding payments) and ``transfer`` = p_ij paid by j to i;
            index: the agreement(s), e.g. ``"h1-i1"``.

        Raises
        ------
        GainsFromTradeError
            Naming every pair with gain_i + gain_j <= 0 (relative tolerance 1e-12).
        """
        self.check_gains_from_trade()
        gains = self.gains()
        weights = self.network.weights
        b_i = gains["i"].map(weights).astype(float)
        b_j = gains["j"].map(weights).astype(float)
        transfer = (b_i * gains["gain_j"] - b_j * gains["gain_i"]) / (b_i + b_j)
        return gains[["i", "j", "gain_i", "gain_j"]].assign(transfer=transfer)

    def payoffs(self) -> pd.DataFrame:
        """Each agent's (or system's) payoff at G: ``pi`` (before payments), ``net_transfer`` (received minus
        paid) and ``payoff`` = pi + net_transfer. Index: agent or system."""
        table = self.transfers()
        rows = []
        for unit in self.network.units:
            received = table.loc[table["i"] == unit, "transfer"].sum()
            paid = table.loc[table["j"] == unit, "transfer"].sum()
            pi = self.unit_value(unit, self.network.full)
            rows.append((unit, pi, received - paid, pi + received - paid))
        frame = pd.DataFrame(rows, columns=["agent", "pi", "net_transfer", "payoff"])
        return frame.set_index("agent")


# --------------------------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class NashInNashEquilibrium:
    """A Nash-in-Nash price equilibrium.

    Attributes
    ----------
    prices
        One row per negotiated bundle (index: its agreements). Columns ``i, j, price`` (per unit; a system's
        bundle has one common price), ``seller_cost`` C and ``buyer_value`` V (per unit, the threat points at
        the equilibrium prices: C includes the margins the seller recaptures elsewhere, V the buyer's
        payments that shift to other sellers), ``beta`` = b_i / (b_i + b_j), so that price = C + beta (V - C),
        and ``gain_i``, ``gain_j``: each side's profit gain from the agreement at the equilibrium prices.
    payoffs
        Each agent's (or system's) profit at G and the equilibrium prices.
    iterations
        Jacobi iterations over best replies (``method="fixed-point"``) or evaluations of the Nash conditions
        (``"root"``).
    residual
        Largest price change still asked for at the returned prices: max |BR(x) - x| at the last iteration
        (``"fixed-point"``) or max |t(x)| (``"root"``), in price units.
    converged, method, tol
        Whether residual <= tol * max(1, max |price|); the solver; the tolerance.
    """

    prices: pd.DataFrame
    payoffs: pd.DataFrame
    iterations: int
    residual: float
    converged: bool
    method: str
    tol: float

    def price_of(self, pair: Any) -> float:
        """Price of the agreement ``pair`` ((i, j) or ``"i-j"``), or of the bundle containing it."""
        wanted = _as_pair(pair)
        for label, row in self.prices.iterrows():
            if wanted in parse_agreements(label):
                return float(row["price"])
        raise InvalidParameterError(
            f"{pair!r} is not a negotiated agreement.", hint="see .prices for the pairs."
        )


class NashInNashPrices:
    """Nash-in-Nash per-unit prices when profits depend on the network and on every price.

    Parameters
    ----------
    pairs
        Agreements (i, j), i the seller receiving the price, j the buyer.
    profit
        ``profit(agent, agreements, prices) -> float``: the agent's profit when the frozenset ``agreements``
        forms at ``prices`` (a dict pair -> price holding exactly the formed pairs). A pair's own price must
        raise the seller's profit and lower the buyer's. :meth:`per_unit` builds it for the usual empirical
        form.
    weights, systems, joint
        As in :class:`NashInNash`. A system's bundle is negotiated at one common per-unit price; internal
        agreements (both sides in one system) are always formed and evaluated at price 0.

    Notes
    -----
    Bundle b between seller unit S and buyer unit B, at common price x_b and other prices x_-b:
    g_S(x) = pi_S(G, x) - pi_S(G minus b, x_-b), g_B likewise. The Nash-in-Nash price maximizes
    g_S^{b_S} g_B^{b_B} given x_-b; its first-order condition is b_S g_S' g_B + b_B g_B' g_S = 0 (primes:
    derivative in x_b). Replacing g_S, g_B by their linearization in x_b (slopes by central differences, exact
    for profits affine or quadratic in the own price) gives the Nash split of the linearized problem,
    x_b + t_b with t_b = -(b_S g_S' g_B + b_B g_B' g_S) / ((b_S + b_B) g_S' g_B'); t_b = 0 is the first-order
    condition, and for profits affine in the own price x_b + t_b = C + beta (V - C) is the exact best reply.
    ``method="fixed-point"``: damped Jacobi iteration x <- x + damping (BR(x) - x), where BR_b(x) solves
    t_b = 0 in x_b given x_-b (secant steps; one step when affine). ``method="root"``: ``scipy.optimize.root``
    (Powell hybrid) on t(x) = 0 for all bundles at once.
    """

    def __init__(
        self,
        pairs: Iterable[Any],
        profit: ProfitFunction,
        weights: Mapping[Any, float] | None = None,
        *,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
    ) -> None:
        self.network = _Network(pairs, weights, systems, joint)
        if not callable(profit):
            raise InvalidParameterError(
                "profit must be a function profit(agent, agreements, prices).",
                hint="or use NashInNashPrices.per_unit(pairs, quantity=, seller_cost=, buyer_value=).",
            )
        self._profit = profit
        for bundle in self.network.bundles:
            sellers = {pair[0] for pair in bundle.pairs}
            if any(self.network.unit_of[s] != bundle.seller for s in sellers):
                raise InvalidParameterError(
                    f"bundle {bundle.label} has agreements in both directions between the same two units.",
                    hint="a common price needs all agreements of a bundle to have their seller on one side; "
                    "use joint=False.",
                )

    @classmethod
    def per_unit(
        cls,
        pairs: Iterable[Any],
        *,
        quantity: Callable[[Pair, frozenset], float],
        seller_cost: float | Mapping[Any, float],
        buyer_value: float | Mapping[Any, float] | Callable[[Hashable, frozenset], float],
        weights: Mapping[Any, float] | None = None,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
    ) -> NashInNashPrices:
        """The empirical form: seller i (a hospital) sells q_ij(A) units to buyer j (an insurer) at p_ij.

        pi_i(A, p) = sum over i's agreements of (p_ij - c_ij) q_ij(A);
        pi_j(A, p) = W_j(A) - sum over j's agreements of p_ij q_ij(A).

        Parameters
        ----------
        quantity
            ``quantity((i, j), agreements) -> q_ij(A) >= 0``: units traded under agreement ij when A forms
            (patients who switch hospital or insurer when the network changes make this network-dependent;
            that recapture is what puts other prices into each pair's threat point).
        seller_cost
            Marginal cost c per unit: one number, or a mapping keyed by pair or by seller.
        buyer_value
            W_j(A): one number v or a mapping keyed by pair or buyer giving a per-unit value v_ij, so that
            W_j(A) = sum v_ij q_ij(A); or a function ``buyer_value(j, agreements) -> W_j(A)``.
        """
        network_pairs = _normalize_pairs(pairs)

        def lookup(table: float | Mapping[Any, float], pair: Pair, side: int, what: str) -> float:
            if not isinstance(table, Mapping):
                return _finite(table, what)
            for key in (pair, f"{pair[0]}{PAIR_SEPARATOR}{pair[1]}", pair[side]):
                if key in table:
                    return _finite(table[key], f"{what} of {key!r}")
            raise InvalidParameterError(
                f"no {what} for agreement {pair[0]!r}-{pair[1]!r}.",
                hint=f"key the {what} mapping by pair or by {'seller' if side == 0 else 'buyer'}.",
            )

        costs = {pair: lookup(seller_cost, pair, 0, "seller_cost") for pair in network_pairs}
        per_unit_value = (
            None
            if callable(buyer_value)
            else {pair: lookup(buyer_value, pair, 1, "buyer_value") for pair in network_pairs}
        )
        quantities: dict[tuple[Pair, frozenset], float] = {}

        def q(pair: Pair, agreements: frozenset) -> float:
            key = (pair, agreements)
            if key not in quantities:
                value = _finite(
                    quantity(pair, agreements), f"quantity({pair!r}, {{{format_agreements(agreements)}}})"
                )
                if value < 0:
                    raise InvalidParameterError(
                        f"quantity of {pair!r} is negative ({value}).", hint="quantities must be >= 0."
                    )
                quantities[key] = value
            return quantities[key]

        def profit(agent_name: Hashable, agreements: frozenset, prices: Mapping[Pair, float]) -> float:
            total = 0.0
            for pair in agreements:
                if pair[0] == agent_name:
                    total += (prices[pair] - costs[pair]) * q(pair, agreements)
                if pair[1] == agent_name:
                    total -= prices[pair] * q(pair, agreements)
                    if per_unit_value is not None:
                        total += per_unit_value[pair] * q(pair, agreements)
            if per_unit_value is None and any(pair[1] == agent_name for pair in network_pairs):
                total += _finite(buyer_value(agent_name, agreements), f"buyer_value({agent_name!r}, ...)")
            return total

        return cls(network_pairs, profit, weights, systems=systems, joint=joint)

    # -- evaluation
    def _prices(self, x: np.ndarray, agreements: frozenset) -> dict[Pair, float]:
        prices = {pair: 0.0 for pair in self.network.internal if pair in agreements}
        for value, bundle in zip(x, self.network.bundles, strict=True):
            for pair in bundle.pairs:
                if pair in agreements:
                    prices[pair] = float(value)
        return prices

    def unit_profit(self, unit: Hashable, agreements: frozenset, x: np.ndarray) -> float:
        prices = self._prices(x, agreements)
        return sum(
            _finite(self._profit(member, agreements, prices), f"profit({member!r}, ...)")
            for member in self.network.members[unit]
        )

    def _linearization(self, k: int, x: np.ndarray, step: float) -> tuple[float, float, float, float]:
        """Gains g_S, g_B of bundle k at prices x and their slopes in the bundle's own price."""
        net = self.network
        bundle = net.bundles[k]
        without = net.full - frozenset(bundle.pairs)
        h = step * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out = []
        for unit in (bundle.seller, bundle.buyer):
            gain = self.unit_profit(unit, net.full, x) - self.unit_profit(unit, without, x)
            slope = (self.unit_profit(unit, net.full, up) - self.unit_profit(unit, net.full, down)) / (2 * h)
            out.append((gain, slope))
        (g_s, d_s), (g_b, d_b) = out
        if not (d_s > 0 and d_b < 0):
            raise InvalidParameterError(
                f"in {bundle.label} the price does not raise the seller's profit and lower the buyer's "
                f"(slopes {d_s:.6g} and {d_b:.6g}).",
                hint="check that each pair is (seller, buyer) and that its quantity is positive.",
            )
        return g_s, g_b, d_s, d_b

    def _nash_step(self, k: int, x: np.ndarray, step: float) -> float:
        """Move of bundle k's price to the Nash split of its linearized problem (0 at the Nash condition)."""
        g_s, g_b, d_s, d_b = self._linearization(k, x, step)
        bundle = self.network.bundles[k]
        b_s, b_b = self.network.weights[bundle.seller], self.network.weights[bundle.buyer]
        return -(b_s * d_s * g_b + b_b * d_b * g_s) / ((b_s + b_b) * d_s * d_b)

    def _steps(self, x: np.ndarray, step: float) -> np.ndarray:
        return np.array([self._nash_step(k, x, step) for k in range(len(self.network.bundles))])

    def _best_reply(self, k: int, x: np.ndarray, step: float, tol: float, max_iter: int) -> float:
        """Bundle k's Nash price given the other prices: the root in x_k of the Nash condition, by secant
        steps started from the linearized Nash split (exact in one step for profits affine in own price)."""
        trial = x.copy()

        def condition(price: float) -> float:
            trial[k] = price
            return self._nash_step(k, trial, step)

        first = condition(x[k])
        if not math.isfinite(first):
            return math.nan
        if abs(first) <= tol * max(1.0, abs(x[k])):
            return float(x[k])
        solution = optimize.root_scalar(
            condition,
            x0=float(x[k]),
            x1=float(x[k] + first),
            method="secant",
            xtol=tol * max(1.0, abs(x[k])),
            maxiter=max_iter,
        )
        if not solution.converged:
            raise ConvergenceError(
                f"the Nash price of {self.network.bundles[k].label} given the other prices was not found "
                f"({solution.flag}) after {solution.iterations} secant steps.",
                hint="check that the weighted Nash product has an interior maximum in the own price.",
            )
        return float(solution.root)

    def solve(
        self,
        *,
        start: Mapping[Any, float] | float | None = None,
        method: str = "fixed-point",
        damping: float = 1.0,
        tol: float = 1e-10,
        max_iter: int = 1000,
        step: float = 1e-4,
    ) -> NashInNashEquilibrium:
        """Solve for the Nash-in-Nash prices.

        Parameters
        ----------
        start
            Starting prices: one number, or a mapping pair (or bundle label) -> price; default 0.
        method
            ``"fixed-point"`` (damped Jacobi iteration over each pair's Nash price given the others) or
            ``"root"`` (``scipy.optimize.root``, Powell hybrid method, on all Nash conditions at once).
        damping
            Step share in (0, 1] of the fixed-point iteration; smaller values help when the best replies
            oscillate.
        tol
            Converged when every pair's remaining price change is <= tol * max(1, max |price|); the same
            tolerance ends each best-reply search.
        max_iter
            Iteration (or function-evaluation) limit.
        step
            Relative finite-difference step for the slopes in the own price.

        Raises
        ------
        ConvergenceError
            With the iterations done and the residual reached.
        GainsFromTradeError
            When at the equilibrium a bundle has no gains from trade or a side loses from it.
        """
        if method not in ("fixed-point", "root"):
            raise InvalidParameterError(f"unknown method {method!r}.", hint="use 'fixed-point' or 'root'.")
        if not (0 < damping <= 1):
            raise InvalidParameterError(f"damping must be in (0, 1], got {damping}.", hint="try 0.5.")
        if not (tol > 0 and step > 0 and max_iter >= 1):
            raise InvalidParameterError(
                "tol and step must be > 0 and max_iter >= 1.", hint="use the defaults."
            )
        x = self._start(start)

        def scale(prices: np.ndarray) -> float:
            return max(1.0, float(np.max(np.abs(prices))))

        if method == "fixed-point":
            first = None
            residual = math.inf
            iterations = 0
            for iterations in range(1, max_iter + 1):
                replies = np.array([self._best_reply(k, x, step, tol, max_iter) for k in range(len(x))])
                change = replies - x
                residual = float(np.max(np.abs(change)))
                if not math.isfinite(residual) or not np.all(np.isfinite(x)):
                    raise ConvergenceError(
                        f"the Nash-in-Nash price iteration diverged: prices became non-finite at iteration "
                        f"{iterations}.",
                        hint="the best replies are expansive (recapture too strong?); try method='root'.",
                    )
                first = residual if first is None else first
                if residual <= tol * scale(x):
                    break
                if residual > 1e10 * (1.0 + first):
                    raise ConvergenceError(
                        f"the Nash-in-Nash price iteration diverged: after {iterations} iterations the price "
                        f"change is {residual:.3g} (it was {first:.3g} at the start).",
                        hint="the best replies are expansive (recapture too strong?); try method='root' or "
                        "check the profit function.",
                    )
                x = x + damping * change
            else:
                raise ConvergenceError(
                    f"the Nash-in-Nash price iteration did not converge in {max_iter} iterations: largest "
                    f"remaining price change is {residual:.3g} (tolerance {tol * scale(x):.3g}) at prices "
                    f"{self._describe(x)}.",
                    hint="raise max_iter, lower damping, or try method='root'.",
                )
        else:
            solution = optimize.root(
                lambda prices: self._steps(prices, step),
                x,
                method="hybr",
                options={"xtol": tol, "maxfev": max_iter},
            )
            x = np.asarray(solution.x, dtype=float)
            iterations = int(solution.nfev)
            change = self._steps(x, step) if np.all(np.isfinite(x)) else np.full_like(x, np.inf)
            residual = float(np.max(np.abs(change)))
            if not residual <= tol * scale(x):
                raise ConvergenceError(
                    f"scipy.optimize.root did not find the Nash-in-Nash prices in {iterations} evaluations "
                    f"({solution.message.strip()}); the largest remaining price change is {residual:.3g} at "
                    f"prices {self._describe(x)}.",
                    hint="try another start or method='fixed-point' with damping.",
                )
        return self._equilibrium(x, iterations, residual, method, tol, step)

    def _describe(self, x: np.ndarray, limit: int = 6) -> str:
        items = [f"{b.label}: {value:.6g}" for b, value in zip(self.network.bundles, x, strict=True)]
        return "{" + ", ".join(items[:limit]) + (", ..." if len(items) > limit else "") + "}"

    def _start(self, start: Mapping[Any, float] | float | None) -> np.ndarray:
        bundles = self.network.bundles
        if start is None:
            return np.zeros(len(bundles))
        if not isinstance(start, Mapping):
            return np.full(len(bundles), _finite(start, "start"))
        x = np.zeros(len(bundles))
        for key, value in start.items():
            position = self._bundle_index(key)
            if position is None:
                raise InvalidParameterError(
                    f"start names {key!r}, which is not a negotiated agreement.",
                    hint=f"use one of: {', '.join(b.label for b in bundles)}.",
                )
            x[position] = _finite(value, f"start[{key!r}]")
        return x

    def _bundle_index(self, key: Any) -> int | None:
        for k, bundle in enumerate(self.network.bundles):
            if isinstance(key, str) and key == bundle.label:
                return k
        try:
            pair = _as_pair(key)
        except (InvalidParameterError, DataValidationError):
            return None
        for k, bundle in enumerate(self.network.bundles):
            if pair in bundle.pairs:
                return k
        return None

    def _equilibrium(
        self, x: np.ndarray, iterations: int, residual: float, method: str, tol: float, step: float
    ) -> NashInNashEquilibrium:
        net = self.network
        rows = []
        failing = []
        for k, bundle in enumerate(net.bundles):
            g_s, g_b, d_s, d_b = self._linearization(k, x, step)
            rows.append(
                (
                    bundle.label,
                    bundle.seller,
                    bundle.buyer,
                    x[k],
                    x[k] - g_s / d_s,
                    x[k] - g_b / d_b,
                    net.beta(bundle),
                    g_s,
                    g_b,
                )
            )
            # a side with weight 0 gets exactly 0 in theory; allow rounding noise below it
            noise = _GAINS_RTOL * max(1.0, abs(g_s), abs(g_b)) * 1e3
            if _gains_fail(g_s, g_b) or g_s < -noise or g_b < -noise:
                failing.append(f"{bundle.label} (gain_i {g_s:.6g}, gain_j {g_b:.6g})")
        if failing:
            raise GainsFromTradeError(
                f"at the equilibrium prices {len(failing)} agreement(s) lack gains for both sides: "
                f"{'; '.join(failing)}.",
                hint="Nash-in-Nash needs every agreement to benefit both sides in equilibrium; drop those "
                "pairs or check costs and values.",
            )
        prices = pd.DataFrame(
            rows,
            columns=[
                "agreement",
                "i",
                "j",
                "price",
                "seller_cost",
                "buyer_value",
                "beta",
                "gain_i",
                "gain_j",
            ],
        ).set_index("agreement")
        payoffs = pd.DataFrame(
            [(unit, self.unit_profit(unit, net.full, x)) for unit in net.units], columns=["agent", "profit"]
        ).set_index("agent")
        converged = residual <= tol * max(1.0, float(np.max(np.abs(x))))
        return NashInNashEquilibrium(prices, payoffs, iterations, residual, bool(converged), method, tol)
