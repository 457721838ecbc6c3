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


def _as_text_ids(path, ids):
    """What read_table's ids must equal: pandas reading the ids as text (dtype=str)."""
    return pd.read_csv(path, dtype={c: str for c in ids})


@pytest.mark.parametrize("rows", [40, 200_000])  # 200,000 rows (8 MB): pandas' parallel reader (over 5 MB)
def test_csv_ids_read_as_text_equal_read_csv_with_str_dtype(tmp_path, rows):
    """Ids that pandas would infer as text, numbers (leading zeros), booleans or nothing at all: the frame is
    the one pandas.read_csv gives with dtype=str for the ids, other columns as pandas infers them."""
    rng = np.random.default_rng(3)
    index = np.arange(rows)
    table = pd.DataFrame(
        {
            "market": np.char.add("m", (index % 97).astype(str)),
            "buyer": np.char.zfill((index % 13).astype(str), 3),  # 000, 001, ...: numbers to pandas
            "flag": np.where(index % 2 == 0, "True", "False"),
            "empty": [""] * rows,
            "price": rng.normal(size=rows),
            "units": index,
        }
    )
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    ids = ["market", "buyer", "flag", "empty"]
    out = read_table(path, ids=ids)
    expected = _as_text_ids(path, ids)
    pd.testing.assert_frame_equal(out, expected)
    assert out["buyer"].iloc[1] == "001" and out["empty"].isna().all()
    assert all(out[c].dtype == pd.Series(["x"]).dtype for c in ids)  # pandas' default string dtype
    assert out["units"].dtype == np.int64 and out["price"].dtype == np.float64
    subset = read_table(path, ids=["buyer"], columns=["buyer", "price"])
    pd.testing.assert_frame_equal(subset, expected[["buyer", "price"]].astype({"buyer": out["buyer"].dtype}))


@pytest.mark.parametrize("text_at", [0, -1])
def test_csv_ids_of_mixed_types_across_parser_chunks(tmp_path, text_at):
    """An id column of numbers with one text entry, first (the first rows look like text, a later chunk of
    pandas' parser like numbers, and pandas warns) or last: read as text, the same as read_csv with dtype=str,
    and no mixed-type warning about it; a mixed-type warning about another column is passed on."""
    import warnings

    rows = 300_000
    ids = (np.arange(rows) % 50).astype(str)
    ids[text_at] = "x7"
    table = pd.DataFrame({"seller": ids, "x": np.arange(rows)})
    path = tmp_path / "mixed.csv"
    table.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may escape
        out = read_table(path, ids="seller")
    pd.testing.assert_frame_equal(out, _as_text_ids(path, ["seller"]))
    assert out["seller"].iloc[text_at] == "x7" and out["seller"].iloc[1] == "1"
    note = np.ones(rows, dtype=object)
    note[-1] = "one"
    table.assign(note=note).to_csv(path, index=False)  # a non-id column of mixed types
    with pytest.warns(pd.errors.DtypeWarning, match="note"):
        out = read_table(path, ids="seller")
    assert out["seller"].iloc[text_at] == "x7"


def test_frame_ids_kept_as_text_or_converted_to_text():
    """A DataFrame's text ids keep their dtype (object or pandas' string dtype); numeric ids become text."""
    data = pd.DataFrame(
        {
            "a": pd.Series(["007", None], dtype=object),
            "b": pd.Series(["x", None], dtype="string"),
            "c": [7, 8],
            "d": [1.0, np.nan],
        }
    )
    out = read_table(data, ids=["a", "b", "c", "d"])
    assert out["a"].dtype == object and out["b"].dtype == data["b"].dtype
    assert out["a"].tolist()[0] == "007" and out["b"].isna().tolist() == [False, True]
    assert out["c"].tolist() == ["7", "8"] and out["d"].tolist()[0] == "1.0" and pd.isna(out["d"].iloc[1])


@pytest.mark.parametrize(
    "text",
    [
        "id,x\n",  # no rows
        'id,x\n"a,b",1\n"007",2\n',  # quoted
        "id,x\nNA,1\nnull,2\n007,3\n",  # missing-value words
        "id,x\nTrue,1\nfalse,2\n",  # booleans to pandas
        "id,x\n1.0,1\n2.50,2\n",  # floats to pandas
        "id,x\n 7,1\n8 ,2\n",  # spaces kept
        "id,x\r\n007,1\r\nab,2\r\n",  # Windows line ends
        "id,x\n,1\n,2\n",  # all missing
        "id,x\n1,1\nTRUE,2\n",
    ],
)
def test_small_csv_ids_equal_read_csv_with_str_dtype(tmp_path, text):
    import warnings

    path = tmp_path / "t.csv"
    path.write_text(text, newline="")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = read_table(path, ids="id")
    pd.testing.assert_frame_equal(out, _as_text_ids(path, ["id"]))
