"""The canonical tables as parquet in data/processed/: written by notebook 01, read by the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from zeerec.data.tables import MissingDataError, MovieLens
from zeerec.files import atomic_write


def save_processed(ds: MovieLens, folder: str | os.PathLike) -> Path:
    """Write the canonical tables as parquet so later notebooks skip parsing."""
    folder = Path(folder)
    for name in ("movies", "users", "ratings", "quality"):
        frame = getattr(ds, name)
        atomic_write(folder / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
    meta = {"source": ds.source, "synthetic": ds.synthetic, "info": ds.info, **ds.summary()}
    atomic_write(folder / "source.json", json.dumps(meta, indent=2))
    return folder


def load_processed(folder: str | os.PathLike) -> MovieLens:
    """Read what :func:`save_processed` wrote (notebook 01 must have run first)."""
    folder = Path(folder)
    meta_path = folder / "source.json"
    if not meta_path.is_file():
        raise MissingDataError(
            f"No processed data in {folder.resolve()}: run notebook 01_load_clean first "
            "(or `make report`, which runs every notebook in order)."
        )
    meta = json.loads(meta_path.read_text())
    movies = pd.read_parquet(folder / "movies.parquet")
    movies["genres"] = movies["genres"].map(list).astype(object)
    ratings = pd.read_parquet(folder / "ratings.parquet")
    # Parquet has no second resolution; restore the canonical dtype.
    ratings["timestamp"] = ratings["timestamp"].astype("datetime64[s]")
    return MovieLens(
        movies=movies,
        users=pd.read_parquet(folder / "users.parquet"),
        ratings=ratings,
        quality=pd.read_parquet(folder / "quality.parquet"),
        source=meta["source"],
        synthetic=meta["synthetic"],
        info=meta.get("info", {}),
    )
