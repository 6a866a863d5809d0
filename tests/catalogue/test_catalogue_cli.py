"""`motcua catalogue`, run for real on a stack's database: a valid export becomes the next
version; a file with one error is refused whole with its line, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from motcua_cli.main import main
from tests.catalogue.export_sample import line_of, sample, write


@pytest.fixture
async def database_url(infra) -> str:
    url, _ = await infra.isolated("catalogue_cli")
    return url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_export_with_an_error_is_refused_whole_and_a_valid_one_is_the_next_version(
        capsys, tmp_path, monkeypatch, database_url):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    stack = ["--data-dir", str(tmp_path)]
    broken = sample()
    broken["procedures"][1]["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = -1
    path = write(tmp_path / "broken.json", broken)
    code, out, err = run(capsys, *stack, "catalogue", "import", str(path),
                         "--database-url", database_url)
    line = line_of(path, '"THOIGIANGIAIQUYET": -1') - 1
    assert code == 1 and out == ""
    assert err.strip() == (f"motcua catalogue import: {path}:{line}: procedure 1.001193: "
                           "THOIGIANGIAIQUYET must be a whole number ≥ 0")
    listed = run(capsys, *stack, "catalogue", "versions", "--json", "--database-url",
                 database_url)
    assert json.loads(listed[1]) == []  # nothing half-loaded: not even the good procedure

    good = write(tmp_path / "good.json", sample())
    code, out, _ = run(capsys, *stack, "catalogue", "import", str(good), "--by", "an",
                       "--database-url", database_url)
    assert code == 0 and out.startswith("version 1: 2 procedures, 3 agencies, in force from "
                                        "2026-01-01T00:00:00+07:00")
    [version] = json.loads(run(capsys, *stack, "catalogue", "versions", "--json",
                               "--database-url", database_url)[1])
    assert (version["version"], version["source"], version["imported_by"]) == (1, "good.json",
                                                                                "an")
    # The same file again would take effect no later than version 1: refused.
    code, _, err = run(capsys, *stack, "catalogue", "import", str(good), "--database-url",
                       database_url)
    assert code == 1 and "is not after version 1's" in err


def test_check_validates_without_a_database(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    good = write(tmp_path / "good.json", sample())
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "catalogue", "check", str(good))
    assert code == 0 and "2 procedures, 3 agencies" in out
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "catalogue", "import", str(good))
    assert code == 2 and "no database" in err
