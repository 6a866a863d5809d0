"""A consumer refuses what the shared instance's key signed for an agency with its own instance,
and an event whose agency header (which routed it) names another agency than its signed body
(which the key's scope was checked against). Real Postgres; records built by hand, with the keys
`motcua keys init --instance appraisal:STP` writes."""

from __future__ import annotations

import base64
import dataclasses
import shutil
from datetime import datetime, timezone
from functools import partial

import pytest
from sqlalchemy import select

from motcua_approval.orm import INBOX, OUTBOX, WorkItem
from motcua_approval.settings import ApprovalSettings
from motcua_cli.up import ensure_dev_keys
from motcua_contracts import Headers, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.keys import load_registry, signer_for
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.stage import Stage
from motcua_runtime.trust import Verifier
from motcua_runtime.work_items import WorkItems
from tests.personal import facts
from tests.runtime.test_rejection import record_of

NOW = datetime.now(timezone.utc)


@pytest.fixture
def scoped_keys(signing_keys, tmp_path):
    keys_dir = tmp_path / "keys"
    shutil.copytree(signing_keys, keys_dir)
    ensure_dev_keys(keys_dir, {"appraisal": ["STP"]})  # appraisal-2: every agency but STP
    return keys_dir


def appraised(signer, agency: str) -> DossierAppraised:
    dossier_id = uuid7()
    dossier = facts(dossier_id, code="000.00.15.H38-260504-0001", procedure_code="2.000488",
                    applicant_name="Lò Văn Sáng", received_at=NOW, delivery_channel="online")
    return new_event(DossierAppraised, dossier_id=dossier_id, agency=agency,  # occurred now
                     producer=signer.producer, sign=signer.sign, dossier=dossier,
                     recommendation="approve", findings="Đủ điều kiện")


def rerouted(record, agency: str):
    """The same signed bytes with another agency header, as anyone on the broker can send."""
    headers = tuple((k, agency.encode() if k == Headers.AGENCY else v) for k, v in record.headers)
    return dataclasses.replace(record, headers=headers)


async def dead_letters(infra, keys_dir, records, **settings) -> tuple[list, dict[str, str]]:
    database_url, topic = await infra.isolated("scope_consumer")
    handled = []
    stage = Stage(name="approval", outbox=OUTBOX, inbox=INBOX,
                  handlers={"DossierAppraised": lambda event, items, emitter:
                            handled.append(event.event_id)},
                  open_repository=partial(WorkItems, model=WorkItem))
    config = ApprovalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0,
                              **settings)
    engine = create_engine(database_url)
    try:
        processor = BatchProcessor(
            stage, engine, config, OutboxRelay(engine, OUTBOX, None),
            signer=signer_for(keys_dir, "approval", config.agency),
            verifier=Verifier(load_registry(keys_dir)))
        await processor.process(tuple(records))
        async with engine.connect() as connection:
            rows = (await connection.execute(select(OUTBOX.c.key, OUTBOX.c.headers)
                                             .where(OUTBOX.c.topic == topic + ".dlq"))).all()
    finally:
        await engine.dispose()
    return handled, {row.key.decode(): base64.b64decode(dict(row.headers)[Headers.DLQ_REASON])
                     .decode() for row in rows}


async def test_the_shared_key_is_refused_for_stp_and_accepted_for_the_others(infra,
                                                                           scoped_keys):
    shared = signer_for(scoped_keys, "appraisal", None)
    for_stp, for_sxd = appraised(shared, "STP"), appraised(shared, "SXD")
    handled, dead = await dead_letters(infra, scoped_keys,
                                       [record_of(for_stp, 0), record_of(for_sxd, 1)])
    assert handled == [for_sxd.event_id]
    assert dead == {str(for_stp.dossier_id): (
        "entitlement: DossierAppraised for agency STP signed with key appraisal-2 of appraisal, "
        "which may sign for every agency but STP (STP has an instance of its own)")}


async def test_a_header_routing_an_event_to_another_agencys_instance_is_refused(infra,
                                                                                scoped_keys):
    """Signed for SXD (which the shared key may), sent to STP's own instance by its header."""
    forged = appraised(signer_for(scoped_keys, "appraisal", None), "SXD")
    handled, dead = await dead_letters(infra, scoped_keys, [rerouted(record_of(forged, 0), "STP")],
                                       agency="STP")
    assert handled == []
    assert dead == {str(forged.dossier_id):
                    "agency header 'STP' does not match the body's agency 'SXD'"}
