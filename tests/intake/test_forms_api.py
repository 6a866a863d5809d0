"""Forms 01 to 05 from the queue to the download, on a real Postgres and the real broker: intake's
stage runs in this process (its API files the dossier, the relay publishes, the consumer applies
the acceptance and queues form 01), the worker renders and stores it once however often it runs
and however often the acceptance is redelivered, and the applicant and the officers of the
agencies that took part download it (read back with poppler's pdftotext)."""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import Centre
from motcua_contracts import Headers
from motcua_files import FilesystemStore
from motcua_intake.api import create_api
from motcua_intake.files.documents import DossierFiles
from motcua_intake.forms.issuing import FormIssuer
from motcua_intake.forms.worker import FormWorker
from motcua_intake.handlers import Intake, intake_stage
from motcua_intake.orm import DEAD_LETTERS, OUTBOX, DossierForm, PersonalDataRead
from motcua_intake.settings import IntakeSettings
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage
from tests.intake.test_files_api import LIMITS, filed
from tests.officer_tokens import bearer
from tests.officer_tokens import current_officer as officer_dependency
from tests.signing.pdf_tools import pdftotext
from tests.support import header, read_topic, signer_of

BASE = "https://dichvucong.laocai.gov.vn"


def intake() -> Intake:
    catalogue = default_catalogue()
    return Intake(catalogue, WorkingCalendar(), forms=FormIssuer(catalogue, BASE, Centre()))


@pytest.fixture
async def stack(infra, tmp_path):
    database_url, topic = await infra.isolated("forms")
    settings = IntakeSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic,
                              KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, metrics_port=0,
                              http_port=None)
    engine = create_engine(database_url)
    store = FilesystemStore(tmp_path / "files")
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=DossierFiles(store, LIMITS))
    stop = asyncio.Event()
    service = asyncio.create_task(run_stage(settings, intake_stage(intake()), stop=stop))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1)),
                                 base_url="http://intake") as client:
        try:
            yield client, engine, store, settings
        finally:
            stop.set()
            await service
            await engine.dispose()


async def queued(engine, dossier_id: str) -> list[DossierForm]:
    async with engine.connect() as connection:
        return list((await connection.execute(
            select(DossierForm).where(DossierForm.dossier_id == dossier_id))).all())


async def wait_for_form(engine, dossier_id: str) -> list[DossierForm]:
    for _ in range(300):
        if rows := await queued(engine, dossier_id):
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError("no form was queued")


def stored_objects(store: FilesystemStore) -> list:
    return [p for p in store.root.rglob("*") if p.is_file() and "incoming" not in p.parts]


def text_of(pdf: bytes, tmp_path) -> str:
    return unicodedata.normalize("NFC", " ".join(pdftotext(pdf, tmp_path).split()))


async def test_form_01_is_rendered_and_stored_once_and_downloaded_by_the_applicant(
        stack, tmp_path):
    client, engine, store, settings = stack
    body, answer, files = await filed(client, engine)
    code, id_number = answer["code"], body["applicant"]["id_number"]
    uploads = len(stored_objects(store))
    forms_url = f"/api/dossiers/{code}/forms"

    [row] = await wait_for_form(engine, answer["dossier_id"])
    assert (row.form, row.stored_at) == ("01", None)
    assert body["applicant"]["full_name"] not in row.facts  # sealed under the dossier's key
    listed = await client.get(forms_url, params={"id_number": id_number})
    assert listed.status_code == 200 and listed.json() == {"forms": []}  # not rendered yet

    worker = FormWorker(engine, store)
    assert await worker.render_due() == 1
    assert await worker.render_due() == 0  # stored: never taken again
    assert len(stored_objects(store)) == uploads + 1

    # Kafka redelivers the acceptance (a crash before the offset commit): the inbox makes it a
    # no-op, so no second form is queued, and the worker has nothing more to do.
    records = [r for r in await read_topic(settings.kafka_bootstrap_servers,
                                           settings.dossier_topic, quiet_seconds=1)
               if header(r, Headers.TYPE) == "DossierAccepted"
               and header(r, Headers.DOSSIER_ID) == answer["dossier_id"]]
    assert len(records) == 1
    processor = BatchProcessor(intake_stage(intake()), engine, settings,
                               OutboxRelay(engine, OUTBOX, None))
    await processor.process(tuple(records) * 2)
    [row] = await queued(engine, answer["dossier_id"])
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DEAD_LETTERS)) == 0
    assert await worker.render_due() == 0 and len(stored_objects(store)) == uploads + 1
    # What the store holds is sealed: the applicant's name is nowhere in it.
    sealed = await store.get(row.stored_sha256)
    assert sealed != b"" and not sealed.startswith(b"%PDF")

    listed = (await client.get(forms_url, params={"id_number": id_number})).json()["forms"]
    assert [(f["form"], f["title"], f["sha256"], f["size"]) for f in listed] == [
        ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", row.sha256, row.size)]
    download = await client.get(f"{forms_url}/01", params={"id_number": id_number})
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-document-sha256"] == hashlib.sha256(download.content).hexdigest() \
        == row.sha256
    assert f'filename="mau-01-{code}.pdf"' in download.headers["content-disposition"]
    text = text_of(download.content, tmp_path)
    for expected in ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", f"Mã hồ sơ: {code}",
                     unicodedata.normalize("NFC", body["applicant"]["full_name"]),
                     "Thời gian hẹn trả kết quả", "Hồ sơ gồm 2 thành phần", "tự động"):
        assert expected in text, expected


async def test_a_wrong_id_number_an_unknown_form_or_one_not_issued_is_a_clear_4xx(stack):
    client, engine, store, _ = stack
    body, answer, _ = await filed(client, engine)
    code, id_number = answer["code"], body["applicant"]["id_number"]
    await wait_for_form(engine, answer["dossier_id"])
    await FormWorker(engine, store).render_due()

    wrong = await client.get(f"/api/dossiers/{code}/forms/01", params={"id_number": "0" * 12})
    assert wrong.status_code == 404 and "no dossier matches" in wrong.json()["detail"]
    assert (await client.get(f"/api/dossiers/{code}/forms/01")).status_code == 404
    unknown = await client.get(f"/api/dossiers/{code}/forms/06", params={"id_number": id_number})
    assert unknown.status_code == 422
    missing = await client.get(f"/api/dossiers/{code}/forms/03", params={"id_number": id_number})
    assert missing.status_code == 409  # the dossier is theirs: not a failed guess of the code
    assert missing.json()["detail"] == f"dossier {code} has no form 03 (yet)"


async def test_officers_of_the_agencies_that_took_part_read_the_forms_and_it_is_logged(stack):
    client, engine, store, _ = stack
    _, answer, _ = await filed(client, engine)
    code = answer["code"]
    await wait_for_form(engine, answer["dossier_id"])
    await FormWorker(engine, store).render_due()
    url = f"/api/officer/dossiers/{code}/forms/01"

    assert (await client.get(url)).status_code == 401
    refused = await client.get(url, headers=bearer("SXD", "appraisal", "nguoi.khac"))
    assert refused.status_code == 403 and "agency SXD" in refused.json()["detail"]
    listed = await client.get(f"/api/officer/dossiers/{code}/forms",
                              headers=bearer("STP", "intake", "mot.cua"))
    assert [f["form"] for f in listed.json()["forms"]] == ["01"]
    read = await client.get(url, headers=bearer("STP", "intake", "mot.cua"))
    assert read.status_code == 200 and read.content.startswith(b"%PDF-")

    async with engine.connect() as connection:
        rows = (await connection.execute(select(PersonalDataRead))).all()
        total = await connection.scalar(select(func.count()).select_from(PersonalDataRead))
    assert total == 1
    assert [(r.officer, r.agency, r.dossier_code, r.what, r.sha256) for r in rows] == [
        ("mot.cua", "STP", code, "form", read.headers["x-document-sha256"])]


async def test_a_store_that_fails_leaves_the_form_queued_and_it_is_retried_later(stack, tmp_path):
    client, engine, store, _ = stack
    _, answer, _ = await filed(client, engine)
    await wait_for_form(engine, answer["dossier_id"])
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")  # a store whose folder cannot be made: every write fails

    assert await FormWorker(engine, FilesystemStore(blocked), retry_seconds=60).render_due() == 0

    [row] = await queued(engine, answer["dossier_id"])
    assert (row.stored_at, row.attempts) == (None, 1) and row.last_error
    assert (row.next_attempt_at - row.queued_at).total_seconds() >= 59
    assert await FormWorker(engine, store).render_due() == 0  # not due before its time


async def test_the_lookup_page_offers_the_stored_forms_without_echoing_the_id_number(stack):
    client, engine, store, _ = stack
    body, answer, _ = await filed(client, engine)
    code, id_number = answer["code"], body["applicant"]["id_number"]
    await wait_for_form(engine, answer["dossier_id"])
    lookup = {"code": code, "id_number": id_number}

    before = await client.get("/tra-cuu", params=lookup)
    assert before.status_code == 200 and "Phiếu của hồ sơ" not in before.text
    await FormWorker(engine, store).render_due()
    page = await client.get("/tra-cuu", params=lookup)

    assert page.status_code == 200
    assert "Phiếu của hồ sơ" in page.text
    assert "Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page.text
    assert f'formaction="/api/dossiers/{code}/forms/01"' in page.text
    assert id_number not in page.text
