"""Command line: ``zeerec report``, ``zeerec data``, ``zeerec sample``.

Errors a user can cause end with a one-paragraph message and exit status 2 (bad
input) or 1 (a run that failed), never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from zeerec.report import DEFAULT_SAMPLE_SCALE, DEFAULT_SEED


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
    )
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from zeerec.download import fetch_ml1m

    folder = fetch_ml1m(args.dest)
    print(f"MovieLens-1M files are in {folder}.")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from zeerec.synthetic import generate

    start = time.perf_counter()
    folder = generate(args.out, scale=args.scale, seed=args.seed)
    print(f"Synthetic sample written to {folder} in {time.perf_counter() - start:.1f} s.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zeerec", description="Movie recommendations from MovieLens-1M."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser(
        "report",
        help="run every notebook headless and write reports/",
        description="Execute notebooks/NN_*.ipynb in order with papermill, render HTML into "
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
        help="size of the synthetic sample relative to ML-1M (default: 1.0)",
    )
    rep.add_argument("--notebooks", default="notebooks")
    rep.add_argument("--reports", default="reports")
    rep.add_argument("--processed", default="data/processed")
    rep.add_argument("--models", default="data/models", help="where trained models are saved")
    rep.add_argument("--kernel", default=None, help="Jupyter kernel (default: zeerec)")
    rep.set_defaults(func=_cmd_report)

    dat = sub.add_parser("data", help="download MovieLens-1M into data/raw (if not there)")
    dat.add_argument("--dest", default="data/raw")
    dat.set_defaults(func=_cmd_data)

    sam = sub.add_parser("sample", help="write the synthetic sample in the zee format")
    sam.add_argument("--out", default="data/sample")
    sam.add_argument("--scale", type=float, default=DEFAULT_SAMPLE_SCALE)
    sam.add_argument("--seed", type=int, default=DEFAULT_SEED)
    sam.set_defaults(func=_cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from zeerec.data import DataError
    from zeerec.download import DownloadError
    from zeerec.report import ReportError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, DownloadError) as err:
        print(f"zeerec: {err}", file=sys.stderr)
        return 2
    except ReportError as err:
        print(f"zeerec: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
