"""`motcua portal check-catalogue` as a process against the test portal in its own process and a
real Postgres (the catalogue in force: the shipped one, no version imported): every planted
difference reported and exit status 1; the same catalogue on both sides, exit 0; through a
burst of 429s and an expired session (the sync's retries and session handling); a portal that
cannot be reached, or settings missing, a clear message and exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.embedded import free_port
from tests.portal.portal_catalogue import portal_view, with_differences, write
from tests.portal.running import running_portal
from tests.portal.server import PASSWORD


def check(database_url: str, data_dir, env: dict[str, str], *argv: str
          ) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("PORTAL_")}
    return subprocess.run(
        [sys.executable, "-m", "motcua_cli", "--data-dir", str(data_dir), "portal",
         "check-catalogue", *argv],
        env={**environment, "DATABASE_URL": database_url, "MOTCUA_ENV": "development",
             "PORTAL_RETRY_FIRST_SECONDS": "0.05", "PORTAL_RETRY_MAX_SECONDS": "0.2", **env},
        capture_output=True, text=True, timeout=120)


async def test_the_differences_are_reported_and_the_status_says_so(infra, log_dir, tmp_path):
    database_url, _ = await infra.isolated("portal-catalogue")
    catalogue = default_catalogue()
    view, picked = with_differences(catalogue)
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(view, tmp_path / "portal.json")) as portal:
        await portal.faults(burst_429=3)
        done = check(database_url, tmp_path, portal.env(PORTAL_SHARE_PATH="/share"), "--json")
        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout)
        assert sorted((item["kind"], item["code"]) for item in report["differences"]) == \
            sorted(picked.items())
        assert (report["catalogue_version"], report["procedures"], report["agencies"]) == (
            0, len(catalogue.procedures), len(catalogue.agencies))
        answered = {(call["kind"], call["service"]) for call in await portal.received()
                    if call["status"] == 200}
        assert answered == {("login", "login"), ("service", "LayThuTuc"),
                            ("share", "LayDanhMucCoQuan")}

        await portal.faults(expire_sessions=True)
        text = check(database_url, tmp_path, portal.env())
        assert text.returncode == 1, text.stderr
        assert f"procedure_unknown  {picked['procedure_unknown']}" in text.stdout
        assert "ours: " in text.stdout and "portal: Sở khác" in text.stdout
        assert text.stdout.strip().endswith(f"{len(picked)} differences")


async def test_the_same_catalogue_exits_0_and_a_portal_out_of_reach_is_a_message(
        infra, log_dir, tmp_path):
    database_url, _ = await infra.isolated("portal-catalogue-same")
    view = portal_view(default_catalogue())
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(view, tmp_path / "portal.json")) as portal:
        done = check(database_url, tmp_path, portal.env())
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().endswith("no differences")
        refused = check(database_url, tmp_path, portal.env(PORTAL_PASSWORD=PASSWORD + "x"))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "login refused: error_code -1 Sai tài khoản" in refused.stderr
        env = portal.env()
    # The same settings once the portal is gone: nothing listens on its port.
    gone = check(database_url, tmp_path, env)
    assert gone.returncode == 2
    assert "the portal at http://127.0.0.1" in gone.stderr and "cannot connect" in gone.stderr
    assert "after 4 tries" in gone.stderr and "Traceback" not in gone.stderr

    unset = check(database_url, tmp_path, {"PORTAL_URL": f"http://127.0.0.1:{free_port()}"})
    assert unset.returncode == 2 and "Traceback" not in unset.stderr
    assert "PORTAL_UNIT_CODE" in unset.stderr and "PORTAL_USERNAME" in unset.stderr
