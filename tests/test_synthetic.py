"""Tests for the synthetic zee-format generator.

Files are parsed with a small local reader (not zeerec.data) so these tests pin the file format
itself. Expectations are derived from the data (ratios, shares) rather than copied numbers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from zeerec import synthetic
from zeerec.files import atomic_write
from zeerec.synthetic import GENRES, SYNTHETIC_MARKER, ensure_sample, generate

DATA_FILES = ("zee-movies.dat", "zee-users.dat", "zee-ratings.dat")
STAR_TARGETS = {1: 0.056, 2: 0.108, 3: 0.261, 4: 0.349, 5: 0.226}
TS_MIN = 956_620_800  # 2000-04-25 00:00:00 UTC
TS_MAX = 1_046_476_799  # 2003-02-28 23:59:59 UTC
REAL_MOVIES = pathlib.Path(__file__).resolve().parents[2] / "shared/data/ml-1m-slice/zee-movies.dat"


def _read(path: pathlib.Path, names: list[str], dtype: dict[str, object]) -> pd.DataFrame:
    """Parse a '::'-separated ISO-8859-1 file with no header (tab swap lets the C engine run)."""
    text = path.read_bytes().decode("ISO-8859-1")
    assert "\t" not in text and "\r" not in text
    return pd.read_csv(
        io.StringIO(text.replace("::", "\t")),
        sep="\t",
        header=None,
        names=names,
        dtype=dtype,
        quoting=csv.QUOTE_NONE,
        keep_default_na=False,
    )


def _load(folder: pathlib.Path) -> dict[str, pd.DataFrame]:
    return {
        "movies": _read(
            folder / "zee-movies.dat", ["movie", "title", "genres"], {"movie": "int64"}
        ),
        "users": _read(
            folder / "zee-users.dat",
            ["user", "gender", "age", "occupation", "zip"],
            {"user": "int64", "age": "int64", "occupation": "int64", "zip": str},
        ),
        "ratings": _read(
            folder / "zee-ratings.dat",
            ["user", "movie", "rating", "ts"],
            {"user": "int64", "movie": "int64", "rating": "int64", "ts": "int64"},
        ),
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, dict[str, pd.DataFrame]]:
    folder = generate(tmp_path_factory.mktemp("syn005"), scale=0.05, seed=42)
    return folder, _load(folder)


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return _load(generate(tmp_path_factory.mktemp("syn02"), scale=0.2, seed=7))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return _load(generate(tmp_path_factory.mktemp("syn1"), scale=1.0, seed=42))


def _file_bytes(folder: pathlib.Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in (*DATA_FILES, SYNTHETIC_MARKER)}


# --- Files, marker, determinism -------------------------------------------------------------------
def test_generate_writes_files_and_marker(small) -> None:
    folder, data = small
    assert sorted(p.name for p in folder.iterdir()) == sorted((*DATA_FILES, SYNTHETIC_MARKER))
    marker = json.loads((folder / SYNTHETIC_MARKER).read_text())
    assert marker == {
        "generator": "zeerec.synthetic",
        "scale": 0.05,
        "seed": 42,
        "shape": "ml-1m",
        "n_users": len(data["users"]),
        "n_movies": len(data["movies"]),
        "n_ratings": len(data["ratings"]),
    }
    for name in DATA_FILES:
        raw = (folder / name).read_bytes()
        assert raw.endswith(b"\n") and b"\r" not in raw


def test_generate_creates_nested_folder_and_returns_it(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "a" / "b"
    out = generate(str(target), scale=0.01, seed=1)
    assert out == target and (target / SYNTHETIC_MARKER).is_file()


def test_same_seed_is_byte_identical_other_seed_differs(small, tmp_path: pathlib.Path) -> None:
    folder, _ = small
    again = _file_bytes(generate(tmp_path / "same", scale=0.05, seed=42))
    assert again == _file_bytes(folder)
    other = _file_bytes(generate(tmp_path / "other", scale=0.05, seed=43))
    for name in DATA_FILES:
        assert other[name] != again[name]


def test_ensure_sample_generates_only_when_needed(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[float, int]] = []
    real_generate = synthetic.generate

    def counting(folder, scale=1.0, seed=42, shape=None):
        calls.append((scale, seed))
        return real_generate(folder, scale=scale, seed=seed, shape=shape)

    monkeypatch.setattr(synthetic, "generate", counting)
    folder = tmp_path / "sample"
    assert ensure_sample(folder, scale=0.02, seed=3) == folder
    assert ensure_sample(folder, scale=0.02, seed=3) == folder
    assert calls == [(0.02, 3)]
    ensure_sample(folder, scale=0.02, seed=4)  # other seed
    ensure_sample(folder, scale=0.03, seed=4)  # other scale
    assert calls[1:] == [(0.02, 4), (0.03, 4)]
    (folder / "zee-ratings.dat").unlink()  # a data file went missing
    ensure_sample(folder, scale=0.03, seed=4)
    (folder / SYNTHETIC_MARKER).write_text("{not json")  # unreadable marker
    ensure_sample(folder, scale=0.03, seed=4)
    assert len(calls) == 5
    ensure_sample(folder, scale=0.03, seed=4)
    assert len(calls) == 5


def test_failed_generation_leaves_no_marker_and_no_temp_files(
    small, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = generate(tmp_path / "crash", scale=0.02, seed=1)
    before = (folder / "zee-movies.dat").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(synthetic, "_make_ratings", boom)
    with pytest.raises(RuntimeError):
        generate(folder, scale=0.02, seed=2)
    # The stale marker is gone, so ensure_sample will regenerate; no half-written files remain.
    assert not (folder / SYNTHETIC_MARKER).exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(DATA_FILES)
    assert (folder / "zee-movies.dat").read_bytes() == before


def test_atomic_write_keeps_old_file_when_replace_fails(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "zee-users.dat"
    target.write_bytes(b"old\n")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["zee-users.dat"]


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_scale_is_rejected(tmp_path: pathlib.Path, scale: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=scale)
    assert not any(tmp_path.iterdir())


# --- Content rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["small", "mid"])
def test_ratings_integrity(which: str, request: pytest.FixtureRequest) -> None:
    data = request.getfixturevalue(which)
    data = data[1] if isinstance(data, tuple) else data
    r, m, u = data["ratings"], data["movies"], data["users"]
    per_user = r.groupby("user").size()
    assert per_user.min() >= 20
    assert set(per_user.index) == set(u["user"])  # every user has ratings
    assert not r.duplicated(["user", "movie"]).any()
    assert set(r["rating"].unique()) <= {1, 2, 3, 4, 5}
    assert r["movie"].isin(m["movie"]).all()
    assert r["user"].isin(u["user"]).all()
    assert r["ts"].between(TS_MIN, TS_MAX).all()
    # Grouped by user, in time order within a user.
    assert r["user"].is_monotonic_increasing
    assert (r.groupby("user")["ts"].diff().dropna() >= 0).all()


@pytest.mark.parametrize("which", ["small", "mid"])
def test_movies_file(which: str, request: pytest.FixtureRequest) -> None:
    data = request.getfixturevalue(which)
    m = (data[1] if isinstance(data, tuple) else data)["movies"]
    assert m["movie"].is_unique and m["movie"].is_monotonic_increasing and m["movie"].min() >= 1
    assert m["title"].is_unique
    years = m["title"].str.extract(r" \((\d{4})\)$")[0]
    assert years.notna().all()
    assert years.astype(int).between(1919, 2000).all()
    genre_lists = m["genres"].str.split("|")
    assert all(1 <= len(g) == len(set(g)) and set(g) <= set(GENRES) for g in genre_lists)
    # Title styles the parser must cope with: ", The" suffix, colons, Latin-1 characters.
    assert m["title"].str.contains(r", The \(\d{4}\)$").any()
    assert m["title"].str.contains(":").any()
    assert m["title"].map(lambda t: any(ord(c) > 127 for c in t)).any()
    assert not m["title"].str.contains("Ã").any()  # no UTF-8 mojibake


def test_users_file(mid) -> None:
    u = mid["users"]
    assert u["user"].tolist() == list(range(1, len(u) + 1))
    assert set(u["gender"]) == {"M", "F"}
    assert 0.65 <= (u["gender"] == "M").mean() <= 0.79
    assert set(u["age"]) <= {1, 18, 25, 35, 45, 50, 56}
    assert u["age"].value_counts().idxmax() == 25
    assert u["occupation"].between(0, 20).all()
    assert u["zip"].str.fullmatch(r"\d{5}").all()


def test_scale_sets_the_sizes(small) -> None:
    _, data = small
    assert len(data["users"]) == 302
    assert len(data["movies"]) == 194
    assert data["movies"]["movie"].max() <= round(3952 * 0.05)


def test_tiny_scale_keeps_minimums(tmp_path: pathlib.Path) -> None:
    data = _load(generate(tmp_path, scale=0.0001, seed=5))
    assert len(data["users"]) >= 10
    assert len(data["movies"]) >= 20
    assert data["ratings"].groupby("user").size().min() >= 20
    assert not data["ratings"].duplicated(["user", "movie"]).any()


def test_star_shares_match_targets(mid) -> None:
    shares = mid["ratings"]["rating"].value_counts(normalize=True)
    for star, target in STAR_TARGETS.items():
        assert shares[star] == pytest.approx(target, abs=0.015)


# --- Full-size shape ------------------------------------------------------------------------------
def test_full_scale_shape(full) -> None:
    r = full["ratings"]
    assert len(full["users"]) == 6040
    assert len(full["movies"]) == 3883
    assert full["movies"]["movie"].max() <= 3952
    assert len(r) == pytest.approx(1_000_209, rel=0.03)
    assert 3600 <= r["movie"].nunique() <= 3800
    shares = r["rating"].value_counts(normalize=True)
    for star, target in STAR_TARGETS.items():
        assert shares[star] == pytest.approx(target, abs=0.015)


def test_long_tails(full) -> None:
    per_user = full["ratings"].groupby("user").size()
    assert per_user.min() >= 20
    assert per_user.max() >= 10 * per_user.median()
    per_movie = full["ratings"]["movie"].value_counts().to_numpy()  # sorted descending
    top = per_movie[: len(per_movie) // 10].sum() / per_movie.sum()
    assert top >= 3 * 0.10  # top 10% of movies hold at least 3x their uniform share


def test_titles_are_invented(full) -> None:
    """No generated title may coincide with a real MovieLens title (article moved, year dropped)."""
    if not REAL_MOVIES.is_file():
        pytest.skip("real ML-1M movie list not available beside the project")

    def norm(title: str) -> str:
        title = re.sub(r"\s*\(\d{4}\)$", "", title.strip()).lower()
        moved = re.fullmatch(r"(.*), (the|a|an)", title)
        return f"{moved.group(2)} {moved.group(1)}" if moved else title

    real = _read(REAL_MOVIES, ["movie", "title", "genres"], {"movie": "int64"})
    clash = set(full["movies"]["title"].map(norm)) & set(real["title"].map(norm))
    assert not clash


# --- Latent structure -----------------------------------------------------------------------------
def _neighbour_genre_lift(data: dict[str, pd.DataFrame], min_ratings: int, k: int = 10) -> float:
    """How much more often an item's k cosine neighbours share a genre than random item pairs."""
    r = data["ratings"]
    counts = r["movie"].value_counts()
    r = r[r["movie"].isin(counts.index[counts >= min_ratings])]
    items, item_ids = pd.factorize(r["movie"])
    users, _ = pd.factorize(r["user"])
    centred = r["rating"] - r.groupby("user")["rating"].transform("mean")
    x = sp.csr_matrix((centred.to_numpy(float), (items, users)))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x
    sim = (x @ x.T).toarray()
    np.fill_diagonal(sim, -np.inf)
    neighbours = np.argsort(-sim, axis=1, kind="stable")[:, :k]

    genre_of = data["movies"].set_index("movie")["genres"].str.split("|")
    g = np.array([[name in genre_of[i] for name in GENRES] for i in item_ids], dtype=np.int64)
    share = (g @ g.T) > 0
    neighbour_rate = share[np.arange(len(g))[:, None], neighbours].mean()
    off_diagonal = ~np.eye(len(g), dtype=bool)
    base_rate = share[off_diagonal].mean()
    assert len(g) >= 100 and 0 < base_rate < 1
    return float(neighbour_rate / base_rate)


def test_item_neighbours_share_genres(mid) -> None:
    assert _neighbour_genre_lift(mid, min_ratings=30) >= 1.5


def test_item_neighbours_share_genres_full(full) -> None:
    assert _neighbour_genre_lift(full, min_ratings=100) >= 1.5


def test_demographic_taste_tilt(mid) -> None:
    """Women rate Romance relatively higher than Action, compared with men (built-in tilt)."""
    r = mid["ratings"].merge(mid["users"][["user", "gender"]], on="user")
    r = r.merge(mid["movies"][["movie", "genres"]], on="movie")
    gap = {}
    for genre in ("Romance", "Action"):
        sel = r[r["genres"].str.split("|").map(lambda gs, g=genre: g in gs)]
        means = sel.groupby("gender")["rating"].mean()
        gap[genre] = means["F"] - means["M"]
    assert gap["Romance"] > gap["Action"]


# --- Shapes of the larger releases ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("scale", "name"),
    [(0.05, "ml-1m"), (1, "ml-1m"), (3, "ml-1m"), (5, "ml-10m"), (10, "ml-10m"), (20, "ml-20m"),
     (25, "ml-25m"), (32, "ml-32m"), (200, "ml-32m")],
)  # fmt: skip
def test_scale_picks_the_release_nearest_in_size(scale: float, name: str) -> None:
    assert synthetic.shape_for(scale).name == name


@pytest.mark.parametrize("name", ["ml-10m", "ml-25m"])
def test_release_shapes_load_as_that_release(tmp_path: pathlib.Path, name: str) -> None:
    """Layout, half stars, no users file, quoted titles, proportions and time span of the
    release, read back through zeerec.data (the loader the notebooks use)."""
    from zeerec.data import load

    shape = synthetic.SHAPES[name]
    folder = generate(tmp_path, scale=0.4, seed=3, shape=name)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*shape.files, SYNTHETIC_MARKER])
    ml = load(folder)
    assert ml.info["format"] == ("ml-10m" if name == "ml-10m" else "csv")
    assert ml.quality.empty  # every line parsed, nothing dropped
    assert (ml.rating_scale.low, ml.rating_scale.high, ml.rating_scale.step) == (0.5, 5.0, 0.5)
    shares = ml.ratings["rating"].value_counts(normalize=True).sort_index()
    assert shares.index.tolist() == [x / 2 for x in range(1, 11)]
    np.testing.assert_allclose(shares, synthetic.HALF_STAR_SHARES, atol=0.01)
    marker = json.loads((folder / SYNTHETIC_MARKER).read_text())
    assert marker["shape"] == name
    f = 0.4 * 1_000_209 / shape.ratings
    assert marker["n_users"] == round(shape.users * f) == ml.ratings["user_id"].nunique()
    assert len(ml.movies) == round(shape.movies * f)
    first = pd.Timestamp(*shape.first)
    last = pd.Timestamp(*shape.last) + pd.Timedelta(days=1)
    assert first <= ml.ratings["timestamp"].min() and ml.ratings["timestamp"].max() < last
    # Users join all along the release's years, not only in its first one.
    years = ml.ratings.groupby("user_id")["timestamp"].min().dt.year
    assert years.nunique() >= (last.year - first.year) // 2
    # The files run by user, then movie, as GroupLens ships these releases.
    raw = pd.read_csv(
        folder / shape.files[1], sep="::" if name == "ml-10m" else ",", engine="python",
        header=None if name == "ml-10m" else 0, names=["u", "m", "r", "t"],
    )  # fmt: skip
    assert raw.equals(raw.sort_values(["u", "m"]))
    if name != "ml-10m":  # titles with commas are quoted and come back whole
        raw = (folder / "movies.csv").read_text(encoding="utf-8")
        with_comma = [t for t in ml.movies["title"] if "," in t]
        assert with_comma and all(f'"{t}"' in raw for t in with_comma)
        assert "Children," not in raw and "Children's" not in raw


def test_a_sample_of_another_layout_replaces_the_old_files(tmp_path: pathlib.Path) -> None:
    from zeerec.data import load

    ensure_sample(tmp_path, scale=0.05, seed=1)
    assert (tmp_path / "zee-ratings.dat").is_file()
    ensure_sample(tmp_path, scale=0.05, seed=1, shape="ml-25m")
    assert not (tmp_path / "zee-ratings.dat").exists()
    assert load(tmp_path).info["format"] == "csv"
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("mine")
    ensure_sample(tmp_path, scale=0.05, seed=1)  # back to ML-1M's layout
    assert not (tmp_path / "ratings.csv").exists() and unrelated.read_text() == "mine"
    assert (tmp_path / "zee-users.dat").is_file() and len(load(tmp_path).users.columns) > 1
    with pytest.raises(ValueError, match="unknown shape 'ml-7m'"):
        generate(tmp_path, scale=0.05, shape="ml-7m")
