"""Nash-in-Nash lump-sum transfers (:class:`NashInNash`): the closed form on a network of agreements.

For each negotiated bundle B between seller unit i and buyer unit j, with Delta pi_k(G, B) = pi_k(G) -
pi_k(G minus B) computed from the payoffs before payments, the transfer from j to i is

    p_B = (b_i Delta pi_j(G, B) - b_j Delta pi_i(G, B)) / (b_i + b_j),

the bilateral Nash split given that every other agreement forms. Payoffs are a function of (agent, agreement
set) or a table of them; reading tables is data handling and lives in :mod:`bargaining.data.payoff_table`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from bargaining.errors import DataValidationError, GainsFromTradeError, InvalidParameterError
from bargaining.models.nash_in_nash.network import (
    Network,
    Pair,
    PayoffFunction,
    finite,
    format_agreements,
    lacks_gains,
)

__all__ = ["NashInNash", "TabulatedPayoffs"]


@runtime_checkable
class TabulatedPayoffs(Protocol):
    """Payoffs given as data: callable as ``payoffs(agent, agreements) -> pi_agent(A)``, and able to say which
    agreements they mention and how many of their rows were looked up.

    :class:`bargaining.data.payoff_table.PayoffTable` is the package's implementation; any object with these
    members works, so the model does not depend on how the table was read.
    """

    @property
    def pairs_seen(self) -> Sequence[Pair]: ...

    @property
    def n_rows(self) -> int: ...

    @property
    def n_used(self) -> int: ...

    def __call__(self, agent: Hashable, agreements: frozenset, /) -> float: ...


def _payoff_table(table: Any, **columns: str) -> TabulatedPayoffs:
    """Read a payoff table (DataFrame or mapping) with :class:`bargaining.data.payoff_table.PayoffTable`."""
    # Reading and validating tables belongs to bargaining.data, which models may not import at module level
    # (docs/architecture.md, "Layers"). Importing it here, only when a user hands the model a table, keeps
    # `import bargaining.models` free of the data layer while NashInNash(pairs, frame) and
    # NashInNash.from_table(frame) keep working.
    from bargaining.data.payoff_table import PayoffTable

    return PayoffTable(table, **columns)


class NashInNash:
    """Nash-in-Nash lump-sum transfers in a network of bilateral agreements.

    Parameters
    ----------
    pairs
        The agreements G that can form, each (i, j) with i the seller (receives p_ij) and j the buyer (pays).
        Tuples or strings ``"i-j"``.
    payoff
        ``payoff(agent, agreements) -> pi_agent(A)`` for a frozenset A of pairs, without payments; or a table
        (DataFrame or mapping, read by :class:`bargaining.data.payoff_table.PayoffTable`; see
        :meth:`from_table`). A payoff object that also has the attributes of :class:`TabulatedPayoffs`
        (``pairs_seen``, ``n_rows``, ``n_used``) is treated as a table: it may mention only agreements of
        ``pairs``, and it is kept as ``.table`` to report how many rows were used.
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

    Examples
    --------
    One hospital h and one insurer i; the agreement is worth 1 to the insurer and costs the hospital 0.2:

    >>> payoff = lambda agent, formed: (1.0 if agent == "i" else -0.2) if formed else 0.0
    >>> NashInNash([("h", "i")], payoff).transfers()["transfer"].tolist()   # 0.2 + (1 - 0.2) / 2
    [0.6]
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
        self.network = Network(pairs, weights, systems, joint)
        if isinstance(payoff, (pd.DataFrame, Mapping)):
            payoff = _payoff_table(payoff)
        if not callable(payoff):
            raise InvalidParameterError(
                "payoff must be a function payoff(agent, agreements) or a payoff table.",
                hint="see NashInNash.from_table for tables.",
            )
        self.table: TabulatedPayoffs | None = payoff if isinstance(payoff, TabulatedPayoffs) else None
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
        set of all of them. Column names are arguments. The table is read by
        :class:`bargaining.data.payoff_table.PayoffTable`.
        """
        payoff_table = _payoff_table(table, agreements=agreements, agent=agent, payoff=payoff)
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
            self._cache[key] = finite(self._payoff(agent_name, key[1]), what)
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
            if lacks_gains(row.gain_i, row.gain_j)
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

