"""Signing on real Postgres: the batch's repository numbers and stores the sealed PDF in the same
transaction as the work item and the outbox row; the document reads back by dossier code, as a
download endpoint reads it, byte for byte what the event's hash names."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.embedded import create_database
from motcua_contracts import DOSSIER_TOPIC, Producer, new_event, uuid7
from motcua_contracts.approval import DossierApproved
from motcua_contracts.dossier import DossierFacts
from motcua_runtime.db import create_engine
from motcua_runtime.migrations import upgrade
from motcua_runtime.stage import Emitter
from motcua_signing.documents import PostgresDocuments
from motcua_signing.handlers import Signing
from motcua_signing.orm import OUTBOX, ResultDocument
from motcua_signing.repository import SigningRepository
from motcua_signing.seal import verify
from tests.fakes import emitted
from tests.personal import key_rows, sealed

VN = timezone(timedelta(hours=7))


def approval(code: str) -> DossierApproved:
    received = datetime(2026, 11, 24, 8, tzinfo=VN)
    dossier_id = uuid7()
    return new_event(
        DossierApproved, dossier_id=dossier_id, agency="SXD",
        producer=Producer(service="approval", agency="SXD"),
        dossier=DossierFacts(code=code, procedure_code="1.009975",
                             applicant=sealed(dossier_id, {"full_name": "Vàng A Dế"}),
                             received_at=received, due_at=received + timedelta(days=20),
                             delivery_channel="online",
                             data=sealed(dossier_id, {"land_parcel_id": "12/345"})),
        decision="Cấp giấy phép xây dựng nhà ở riêng lẻ")


async def test_a_sealed_result_is_stored_with_its_event_and_read_back_by_dossier_code(
        infra, issuer, keystore):
    url = await create_database(infra.server_url, f"signing_store_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, "motcua_signing", url)
    await asyncio.to_thread(upgrade, "motcua_privacy", url)
    engine = create_engine(url)
    events = [approval("000.00.14.H38-261124-0001"), approval("000.00.14.H38-261124-0002")]
    emitter = Emitter(Producer(service="signing", agency="SXD"), DOSSIER_TOPIC)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await session.execute(key_rows([event.dossier_id for event in events]))
        async with async_sessionmaker(engine)() as session, session.begin():
            results = SigningRepository(session)
            await results.preload(events)
            signing = Signing(default_catalogue(), WorkingCalendar(), issuer)
            for event in events:
                signing.on_decision(event, results, emitter)
            await session.execute(insert(OUTBOX), [m.as_row() for m in emitter.messages])

        documents = PostgresDocuments(engine)
        second = await documents.for_dossier_code("000.00.14.H38-261124-0002")
        by_id = await documents.for_dossier(events[0].dossier_id)
        missing = await documents.for_dossier_code("000.00.14.H38-261124-0003")
        async with engine.connect() as connection:
            stored = await connection.scalar(select(func.count()).select_from(ResultDocument))
            at_rest = await connection.scalars(select(ResultDocument.content))
            # The PDF prints the applicant's name: it is kept sealed under the dossier's key.
            assert all(content.startswith(b"motcua-sealed-1:") and b"%PDF" not in content
                       for content in at_rest)
            outbox = await connection.scalar(select(func.count()).select_from(OUTBOX))
    finally:
        await engine.dispose()

    signed = {event.result_number: event for event in emitted(emitter)}
    assert set(signed) == {"0001/2026/QĐ-SXD", "0002/2026/QĐ-SXD"}
    assert (stored, outbox, missing) == (2, 2, None)
    assert second is not None and by_id is not None
    assert second.result_number == "0002/2026/QĐ-SXD" and second.media_type == "application/pdf"
    event = signed[second.result_number]
    assert hashlib.sha256(second.content).hexdigest() == second.sha256 == event.document_sha256
    assert second.certificate_fingerprint == event.certificate_fingerprint == \
        keystore.for_agency("SXD").fingerprint
    assert second.signed_at == event.signed_at
    assert verify(second.content, [keystore.root]).valid
    assert by_id.dossier_code == "000.00.14.H38-261124-0001"
