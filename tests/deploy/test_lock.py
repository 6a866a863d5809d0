"""The lock files pin every dependency pyproject.toml names, so the image (requirements.lock)
and the tests (requirements-test.lock) install what was reviewed, not whatever is newest."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def pinned(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^ \\]+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("lock", "requirements"), [
    ("requirements.lock", PROJECT["dependencies"]),
    ("requirements-test.lock",
     PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
])
def test_every_dependency_is_pinned_with_hashes(lock: str, requirements: list[str]) -> None:
    path = ROOT / lock
    pins = pinned(path)
    missing = sorted({_name(r) for r in requirements} - pins.keys())
    assert not missing, f"{lock} lacks {missing}: run scripts/lock"
    text = path.read_text()
    assert text.count("--hash=sha256:") >= len(pins)  # pip installs it with --require-hashes


def test_the_image_and_the_tests_install_from_the_locks() -> None:
    assert "--require-hashes -r requirements.lock" in (ROOT / "deploy" / "Dockerfile").read_text()
    assert "requirements-test.lock" in (ROOT / "scripts" / "test").read_text()
