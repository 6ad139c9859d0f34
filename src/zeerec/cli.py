"""Command line: ``zeerec report``, ``zeerec data``, ``zeerec sample``, ``zeerec recommend``,
``zeerec similar``, ``zeerec models``.

Errors a user can cause end with a one-paragraph message and exit status 2 (bad
input) or 1 (a run that failed), never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from zeerec.report import DEFAULT_JOBS, DEFAULT_SAMPLE_SCALE, DEFAULT_SEED
from zeerec.synthetic import SHAPES

HOW_TO_TRAIN = (
    "Notebook 05 trains the improved MF model and saves it there: run `make report` "
    "(or `zeerec report --only 01 05` for just those two notebooks)."
)


def _cmd_report(args: argparse.Namespace) -> int:
    from zeerec.report import parse_parameters, resolve_data, run_report

    params = parse_parameters(args.param)
    data = resolve_data(args.data, raw_dir=args.raw, sample_dir=args.sample_dir, scale=args.scale)
    run_report(
        data,
        params,
        notebooks_dir=args.notebooks,
        reports_dir=args.reports,
        processed_dir=args.processed,
        model_dir=args.models,
        kernel=args.kernel,
        only=args.only,
        jobs=args.jobs,
    )
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from zeerec.download import fetch

    folder = fetch(args.dataset, args.dest)
    print(f"{args.dataset} files are in {folder}: make report DATA={folder}")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from zeerec.synthetic import generate

    start = time.perf_counter()
    folder = generate(args.out, scale=args.scale, seed=args.seed, shape=args.shape)
    print(f"Synthetic sample written to {folder} in {time.perf_counter() - start:.1f} s.")
    return 0


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1, with a message naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _fail(message: object) -> int:
    print(f"zeerec: {message}", file=sys.stderr)
    return 2


def _load_data(folder: str | None):
    """Notebook 01's output (data/processed) or the .dat files (data/raw), or a clear error."""
    from zeerec import data as zd

    if folder:
        if (Path(folder) / "source.json").is_file():
            return zd.load_processed(folder)
        try:
            return _load_raw(Path(folder))
        except zd.MissingDataError as err:  # names the missing file(s)
            raise zd.MissingDataError(
                f"--data {folder}: no notebook-01 output there (source.json + parquet files), "
                f"and no complete set of MovieLens files. {err}"
            ) from None
    for path in (Path("data/processed"), Path("data/raw")):
        if (path / "source.json").is_file():
            return zd.load_processed(path)
        if zd.has_data(path):
            return _load_raw(path)
    raise zd.MissingDataError(
        "No data found: data/processed has no notebook-01 output (run `make report`) and "
        "data/raw has no MovieLens files. Pass --data DIR with either kind of folder. "
        + zd.HOW_TO_GET_DATA
    )


def _load_raw(path: Path):
    """The .dat files, read leniently; what was dropped or noticed is said in one line each."""
    from zeerec import data as zd

    ml = zd.load(path)
    quality = ml.quality
    for row in quality[quality["rows"] == 0].itertuples():
        print(f"zeerec: note: {row.file}: {row.problem}; {row.action}.", file=sys.stderr)
    dropped = quality[quality["action"] == "dropped"]
    if len(dropped):
        what = "; ".join(
            f"{r.rows} × {r.problem} ({r.file} line {r.example_lines.split(',')[0]})"
            for r in dropped.itertuples()
        )
        n = dropped["rows"].sum()
        print(
            f"zeerec: note: {n:,} bad {'row' if n == 1 else 'rows'} dropped while reading {path}: "
            f"{what}. Notebook 01's data-quality table lists them: "
            f"zeerec report --data {path} --only 01.",
            file=sys.stderr,
        )
    return ml


def _print_table(table, title_width: int = 48) -> None:
    import pandas as pd

    shown = table.copy()
    shown["title"] = [
        t if len(t) <= title_width else t[: title_width - 1] + "…" for t in shown["title"]
    ]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string())


def _cmd_recommend(args: argparse.Namespace) -> int:
    from zeerec import newuser
    from zeerec.models.foldin import MissingModelError, load_foldin
    from zeerec.profile import ProfileError, profile_table, ratings_from_text

    try:
        ml = _load_data(args.data)
        profile = ratings_from_text(args.rate, ml.movies, ml.rating_scale)
        mf = load_foldin(args.models, ml.ratings) if args.method == "mf" else None
        settings = {"n_neighbours": args.neighbours, "min_common": args.min_common, "mf": mf}
        rec = newuser.recommend_with(args.method, ml.ratings, ml.movies, profile, args.n, settings)
    except MissingModelError as err:
        return _fail(f"{err} {HOW_TO_TRAIN}")
    except (ProfileError, ValueError) as err:
        return _fail(err)
    if ml.synthetic:
        print("Note: SYNTHETIC data — titles and tastes are invented, not MovieLens.")
    rated = profile_table(profile, ml.movies)
    stars = zip(rated["title"], rated["stars"], strict=True)
    print("You rated: " + "; ".join(f"{t} {s}★" for t, s in stars))
    print(f"Top {args.n} by {newuser.LABELS.get(args.method, args.method)} ({ml.source}):")
    for line in newuser.list_notes(args.method, rec, mf):
        print(f"  ({line})")
    if rec.empty:
        print(
            "  Nothing to recommend: no neighbour shares enough movies with you. "
            "Rate more movies, lower --min-common, or try --method content / hybrid."
        )
        return 0
    _print_table(newuser.list_table(args.method, rec, ml.movies))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    import pandas as pd

    from zeerec.models import registry

    with pd.option_context("display.width", 250, "display.max_colwidth", 80):
        print(registry.table().to_string())
    return 0


def _cmd_similar(args: argparse.Namespace) -> int:
    from zeerec.lookup import MovieLookupError, TitleIndex
    from zeerec.models.knn import ItemKNN

    try:
        ml = _load_data(args.data)
        index = TitleIndex(ml.movies)
        if args.id and not args.movie.strip().isdigit():
            return _fail(f"--id expects a whole-number movie id, got {args.movie!r}")
        movie_id = index.find(int(args.movie) if args.id else args.movie)
        model = ItemKNN(
            method=args.similarity, min_common=args.min_common, shrinkage=args.shrinkage
        ).fit(ml.ratings)
        table = model.similar_movies(movie_id, n=args.n)
    except MovieLookupError as err:
        return _fail(_lookup_advice(err, args.movie))
    except ValueError as err:
        return _fail(err)
    if ml.synthetic:
        print("Note: SYNTHETIC data — titles and tastes are invented, not MovieLens.")
    print(f"Movies most similar to {index.title(movie_id)} ({args.similarity}, {ml.source}):")
    table = table.copy()
    table.insert(0, "title", index.titles(table["movie_id"]))
    table = table.drop(columns=["movie_id"])
    table.index = range(1, len(table) + 1)
    table.index.name = "rank"
    _print_table(table.round(3))
    return 0


def _lookup_advice(err, query: str) -> str:
    """A lookup error with its advice in this command's syntax (``--id``)."""
    if not err.suggested_ids:
        return str(err)
    if query.strip().isdigit():
        return f"{err.detail} If {query} is a movie id, add --id: zeerec similar {query} --id."
    return (
        f"{err.detail} Copy a title, or give a movie id with --id: "
        f"zeerec similar {err.suggested_ids[0]} --id."
    )


DATA_HELP = (
    "folder with notebook 01's output (source.json + parquet) or the three MovieLens "
    ".dat files (default: data/processed if notebook 01 has run, else data/raw)"
)


def _add_list_and_data(parser) -> None:
    """The options every listing command shares: -n and --data."""
    parser.add_argument(
        "-n", type=_positive_int, default=10, help="how many movies to list (default: %(default)s)"
    )
    parser.add_argument("--data", default=None, help=DATA_HELP)


def _method(text: str) -> str:
    """argparse type for --method (a registry model's ability is checked when it is built)."""
    from zeerec.newuser import check_method

    try:
        return check_method(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_recommend_parser(sub) -> None:
    from zeerec.newuser import DEFAULT_METHOD, DEFAULT_METHOD_EVIDENCE

    rec = sub.add_parser(
        "recommend",
        help="top movies for a new user from a few ratings",
        description="Recommend movies for a new user who rates a few movies, by user-based "
        "CF, matrix-factorisation fold-in, content (genres + decade), a hybrid, or any "
        "registry model that takes a new user's ratings; notebook 06's four methods show "
        "the evidence behind every movie. Bad input exits with status 2.",
        epilog='Example: zeerec recommend --rate "Home Alone=5" --rate "Mrs. Doubtfire=3" '
        '--rate "Dumb & Dumber=4" --rate "Ace Ventura: Pet Detective=5" --method user',
    )
    rec.add_argument(
        "--rate",
        action="append",
        required=True,
        metavar="TITLE=STARS",
        help='a rating, repeatable: "Home Alone=5" (whole stars 1-5; half stars 0.5-5 on '
        'the releases that have them; titles as in the catalogue, year optional; "id:586=5" '
        "gives a movie id)",
    )
    rec.add_argument(
        "--method",
        type=_method,
        default=DEFAULT_METHOD,
        metavar="METHOD",
        help="user: people who rated your movies like you did; mf: your taste vector "
        "folded into the trained MF model (needs --models); content: genres and decade "
        "of what you rated highly; hybrid: user-based CF where neighbours rated a movie, "
        "content elsewhere; or the name of any registry model marked 'new users' by "
        "`zeerec models` (e.g. --method EASE), fitted on the data now. Default: "
        f"%(default)s, {DEFAULT_METHOD_EVIDENCE}",
    )
    _add_list_and_data(rec)
    rec.add_argument(
        "--models",
        default="data/models",
        help="where notebook 05 saved the trained MF model, used by --method mf "
        "(default: %(default)s)",
    )
    rec.add_argument(
        "--neighbours",
        "--k",
        dest="neighbours",
        type=_positive_int,
        default=60,
        help="neighbours, --method user and hybrid (default: %(default)s)",
    )
    rec.add_argument(
        "--min-common",
        type=_positive_int,
        default=2,
        help="movies a neighbour must share with you, --method user and hybrid; registry "
        "models keep their own settings (default: %(default)s)",
    )
    rec.set_defaults(func=_cmd_recommend)


def _add_similar_parser(sub) -> None:
    from zeerec.similarity import SIMILARITIES

    sim = sub.add_parser(
        "similar",
        help="movies most similar to a movie (item-based CF)",
        description="List the movies whose ratings are most similar to the given movie's "
        "(item-based collaborative filtering, as notebook 03). An unknown title exits with "
        "status 2 and the closest titles.",
        epilog='Example: zeerec similar "Liar Liar" -n 5',
    )
    sim.add_argument("movie", help='a title, e.g. "Liar Liar" or "Liar Liar (1997)"')
    sim.add_argument("--id", action="store_true", help="MOVIE is a movie id, not a title")
    _add_list_and_data(sim)
    sim.add_argument(
        "--similarity",
        default="adjusted_cosine",
        choices=SIMILARITIES,
        help="similarity measure (default: %(default)s, as in notebook 03; bm25: who rated "
        "both movies, BM25-weighted, as the 'item-kNN BM25' model)",
    )
    sim.add_argument(
        "--min-common",
        type=_positive_int,
        default=20,
        help="raters two movies must share to be compared, as notebook 03 (default: %(default)s)",
    )
    sim.add_argument(
        "--shrinkage",
        type=float,
        default=25.0,
        help="score × n/(n + shrinkage): trust similarities on few raters less, as notebook "
        "03 (default: %(default)s)",
    )
    sim.set_defaults(func=_cmd_similar)


def _add_report_parser(sub) -> None:
    rep = sub.add_parser(
        "report",
        help="run every notebook headless and write reports/",
        description="Execute notebooks/NN_*.ipynb with papermill (01 first, then up to --jobs "
        "side by side, each once the notebooks it reads from have finished), render HTML into "
        "reports/, and write reports/metrics.json and reports/index.html.",
    )
    rep.add_argument(
        "--data",
        default="auto",
        help="'auto' (real data in --raw or downloaded, else the synthetic sample), "
        "'sample', 'download', or a folder holding the three .dat files (default: auto)",
    )
    rep.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="notebook parameter, repeatable, e.g. -p movie='Liar Liar' -p k=20",
    )
    rep.add_argument("--only", nargs="+", metavar="NN", help="run only these notebooks, e.g. 01 02")
    rep.add_argument("--raw", default="data/raw", help="where real data lives (default: data/raw)")
    rep.add_argument("--sample-dir", default="data/sample", help="where the sample is generated")
    rep.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SAMPLE_SCALE,
        help="size of the synthetic sample in millions of ratings, in the shape of the "
        "MovieLens release nearest that size: 1 is ML-1M's, 10 ML-10M's, 25 ML-25M's "
        "(default: 1.0)",
    )
    rep.add_argument("--notebooks", default="notebooks")
    rep.add_argument("--reports", default="reports")
    rep.add_argument("--processed", default="data/processed")
    rep.add_argument("--models", default="data/models", help="where trained models are saved")
    rep.add_argument("--kernel", default=None, help="Jupyter kernel (default: zeerec)")
    rep.add_argument(
        "--jobs",
        type=_positive_int,
        default=DEFAULT_JOBS,
        help="notebooks run side by side, each once the notebooks it reads from have "
        "finished (01 first; 06 after 05); 1 runs them one after another "
        f"(default: {DEFAULT_JOBS})",
    )
    rep.set_defaults(func=_cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zeerec", description="Movie recommendations from MovieLens-1M."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    _add_report_parser(sub)

    dat = sub.add_parser("data", help="download MovieLens from GroupLens (if not there)")
    dat.add_argument("--dest", default="data/raw")
    dat.add_argument(
        "--dataset",
        default="ml-1m",
        choices=["ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest-small"],
        help="ml-1m goes into --dest, the others into --dest/NAME (default: ml-1m)",
    )
    dat.set_defaults(func=_cmd_data)

    sam = sub.add_parser(
        "sample", help="write a synthetic sample in the layout of a MovieLens release"
    )
    sam.add_argument("--out", default="data/sample")
    sam.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SAMPLE_SCALE,
        help="millions of ratings (default: 1.0, ML-1M's size)",
    )
    sam.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default=None,
        help="the release whose layout and proportions to copy (default: the one nearest in size)",
    )
    sam.add_argument("--seed", type=int, default=DEFAULT_SEED)
    sam.set_defaults(func=_cmd_sample)

    _add_recommend_parser(sub)
    _add_similar_parser(sub)
    mod = sub.add_parser(
        "models",
        help="the models zeerec compares: what each can do and its knobs",
        description="List the model registry (zeerec.models.registry): for each model, "
        "whether it predicts stars, ranks movies, takes a new user's ratings and lists "
        "similar movies, and the knobs a tuner may search with their candidate values.",
    )
    mod.set_defaults(func=_cmd_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from zeerec.data import DataError
    from zeerec.download import DownloadError
    from zeerec.report import ReportError, ReportInputError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, DownloadError, ReportInputError) as err:
        return _fail(err)
    except ReportError as err:
        print(f"zeerec: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
