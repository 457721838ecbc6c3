"""Recorded study runs: `--record` writes into the recorded folder what `bargaining replicate` reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bargaining.errors import InvalidParameterError
from bargaining.studies import recorded


def test_recorded_runs_are_package_data():
    root = recorded.recorded_root()
    assert root.is_dir() and (root / "README.md").is_file()
    assert Path(str(root)).parts[-3:] == ("bargaining", "studies", "recorded")
    assert recorded.recorded_folder("nash_constant_observed").name == "mc_nash_constant_observed"


def test_record_then_load_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(recorded, "recorded_root", lambda: tmp_path)
    results = recorded.record_study("nash-constant-observed", reps=3, seed=5, n=250, progress=False)
    folder = tmp_path / "mc_nash_constant_observed"
    assert {"summary.csv", "summary.txt", "summary.tex", "estimates.csv", "meta.json"} <= {
        p.name for p in folder.iterdir()
    }
    summary, meta = recorded.load_recorded("nash-constant-observed")
    assert meta["reps"] == 3 and meta["seed"] == 5 and meta["n"] == 250
    assert summary.loc["beta", "mean"] == pytest.approx(results.summary.loc["beta", "mean"], rel=1e-12)


def test_missing_recording_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setattr(recorded, "recorded_root", lambda: tmp_path)
    with pytest.raises(InvalidParameterError) as info:
        recorded.load_recorded("nash-constant-observed")
    assert "replication/mc_nash_constant_observed.py --record" in info.value.hint
