"""`motcua calendar` and `motcua procedures`, run for real: the appointment uses the overrides
of the stack's database; bad arguments are one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motcua_cli.main import main


@pytest.fixture
def no_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return ["--data-dir", str(tmp_path)]


@pytest.fixture
async def database_url(infra) -> str:
    url, _ = await infra.isolated("calendar_cli")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_due_follows_an_override_set_from_the_command_line(capsys, no_stack, database_url):
    due = [*no_stack, "calendar", "due", "2.000488", "2026-03-13T17:30:00+07:00", "--json",
           "--database-url", database_url]
    # Friday 17:30, 10 working days: counted from Monday 07:00.
    assert json.loads(run(capsys, *due)[1]) == {"procedure_code": "2.000488",
                                                "received_at": "2026-03-13T17:30:00+07:00",
                                                "due_at": "2026-03-27T17:00:00+07:00"}

    code, out, _ = run(capsys, *no_stack, "calendar", "set", "2026-03-14", "working",
                       "--reason", "Làm bù", "--database-url", database_url)
    assert code == 0 and "2026-03-14 working: Làm bù" in out
    # Saturday 14 March worked: one working day earlier.
    assert json.loads(run(capsys, *due)[1])["due_at"] == "2026-03-26T17:00:00+07:00"

    code, out, _ = run(capsys, *no_stack, "calendar", "list", "2026", "--json",
                       "--database-url", database_url)
    assert {"date": "2026-03-14", "working": True, "reason": "Làm bù",
            "source": "override"} in json.loads(out)
    assert run(capsys, *no_stack, "calendar", "unset", "2026-03-14",
               "--database-url", database_url)[0] == 0


def test_without_a_stack_due_says_so_and_uses_the_law_alone(capsys, no_stack):
    code, out, err = run(capsys, *no_stack, "calendar", "due", "1.001193", "2026-02-13T15:30")

    assert code == 0 and out.strip() == "2026-02-23T17:00:00+07:00"  # after Tết 2026
    assert "no running stack" in err


@pytest.mark.parametrize("argv, message", [
    (["calendar", "due", "9.999999", "2026-03-10T09:00"], "no procedure '9.999999'"),
    (["calendar", "due", "2.000488", "yesterday"], "RECEIVED_AT 'yesterday' is not ISO 8601"),
    (["calendar", "set", "2026-02-30", "off"], "'2026-02-30' is not a date"),
    (["calendar", "set", "2026-03-14", "holiday"], "'holiday': expected `working` or `off`"),
    (["calendar", "set", "2026-03-14", "off"], "no database"),
    (["calendar", "list", "26"], "YEAR '26': expected a year from 2021"),
])
def test_bad_arguments_are_a_one_line_error_and_exit_2(capsys, no_stack, argv, message):
    code, _, err = run(capsys, *no_stack, *argv)

    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_an_unreachable_database_is_an_error_not_a_silently_different_appointment(capsys,
                                                                                 no_stack):
    code, out, err = run(capsys, *no_stack, "calendar", "due", "2.000488", "2026-03-10T09:00",
                         "--database-url", "postgresql+asyncpg://u:p@127.0.0.1:9/none")

    assert code == 1 and out == "" and "database unavailable" in err


def test_the_procedures_command_lists_the_catalogue_as_a_process(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "-m", "motcua_cli.main", "--data-dir",
                             str(tmp_path), "procedures", "--json"],
                            capture_output=True, text=True, env=env, timeout=60, check=True)

    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert len(rows) >= 14
    assert rows["1.001193"]["limit"] == {"value": 0, "unit": "same_day"}
    assert rows["2.000488"]["lead_agency"]["code"] == "STP"
