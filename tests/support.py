"""Helpers the integration and end-to-end tests share: a stack of real processes on the
embedded broker and Postgres, reading a topic from offset 0, filing sample dossiers."""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import json
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli import SERVICES, STAGES
from motcua_cli.embedded import create_database, free_port
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_cli.supervisor import ServiceProcess, plan_services, start_all, stop_all
from motcua_cli.up import migrate_all
from motcua_contracts import DLQ_SUFFIX, Event, canonical_json, seal
from motcua_files import FilesSettings, FilesystemStore
from motcua_intake.api import create_api
from motcua_intake.desk_queue import add_desk_queue
from motcua_intake.files.documents import DossierFiles
from motcua_intake.handlers import Intake, intake_stage
from motcua_pki import DEV_PASSPHRASE, PASSPHRASE_ENV, init_dev_pki
from motcua_runtime.kafka import create_topics
from motcua_runtime.keys import Signer, ensure_keys, signer_for
from motcua_runtime.officers import Officer
from motcua_runtime.roles import ensure_service_roles, generate_passwords
from motcua_runtime.scope import AgencyScope
from tests.officer_tokens import issuer_private_key_file, issuer_public_key_file, officer_token


@cache
def dev_pki() -> Path:
    """A development PKI with a certificate for every agency, made once per test session (a
    root and thirteen RSA keys take a second or two)."""
    directory = Path(tempfile.mkdtemp(prefix="motcua-test-pki-"))
    atexit.register(shutil.rmtree, directory, True)
    init_dev_pki(directory, [(a.code, a.name) for a in default_catalogue().agencies.values()])
    return directory


E = TypeVar("E", bound=Event)


def create_test_keys(keys_dir: Path) -> Path:
    """A key for every stage's shared instance and for each agency's own instance. The shared
    keys are unscoped (every agency): one registry serves stacks of every shape in a session.
    A stack that needs the scopes `motcua up` writes copies this folder and scopes it with
    `ensure_dev_keys` (tests/e2e/test_agency_instances.py)."""
    agencies = [None, *default_catalogue().agencies]
    ensure_keys(keys_dir, [(stage, agency) for stage in STAGES for agency in agencies])
    ensure_keys(keys_dir, [("import", None)])  # motcua import-legacy's
    return keys_dir


@functools.cache
def signer_of(service: str, agency: str | None = None) -> Signer:
    """The test key of an instance (the session's MOTCUA_KEYS_DIR)."""
    return signer_for(Path(os.environ["MOTCUA_KEYS_DIR"]), service, agency)


def signed(event: E, service: str | None = None, agency: str | None = None) -> E:
    """`event` signed with the test key of `service` (default: its producer's service) and
    `agency` (default: its producer's agency), the producer set to that key's."""
    signer = signer_of(service or event.producer.service,
                       agency if service else event.producer.agency)
    return seal(event.model_copy(update={"producer": signer.producer}), signer.sign)


def resigned(document: dict, service: str, agency: str | None = None) -> bytes:
    """A raw event document, hashed and signed again with a test key, as message bytes: what a
    producer holding that key can publish."""
    signer = signer_of(service, agency)
    document = {**document, "producer": signer.producer.model_dump(mode="json")}
    unsigned = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    body = canonical_json(unsigned)
    return json.dumps({**unsigned, "hash": hashlib.sha256(body).hexdigest(),
                       "signature": signer.sign(body)}, ensure_ascii=False).encode()


@dataclass
class Infrastructure:
    """The session's Postgres server and broker; each stack gets its own database and topic."""

    server_url: str
    bootstrap_servers: str
    # The embedded Postgres server's data folder (None for a server given by URL): the privacy
    # test reads every file of it.
    data_dir: Path | None = None

    async def isolated(self, name: str) -> tuple[str, str]:
        suffix = uuid.uuid4().hex[:8]
        database_url = await create_database(self.server_url, f"{name}_{suffix}")
        topic = f"{name}.{suffix}.dossier.events"
        await create_topics(self.bootstrap_servers, topic, topic + DLQ_SUFFIX, partitions=6)
        await asyncio.to_thread(migrate_all, database_url)
        return database_url, topic


@dataclass
class RunningStack:
    api_url: str
    database_url: str
    topic: str
    bootstrap_servers: str
    services: list[ServiceProcess]

    def service(self, name: str) -> ServiceProcess:
        return next(s for s in self.services if s.name == name)

    def logs(self, name: str) -> str:
        return self.service(name).log_path.read_text(errors="replace")

    def queue_url(self, name: str) -> str:
        url = self.service(name).http_url
        assert url, f"{name} serves no work queue"
        return url


@contextmanager
def running_stack(infra: Infrastructure, database_url: str, topic: str, log_dir: Path,
                  agencies: dict[str, list[str]] | None = None,
                  officers: bool = False, operations: bool = False, workspace: bool = False,
                  env: dict[str, str] | None = None) -> Iterator[RunningStack]:
    """Every service as `motcua up` runs it; `env` adds to (or overrides) every service's
    environment (e.g. SMTP_HOST). The operations view only when asked: it is one
    more consumer that dead-letters what it cannot apply, and the tests that count dead letters
    per consumer (and the suite's time) are written for the stages and the archive. The
    officers' workspace only when asked too (one more process), with the session issuer's
    private key, as `motcua up` gives it the data folder's."""
    api_port = free_port()
    env_given = env
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
           "DOSSIER_TOPIC": topic, "LOG_LEVEL": "INFO",
           # Intake's file store, as `motcua up` has it under its data folder.
           "FILES_STORE": "filesystem", "FILES_DIR": tempfile.mkdtemp(prefix="motcua-files-"),
           "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY": str(issuer_public_key_file()),
           # As `motcua up`: the development PKI's published passphrase is accepted.
           "MOTCUA_ENV": "development",
           "MOTCUA_OFFICERS": "1" if officers else "0",
           "SIGNING_PKI_DIR": str(dev_pki()), PASSPHRASE_ENV: DEV_PASSPHRASE,
           # The suites file and poll hundreds of dossiers from here, as no citizen does; the
           # limits themselves are tested in-process (tests/intake/test_rate_limits.py).
           "INTAKE_RATE_LIMIT_EXEMPT": "127.0.0.1/32",
           "OPERATIONS_RATE_LIMIT_EXEMPT": "127.0.0.1/32", **(env or {})}
    wanted = {"operations": operations, "workspace": workspace}
    services = plan_services(env, log_dir, api_port=api_port, agencies=agencies, services=tuple(
        name for name in SERVICES if wanted.get(name, True)))
    for service in services:
        if service.stage == "workspace":
            service.env |= {"MOTCUA_TOKEN_ISSUER_PRIVATE_KEY": str(issuer_private_key_file()),
                            "WORKSPACE_COOKIE_SECURE": "false"}
    # As `motcua up` does: each process logs in as its own role (unless a test overrides it).
    if "DATABASE_URL" not in (env_given or {}):
        urls = ensure_service_roles(database_url, TEST_ROLE_PASSWORDS)
        for service in services:
            service.env["DATABASE_URL"] = urls[service.stage]
    try:
        start_all(services)
        yield RunningStack(f"http://127.0.0.1:{api_port}", database_url, topic,
                           infra.bootstrap_servers, services)
    finally:
        stop_all(services)


# Roles are cluster-wide and every test database shares the session's server: one password per
# role for the whole session, so setting them for a new database never locks out a running one.
TEST_ROLE_PASSWORDS = generate_passwords()


def intake_with_desk_queue(sessions: Any, catalogue: Any, calendar: Any, topic: str,
                           current_officer: Any, files: DossierFiles) -> Any:
    """Intake's API with the desk officers' work queue, as motcua_intake.app wires them (one
    Intake for the stage and the queue; every agency's items; no outbox relay to wake)."""
    app = create_api(sessions, catalogue, calendar, topic, on_commit=lambda: None,
                     current_officer=current_officer, signer=signer_of("intake"), files=files)
    intake = Intake(catalogue, calendar)
    add_desk_queue(app, intake_stage(intake), intake.work_queue(), current_officer=current_officer,
                   scope=AgencyScope.shared(set()), signer=signer_of("intake"), topic=topic,
                   on_commit=lambda: None)
    return app


def dossier_files(root: Path | None = None) -> DossierFiles:
    """Intake's file store for an in-process app: a filesystem store (a new temporary folder
    unless `root` is given), with the default limits."""
    folder = root or Path(tempfile.mkdtemp(prefix="motcua-files-"))
    return DossierFiles(FilesystemStore(folder), FilesSettings(dir=folder))


def officer_headers(agency: str, role: str, name: str = "can.bo") -> dict[str, str]:
    token = officer_token(Officer(name, agency, role))
    return {"Authorization": f"Bearer {token}"}


async def file_dossiers(api_url: str, count: int, *, seed: int = 7, complete: bool = True,
                        into: list[str] | None = None) -> list[str]:
    """File `count` sample dossiers one after another; `into` sees each id as it is filed."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        procedures = (await client.get("/api/procedures")).raise_for_status().json()
        await upload_sample_files(client, procedures)
        ids = into if into is not None else []
        for _ in range(count):
            response = await client.post("/api/dossiers", json=sample_submission(
                rng.choice(procedures), rng, complete=complete))
            assert response.status_code == 202, response.text
            ids.append(response.json()["dossier_id"])
        return ids


async def statuses(api_url: str, ids: list[str]) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        semaphore = asyncio.Semaphore(16)

        async def one(dossier_id: str) -> tuple[str, int]:
            async with semaphore:
                body = (await client.get(f"/api/dossiers/{dossier_id}")).raise_for_status().json()
            return dossier_id, body["status"]["code"]

        return dict(await asyncio.gather(*(one(i) for i in ids)))


async def wait_for_statuses(api_url: str, ids: list[str], wanted: set[int],
                            timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        current = await statuses(api_url, ids)
        if all(code in wanted for code in current.values()):
            return current
        if time.monotonic() > deadline:
            stuck = {i: c for i, c in current.items() if c not in wanted}
            raise AssertionError(f"{len(stuck)} dossiers not in {wanted} after {timeout}s: "
                                 f"{list(stuck.items())[:5]}")
        await asyncio.sleep(0.5)


async def read_topic(bootstrap_servers: str, topic: str, *, quiet_seconds: float = 2.0,
                     timeout: float = 60) -> list[ConsumerRecord]:
    """Every record of `topic` from offset 0, with no consumer group, as an auditor reads it:
    at least all it held when called, and what came until it was quiet for `quiet_seconds`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p)
                          for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Read at least up to where each partition ended when we started (a quiet moment alone
        # is not enough: on a loaded machine the broker can be slow to answer one partition),
        # then until nothing new came for `quiet_seconds`.
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
                last_new = time.monotonic()
            if time.monotonic() - last_new < quiet_seconds:
                continue
            if all([await consumer.position(tp) >= ends[tp] for tp in partitions]):
                break
        return records
    finally:
        await consumer.stop()


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return value.decode()
    return None


# ---- Officers' work queues, over HTTP ----

async def queue_of(client: httpx.AsyncClient, headers: dict[str, str], code: str,
                   *, kind: str = "dossier", timeout: float = 60) -> dict[str, Any]:
    """The open item of that dossier in the queue the headers' officer sees."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get("/api/work-items", headers=headers)
        assert response.status_code == 200, response.text
        for item in response.json():
            if item["code"] == code and item["kind"] == kind:
                return item
        assert time.monotonic() < deadline, f"no open {kind} item for {code}"
        await asyncio.sleep(0.2)


async def decide(client: httpx.AsyncClient, headers: dict[str, str], item: dict[str, Any],
                 decision: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/work-items/{item['id']}/decisions/{decision}",
                             headers=headers, json=body)


def chained_after_root(event: E) -> tuple[Event, E]:
    """A signed DossierSubmitted for `event`'s dossier and `event` re-made as its effect,
    signed: what every consumer needs to see before it acts on a hand-off (motcua_runtime.chains
    dead-letters an event whose cause it does not know)."""
    from motcua_contracts import new_event
    from motcua_contracts.intake import DossierSubmitted
    from tests.personal import sealed
    root = signed(new_event(
        DossierSubmitted, dossier_id=event.dossier_id, agency=event.agency,
        producer=event.producer.model_copy(update={"service": "intake"}),
        code="000.00.22.H38-261124-0001", procedure_code="1.001612", channel="online",
        applicant=sealed(event.dossier_id, {"full_name": "Lò Thị Mai",
                                            "id_number": "010203004567",
                                            "phone": "0912345678", "address": "Lào Cai"}),
        documents=[], delivery={"channel": "online"}, data=sealed(event.dossier_id, {}),
        received_at=event.occurred_at), "intake", event.agency)
    effect = event.model_copy(update={"causation_id": root.event_id,
                                      "causation_hash": root.hash})
    return root, signed(effect)


async def view_at(client: httpx.AsyncClient, dossier: dict[str, Any], status: int,
                  timeout: float = 120) -> dict[str, Any]:
    """The dossier's view (`dossier`: a filing's answer) once it is at `status`; fails naming
    where it stopped, with its timeline, after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        view = (await client.get(f"/api/dossiers/{dossier['dossier_id']}")).json()
        if view["status"]["code"] == status:
            return view
        assert time.monotonic() < deadline, (
            f"{dossier['code']} at {view['status']}, not {status}: "
            f"{[e['type'] for e in view['timeline']]}")
        await asyncio.sleep(0.3)
