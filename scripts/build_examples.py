"""Regenerate the bundled example data sets and their data cards, bit for bit.

    python scripts/build_examples.py            # rewrite bargaining/data/examples/{NAME.csv, NAME.md}
    python scripts/build_examples.py --check    # regenerate into memory and compare with the bundled bytes
    python scripts/build_examples.py --only hospital_insurer

Each data set comes from a registered simulator with a fixed seed; floats are written with 10 significant
digits ("%.10g") and "\\n" line ends, so the files do not depend on the platform's last-bit rounding of
exp/log. (nash_in_nash_payoffs.csv is hand-made by its module's author and not built here.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bargaining.data.simulate import simulate

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "bargaining" / "data" / "examples"
FLOAT_FORMAT = "%.10g"

BUILDS: dict[str, dict[str, Any]] = {
    "hospital_insurer": {
        "simulator": "hospital-insurer",
        "seed": 20261123,
        "params": {"n_markets": 100, "n_hospitals": 5, "n_insurers": 4, "beta": 0.4, "systems": [2, 1, 1, 1]},
        "title": "Hospital-insurer agreements (simulated Nash-in-Nash prices)",
        "about": (
            "100 markets, each with 5 hospitals and 4 insurers (brands I1-I4 present in every market); every "
            "hospital contracts with every insurer, 2,000 agreements. In each market hospitals h1 and h2 form "
            "a system (s1) that pools profits, the others are independent. Patients choose hospitals by logit "
            "demand; the insurer's willingness to pay is the log-sum; per-patient prices solve Nash-in-Nash "
            "bargaining with the hospital's weight beta, agreement by agreement, so that "
            "price = seller_cost + beta (buyer_value - seller_cost) + e. Model details: "
            "bargaining/data/simulate/hospital_insurer.py."
        ),
        "fit": (
            "from bargaining.data import load_example\n"
            "from bargaining.estimate.nash_price import fit_nash\n"
            "\n"
            'df = load_example("hospital_insurer")\n'
            'fit_nash(df, price="price", buyer_value="buyer_value", seller_cost="seller_cost")\n'
            'fit_nash(df, price="price", buyer_value="buyer_value", cost_formula="~ 1 + z1 + z2", '
            'recapture="recapture")'
        ),
        "columns": {
            "market": "market id (m001-m100); cluster here",
            "insurer": "insurer (the buyer), a brand present in every market",
            "hospital": "hospital (the seller) within the market",
            "system": "hospital system within the market (s1 = h1 and h2)",
            "price": "negotiated price per patient, with a mean-zero error (sd 0.25)",
            "buyer_value": "V: the insurer's per-patient gain from the agreement (wtp_drop plus the payments "
            "to other hospitals it saves), at the equilibrium prices",
            "seller_cost": "C = marginal cost + recapture; includes the unobserved cost shock omega, so in "
            "real data it is usually not observed (use cost_formula and recapture instead)",
            "wtp_drop": "drop in the insurer's willingness to pay per patient when the hospital leaves its "
            "network (needs a demand model in practice)",
            "recapture": "per-patient margin the system earns at its other hospital when this agreement "
            "fails (0 for independent hospitals); part of C",
            "quantity": "expected patients of the hospital from the insurer",
            "z1": "cost shifter (observed)",
            "z2": "cost shifter (observed)",
            "hospital_quality": "hospital quality index in the demand model (observed)",
            "insurer_size": "log of the insurer's enrollment relative to 4,000 (observed)",
        },
    },
    "negotiations": {
        "simulator": "negotiations",
        "seed": 20261124,
        "params": {"n": 5000, "delta": [0.5, -0.5], "price_rule": "k-double-auction", "proxy_noise": 0.05},
        "title": "Bilateral negotiations (simulated Loertscher-Marx trade, k-double-auction prices)",
        "about": (
            "5,000 negotiations between one buyer and one seller with independent uniform [0, 1] value v and "
            "cost c, in two groups of 2,500 (g1: Delta = 0.5, buyers favoured; g2: Delta = -0.5). Trade "
            "follows the Loertscher-Marx mechanism for the group's weights (trade iff the weighted virtual "
            "value exceeds the weighted virtual cost); the price of a trade is that of the k-double auction "
            "with k = k(Delta), whose linear equilibrium implements the same trades. Model details: "
            "bargaining/data/simulate/negotiations.py."
        ),
        "fit": (
            "from bargaining.data import load_example\n"
            "\n"
            'df = load_example("negotiations")\n'
            '# e.g. fit_incomplete(df, traded="traded", value="value_proxy", cost="cost_proxy", ...)'
        ),
        "columns": {
            "group": "group id (g1, g2): cells with different bargaining differentials",
            "traded": "1 if the negotiation ended in trade, else 0",
            "price": "price paid by the buyer to the seller; empty when there was no trade",
            "value": "the buyer's true value v (observed only in synthetic data)",
            "cost": "the seller's true cost c (observed only in synthetic data)",
            "value_proxy": "v plus normal noise (sd 0.05): an observed proxy",
            "cost_proxy": "c plus normal noise (sd 0.05): an observed proxy",
        },
    },
}


def _card_values(obj: object) -> object:
    """Truth for the data card: floats to 10 significant digits, and no numerical error bounds, so that the
    card does not change with the last bits of the solver (the data themselves are checked byte for byte)."""
    if isinstance(obj, dict):
        return {k: _card_values(v) for k, v in obj.items() if k != "accuracy"}
    if isinstance(obj, (list, tuple)):
        return [_card_values(v) for v in obj]
    if isinstance(obj, float):
        return float(f"{obj:.10g}")
    return obj


def build(name: str) -> dict[str, bytes]:
    """Simulate example ``name``; return {file name: bytes} of its CSV and data card."""
    spec = BUILDS[name]
    sim = simulate(spec["simulator"], seed=spec["seed"], **spec["params"])
    csv = sim.data.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n").encode()
    missing = [c for c in sim.data.columns if c not in spec["columns"]]
    if missing:
        raise SystemExit(f"data card of {name} does not describe columns {missing}")
    lines = [
        f"# {spec['title']}",
        "",
        (
            f"File: `{name}.csv` ({len(sim.data):,} rows, {len(sim.data.columns)} columns). "
            f"Load it with `bargaining.data.load_example({name!r})`."
        ),
        "",
        "## What it is",
        "",
        spec["about"],
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "| --- | --- |",
        *[f"| `{c}` | {spec['columns'][c]} |" for c in sim.data.columns],
        "",
        "## True parameters",
        "",
        "```json",
        json.dumps(_card_values(sim.truth), indent=2, sort_keys=True),
        "```",
        "",
        "## How it was made",
        "",
        f"`simulate({spec['simulator']!r}, seed={spec['seed']}, "
        + ", ".join(f"{k}={v!r}" for k, v in spec["params"].items())
        + ")`, written with floats to 10 significant digits by `scripts/build_examples.py` "
        "(`--check` verifies the bundled bytes).",
        "",
        "## Fitting it",
        "",
        "```python",
        spec["fit"],
        "```",
        "",
    ]
    card = "\n".join(lines).encode()
    return {f"{name}.csv": csv, f"{name}.md": card}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare with the bundled files, write nothing")
    parser.add_argument("--only", action="append", choices=sorted(BUILDS), help="build only these data sets")
    parser.add_argument(
        "--out", type=Path, default=EXAMPLES_DIR, help="output folder (default: the package's)"
    )
    args = parser.parse_args(argv)
    status = 0
    for name in args.only or sorted(BUILDS):
        for file_name, content in build(name).items():
            target = args.out / file_name
            if args.check:
                same = target.is_file() and target.read_bytes() == content
                print(f"{'same' if same else 'DIFFERENT'}: {target}")
                status |= 0 if same else 1
            else:
                target.write_bytes(content)
                print(f"wrote {target} ({len(content):,} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())
