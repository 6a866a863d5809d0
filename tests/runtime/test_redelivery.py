"""Exactly-once effects on an at-least-once topic: the inbox turns a redelivered event into a
no-op. Real Postgres and the real broker; the appraisal stage runs in this process so the test
can hand it the same records twice, as Kafka does after a crash before the offset commit."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_appraisal.orm import OUTBOX, WorkItem
from motcua_appraisal.settings import AppraisalSettings
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import Headers, Producer, headers_for, new_event, uuid7
from motcua_contracts.intake import DossierAccepted
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import create_producer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage
from tests.personal import facts
from tests.support import chained_after_root, header, read_topic, signed


def accepted_event() -> DossierAccepted:
    dossier_id = uuid7()
    return signed(new_event(
        # Social insurance book: free, no coordinating agency, so appraisal drafts at once.
        DossierAccepted, dossier_id=dossier_id, agency="BHXH", producer=Producer(service="intake"),
        dossier=facts(dossier_id, code="000.00.22.H38-261124-0001", procedure_code="1.001612",
                             applicant_name="Lò Thị Mai", received_at="2026-11-24T08:00:00+07:00",
                             due_at="2026-12-08T08:00:00+07:00", delivery_channel="online",
                             data={"employer": "Công ty Mai Lan"})))


def appraisal():
    return appraisal_stage(Appraisal(default_catalogue(), WorkingCalendar()))


async def counts(engine, dossier_id) -> tuple[int, int]:
    async with engine.connect() as connection:
        items = await connection.scalar(
            select(func.count()).select_from(WorkItem).where(WorkItem.dossier_id == dossier_id))
        emitted = await connection.scalar(
            select(func.count()).select_from(OUTBOX)
            .where(OUTBOX.c.key == str(dossier_id).encode()))
    return items, emitted


async def test_the_same_event_delivered_twice_changes_state_once_and_emits_once(infra):
    database_url, topic = await infra.isolated("redelivery")
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic,
                                 KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, metrics_port=0)
    root, event = chained_after_root(accepted_event())
    producer = create_producer(infra.bootstrap_servers, "test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, root.model_dump_json().encode(),
                                     key=str(root.dossier_id).encode(), headers=headers_for(root))
        for _ in range(2):  # the same message twice on the topic, as a re-sending relay does
            await producer.send_and_wait(topic, event.model_dump_json().encode(),
                                         key=str(event.dossier_id).encode(),
                                         headers=headers_for(event))
    finally:
        await producer.stop()

    stop = asyncio.Event()
    service = asyncio.create_task(run_stage(settings, appraisal(), stop=stop))
    engine = create_engine(database_url)
    try:
        for _ in range(300):
            if (await counts(engine, event.dossier_id))[0]:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # time enough for a second copy to be applied, if it were
        # One item; two events: the agency's take-over (status 4) and its draft.
        assert await counts(engine, event.dossier_id) == (1, 2)

        # Kafka redelivers the whole batch after a crash before the offset commit.
        records = [r for r in await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
                   if header(r, Headers.EVENT_ID) == str(event.event_id)]
        assert len(records) == 2
        relay = OutboxRelay(engine, OUTBOX, None)  # never publishes here: nothing new to send
        processor = BatchProcessor(appraisal(), engine, settings, relay)
        await processor.process(tuple(records))
        assert await counts(engine, event.dossier_id) == (1, 2)
    finally:
        stop.set()
        await service
        await engine.dispose()
    records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
    assert [header(r, Headers.TYPE) for r in records].count("DossierTakenOver") == 1
    on_topic = [r for r in records if header(r, Headers.TYPE) == "DossierAppraised"]
    assert len(on_topic) == 1
    assert header(on_topic[0], Headers.DOSSIER_ID) == str(event.dossier_id)
