"""The dossier's files through intake's API, on a real Postgres and on both stores (a folder,
and an S3 bucket on moto's server): an upload is stored by its SHA-256 with its type judged
from its bytes; a refused file is a clear 4xx naming it and nothing of it is stored; a filing
names stored files and the event carries what was stored; the applicant and the officers of
the agencies that took part download it verified; every officer's read is in the access log."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission
from motcua_files import FilesSettings, FilesystemStore
from motcua_intake.api import create_api
from motcua_intake.files.documents import DossierFiles
from motcua_intake.orm import OUTBOX, PersonalDataRead, StoredUpload, TimelineEntry
from motcua_runtime.db import create_engine
from tests.files.conftest import (  # noqa: F401  (the stores' fixtures, used by name)
    filesystem_store,
    held,
    s3_credentials,
    s3_server,
    s3_store,
)
from tests.files.data import JPEG_BYTES, PNG_BYTES, pdf_of
from tests.officer_tokens import bearer
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import signer_of

PROCEDURE = default_catalogue().procedures["2.000488"].model_dump()  # STP's
KIB = 1024
LIMITS = FilesSettings(max_file_bytes=64 * KIB, max_dossier_bytes=160 * KIB)


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest):
    """Each test runs once on each store."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
async def api(infra, store, held):  # noqa: F811
    database_url, topic = await infra.isolated("files")
    engine = create_engine(database_url)
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=DossierFiles(store, LIMITS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1)),
                                 base_url="http://intake") as client:
        yield client, engine, store, held
    await engine.dispose()


async def upload(client, *files: tuple[str, bytes, str | None]):
    """As a client sends them; the names raw in UTF-8, as browsers send them (httpx would
    percent-encode control characters, so a name holding one is written out here)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, data, content_type in files:
        body += (f'--{boundary}\r\ncontent-disposition: form-data; name="file"; '
                 f'filename="{name}"\r\n').encode()
        if content_type:
            body += f"content-type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return await client.post("/api/files", content=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}"})


async def stored_rows(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(StoredUpload))


def filing_of(*files: dict) -> dict:
    body = sample_submission(PROCEDURE, random.Random(5))
    body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in
                         zip(PROCEDURE["required_documents"], files, strict=True)]
    return body


async def filed(client, engine) -> tuple[dict, dict, list[dict]]:
    """A dossier filed with two uploaded files: (its body, the answer, the stored files)."""
    answer = await upload(client, ("Tờ khai.pdf", pdf_of(40 * KIB), "application/pdf"),
                          ("CCCD.jpg", JPEG_BYTES, "image/jpeg"))
    assert answer.status_code == 201, answer.text
    files = answer.json()["files"]
    body = filing_of(*files)
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    return body, response.json(), files


async def test_uploads_are_stored_by_their_sha256_and_a_filing_carries_what_was_stored(api):
    client, engine, store, contents = api
    data = pdf_of(40 * KIB)
    answer = await upload(client, ("Tờ khai.pdf", data, "application/octet-stream"),
                          ("ảnh.png", PNG_BYTES, "image/png"))
    assert answer.status_code == 201, answer.text
    pdf, png = answer.json()["files"]
    assert pdf == {"name": "Tờ khai.pdf", "sha256": hashlib.sha256(data).hexdigest(),
                   "size": 40 * KIB, "media_type": "application/pdf"}
    assert png["media_type"] == "image/png" and await store.get(png["sha256"]) == PNG_BYTES
    # The same bytes again store nothing new.
    assert (await upload(client, ("again.pdf", data, "application/pdf"))).status_code == 201
    assert len(contents()) == 2 and await stored_rows(engine) == 2
    # The filing names them; size and type in the event are the stored file's.
    body = filing_of(pdf, png)
    body["documents"][0]["size"] = 40 * KIB
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    async with engine.connect() as connection:
        value = (await connection.execute(select(OUTBOX.c.value))).scalar_one()
    documents = json.loads(value)["documents"]
    assert documents == [
        {"name": PROCEDURE["required_documents"][0], "sha256": pdf["sha256"], "size": 40 * KIB,
         "media_type": "application/pdf"},
        {"name": PROCEDURE["required_documents"][1], "sha256": png["sha256"],
         "size": len(PNG_BYTES), "media_type": "image/png"}]


@pytest.mark.parametrize("file, status, says", [
    (("hoá đơn.pdf", PNG_BYTES, "application/pdf"), 415,
     "file 'hoá đơn.pdf' is declared as application/pdf but its content is image/png"),
    (("script.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf"), 415,
     "file 'script.pdf' is not a PDF, JPEG or PNG file"),
    (("bản vẽ.pdf", pdf_of(64 * KIB + 1), "application/pdf"), 413,
     "file 'bản vẽ.pdf' is larger than 65,536 bytes, the limit for one file"),
    (("../../etc/passwd.pdf", pdf_of(KIB), "application/pdf"), 422, "path separator"),
    (("tờ\x07khai.pdf", pdf_of(KIB), "application/pdf"), 422, "control character U+0007"),
    (("hoadon\u202efdp.exe", pdf_of(KIB), "application/pdf"), 422, "U+202E"),
])
async def test_a_refused_file_is_a_clear_4xx_naming_it_and_nothing_is_stored(
        api, file, status, says):
    client, engine, _, contents = api
    response = await upload(client, file)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert contents() == [] and await stored_rows(engine) == 0


async def test_the_files_of_one_request_count_together_against_the_dossier_limit(api):
    client, engine, _, contents = api
    response = await upload(client, *[(f"trang {n}.pdf", pdf_of(60 * KIB), "application/pdf")
                                      for n in range(3)])
    assert response.status_code == 413
    assert "'trang 2.pdf' would take the dossier's files past 163,840 bytes" in \
        response.json()["detail"]
    assert len(contents()) == 2  # the two before it were stored whole; nothing of the third
    announced = await client.post("/api/files", content=b"", headers={
        "content-type": "multipart/form-data; boundary=x", "content-length": str(10**9)})
    assert announced.status_code == 413


async def test_a_body_that_is_not_multipart_or_holds_no_file_is_a_422(api):
    client, _, _, contents = api
    assert (await client.post("/api/files", json={"file": "x"})).status_code == 422
    not_a_file = await client.post("/api/files", data={"file": "text"}, files=[])
    assert not_a_file.status_code == 422
    truncated = await client.post("/api/files", content=(
        b'--b\r\ncontent-disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7'),
        headers={"content-type": "multipart/form-data; boundary=b"})
    assert truncated.status_code == 422 and "ended inside a part" in truncated.json()["detail"]
    assert contents() == []


async def test_a_filing_naming_a_file_not_stored_or_misdescribed_is_refused(api):
    client, engine, _, _ = api
    [pdf] = (await upload(client, ("a.pdf", pdf_of(KIB), None))).json()["files"]
    body = filing_of(pdf, {"sha256": "0" * 64})
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert f"documents.1: document {PROCEDURE['required_documents'][1]!r} names file " \
        f"{'0' * 64}, which is not stored" in response.json()["detail"]
    body = filing_of(pdf, pdf)
    body["documents"][1]["media_type"] = "image/png"
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 422 and "is application/pdf" in response.json()["detail"]
    async with engine.connect() as connection:
        assert (await connection.execute(select(OUTBOX))).all() == []


async def test_a_filing_whose_files_pass_the_dossier_limit_is_a_413(api):
    client, engine, _, _ = api
    first = (await upload(client, ("1.pdf", pdf_of(60 * KIB), None),
                          ("2.pdf", pdf_of(60 * KIB), None))).json()["files"]
    [third] = (await upload(client, ("3.pdf", pdf_of(60 * KIB), None))).json()["files"]
    body = filing_of(*first)
    body["documents"].append({"name": "Bản sao", "sha256": third["sha256"]})
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 413
    assert "documents.2: document 'Bản sao' would take the dossier's files past" in \
        response.json()["detail"]


async def test_the_applicant_downloads_their_own_file_verified(api):
    client, engine, store, _ = api
    body, answer, files = await filed(client, engine)
    url = f"/api/dossiers/{answer['code']}/files/{files[1]['sha256']}"
    own = await client.get(url, params={"id_number": body["applicant"]["id_number"]})
    assert own.status_code == 200 and own.content == JPEG_BYTES
    assert own.headers["content-type"] == "image/jpeg"
    assert own.headers["x-document-sha256"] == files[1]["sha256"]
    assert (await client.get(url, params={"id_number": "999999999"})).status_code == 404
    assert (await client.get(url)).status_code == 404  # no ID number: as a wrong one
    other = hashlib.sha256(b"x").hexdigest()
    assert (await client.get(f"/api/dossiers/{answer['code']}/files/{other}", params={
        "id_number": body["applicant"]["id_number"]})).status_code == 404
    assert (await client.get(f"/api/dossiers/{answer['code']}/files/..%2Fetc", params={
        "id_number": body["applicant"]["id_number"]})).status_code in (404, 422)


async def test_a_damaged_stored_file_is_never_served(api):
    client, engine, store, _ = api
    body, answer, files = await filed(client, engine)
    if not isinstance(store, FilesystemStore):
        pytest.skip("damaging an object in place: the filesystem store's test")
    store.path_of(files[0]["sha256"]).write_bytes(b"%PDF-1.7 tampered")
    response = await client.get(f"/api/dossiers/{answer['code']}/files/{files[0]['sha256']}",
                                params={"id_number": body["applicant"]["id_number"]})
    assert response.status_code == 500 and "damaged" in response.json()["detail"]


async def test_officers_of_the_agencies_that_took_part_read_and_every_read_is_recorded(api):
    client, engine, _, _ = api
    _, answer, files = await filed(client, engine)
    url = f"/api/officer/dossiers/{answer['code']}/files/{files[0]['sha256']}"
    assert (await client.get(url)).status_code == 401
    read = await client.get(url, headers=bearer("STP", "appraisal", "chuyen.vien"))
    assert read.status_code == 200 and hashlib.sha256(read.content).hexdigest() == \
        files[0]["sha256"]
    refused = await client.get(url, headers=bearer("SXD", "appraisal", "nguoi.khac"))
    assert refused.status_code == 403 and "agency SXD" in refused.json()["detail"]
    # A consultation addressed to CAT lets CAT's officers read the dossier's files.
    assert (await client.get(url, headers=bearer("CAT", "appraisal", "can.bo"))).status_code \
        == 403
    async with engine.begin() as connection:
        await connection.execute(TimelineEntry.__table__.insert().values(
            event_id=uuid.uuid4(), dossier_id=uuid.UUID(answer["dossier_id"]),
            type="ConsultationRequested", at=datetime.now(timezone.utc), agency="STP",
            addressed_to="CAT", stage="appraisal", actor="auto"))
    assert (await client.get(url, headers=bearer("CAT", "appraisal", "can.bo"))).status_code \
        == 200
    async with engine.connect() as connection:
        rows = (await connection.execute(
            select(PersonalDataRead).order_by(PersonalDataRead.id))).all()
    assert [(r.officer, r.agency, r.role, r.dossier_code, r.sha256, r.client) for r in rows] == [
        ("chuyen.vien", "STP", "appraisal", answer["code"], files[0]["sha256"], "10.0.0.7"),
        ("can.bo", "CAT", "appraisal", answer["code"], files[0]["sha256"], "10.0.0.7")]


async def test_the_access_log_is_for_auditors_by_dossier_or_by_officer(api):
    client, engine, _, _ = api
    _, answer, files = await filed(client, engine)
    for file in files:
        assert (await client.get(f"/api/officer/dossiers/{answer['code']}/files/"
                                 f"{file['sha256']}", headers=bearer("STP", "appraisal", "lan"))
                ).status_code == 200
    auditor = bearer("STP", "auditor", "kiem.toan")
    by_dossier = await client.get("/api/file-reads", params={"dossier": answer["code"]},
                                  headers=auditor)
    assert by_dossier.status_code == 200
    assert [(e["officer"], e["sha256"]) for e in by_dossier.json()] == [
        ("lan", files[1]["sha256"]), ("lan", files[0]["sha256"])]  # newest first
    by_officer = await client.get("/api/file-reads", params={"officer": "lan"},
                                  headers=bearer("STP", "admin", "quan.tri"))
    assert len(by_officer.json()) == 2
    assert (await client.get("/api/file-reads", params={"officer": "nobody"},
                             headers=auditor)).json() == []
    assert (await client.get("/api/file-reads", params={"officer": "lan"},
                             headers=bearer("STP", "appraisal", "lan"))).status_code == 403
    assert (await client.get("/api/file-reads", headers=auditor)).status_code == 422


async def test_a_supplement_names_stored_files_too(api):
    client, engine, _, _ = api
    body, answer, files = await filed(client, engine)
    response = await client.post(f"/api/dossiers/{answer['code']}/supplement", json={
        "id_number": body["applicant"]["id_number"],
        "documents": [{"name": "Ảnh", "sha256": "1" * 64}]})
    # Not waiting for a supplement is checked first; then the files.
    assert response.status_code == 409
