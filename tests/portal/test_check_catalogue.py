"""`motcua portal check-catalogue` as a process against the test portal in its own process and a
real Postgres (the catalogue in force: the tests' shipped one, or an imported version): every
planted difference reported (JSON and text) and exit status 1, through a burst of 429s (the
sync's retries), the agencies asked at PORTAL_SHARE_PATH; the same catalogue on both sides,
exit 0; a refused login, a portal that cannot be reached or settings missing: a clear message
and exit 2, no traceback; an imported version in force is the one checked. And the reading
alone: an answer in a shape we do not read ends it, named."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from motcua_catalogue.catalogue import SHIPPED, default_catalogue
from motcua_catalogue.export import parse_export
from motcua_cli.embedded import free_port
from motcua_portal.catalogue_check import compare
from motcua_portal.client import PortalClient
from motcua_portal.portal_catalogue import PortalAnswerError, read_portal_catalogue
from motcua_portal.settings import PortalSettings
from tests.portal.portal_catalogue import portal_view, with_differences, write
from tests.portal.running import running_portal
from tests.portal.server import PASSWORD, UNIT, USERNAME


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


@pytest.fixture(scope="module")
async def shipped_database(infra) -> str:
    """A database with no imported catalogue (the tests' shipped one in force, version 0), for
    the checks that only read it: the CLI's check-catalogue writes nothing."""
    database_url, _ = await infra.isolated("portal-catalogue")
    return database_url



def portal_settings(url: str) -> PortalSettings:
    """The sync's settings for the test portal at `url` (the check reads no database)."""
    return PortalSettings(url=url, unit_code=UNIT, username=USERNAME, password=PASSWORD,
                          database_url="postgresql+asyncpg://unused",
                          environment="development", concurrency=2)

async def test_the_differences_are_reported_and_the_status_says_so(shipped_database, log_dir,
                                                                   tmp_path):
    database_url = shipped_database
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

        text = check(database_url, tmp_path, portal.env())
        assert text.returncode == 1, text.stderr
        assert f"procedure_unknown  {picked['procedure_unknown']}" in text.stdout
        assert "ours: " in text.stdout and "portal: Sở khác" in text.stdout
        assert text.stdout.strip().endswith(f"{len(picked)} differences")


async def test_the_same_catalogue_exits_0_and_a_portal_out_of_reach_is_a_message(
        shipped_database, log_dir, tmp_path):
    database_url = shipped_database
    view = portal_view(default_catalogue())
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(view, tmp_path / "portal.json")) as portal:
        done = check(database_url, tmp_path, portal.env())
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().endswith("no differences")
        refused = check(database_url, tmp_path, portal.env(PORTAL_PASSWORD=PASSWORD + "x"))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "login refused: error_code -1 Sai tài khoản" in refused.stderr
        logins = [call for call in await portal.received() if call["kind"] == "login"]
        assert logins[-1]["error_code"] == "-1" and logins[-2]["error_code"] == "0"  # once
        env = portal.env()
    # Three runs that end in a message, each its own process, side by side (none depends on
    # another; the CLI's start is most of each): the same settings once the portal is gone
    # (nothing listens on its port), settings missing, a password file that is not there.
    without_password = {key: value for key, value in env.items() if key != "PORTAL_PASSWORD"}
    gone, unset, no_file = await asyncio.gather(*(
        asyncio.to_thread(check, database_url, tmp_path, settings) for settings in (
            env, {"PORTAL_URL": f"http://127.0.0.1:{free_port()}"},
            {**without_password, "PORTAL_PASSWORD_FILE": str(tmp_path / "none")})))
    assert gone.returncode == 2
    assert "the portal at http://127.0.0.1" in gone.stderr and "cannot connect" in gone.stderr
    assert "after 4 tries" in gone.stderr and "Traceback" not in gone.stderr

    assert unset.returncode == 2 and "Traceback" not in unset.stderr
    assert "PORTAL_UNIT_CODE" in unset.stderr and "PORTAL_USERNAME" in unset.stderr

    assert no_file.returncode == 2 and "Traceback" not in no_file.stderr
    assert "the portal's settings:" in no_file.stderr and "none" in no_file.stderr


async def test_a_procedure_the_portal_answers_in_a_shape_we_do_not_read_ends_the_check(
        log_dir, tmp_path):
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    odd = sorted(catalogue.procedures)[-1]
    next(item for item in view["procedures"] if item["MATTHC"] == odd)[
        "CACHTHUCTHUCHIEN"] = "không rõ"
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(view, tmp_path / "portal.json")) as portal:
        settings = portal_settings(portal.url)
        client = PortalClient(settings)
        try:
            with pytest.raises(PortalAnswerError,
                               match=f"LayThuTuc {odd}: CACHTHUCTHUCHIEN is not a list"):
                await read_portal_catalogue(client, settings, catalogue.procedures)
            whole = await read_portal_catalogue(client, settings,
                                                [code for code in catalogue.procedures
                                                 if code != odd])
        finally:
            await client.close()
    assert set(whole.procedures) == set(catalogue.procedures) - {odd}
    assert set(whole.agencies) == {agency.electronic_id
                                   for agency in catalogue.agencies.values()}


async def test_the_catalogue_checked_is_the_imported_version_in_force(infra, log_dir, tmp_path):
    database_url, _ = await infra.isolated("portal-catalogue-version")
    shipped = Path(str(resources.files("motcua_catalogue") / "data" / SHIPPED))
    imported = parse_export(shipped.read_text(encoding="utf-8"), shipped.name).catalogue
    stored = subprocess.run(
        [sys.executable, "-m", "motcua_cli", "--data-dir", str(tmp_path), "catalogue", "import",
         str(shipped)], env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=120)
    assert stored.returncode == 0, stored.stderr
    # The portal knows the imported catalogue, not the one shipped to the tests (version 0).
    assert set(imported.procedures) != set(default_catalogue().procedures)
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(portal_view(imported), tmp_path / "portal.json")) as portal:
        done = check(database_url, tmp_path, portal.env(), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["catalogue_version"], report["procedures"], report["differences"]) == (
        1, len(imported.procedures), [])


async def test_the_performing_agency_read_from_the_portal_by_level_for_commune_procedures(
        log_dir, tmp_path):
    """The shipped catalogue (both levels) against the test portal: a commune procedure the
    portal gives to the commune level or to another commune matches; one it gives to a
    department, or to the commune's other kind of unit, differs; so does a provincial procedure
    it gives to another department."""
    shipped = Path(str(resources.files("motcua_catalogue") / "data" / SHIPPED))
    catalogue = parse_export(shipped.read_text(encoding="utf-8"), shipped.name).catalogue
    view = portal_view(catalogue)
    items = {item["MATTHC"]: item for item in view["procedures"]}

    def unit_of(code: str) -> str | None:
        return catalogue.agencies[catalogue.procedures[code].agency].commune_unit

    committee = sorted(code for code in items if unit_of(code) == "people_committee")
    police = sorted(code for code in items if unit_of(code) == "police")
    provincial = sorted(code for code in items if catalogue.procedures[code].level == "provincial")
    items[committee[0]]["COQUANTHUCHIEN"] = [{"MADONVI": "000.77.01.H99",
                                              "TENDONVI": "Ủy ban nhân dân xã Tân Hợp"}]
    items[committee[1]]["COQUANTHUCHIEN"] = [{"MADONVI": "000.00.15.H38",
                                              "TENDONVI": "Sở Tư pháp"}]
    items[police[0]]["COQUANTHUCHIEN"] = [{"TENDONVI": "Ủy ban nhân dân cấp xã"}]
    items[provincial[0]]["COQUANTHUCHIEN"] = [{"MADONVI": "000.00.99.H99",
                                               "TENDONVI": "Sở khác"}]
    with running_portal(log_dir / "test-portal.log",
                        catalogue=write(view, tmp_path / "portal.json")) as portal:
        settings = portal_settings(portal.url)
        client = PortalClient(settings)
        try:
            read = await read_portal_catalogue(client, settings, catalogue.procedures)
        finally:
            await client.close()
    assert read.procedures[committee[0]].agencies[0].name == "Ủy ban nhân dân xã Tân Hợp"
    found = compare(catalogue, read)
    assert sorted((item.kind, item.code) for item in found) == sorted(
        ("procedure_agency", code) for code in (committee[1], police[0], provincial[0]))
