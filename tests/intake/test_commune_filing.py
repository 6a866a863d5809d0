"""Filing a commune-level dossier on the shipped catalogue of the merged Lào Cai province, on a
real Postgres: the filing names the applicant's commune (`commune`), whose People's Committee
(or police) becomes the dossier's competent agency, the agency its events are addressed to;
the code keeps the receiving unit's e-ID. A commune desk files for its own commune when none is
named; the portal must name one; a commune that is unknown, not a commune, or has no unit of
the procedure's kind is a 422 with the reason, and nothing is stored."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_cli.samples import sample_submission
from motcua_files import FilesSettings
from motcua_intake.api import create_api
from motcua_intake.files.documents import DossierFiles
from motcua_intake.handlers import Intake
from motcua_intake.orm import OUTBOX, Dossier
from motcua_runtime.db import create_engine
from motcua_runtime.stage import Emitter
from tests.catalogue.test_communes import LAO_CAI
from tests.fakes import FakeDossiers, by, emitted
from tests.files.conftest import filesystem_store  # noqa: F401  (a fixture, used by name)
from tests.files.data import pdf_of
from tests.officer_tokens import bearer
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import signer_of

BIRTH, RESIDENCE, BUSINESS = "1.001193", "1.004194", "2.001610"


@pytest.fixture
async def api(infra, filesystem_store):  # noqa: F811
    database_url, topic = await infra.isolated("commune_filing")
    engine = create_engine(database_url)
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), LAO_CAI,
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=DossierFiles(filesystem_store, FilesSettings()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        yield client, engine
    await engine.dispose()


async def body_for(client: httpx.AsyncClient, code: str, headers: dict[str, str] | None = None,
                   **changes: Any) -> dict[str, Any]:
    procedure = await listed(client, code)
    uploaded = await client.post("/api/files", headers=headers or {}, files=[
        ("file", (f"scan-{n}.pdf", pdf_of(3000 + n), "application/pdf"))
        for n in range(len(procedure["required_documents"]))])
    assert uploaded.status_code == 201, uploaded.text
    body = sample_submission(procedure, random.Random(5), channel="online", delivery="online")
    body["documents"] = [{"name": name, "sha256": f["sha256"]} for name, f in zip(
        procedure["required_documents"], uploaded.json()["files"], strict=True)]
    body.pop("commune", None)
    return {**body, **changes}


async def listed(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    """The procedure as `GET /api/procedures` lists it (the communes a filing may name)."""
    return next(p for p in (await client.get("/api/procedures")).json() if p["code"] == code)


async def submitted(engine, dossier_id: str) -> dict[str, Any]:
    async with engine.connect() as connection:
        values = (await connection.execute(select(OUTBOX.c.value))).scalars().all()
    [event] = [e for e in map(json.loads, values) if e["dossier_id"] == dossier_id]
    return event


async def test_the_portal_files_a_birth_for_the_applicants_commune(api):
    client, engine = api
    birth = await listed(client, BIRTH)
    assert {"code": "UBNDPYB", "name": "Ủy ban nhân dân phường Yên Bái", "competent_agency": {
        "code": "UBNDPYB", "name": "Ủy ban nhân dân phường Yên Bái"}} in birth["communes"]
    assert (await listed(client, BUSINESS))["communes"] == []
    filed = await client.post("/api/dossiers", json=await body_for(client, BIRTH,
                                                                     commune="UBNDPYB"))
    assert filed.status_code == 202, filed.text
    event = await submitted(engine, filed.json()["dossier_id"])
    assert (event["agency"], event["receiving_unit"]) == ("UBNDPYB", "UBNDPYB")
    yen_bai = LAO_CAI.agencies["UBNDPYB"].electronic_id
    assert filed.json()["code"].startswith(f"{yen_bai}-")  # online: numbered by the commune


async def test_a_commune_desk_receives_for_another_communes_police(api):
    """Cam Đường's desk receives a temporary residence of phường Yên Bái: handled by the
    police of Yên Bái, numbered by Cam Đường."""
    client, engine = api
    desk = bearer("UBNDPCD", "intake", "tiep.nhan.cd")
    body = await body_for(client, RESIDENCE, desk, channel="counter", commune="UBNDPYB")
    filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
    assert filed.status_code == 202, filed.text
    event = await submitted(engine, filed.json()["dossier_id"])
    assert (event["agency"], event["receiving_unit"]) == ("CAPYB", "UBNDPCD")
    assert filed.json()["code"].startswith(LAO_CAI.agencies["UBNDPCD"].electronic_id + "-")
    # Without a commune, the desk's own commune handles it.
    own = await client.post("/api/officer/dossiers", headers=desk, json=await body_for(
        client, BIRTH, desk, channel="counter"))
    assert own.status_code == 202, own.text
    assert (await submitted(engine, own.json()["dossier_id"]))["agency"] == "UBNDPCD"


@pytest.mark.parametrize("code, commune, reason", [
    (BIRTH, None, "commune: procedure 1.001193 (Đăng ký khai sinh) is a commune-level "
                  "procedure, handled by the applicant's commune: name the commune"),
    (BIRTH, "UBNDXYZ", "commune: 'UBNDXYZ' is not an agency of the catalogue in force"),
    (BIRTH, "STC", "is not a commune-level unit"),
    (RESIDENCE, "UBNDPCD", "Ủy ban nhân dân phường Cam Đường has no Công an unit"),
    (BUSINESS, "UBNDPYB", "procedure 2.001610 is handled at provincial level by STC"),
])
async def test_a_commune_that_cannot_handle_it_is_a_422_and_nothing_is_stored(
        api, code, commune, reason):
    client, engine = api
    body = await body_for(client, code, **({"commune": commune} if commune else {}))
    refused = await client.post("/api/dossiers", json=body)
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["message"]
    async with engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(Dossier))).scalar() == 0


async def test_a_malformed_commune_is_a_422_naming_the_field(api):
    client, _ = api
    refused = await client.post("/api/dossiers", json=await body_for(
        client, BIRTH, commune="phường Yên Bái"))
    assert refused.status_code == 422
    assert "commune" in refused.text


def test_the_commune_polices_own_hours_count_its_deadlines():
    """Công an phường Yên Bái also works on Saturday mornings (the catalogue's office hours):
    a temporary residence routed to it is counted on its calendar, not the province's."""
    from datetime import datetime

    from motcua_catalogue.working_time import VIETNAM
    from motcua_contracts.intake import DossierAccepted
    from tests.intake.test_handlers import submitted as filed_event

    calendars = {code: WorkingCalendar(agency.office_hours)
                 for code, agency in LAO_CAI.agencies.items()}
    friday = datetime(2025, 11, 28, 16, 0, tzinfo=VIETNAM)
    due = {}
    # The same dossier at the police, counted on its own hours, and on the province's alone
    # (the police is the only unit a residence may go to: the committee would be refused).
    for name, own in (("police", calendars), ("province", {})):
        intake = Intake(LAO_CAI, WorkingCalendar(), agency_calendars=own)
        dossiers, emitter = FakeDossiers(), Emitter(by("intake", "CAPYB"), "t")
        event = filed_event(LAO_CAI.procedures[RESIDENCE], received_at=friday).model_copy(
            update={"agency": "CAPYB"})
        intake.on_submitted(event, dossiers, emitter)
        [accepted] = emitted(emitter)
        assert isinstance(accepted, DossierAccepted) and accepted.agency == "CAPYB"
        due[name] = accepted.dossier.step_due_at["intake"]
    # Intake's 4 hours from Friday 16:00: one hour Friday, then Saturday morning at the
    # police; Monday on the province's calendar.
    assert due["police"] == datetime(2025, 11, 29, 10, 0, tzinfo=VIETNAM)
    assert due["province"] == datetime(2025, 12, 1, 10, 0, tzinfo=VIETNAM)
