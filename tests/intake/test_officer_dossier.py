"""An officer's view of a dossier through intake's API on a real Postgres: the officers of the
agencies that took part (the competent one, a consulted one) read the applicant opened from its
seal, the form data, the documents with their download paths and the timeline; another agency
gets 403 naming why, no token 401, an unknown code 404; once erased, the applicant is null."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission
from motcua_files import FilesSettings
from motcua_intake.api import create_api
from motcua_intake.files.documents import DossierFiles
from motcua_intake.orm import TimelineEntry
from motcua_privacy import erase_key
from motcua_runtime.db import create_engine
from tests.files.conftest import filesystem_store  # noqa: F401  (the store's fixture, by name)
from tests.files.data import JPEG_BYTES, pdf_of
from tests.officer_tokens import bearer
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import signer_of

CATALOGUE = default_catalogue()
PROCEDURE = CATALOGUE.procedures["2.000488"]  # STP's


@pytest.fixture
async def api(infra, filesystem_store):  # noqa: F811
    database_url, topic = await infra.isolated("officer_view")
    engine = create_engine(database_url)
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), CATALOGUE,
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=DossierFiles(filesystem_store, FilesSettings()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        yield client, engine
    await engine.dispose()


async def file_one(client) -> tuple[dict, dict, list[dict]]:
    """A dossier filed with two uploaded files: (its body, the answer, the stored files)."""
    uploaded = await client.post("/api/files", files=[
        ("file", ("Tờ khai.pdf", pdf_of(2048), "application/pdf")),
        ("file", ("CCCD.jpg", JPEG_BYTES, "image/jpeg"))])
    assert uploaded.status_code == 201, uploaded.text
    files = uploaded.json()["files"]
    body = sample_submission(PROCEDURE.model_dump(), random.Random(9), channel="counter")
    body["documents"] = [{"name": name, "sha256": file["sha256"]}
                         for name, file in zip(PROCEDURE.required_documents, files, strict=True)]
    filed = await client.post("/api/dossiers", json=body)
    assert filed.status_code == 202, filed.text
    return body, filed.json(), files


async def add_entry(engine, dossier_id: str, type: str, **columns) -> None:
    """A row of the tracking view, as intake's consumer writes it when the event comes back."""
    async with engine.begin() as connection:
        await connection.execute(TimelineEntry.__table__.insert().values(
            event_id=uuid.uuid4(), dossier_id=uuid.UUID(dossier_id), type=type,
            at=datetime.now(timezone.utc) + timedelta(seconds=columns.pop("later", 0)),
            **{"agency": "STP", "stage": "intake", "actor": "auto", **columns}))


async def test_an_officer_of_the_competent_agency_reads_the_dossier_whole(api):
    client, engine = api
    body, answer, files = await file_one(client)
    code = answer["code"]
    await add_entry(engine, answer["dossier_id"], "DossierSubmitted", status_code=1,
                    actor="portal")
    await add_entry(engine, answer["dossier_id"], "SupplementRequested", stage="appraisal",
                    actor="officer:chuyen.vien", status_code=5, later=1,
                    note="Thiếu bản sao (Giấy phép) — hạn bổ sung 17:00 10/12/2026")
    response = await client.get(f"/api/officer/dossiers/{code}",
                                headers=bearer("STP", "appraisal", "chuyen.vien"))
    assert response.status_code == 200, response.text
    view = response.json()
    assert {k: view[k] for k in ("dossier_id", "code", "procedure_code", "procedure_name",
                                 "agency", "receiving_unit", "channel")} == {
        "dossier_id": answer["dossier_id"], "code": code, "procedure_code": PROCEDURE.code,
        "procedure_name": PROCEDURE.name, "agency": "STP", "receiving_unit": "STP",
        "channel": "counter"}
    assert view["status"] == {"code": 1, "label": "Mới đăng ký"}
    assert view["received_at"] and "due_at" in view
    applicant = body["applicant"]
    assert view["applicant"] == {**{k: applicant.get(k) for k in (
        "full_name", "id_number", "phone", "email", "address")},
        "delivery_address": body["delivery"].get("address")}
    assert view["personal_data_erased"] is False
    assert view["data"] == body["data"]
    assert view["documents"] == [
        {"name": name, "sha256": f["sha256"], "size": f["size"], "media_type": f["media_type"],
         "url": f"/api/officer/dossiers/{code}/files/{f['sha256']}"}
        for name, f in zip(PROCEDURE.required_documents, files, strict=True)]
    assert [(t["type"], t["actor"], t["status"]) for t in view["timeline"]] == [
        ("DossierSubmitted", "portal", {"code": 1, "label": "Mới đăng ký"}),
        ("SupplementRequested", "officer:chuyen.vien",
         {"code": 5, "label": "Yêu cầu bổ sung giấy tờ"})]
    assert all(t["occurred_at"] for t in view["timeline"])
    assert view["supplements"] == [{
        "kind": "requested", "occurred_at": view["timeline"][1]["occurred_at"],
        "stage": "appraisal", "actor": "officer:chuyen.vien",
        "note": "Thiếu bản sao (Giấy phép) — hạn bổ sung 17:00 10/12/2026"}]
    # A document's url is the officer's download, and it serves the file.
    download = await client.get(view["documents"][1]["url"],
                                headers=bearer("STP", "appraisal", "chuyen.vien"))
    assert download.status_code == 200 and download.content == JPEG_BYTES


async def test_another_agency_a_service_no_token_and_an_unknown_code_are_refused(api):
    client, engine = api
    _, answer, _ = await file_one(client)
    url = f"/api/officer/dossiers/{answer['code']}"
    no_token = await client.get(url)
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"] == "Bearer"
    other = await client.get(url, headers=bearer("SXD", "appraisal", "nguoi.ngoai"))
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"
    assert "not held, nor was it, by a stage of agency SXD" in other.json()["detail"]
    unknown = await client.get("/api/officer/dossiers/000.00.00.H00-261203-9999",
                               headers=bearer("STP", "appraisal"))
    assert unknown.status_code == 404 and "no dossier" in unknown.json()["detail"]
    # A consultation addressed to CAT opens the dossier to CAT's officers, as its files.
    assert (await client.get(url, headers=bearer("CAT", "appraisal"))).status_code == 403
    await add_entry(engine, answer["dossier_id"], "ConsultationRequested", stage="appraisal",
                    addressed_to="CAT")
    consulted = await client.get(url, headers=bearer("CAT", "appraisal"))
    assert consulted.status_code == 200 and consulted.json()["applicant"] is not None


async def test_once_erased_the_applicant_is_null_and_the_rest_is_kept(api):
    client, engine = api
    body, answer, _ = await file_one(client)
    async with engine.begin() as connection:
        await erase_key(connection, uuid.UUID(answer["dossier_id"]), reason="yêu cầu",
                        erased_by="admin", lawful_request=True)
    response = await client.get(f"/api/officer/dossiers/{answer['code']}",
                                headers=bearer("STP", "approval", "lanh.dao"))
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["applicant"] is None and view["personal_data_erased"] is True
    assert view["personal_data_erased_at"] is not None
    assert body["applicant"]["id_number"] not in response.text
    assert view["code"] == answer["code"] and len(view["documents"]) == 2


async def test_the_answer_is_declared_in_the_openapi_document(api):
    client, _ = api
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/api/officer/dossiers/{code}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/OfficerDossierView"}
    declared = document["components"]["schemas"]["OfficerDossierView"]["properties"]
    assert {"applicant", "personal_data_erased", "documents", "timeline", "supplements",
            "receiving_unit", "procedure_name"} <= set(declared)
    assert {"401", "403", "404"} <= set(operation["responses"])
