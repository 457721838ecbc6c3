"""`bargaining montecarlo`: tables, --json records equal to the Python API, --out files, --sizes, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bargaining.studies import run_study


def test_list(run_cli):
    code, out, _ = run_cli("montecarlo", "--list")
    assert code == 0 and "nash-constant-formula" in out and "nash-logistic-observed" in out
    code, out, _ = run_cli("montecarlo", "--list", "--json")
    assert code == 0 and "nash-grouped-formula" in {row["name"] for row in json.loads(out)}


def test_json_summary_equals_the_python_api(run_cli):
    code, out, err = run_cli(
        "montecarlo",
        "nash-constant-formula",
        "--reps",
        "12",
        "--seed",
        "5",
        "--n",
        "250",
        "--no-progress",
        "--json",
    )
    assert code == 0, err
    record = json.loads(out)
    expected = run_study("nash-constant-formula", reps=12, seed=5, n=250, progress=False).summary
    got = pd.DataFrame(record["summary"]).set_index("parameter")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-12)
    assert record["reps"] == 12 and record["seed"] == 5 and record["n_failed"] == 0


def test_table_and_out_folder(run_cli, tmp_path):
    code, out, err = run_cli(
        "montecarlo", "nash-grouped-observed", "--reps", "8", "--seed", "1", "--n", "250",
        "--no-progress", "--out", str(tmp_path / "mc"),
    )  # fmt: skip
    assert code == 0, err
    assert "beta[I3]" in out and "coverage" in out and "failed = 0" in out
    for name in ("summary.txt", "summary.csv", "summary.tex", "estimates.csv", "coverage.png"):
        assert (tmp_path / "mc" / name).exists(), name


def test_same_table_with_two_jobs(run_cli):
    args = (
        "montecarlo",
        "nash-constant-observed",
        "--reps",
        "6",
        "--seed",
        "3",
        "--n",
        "250",
        "--no-progress",
        "--json",
    )
    code1, out1, _ = run_cli(*args)
    code2, out2, _ = run_cli(*args, "--n-jobs", "2")
    assert code1 == code2 == 0
    assert json.loads(out1)["summary"] == json.loads(out2)["summary"]


def test_sizes(run_cli):
    code, out, err = run_cli(
        "montecarlo", "nash-constant-observed", "--reps", "5", "--sizes", "250,500", "--no-progress", "--json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert {row["N"] for row in record["table"]} == {250, 500} and record["slopes"][0]["parameter"] == "beta"


@pytest.mark.parametrize(
    "args",
    [
        ("montecarlo",),
        ("montecarlo", "nonesuch"),
        ("montecarlo", "nash-constant-observed", "--reps", "0"),
        ("montecarlo", "nash-constant-observed", "--seed", "x"),
        ("montecarlo", "nash-constant-observed", "--n", "260"),
        ("montecarlo", "nash-constant-observed", "--n-jobs", "0"),
        ("montecarlo", "nash-constant-observed", "--sizes", "250"),
        ("montecarlo", "nash-constant-observed", "--sizes", "250,500", "--n", "250"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, args):
    code, _, err = run_cli(*args, "--no-progress")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Hint" in err
