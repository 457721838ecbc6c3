"""Bundled example data sets: ``load_example(name)`` and ``list_examples()``.

The CSV files live in ``bargaining/data/examples/``, each with a data card (``NAME.md``: what it is, the
columns, the true parameters). The simulated ones are regenerated bit for bit by
``python scripts/build_examples.py`` (fixed seeds, floats written with 10 significant digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from bargaining.data.io import read_table
from bargaining.errors import UnknownNameError

__all__ = ["EXAMPLES", "example_path", "list_examples", "load_example"]


@dataclass(frozen=True)
class Example:
    file: str
    description: str
    ids: tuple[str, ...] = ()


EXAMPLES: dict[str, Example] = {
    "hospital_insurer": Example(
        "hospital_insurer.csv",
        "2,000 simulated hospital-insurer agreements with Nash-in-Nash per-patient prices (beta = 0.4, "
        "hospital systems in every market); fit with fit_nash(price, buyer_value, seller_cost)",
        ("market", "insurer", "hospital", "system"),
    ),
    "negotiations": Example(
        "negotiations.csv",
        "5,000 simulated bilateral negotiations, uniform types, Loertscher-Marx trade and k-double-auction "
        "prices in two groups with different bargaining differentials Delta",
        ("group",),
    ),
    "nash_in_nash_payoffs": Example(
        "nash_in_nash_payoffs.csv",
        "payoff table of two hospitals and two insurers for Nash-in-Nash transfers (docs/nash_in_nash_csv.md)",
        (),
    ),
}


def _key(name: str) -> str:
    key = str(name).strip().lower().replace("-", "_")
    return key.removesuffix(".csv")


def _available() -> dict[str, Example]:
    folder = resources.files("bargaining.data") / "examples"
    return {name: ex for name, ex in EXAMPLES.items() if (folder / ex.file).is_file()}


def example_path(name: str) -> resources.abc.Traversable:
    """The bundled file of example ``name`` (a Traversable; use ``importlib.resources.as_file`` for a path)."""
    key = _key(name)
    available = _available()
    if key not in available:
        raise UnknownNameError(
            f"no example data set named {name!r}.", hint=f"choose one of: {', '.join(available)}."
        )
    return resources.files("bargaining.data") / "examples" / available[key].file


def load_example(name: str) -> pd.DataFrame:
    """Load a bundled example data set as a DataFrame (id columns as strings). See :func:`list_examples`.

    Parameters
    ----------
    name
        A name listed by :func:`list_examples`: ``"hospital_insurer"``, ``"negotiations"`` or
        ``"nash_in_nash_payoffs"``.

    Examples
    --------
    >>> load_example("hospital_insurer").shape
    (2000, 14)
    """
    example = EXAMPLES.get(_key(name))
    with resources.as_file(example_path(name)) as path:
        return read_table(path, ids=example.ids if example else ())


def list_examples() -> pd.DataFrame:
    """DataFrame[name, file, description] of the bundled example data sets.

    Examples
    --------
    >>> list_examples()["name"].tolist()
    ['hospital_insurer', 'negotiations', 'nash_in_nash_payoffs']
    """
    return pd.DataFrame(
        [(name, ex.file, ex.description) for name, ex in _available().items()],
        columns=["name", "file", "description"],
    )
