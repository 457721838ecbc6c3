"""`bargaining transparency`: the pay-transparency equilibrium from the command line."""

from __future__ import annotations

import json

import pytest


def test_equilibrium_json_and_table(run_cli):
    code, out, err = run_cli("transparency", "--sellers", "3", "--low", "0.35", "--transparency", "0.2", "--json")
    assert code == 0 and err == ""
    eq = json.loads(out)["equilibrium"]
    assert eq["regime"] == "high" and eq["high_price"] == pytest.approx(1 - 0.2 * 0.9 * 0.65)
    assert eq["passive"]["regime"] == "mixed" and eq["acceptance"]["low"]["high_offer"] == 0
    code, out, _ = run_cli("transparency", "--sellers", "2")
    assert code == 0 and "strategic" in out and "passive" in out and "max deviation gain" in out


def test_comparative_statics_and_plot(run_cli, tmp_path):
    figure = tmp_path / "fig.png"
    code, out, _ = run_cli("transparency", "--grid-transparency", "0,1", "--grid-sellers", "1,2", "--plot", str(figure),
                           "--json")
    rows = json.loads(out)["comparative_statics"]
    assert code == 0 and [(r["n_sellers"], r["transparency"]) for r in rows] == [(1, 0.0), (1, 1.0), (2, 0.0), (2, 1.0)]
    assert figure.stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--sellers", "0"], "n_sellers"), (["--low", "2"], "low < high"), (["--grid-sellers", "1.5"], "integers"),
     (["--grid-transparency", "a"], "numbers"), (["--transparency", "1.5"], "transparency")],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, argv, message):
    code, out, err = run_cli("transparency", *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1
