"""Replication framework, the studies and `bargaining replicate`."""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys

import pytest

from bargaining.errors import UnknownNameError
from bargaining.replication import Report, Row, get_study, list_studies, report_to_json, run_study

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDIES = {"table1", "eq38", "delta_k", "figure_d1", "myerson_satterthwaite_uniform", "prop3", "prop7", "prop8"}




def test_row_and_report_logic():
    assert Row("x", 1.0, 1.004, 0.005).ok
    assert not Row("x", 1.0, 1.006, 0.005).ok
    assert not Row("x", 1.0, math.nan, 0.005).ok
    report = Report("s", "t", "src")
    assert not report.ok  # an empty report proves nothing
    report.add("a", 0.25, 0.25, 0.0)
    assert report.ok and report.n_failed == 0
    report.add("b", 0.25, 0.3, 0.01, "hand")
    assert not report.ok and report.n_failed == 1
    frame = report.to_frame()
    assert list(frame["ok"]) == [True, False]
    assert "MISMATCH (1 of 2 rows)" in report.format()
    data = json.loads(report_to_json(report))
    assert data["ok"] is False and data["rows"][1]["reference"] == "hand"


def test_registry_discovers_one_module_per_study():
    names = set(list_studies()["name"])
    assert STUDIES <= names
    files = {p.stem for p in (ROOT / "bargaining" / "replication").glob("*.py") if not p.stem.startswith("_")}
    assert names == files
    for name in names:  # every study has a thin script
        assert (ROOT / "replication" / f"{name}.py").exists(), name
    assert get_study("figure-d1").__name__.endswith("figure_d1")
    with pytest.raises(UnknownNameError) as info:
        get_study("table99")
    assert "table1" in str(info.value)


def test_cli_list_and_unknown_name(run_cli):
    code, out, _ = run_cli("replicate", "--list")
    assert code == 0 and "table1" in out and "eq38" in out
    code, out, _ = run_cli("replicate", "--list", "--json")
    assert code == 0 and {d["name"] for d in json.loads(out)} >= STUDIES
    code, _, err = run_cli("replicate", "nonesuch")
    assert code == 2 and "nonesuch" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_each_study_matches(name):
    report = run_study(name)
    failed = [(r.quantity, r.published, r.computed) for r in report.rows if not r.ok]
    assert report.ok, failed


def test_cli_runs_a_study_and_saves_the_figure(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "d1.png"
    code, out, _ = run_cli("replicate", "figure-d1", "--figure", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data[0]["ok"] and path.stat().st_size > 1000


def test_a_mismatch_gives_exit_code_one(run_cli, monkeypatch):
    module = get_study("myerson_satterthwaite_uniform")

    def broken_run():
        report = Report("myerson_satterthwaite_uniform", "t", "s")
        report.add("deficit", 1 / 6, 0.2, 1e-10)
        return report

    monkeypatch.setattr(module, "run", broken_run)
    code, out, _ = run_cli("replicate", "myerson_satterthwaite_uniform")
    assert code == 1 and "MISMATCH" in out


def test_script_exit_status():
    result = subprocess.run(
        [sys.executable, str(ROOT / "replication" / "eq38.py")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: OK" in result.stdout


@pytest.mark.parametrize("name", ["prop3", "prop7"])
def test_proposition_studies_show_the_claim_and_its_failure(name):
    """Each proposition study has markets where the conditions hold and markets where one fails."""
    report = run_study(name)
    quantities = [r.quantity for r in report.rows]
    assert any(q.startswith("1[") and "> tol]" in q for q in quantities)       # strict loss when a condition fails
    assert any(not q.startswith(("1[", "min(", "failing", "Proposition")) for q in quantities)  # equality rows
    if name == "prop3":
        for label in ("(i)", "(ii)", "(iii)", "(iv)"):
            assert any(q.startswith(f"failing conditions = {label} ") for q in quantities), label


def test_cli_runs_the_proposition_studies(run_cli):
    code, out, _ = run_cli("replicate", "--list")
    assert code == 0 and all(name in out for name in ("prop3", "prop7", "prop8"))
    code, out, _ = run_cli("replicate", "prop3", "prop7", "--json")
    data = json.loads(out)
    assert code == 0 and [d["study"] for d in data] == ["prop3", "prop7"] and all(d["ok"] for d in data)
