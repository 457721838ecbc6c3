"""`bargaining simulate`: files read back unchanged (CSV and Parquet), truth JSON, --list, errors exit 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bargaining.data.simulate import simulate


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_file_reads_back_unchanged(run_cli, tmp_path, suffix):
    out = tmp_path / f"data{suffix}"
    code, stdout, stderr = run_cli(
        "simulate",
        "hospital-insurer",
        "--seed",
        "3",
        "--n",
        "2",
        "--out",
        str(out),
        "--param",
        "beta=0.3",
        "--param",
        "systems=[2,1,1,1]",
    )
    assert code == 0, stderr
    assert "wrote 40 rows" in stdout and "Summary" in stdout
    expected = simulate("hospital-insurer", n=2, seed=3, beta=0.3, systems=[2, 1, 1, 1]).data
    back = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, expected)
    truth = json.loads((tmp_path / "data.truth.json").read_text())
    assert truth["beta"] == 0.3 and truth["systems"] == [2, 1, 1, 1]


def test_json_output(run_cli, tmp_path):
    code, stdout, _ = run_cli(
        "simulate",
        "hospital-insurer",
        "--seed",
        "1",
        "--n",
        "1",
        "--out",
        str(tmp_path / "x.csv.gz"),
        "--json",
    )
    assert code == 0
    report = json.loads(stdout)
    assert report["rows"] == 20 and report["truth"]["gamma"]["Intercept"] == 6.0
    assert report["truth_file"].endswith("x.truth.json")


def test_list(run_cli):
    code, stdout, _ = run_cli("simulate", "--list")
    assert code == 0 and "hospital-insurer" in stdout and "negotiations" in stdout
    code, stdout, _ = run_cli("simulate", "--list", "--json")
    assert {row["name"] for row in json.loads(stdout)} >= {"hospital-insurer", "procurement"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hospital-insurer", "--out", "x.csv"], "--seed is required"),
        (["hospital-insurer", "--seed", "-1", "--out", "x.csv"], "--seed must be >= 0"),
        (["hospital-insurer", "--seed", "1"], "--out is required"),
        (["hospital-insurer", "--seed", "1", "--out", "x.xlsx"], "suffix '.xlsx'"),
        (["hospital-insurer", "--seed", "1", "--out", "x.csv", "--n", "zero"], "--n must be an integer"),
        (["hospital-insurer", "--seed", "1", "--out", "x.csv", "--param", "beta"], "KEY=VALUE"),
        (["hospital-insurer", "--seed", "1", "--out", "x.csv", "--param", "bta=1"], "has no option 'bta'"),
        (["hospital-insurer", "--seed", "1", "--out", "x.csv", "--param", "beta=2"], "beta must be in"),
        (["hospitals", "--seed", "1", "--out", "x.csv"], "no simulator named 'hospitals'"),
        ([], "no simulator named"),
    ],
)
def test_errors_exit_2(run_cli, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run_cli("simulate", *argv)
    assert code == 2
    assert message in stderr and "Hint:" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_unwritable_directory_exit_2(run_cli, tmp_path):
    code, _, stderr = run_cli(
        "simulate", "hospital-insurer", "--seed", "1", "--out", str(tmp_path / "no" / "x.csv")
    )
    assert code == 2 and "does not exist" in stderr
