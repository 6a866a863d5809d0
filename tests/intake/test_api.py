"""Intake's HTTP API on a real Postgres (no broker needed: a submission ends in the outbox).
Bad input is a 4xx whose message names the field; codes stay unique under concurrent intake."""

from __future__ import annotations

import asyncio
import random
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_intake.api import create_api
from motcua_intake.orm import OUTBOX
from motcua_runtime.db import create_engine
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import dossier_files, signer_of

PROCEDURE = default_catalogue().procedures["2.000488"].model_dump()


@pytest.fixture
async def api(infra):
    database_url, topic = await infra.isolated("api")
    engine = create_engine(database_url)
    woken = []
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: woken.append(1),
                     current_officer=officer_dependency(),
                     signer=signer_of("intake"),
                     files=dossier_files())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        await upload_sample_files(client, [PROCEDURE])
        yield client, engine, woken
    await engine.dispose()


def valid() -> dict:
    return sample_submission(PROCEDURE, random.Random(1))


async def test_a_valid_dossier_is_accepted_with_a_national_code_and_an_outbox_event(api):
    client, engine, woken = api
    submission = valid()
    response = await client.post("/api/dossiers", json=submission)
    assert response.status_code == 202
    body = response.json()
    assert re.fullmatch(r"000\.00\.15\.H38-\d{6}-0001", body["code"])
    assert body["status_url"] == f"/api/dossiers/{body['dossier_id']}"
    view = (await client.get(body["status_url"])).json()
    assert view["status"] == {"code": 1, "name": "Mới đăng ký"}
    # A code is guessable: following by code needs the applicant's ID number too.
    assert (await client.get(f"/api/dossiers/{body['code']}")).status_code == 404
    by_code = await client.get(f"/api/dossiers/{body['code']}",
                               params={"id_number": submission["applicant"]["id_number"]})
    assert by_code.json()["dossier_id"] == body["dossier_id"]
    async with engine.connect() as connection:
        keys = (await connection.scalars(select(OUTBOX.c.key))).all()
    assert keys == [body["dossier_id"].encode()] and woken == [1]


@pytest.mark.parametrize("change, field", [
    (lambda b: b.pop("channel"), "channel: Field required"),
    (lambda b: b["applicant"].update(id_number="12AB"), "applicant.id_number"),
    (lambda b: b["documents"][0].update(sha256="nope"), "documents.0.sha256"),
    (lambda b: b.update(delivery={"channel": "postal"}), "delivery.address is required"),
    (lambda b: b.update(surprise=1), "surprise: Extra inputs are not permitted"),
])
async def test_invalid_input_is_a_422_naming_the_field(api, change, field):
    client, _, _ = api
    body = valid()
    change(body)
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]


async def test_an_unknown_procedure_is_a_422_and_a_bad_body_is_not_a_500(api):
    client, _, _ = api
    response = await client.post("/api/dossiers", json=valid() | {"procedure_code": "9.999999"})
    assert response.status_code == 422
    assert "9.999999" in response.json()["detail"]
    garbage = await client.post("/api/dossiers", content=b"{oops",
                                headers={"content-type": "application/json"})
    assert garbage.status_code == 422
    assert garbage.json()["message"] == "the request body is not valid JSON"
    assert (await client.get("/api/dossiers/000.00.15.H38-000000-0000",
                             params={"id_number": "010203004567"})).status_code == 404


async def test_a_nul_character_is_a_422_and_stores_nothing(api):
    client, engine, _ = api
    body = valid()
    body["applicant"]["address"] = "Số 1\x00 Hoàng Liên"  # valid JSON; Postgres text refuses it
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 422 and "\\u0000" in response.json()["message"]
    async with engine.connect() as connection:
        assert (await connection.execute(select(OUTBOX))).all() == []


async def test_withdrawing_a_dossier_intake_has_not_recorded_yet_is_a_409(api):
    """Filed, but intake's consumer has not yet folded its DossierSubmitted (none runs here)."""
    client, _, _ = api
    body = valid()
    code = (await client.post("/api/dossiers", json=body)).json()["code"]
    response = await client.post(f"/api/dossiers/{code}/withdrawal", json={
        "id_number": body["applicant"]["id_number"], "reason": "nộp nhầm thủ tục"})
    assert response.status_code == 409
    assert "still being recorded" in response.json()["detail"]


async def test_concurrent_intake_gives_every_dossier_its_own_consecutive_code(api):
    client, _, _ = api
    responses = await asyncio.gather(*(client.post("/api/dossiers", json=valid())
                                       for _ in range(40)))
    assert {r.status_code for r in responses} == {202}
    counters = sorted(int(r.json()["code"].rsplit("-", 1)[1]) for r in responses)
    assert counters == list(range(1, 41))
