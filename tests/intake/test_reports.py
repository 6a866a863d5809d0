"""Reports on a constructed November 2025 on real Postgres: what was carried over, received by
channel, resolved early / on time / late, refused, in progress within its deadline or late, the
average processing time less waiting, the online share and satisfaction; JSON and CSV; only
managers (their agency) and administrators."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
import pytest

from motcua_runtime.db import create_engine
from motcua_runtime.officers import Officer
from tests.intake.tracking_rows import VN, dossier, entry, insert, rating, tracking_app
from tests.officer_tokens import officer_token

NOW = datetime(2025, 12, 5, 10, 0, tzinfo=VN)
NOVEMBER = {"from": "2025-11-01", "to": "2025-11-30"}


def at(day: str, hour: int = 17) -> datetime:
    return datetime.fromisoformat(f"2025-{day}T{hour:02d}:00:00+07:00")


# STP, Department of Justice.
CARRIED_LATE = dossier(received_at=at("10-20", 8), status=10, due_at=at("11-03"),
                       ended_at=at("11-05", 8), on_time=False)  # 96 working hours
EARLY = dossier(received_at=at("11-03", 9), status=10, channel="online", due_at=at("11-17"),
                ended_at=at("11-04", 10), on_time=True)  # 9 working hours, 2 of them waiting
ON_DUE_DAY = dossier(received_at=at("11-10", 8), status=9, due_at=at("11-24"),
                     ended_at=at("11-24", 10), on_time=True)  # 82 working hours
WITHIN = dossier(received_at=at("11-20", 8), status=4, channel="postal", due_at=at("12-04"))
RUNNING_LATE = dossier(received_at=at("11-12", 8), status=4, channel="online",
                       due_at=at("11-26"))
REFUSED = dossier(received_at=at("11-14", 8), status=3, ended_at=at("11-14", 9))
ENDED_BEFORE = dossier(received_at=at("10-01", 8), status=10, due_at=at("10-15"),
                       ended_at=at("10-10", 8), on_time=True)
AFTER = dossier(received_at=at("12-02", 8), status=2, due_at=at("12-16"))
# SKHDT, business registration: rescheduled (form 04), so late although before its appointment.
RESCHEDULED = dossier("SKHDT", received_at=at("11-05", 8), status=9, channel="online",
                      due_at=at("11-12"), rescheduled_from=at("11-10"),
                      ended_at=at("11-06", 8), on_time=False)
ROWS = [CARRIED_LATE, EARLY, ON_DUE_DAY, WITHIN, RUNNING_LATE, REFUSED, ENDED_BEFORE, AFTER,
        RESCHEDULED,
        entry(EARLY, "SupplementRequested", at("11-03", 14), "applicant", stage="appraisal"),
        entry(EARLY, "SupplementProvided", at("11-03", 16), "appraisal"),
        rating(EARLY, at("11-05", 9), [2] * 9, "very_satisfied"),
        rating(ON_DUE_DAY, at("11-25", 9), [1] * 9, "satisfied"),
        rating(ENDED_BEFORE, at("10-11", 9), [0] * 9, "not_satisfied")]  # before the period


def token(role: str, agency: str = "STP") -> dict[str, str]:
    return {"Authorization": "Bearer " + officer_token(Officer("mai", agency, role))}


@pytest.fixture(scope="module")
async def client(infra):
    database_url, _ = await infra.isolated("reports")
    engine = create_engine(database_url)
    await insert(engine, *ROWS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tracking_app(engine, NOW)),
                                 base_url="http://intake") as http:
        yield http
    await engine.dispose()


async def test_the_report_per_agency_counts_every_dossier_of_the_period_once(client):
    response = await client.get("/api/reports", params=NOVEMBER, headers=token("admin"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert [g["key"] for g in report["groups"]] == ["SKHDT", "STP"]
    justice = report["groups"][1]
    assert justice["name"] == "Sở Tư pháp tỉnh Lào Cai"
    assert justice["received"] == {"total": 6, "carried_over": 1, "online": 2, "counter": 2,
                                   "postal": 1, "other_unit": 0}
    assert justice["resolved"] == {"total": 3, "early": 1, "on_time": 1, "late": 1,
                                   "on_time_share": 66.7}
    assert (justice["refused"], justice["stopped"]) == (1, 0)
    assert justice["in_progress"] == {"total": 2, "within_deadline": 1, "late": 1}
    assert justice["average_processing_days"] == round((12 + 7 / 8 + 82 / 8) / 3, 2)
    assert justice["online_share"] == 40.0
    assert justice["satisfaction"] == {"ratings": 2, "average_score": 75.0, "very_satisfied": 1,
                                       "satisfied": 1, "not_satisfied": 0}
    business = report["groups"][0]
    assert business["resolved"]["late"] == 1 and business["received"]["online"] == 1
    assert report["total"]["received"]["total"] == 7
    assert report["total"]["resolved"]["late"] == 2


async def test_a_manager_sees_their_agency_only_and_fields_group_procedures(client):
    report = (await client.get("/api/reports", params=NOVEMBER | {"by": "field"},
                               headers=token("manager", "SKHDT"))).json()
    assert [(g["key"], g["received"]["total"]) for g in report["groups"]] == [
        ("Thành lập và hoạt động doanh nghiệp", 1)]
    by_procedure = (await client.get("/api/reports", params=NOVEMBER | {"by": "procedure"},
                                     headers=token("admin"))).json()
    assert [g["key"] for g in by_procedure["groups"]] == ["2.000488", "2.001610"]


async def test_the_csv_has_a_header_then_a_line_per_group_and_the_total(client):
    response = await client.get("/api/reports", params=NOVEMBER | {"format": "csv"},
                                headers=token("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert [line["key"] for line in lines] == ["SKHDT", "STP", "*"]
    justice = lines[1]
    assert justice["name"] == "Sở Tư pháp tỉnh Lào Cai"
    assert (justice["received.carried_over"], justice["resolved.early"],
            justice["in_progress.late"], justice["satisfaction.average_score"]) == (
        "1", "1", "1", "75.0")
    assert lines[0]["satisfaction.average_score"] == ""  # no rating: empty, not 0


async def test_reports_need_a_manager_or_an_administrator(client):
    assert (await client.get("/api/reports")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get("/api/reports", headers=bad)).status_code == 401
    forbidden = await client.get("/api/reports", headers=token("appraisal"))
    assert forbidden.status_code == 403 and "manager" in forbidden.json()["detail"]


@pytest.mark.parametrize("params, field", [
    ({"from": "2025-11-31"}, "from"),
    ({"by": "colour"}, "by"),
    ({"format": "xml"}, "format"),
    ({"from": "2025-11-30", "to": "2025-11-01"}, "to"),
])
async def test_bad_report_parameters_are_a_422_naming_them(client, params, field):
    response = await client.get("/api/reports", params=params, headers=token("admin"))
    assert response.status_code == 422
    body = response.json()
    message = body.get("message") or body["detail"]
    assert field in message
