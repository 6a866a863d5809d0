"""`motcua chaos`: the whole embedded stack under the faults a careless operator and an attacker
cause, then a count of what survived. While N dossiers are filed over HTTP it SIGKILLs stage
processes at random moments, SIGKILLs Postgres once, freezes the broker (SIGSTOP) for 10 s,
kills the broker once (its memory storage is lost: the supervisor restores the log from the
audit archive), kills the intake API in the middle of requests, and puts malformed and oversized
records on the topic with a raw client. When the faults stop it waits for the system to settle
and checks: every dossier reached a terminal status, exactly one `ResultDelivered` per delivered
dossier, each dossier filed once, the auditors' replay finds nothing but the injected records,
and the dead-letter topic holds exactly the injected records. Exit 1 on any loss or duplicate."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

from motcua_cli.embedded import free_port
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts import DLQ_SUFFIX, Headers, Status
from motcua_contracts.lifecycle import TERMINAL
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import max_message_bytes
from motcua_runtime.transport import kafka_client_options

# Faults by kind, as reported in the figures.
STAGE_KILL = "stage SIGKILL"
INTAKE_MID_REQUEST = "intake killed mid-request"
POSTGRES_KILL = "Postgres SIGKILL"
BROKER_FREEZE = "broker SIGSTOP 10s"
BROKER_KILL = "broker SIGKILL"
POISON = "malformed or oversized records"
FREEZE_SECONDS = 10.0


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the first filing
    kind: str
    target: str | None = None


def plan_faults(rng: random.Random, window: float, stages: list[str]) -> list[Fault]:
    """The faults of one run, in time order: each kind once, and a SIGKILL of three of
    `stages` (intake has a kill of its own), in random order, one in each of equal slots of the
    filing window at a random moment of its slot. One fault per slot: a stage killed while the
    broker's restart has every service down anyway would test nothing."""
    killed = rng.sample(stages, k=min(3, len(stages)))
    kinds = [(STAGE_KILL, name) for name in killed] + [
        (INTAKE_MID_REQUEST, "intake"), (POSTGRES_KILL, None), (BROKER_FREEZE, None),
        (BROKER_KILL, None), (POISON, None)]
    rng.shuffle(kinds)
    slot = window / len(kinds)
    return [Fault(round((index + rng.uniform(0.1, 0.9)) * slot, 2), kind, target)
            for index, (kind, target) in enumerate(kinds)]


def poison_records(rng: random.Random, oversized_bytes: int) -> list[tuple[bytes, list]]:
    """One record of each kind no consumer may apply: (value, headers). Each has a type header
    that some stage handles, so the dead-letter rule names who must record it."""
    dossier = str(uuid.UUID(int=rng.getrandbits(128))).encode()
    accepted = [(Headers.TYPE, b"DossierAccepted"), (Headers.AGENCY, b"STP"),
                ("content-type", b"application/json")]
    document = {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "type": "DossierAccepted",
                "dossier_id": dossier.decode(), "agency": "STP"}
    def body(kind: str, **extra: Any) -> bytes:  # distinct bytes per kind: counted apart
        return json.dumps({**document, "chaos": kind, **extra}).encode()

    return [
        (b"{not json", accepted),
        (body("truncated")[:-7], accepted),
        (body("schema", schema_version=99), accepted),
        (body("forged", signature="Zm9yZ2Vk", hash="0" * 64), accepted),
        (body("unknown type"), [(Headers.TYPE, b"DossierTeleported")]),
        (body("no headers"), []),
        (body("bad header"), [*accepted, (Headers.DOSSIER_ID, b"\xff\xfe")]),  # not UTF-8
        (b"x" * oversized_bytes, accepted),
    ]


@dataclass
class Counts:
    """What the run saw, for the figures."""

    filed: dict[int, str] = field(default_factory=dict)  # sample index -> dossier id
    http_retries: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    injected: list[bytes] = field(default_factory=list)  # SHA-256 of each poison record
    edge_refusals: Counter[int] = field(default_factory=Counter)  # status of oversized filings
    suppressed: dict[tuple[str, str], float] = field(default_factory=dict)  # (service, pid)


class Chaos:
    def __init__(self, dossiers: int, seed: int, data_dir: Path, *, window: float,
                 settle_timeout: float, say=print) -> None:
        from motcua_cli.embedded_stack import EmbeddedStack

        self.dossiers = dossiers
        self.rng = random.Random(seed)
        self.window = window
        self.settle_timeout = settle_timeout
        self.say = say
        self.counts = Counts()
        self.stack = EmbeddedStack(data_dir, api_port=free_port(), say=say)
        self.api_url = f"http://127.0.0.1:{self.stack.api_port}"

    # ---- filing: at-least-once from the client's side, exactly once thanks to the key --------

    async def file_all(self, client: httpx.AsyncClient) -> None:
        procedures = await self._procedures(client)
        rng = random.Random(self.rng.random())
        bodies = [sample_submission(rng.choice(procedures), rng) for _ in range(self.dossiers)]
        interval = self.window / max(1, self.dossiers)
        semaphore = asyncio.Semaphore(8)

        async def one(index: int, body: dict[str, Any]) -> None:
            await asyncio.sleep(index * interval)
            key = f"chaos-{index}-{uuid.uuid4()}"
            async with semaphore:
                self.counts.filed[index] = await self._file(client, body, key)

        await asyncio.gather(*(one(i, body) for i, body in enumerate(bodies)))

    async def _file(self, client: httpx.AsyncClient, body: dict[str, Any], key: str) -> str:
        """Until intake answers 202: a timeout, a refused connection or a 5xx is retried with
        the same Idempotency-Key, as a portal would, so a filing whose answer was lost in a
        crash is not filed twice."""
        delay = 0.2
        while True:
            try:
                response = await client.post("/api/dossiers", json=body,
                                             headers={"Idempotency-Key": key})
                if response.status_code == 202:
                    return response.json()["dossier_id"]
                if response.status_code < 500 and response.status_code != 429:
                    raise RuntimeError(f"filing refused: {response.status_code} {response.text}")
            except httpx.TransportError:
                pass
            self.counts.http_retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _procedures(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        """The catalogue, with the sample documents' files stored (filings name them)."""
        for _ in range(100):
            try:
                procedures = (await client.get("/api/procedures")).raise_for_status().json()
                await upload_sample_files(client, procedures)  # stored once, by their digest
                return procedures
            except (httpx.HTTPError, RuntimeError):
                await asyncio.sleep(0.5)
        raise RuntimeError("intake's catalogue did not answer")

    async def oversized_filing(self, client: httpx.AsyncClient) -> None:
        """A 20 MB filing: refused at the edge (413), and nothing else stops."""
        body = b'{"procedure_code": "' + b"x" * 20_000_000 + b'"}'
        for _ in range(20):
            try:
                response = await client.post("/api/dossiers", content=body,
                                             headers={"content-type": "application/json"})
                self.counts.edge_refusals[response.status_code] += 1
                return
            except httpx.TransportError:
                await asyncio.sleep(1)

    # ---- faults -------------------------------------------------------------------------------

    async def run_faults(self, client: httpx.AsyncClient, faults: list[Fault]) -> None:
        started = time.monotonic()
        for fault in faults:
            await asyncio.sleep(max(0.0, fault.at - (time.monotonic() - started)))
            await self._until_all_alive()
            self.say(f"[chaos] t={time.monotonic() - started:5.1f}s {fault.kind}"
                     + (f" {fault.target}" if fault.target else ""))
            await self._inflict(client, fault)
            self.counts.faults[fault.kind] += 1

    async def _until_all_alive(self, timeout: float = 120) -> None:
        """Until the supervisor has brought back whatever the previous fault took down: a fault
        on a process that is still dead would be no fault at all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(child.alive() for child in self.stack.processes().values()):
                return
            await asyncio.sleep(0.2)

    async def _inflict(self, client: httpx.AsyncClient, fault: Fault) -> None:
        stack = self.stack
        if fault.kind in (STAGE_KILL, POSTGRES_KILL, BROKER_KILL):
            target = {POSTGRES_KILL: "postgres", BROKER_KILL: "broker"}.get(fault.kind,
                                                                            fault.target)
            await asyncio.to_thread(stack.process(target).kill)
        elif fault.kind == INTAKE_MID_REQUEST:
            # Requests in flight when the process dies: their clients retry with their keys.
            rng = random.Random(self.rng.random())
            procedures = await self._procedures(client)
            pending = [asyncio.create_task(self._file(
                client, sample_submission(rng.choice(procedures), rng), f"chaos-mid-{i}"))
                for i in range(5)]
            await asyncio.sleep(0.05)
            await asyncio.to_thread(stack.process("intake").kill)
            for index, task in enumerate(pending):
                self.counts.filed[self.dossiers + index] = await task
        elif fault.kind == BROKER_FREEZE:
            broker = stack.process("broker")
            await asyncio.to_thread(broker.freeze)
            await asyncio.sleep(FREEZE_SECONDS)
            await asyncio.to_thread(broker.thaw)
        elif fault.kind == POISON:
            await self._inject_poison()
            await self.oversized_filing(client)

    async def _inject_poison(self) -> None:
        records = poison_records(self.rng, oversized_bytes=int(max_message_bytes() * 1.5))
        for _ in range(60):  # the broker may be restarting
            producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap_servers,
                                        max_request_size=4 * max_message_bytes(),
                                        request_timeout_ms=10_000, enable_idempotence=False,
                                        **kafka_client_options(self.stack.bootstrap_servers))
            try:
                await producer.start()
                for value, headers in records:
                    await producer.send_and_wait(self.stack.topic, value,
                                                 key=self.rng.randbytes(8).hex().encode(),
                                                 headers=headers)
                self.counts.injected = [hashlib.sha256(v).digest() for v, _ in records]
                break
            except Exception as error:  # noqa: BLE001 - any broker trouble: try again
                self.say(f"[chaos] injecting: {type(error).__name__}: {error}; again in 1s")
                await asyncio.sleep(1)
            finally:
                await producer.stop()
        else:
            raise RuntimeError("could not put the malformed records on the topic")
        await self._wait_archived(self.counts.injected)

    async def _wait_archived(self, digests: list[bytes], timeout: float = 120) -> None:
        """Until the audit archive holds every injected record. The embedded broker keeps its
        log in memory: a broker killed before the archive read them would take them with it,
        and the restore can only bring back what the archive holds. A real operator's poison
        has the same fate; the run waits so that what it counts is what it put there."""
        engine = create_engine(self.stack.database_url, pool_size=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    async with engine.connect() as connection:
                        held = await connection.scalar(text(
                            "SELECT count(DISTINCT value_sha256) FROM audit.events"
                            " WHERE value_sha256 = ANY(:digests)"), {"digests": digests})
                    if held == len(set(digests)):
                        return
                except Exception:  # noqa: BLE001 - Postgres may be coming back
                    pass
                await asyncio.sleep(0.5)
        finally:
            await engine.dispose()
        self.say("[chaos] the archive did not take every injected record in time")

    def scrape_suppressed(self) -> None:
        """Redeliveries each process's inbox suppressed, kept per process incarnation (a killed
        process takes its counters with it; its last reading stays here)."""
        for service in self.stack.services:
            try:
                with urllib.request.urlopen(service.metrics_url, timeout=1) as response:
                    body = response.read().decode()
            except OSError:
                continue
            total = sum(float(value) for value in re.findall(
                r"^motcua_redeliveries_suppressed_total\{[^}]*\} ([0-9.e+]+)$", body, re.M))
            self.counts.suppressed[(service.name, str(service.pid))] = total

    # ---- settling and judging -----------------------------------------------------------------

    async def wait_settled(self) -> float:
        """Seconds until every filed dossier is terminal (or the limit)."""
        started = time.monotonic()
        engine = create_engine(self.stack.database_url, pool_size=1)
        try:
            while time.monotonic() - started < self.settle_timeout:
                try:
                    if not await self._unfinished(engine):
                        break
                except Exception:  # noqa: BLE001 - Postgres may be coming back
                    pass
                self.scrape_suppressed()
                await asyncio.sleep(1)
        finally:
            await engine.dispose()
        return time.monotonic() - started

    async def _unfinished(self, engine) -> int:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT id, status_code FROM intake.dossiers WHERE id = ANY(:ids)"),
                {"ids": [uuid.UUID(i) for i in self.counts.filed.values()]})).all()
        done = sum(1 for _, status in rows if Status(status) in TERMINAL)
        return len(self.counts.filed) - done

    async def judge(self) -> dict[str, Any]:
        engine = create_engine(self.stack.database_url, pool_size=1)
        ids = [uuid.UUID(i) for i in self.counts.filed.values()]
        try:
            async with engine.connect() as connection:
                statuses = dict((await connection.execute(text(
                    "SELECT id, status_code FROM intake.dossiers WHERE id = ANY(:ids)"),
                    {"ids": ids})).all())
                total_dossiers = await connection.scalar(text(
                    "SELECT count(*) FROM intake.dossiers"))
        finally:
            await engine.dispose()
        records = await read_all(self.stack.bootstrap_servers, self.stack.topic)
        dead = await read_all(self.stack.bootstrap_servers, self.stack.topic + DLQ_SUFFIX)
        delivered_events: dict[str, set[str]] = {}
        for record in records:
            if _header(record, Headers.TYPE) == "ResultDelivered":
                try:
                    document = json.loads(record.value)
                except ValueError:
                    continue
                delivered_events.setdefault(document["dossier_id"], set()).add(
                    document["event_id"])
        terminal = sum(1 for status in statuses.values() if Status(status) in TERMINAL)
        delivered = [d for d, s in statuses.items() if s == Status.DELIVERED]
        duplicates = (sum(1 for d in delivered if len(delivered_events.get(str(d), ())) > 1)
                      + max(0, total_dossiers - len(ids)))
        missing_delivery = sum(1 for d in delivered if not delivered_events.get(str(d)))
        dead_values = {_original_sha256(record) for record in dead}
        injected = set(self.counts.injected)
        # The replay runs its own event loop: in a thread, beside this one.
        replay_findings = await asyncio.to_thread(self._replay_findings, records, injected)
        return {
            "dossiers": len(ids), "terminal": terminal,
            "lost": len(ids) - terminal + missing_delivery, "duplicates": duplicates,
            "statuses": {str(code): n for code, n in sorted(Counter(statuses.values()).items())},
            "dead_letters": len(dead),
            "dead_letters_not_injected": len(dead_values - injected),
            "injected_not_dead_lettered": len(injected - dead_values),
            "replay_findings_not_injected": replay_findings,
            "edge_refusals": {str(k): v for k, v in self.counts.edge_refusals.items()},
        }

    def _replay_findings(self, records: list, injected: set[bytes]) -> list[dict[str, Any]]:
        """The auditors' replay of the whole topic: its findings, less those about the records
        this run injected (which the replay must name)."""
        from motcua_audit.replay import replay
        from motcua_audit.sources import TopicSource

        position = {(r.partition, r.offset): hashlib.sha256(r.value or b"").digest()
                    for r in records}
        from motcua_cli.up import keys_dir_of

        result = replay(TopicSource(self.stack.bootstrap_servers, self.stack.topic),
                        keys_dir_of(self.stack.data_dir) / "registry.json",
                        database_url=self.stack.database_url)
        return [finding.to_json() for finding in result.findings
                if position.get((finding.partition, finding.offset)) not in injected]

    # ---- the run ------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.stack.start()
        stages = [s.name for s in self.stack.services if s.stage != "intake"]
        faults = plan_faults(self.rng, self.window, stages)
        stop = threading.Event()
        supervision = threading.Thread(target=self.stack.supervise, args=(stop,), daemon=True)
        supervision.start()
        started = time.monotonic()
        try:
            result = asyncio.run(self._flow(faults))
        finally:
            stop.set()
            supervision.join()
        result["seconds"] = round(time.monotonic() - started, 1)
        result["faults"] = dict(self.counts.faults)
        result["http_retries"] = self.counts.http_retries
        result["redeliveries_suppressed"] = int(sum(self.counts.suppressed.values()))
        result["restarts"] = {name: self.stack.supervisor.restarts(name)
                              for name in self.stack.processes()
                              if self.stack.supervisor.restarts(name)}
        result["restores"] = len([r for r in self.stack.restores
                                  if getattr(r, "archived", 0) or getattr(r, "resent", 0)])
        return result

    async def _flow(self, faults: list[Fault]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=15) as client:
            await asyncio.gather(self.file_all(client), self.run_faults(client, faults),
                                 self._scrape_while_filing())
        settle = await self.wait_settled()
        await asyncio.to_thread(self.stack.wait_ready)
        result = await self.judge()
        result["settle_seconds"] = round(settle, 1)
        return result

    async def _scrape_while_filing(self) -> None:
        deadline = time.monotonic() + self.window + FREEZE_SECONDS
        while time.monotonic() < deadline:
            await asyncio.to_thread(self.scrape_suppressed)
            await asyncio.sleep(1)


def passed(result: dict[str, Any]) -> bool:
    return (result["lost"] == 0 and result["duplicates"] == 0
            and result["terminal"] == result["dossiers"]
            and result["dead_letters_not_injected"] == 0
            and result["injected_not_dead_lettered"] == 0
            and not result["replay_findings_not_injected"]
            and set(result["edge_refusals"]) == {"413"})  # the 20 MB filing, refused


async def read_all(bootstrap_servers: str, topic: str, quiet_seconds: float = 2.0) -> list:
    """Every record of `topic` from offset 0, without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_bytes=64 * 1024 * 1024,
                                max_partition_fetch_bytes=16 * 1024 * 1024,
                                **kafka_client_options(bootstrap_servers))
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata partitions_for_topic reads
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records, quiet_since = [], time.monotonic()
        while time.monotonic() - quiet_since < quiet_seconds:
            batch = await consumer.getmany(timeout_ms=300)
            if batch:
                quiet_since = time.monotonic()
                records.extend(r for part in batch.values() for r in part)
        return records
    finally:
        await consumer.stop()


def _header(record, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return value.decode(errors="replace")
    return None


def _original_sha256(record) -> bytes:
    """The SHA-256 of the record a dead letter stands for: its own bytes, or, for a record too
    large to copy whole, the digest the consumer put in its headers."""
    carried = _header(record, Headers.DLQ_VALUE_SHA256)
    return bytes.fromhex(carried) if carried else hashlib.sha256(record.value or b"").digest()


def chaos(dossiers: int, seed: int, *, data_dir: Path | None = None,
          json_path: Path | None = None, window: float | None = None,
          settle_timeout: float = 900) -> int:
    folder = data_dir or Path(tempfile.mkdtemp(prefix="motcua-chaos-"))
    # Every filing comes from this machine: the per-client rate limits would refuse most of a
    # few hundred, which is the limit doing its job, not a fault under test. The per-code limit
    # on lookups still applies.
    os.environ.setdefault("INTAKE_RATE_LIMIT_EXEMPT", "127.0.0.1")
    # Faults spread over the time the filings take: about 4 dossiers a second.
    runner = Chaos(dossiers, seed, folder, window=window or max(40.0, dossiers / 4),
                   settle_timeout=settle_timeout)
    try:
        result = runner.run()
    finally:
        runner.stack.close()
    result["seed"] = seed
    result["passed"] = passed(result)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["passed"] else 1


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "chaos", help="run the embedded stack under crashes, a frozen and a lost broker, a "
                      "killed Postgres and poison records; exit 1 on any loss or duplicate")
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the figures to FILE")
    parser.add_argument("--window", type=float, default=None,
                        help="seconds over which dossiers are filed and faults injected "
                             "(default: dossiers/4, at least 40)")
    parser.add_argument("--settle-timeout", type=float, default=900)
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="run in DIR (a fresh folder) and keep its logs; default: a "
                             "temporary folder")


def run(args) -> int:
    if args.dossiers < 1:
        raise SystemExit("--dossiers: at least 1")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        raise SystemExit(f"--keep {args.keep}: the folder must be new or empty")
    return chaos(args.dossiers, args.seed, data_dir=args.keep, json_path=args.json,
                 window=args.window, settle_timeout=args.settle_timeout)
