"""`motcua chaos` as a user runs it: its own data folder, Postgres and broker, a few hundred
dossiers filed over HTTP while stages, Postgres, the broker and intake are killed, the broker is
frozen and poison records are put on the topic. The command's own verdict is the test's, and
its figures are checked here too, so a run that judged nothing cannot pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the run takes minutes

DOSSIERS = 200  # "a few hundred" (issue 11): the run takes about two minutes on 2 cores


def test_chaos_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    figures = tmp_path / "chaos.json"
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("MOTCUA_KEYS_DIR", "MOTCUA_DATA_DIR")}  # as a user: its own
    run = subprocess.run(
        [sys.executable, "-m", "motcua_cli", "chaos", "--dossiers", str(DOSSIERS), "--seed", "3",
         "--json", str(figures), "--keep", str(tmp_path / "data"), "--settle-timeout", "420"],
        env=environment, capture_output=True, text=True, timeout=840)
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "chaos.out").write_text(run.stdout + run.stderr)
    assert figures.exists(), run.stdout[-4000:] + run.stderr[-4000:]
    result = json.loads(figures.read_text())
    (artifacts / "chaos.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))

    # Every fault happened, each as planned: three stage kills and one of each other kind.
    assert result["faults"] == {"stage SIGKILL": 3, "intake killed mid-request": 1,
                                "Postgres SIGKILL": 1, "broker SIGSTOP 10s": 1,
                                "broker SIGKILL": 1, "malformed or oversized records": 1}
    assert result["restarts"].get("broker", 0) >= 1 and result["restarts"].get("postgres", 0) >= 1
    # The five filed while intake died are counted too.
    assert result["dossiers"] == DOSSIERS + 5
    assert result["terminal"] == result["dossiers"]
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert result["dead_letters"] > 0
    assert result["injected_not_dead_lettered"] == 0
    assert result["dead_letters_not_injected"] == 0
    assert result["replay_findings_not_injected"] == []
    assert result["edge_refusals"] == {"413": 1}
    assert result["passed"] is True and run.returncode == 0, run.stdout[-4000:]
