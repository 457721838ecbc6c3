"""The network of a Nash-in-Nash model and its notation: agreements, agents, bargaining units and weights.

An agreement is an oriented pair ``(i, j)``: i is the seller, who receives the payment, j the buyer, who makes
it. Written as text, an agreement is ``"i-j"`` and a set of agreements joins them with ``";"``
(``"h1-i1;h2-i1"``; empty or ``"none"`` for no agreement), as in ``docs/nash_in_nash_csv.md``.

:class:`Network` checks the agreements G, the systems (agents that pool payoffs) and the bargaining weights,
and groups the agreements into the :class:`Bundle` s that are negotiated: both :class:`NashInNash` (lump-sum
transfers) and :class:`NashInNashPrices` (per-unit prices) are built on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bargaining.errors import DataValidationError, InvalidParameterError, InvalidWeightError

__all__ = [
    "AGREEMENT_SEPARATOR",
    "GAINS_RTOL",
    "PAIR_SEPARATOR",
    "Bundle",
    "Network",
    "agreement_list",
    "as_pair",
    "finite",
    "format_agreements",
    "lacks_gains",
    "normalize_pairs",
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
GAINS_RTOL = 1e-12


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
    return frozenset(agreement_list(value, where=where))


def agreement_list(value: Any, *, where: str = "") -> list[Pair]:
    """Like :func:`parse_agreements`, keeping the written order (a list of (seller, buyer) tuples).

    ``where`` is appended to error messages (e.g. ``" in row 3"``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _EMPTY_SET_SPELLINGS:
            return []
        return [_parse_pair(token, where=where) for token in text.split(AGREEMENT_SEPARATOR)]
    if isinstance(value, Iterable):
        return [_parse_pair(item, where=where) if isinstance(item, str) else as_pair(item) for item in value]
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


def as_pair(item: Any) -> Pair:
    """One agreement ``(seller, buyer)`` from a 2-tuple or a string ``"seller-buyer"``."""
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


def normalize_pairs(pairs: Iterable[Any]) -> tuple[Pair, ...]:
    """The agreements G as a tuple of (seller, buyer) pairs, in the given order; rejects an empty list, a pair
    with the same agent on both sides, and a pair listed twice (in either orientation)."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise InvalidParameterError(
            f"pairs must be a list of agreements, got {pairs!r}.",
            hint="for example pairs=[('h1', 'i1'), ('h2', 'i1')] (seller first).",
        )
    out: list[Pair] = []
    seen: set[frozenset] = set()
    for item in pairs:
        i, j = as_pair(item)
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


class Network:
    """Agents, bargaining units (systems), bundles and their weights: what both models share.

    Attributes: ``pairs`` (G, ordered), ``full`` (G as a frozenset), ``agents``, ``systems``, ``unit_of``
    (agent -> its system, or itself), ``units``, ``members`` (unit -> agents), ``joint``, ``bundles`` (the
    negotiated :class:`Bundle` s), ``internal`` (agreements inside one system) and ``weights`` (unit -> b).
    """

    def __init__(
        self,
        pairs: Iterable[Any],
        weights: Mapping[Any, float] | None,
        systems: Mapping[Any, Iterable[Any]] | None,
        joint: bool,
    ) -> None:
        self.pairs = normalize_pairs(pairs)
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
                if len(member_weights) == 1:
                    (shared,) = member_weights
                    if shared is not None:
                        out[unit] = shared
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


def finite(value: Any, what: str) -> float:
    """``float(value)``, or :class:`InvalidParameterError` naming ``what`` when it is not a finite number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{what} is not a number: {value!r}.", hint="return a finite float."
        ) from None
    if not math.isfinite(out):
        raise InvalidParameterError(f"{what} is {out}.", hint="payoffs and profits must be finite numbers.")
    return out


def lacks_gains(gain_i: float, gain_j: float) -> bool:
    """True unless gain_i + gain_j > 0 beyond rounding noise (relative tolerance :data:`GAINS_RTOL`)."""
    return not gain_i + gain_j > GAINS_RTOL * max(1.0, abs(gain_i), abs(gain_j))

