"""Inference options shared by every front end, validated once (``cov_type``, ``cluster``, ``bootstrap``,
``bootstrap_kind``, ``n_jobs``, ``seed``, ``progress``), and the input normalization of ``data``.

Meaning, the same in :func:`~bargaining.fit_nash`, :func:`~bargaining.fit_incomplete`,
:func:`~bargaining.fit_incomplete_moments` and :func:`~bargaining.fit_model`:

``cov_type``
    ``"unadjusted"``, ``"robust"``, ``"clustered"`` (aliases in
    :data:`~bargaining.estimate.engines.covariance.COV_TYPES`) or ``"bootstrap"`` (same as ``bootstrap=199``);
    default ``"robust"``. A ``cluster`` column that neither ``cov_type="clustered"`` nor a cluster bootstrap
    uses is an error (it would silently be ignored otherwise); the command line's ``--cluster`` implies
    ``--cov-type clustered``.
``cluster``
    Column of cluster ids, used by ``cov_type="clustered"`` and by the cluster bootstrap.
``bootstrap``
    Number of bootstrap replicates R: standard errors are then the standard deviations of the replicates and
    confidence intervals their percentiles; ``cov_type`` is reported as ``"bootstrap"``.
``bootstrap_kind``
    ``"pairs"`` (rows), ``"cluster"`` (whole clusters; default when ``cluster`` is given, else ``"pairs"``)
    or ``"wild"``: the wild cluster restricted bootstrap (Webb weights below 12 clusters, Rademacher above),
    with p-values and intervals by test inversion and the clustered standard errors reported beside them;
    ``bootstrap=B`` is then the number of draws (default 999). Linear ``fit_nash`` designs without instruments
    rebuild and refit the data (:mod:`bargaining.estimate.engines.wild_bootstrap`), linear ones with
    instruments use Davidson and MacKinnon's WRE (:mod:`bargaining.estimate.engines.wild_iv`); every other
    estimator (nonlinear ``fit_nash`` designs, ``fit_incomplete``, ``fit_incomplete_moments``, ``fit_model``,
    ``fit_merger_model``) uses the wild restricted score bootstrap of Kline and Santos (2012)
    (:mod:`bargaining.estimate.engines.wild_score`), which gives the same p-values for linear models.
    ``fit_incomplete_moments`` and ``fit_model`` with a minimum-distance model perturb the influence
    functions of the moments, re-centred at the restricted fit, with the weight matrix held fixed.
``n_jobs``, ``seed``, ``progress``
    Parallel workers (joblib), the seed of the replicates (int, Generator or SeedSequence; replicate r uses
    ``SeedSequence(seed).spawn(R)[r]``, so results do not depend on ``n_jobs``) and a tqdm progress bar.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd

from bargaining.errors import FewClustersWarning, IdentificationError, InvalidParameterError
from bargaining.estimate.engines.bootstrap import bootstrap_replicates
from bargaining.estimate.engines.covariance import canonical_cov_type

__all__ = ["DEFAULT_BOOTSTRAP_REPS", "FEW_CLUSTERS", "MAX_BOOTSTRAP_REPS", "InferenceOptions", "check_maxiter", "read_data"]

DEFAULT_BOOTSTRAP_REPS = 199
#: bootstrap kinds: resample rows, resample clusters, or the wild cluster restricted bootstrap (linear fits)
BOOTSTRAP_KINDS = ("pairs", "cluster", "wild")
WILD_DEFAULT_REPS = 999
#: more bootstrap replicates than this are refused before any is drawn (their seeds alone would fill the memory)
MAX_BOOTSTRAP_REPS = 100_000
#: below this many clusters, clustered inference warns (Cameron and Miller 2015: "few" is below 20-50)
FEW_CLUSTERS = 30


@overload
def check_maxiter(maxiter: Any, default: int) -> int: ...
@overload
def check_maxiter(maxiter: Any, default: None) -> int | None: ...
def check_maxiter(maxiter: Any, default: int | None) -> int | None:
    """Validate an iteration limit: a positive integer, or None for ``default``.

    Raises :class:`~bargaining.errors.InvalidParameterError` (hint naming ``maxiter``) otherwise.
    """
    if maxiter is None:
        return default
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise InvalidParameterError(
            f"maxiter={maxiter!r} is not a positive number of iterations",
            hint="pass maxiter as an integer >= 1 (e.g. maxiter=200), or leave it out",
        )
    return int(maxiter)


def read_data(data: Any) -> pd.DataFrame:
    """A DataFrame, or a CSV/Parquet path read with :func:`bargaining.data.read_table`."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, os.PathLike)):
        from bargaining.data import read_table

        return read_table(data)
    raise InvalidParameterError(
        f"data must be a pandas DataFrame or a path to a CSV/Parquet file, got {type(data).__name__}",
        hint="pass a DataFrame, or data='file.csv'",
    )


@dataclass(frozen=True)
class InferenceOptions:
    """Validated inference options (see the module docstring)."""

    cov_type: str
    cluster: str | None
    bootstrap: int | None
    bootstrap_kind: str
    n_jobs: int
    seed: Any
    progress: bool

    @classmethod
    def build(
        cls,
        *,
        cov_type: str = "robust",
        cluster: str | None = None,
        bootstrap: int | None = None,
        bootstrap_kind: str | None = None,
        n_jobs: int = 1,
        seed: Any = None,
        progress: bool = False,
    ) -> InferenceOptions:
        """Validate and normalize; raises :class:`~bargaining.errors.InvalidParameterError` with a hint."""
        if cluster is not None and not isinstance(cluster, Hashable):
            raise InvalidParameterError(
                f"cluster={cluster!r} is not a column name", hint="pass cluster='COLUMN' (one column of cluster ids)"
            )
        canonical = canonical_cov_type(cov_type, cluster=cluster, bootstrap=True)
        if canonical == "bootstrap" and bootstrap is None:
            bootstrap = DEFAULT_BOOTSTRAP_REPS
        if bootstrap is not None:
            if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)):
                raise InvalidParameterError(
                    f"bootstrap={bootstrap!r} is not a number of replicates", hint="use e.g. bootstrap=499"
                )
            if int(bootstrap) < 2:
                raise InvalidParameterError(
                    f"bootstrap={bootstrap} replicates is too few", hint="use e.g. bootstrap=499"
                )
            if int(bootstrap) > MAX_BOOTSTRAP_REPS:
                raise InvalidParameterError(
                    f"bootstrap={bootstrap} replicates is more than the {MAX_BOOTSTRAP_REPS:,} supported",
                    hint="use e.g. bootstrap=999 (or 9999 for tail p-values)",
                )
        kind = bootstrap_kind if bootstrap_kind is not None else ("cluster" if cluster is not None else "pairs")
        if kind not in BOOTSTRAP_KINDS:
            raise InvalidParameterError(
                f"unknown bootstrap_kind {kind!r}", hint=f"use one of {list(BOOTSTRAP_KINDS)}"
            )
        if kind in ("cluster", "wild") and cluster is None:
            raise InvalidParameterError(f"a {kind} bootstrap needs a cluster column", hint="pass cluster=COLUMN")
        if kind == "wild":
            # the wild cluster bootstrap tests and inverts; it reports the clustered standard errors beside
            canonical = "clustered"
            bootstrap = WILD_DEFAULT_REPS if bootstrap is None else bootstrap
        if cluster is not None and canonical != "clustered" and not (bootstrap and kind == "cluster"):
            raise InvalidParameterError(
                f"a cluster column was given but neither cov_type='clustered' nor a cluster bootstrap uses it "
                f"(cov_type={cov_type!r})",
                hint="pass cov_type='clustered' (or bootstrap_kind='cluster'), or drop cluster",
            )
        if seed is not None and not isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
            try:  # what numpy accepts as entropy: a non-negative int or a sequence of them
                np.random.SeedSequence(seed)
            except (TypeError, ValueError):
                raise InvalidParameterError(
                    f"seed={seed!r} is not a seed", hint="pass seed as an integer >= 0 (e.g. seed=1) or a Generator"
                ) from None
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
            raise InvalidParameterError(
                f"n_jobs={n_jobs!r} is not a number of workers", hint="use n_jobs=1, 2, ... or -1 for all cores"
            )
        return cls(
            cov_type=canonical,
            cluster=cluster,
            bootstrap=None if bootstrap is None else int(bootstrap),
            bootstrap_kind=kind,
            n_jobs=int(n_jobs),
            seed=seed,
            progress=bool(progress),
        )

    @property
    def analytic_cov_type(self) -> str:
        """The ``cov_type`` of the analytic covariance computed beside a bootstrap (robust by default)."""
        return "robust" if self.cov_type == "bootstrap" else self.cov_type

    def cluster_inference(self, clusters: np.ndarray | None) -> int | None:
        """Degrees of freedom G - 1 of clustered inference (None otherwise); warns below 30 clusters.

        Raises :class:`~bargaining.errors.IdentificationError` with a single cluster (nothing is known about
        variation between clusters).
        """
        if clusters is None or (self.cov_type != "clustered" and self.bootstrap_kind not in ("cluster", "wild")):
            return None
        n_clusters = int(np.max(clusters)) + 1 if len(clusters) else 0
        if n_clusters < 2:
            raise IdentificationError(
                f"the cluster column {self.cluster!r} has {n_clusters} cluster(s); clustered inference needs at least 2",
                hint="use cov_type='robust', or a coarser/finer cluster definition with several clusters",
            )
        if n_clusters < FEW_CLUSTERS:
            warnings.warn(
                f"only {n_clusters} clusters in {self.cluster!r}: clustered standard errors use the small-sample "
                f"factor G/(G-1)(N-1)/(N-K) and t({n_clusters - 1}) quantiles, but with fewer than "
                f"{FEW_CLUSTERS} clusters intervals can still undercover",
                FewClustersWarning,
                stacklevel=3,
            )
        return n_clusters - 1 if self.cov_type == "clustered" else None

    @property
    def wild(self) -> bool:
        """Whether inference is by the wild cluster bootstrap (p-values and intervals by test inversion)."""
        return self.bootstrap is not None and self.bootstrap_kind == "wild"

    def require_resampling_bootstrap(self, estimator: str, reason: str = "it has no per-observation scores") -> None:
        """Refuse the wild bootstrap for an estimator that cannot perturb its data (``reason`` says why)."""
        if self.wild:
            raise InvalidParameterError(
                f"the wild cluster bootstrap is not available for {estimator}: {reason}",
                hint="use bootstrap_kind='cluster' (resampling whole clusters) or cov_type='clustered'",
            )

    def run_bootstrap(
        self,
        refit: Callable[[np.ndarray], np.ndarray],
        nobs: int,
        *,
        names: Sequence[str],
        clusters: np.ndarray | None,
    ) -> tuple[pd.DataFrame, int]:
        """Bootstrap replicates of ``refit(rows)``; raises IdentificationError with fewer than 2 successes."""
        assert self.bootstrap is not None
        draws, failed = bootstrap_replicates(
            refit,
            nobs,
            reps=self.bootstrap,
            names=names,
            seed=self.seed,
            kind=self.bootstrap_kind,  # type: ignore[arg-type]
            clusters=clusters,
            n_jobs=self.n_jobs,
            progress=self.progress,
        )
        if len(draws) < 2:
            raise IdentificationError(
                f"only {len(draws)} of {self.bootstrap} bootstrap replicates could be estimated",
                hint="the model is barely identified in resamples; use more data or analytic standard errors",
            )
        return draws, failed
