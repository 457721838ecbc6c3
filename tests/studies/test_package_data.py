"""The recorded study runs ship as package data: a wheel has them, and `bargaining replicate` finds them in a
non-editable installation without the source checkout on sys.path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "bargaining" / "studies" / "recorded"
# what `bargaining replicate mc_*` reads: summary.csv + meta.json of every study, tables of the sample-size study
READ_BY_REPLICATE = ["mc_sample_size/table.csv", "mc_sample_size/slopes.csv", "mc_sample_size/meta.json"]


def _build_flags() -> list[str]:
    """``--no-build-isolation`` when this environment already has the build requirements (setuptools >= 68 and
    wheel, pyproject's [build-system]): the same build, seconds faster; otherwise pip's isolated build."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        setuptools_major = int(version("setuptools").split(".")[0])
        version("wheel")
    except (PackageNotFoundError, ValueError):
        return []
    return ["--no-build-isolation"] if setuptools_major >= 68 else []


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
    result = subprocess.run(
        args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_wheel_ships_the_recorded_runs_and_replicate_reads_them_from_an_installation(tmp_path):
    # build from a copy of the sources, so the checkout gets no build/ folder
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "bargaining", source / "bargaining", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(wheels), *_build_flags()],
        cwd=source,
    )
    (wheel,) = wheels.glob("bargaining-*.whl")

    recorded = sorted(p.relative_to(RECORDED).as_posix() for p in RECORDED.rglob("*") if p.is_file())
    studies = sorted({name.split("/")[0] for name in recorded if "/" in name} - {"mc_sample_size"})
    assert len(studies) >= 9
    needed = READ_BY_REPLICATE + [f"{s}/{f}" for s in studies for f in ("summary.csv", "meta.json")]
    assert set(needed) <= set(recorded)
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix("bargaining/studies/recorded/")
            for name in archive.namelist()
            if name.startswith("bargaining/studies/recorded/")
        }
    assert set(recorded) <= shipped, sorted(set(recorded) - shipped)

    target = tmp_path / "installed"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
         cwd=tmp_path)  # fmt: skip
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(target)
    listed = _run([sys.executable, "-m", "bargaining", "replicate", "--list"], cwd=workdir, env=env).stdout
    assert "mc_nash_constant_observed" in listed and "mc_sample_size" in listed and "table1" in listed
    # one recorded study check (the replication `bargaining replicate mc_nash_constant_observed` runs, with
    # R = 25 instead of 100 to keep the test short), and where everything came from
    check = f"""
import os, sys
import bargaining, bargaining.studies
from bargaining.replication import run_study
assert not any(p and os.path.realpath(p) == {str(ROOT)!r} for p in sys.path), sys.path
report = run_study("mc_nash_constant_observed", reps=25)
assert report.ok, report.format()
print(bargaining.__file__)
print(bargaining.studies.recorded_root())
"""
    where = _run([sys.executable, "-c", check], cwd=workdir, env=env).stdout.split()
    assert len(where) == 2 and all(Path(p).resolve().is_relative_to(target.resolve()) for p in where), where
