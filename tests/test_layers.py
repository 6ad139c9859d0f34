"""The import layers of DESIGN.md hold (import-linter's contract in pyproject.toml), and the
check really fails when a module imports from a layer above it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_contract_is_kept():
    result = _lint(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("matrix.py", "from zeerec.models.base import Recommender"),  # foundation -> models
        ("similarity.py", "from zeerec.models import registry"),  # similarity -> models
        ("models/knn.py", "from zeerec.display import readable"),  # models -> display
        ("evaluation/harness.py", "from zeerec.report import record"),  # analysis -> application
        ("pages.py", "from zeerec.report import record"),  # pages -> the runner above them
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    copy = tmp_path / "src" / "zeerec"
    shutil.copytree(ROOT / "src" / "zeerec", copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    path.write_text(path.read_text() + f"\n{upward}  # an import running up the layers\n")
    result = _lint(tmp_path / "src", tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "0 kept, 1 broken" in result.stdout
