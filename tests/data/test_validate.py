"""Validation rules: each bad input raises with the column, the first row labels and a hint; with
drop_invalid=True the rows are dropped and counted (used + dropped = input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bargaining.data import validate_agreements, validate_negotiations
from bargaining.errors import DataValidationError, MissingColumnError

AGREEMENT_COLUMNS = {"price": "price", "buyer_value": "value", "seller_cost": "cost"}


def agreements(n: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cost = rng.uniform(1, 2, n)
    value = cost + rng.uniform(0.5, 1.0, n)
    return pd.DataFrame(
        {
            "market": ["m1"] * (n // 2) + ["m2"] * (n - n // 2),
            "buyer": [f"b{i % 2}" for i in range(n)],
            "seller": [f"s{i}" for i in range(n)],
            "price": cost + 0.5 * (value - cost),
            "value": value,
            "cost": cost,
            "quantity": rng.uniform(1, 10, n),
            "z": rng.normal(size=n),
        },
        index=[f"r{i}" for i in range(n)],
    )


def negotiations(n: int = 8) -> pd.DataFrame:
    traded = np.array([1, 0] * (n // 2))
    return pd.DataFrame(
        {
            "traded": traded,
            "price": np.where(traded == 1, 0.5, np.nan),
            "v": np.linspace(0, 1, n),
            "c": np.linspace(0, 0.5, n),
            "cell": ["a", "b"] * (n // 2),
        }
    )


def test_clean_agreements_pass_unchanged():
    frame = agreements()
    out = validate_agreements(
        frame,
        **AGREEMENT_COLUMNS,
        market="market",
        buyer="buyer",
        seller="seller",
        quantity="quantity",
        covariates=["z"],
    )
    assert out.n_input == out.n_used == len(frame)
    assert list(out.dropped.columns) == ["reason", "count"] and len(out.dropped) == 0
    pd.testing.assert_frame_equal(out.data, frame)


def test_missing_column_suggests_closest_name():
    with pytest.raises(MissingColumnError) as info:
        validate_agreements(agreements(), price="prcie", buyer_value="value")
    error = info.value
    assert error.column == "prcie"
    assert "'prcie'" in str(error) and "did you mean 'price'?" in str(error)
    assert isinstance(error, KeyError)


def test_empty_data():
    with pytest.raises(DataValidationError, match="empty") as info:
        validate_agreements(agreements().iloc[:0], **AGREEMENT_COLUMNS, drop_invalid=True)
    assert "header line" in info.value.hint


def test_not_a_frame():
    with pytest.raises(DataValidationError, match="DataFrame"):
        validate_negotiations([1, 2], traded="traded")


def test_non_numeric_column_is_whole_file_problem_even_when_dropping():
    frame = agreements()
    frame["value"] = ["high"] * len(frame)
    with pytest.raises(DataValidationError, match="'value'.*not numeric.*'high'") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS, drop_invalid=True)
    assert info.value.column == "value"
    assert info.value.rows == ["r0", "r1", "r2", "r3", "r4"]


def test_some_non_numeric_entries_are_row_problems():
    frame = agreements()
    frame["price"] = frame["price"].astype(object)
    frame.loc["r3", "price"] = "n/a"
    with pytest.raises(DataValidationError) as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS)
    assert info.value.column == "price" and info.value.rows == ["r3"]
    assert (
        "non-numeric" in str(info.value)
        and "['r3']" in str(info.value)
        and "drop_invalid=True" in str(info.value)
    )
    out = validate_agreements(frame, **AGREEMENT_COLUMNS, drop_invalid=True)
    assert out.n_used == 7 and out.dropped_rows == {"non-numeric value in price": ["r3"]}
    assert out.data["price"].dtype == np.float64


def test_nan_reports_first_five_rows():
    frame = agreements(12)
    frame.iloc[[1, 3, 5, 7, 9, 11], frame.columns.get_loc("cost")] = np.nan
    with pytest.raises(DataValidationError) as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS)
    error = info.value
    assert error.column == "cost"
    assert error.rows == ["r1", "r3", "r5", "r7", "r9"]
    assert "6 row(s)" in str(error) and "'r9', ...]" in str(error) and "fill in 'cost'" in str(error)


def test_infinite_value():
    frame = agreements()
    frame.loc["r2", "z"] = np.inf
    with pytest.raises(DataValidationError, match="'z'.*infinite.*'r2'") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS, covariates="z")
    assert info.value.column == "z"
    out = validate_agreements(frame, **AGREEMENT_COLUMNS, covariates="z", drop_invalid=True)
    assert out.dropped.to_dict("records") == [{"reason": "infinite value in z", "count": 1}]


def test_duplicate_keys_flag_every_copy():
    frame = agreements()
    frame.loc["r2", ["market", "buyer", "seller"]] = frame.loc["r0", ["market", "buyer", "seller"]].to_numpy()
    kw = dict(**AGREEMENT_COLUMNS, market="market", buyer="buyer", seller="seller")
    with pytest.raises(DataValidationError, match="not unique") as info:
        validate_agreements(frame, **kw)
    assert info.value.rows == ["r0", "r2"] and "one row per agreement" in str(info.value)
    out = validate_agreements(frame, **kw, drop_invalid=True)
    assert out.n_used == 6 and out.dropped_rows == {"duplicate key market/buyer/seller": ["r0", "r2"]}


def test_missing_id():
    frame = agreements()
    frame.loc["r4", "buyer"] = None
    with pytest.raises(DataValidationError, match="'buyer'.*missing ids") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS, buyer="buyer", seller="seller")
    assert info.value.rows == ["r4"]


def test_negative_quantity():
    frame = agreements()
    frame.loc["r5", "quantity"] = -1.0
    with pytest.raises(DataValidationError, match="'quantity'.*negative.*'r5'") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS, quantity="quantity")
    assert "quantities must be >= 0" in info.value.hint


def test_negative_gains_from_trade():
    frame = agreements()
    frame.loc["r1", "value"] = frame.loc["r1", "cost"] - 0.1
    with pytest.raises(DataValidationError, match="negative gains from trade") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS)
    assert info.value.rows == ["r1"] and info.value.column == "value" and "swapped" in info.value.hint
    # zero gains are allowed (degenerate but not negative)
    frame.loc["r1", "value"] = frame.loc["r1", "cost"]
    assert validate_agreements(frame, **AGREEMENT_COLUMNS).n_used == len(frame)


def test_row_counted_once_under_first_reason():
    frame = agreements()
    frame.loc["r0", "price"] = np.nan
    frame.loc["r0", "value"] = -10.0  # also negative gains
    frame.loc["r1", "value"] = -10.0
    out = validate_agreements(frame, **AGREEMENT_COLUMNS, drop_invalid=True)
    assert out.dropped_rows == {
        "missing value in price": ["r0"],
        "negative gains from trade (value < cost)": ["r1"],
    }
    assert out.n_used + out.dropped["count"].sum() == out.n_input
    assert list(out.dropped_index) == ["r0", "r1"]


def test_all_rows_invalid():
    frame = agreements(4)
    frame["price"] = np.nan
    with pytest.raises(DataValidationError, match="no valid row"):
        validate_agreements(frame, **AGREEMENT_COLUMNS, drop_invalid=True)


def test_duplicated_column_name():
    frame = pd.concat([agreements(), agreements()[["price"]]], axis=1)
    with pytest.raises(DataValidationError, match="2 columns named 'price'"):
        validate_agreements(frame, **AGREEMENT_COLUMNS)


# ------------------------------------------------------------------------------------------ negotiations
def test_clean_negotiations_and_flag_dtype():
    frame = negotiations()
    frame["traded"] = frame["traded"].astype(bool)
    out = validate_negotiations(frame, traded="traded", price="price", value="v", cost="c", groups="cell")
    assert out.n_used == len(frame) and out.data["traded"].dtype == np.int64
    assert out.data["traded"].tolist() == [1, 0] * 4


def test_traded_words_accepted():
    frame = negotiations(4)
    frame["traded"] = ["yes", "no", "TRUE", "0"]
    out = validate_negotiations(frame, traded="traded")
    assert out.data["traded"].tolist() == [1, 0, 1, 0]


def test_traded_not_binary_rows():
    frame = negotiations()
    frame.loc[2, "traded"] = 2
    with pytest.raises(DataValidationError, match="'traded'.*other than 0/1.*\\[2\\]") as info:
        validate_negotiations(frame, traded="traded")
    assert info.value.column == "traded" and info.value.rows == [2]


def test_traded_column_not_a_flag_at_all():
    frame = negotiations()
    frame["traded"] = ["deal"] * len(frame)
    with pytest.raises(DataValidationError, match="not a 0/1 flag") as info:
        validate_negotiations(frame, traded="traded", drop_invalid=True)
    assert "1 (trade) or 0 (no trade)" in info.value.hint


def test_price_without_trade():
    frame = negotiations()
    frame.loc[3, "price"] = 0.4
    with pytest.raises(DataValidationError, match="did not trade") as info:
        validate_negotiations(frame, traded="traded", price="price")
    assert (
        info.value.rows == [3] and info.value.column == "price" and "leave the price empty" in info.value.hint
    )


def test_missing_price_on_trade():
    frame = negotiations()
    frame.loc[[0, 4], "price"] = np.nan
    with pytest.raises(DataValidationError, match="no price for negotiations that traded") as info:
        validate_negotiations(frame, traded="traded", price="price")
    assert info.value.rows == [0, 4]
    out = validate_negotiations(frame, traded="traded", price="price", drop_invalid=True)
    assert out.dropped.to_dict("records") == [{"reason": "missing price on a trade", "count": 2}]


def test_negotiation_missing_group_and_misspelled_cost():
    frame = negotiations()
    with pytest.raises(MissingColumnError, match="did you mean 'c'"):
        validate_negotiations(frame, traded="traded", cost="C ")
    frame.loc[1, "cell"] = np.nan
    with pytest.raises(DataValidationError, match="'cell'.*missing ids"):
        validate_negotiations(frame, traded="traded", groups=["cell"])


# ------------------------------------------------------------------------------------------ property
cell = st.one_of(
    st.floats(min_value=-5, max_value=5, allow_nan=False),
    st.just(np.nan),
    st.just(np.inf),
    st.just(-np.inf),
)


@given(
    rows=st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=30),
)
def test_agreement_rows_used_plus_dropped_equals_input(rows):
    frame = pd.DataFrame(rows, columns=["price", "value", "cost", "quantity"])
    frame.index = [f"x{i}" for i in range(len(frame))]
    try:
        out = validate_agreements(frame, **AGREEMENT_COLUMNS, quantity="quantity", drop_invalid=True)
    except DataValidationError as error:
        assert "no valid row" in str(error)
        return
    dropped = out.dropped_index
    assert out.n_used + int(out.dropped["count"].sum()) == len(frame)
    assert set(out.data.index) | set(dropped) == set(frame.index)
    assert not set(out.data.index) & set(dropped)
    used = out.data
    assert np.isfinite(used[["price", "value", "cost", "quantity"]].to_numpy()).all()
    assert (used["quantity"] >= 0).all() and (used["value"] >= used["cost"]).all()


@given(
    rows=st.lists(
        st.tuples(st.sampled_from([0, 1, 1, np.nan, 3]), cell, st.floats(0, 1) | st.just(np.nan)),
        min_size=1,
        max_size=30,
    )
)
def test_negotiation_rows_used_plus_dropped_equals_input(rows):
    frame = pd.DataFrame(rows, columns=["traded", "price", "v"])
    try:
        out = validate_negotiations(frame, traded="traded", price="price", value="v", drop_invalid=True)
    except DataValidationError as error:
        assert "no valid row" in str(error) or "not a 0/1 flag" in str(error)
        return
    assert out.n_used + int(out.dropped["count"].sum()) == len(frame)
    assert sorted(list(out.data.index) + list(out.dropped_index)) == list(range(len(frame)))
    traded = out.data["traded"].to_numpy()
    price = out.data["price"].to_numpy()
    assert np.isfinite(price[traded == 1]).all() and np.isnan(price[traded == 0]).all()


def test_text_covariate_is_categorical_missing_entries_flagged():
    frame = agreements()
    frame["region"] = ["north", "south"] * 4
    out = validate_agreements(frame, **AGREEMENT_COLUMNS, covariates=["region", "z"])
    assert out.n_used == 8 and out.data["region"].tolist() == frame["region"].tolist()
    frame.loc["r6", "region"] = None
    with pytest.raises(DataValidationError, match="'region'.*missing") as info:
        validate_agreements(frame, **AGREEMENT_COLUMNS, instruments=["region"])
    assert info.value.rows == ["r6"]
    # numbers written as text are numeric covariates and are converted
    frame["w"] = ["1.5"] * 8
    assert validate_agreements(frame, **AGREEMENT_COLUMNS, covariates="w").data["w"].dtype == np.float64


def test_duplicate_keys_from_id_codes_match_pandas_duplicated():
    """The duplicate-key check combines the id columns' factorize codes; pandas' DataFrame.duplicated is the
    reference (missing ids equal each other, blank and missing differ, numbers and their strings differ)."""
    from bargaining.data.validate import _duplicated_keys

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "market": rng.choice(["m1", "m2", None, " ", "m3"], size=n).astype(object),
            "buyer": rng.choice([1, "1", 2, np.nan], size=n).astype(object),
            "seller": rng.integers(0, 40, size=n),
        }
    )
    codes = []
    for column in frame.columns:
        c, uniques = pd.factorize(frame[column])
        codes.append((c, len(uniques)))
    expected = frame.duplicated(keep=False).to_numpy()
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(_duplicated_keys(codes), expected)
    # many distinct ids: the combined key is re-coded before it could overflow, and hashed (not counted)
    wide = pd.DataFrame({f"k{j}": rng.integers(0, 2**20, size=n) for j in range(4)})
    wide.iloc[7] = wide.iloc[3]
    codes = [(c, len(u)) for c, u in (pd.factorize(wide[col]) for col in wide.columns)]
    np.testing.assert_array_equal(_duplicated_keys(codes), wide.duplicated(keep=False).to_numpy())


def test_factorize_ids_equals_pandas_factorize(tmp_path):
    """Ids read from a CSV (a few string objects shared by many rows), with missing entries and numbers mixed in,
    and ids that are all distinct objects: the same codes and uniques as pandas.factorize."""
    from bargaining.data import read_table
    from bargaining.data.validate import _factorize_ids

    rng = np.random.default_rng(1)
    n = 20_000
    frame = pd.DataFrame({"market": rng.choice(["m1", "m2", "007", " ", ""], size=n), "x": rng.normal(size=n)})
    frame.loc[[3, 50, 999], "market"] = np.nan
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    loaded = read_table(path, ids="market")  # pandas' string dtype (Arrow-backed in pandas 3)
    shared = pd.read_csv(path, dtype={"market": object})["market"]  # object: a few shared string objects
    mixed = shared.copy()
    mixed.iloc[[10, 11, 12]] = [3, "3", None]
    distinct = pd.Series([f"id{i}" for i in range(n)], dtype=object)
    for series in (loaded["market"], shared, mixed, distinct, pd.Series(rng.integers(0, 9, n))):
        codes, uniques = _factorize_ids(series)
        expected_codes, expected_uniques = pd.factorize(series)
        np.testing.assert_array_equal(codes, expected_codes)
        assert list(uniques) == list(expected_uniques)


def test_long_string_ids_checked_in_parallel_flag_the_same_rows():
    """Over 100,000 rows of Arrow-backed string ids (factorized on several cores) or of object ids (one core):
    the blank, missing and duplicate ids planted below are the rows dropped, under the same reasons."""
    n = 120_000
    index = np.arange(n)
    frame = pd.DataFrame(
        {
            "market": np.char.add("m", (index // 1000).astype(str)),
            "buyer": np.char.add("b", (index // 40 % 25).astype(str)),
            "seller": np.char.add("s", (index % 40).astype(str)),
            "price": 1.5,
            "value": 2.0,
        }
    )
    frame.loc[5, "buyer"] = "  "  # blank
    frame.loc[70_000, "seller"] = None  # missing
    frame.loc[100_001, "seller"] = frame.loc[100_002, "seller"]  # duplicates (market, buyer, seller) of 100,002
    expected = {
        "missing id in buyer": [5],
        "missing id in seller": [70_000],
        "duplicate key market/buyer/seller": [100_001, 100_002],
    }
    names = {"market": "market", "buyer": "buyer", "seller": "seller"}
    for dtype in (pd.Series(["x"]).dtype, "string[pyarrow]", object):  # str (pandas 3) and pd.NA Arrow strings
        data = frame.astype({"market": dtype, "buyer": dtype, "seller": dtype})
        out = validate_agreements(data, price="price", buyer_value="value", drop_invalid=True, **names)
        assert out.dropped_rows == expected and out.n_used == n - 4
        with pytest.raises(DataValidationError, match="'buyer'.*missing ids in 1 row"):
            validate_agreements(data, price="price", buyer_value="value", **names)
