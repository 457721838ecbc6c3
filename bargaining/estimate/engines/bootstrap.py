"""Nonparametric bootstrap of an estimator: pairs (rows) or clusters, reproducible from one seed.

Replicate r draws its rows with the generator ``numpy.random.default_rng(SeedSequence(seed).spawn(R)[r])``,
so the replicates depend only on the seed and their index, never on the number of workers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from bargaining.errors import BargainingError, ConvergenceError, InvalidParameterError

__all__ = ["BootstrapKind", "bootstrap_indices", "bootstrap_replicates", "converged_replicate", "seed_sequence"]

BootstrapKind = Literal["pairs", "cluster"]


def seed_sequence(seed: int | np.random.Generator | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """A SeedSequence from an int, a Generator (one draw from it), a SeedSequence or None (fresh entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63 - 1)))
    return np.random.SeedSequence(seed)


def bootstrap_indices(
    rng: np.random.Generator, nobs: int, *, clusters: np.ndarray | None = None
) -> np.ndarray:
    """Row indices of one bootstrap sample: n rows with replacement, or whole clusters with replacement.

    ``clusters`` are integer codes 0..G-1 (one per row); a cluster sample draws G codes with replacement and
    takes every row of each drawn cluster (so the sample size varies).
    """
    if clusters is None:
        return rng.integers(0, nobs, size=nobs)
    order = np.argsort(clusters, kind="stable")
    counts = np.bincount(clusters)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    drawn = rng.integers(0, counts.size, size=counts.size)
    return np.concatenate([order[starts[g] : starts[g] + counts[g]] for g in drawn])


def converged_replicate(params: np.ndarray, converged: bool, what: str) -> np.ndarray:
    """A replicate's estimate, or :class:`~bargaining.errors.ConvergenceError` when its optimizer did not converge.

    Raising makes :func:`bootstrap_replicates` count the replicate as failed and leave it out, instead of
    averaging an unconverged estimate into the bootstrap covariance.
    """
    if not converged:
        raise ConvergenceError(f"a bootstrap replicate of {what} did not converge")
    return np.asarray(params, dtype=float)


def bootstrap_replicates(
    estimate: Callable[[np.ndarray], np.ndarray],
    nobs: int,
    *,
    reps: int,
    names: Sequence[str],
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    kind: BootstrapKind = "pairs",
    clusters: np.ndarray | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Run ``estimate(rows)`` on ``reps`` bootstrap samples.

    Parameters
    ----------
    estimate
        Maps an array of row indices to the parameter vector estimated on those rows. It may raise: such
        replicates are counted and left out (a sample can be degenerate, e.g. one group missing).
    nobs
        Number of rows of the estimation sample.
    reps, names
        Number of replicates; parameter names (columns of the result).
    seed
        Seed of the replicates (int, Generator or SeedSequence).
    kind, clusters
        ``"pairs"`` resamples rows; ``"cluster"`` resamples the integer cluster codes ``clusters``.
    n_jobs
        Parallel workers (joblib); results do not depend on it.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    (replicates, n_failed)
        DataFrame with one row per successful replicate (column ``replicate`` holds its index in the index),
        and the number of replicates whose estimation failed.
    """
    if int(reps) < 2:
        raise InvalidParameterError(f"bootstrap needs at least 2 replicates, got {reps}", hint="use e.g. 499")
    if kind not in ("pairs", "cluster"):
        raise InvalidParameterError(f"unknown bootstrap kind {kind!r}", hint="use 'pairs' or 'cluster'")
    if kind == "cluster" and clusters is None:
        raise InvalidParameterError("a cluster bootstrap needs cluster codes", hint="pass cluster=COLUMN")
    children = seed_sequence(seed).spawn(int(reps))
    use_clusters = clusters if kind == "cluster" else None

    def one(child: np.random.SeedSequence) -> np.ndarray | None:
        rows = bootstrap_indices(np.random.default_rng(child), nobs, clusters=use_clusters)
        try:
            with warnings.catch_warnings():
                # a replicate's convergence or identification warnings would repeat R times; a failed
                # replicate is counted instead
                warnings.simplefilter("ignore")
                return np.asarray(estimate(rows), dtype=float)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError, BargainingError):
            return None

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(children), desc="bootstrap", unit="rep")
    draws: list[np.ndarray | None] = []
    if n_jobs == 1:
        for child in children:
            draws.append(one(child))
            if bar is not None:
                bar.update(1)
    else:
        from joblib import Parallel, delayed, effective_n_jobs

        # a few blocks per worker instead of one task per replicate: the estimator (with its data and any
        # caches its model objects hold) is sent to a worker once per block, not once per replicate
        n_blocks = min(len(children), 4 * max(1, effective_n_jobs(n_jobs)))
        blocks = [list(block) for block in np.array_split(np.arange(len(children)), n_blocks) if len(block)]

        def run_block(block: list[int]) -> list[np.ndarray | None]:
            return [one(children[i]) for i in block]

        for result in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run_block)(b) for b in blocks):
            draws.extend(result)
            if bar is not None:
                bar.update(len(result))
    if bar is not None:
        bar.close()
    ok = [i for i, d in enumerate(draws) if d is not None and np.all(np.isfinite(d))]
    table = pd.DataFrame(
        np.array([draws[i] for i in ok]).reshape(len(ok), len(names)),
        columns=list(names),
        index=pd.Index(ok, name="replicate"),
    )
    return table, int(reps) - len(ok)
