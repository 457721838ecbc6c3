"""read_table / write_table: formats by suffix, dtype handling, errors with hints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bargaining.data import read_table, write_table
from bargaining.errors import DataValidationError


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "market": ["007", "008", "009"],
            "price": [1.5, np.nan, 3.25],
            "quantity": [1, 2, 3],
            "traded": [True, False, True],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".csv.gz"])
def test_round_trip(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    write_table(frame(), path)
    back = read_table(path, ids="market", numeric=["price", "quantity"])
    assert back["market"].tolist() == ["007", "008", "009"]  # leading zeros kept
    assert back["quantity"].dtype == np.float64
    pd.testing.assert_series_equal(back["price"], frame()["price"])


def test_exact_float_round_trip_csv(tmp_path):
    values = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100) * 1e5})
    write_table(values, tmp_path / "x.csv")
    pd.testing.assert_frame_equal(read_table(tmp_path / "x.csv"), values)


def test_ids_as_category_and_frame_input():
    out = read_table(frame(), ids=["market"], ids_as="category", numeric="quantity")
    assert isinstance(out["market"].dtype, pd.CategoricalDtype)
    assert out["quantity"].dtype == np.float64
    assert frame()["quantity"].dtype == np.int64  # the input is not modified


def test_numeric_with_text_left_for_validation():
    data = pd.DataFrame({"price": ["1.5", "abc"]})
    out = read_table(data, numeric="price")
    assert out["price"].tolist() == ["1.5", "abc"]
    assert read_table(pd.DataFrame({"price": ["1.5", "2"]}), numeric="price")["price"].tolist() == [1.5, 2.0]


def test_unknown_suffix(tmp_path):
    with pytest.raises(DataValidationError, match="suffix '.xlsx'") as info:
        read_table(tmp_path / "data.xlsx")
    assert ".parquet" in info.value.hint
    with pytest.raises(DataValidationError, match="suffix"):
        write_table(frame(), tmp_path / "out.json")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataValidationError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataValidationError, match="directory"):
        read_table(tmp_path / "dir.csv")
    with pytest.raises(DataValidationError, match="does not exist"):
        write_table(frame(), tmp_path / "no" / "x.csv")


def test_unreadable_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataValidationError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "bad.parquet").write_text("this is not parquet")
    with pytest.raises(DataValidationError, match="cannot read .* as PARQUET") as info:
        read_table(tmp_path / "bad.parquet")
    assert "parquet file" in info.value.hint
    (tmp_path / "bad.csv").write_bytes(b'a,b\n1,"2\n')
    with pytest.raises(DataValidationError, match="cannot read"):
        read_table(tmp_path / "bad.csv")


def test_columns_subset(tmp_path):
    write_table(frame(), tmp_path / "t.csv")
    assert list(read_table(tmp_path / "t.csv", columns=["price"]).columns) == ["price"]
    with pytest.raises(DataValidationError, match="requested columns"):
        read_table(tmp_path / "t.csv", columns=["prize"])
