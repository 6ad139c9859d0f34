"""The saved-model folder: its file names, an atomic write, a checked read, and :func:`load`.

A folder holds ``model.keras`` (the Keras model), ``meta.json`` (class, settings,
training history, fitted numbers) and ``ids.npz`` (id maps and the training matrix,
for "already seen"). :meth:`~zeerec.models.mf.keras_model._KerasMF.save` writes it,
``SeedMF.load`` / ``BiasedMF.load`` read it back into their own class, and
:func:`load` into whichever class wrote it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zeerec.models.mf.tf_setup import keras, quiet_tensorflow

if TYPE_CHECKING:
    from zeerec.models.mf.biased import BiasedMF
    from zeerec.models.mf.seed import SeedMF

MODEL_FILE = "model.keras"
META_FILE = "meta.json"
IDS_FILE = "ids.npz"
DEFAULT_NAME = "biased_mf"
"""The folder name notebook 05 saves the improved model under, inside ``model_dir``."""


def write_folder(
    path: str | os.PathLike, model: keras.Model, meta: dict[str, Any], arrays: dict[str, Any]
) -> Path:
    """Write the three files to ``path`` atomically: a failed save leaves the old folder intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        model.save(tmp / MODEL_FILE)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
        np.savez(tmp / IDS_FILE, **arrays)
        for p in (tmp, *tmp.iterdir()):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.old-{os.getpid()}"
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_folder(
    path: str | os.PathLike, class_name: str
) -> tuple[keras.Model, dict[str, Any], dict[str, np.ndarray]]:
    """``(Keras model, meta, arrays)`` of a folder that must hold a ``class_name`` model."""
    path = Path(path)
    if not (path / MODEL_FILE).is_file():
        raise FileNotFoundError(
            f"No saved model in {path}: expected {MODEL_FILE}, {META_FILE} and {IDS_FILE} "
            "(written by save(path), e.g. by notebook 05)."
        )
    meta = json.loads((path / META_FILE).read_text())
    if meta["class"] != class_name:
        raise TypeError(f"{path} holds a {meta['class']}, not a {class_name}")
    with np.load(path / IDS_FILE) as ids:
        arrays = {k: ids[k] for k in ids.files}
    with quiet_tensorflow():
        model = keras.models.load_model(path / MODEL_FILE, compile=False)
    return model, meta, arrays


def load(path: str | os.PathLike) -> SeedMF | BiasedMF:
    """Load whichever MF model ``save`` wrote to ``path``.

    Args:
        path: the folder ``save(path)`` wrote (notebook 05: ``model_dir/biased_mf``).

    Raises:
        FileNotFoundError: no ``meta.json`` there, with the command that trains one.
        TypeError: the folder holds a class this package does not know.
    """
    from zeerec.models.mf.biased import BiasedMF
    from zeerec.models.mf.seed import SeedMF

    meta_file = Path(path) / META_FILE
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"No saved MF model in {path} (no {META_FILE}). Notebook 05 trains one and saves "
            "it: run `make report` or `zeerec report --only 01 05`."
        )
    kind = json.loads(meta_file.read_text())["class"]
    classes = {"SeedMF": SeedMF, "BiasedMF": BiasedMF}
    if kind not in classes:
        raise TypeError(f"{path} holds an unknown model class {kind!r}")
    return classes[kind].load(path)
