"""Benchmark: load and validate a 10^6-row agreements CSV.

Target (issue 15): read_table + validate_agreements within 1.5 times ``pandas.read_csv`` of the same file.
Run:  python benchmarks/bench_load.py [--rows N] [--repeat K] [--parquet]

The CSV (string ids such as "m17", "b3", "s21"; price, value, cost, quantity, two covariates; about 126 MB for
10^6 rows) is written to a temporary folder. The ratio is the median of K interleaved runs of each (the machine
may be shared, so only ratios measured in one run mean something); the best times are printed as well. Memory is the peak traced by
tracemalloc (numpy and pandas buffers) during one load + validation, relative to the file size and to the
in-memory size of the loaded DataFrame; the process's maximum resident set size is printed as well.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from bargaining.data import read_table, validate_agreements, write_table

COLUMNS = {
    "price": "price",
    "buyer_value": "value",
    "seller_cost": "cost",
    "market": "market",
    "buyer": "buyer",
    "seller": "seller",
    "quantity": "quantity",
    "covariates": ["z1", "z2"],
}


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_markets = max(rows // 1000, 1)
    index = np.arange(rows)
    cost = rng.uniform(1, 2, rows)
    value = cost + rng.lognormal(0.0, 0.5, rows)
    return pd.DataFrame(
        {
            "market": np.char.add("m", (index // 1000 % n_markets).astype(str)),
            "buyer": np.char.add("b", (index // 40 % 25).astype(str)),
            "seller": np.char.add("s", (index % 40).astype(str)),
            "price": cost + 0.4 * (value - cost) + rng.normal(0, 0.1, rows),
            "value": value,
            "cost": cost,
            "quantity": rng.uniform(0, 100, rows),
            "z1": rng.normal(size=rows),
            "z2": rng.normal(size=rows),
        }
    )


def load_and_validate(path: Path) -> int:
    frame = read_table(
        path, ids=["market", "buyer", "seller"], numeric=["price", "value", "cost", "quantity"]
    )
    return validate_agreements(frame, **COLUMNS).n_used


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parquet", action="store_true", help="benchmark a Parquet file instead of CSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("agreements.parquet" if args.parquet else "agreements.csv")
        write_table(make_data(args.rows), path)
        size = path.stat().st_size
        times, baseline = [], []
        load_and_validate(path), (pd.read_parquet if args.parquet else pd.read_csv)(path)  # warm up (imports, cache)
        for _ in range(args.repeat):
            start = time.perf_counter()
            used = load_and_validate(path)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            (pd.read_parquet if args.parquet else pd.read_csv)(path)
            baseline.append(time.perf_counter() - start)
        assert used == args.rows
        start = time.perf_counter()
        frame = read_table(path, ids=["market", "buyer", "seller"])
        read_time = time.perf_counter() - start
        frame_bytes = int(frame.memory_usage(deep=True).sum())
        del frame
        tracemalloc.start()
        load_and_validate(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    print(
        f"rows: {args.rows:,}   file: {path.suffix}, {size / 1e6:.1f} MB   DataFrame: {frame_bytes / 1e6:.1f} MB"
    )
    print(f"load + validate: best {min(times):.2f} s of {args.repeat} (read_table alone {read_time:.2f} s)")
    reader = "read_parquet" if args.parquet else "read_csv"
    print(
        f"pandas.{reader}: best {min(baseline):.2f} s; load + validate / {reader} (medians): "
        f"{statistics.median(times) / statistics.median(baseline):.2f}"
    )
    print(
        f"peak traced memory: {peak / 1e6:.1f} MB = {peak / size:.1f} x file, {peak / frame_bytes:.1f} x DataFrame"
    )
    print(f"max resident set size of the process: {max_rss / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
