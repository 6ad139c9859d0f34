"""environment.yml must describe the same environment as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment() -> dict[str, str]:
    found: dict[str, str] = {}
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("- ") or line.endswith(":"):
            continue
        spec = line[2:].strip()
        if spec.startswith(("-e", "python=", "pip")) and _name(spec) in ("-e", "python", "pip"):
            continue
        found[_name(spec)] = spec.replace(" ", "")
    return found


def test_environment_yml_matches_pyproject():
    pyproject, environment = _pyproject(), _environment()
    assert set(environment) == set(pyproject), (
        f"only in pyproject: {sorted(set(pyproject) - set(environment))}; "
        f"only in environment.yml: {sorted(set(environment) - set(pyproject))}"
    )
    for name, spec in pyproject.items():
        assert environment[name] == spec, f"{name}: {environment[name]} vs {spec}"


def test_environment_yml_pins_python_311_and_installs_the_package():
    text = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in text
    assert "- -e ." in text
