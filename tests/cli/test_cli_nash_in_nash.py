"""`bargaining nash-in-nash` and `bargaining demo`, run in-process.

Expected numbers are the hand computations of tests/models/test_nash_in_nash.py for the bundled example
(two hospitals, two insurers): with equal weights Delta pi = (-1.2, 21) for h1's agreements and (-2.4, 21) for
h2's, so p = (21 + 1.2)/2 = 11.1 and (21 + 2.4)/2 = 11.7; after the merger each insurer pays
(45 + 2.25)/2 = 23.625.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from bargaining.commands.demo import run_network_example


@pytest.fixture(scope="module")
def example_path():
    with resources.as_file(
        resources.files("bargaining.data") / "examples" / "nash_in_nash_payoffs.csv"
    ) as path:
        yield str(path)


def _transfers(stdout: str, key: str | None = None) -> dict[str, float]:
    payload = json.loads(stdout)
    rows = payload[key]["transfers"] if key else payload["transfers"]
    return {row["agreement"]: row["transfer"] for row in rows}


def test_default_equal_weights_table(run_cli, example_path):
    code, out, err = run_cli("nash-in-nash", example_path)
    assert code == 0 and err == ""
    assert "11.1" in out and "11.7" in out
    assert "used 12 of 64 payoff rows" in out


def test_weights_options_and_json(run_cli, example_path, tmp_path):
    # weights b_h1 = 1, b_h2 = 2, b_i1 = 1, b_i2 = 3: 11.1, 6.15, 14.8, 9.84 (hand computed in the model tests)
    expected = {"h1-i1": 11.1, "h1-i2": 6.15, "h2-i1": 14.8, "h2-i2": 9.84}
    code, out, _ = run_cli(
        "nash-in-nash",
        example_path,
        "--weight",
        "h1=1",
        "--weight",
        "h2=2",
        "--weight",
        "i1=1",
        "--weight",
        "i2=3",
        "--json",
    )
    assert code == 0
    assert _transfers(out) == pytest.approx(expected, abs=1e-12)
    payload = json.loads(out)
    assert (payload["rows_used"], payload["rows_total"]) == (12, 64)
    assert {row["agent"]: row["payoff"] for row in payload["payoffs"]}["i2"] == pytest.approx(
        29.01, abs=1e-12
    )
    # a weights file, with --weight overriding one entry (i2 = 1 in the file, 3 on the command line)
    weights = tmp_path / "weights.csv"
    weights.write_text("agent,weight\nh1,1\nh2,2\ni1,1\ni2,1\n")
    code, out, _ = run_cli(
        "nash-in-nash", example_path, "--weights", str(weights), "--weight", "i2=3", "--json"
    )
    assert code == 0
    assert _transfers(out) == pytest.approx(expected, abs=1e-12)


def test_merger_options(run_cli, example_path):
    code, out, _ = run_cli("nash-in-nash", example_path, "--system", "sys=h1,h2", "--json")
    assert code == 0
    assert _transfers(out) == pytest.approx({"h1-i1;h2-i1": 23.625, "h1-i2;h2-i2": 23.625}, abs=1e-12)
    # separate bargaining with pooled payoffs: h1-i1 gives sys +1.2, so p = (21 - 1.2) / 2 = 9.9
    code, out, _ = run_cli("nash-in-nash", example_path, "--system", "sys=h1,h2", "--separate", "--json")
    assert code == 0
    assert _transfers(out)["h1-i1"] == pytest.approx(9.9, abs=1e-12)


def test_wide_format_and_column_names(run_cli, tmp_path):
    # One seller s, one buyer b: Delta pi_s = -2, Delta pi_b = 10; b_s = 1, b_b = 3: p = (10 + 3 * 2) / 4 = 4.
    wide = tmp_path / "wide.csv"
    wide.write_text("agreements,s,b\ns-b,-2,10\n,0,0\n")
    code, out, _ = run_cli("nash-in-nash", str(wide), "--weight", "s=1", "--weight", "b=3", "--json")
    assert code == 0
    assert _transfers(out) == {"s-b": pytest.approx(4.0, abs=1e-12)}
    renamed = tmp_path / "long.csv"
    renamed.write_text("set,who,value\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n")
    code, out, _ = run_cli(
        "nash-in-nash",
        str(renamed),
        "--agreements-col",
        "set",
        "--agent-col",
        "who",
        "--payoff-col",
        "value",
        "--json",
    )
    assert code == 0
    assert _transfers(out) == {"s-b": pytest.approx(6.0, abs=1e-12)}  # equal weights: (10 + 2) / 2


@pytest.mark.parametrize(
    ("content", "options", "pattern"),
    [
        ("sets,agent,payoff\ns-b,s,1\n", (), "no column 'agreements'"),
        ("agreements,agent\ns-b,s\n", (), "no column 'payoff'"),
        ("agreements,agent,payoff\ns-b,s,abc\n", (), "not a finite number"),
        ("agreements,agent,payoff\ns-b,s,\n", (), "not a finite number"),
        ("agreements,agent,payoff\ns+b,s,1\n", (), "SELLER-BUYER"),
        ("agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n", (), "no payoff for agent 'b'"),
        ("agreements,agent,payoff\ns-b,s,-20\ns-b,b,10\n,s,0\n,b,0\n", (), "no gains from trade.*s-b"),
        (
            "agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n",
            ("--weight", "s=-1", "--weight", "b=1"),
            ">= 0",
        ),
        ("agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n", ("--weight", "s=x"), "not a number"),
        (
            "agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n",
            ("--weight", "s=1"),
            "no bargaining weight for b",
        ),
        ("agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n", ("--weight", "s"), "AGENT=B"),
        ("agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n", ("--system", "x=s,zz"), "zz"),
        ("agreements,agent,payoff\ns-b,s,-2\ns-b,b,10\n,s,0\n,b,0\n", ("--system", "nonsense"), "NAME=A,B"),
        ("", (), "cannot read the payoffs file"),
        ('agreements,agent,payoff\n"s-b,s,1\n', (), "cannot read the payoffs file"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, tmp_path, content, options, pattern):
    path = tmp_path / "payoffs.csv"
    path.write_text(content)
    code, out, err = run_cli("nash-in-nash", str(path), *options)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("bargaining nash-in-nash: error:")
    assert re.search(pattern, err), err


def test_bad_weights_file_and_missing_file(run_cli, example_path, tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("name,b\nh1,1\n")
    code, _, err = run_cli("nash-in-nash", example_path, "--weights", str(weights))
    assert code == 2 and "no column 'agent'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("nash-in-nash", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err and len(err.strip().splitlines()) == 1


def test_help_documents_the_format(run_cli, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("nash-in-nash", "--help")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for word in (
        "agreements",
        "SELLER-BUYER",
        "gain_i + gain_j > 0",
        "--weight",
        "--system",
        "b_i / (b_i + b_j)",
    ):
        assert word in out


def test_run_demo_numbers():
    result = run_network_example()
    baseline = result["baseline"]["transfers"].set_index("agreement")["transfer"]
    assert baseline.to_dict() == pytest.approx(
        {"h1-i1": 11.1, "h1-i2": 11.1, "h2-i1": 11.7, "h2-i2": 11.7}, abs=1e-12
    )
    merger = result["merger"]["transfers"].set_index("agreement")["transfer"]
    assert merger.to_dict() == pytest.approx({"h1-i1;h2-i1": 23.625, "h1-i2;h2-i2": 23.625}, abs=1e-12)
    assert result["merger"]["systems"] == {"sys": ["h1", "h2"]}


def test_demo_network_example_command(run_cli):
    code, out, err = run_cli("demo", "--nash-in-nash")
    assert code == 0 and err == ""
    assert "23.625" in out and "11.7" in out
    code, out, _ = run_cli("demo", "--nash-in-nash", "--json")
    assert code == 0
    payload = json.loads(out)
    assert _transfers(out, "merger") == pytest.approx(
        {"h1-i1;h2-i1": 23.625, "h1-i2;h2-i2": 23.625}, abs=1e-12
    )
    assert payload["source"] == "nash_in_nash_payoffs.csv"


def test_demo_fits_the_bundled_data(run_cli):
    """The default demo is the README's main job: the fit of the bundled hospital-insurer data."""
    from linearmodels.iv import IV2SLS

    from bargaining.data import load_example

    frame = load_example("hospital_insurer")
    direct = IV2SLS(
        (frame.price - frame.seller_cost).to_numpy(), (frame.buyer_value - frame.seller_cost).to_numpy()[:, None], None, None
    ).fit(cov_type="robust")
    code, out, err = run_cli("demo", "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert payload["params"]["beta"] == pytest.approx(float(direct.params.iloc[0]), rel=1e-10)
    assert payload["std_errors"]["beta"] == pytest.approx(float(direct.std_errors.iloc[0]), rel=1e-8)
    assert payload["nobs"] == len(frame) and payload["truth"] == {"beta": 0.4}
    code, out, err = run_cli("demo")
    assert code == 0 and err == "" and "beta" in out and "true beta = 0.4" in out
