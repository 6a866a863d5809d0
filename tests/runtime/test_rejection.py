"""A handler that fails after changing state leaves no trace but a dead letter: the batch is
applied again without it. Real Postgres; records are built by hand, as the consumer receives
them from Kafka."""

from __future__ import annotations

import base64
from functools import partial

from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from motcua_appraisal.orm import INBOX, OUTBOX, WorkItem
from motcua_appraisal.settings import AppraisalSettings
from motcua_contracts import Headers, headers_for
from motcua_contracts.appraisal import DossierAppraised
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.stage import Stage
from motcua_runtime.work_items import WorkItems, take_over
from tests.runtime.test_redelivery import accepted_event


def record_of(event, offset: int) -> ConsumerRecord:
    value = event.model_dump_json().encode()
    return ConsumerRecord(topic="t", partition=0, offset=offset, timestamp=0, timestamp_type=0,
                          key=str(event.dossier_id).encode(), value=value, checksum=None,
                          serialized_key_size=36, serialized_value_size=len(value),
                          headers=tuple(headers_for(event)))


def open_then_fail_for(bad_dossier, event, items, emitter):
    take_over(items, WorkItem, event, event.dossier, "appraisal")
    emitter.emit(DossierAppraised, cause=event, dossier=event.dossier, recommendation="approve",
                 findings="ok")
    if event.dossier_id == bad_dossier:
        raise RuntimeError("the handler broke half-way")


async def test_a_failing_handler_leaves_only_a_dead_letter(infra):
    database_url, topic = await infra.isolated("rejection")
    good, bad = accepted_event(), accepted_event()
    stage = Stage(name="appraisal", outbox=OUTBOX, inbox=INBOX,
                  handlers={"DossierAccepted": partial(open_then_fail_for, bad.dossier_id)},
                  open_repository=partial(WorkItems, model=WorkItem))
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0)
    engine = create_engine(database_url)
    try:
        processor = BatchProcessor(stage, engine, settings, OutboxRelay(engine, OUTBOX, None))
        records = (record_of(bad, 0), record_of(good, 1))
        await processor.process(records)
        await processor.process(records)  # redelivered: nothing more happens
        async with engine.connect() as connection:
            items = (await connection.scalars(select(WorkItem.dossier_id))).all()
            outbox = (await connection.execute(select(OUTBOX.c.topic, OUTBOX.c.key,
                                                      OUTBOX.c.headers))).all()
    finally:
        await engine.dispose()
    assert items == [good.dossier_id]
    emitted = [row for row in outbox if row.topic == topic]
    dead = [row for row in outbox if row.topic == topic + ".dlq"]
    assert [row.key for row in emitted] == [str(good.dossier_id).encode()]
    assert [row.key for row in dead] == [str(bad.dossier_id).encode()]
    reason = dict(dead[0].headers)[Headers.DLQ_REASON]
    assert base64.b64decode(reason).decode() == "RuntimeError: the handler broke half-way"
