"""`motcua access-log`: its arguments and what it says without a stack or a key (the request it
makes and its answer are tested on the real stack in tests/e2e/test_officer_dossier.py, the
API in tests/intake/test_access_log.py)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from motcua_cli.access_log import add_access_log_command, run_access_log
from motcua_cli.stackfile import Stack


def parse(argv: list[str], data_dir: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="motcua")
    parser.add_argument("--data-dir", type=Path, default=data_dir)
    add_access_log_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.mark.parametrize("argv, complaint", [
    (["access-log", "--since", "hôm qua"], "is not ISO 8601"),
    (["access-log", "--limit", "0"], "is not a number from 1 to 1000"),
    (["access-log", "--limit", "1001"], "is not a number from 1 to 1000"),
    (["access-log", "--colour"], "unrecognized arguments"),
])
def test_bad_arguments_are_usage_errors(tmp_path, capsys, argv, complaint):
    with pytest.raises(SystemExit) as exit:
        parse(argv, tmp_path)
    assert exit.value.code == 2 and complaint in capsys.readouterr().err


def test_a_time_without_an_offset_is_vietnam_time(tmp_path):
    args = parse(["access-log", "--since", "2026-12-03T08:00"], tmp_path)
    assert args.since == datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
    assert args.since.utcoffset() == timedelta(hours=7)
    args = parse(["access-log", "--since", "2026-12-03T08:00:00+00:00", "--limit", "5"],
                 tmp_path)
    assert args.since.utcoffset() == timedelta(0) and args.limit == 5


def test_without_a_stack_or_the_issuer_key_it_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", raising=False)
    with pytest.raises(SystemExit, match="no running API"):
        run_access_log(parse(["access-log"], tmp_path), Stack())
    with pytest.raises(SystemExit, match=f"no token issuer key {tmp_path / 'tokens'}"):
        run_access_log(parse(["access-log"], tmp_path), Stack(api_url="http://intake"))
