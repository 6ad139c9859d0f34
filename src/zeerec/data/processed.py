"""The canonical tables as parquet in data/processed/: written by notebook 01, read by the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from zeerec.data.tables import (
    WHOLE_STARS,
    DataFormatError,
    MissingDataError,
    MovieLens,
    RatingScale,
)
from zeerec.files import atomic_write


def save_processed(ds: MovieLens, folder: str | os.PathLike) -> Path:
    """Write the canonical tables as parquet so later notebooks skip parsing."""
    folder = Path(folder)
    for name in ("movies", "users", "ratings", "quality"):
        frame = getattr(ds, name)
        atomic_write(folder / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
    meta = {
        "source": ds.source,
        "synthetic": ds.synthetic,
        "info": ds.info,
        "rating_scale": ds.rating_scale.as_list(),
        **ds.summary(),
    }
    atomic_write(folder / "source.json", json.dumps(meta, indent=2))
    return folder


TABLES = ("movies", "users", "ratings", "quality")
RERUN = "Run notebook 01_load_clean again to rewrite the folder (`make report` runs it)."


def _read(folder: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """source.json and the four tables, or a DataFormatError naming the unreadable file."""
    path = folder / "source.json"
    try:
        meta = json.loads(path.read_text())
        source, synthetic = meta["source"], meta["synthetic"]
        tables = {}
        for name in TABLES:
            path = folder / f"{name}.parquet"
            tables[name] = pd.read_parquet(path)
    except FileNotFoundError:
        raise MissingDataError(f"{path} is missing from notebook 01's output. {RERUN}") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataFormatError(
            path, None, f"cannot be read ({type(err).__name__}: {err})", hint=RERUN
        ) from None
    scale = meta.get("rating_scale")  # folders written before half stars: whole stars
    rating_scale = RatingScale(*scale) if scale else WHOLE_STARS
    kept = {"source": source, "synthetic": synthetic, "info": meta.get("info", {})}
    return {**kept, "rating_scale": rating_scale}, tables


def load_processed(folder: str | os.PathLike) -> MovieLens:
    """Read what :func:`save_processed` wrote (notebook 01 must have run first)."""
    folder = Path(folder)
    if not (folder / "source.json").is_file():
        raise MissingDataError(
            f"No processed data in {folder.resolve()}: run notebook 01_load_clean first "
            "(or `make report`, which runs every notebook in order)."
        )
    meta, tables = _read(folder)
    movies = tables["movies"]
    movies["genres"] = movies["genres"].map(list).astype(object)
    ratings = tables["ratings"]
    # Parquet has no second resolution; restore the canonical dtype.
    ratings["timestamp"] = ratings["timestamp"].astype("datetime64[s]")
    return MovieLens(
        movies=movies,
        users=tables["users"],
        ratings=ratings,
        quality=tables["quality"],
        source=meta["source"],
        synthetic=meta["synthetic"],
        info=meta["info"],
        rating_scale=meta["rating_scale"],
    )
