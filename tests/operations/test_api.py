"""The dashboard's HTTP side on a real Postgres: the overview counts what the projection holds
(open, overdue, due soon, per stage and agency, on-time share, throughput), a dossier's page
shows its timeline, and bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_operations.api import create_dashboard
from motcua_operations.projection import fold, started
from motcua_operations.scrape import Scraper, ServiceHealth
from motcua_runtime.db import create_engine
from tests.operations.test_projection import journey

# Two minutes into a Vietnam day: "today" and the last hour hold the same rows whenever it runs.
NOW = datetime.now(timezone(timedelta(hours=7))).replace(hour=0, minute=2).astimezone(
    timezone.utc)


@pytest.fixture(scope="module")
async def client(infra):
    database_url, _ = await infra.isolated("operations_api")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    # Delivered an hour ago, on time; accepted and now overdue; accepted and due in 3 hours.
    delivered = journey(signed_at=NOW - timedelta(hours=2), delivered_on_time=True)
    overdue = journey(signed_at=NOW, delivered_on_time=False)[:2]
    soon = journey(signed_at=NOW, delivered_on_time=False)[:2]
    async with sessions() as session, session.begin():
        for events, due in ((delivered, NOW + timedelta(days=1)),
                            (overdue, NOW - timedelta(hours=1)),
                            (soon, NOW + timedelta(hours=3))):
            view = started(events[0])
            session.add(view)
            for one in events:
                session.add(fold(view, one))
            view.due_at = due
            view.submitted_at = NOW - timedelta(seconds=2)
            if view.delivered_at:
                view.delivered_at = NOW - timedelta(seconds=1)
    scraper = Scraper({})
    scraper.latest = {"intake": ServiceHealth("intake", "http://i/metrics", up=True, lag=3,
                                              dead_letters=2)}
    app = create_dashboard(sessions, scraper, due_soon_hours=24,
                           agency_names={"STP": "Sở Tư pháp"}, clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        yield http, {"delivered": delivered[0].dossier_id, "overdue": overdue[0].dossier_id,
                     "soon": soon[0].dossier_id}
    await engine.dispose()


async def test_the_overview_counts_open_overdue_due_soon_and_on_time(client):
    http, ids = client
    body = (await http.get("/api/overview")).raise_for_status().json()

    assert body["totals"] == {"open": 2, "overdue": 1, "due_soon": 1, "submitted_today": 3,
                              "delivered_today": 1}
    assert [d["dossier_id"] for d in body["overdue"]] == [str(ids["overdue"])]
    assert [d["dossier_id"] for d in body["due_soon"]] == [str(ids["soon"])]
    assert {d["dossier_id"] for d in body["recent"]} == {str(i) for i in ids.values()}
    assert {x["stage"]: x["count"] for x in body["by_stage"]}["appraisal"] == 2
    [stp] = body["by_agency"]
    assert (stp["agency"], stp["name"], stp["open"], stp["overdue"], stp["due_soon"]) == (
        "STP", "Sở Tư pháp", 2, 1, 1)
    assert body["on_time"]["today"] == {"delivered": 1, "on_time": 1, "share": 1.0}
    assert sum(body["throughput"]["submitted"]) == 3
    assert sum(body["throughput"]["delivered"]) == 1
    assert body["services"][0]["lag"] == 3 and body["dead_letters"] == 2


async def test_a_dossier_shows_its_timeline(client):
    http, ids = client
    body = (await http.get(f"/api/dossiers/{ids['delivered']}")).raise_for_status().json()

    assert [e["type"] for e in body["timeline"]] == [
        "DossierSubmitted", "DossierAccepted", "DossierAppraised", "DossierApproved",
        "ResultSigned", "ResultDelivered"]
    assert body["status_code"] == 10 and body["on_time"] is True
    page = await http.get(f"/dossiers/{ids['delivered']}")
    assert page.status_code == 200 and 'id="trace"' in page.text and 'id="timeline"' in page.text


@pytest.mark.parametrize("path, status, message", [
    ("/api/dossiers/not-a-uuid", 422, "dossier_id"),
    ("/api/dossiers/12345", 422, "dossier_id"),
    (f"/api/dossiers/{uuid.uuid4()}", 404, "no dossier"),
    ("/api/dossiers/not-a-uuid/trace", 422, "dossier_id"),
    (f"/api/dossiers/{uuid.uuid4()}/trace", 404, "no spans stored"),
])
async def test_bad_input_is_a_4xx_with_a_message(client, path, status, message):
    http, _ = client
    response = await http.get(path)
    assert response.status_code == status
    assert message in response.json()["message"]


async def test_the_pages_and_their_scripts_are_served_from_the_package(client):
    http, _ = client
    page = await http.get("/")
    assert page.status_code == 200 and 'id="delivered-today"' in page.text
    for script in ("ui.js", "dashboard.js", "dossier.js", "style.css"):
        assert (await http.get(f"/static/{script}")).status_code == 200
    assert (await http.get("/static/nothing.js")).status_code == 404
    # Nothing the page needs comes from another host: the centre may be offline.
    assert "http" not in page.text.replace('http-equiv', '')
