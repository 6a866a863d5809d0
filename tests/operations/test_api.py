"""The dashboard's HTTP side on a real Postgres: the overview counts what the projection holds
(open, overdue, due soon, per stage and agency, on-time share, throughput) for anyone, and names
no dossier; the lists of dossiers and a dossier's timeline and trace are for a signed-in officer
of its agency (or an admin); bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_operations.api import create_dashboard
from motcua_operations.orm import DossierView, TimelineRow
from motcua_operations.projection import fold, started
from motcua_operations.scrape import Scraper, ServiceHealth
from motcua_runtime.db import create_engine
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES
from motcua_runtime.officers import Officer
from motcua_runtime.tokens import ServiceTokens
from tests.officer_tokens import current_officer, officer_token
from tests.operations.test_projection import journey
from tests.support import signer_of

# Two minutes into a Vietnam day: "today" and the last hour hold the same rows whenever it runs.
NOW = datetime.now(timezone(timedelta(hours=7))).replace(hour=0, minute=2).astimezone(
    timezone.utc)


def bearer(agency: str, role: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + officer_token(Officer("lan", agency, role))}


STP_OFFICER, ADMIN = bearer("STP", "appraisal"), bearer("UBND", "admin")


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
            for one in events:
                session.add(TimelineRow(**fold(view, one).row()))
            view.due_at = due
            view.submitted_at = NOW - timedelta(seconds=2)
            if view.delivered_at:
                view.delivered_at = NOW - timedelta(seconds=1)
            session.add(DossierView(**view.values()))  # the fold's row, as the view writes it
    scraper = Scraper({})
    scraper.latest = {"intake": ServiceHealth("intake", "http://i/metrics", up=True, lag=3,
                                              dead_letters=2, parked_dossiers=1),
                      "portal": ServiceHealth("portal", "http://p/metrics", up=True,
                                              portal_failing=2)}
    app = create_dashboard(sessions, scraper, due_soon_hours=24,
                           agency_names={"STP": "Sở Tư pháp"},
                           current_officer=current_officer("operations"), clock=lambda: NOW)
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
    lists = (await http.get("/api/overview/dossiers", headers=STP_OFFICER)).raise_for_status()
    assert [d["dossier_id"] for d in lists.json()["overdue"]] == [str(ids["overdue"])]
    assert [d["dossier_id"] for d in lists.json()["due_soon"]] == [str(ids["soon"])]
    assert {d["dossier_id"] for d in lists.json()["recent"]} == {str(i) for i in ids.values()}
    assert {x["stage"]: x["count"] for x in body["by_stage"]}["appraisal"] == 2
    [stp] = body["by_agency"]
    assert (stp["agency"], stp["name"], stp["open"], stp["overdue"], stp["due_soon"]) == (
        "STP", "Sở Tư pháp", 2, 1, 1)
    assert body["on_time"]["today"] == {"delivered": 1, "on_time": 1, "share": 1.0}
    assert sum(body["throughput"]["submitted"]) == 3
    assert sum(body["throughput"]["delivered"]) == 1
    assert body["services"][0]["lag"] == 3 and body["dead_letters"] == 2
    assert body["parked_dossiers"] == 1 and body["portal_failing"] == 2


async def test_a_dossier_shows_its_timeline(client):
    http, ids = client
    body = (await http.get(f"/api/dossiers/{ids['delivered']}", headers=STP_OFFICER)
            ).raise_for_status().json()

    assert [e["type"] for e in body["timeline"]] == [
        "DossierSubmitted", "DossierAccepted", "DossierAppraised", "DossierApproved",
        "ResultSigned", "ResultDelivered"]
    assert body["status_code"] == 10 and body["on_time"] is True
    page = await http.get(f"/dossiers/{ids['delivered']}")
    assert page.status_code == 200 and 'id="trace"' in page.text and 'id="timeline"' in page.text


@pytest.mark.parametrize("path, status, message", [
    ("/api/dossiers/not-a-uuid", 422, "dossier_id"),
    ("/api/dossiers/12345", 422, "dossier_id"),
    ("/api/dossiers/3f259db8-2f47-431c-84b6-19931359d4db", 404, "no dossier"),
    ("/api/dossiers/not-a-uuid/trace", 422, "dossier_id"),
    ("/api/dossiers/4fe09ae7-56e6-4e71-a291-b4cf8e5de32e/trace", 404, "no spans stored"),
])
async def test_bad_input_is_a_4xx_with_a_message(client, path, status, message):
    http, _ = client
    response = await http.get(path, headers=ADMIN)
    assert response.status_code == status
    assert message in response.json()["message"]


async def test_the_pages_and_their_scripts_are_served_from_the_package(client):
    http, _ = client
    page = await http.get("/ky-thuat")
    assert page.status_code == 200 and 'id="delivered-today"' in page.text
    # The wallboard is for the centre's staff: without a session, to the sign-in.
    wall = await http.get("/")
    assert wall.status_code == 303 and wall.headers["location"] == "/dang-nhap?tiep=/"
    for script in ("ui.js", "dashboard.js", "dossier.js", "style.css"):
        assert (await http.get(f"/static/{script}")).status_code == 200
    assert (await http.get("/static/nothing.js")).status_code == 404
    # Nothing the page needs comes from another host: the centre may be offline.
    assert "http" not in page.text.replace('http-equiv', '')


async def test_a_body_over_the_limit_is_a_413_with_a_message(client):
    http, _ = client
    response = await http.post("/api/overview", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert "bytes this API accepts" in response.json()["message"]


async def test_without_an_officers_token_nothing_names_a_dossier(client):
    http, ids = client
    overview = await http.get("/api/overview")
    assert overview.status_code == 200
    assert not {"overdue", "due_soon", "recent"} & overview.json().keys()
    for dossier_id in ids.values():
        assert str(dossier_id) not in overview.text
    delivered = ids["delivered"]
    for path in ("/api/overview/dossiers", f"/api/dossiers/{delivered}",
                 f"/api/dossiers/{delivered}/trace"):
        for headers in ({}, {"Authorization": "Bearer forged.token.here"},
                        {"Authorization": "Basic bGFuOmxhbg=="}):
            refused = await http.get(path, headers=headers)
            assert refused.status_code == 401, (path, headers, refused.text)
            assert str(delivered) not in refused.text
        # A service's own token, addressed to operations: still no officer.
        token = ServiceTokens(signer_of("intake")).for_audience("operations")
        service = await http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert service.status_code == 403


async def test_an_officer_sees_only_their_agencys_dossiers_and_an_admin_all(client):
    http, ids = client
    other = bearer("SXD", "appraisal")
    lists = (await http.get("/api/overview/dossiers", headers=other)).raise_for_status().json()
    assert lists == {"overdue": [], "due_soon": [], "recent": []}
    assert (await http.get(f"/api/dossiers/{ids['soon']}", headers=other)).status_code == 404
    assert (await http.get(f"/api/dossiers/{ids['soon']}/trace", headers=other)).status_code \
        == 404
    everything = (await http.get("/api/overview/dossiers", headers=ADMIN)).json()
    assert {d["dossier_id"] for d in everything["recent"]} == {str(i) for i in ids.values()}
    assert (await http.get(f"/api/dossiers/{ids['soon']}", headers=ADMIN)).status_code == 200
