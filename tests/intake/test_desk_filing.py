"""The one-stop desk files a dossier for a citizen at the counter (`POST /api/officer/dossiers`)
on a real Postgres: the desk officer uploads the scans with their token, files the portal's body
with channel `counter`, and the event records the officer as its actor and their agency as the
receiving unit (its e-ID prefixes the code), which then may read the dossier. Anyone else is
refused: no token 401, another role 403, another channel 422. The desk also files the supplement
a citizen brings to the counter (`POST /api/officer/dossiers/{code}/supplement`), the applicant's
path with the officer as actor."""

from __future__ import annotations

import json
import random
import uuid

from sqlalchemy import select

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission
from motcua_intake.orm import OUTBOX, Dossier
from tests.files.conftest import filesystem_store  # noqa: F401  (a fixture, used by name)
from tests.files.data import JPEG_BYTES, pdf_of
from tests.intake.test_officer_dossier import api  # noqa: F401  (the fixture, by name)
from tests.intake.tracking_rows import waiting_for_supplement
from tests.officer_tokens import bearer

CATALOGUE = default_catalogue()
PROCEDURE = CATALOGUE.procedures["2.000488"]  # STP's


async def counter_filing(client, headers: dict[str, str]) -> dict:
    """The desk's body: the scans uploaded with the officer's token, channel counter."""
    uploaded = await client.post("/api/files", headers=headers, files=[
        ("file", ("to-khai.pdf", pdf_of(4096), "application/pdf")),
        ("file", ("cccd.jpg", JPEG_BYTES, "image/jpeg"))])
    assert uploaded.status_code == 201, uploaded.text
    body = sample_submission(PROCEDURE.model_dump(), random.Random(4), channel="counter")
    body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in zip(
        PROCEDURE.required_documents, uploaded.json()["files"], strict=True)]
    return body


async def filed_event(engine, dossier_id: str) -> dict:
    async with engine.connect() as connection:
        values = (await connection.execute(select(OUTBOX.c.value))).scalars().all()
    [event] = [json.loads(v) for v in values if json.loads(v)["dossier_id"] == dossier_id]
    return event


async def test_the_desk_files_at_the_counter_as_the_officer_of_its_agency(api):  # noqa: F811
    client, engine = api
    desk = bearer("UBNDCL", "intake", "tiep.nhan")  # the ward's desk takes an STP dossier
    body = await counter_filing(client, desk)
    filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
    assert filed.status_code == 202, filed.text
    answer = filed.json()
    ward = CATALOGUE.agencies["UBNDCL"].electronic_id
    assert answer["code"].startswith(f"{ward}-")
    event = await filed_event(engine, answer["dossier_id"])
    assert event["type"] == "DossierSubmitted" and event["actor"] == "officer:tiep.nhan"
    assert event["channel"] == "counter" and event["agency"] == "STP"  # competent: STP
    assert event["code"] == answer["code"]
    assert [d["sha256"] for d in event["documents"]] == [d["sha256"] for d in body["documents"]]
    async with engine.connect() as connection:
        row = (await connection.execute(select(Dossier.channel, Dossier.agency).where(
            Dossier.id == uuid.UUID(answer["dossier_id"])))).one()
    assert tuple(row) == ("counter", "STP")
    # The receiving desk's agency took part: its officers read the dossier it received.
    view = await client.get(f"/api/officer/dossiers/{answer['code']}", headers=desk)
    assert view.status_code == 200, view.text
    assert (view.json()["receiving_unit"], view.json()["agency"]) == ("UBNDCL", "STP")
    assert view.json()["applicant"]["id_number"] == body["applicant"]["id_number"]
    # The portal's own filings are still the portal's, numbered by the competent agency.
    portal = await client.post("/api/dossiers", json=body)
    assert portal.status_code == 202, portal.text
    assert (await filed_event(engine, portal.json()["dossier_id"]))["actor"] == "portal"
    assert portal.json()["code"].startswith(CATALOGUE.agencies["STP"].electronic_id + "-")


async def test_a_retried_desk_filing_is_answered_once(api):  # noqa: F811
    client, _ = api
    desk = {**bearer("STP", "intake", "tiep.nhan"), "Idempotency-Key": str(uuid.uuid4())}
    body = await counter_filing(client, desk)
    first = await client.post("/api/officer/dossiers", json=body, headers=desk)
    again = await client.post("/api/officer/dossiers", json=body, headers=desk)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


async def test_only_a_desk_officer_files_and_only_at_the_counter(api):  # noqa: F811
    client, engine = api
    desk = bearer("STP", "intake", "tiep.nhan")
    body = await counter_filing(client, desk)
    assert (await client.post("/api/officer/dossiers", json=body)).status_code == 401
    specialist = await client.post("/api/officer/dossiers", json=body,
                                   headers=bearer("STP", "appraisal"))
    assert specialist.status_code == 403 and "role intake" in specialist.json()["detail"]
    unknown = await client.post("/api/officer/dossiers", json=body,
                                headers=bearer("NOWHERE", "intake"))
    assert unknown.status_code == 403 and "no one-stop desk" in unknown.json()["detail"]
    online = await client.post("/api/officer/dossiers", json={**body, "channel": "online"},
                               headers=desk)
    assert online.status_code == 422 and online.json()["detail"].startswith("channel:")
    missing = await client.post("/api/officer/dossiers", json={
        **body, "documents": [{"name": "Tờ khai", "sha256": "0" * 64}]}, headers=desk)
    assert missing.status_code == 422 and "which is not stored" in missing.json()["detail"]
    async with engine.connect() as connection:
        assert (await connection.execute(select(OUTBOX))).all() == []
    # The channel may be left out: the desk's is the counter.
    left_out = await client.post("/api/officer/dossiers", headers=desk, json={
        k: v for k, v in body.items() if k != "channel"})
    assert left_out.status_code == 202, left_out.text
    assert (await filed_event(engine, left_out.json()["dossier_id"]))["channel"] == "counter"


async def test_the_desk_files_the_supplement_a_citizen_brings_as_the_officer(api):  # noqa: F811
    client, engine = api
    desk = bearer("STP", "intake", "tiep.nhan")
    body = await counter_filing(client, desk)
    filed = (await client.post("/api/officer/dossiers", json=body, headers=desk)).json()
    code = filed["code"]
    uploaded = await client.post("/api/files", headers=desk, files=[
        ("file", ("bo-sung.pdf", pdf_of(3000), "application/pdf"))])
    brought = {"documents": [{"name": "Giấy tờ bổ sung",
                              "sha256": uploaded.json()["files"][0]["sha256"]}]}
    path = f"/api/officer/dossiers/{code}/supplement"
    early = await client.post(path, json=brought, headers=desk)
    assert early.status_code == 409 and "not waiting for a supplement" in early.text

    await waiting_for_supplement(engine, code)
    refusals = [
        (path, brought, {}, 401, ""),
        (path, brought, bearer("STP", "appraisal"), 403, "role intake"),
        (path, brought, bearer("SKHDT", "intake"), 403, "agency SKHDT"),
        (f"/api/officer/dossiers/{code}9/supplement", brought, desk, 404, "no dossier"),
        (path, {"documents": []}, desk, 422, "documents"),
        (path, {**brought, "id_number": "010203004567"}, desk, 422, "id_number"),
        (path, {"documents": [{"name": "X", "sha256": "0" * 64}]}, desk, 422, "not stored")]
    for url, sent, headers, status, message in refusals:
        refused = await client.post(url, json=sent, headers=headers)
        assert refused.status_code == status, (status, refused.text)
        assert message in refused.text
    assert [e for e in await outbox(engine) if e["type"] == "SupplementProvided"] == []

    taken = await client.post(path, json=brought, headers=desk)
    assert taken.status_code == 202, taken.text
    [event] = [e for e in await outbox(engine) if e["type"] == "SupplementProvided"]
    assert event["event_id"] == taken.json()["event_id"]
    # The applicant's path, as the officer: the same event, the officer its actor.
    assert event["actor"] == "officer:tiep.nhan" and event["resumes"] == "intake"
    assert event["documents"][0]["name"] == "Giấy tờ bổ sung"
    assert event["documents"][0]["size"] == 3000


async def outbox(engine) -> list[dict]:
    async with engine.connect() as connection:
        return [json.loads(v) for v in (await connection.execute(select(OUTBOX.c.value)))
                .scalars().all()]
