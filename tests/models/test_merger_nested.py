"""Nash-in-Nash merger equilibria with nested logit demand, checked independently.

Shares, shares without a product and consumer surplus are recomputed here from utilities (exp / sum / log), never
through the package's demand formulas; the equilibria are checked by first-order conditions written out by hand
and by maximizing each Nash product (and each retailer's profit) by brute force at the solved prices.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bargaining import LogitDemand, NashInNashMarket, NestedLogitDemand
from bargaining.models.demand._base import DiscreteChoiceDemand


def nl_shares(delta: np.ndarray, alpha: float, p: np.ndarray, codes: np.ndarray, lam: np.ndarray,
              available: np.ndarray | None = None, outside: bool = True) -> tuple[np.ndarray, float]:
    """Nested logit shares and CS by brute force: s_k = e^{V_k/l} D_g^{l-1} / (1 + sum_g D_g^l)."""
    avail = np.ones(len(delta), dtype=bool) if available is None else available
    v = delta - alpha * p
    terms = np.where(avail, np.exp(v / lam[codes]), 0.0)
    d = np.array([terms[codes == g].sum() for g in range(len(lam))])
    inclusive = np.array([d[g] ** lam[g] if d[g] > 0 else 0.0 for g in range(len(lam))])
    denominator = (1.0 if outside else 0.0) + inclusive.sum()
    s = np.array([terms[k] * d[codes[k]] ** (lam[codes[k]] - 1) if avail[k] else 0.0 for k in range(len(delta))])
    return s / denominator, float(np.log(denominator) / alpha)


def test_two_product_nested_first_order_conditions_by_hand() -> None:
    """Two products in one nest with an outside good: the FOC beta W dG/dp - (1 - beta) G s = 0 by hand."""
    alpha, lam, beta = 0.8, 0.45, 0.35
    delta, cost = np.array([1.5, 1.0]), np.array([1.0, 0.6])
    demand = NestedLogitDemand(alpha, delta, nests=["g", "g"], nesting_parameter=lam)
    for owners in (["A", "B"], ["A", "A"]):
        market = NashInNashMarket(demand, seller=owners, marginal_cost=cost, seller_weight=beta)
        frame = market.equilibrium()
        assert frame.attrs["converged"]
        p = frame["price"].to_numpy()
        v = delta - alpha * p
        big_d = np.exp(v[0] / lam) + np.exp(v[1] / lam)
        s = np.exp(v / lam) * big_d ** (lam - 1) / (1 + big_d**lam)
        w = s / s.sum()                                        # within-nest shares
        m = p - cost
        joint = owners[0] == owners[1]
        for j, k in ((0, 1), (1, 0)):
            alone_k = np.exp(v[k]) / (1 + np.exp(v[k]))        # k's share once j is gone (k alone in the nest)
            wtp = (np.log(1 + big_d**lam) - np.log(1 + np.exp(v[k]))) / alpha
            ds_jj = -alpha * s[j] * (1 / lam - (1 / lam - 1) * w[j] - s[j])
            ds_kj = alpha * s[k] * ((1 / lam - 1) * w[j] + s[j])
            gain = s[j] * m[j] + (joint * (s[k] - alone_k) * m[k])
            d_gain = s[j] + ds_jj * m[j] + joint * ds_kj * m[k]
            foc = beta * wtp * d_gain - (1 - beta) * gain * s[j]
            assert abs(foc) < 1e-11
        assert demand.shares(p).to_numpy() == pytest.approx(s, abs=1e-14)


CASE_A = {
    "delta": np.array([1.0, 0.3, -0.2, 0.5]), "codes": np.array([0, 0, 1, 1]), "lam": np.array([0.5, 0.7]),
    "cost": np.array([1.0, 1.2, 0.8, 1.0]), "seller": ["A", "B", "B", "C"], "beta": np.array([0.4, 0.3, 0.6, 0.5]),
}


@pytest.mark.parametrize("outside", [True, False])
def test_sellers_and_consumers_brute_force_nash_product(outside: bool) -> None:
    c = CASE_A
    alpha = 0.9
    delta = c["delta"] - (0.0 if outside else c["delta"][0])
    demand = NestedLogitDemand(alpha, delta, nests=list("aabb"), nesting_parameter=list(c["lam"]),
                               normalize=None if outside else 0)
    market = NashInNashMarket(demand, seller=c["seller"], marginal_cost=c["cost"], seller_weight=c["beta"])
    p = market.equilibrium()["price"].to_numpy()
    owners = np.array(c["seller"])
    for j in range(4):
        mine = owners == owners[j]
        without = np.arange(4) != j

        def minus_log_nash(x: float, j: int = j, mine: np.ndarray = mine, without: np.ndarray = without) -> float:
            q = p.copy()
            q[j] = x
            s, cs = nl_shares(delta, alpha, q, c["codes"], c["lam"], outside=outside)
            s_out, cs_out = nl_shares(delta, alpha, q, c["codes"], c["lam"], without, outside=outside)
            gain = float(((s - s_out) * (q - c["cost"]))[mine].sum())
            wtp = cs - cs_out
            if gain <= 0 or wtp <= 0:
                return 1e6
            return -(c["beta"][j] * np.log(gain) + (1 - c["beta"][j]) * np.log(wtp))

        best = minimize_scalar(minus_log_nash, bounds=(c["cost"][j] + 1e-6, p[j] + 5.0), method="bounded",
                               options={"xatol": 1e-11})
        assert best.x == pytest.approx(p[j], rel=1e-6)


def test_chain_brute_force_nash_products_and_retail_prices() -> None:
    alpha, delta = 0.9, np.array([1.0, 0.3, -0.2, 0.5])
    codes, lam = np.array([0, 0, 1, 1]), np.array([0.5, 0.7])
    seller, buyer = ["U1", "U2", "U1", "U2"], ["D1", "D1", "D2", "U2"]      # product 4 vertically integrated
    cu, cd, beta = np.array([1.0, 1.2, 0.8, 1.0]), np.array([0.2, 0.1, 0.3, 0.2]), np.array([0.4, 0.3, 0.6, 0.5])
    demand = NestedLogitDemand(alpha, delta, nests=list("aabb"), nesting_parameter=list(lam))
    market = NashInNashMarket(demand, seller=seller, buyer=buyer, upstream_cost=cu, downstream_cost=cd,
                              seller_weight=beta)
    frame = market.equilibrium()
    retail, wholesale = frame["price"].to_numpy(), frame["wholesale_price"].to_numpy()
    assert wholesale[3] == cu[3]

    def margins(firm: str, price: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = np.zeros(4)
        for k in range(4):
            wk = cu[k] if seller[k] == buyer[k] else w[k]
            out[k] += (buyer[k] == firm) * (price[k] - wk - cd[k]) + (seller[k] == firm) * (wk - cu[k])
        return out

    for j in range(4):   # each retail price maximizes its retailer's profit, other prices fixed
        def minus_profit(x: float, j: int = j) -> float:
            q = retail.copy()
            q[j] = x
            s, _ = nl_shares(delta, alpha, q, codes, lam)
            return -float(s @ margins(buyer[j], q, wholesale))

        best = minimize_scalar(minus_profit, bounds=(0.0, retail[j] + 5), method="bounded", options={"xatol": 1e-11})
        assert best.x == pytest.approx(retail[j], rel=1e-6)
    for j in range(3):   # each bargained wholesale price maximizes the pair's Nash product, retail prices fixed
        s, _ = nl_shares(delta, alpha, retail, codes, lam)
        s_out, _ = nl_shares(delta, alpha, retail, codes, lam, np.arange(4) != j)

        def minus_log_nash(x: float, j: int = j, s: np.ndarray = s, s_out: np.ndarray = s_out) -> float:
            w = wholesale.copy()
            w[j] = x
            g_u = float((s - s_out) @ margins(seller[j], retail, w))
            g_d = float((s - s_out) @ margins(buyer[j], retail, w))
            if g_u <= 0 or g_d <= 0:
                return 1e6
            return -(beta[j] * np.log(g_u) + (1 - beta[j]) * np.log(g_d))

        best = minimize_scalar(minus_log_nash, bounds=(cu[j] - 1.0, retail[j]), method="bounded",
                               options={"xatol": 1e-11})
        assert best.x == pytest.approx(wholesale[j], rel=1e-6)


def _markets(demand: object, chain: bool) -> NashInNashMarket:
    if chain:
        return NashInNashMarket(demand, seller=["U1", "U2", "U1", "U2"], buyer=["D1", "D1", "D2", "U2"],  # type: ignore[arg-type]
                                upstream_cost=[1.0, 1.2, 0.8, 1.0], downstream_cost=[0.2, 0.1, 0.3, 0.2],
                                seller_weight=0.4)
    return NashInNashMarket(demand, seller=["A", "B", "B", "C"], marginal_cost=[1.0, 1.2, 0.8, 1.0],  # type: ignore[arg-type]
                            seller_weight=0.4)


@pytest.mark.parametrize("chain", [False, True])
def test_nesting_parameter_one_is_logit(chain: bool) -> None:
    """Nested logit with lambda = 1 (general equations) equals logit (closed forms) to 1e-10, outputs included."""
    delta = [1.0, 0.3, -0.2, 0.5]
    logit = _markets(LogitDemand(0.9, delta), chain)
    nested = _markets(NestedLogitDemand(0.9, delta, nests=list("aabb"), nesting_parameter=1.0), chain)
    assert nested._general and not logit._general
    post = {"buyer_post": ["D1", "D1", "D1", "U2"]} if chain else {"seller_post": ["A", "A", "A", "C"]}
    a, b = logit.simulate(**post), nested.simulate(**post)
    assert a.converged and b.converged
    columns = ["price", "wholesale_price"] if chain else ["price"]
    for frame in ("pre", "post"):
        assert np.max(np.abs(getattr(a, frame)[columns].to_numpy() - getattr(b, frame)[columns].to_numpy())) < 1e-10
    for table in ("upward_pricing_pressure", "compensating_cost_reduction"):
        left, right = getattr(a, table).to_numpy(), getattr(b, table).to_numpy()
        assert np.allclose(left, right, atol=1e-10, equal_nan=True)
    assert a.consumer_surplus_change == pytest.approx(b.consumer_surplus_change, abs=1e-10)


@pytest.mark.parametrize("chain", [False, True])
def test_general_equations_with_logit_match_closed_forms(chain: bool) -> None:
    market = _markets(LogitDemand(0.9, [1.0, 0.3, -0.2, 0.5]), chain)
    closed = market.equilibrium()
    x = closed["price"].to_numpy()
    if chain:
        x = np.concatenate([x, closed["wholesale_price"].to_numpy()[:3]])
    share = market.demand.shares(x[:4] + 0.05).to_numpy()
    logit_residual = market._system()(x + 0.05)[0]
    market._general = True
    general_residual = market._system()(x + 0.05)[0]
    scale = np.concatenate([1 - share, 1 - share[:3]]) if chain else 1 - share
    assert general_residual * scale == pytest.approx(logit_residual, abs=1e-12)   # r_general = r_logit / (1 - s)
    again = market.equilibrium()
    assert np.max(np.abs(again["price"].to_numpy() - closed["price"].to_numpy())) < 1e-10


@pytest.mark.parametrize("chain", [False, True])
@pytest.mark.parametrize("outside", [True, False])
def test_general_jacobian_matches_finite_differences(chain: bool, outside: bool) -> None:
    delta = np.array([0.0, 0.3, -0.2, 0.5])
    demand = NestedLogitDemand(0.9, delta, nests=list("aabc"), nesting_parameter=[0.5, 0.7, 0.3],
                               normalize=None if outside else 0)
    market = _markets(demand, chain)
    system = market._system()
    x0 = market._start(None) + 0.3
    _, jac = system(x0)
    h = 1e-6
    numeric = np.column_stack([(system(x0 + e)[0] - system(x0 - e)[0]) / (2 * h) for e in np.eye(len(x0)) * h])
    assert np.max(np.abs(jac - numeric)) < 1e-7


@pytest.mark.parametrize("demand", [
    LogitDemand(0.7, [1.0, 0.3, -0.2, 0.5]),
    NestedLogitDemand(0.7, [1.0, 0.3, -0.2, 0.5], nests=list("aabc"), nesting_parameter=[0.4, 0.8, 0.3]),
    NestedLogitDemand(0.7, [0.0, 0.3, -0.2, 0.5], nests=list("aabc"), nesting_parameter=[0.4, 0.8, 1.0], normalize=0),
])
def test_demand_second_derivatives_and_removal(demand: DiscreteChoiceDemand) -> None:
    p = np.array([1.0, 2.0, 1.5, 0.7])
    s = demand._shares(p)
    hessian = demand._second_derivatives(p, s)
    h = 1e-6
    for m in range(4):
        e = np.eye(4)[m] * h
        numeric = (demand._derivatives(p + e, demand._shares(p + e)) - demand._derivatives(p - e, demand._shares(p - e)))
        assert np.max(np.abs(hessian[:, :, m] - numeric / (2 * h))) < 1e-8
    removal, slopes, wtp = demand._removal_state(p)
    codes = np.array([0, 0, 1, 2]) if isinstance(demand, NestedLogitDemand) else np.zeros(4, dtype=int)
    lam = (demand.nesting_parameter.to_numpy() if isinstance(demand, NestedLogitDemand) else np.ones(1))
    delta = demand.mean_utility.to_numpy()
    outside = demand.has_outside_good
    shift = demand.outside_price if outside else 0.0
    _, cs = nl_shares(delta, demand.alpha, p - shift, codes, lam, outside=outside)
    for j in range(4):
        keep = np.arange(4) != j
        expected, cs_out = nl_shares(delta, demand.alpha, p - shift, codes, lam, keep, outside=outside)
        assert removal[j] == pytest.approx(expected, abs=1e-14)
        assert wtp[j] == pytest.approx(cs - cs_out, abs=1e-12)
        for m in range(4):   # derivatives of the shares without j
            e = np.eye(4)[m] * h
            up = nl_shares(delta, demand.alpha, p + e - shift, codes, lam, keep, outside=outside)[0]
            down = nl_shares(delta, demand.alpha, p - e - shift, codes, lam, keep, outside=outside)[0]
            assert slopes[j][:, m] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_nested_merger_with_removal_and_starts() -> None:
    demand = NestedLogitDemand(0.9, [1.0, 0.3, -0.2, 0.5], nests=list("aabb"), nesting_parameter=[0.5, 0.7])
    market = _markets(demand, chain=False)
    result = market.simulate(seller_post=["A", "A", "B", "C"], remove=[3], starts=3)
    assert result.converged
    assert result.post.loc[3, "share"] == 0.0 and np.isnan(result.post.loc[3, "price"])
    assert result.multiple_equilibria is False
    assert "nesting_parameter[a]" in result.params.index
