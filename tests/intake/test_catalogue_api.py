"""The catalogue and calendar endpoints on a real Postgres, through their own small app: the
router is what intake includes; officers' tokens come from the session's test issuer
(tests/officer_tokens.py)."""

from __future__ import annotations

import httpx
import jwt
import pytest
from fastapi import FastAPI

from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.catalogue import default_catalogue
from motcua_intake.filing.catalogue_api import create_catalogue_router
from motcua_runtime.db import create_engine
from motcua_runtime.http import install_error_handlers
from motcua_runtime.officers import Officer
from motcua_runtime.tokens import IssuerKey, ServiceTokens
from tests import officer_tokens
from tests.support import signer_of


def token(role: str, issuer: IssuerKey = officer_tokens.ISSUER) -> dict[str, str]:
    officer = Officer("officer-1", "STP", role)
    return {"Authorization": f"Bearer {officer_tokens.officer_token(officer, issuer=issuer)}"}


@pytest.fixture
async def client(infra):
    database_url, _ = await infra.isolated("catalogue_api")
    engine = create_engine(database_url)
    changes: list[int] = []

    async def changed() -> None:
        changes.append(1)

    app = FastAPI()
    app.include_router(create_catalogue_router(default_catalogue(), OverrideStore(engine),
                                               officer_tokens.current_officer(),
                                               on_calendar_change=changed))

    install_error_handlers(app, "catalogue")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as http:
        yield http, changes
    await engine.dispose()


async def test_a_procedure_in_full_and_a_404_for_an_unknown_one(client):
    http, _ = client
    body = (await http.get("/api/procedures/1.009975")).json()

    assert body["step_plan"][1] == {"stage": "appraisal", "hours": 64}
    assert body["limit"] == {"value": 12, "unit": "working_days"}
    assert body["fees"] == {"counter": 75000, "online": 75000}
    assert body["supplement_clock"] == "pause"
    assert body["coordinating_agencies"] == [{"code": "UBNDCL",
                                              "name": "Ủy ban nhân dân phường Cốc Lếu"}]
    missing = await http.get("/api/procedures/9.999999")
    assert missing.status_code == 404 and "9.999999" in missing.json()["detail"]


async def test_agencies_with_their_electronic_id_stages_and_office_hours(client):
    http, _ = client
    agencies = {a["code"]: a for a in (await http.get("/api/agencies")).json()}

    assert agencies["STP"]["electronic_id"] == "000.00.15.H38"
    assert agencies["CAPCL"]["office_hours"]["sat"] == [["07:00", "11:30"]]
    assert agencies["BUUDIEN"]["stages"] == ["intake", "delivery"]


async def test_an_admin_sets_and_removes_a_day_and_the_year_shows_it(client):
    http, changes = client
    put = await http.put("/api/calendar/2026-03-14", headers=token("admin"),
                         json={"working": True, "reason": "Làm bù"})
    assert put.status_code == 200, put.text

    days = {d["date"]: d for d in (await http.get("/api/calendar/2026")).json()["days"]}
    assert days["2026-03-14"] == {"date": "2026-03-14", "working": True, "reason": "Làm bù",
                                  "source": "override"}
    assert days["2026-02-17"]["source"] == "statutory"
    assert (await http.delete("/api/calendar/2026-03-14", headers=token("admin"))).status_code \
        == 204
    again = await http.delete("/api/calendar/2026-03-14", headers=token("admin"))
    assert again.status_code == 404 and "2026-03-14" in again.json()["detail"]
    assert changes == [1, 1]


@pytest.mark.parametrize("headers, status", [
    ({}, 401), (token("admin", issuer=IssuerKey.generate()), 401),
    (token("appraisal"), 403),
])
async def test_only_an_admin_may_edit_the_calendar(client, headers, status):
    http, changes = client
    response = await http.put("/api/calendar/2026-03-14", headers=headers,
                              json={"working": True, "reason": "x"})
    assert response.status_code == status and response.json()["detail"]
    assert changes == []


async def test_a_service_token_cannot_act_as_admin(client):
    """Any service holds its own key: its token, even addressed to intake, is never an admin's
    (403 with its own role; 401 when it claims the admin role, or any role not its own)."""
    http, changes = client
    signer = signer_of("approval")
    own = ServiceTokens(signer).for_audience("intake")
    claims = jwt.decode(own, options={"verify_signature": False})
    as_admin = signer.sign_token({**claims, "role": "admin", "agency": "*"})
    for token, status in ((own, 403), (as_admin, 401)):
        response = await http.put("/api/calendar/2026-03-14", json={"working": True,
                                  "reason": "x"}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, response.text
    assert changes == []


@pytest.mark.parametrize("method, path, body, field", [
    ("PUT", "/api/calendar/2026-02-30", {"working": True, "reason": "x"}, "day:"),
    ("PUT", "/api/calendar/2026-03-14", {"working": "perhaps", "reason": "x"}, "working:"),
    ("PUT", "/api/calendar/2026-03-14", {"working": True, "reason": " "}, "reason:"),
    ("PUT", "/api/calendar/2026-03-14", {"working": True}, "reason: Field required"),
    ("GET", "/api/calendar/1999", None, "year: Input should be greater than or equal to 2021"),
    ("GET", "/api/calendar/next", None, "year:"),
])
async def test_bad_input_is_a_422_naming_the_field(client, method, path, body, field):
    http, _ = client
    response = await http.request(method, path, json=body, headers=token("admin"))

    assert response.status_code == 422
    message = response.json().get("message") or response.json()["detail"]
    assert field in message


async def test_a_day_outside_the_calendars_years_is_not_found(client):
    http, _ = client
    response = await http.put("/api/calendar/3000-01-01", json={"working": True, "reason": "x"},
                              headers=token("admin"))
    assert response.status_code == 404 and "3000" in response.json()["detail"]
