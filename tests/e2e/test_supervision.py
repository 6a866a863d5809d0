"""`motcua up`'s supervision on the real stack (its own data folder, Postgres and broker): a stage,
then Postgres, then the broker are SIGKILLed while dossiers flow; every dossier is delivered
exactly once, the auditors' replay passes, /healthz says when the database is down, and a
second `up` on the same data folder restores the topic from the audit archive."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import httpx
import pytest

from motcua_audit.replay import replay
from motcua_audit.sources import ArchiveSource, TopicSource
from motcua_cli import SERVICES
from motcua_cli.embedded import free_port
from motcua_cli.embedded_stack import EmbeddedStack
from motcua_cli.supervisor import RestartPolicy
from motcua_contracts import Headers
from tests.support import file_dossiers, header, read_topic, statuses, wait_for_statuses

pytestmark = pytest.mark.e2e

# The operations read model is one more consumer: left out to keep the test's CPU to the stages.
# Nor the workspace: it consumes nothing, and tests/e2e/test_workspace.py runs it.
WITHOUT_OPERATIONS = tuple(name for name in SERVICES if name not in ("operations", "workspace"))


def delivered(records) -> Counter:
    return Counter(header(r, Headers.DOSSIER_ID) for r in records
                   if header(r, Headers.TYPE) == "ResultDelivered")


def scrape(url: str, series: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return sum(float(value) for value in re.findall(rf"^{series}(?:{{[^}}]*}})? ([0-9.e+]+)$",
                                                    text, re.M))


def new_stack(data_dir: Path, lines: list[str]) -> EmbeddedStack:
    started = time.monotonic()

    def say(line: str) -> None:
        lines.append(line)
        print(f"{time.monotonic() - started:6.1f}s {line}", flush=True)

    return EmbeddedStack(data_dir, api_port=free_port(), services=WITHOUT_OPERATIONS,
                         ready_timeout=240, say=say,
                         policy=RestartPolicy(initial=0.2, factor=2, cap=2))


async def watch_health(url: str, seen: list[int], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            try:
                seen.append((await client.get(f"{url}/healthz")).status_code)
            except httpx.HTTPError:
                seen.append(0)
            await asyncio.sleep(0.2)


async def wait_until(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not await predicate():
        assert time.monotonic() - started < timeout, f"{what} after {timeout}s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def test_kills_of_a_stage_postgres_and_the_broker_cost_no_dossier(tmp_path: Path,
                                                                        monkeypatch):
    # The test files faster than a citizen may (intake's rate limits), as running_stack allows.
    monkeypatch.setenv("INTAKE_RATE_LIMIT_EXEMPT", "127.0.0.1/32")
    data_dir = tmp_path / "data"
    lines: list[str] = []
    stack = new_stack(data_dir, lines)
    stopping = threading.Event()
    supervising = threading.Thread(target=stack.supervise, args=(stopping,), daemon=True)
    try:
        await asyncio.to_thread(stack.start)
        supervising.start()
        api = f"http://127.0.0.1:{stack.api_port}"
        ids: list[str] = []
        filing = asyncio.create_task(file_dossiers(api, 50, seed=31, into=ids))

        # Mid-flow: the filing is under way, the first dossiers are between the stages.
        async def half_filed() -> bool:
            return len(ids) >= 20
        await wait_until(half_filed, 120, "filing stalled")
        # 1. A stage, mid-flow.
        stack.process("approval").kill()
        assert not filing.done(), "filing finished before the kill: nothing was mid-flow"
        # 2. SIGTERM drains: signing finishes its batch and commits it with its offsets, so
        # after its restart it is offered nothing it had applied.
        signing = stack.process("signing")
        await asyncio.to_thread(signing.stop)
        assert signing.exit_reason() == "exit code 0"
        await filing
        await wait_until(lambda: _ready(stack), 120, "approval and signing not back")
        assert stack.supervisor.restarts("approval") == 1
        assert stack.supervisor.restarts("signing") == 1
        assert any("approval died (signal SIGKILL)" in line for line in lines)
        signing_log = signing.log_path.read_text()
        assert "service stopped" in signing_log and "did not finish in time" not in signing_log

        async def signing_caught_up() -> bool:
            return Counter((await statuses(api, ids)).values())[10] == len(ids)
        await wait_until(signing_caught_up, 120, "not every dossier delivered")
        assert scrape(signing.metrics_url, "motcua_events_handled_total") > 0
        assert scrape(signing.metrics_url, "motcua_redeliveries_suppressed_total") == 0

        # 3. Postgres: /healthz answers 503 while it is down, 200 once it is back.
        health: list[int] = []
        stop_health = asyncio.Event()
        watching = asyncio.create_task(watch_health(api, health, stop_health))
        await asyncio.sleep(1)
        stack.process("postgres").kill()
        down_at = time.monotonic()

        async def database_back() -> bool:
            return 503 in health and health[-1] == 200
        pg_seconds = await wait_until(database_back, 90, "/healthz not 200 again")
        stop_health.set()
        await watching
        assert health[0] == 200 and 503 in health
        assert stack.supervisor.restarts("postgres") == 1
        print(f"postgres: /healthz 200 again {time.monotonic() - down_at:.1f}s after the kill "
              f"({pg_seconds:.1f}s)")

        # 4. The broker: everything restarted around a restore from the archive.
        more = await file_dossiers(api, 10, seed=32)
        await asyncio.sleep(1)
        killed_at = time.monotonic()
        restores = len(stack.restores)  # the first start's (of an empty archive) is one
        stack.process("broker").kill()

        async def restored() -> bool:
            return len(stack.restores) > restores
        await wait_until(restored, 120, "no restore")
        await asyncio.to_thread(stack.wait_ready, 240)
        print(f"broker: stack ready again {time.monotonic() - killed_at:.1f}s after the kill; "
              f"{stack.restores[-1].describe()}")
        later = await file_dossiers(api, 10, seed=33)
        everyone = ids + more + later
        final = await wait_for_statuses(api, everyone, {10}, timeout=180)
        assert len(final) == 70

        records = await read_topic(stack.bootstrap_servers, stack.topic)
        per_dossier = delivered(records)
        assert set(per_dossier) == set(everyone)
        assert set(per_dossier.values()) == {1}, "a dossier was delivered twice"
        suppressed = sum(scrape(s.metrics_url, "motcua_redeliveries_suppressed_total")
                         for s in stack.services if s.stage != "audit")
        assert suppressed > 0  # every consumer re-read the restored log; its inbox held it
        restarts = scrape(stack.supervisor_metrics_url, "motcua_supervisor_restarts_total")
        assert restarts >= 3 + len(stack.services)  # approval, postgres, broker + the services
        registry = Path(os.environ["MOTCUA_KEYS_DIR"]) / "registry.json"
        for source in (TopicSource(stack.bootstrap_servers, stack.topic),
                       ArchiveSource(stack.database_url, stack.topic)):
            report = (await asyncio.to_thread(replay, source, registry,
                                              database_url=stack.database_url)).report()
            assert report["findings_total"] == 0, (source, report["findings"][:5])
            assert report["dossiers"] == 70
    finally:
        stopping.set()
        if supervising.is_alive():
            supervising.join(30)
        await asyncio.to_thread(stack.close)

    # 5. A second `up` on the same data folder: a new, empty broker, the topic restored.
    again = new_stack(data_dir, lines)
    try:
        await asyncio.to_thread(again.start)
        restored = again.restores[-1]
        assert restored.republished > 0, restored
        records = await read_topic(again.bootstrap_servers, again.topic)
        assert set(delivered(records).values()) == {1}
        assert len(delivered(records)) == 70
        final = await statuses(f"http://127.0.0.1:{again.api_port}", everyone)
        assert set(final.values()) == {10}
        print(f"second up: {restored.describe()} in {restored.seconds:.1f}s")
    finally:
        await asyncio.to_thread(again.close)


async def _ready(stack: EmbeddedStack) -> bool:
    return await asyncio.to_thread(
        lambda: all(s.readiness() is None for s in stack.services)
        and not stack.supervisor.waiting())
