"""The wallboard's HTTP side on a real Postgres: the centre's staff sign in with a workspace
account of role operations (or admin), and only then read the wallboard's figures and the
dossiers behind them; an administrator sets the thresholds that raise alarms; the service index
is public as JSON and CSV; the public pages name no dossier. Bad input is a 4xx with a
message."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_contracts import new_event
from motcua_contracts.intake import DossierRated
from motcua_operations.api import create_dashboard
from motcua_operations.orm import DossierView, TimelineRow
from motcua_operations.projection import fold, started
from motcua_operations.scrape import Scraper, ServiceHealth
from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from tests.fakes import by
from tests.officer_tokens import current_officer
from tests.operations.test_projection import journey

NOW = datetime.now(timezone(timedelta(hours=7))).replace(hour=10, minute=0).astimezone(
    timezone.utc)
PASSWORD = "mật khẩu đủ dài 2026"


@pytest.fixture(scope="module")
async def app(infra):
    database_url, _ = await infra.isolated("wallboard_api")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    for name, roles in (("dieuhanh", ["operations"]), ("quantri", ["admin"]),
                        ("thamdinh", ["appraisal"])):
        await add_account(sessions, agency="STP", roles=roles, user_name=name,
                          full_name=f"Cán bộ {name}", password=PASSWORD)
    delivered = journey(signed_at=NOW - timedelta(hours=3), delivered_on_time=False)
    rated = new_event(DossierRated, dossier_id=delivered[0].dossier_id, agency="STP",
                      producer=by("intake", "STP"), occurred_at=NOW - timedelta(hours=1),
                      indicators=[2, 2, 2, 2, 2, 2, 2, 2, 0], convenience="satisfied",
                      overall="satisfied")
    overdue = journey(signed_at=NOW, delivered_on_time=False)[:2]
    async with sessions() as session, session.begin():
        for events, due in ((delivered + [rated], NOW + timedelta(days=1)),
                            (overdue, NOW - timedelta(hours=1))):
            view = started(events[0])
            for one in events:
                session.add(TimelineRow(**fold(view, one).row()))
            view.due_at = due
            view.submitted_at = NOW - timedelta(hours=5)
            if view.delivered_at:
                view.delivered_at = NOW - timedelta(hours=2)
                # Received at a commune's desk; the other dossier's events are older than the
                # field (None): its code's e-ID (STP's) names its unit.
                view.receiving_unit = "UBNDCL"
            session.add(DossierView(**view.values()))  # the fold's row, as the view writes it
    scraper = Scraper({})
    scraper.latest = {"intake": ServiceHealth("intake", "http://i/metrics", up=True, lag=3,
                                              dead_letters=0),
                      "appraisal": ServiceHealth("appraisal", "http://a/metrics", up=False)}
    yield create_dashboard(sessions, scraper, due_soon_hours=24,
                           agency_names={"STP": "Sở Tư pháp"},
                           current_officer=current_officer("operations"), clock=lambda: NOW,
                           cookie_secure=False), delivered[0].dossier_id
    await engine.dispose()


@asynccontextmanager
async def signed_in(app, user_name: str, password: str = PASSWORD):
    """A browser that signed in through the form: (its client, the sign-in's answer)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        form = await http.get("/dang-nhap")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        answer = await http.post("/dang-nhap", data={"csrf_token": csrf, "ten": user_name,
                                                     "mat_khau": password, "tiep": "/"})
        yield http, answer


async def test_without_sign_in_the_wallboard_says_401_and_the_page_redirects(app):
    asgi, _ = app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi),
                                 base_url="http://test") as http:
        assert (await http.get("/api/wallboard")).status_code == 401
        assert (await http.get("/api/wallboard/dossiers?figure=overdue")).status_code == 401
        assert (await http.get("/")).headers["location"] == "/dang-nhap?tiep=/"
        # The filters the page keeps in its address come back after the sign-in.
        kept = await http.get("/?agency=STP&receiving_unit=UBNDCL&period=today")
        assert kept.headers["location"] == "/dang-nhap?tiep=" + quote(
            "/?agency=STP&receiving_unit=UBNDCL&period=today")
        # A sign-in without the form's own token is refused before any password is checked.
        refused = await http.post("/dang-nhap", data={"ten": "dieuhanh", "mat_khau": PASSWORD})
        assert refused.status_code == 403


@pytest.mark.parametrize("user_name, password", [("dieuhanh", "sai mật khẩu rồi"),
                                                 ("thamdinh", PASSWORD),  # not the centre's
                                                 ("khongco", PASSWORD)])
async def test_a_wrong_password_or_a_role_outside_the_centre_is_refused(app, user_name,
                                                                        password):
    async with signed_in(app[0], user_name, password) as (http, answer):
        assert answer.status_code == 401
        assert "vai trò operations" in answer.text
        assert (await http.get("/api/wallboard")).status_code == 401


async def test_the_wallboard_counts_what_the_view_holds(app):
    async with signed_in(app[0], "dieuhanh") as (http, answer):
        assert answer.status_code == 303
        assert (await http.get("/")).status_code == 200
        # Reloaded with its filters in the address (a bookmark of the wall's scope).
        assert (await http.get("/?agency=STP&field=&period=year")).status_code == 200
        assert (await http.get("/?colour=red")).status_code == 422  # not one of its filters
        body = (await http.get("/api/wallboard")).json()
    assert body["totals"]["overdue"] == 1 and body["totals"]["open"] == 1
    # The open dossier by status, beside its stage (the chips under the stages' chart).
    assert body["by_status"] == [{"code": 2, "name": "Được tiếp nhận", "count": 1}]
    assert body["on_time"]["today"] == {"delivered": 1, "on_time": 0, "share": 0.0}
    assert body["satisfaction"] == {"ratings": 1, "average_score": 88.9, "satisfied_share": 1.0}
    assert sum(body["throughput"]["submitted"]) == 2 and sum(body["trends"]["delivered"]) == 1
    late_first = body["procedures"][0]
    assert (late_first["late"], late_first["overdue"]) == (1, 1)
    assert not body["staff"]["admin"]
    tiles = {alarm["tile"] for alarm in body["alarms"]}
    # 0 % on time this month < 95 %, one overdue > 0, appraisal does not answer.
    assert {"on-time-month", "overdue", "service:appraisal"} <= tiles
    assert "dead-letters" not in tiles


async def test_a_figure_opens_its_dossiers_and_a_bad_filter_is_a_422(app):
    async with signed_in(app[0], "dieuhanh") as (http, _):
        overdue = (await http.get("/api/wallboard/dossiers?figure=overdue")).json()
        assert overdue["total"] == 1 and overdue["dossiers"][0]["code"]
        late = (await http.get("/api/wallboard/dossiers?figure=late&period=today")).json()
        assert late["dossiers"][0]["dossier_id"] == str(app[1])
        rated = (await http.get("/api/wallboard/dossiers?figure=rated&period=today")).json()
        assert [d["dossier_id"] for d in rated["dossiers"]] == [str(app[1])]
        # The dossier's timeline opens with the same session (no token needed).
        timeline = await http.get(f"/api/dossiers/{app[1]}")
        assert timeline.status_code == 200
        assert timeline.json()["timeline"][-1]["type"] == "DossierRated"
        for query, message in (("figure=everything", "query.figure: String should match"),
                               ("figure=status:11", "status:([1-9]|10)"),
                               ("figure=open&agency=NOPE", "no agency 'NOPE'"),
                               ("figure=open&period=decade", "")):
            answer = await http.get(f"/api/wallboard/dossiers?{query}")
            assert answer.status_code == 422 and message in answer.text


async def test_the_index_cells_open_the_dossiers_they_are_counted_over(app):
    """The wallboard's service index cells link to `index:<base>`: the same dossiers, as many
    as this month's index counts (the resolved, the received, the delivered), for the scope."""
    async with signed_in(app[0], "dieuhanh") as (http, _):
        for scope in ("", "&receiving_unit=UBNDCL", "&agency=SXD"):
            index = (await http.get(f"/api/wallboard?period=today{scope}")).json()["index"]
            for base in ("received", "resolved", "delivered"):
                behind = (await http.get(
                    f"/api/wallboard/dossiers?figure=index:{base}&period=today{scope}")).json()
                assert behind["total"] == index["province"][base], (scope, base)
                assert len(behind["dossiers"]) == behind["total"]
        # Not vacuous: the delivered dossier was resolved and delivered this month.
        index = (await http.get("/api/wallboard")).json()["index"]["province"]
        assert (index["resolved"], index["delivered"]) == (1, 1)
        resolved = (await http.get("/api/wallboard/dossiers?figure=index:resolved")).json()
        assert [d["dossier_id"] for d in resolved["dossiers"]] == [str(app[1])]
        answer = await http.get("/api/wallboard/dossiers?figure=index:rated")
        assert answer.status_code == 422 and "query.figure" in answer.text


async def test_the_receiving_unit_filter_counts_the_dossiers_received_there(app):
    month = NOW.astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m")
    async with signed_in(app[0], "dieuhanh") as (http, _):
        commune = (await http.get("/api/wallboard?receiving_unit=UBNDCL")).json()
        assert commune["totals"]["open"] == 0 and commune["on_time"]["today"]["delivered"] == 1
        assert commune["index"]["province"]["delivered"] == 1
        desk = (await http.get("/api/wallboard?receiving_unit=STP")).json()
        assert desk["totals"]["open"] == desk["totals"]["overdue"] == 1
        assert desk["on_time"]["today"]["delivered"] == 0
        behind = await http.get("/api/wallboard/dossiers?figure=overdue&receiving_unit=STP")
        assert behind.json()["total"] == 1
        elsewhere = (await http.get("/api/wallboard?receiving_unit=SXD")).json()
        assert elsewhere["totals"]["open"] == 0 and elsewhere["on_time"]["month"]["delivered"] == 0
        for path in ("/api/wallboard?receiving_unit=NOPE",
                     "/api/wallboard/dossiers?figure=open&receiving_unit=NOPE",
                     f"/api/index?period={month}&receiving_unit=NOPE"):
            answer = await http.get(path)
            assert answer.status_code == 422 and "no receiving unit 'NOPE'" in answer.text
        units = (await http.get("/api/filters")).json()["units"]
        assert {"code": "UBNDCL", "name": "Ủy ban nhân dân phường Cốc Lếu"} in units
        index = (await http.get(f"/api/index?period={month}&receiving_unit=UBNDCL")).json()
        assert index["province"]["delivered"] == 1


async def test_only_an_administrator_sets_thresholds_and_they_raise_alarms(app):
    async with signed_in(app[0], "dieuhanh") as (http, _):
        csrf = (await http.get("/api/wallboard")).json()["staff"]["csrf_token"]
        answer = await http.put("/api/thresholds", json={"overdue_max": 5},
                                headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 403
    async with signed_in(app[0], "quantri") as (http, _):
        csrf = (await http.get("/api/wallboard")).json()["staff"]["csrf_token"]
        assert (await http.put("/api/thresholds", json={"overdue_max": 5})).status_code == 403
        for body, message in (({"overdue_max": -1}, "from 0"), ({"nope": 1}, "no threshold"),
                              ({"overdue_max": "5"}, "a number"), ([], "JSON object")):
            answer = await http.put("/api/thresholds", json=body,
                                    headers={"X-CSRF-Token": csrf})
            assert answer.status_code == 422 and message in answer.text
        answer = await http.put("/api/thresholds", json={"overdue_max": 5,
                                                         "on_time_share_min": 0},
                                headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200 and answer.json()["overdue_max"]["value"] == 5
        tiles = {a["tile"] for a in (await http.get("/api/wallboard")).json()["alarms"]}
        assert "overdue" not in tiles and "on-time-month" not in tiles
        await http.put("/api/thresholds", json={"overdue_max": 0, "on_time_share_min": 95},
                       headers={"X-CSRF-Token": csrf})


async def test_the_index_is_public_as_json_and_csv(app):
    asgi, _ = app
    month = NOW.astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi),
                                 base_url="http://test") as http:
        body = (await http.get(f"/api/index?period={month}&by=agency")).json()
        assert body["period"] == month and body["province"]["delivered"] == 1
        assert body["province"]["ratings"] == 1 and body["groups"][0]["key"] == "STP"
        csv = await http.get(f"/api/index?period={month}&format=csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("period,key,name,received")
        bad = await http.get("/api/index?period=2026-13")
        assert bad.status_code == 422 and "query.period: String should match" in bad.text
        # The document declares what the 422 enforces: a month or a quarter, a figure's form.
        document = (await http.get("/openapi.json")).json()["paths"]
        declared = {p["name"]: p["schema"] for p in document["/api/index"]["get"]["parameters"]}
        assert re.fullmatch(_pattern(declared["period"]), "2026-Q4")
        assert not re.fullmatch(_pattern(declared["period"]), "2026-00")
        assert declared["format"]["enum"] == ["json", "csv"]
        figure = next(p["schema"] for p in
                      document["/api/wallboard/dossiers"]["get"]["parameters"]
                      if p["name"] == "figure")
        assert re.fullmatch(figure["pattern"], "status:10")
        assert not re.fullmatch(figure["pattern"], "everything")


def _pattern(schema: dict) -> str:
    """A parameter's pattern, the schema optional (anyOf with null) or not."""
    return next(s["pattern"] for s in schema.get("anyOf", [schema]) if "pattern" in s)


async def test_the_public_pages_show_figures_and_procedures_and_no_dossier(app):
    asgi, dossier_id = app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi),
                                 base_url="http://test") as http:
        province = await http.get("/cong-khai")
        agency = await http.get("/cong-khai/STP")
        missing = await http.get("/cong-khai/NOPE")
    assert province.status_code == 200 and agency.status_code == 200
    assert 'http-equiv="refresh"' in province.text and "Phí, lệ phí" in province.text
    assert "Sở Tư pháp" in agency.text and "ngày làm việc" in agency.text
    assert missing.status_code == 404 and "Không tìm thấy cơ quan" in missing.text
    for page in (province.text, agency.text):
        assert str(dossier_id) not in page and "000.00.15.H38" not in page
        assert "Trần Thị Bình" not in page


async def test_the_ii06a_report_is_compiled_from_the_view_for_the_filters(app):
    asgi, _ = app
    today = NOW.astimezone(timezone(timedelta(hours=7))).date()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi),
                                 base_url="http://test") as http:
        assert (await http.get("/api/report")).status_code == 401
        away = await http.get("/bao-cao?receiving_unit=UBNDCL")
        assert away.headers["location"] == "/dang-nhap?tiep=" + quote(
            "/bao-cao?receiving_unit=UBNDCL")
    async with signed_in(app[0], "dieuhanh") as (http, _):
        body = (await http.get("/api/report?by=receiving_unit")).json()
        assert body["from"] == today.replace(day=1).isoformat() and body["to"] == str(today)
        total = body["total"]
        # Both received on the journey's Monday, before this month: carried over. The delivered
        # one resolved late (delivery said so), the other in progress past its appointment.
        assert total["received"]["total"] == total["received"]["carried_over"] == 2
        assert total["resolved"] == {"total": 1, "early": 0, "on_time": 0, "late": 1,
                                     "on_time_share": 0.0}
        assert total["in_progress"] == {"total": 1, "within_deadline": 0, "late": 1}
        assert total["satisfaction"]["ratings"] == 1
        assert total["satisfaction"]["average_score"] == 88.9
        # By receiving unit: the commune's desk, and STP's own (no unit recorded: its own).
        assert [g["key"] for g in body["groups"]] == ["STP", "UBNDCL"]
        assert body["groups"][1]["received"]["other_unit"] == 1
        commune = (await http.get("/api/report?receiving_unit=UBNDCL")).json()["total"]
        assert commune["received"]["total"] == 1 and commune["resolved"]["total"] == 1
        csv = await http.get("/api/report?format=csv&by=procedure")
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("key,name,received.total")
        page = await http.get("/bao-cao?theo=receiving_unit&receiving_unit=UBNDCL")
        assert page.status_code == 200 and 'id="bao-cao"' in page.text
        assert "Mẫu II.06a" in page.text and "tiếp nhận tại Ủy ban nhân dân phường Cốc Lếu" \
            in page.text
        assert 'data-key="UBNDCL"' in page.text and "Trần Thị Bình" not in page.text
        for path, message in (("/api/report?from=2026-12-05&to=2026-12-01", "must not be"),
                              ("/api/report?receiving_unit=NOPE", "no receiving unit"),
                              ("/api/report?by=everything", "")):
            answer = await http.get(path)
            assert answer.status_code == 422 and message in answer.text
        bad = await http.get("/bao-cao?tu=hôm-qua")
        assert bad.status_code == 422 and "không hợp lệ" in bad.text and "tu:" in bad.text
