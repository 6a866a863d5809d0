"""`--instance appraisal:STP` on the real pipeline, with the keys `motcua keys init` makes for it:
STP's dossier waits in STP's own queue, and the shared appraisal instance neither lists, shows,
claims nor decides it over HTTP, nor counts it in its gauges. A DelayApologized and a
DossierAppraised for it signed with the shared instance's key (which the trust list scopes to
every agency but STP) are dead-lettered by every consumer that would act on them and named by
the replay, from the topic and from the archive."""

from __future__ import annotations

import asyncio
import json
import shutil
import urllib.request
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from motcua_audit.replay import replay
from motcua_audit.sources import ArchiveSource, TopicSource
from motcua_cli.up import ensure_dev_keys
from motcua_contracts import DLQ_SUFFIX, Headers, headers_for, new_event
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.shared import DelayApologized
from motcua_runtime.kafka import create_producer
from motcua_runtime.keys import signer_for
from tests.e2e.test_audit import archived
from tests.e2e.test_paths import CRIMINAL_RECORD, portal_for
from tests.support import decide, header, officer_headers, queue_of, read_topic, running_stack

pytestmark = pytest.mark.e2e


def work_series(metrics_url: str) -> list[str]:
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    return [line for line in text.splitlines() if line.startswith("motcua_open_work_items{")]


async def test_the_shared_instance_refuses_stps_items_and_its_key_stps_events(
        infra, log_dir, signing_keys, tmp_path):
    keys_dir = tmp_path / "keys"
    shutil.copytree(signing_keys, keys_dir)
    # As `motcua up --instance appraisal:STP`: the shared appraisal key is replaced by one
    # that may sign for every agency but STP.
    assert ensure_dev_keys(keys_dir, {"appraisal": ["STP"]}) == ["appraisal-2"]
    database_url, topic = await infra.isolated("agencies")
    specialist = officer_headers("STP", "appraisal", "chuyen.vien")
    with running_stack(infra, database_url, topic, log_dir, agencies={"appraisal": ["STP"]},
                       officers=True, env={"MOTCUA_KEYS_DIR": str(keys_dir)}) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client, \
                httpx.AsyncClient(base_url=stack.queue_url("appraisal"), timeout=30) as shared, \
                httpx.AsyncClient(base_url=stack.queue_url("appraisal.STP"), timeout=30) as own:
            portal = await portal_for(client)
            dossier = await portal.file(CRIMINAL_RECORD, channel="online", delivery="counter")
            item = await queue_of(own, specialist, dossier["code"])

            listed = (await shared.get("/api/work-items?state=all", headers=specialist)).json()
            assert listed == []
            url = f"/api/work-items/{item['id']}"
            for response in (await shared.get(url, headers=specialist),
                             await shared.post(f"{url}/claim", headers=specialist),
                             await decide(shared, specialist, item, "apologize",
                                          reason="Thiếu cán bộ",
                                          new_due_at=(datetime.now(timezone.utc)
                                                      + timedelta(days=30)).isoformat())):
                assert response.status_code == 404, response.text
                assert "agency STP has its own" in response.json()["detail"]

            # Gauges: STP's instance counts its item; the shared one, refreshed since, does not.
            for _ in range(100):
                if any('agency="STP"' in line for line in
                       work_series(stack.service("appraisal.STP").metrics_url)):
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("appraisal.STP never counted its open item")
            await asyncio.sleep(6)  # beyond one refresh of the shared instance's gauges
            assert not any('agency="STP"' in line for line in
                           work_series(stack.service("appraisal").metrics_url))

            # What the shared instance would have signed through its port, signed with its key:
            # the apology of the report, and a recommendation handed to approval.
            shared_key = signer_for(keys_dir, "appraisal", None)
            records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=0.5)
            accepted = next(json.loads(r.value) for r in records
                            if header(r, Headers.TYPE) == "DossierAccepted")
            now = datetime.now(timezone.utc)
            common = {"dossier_id": item["dossier_id"], "agency": "STP",
                      "producer": shared_key.producer, "sign": shared_key.sign}
            forged = [
                new_event(DelayApologized, reason="Thiếu cán bộ",
                          previous_due_at=now + timedelta(days=5),
                          new_due_at=now + timedelta(days=9), **common),
                new_event(DossierAppraised, dossier=DossierFacts.model_validate(
                    accepted["dossier"]), recommendation="approve", findings="Đủ", **common)]
            producer = create_producer(infra.bootstrap_servers, "forger")
            await producer.start()
            try:
                sent = [await producer.send_and_wait(
                    topic, event.model_dump_json().encode(), key=str(event.dossier_id).encode(),
                    headers=headers_for(event)) for event in forged]
            finally:
                await producer.stop()

            values = {event.model_dump_json().encode(): event.type for event in forged}
            expected = {("intake", "DelayApologized"), ("intake", "DossierAppraised"),
                        ("approval", "DossierAppraised")}
            for _ in range(150):
                dead = await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX,
                                        quiet_seconds=0.5)
                refusals = {(header(r, Headers.DLQ_CONSUMER), values[r.value]):
                            header(r, Headers.DLQ_REASON) for r in dead if r.value in values}
                if refusals.keys() >= expected:
                    break
                await asyncio.sleep(0.2)
            assert refusals.keys() == expected
            for (_, kind), reason in refusals.items():
                assert reason == (f"entitlement: {kind} for agency STP signed with key "
                                  "appraisal-2 of appraisal, which may sign for every agency "
                                  "but STP (STP has an instance of its own)")
            view = await portal.view(dossier)
            assert "DelayApologized" not in [entry["type"] for entry in view["timeline"]]
            assert view["stage"] == "appraisal"

            records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.0)
            for _ in range(100):
                if await archived(database_url, topic) == len(records):
                    break
                await asyncio.sleep(0.2)

    registry = keys_dir / "registry.json"
    for source in (TopicSource(infra.bootstrap_servers, topic), ArchiveSource(database_url, topic)):
        result = await asyncio.to_thread(replay, source, registry, workers=2)
        findings = {(f["partition"], f["offset"], f["kind"]) for f in result.report()["findings"]}
        assert findings == {(m.partition, m.offset, "entitlement") for m in sent}, source
