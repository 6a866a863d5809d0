"""The operations centre on a real stack: every service's /metrics carries consumer lag per
group and partition, the outbox backlog and open/overdue work per agency; the dashboard, opened
in a real headless browser (Debian's chromium through its chromedriver), shows live numbers that
change without a reload as dossiers are filed; the lists of dossiers appear only once an officer
has signed in with a token, and then one click on a dossier opens its timeline; intake's API
documentation (Swagger UI and ReDoc) renders from the package's own assets. The screenshots are
kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import random
import re
import time

import httpx
import pytest

from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_runtime.officers import Officer
from tests.browser import browser, wait_until
from tests.conftest import ARTIFACTS
from tests.officer_tokens import officer_token
from tests.support import file_dossiers, running_stack, wait_for_statuses

pytestmark = pytest.mark.e2e

def open_first_dossier(driver) -> str:
    """Click the first dossier of the recent list; its code. Raises if the list was redrawn."""
    link = driver.find_element("css selector", "#recent-list a.dossier-link")
    code = link.text
    link.click()
    return code


def figure(driver, element_id: str) -> int | None:
    text = driver.find_element("id", element_id).text.strip()
    return int(text) if text.isdigit() else None


async def file_waiting(api_url: str) -> None:
    """One dossier intake waits on (a document missing) and one appraisal waits on (fees not
    paid): open work that stays open, for the work gauges."""
    rng = random.Random(5)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        procedures = (await client.get("/api/procedures")).raise_for_status().json()
        birth = next(p for p in procedures if p["code"] == "1.001193")  # at UBNDCL
        fee = next(p for p in procedures if p["code"] == "1.009972")  # SXD, fees, no liên thông
        await upload_sample_files(client, [birth, fee])
        for body in (sample_submission(birth, rng, complete=False),
                     sample_submission(fee, rng, pay_fees=False, channel="counter")):
            (await client.post("/api/dossiers", json=body)).raise_for_status()


def series(text: str, name: str) -> list[dict[str, str]]:
    """The label sets of every sample of `name` in an exposition text."""
    return [dict(re.findall(r'(\w+)="([^"]*)"', labels))
            for labels in re.findall(rf"^{name}\{{([^}}]*)\}} ", text, re.M)]


async def test_metrics_and_the_live_dashboard(infra):
    database_url, topic = await infra.isolated("dashboard")
    log_dir = ARTIFACTS / "logs" / "test_dashboard"
    log_dir.mkdir(parents=True, exist_ok=True)
    with running_stack(infra, database_url, topic, log_dir, operations=True) as stack:
        dashboard = stack.service("operations").http_url
        driver = await asyncio.to_thread(browser)
        try:
            await asyncio.to_thread(driver.get, dashboard + "/ky-thuat")
            await asyncio.to_thread(wait_until, driver,
                                    lambda d: figure(d, "delivered-today") is not None, 30,
                                    "the dashboard never showed its first figures")
            before = figure(driver, "delivered-today")
            driver.execute_script("window.notReloaded = true;")  # gone if the page reloads

            ids = await file_dossiers(stack.api_url, 4, seed=41)
            await file_waiting(stack.api_url)
            await wait_for_statuses(stack.api_url, ids, {10}, timeout=120)
            await asyncio.to_thread(
                wait_until, driver, lambda d: figure(d, "delivered-today") == before + 4, 30,
                "delivered today did not move on the page")
            assert driver.execute_script("return window.notReloaded === true;")
            # The services table is filled from the scrapes of every process.
            await asyncio.to_thread(
                wait_until, driver,
                lambda d: "hoạt động" in d.find_element("id", "services").text, 15,
                "the services table shows no running service")
            ARTIFACTS.mkdir(exist_ok=True)
            # Not signed in: the counts, and no dossier's code or id anywhere on the page.
            assert driver.find_element("id", "lists-locked").is_displayed()
            assert not driver.find_elements("css selector", "a.dossier-link")
            assert not any(i in driver.page_source for i in ids)
            driver.save_screenshot(str(ARTIFACTS / "dashboard-public.png"))

            driver.find_element("id", "token").send_keys(officer_token(
                Officer("dieu.hanh", "UBND", "admin")))
            # A poll or two while the token sits typed in the field: the page must not empty it.
            await asyncio.sleep(4.5)
            driver.find_element("css selector", "#sign-in button").click()
            await asyncio.to_thread(
                wait_until, driver,
                lambda d: d.find_elements("css selector", "#recent-list a.dossier-link"), 15,
                "the lists of dossiers did not show after signing in")
            assert "dieu.hanh" in driver.find_element("id", "signed-in").text
            driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))

            code = await asyncio.to_thread(
                wait_until, driver, open_first_dossier, 15, "no dossier link could be opened")
            await asyncio.to_thread(
                wait_until, driver,
                lambda d: "DossierSubmitted" in d.find_element("id", "timeline").text, 20,
                "the dossier's timeline did not show")
            assert "/dossiers/" in driver.current_url
            assert driver.find_element("id", "code").text == code
            # Its trace, from the span store: the filing request, then intake consuming it.
            await asyncio.to_thread(
                wait_until, driver,
                lambda d: "process DossierSubmitted" in d.find_element("id", "trace").text, 20,
                "the dossier's trace did not show")
            assert "POST /api/dossiers" in driver.find_element("id", "trace").text
            driver.save_screenshot(str(ARTIFACTS / "dashboard-dossier.png"))

            # The API documentation renders from the package's own assets (no CDN is reachable
            # from a closed network, nor from this machine).
            for page, rendered in (("/docs", ".swagger-ui .opblock"), ("/redoc", ".redoc-wrap")):
                await asyncio.to_thread(driver.get, stack.api_url + page)
                await asyncio.to_thread(
                    wait_until, driver,
                    lambda d, css=rendered: d.find_elements("css selector", css), 20,
                    f"{page} did not render")
                assert "/api/dossiers" in driver.find_element("tag name", "body").text
                driver.save_screenshot(str(ARTIFACTS / f"intake{page.replace('/', '-')}.png"))
        finally:
            await asyncio.to_thread(driver.quit)

        # The same processes' /metrics, as Prometheus and the dashboard read them.
        deadline = time.monotonic() + 20
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                texts = {s.name: (await client.get(s.metrics_url)).text for s in stack.services}
                intake_work = series(texts["intake"], "motcua_open_work_items")
                appraisal_work = series(texts["appraisal"], "motcua_open_work_items")
                if (intake_work and appraisal_work) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
    for name in ("intake", "appraisal", "delivery", "operations"):
        lag = series(texts[name], "motcua_consumer_lag")
        assert lag, f"{name} exposes no consumer lag"
        assert {(s["service"], s["group"], s["topic"]) for s in lag} == {(name, name, topic)}
        assert {int(s["partition"]) for s in lag} <= set(range(6))
        assert series(texts[name], "motcua_outbox_backlog") == [{"service": name}]
        assert series(texts[name], "motcua_parked_dossiers") == [{"service": name}]
    waiting_at_intake = {"service": "intake", "agency": "UBNDCL", "state": "waiting"}
    waiting_at_appraisal = {"service": "appraisal", "agency": "SXD", "state": "waiting"}
    assert waiting_at_intake in intake_work, intake_work
    assert waiting_at_intake in series(texts["intake"], "motcua_overdue_work_items")
    assert waiting_at_appraisal in appraisal_work, appraisal_work
    assert waiting_at_appraisal in series(texts["appraisal"], "motcua_overdue_work_items")
    assert series(texts["audit"], "motcua_consumer_lag"), "the archive exposes no lag"
    handled = series(texts["operations"], "motcua_event_handling_seconds_count")
    assert {"service": "operations", "type": "ResultDelivered"} in handled
