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


def test_registry_item_knn_gives_its_reasons_by_title(folder, capsys):
    """The "because" column of a registry model lists the rated movies by title, not id."""
    code = cli.main(
        ["recommend", *SEED_RATES, "--method", "item-kNN cosine", "--data", str(folder)]
    )
    out = capsys.readouterr().out
    assert code == 0 and "because" in out
    reasons = out.split("because", 1)[1]
    assert re.search(r"(Home Alone|Mrs. Doubtfire|Dumb & Dumber|Ace Ventura)", reasons)
    assert not re.search(r"\(\d+, \d+|\(\d+,\)", reasons)  # no tuples of ids


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
    err = capsys.readouterr().err
    assert "no notebook-01 output there" in err and "does not exist" in err


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


# --------------------------------------------------------------------------- issue 13


def test_data_error_names_the_missing_file(folder, tmp_path, capsys):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "zee-movies.dat").write_bytes((folder / "zee-movies.dat").read_bytes())
    (partial / "zee-ratings.dat").write_bytes((folder / "zee-ratings.dat").read_bytes())
    assert cli.main(["similar", "Liar Liar", "--data", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "zee-users.dat (or users.dat)" in err and "zee-movies.dat (or" not in err


def test_ml100k_folder_is_accepted(capsys):
    from conftest import ML100K

    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    assert cli.main(["similar", "Liar Liar", "--data", str(ML100K), "-n", "3"]) == 0
    assert "Movies most similar to Liar Liar (1997)" in capsys.readouterr().out


def test_a_number_given_as_a_title_points_at_id(folder, capsys):
    assert cli.main(["similar", "1485", "--data", str(folder)]) == 2
    assert "If 1485 is a movie id, add --id: zeerec similar 1485 --id" in capsys.readouterr().err
    assert cli.main(["similar", "Liar Lair", "--data", str(folder)]) == 2
    assert "zeerec similar 1485 --id" in capsys.readouterr().err  # the closest title's id
    argv = ["similar", "1485", "--id", "--data", str(folder), "--min-common", "3", "-n", "3"]
    assert cli.main(argv) == 0


def test_recommend_shows_how_to_give_a_movie_id(folder, capsys):
    assert cli.main(["recommend", "--rate", "Liar Lair=4", "--data", str(folder)]) == 2
    assert 'rate by movie id: "id:1485=4"' in capsys.readouterr().err
    assert cli.main(["recommend", "--rate", "id:-5=4", "--data", str(folder)]) == 2
    assert "'id:-5' is not a movie id" in capsys.readouterr().err


def test_every_problem_with_the_ratings_at_once(folder, capsys):
    argv = ["recommend", "--rate", "liar lair=4", "--rate", "Home Alone=five"]
    assert cli.main([*argv, "--rate", "Mrs. Doubtfire", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zeerec: 3 problems with the ratings:")
    assert "'liar lair': No movie is titled" in err
    assert "'Home Alone': stars must be a whole number from 1 to 5, got 'five'" in err
    assert "'Mrs. Doubtfire' is not of the form TITLE=STARS" in err


def test_dropped_rows_are_said_in_one_line(folder, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("zee-movies.dat", "zee-users.dat"):
        (bad / name).write_bytes((folder / name).read_bytes())
    ratings = (folder / "zee-ratings.dat").read_bytes()
    (bad / "zee-ratings.dat").write_bytes(ratings + b"1::1485::9::978300000\n1::2::3\n")
    code = cli.main(["similar", "Liar Liar", "--data", str(bad), "--min-common", "3", "-n", "3"])
    out, err = capsys.readouterr()
    assert code == 0 and "Movies most similar" in out
    lines = [line for line in err.splitlines() if "dropped" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"zeerec: note: 2 bad rows dropped while reading {bad}")
    assert "rating outside 1..5" in lines[0] and "--only 01" in lines[0]


def test_utf8_titles_are_found(real_slice, tmp_path, capsys):
    folder = tmp_path / "utf8"
    folder.mkdir()
    for name in ("zee-ratings.dat", "zee-users.dat"):
        (folder / name).write_bytes((real_slice / name).read_bytes())
    movies = (real_slice / "zee-movies.dat").read_bytes().decode("latin-1")
    (folder / "zee-movies.dat").write_bytes(movies.encode("utf-8"))
    rate = ["--rate", "Life Is Beautiful (La Vita è bella)=5", "--method", "content", "-n", "3"]
    assert cli.main(["recommend", *rate, "--data", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "You rated: Life Is Beautiful (La Vita è bella) (1997) 5★" in out
    assert "zee-movies.dat: the file is UTF-8, not ISO-8859-1; decoded as UTF-8" in err


def test_bad_report_parameter_exits_2(folder, capsys):
    assert cli.main(["report", "--data", str(folder), "-p", "oops"]) == 2
    assert "is not of the form name=value" in capsys.readouterr().err
    assert cli.main(["report", "--data", str(folder), "-p", "data_dir=/x"]) == 2
    assert "Use --data /x instead" in capsys.readouterr().err
    assert cli.main(["report", "--data", str(folder), "--only", "99"]) == 2
    assert "--only 99 names no notebook of 01_load_clean" in capsys.readouterr().err


def test_recommend_by_a_registry_model(folder, capsys):
    argv = ["recommend", *SEED_RATES, "--method", "popularity", "--data", str(folder), "-n", "3"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Top 3 by popularity" in out and "score" in out
    assert "Home Alone" not in out.split("Top 3")[1]  # never what was rated


def test_recommend_refuses_a_model_that_cannot_take_a_profile(folder, capsys):
    argv = ["recommend", *SEED_RATES, "--method", "global mean", "--data", str(folder)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "global mean cannot recommend for a new user" in err and "popularity" in err
