"""``zeerec recommend`` and ``zeerec similar``: happy paths, --help, and exit codes."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest
from conftest import write_dataset

from zeerec import cli, data

TITLES = [
    (231, "Dumb & Dumber (1994)", "Comedy"),
    (344, "Ace Ventura: Pet Detective (1994)", "Comedy"),
    (500, "Mrs. Doubtfire (1993)", "Comedy"),
    (586, "Home Alone (1990)", "Children's|Comedy"),
    (1485, "Liar Liar (1997)", "Comedy"),
    (1, "Toy Story (1995)", "Animation|Children's|Comedy"),
    (2, "Jumanji (1995)", "Adventure|Children's|Fantasy"),
    (260, "Star Wars: Episode IV - A New Hope (1977)", "Action|Adventure|Fantasy|Sci-Fi"),
    (296, "Pulp Fiction (1994)", "Crime|Drama"),
    (318, "Shawshank Redemption, The (1994)", "Drama"),
    (356, "Forrest Gump (1994)", "Comedy|Romance|War"),
    (480, "Jurassic Park (1993)", "Action|Adventure|Sci-Fi"),
    (2355, "Bug's Life, A (1998)", "Animation|Children's|Comedy"),
    (1270, "Back to the Future (1985)", "Comedy|Sci-Fi"),
]
SEED_RATES = [
    "--rate",
    "Mrs. Doubtfire=3",
    "--rate",
    "Dumb & Dumber=4",
    "--rate",
    "Ace Ventura: Pet Detective=5",
    "--rate",
    "Home Alone=5",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """40 users who each rated 8-12 of 14 real titles, seeded."""
    rng = np.random.default_rng(11)
    movies = "".join(f"{m}::{t}::{g}\n" for m, t, g in TITLES)
    users = "".join(f"{u}::M::25::4::12345\n" for u in range(1, 41))
    lines = []
    for u in range(1, 41):
        for i in rng.choice(len(TITLES), rng.integers(8, 13), replace=False):
            lines.append(f"{u}::{TITLES[i][0]}::{rng.integers(1, 6)}::97830{u:04d}\n")
    return write_dataset(tmp_path_factory.mktemp("cli"), movies, users, "".join(lines))


@pytest.mark.parametrize("method", ["user", "content", "hybrid"])
def test_recommend_prints_a_ranked_table(folder, capsys, method):
    code = cli.main(
        ["recommend", *SEED_RATES, "--method", method, "--data", str(folder), "-n", "5"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "You rated: Mrs. Doubtfire (1993) 3★" in out
    assert "rank" in out
    shown = [m.group(1) for m in re.finditer(r"^\d+\s+(.*?\(\d{4}\))", out, re.MULTILINE)]
    assert 1 <= len(shown) <= 5
    rated = {"Mrs. Doubtfire (1993)", "Dumb & Dumber (1994)", "Home Alone (1990)"}
    assert not rated & set(shown)  # never recommends what was rated
    assert not any(t.startswith("Ace Ventura") for t in shown)


def test_recommend_reads_notebook_01_output(folder, tmp_path, capsys):
    processed = tmp_path / "processed"
    data.save_processed(data.load(folder), processed)
    code = cli.main(
        ["recommend", "--rate", "Home Alone=5", "--method", "content", "--data", str(processed)]
    )
    assert code == 0
    assert "Bug's Life" in capsys.readouterr().out  # Children's|Comedy like Home Alone


def test_similar_prints_a_ranked_table(folder, capsys):
    code = cli.main(["similar", "Liar Liar", "--data", str(folder), "--min-common", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "Movies most similar to Liar Liar (1997)" in out
    assert "Liar Liar (1997)" not in out.split("\n", 1)[1]  # the movie itself is not listed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recommend", "--rate", "Home Alon=5"], 'Closest titles: "Home Alone (1990)"'),
        (["recommend", "--rate", "Home Alone=6"], "'Home Alone': stars must be from 1 to 5"),
        (["recommend", "--rate", "Home Alone=4.5"], "whole number from 1 to 5"),
        (["recommend", "--rate", "Home Alone"], "TITLE=STARS"),
        (["recommend", "--rate", "Home Alone=5", "--rate", "home alone=4"], "same movie"),
        (["recommend", "--rate", "id:99999=3"], "99999"),
        (["similar", "Liar Lair"], 'Closest titles: "Liar Liar (1997)"'),
        (["similar", "abc", "--id"], "--id expects a whole-number movie id"),
    ],
)
def test_bad_input_exits_2_with_the_message(folder, capsys, argv, message):
    code = cli.main([*argv, "--data", str(folder)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("zeerec: ") and message in err
    assert "Traceback" not in err


def test_missing_data_is_explained(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/processed, no data/raw here
    assert cli.main(["recommend", "--rate", "Home Alone=5"]) == 2
    err = capsys.readouterr().err
    assert "No data found" in err and "make report" in err and "--data" in err
    assert cli.main(["similar", "Liar Liar", "--data", str(tmp_path / "nope")]) == 2
    assert "holds neither notebook 01's output" in capsys.readouterr().err


needs_mf = pytest.mark.skipif(
    importlib.util.find_spec("zeerec.models.mf") is None, reason="zeerec.models.mf not there"
)


@needs_mf
def test_mf_without_a_trained_model_says_how_to_get_one(folder, tmp_path, capsys):
    code = cli.main(
        ["recommend", *SEED_RATES, "--method", "mf", "--data", str(folder)]
        + ["--models", str(tmp_path / "no-models")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "No trained MF model in" in err and "make report" in err


@needs_mf
def test_mf_with_notebook_05s_model(folder, tmp_path, capsys):
    from zeerec.models.mf import DEFAULT_NAME, BiasedMF

    BiasedMF(factors=4, epochs=3, seed=1).fit(data.load(folder).ratings).save(
        tmp_path / DEFAULT_NAME
    )
    argv = ["recommend", *SEED_RATES, "--method", "mf", "--data", str(folder)]
    assert cli.main([*argv, "--models", str(tmp_path), "-n", "3"]) == 0
    out = capsys.readouterr().out
    assert "Top 3 by MF fold-in" in out and "your bias:" in out and "taste match" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["recommend", "--rate", "Home Alone=5", "-n", "0"],
        ["recommend", "--rate", "Home Alone=5", "--method", "magic"],
        ["recommend"],
        ["similar"],
    ],
)
def test_argument_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert "usage: zeerec" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["recommend", "similar"])
def test_help_explains_every_option(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
    assert "Example: zeerec " + command in out


def test_models_lists_the_registry_with_capabilities_and_knobs(capsys):
    from zeerec.models import registry

    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in registry.MODELS)
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines()[2:]}
    assert "lam 250, 500, 1000, 2000" in lines["EASE"]
    assert lines["global mean"].split()[2:4] == ["yes", "-"]  # predicts stars, does not rank
