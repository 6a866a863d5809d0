"""`motcua report`: its arguments, the token issuer key it needs, and the request it makes (the API
itself is tested in tests/intake/test_reports.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx
import pytest

from motcua_cli import report as report_command
from motcua_cli.report import add_report_command, run_report
from motcua_cli.stackfile import Stack
from motcua_cli.tokens import ensure_issuer
from motcua_runtime import issuer_keys
from motcua_runtime.tokens import TokenVerifier

REPORT = {"from": "2025-11-01", "to": "2025-11-30", "by": "agency", "at": "x", "groups": [],
          "total": {"key": "*", "name": "Tổng cộng",
                    "received": {"total": 1, "carried_over": 0, "online": 1, "counter": 0,
                                 "postal": 0},
                    "resolved": {"total": 1, "early": 1, "on_time": 0, "late": 0,
                                 "on_time_share": 100.0},
                    "refused": 0, "stopped": 0,
                    "in_progress": {"total": 0, "within_deadline": 0, "late": 0},
                    "average_processing_days": 0.5, "online_share": 100.0,
                    "satisfaction": {"ratings": 0, "average_score": None,
                                     "very_satisfied": 0, "satisfied": 0, "not_satisfied": 0}}}


def parse(argv: list[str], data_dir: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="motcua")
    parser.add_argument("--data-dir", type=Path, default=data_dir)
    add_report_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.mark.parametrize("argv, complaint", [
    (["report", "--from", "2025-13-01"], "is not a date YYYY-MM-DD"),
    (["report", "--by", "colour"], "invalid choice"),
    (["report", "--json", "--csv"], "not allowed with argument"),
])
def test_bad_arguments_are_usage_errors(tmp_path, capsys, argv, complaint):
    with pytest.raises(SystemExit) as exit:
        parse(argv, tmp_path)
    assert exit.value.code == 2 and complaint in capsys.readouterr().err


def test_a_period_ending_before_it_starts_is_refused(tmp_path):
    args = parse(["report", "--from", "2025-11-30", "--to", "2025-11-01"], tmp_path)
    with pytest.raises(SystemExit, match="--to 2025-11-01 is before --from 2025-11-30"):
        run_report(args, Stack(api_url="http://intake"))


def test_without_the_issuer_key_it_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", raising=False)
    with pytest.raises(SystemExit, match=f"no token issuer key {tmp_path / 'tokens'}"):
        run_report(parse(["report"], tmp_path), Stack(api_url="http://intake"))
    with pytest.raises(SystemExit, match="no running API"):
        run_report(parse(["report"], tmp_path), Stack())


@pytest.mark.parametrize("flag", ["--csv", "--json", None])
def test_it_asks_the_api_as_an_administrator_and_prints_the_answer(tmp_path, monkeypatch,
                                                                    capsys, flag):
    monkeypatch.delenv("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("MOTCUA_TOKEN_ISSUER_PUBLIC_KEY", raising=False)
    verifier = TokenVerifier("intake", registry=None, issuer_keys=issuer_keys.load_public_keys(
        ensure_issuer(tmp_path)))
    asked = {}

    def fake_get(url, *, params, headers, timeout):
        asked.update(url=url, params=params,
                     officer=verifier.read(headers["Authorization"].split()[1]))
        if params["format"] == "csv":
            return httpx.Response(200, text="key,name\r\n*,Tổng cộng\r\n")
        return httpx.Response(200, json=REPORT)

    monkeypatch.setattr(report_command.httpx, "get", fake_get)
    argv = ["report", "--from", "2025-11-01", "--by", "field"] + ([flag] if flag else [])
    assert run_report(parse(argv, tmp_path), Stack(api_url="http://intake:8000/")) == 0
    assert asked["url"] == "http://intake:8000/api/reports"
    assert asked["params"] == {"by": "field", "from": "2025-11-01",
                               "format": "csv" if flag == "--csv" else "json"}
    assert asked["officer"].role == "admin"
    out = capsys.readouterr().out
    if flag == "--csv":
        assert out == "key,name\r\n*,Tổng cộng\r\n"
    elif flag == "--json":
        assert json.loads(out) == REPORT
    else:
        assert "Tổng cộng" in out


def test_an_api_refusal_is_shown_with_its_message(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTCUA_TOKEN_ISSUER_PUBLIC_KEY", raising=False)
    ensure_issuer(tmp_path)
    monkeypatch.setattr(report_command.httpx, "get", lambda *a, **k: httpx.Response(
        403, json={"detail": {"message": "reports are for the manager or admin role"}}))
    with pytest.raises(SystemExit, match="403: reports are for the manager or admin role"):
        run_report(parse(["report"], tmp_path), Stack(api_url="http://intake"))
