"""Bundled examples: listing, loading, and bit-for-bit regeneration by scripts/build_examples.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from bargaining.data import list_examples, load_example, validate_agreements
from bargaining.errors import UnknownNameError

ROOT = Path(__file__).resolve().parents[2]


def build_script():
    spec = importlib.util.spec_from_file_location("build_examples", ROOT / "scripts" / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_list_and_load_hospital_insurer():
    table = list_examples()
    assert list(table.columns) == ["name", "file", "description"]
    assert "hospital_insurer" in set(table.name)
    frame = load_example("hospital_insurer")
    assert len(frame) == 2000 and frame["market"].iloc[0] == "m001"
    assert frame["market"].dtype == pd.Series(["m"]).dtype  # pandas' default string dtype (str in pandas 3)
    out = validate_agreements(
        frame,
        price="price",
        buyer_value="buyer_value",
        seller_cost="seller_cost",
        market="market",
        buyer="insurer",
        seller="hospital",
        quantity="quantity",
        covariates=["z1", "z2", "recapture"],
    )
    assert out.n_used == 2000
    assert load_example("hospital-insurer.csv").equals(frame)


def test_example_files_small_and_carded():
    folder = ROOT / "bargaining" / "data" / "examples"
    for name in list_examples().name:
        csv = folder / f"{name}.csv"
        assert csv.stat().st_size < 400_000
    assert (folder / "hospital_insurer.md").read_text().count("| `") == len(
        load_example("hospital_insurer").columns
    )


def test_unknown_example():
    with pytest.raises(UnknownNameError, match="hospital_insurer"):
        load_example("hospitals")


def test_build_script_reproduces_bundled_bytes():
    """Every bundled simulated example (hospital_insurer always; negotiations once built) is regenerated
    byte for byte by scripts/build_examples.py."""
    module = build_script()
    folder = ROOT / "bargaining" / "data" / "examples"
    built = [name for name in module.BUILDS if (folder / f"{name}.csv").is_file()]
    assert "hospital_insurer" in built
    for name in built:
        for file_name, content in module.build(name).items():
            assert (folder / file_name).read_bytes() == content, file_name


def test_bundled_example_fits_back_to_truth():
    """The data card's truth (beta 0.4) by least squares on p - C = beta (V - C): an independent check."""

    frame = load_example("hospital_insurer")
    s = (frame.buyer_value - frame.seller_cost).to_numpy()
    y = (frame.price - frame.seller_cost).to_numpy()
    beta = float(s @ y / (s @ s))
    assert beta == pytest.approx(0.4, abs=0.002)
