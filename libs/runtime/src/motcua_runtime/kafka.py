"""Kafka clients configured for what both Apache Kafka and the embedded broker handle, and the one
record size limit that the producer, the topics and the consumers share."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from typing import TypedDict

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from motcua_runtime.transport import TransportSettingError, kafka_client_options

log = structlog.get_logger(__name__)

# The largest record (its record batch, as Kafka counts it) we produce. Apache Kafka's default
# message.max.bytes, so a stock broker takes everything we send; raise it with the broker's.
DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
MAX_MESSAGE_BYTES_ENV = "KAFKA_MAX_MESSAGE_BYTES"
# aiokafka packs small records into batches of up to 16 KiB; a limit above that means a batch of
# several records is never refused for its size, so a size refusal names the one record.
MIN_MESSAGE_BYTES = 64 * 1024
# How long a consumer may go silent before its group gives its partitions to another member. A
# batch is applied on the event loop, so a long one delays heartbeats: the default leaves room
# for a signing batch under load. Apache Kafka refuses less than 6 s (group.min.session.timeout.ms);
# the embedded broker makes a new member wait about half of it before its first assignment, which
# is why the test stacks use the minimum (each stack start and restart waits less).
SESSION_TIMEOUT_ENV = "KAFKA_SESSION_TIMEOUT_MS"
DEFAULT_SESSION_TIMEOUT_MS = 15_000
MIN_SESSION_TIMEOUT_MS = 6_000
# Events are kept for ever: auditors replay the topic from offset 0.
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


def max_message_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The record limit: KAFKA_MAX_MESSAGE_BYTES, else 1 MiB."""
    raw = (os.environ if environ is None else environ).get(MAX_MESSAGE_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_MESSAGE_BYTES_ENV}={raw!r} is not a number of bytes") from None
    if value < MIN_MESSAGE_BYTES:
        raise ValueError(f"{MAX_MESSAGE_BYTES_ENV}={value}: at least {MIN_MESSAGE_BYTES}")
    return value


def create_producer(bootstrap_servers: str, client_id: str, *,
                    max_record_bytes: int | None = None) -> AIOKafkaProducer:
    # No idempotent producer: the embedded broker cannot initialise one, and the consumers' inbox
    # already turns a re-sent message into a no-op.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        linger_ms=5,
        max_request_size=max_record_bytes or max_message_bytes(),
        enable_idempotence=False,
        **kafka_client_options(bootstrap_servers),
    )


class GroupTiming(TypedDict):
    """Consumer keyword arguments for its group membership (see SESSION_TIMEOUT_ENV)."""

    session_timeout_ms: int
    heartbeat_interval_ms: int


def group_timing(environ: Mapping[str, str] | None = None) -> GroupTiming:
    """KAFKA_SESSION_TIMEOUT_MS (default 15 s), heartbeats five times within it."""
    raw = (os.environ if environ is None else environ).get(SESSION_TIMEOUT_ENV, "").strip()
    try:
        session = int(raw) if raw else DEFAULT_SESSION_TIMEOUT_MS
    except ValueError:
        raise ValueError(f"{SESSION_TIMEOUT_ENV}={raw!r} is not a number of milliseconds") from None
    if not MIN_SESSION_TIMEOUT_MS <= session <= 300_000:
        raise ValueError(f"{SESSION_TIMEOUT_ENV}={session}: between {MIN_SESSION_TIMEOUT_MS} and "
                         "300000 ms (Apache Kafka's group limits)")
    return GroupTiming(session_timeout_ms=session, heartbeat_interval_ms=session // 5)


class FetchLimits(TypedDict):
    """Consumer keyword arguments; typed by name, so that `**fetch_limits()` type-checks
    against a consumer's signature."""

    max_partition_fetch_bytes: int
    fetch_max_bytes: int


def fetch_limits(max_record_bytes: int | None = None) -> FetchLimits:
    """Consumer fetch sizes that hold the largest record we produce. (Brokers hand out a first
    batch larger than the fetch size anyway, KIP-74; this keeps the fetch from being one record
    at a time when records are large.)"""
    limit = max_record_bytes or max_message_bytes()
    return FetchLimits(max_partition_fetch_bytes=max(1024 * 1024, limit),
                       fetch_max_bytes=max(50 * 1024 * 1024, limit))


async def create_topics(bootstrap_servers: str, topic: str, dlq_topic: str,
                        *, partitions: int = 12, max_record_bytes: int | None = None) -> list[str]:
    """Create the dossier topic and its dead-letter topic once, with their final partition
    counts and configs (the embedded broker cannot alter them later), `max.message.bytes` the
    record limit. Returns the new ones."""
    configs = {**KEEP_FOREVER, "max.message.bytes": str(max_record_bytes or max_message_bytes())}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-topics",
                                request_timeout_ms=30_000,
                                **kafka_client_options(bootstrap_servers))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(topic, partitions, 1, topic_configs=configs),
                  NewTopic(dlq_topic, max(1, partitions // 4), 1, topic_configs=configs)]
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # a concurrent creator won the race; the topic is there either way
        return [t.name for t in missing]
    finally:
        await admin.close()


class RecordLimitMismatch(RuntimeError):
    """The broker accepts smaller records than we produce: refuse to start. (Not SystemExit:
    asyncio lets that escape the event loop past the awaiting caller.)"""


def limit_problems(ours: int, topic_limits: Mapping[str, int | None],
                   broker_limits: Iterable[int]) -> tuple[list[str], list[str]]:
    """(mismatches, topics whose limit is unknown). A topic's own max.message.bytes overrides
    the broker's message.max.bytes; without it the smallest broker's applies."""
    brokers = list(broker_limits)
    problems, unknown = [], []
    for topic, own in topic_limits.items():
        limit = own if own is not None else (min(brokers) if brokers else None)
        if limit is None:
            unknown.append(topic)
        elif limit < ours:
            source = "max.message.bytes" if own is not None else "the broker's message.max.bytes"
            problems.append(
                f"topic {topic} accepts records up to {limit} bytes ({source}) but "
                f"{MAX_MESSAGE_BYTES_ENV} is {ours}: records in between would be refused; lower "
                f"{MAX_MESSAGE_BYTES_ENV} to {limit} or raise the topic's max.message.bytes")
    return problems, unknown


def _config_value(resource: tuple, name: str) -> int | None:
    error_code, _, _, _, entries = resource[:5]
    if error_code:
        return None  # e.g. the topic does not exist yet
    for entry in entries:
        if entry[0] == name and entry[1] is not None:
            try:
                return int(entry[1])
            except ValueError:
                return None
    return None


async def broker_limits(bootstrap_servers: str, topics: Iterable[str]
                        ) -> tuple[dict[str, int | None], list[int]]:
    """The topics' max.message.bytes and every broker's message.max.bytes, by DescribeConfigs.
    Asks for every config, never by name: the embedded Tansu drops the connection when the
    request names configs. Tansu answers with only the configs a topic was created with, and
    nothing for a broker; Apache Kafka answers with the effective values."""
    topics = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-limits",
                                request_timeout_ms=30_000,
                                **kafka_client_options(bootstrap_servers))
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics] + [
            ConfigResource(ConfigResourceType.BROKER, str(b["node_id"]))
            for b in cluster["brokers"]]
        topic_limits: dict[str, int | None] = dict.fromkeys(topics)
        brokers: list[int] = []
        for response in await admin.describe_configs(resources):
            for resource in response.resources:
                if resource[2] == ConfigResourceType.TOPIC:
                    topic_limits[resource[3]] = _config_value(resource, "max.message.bytes")
                else:
                    value = _config_value(resource, "message.max.bytes")
                    if value is not None:
                        brokers.append(value)
        return topic_limits, brokers
    finally:
        await admin.close()


async def check_record_limit(bootstrap_servers: str, topics: Iterable[str],
                             max_record_bytes: int | None = None) -> None:
    """At start-up: refuse to run when the broker allows smaller records than we produce (every
    record in between would be parked). A broker that does not say (no DescribeConfigs, or no
    value) cannot be checked: warn once and go on, since refusing would stop every stage on
    brokers that work; the relay still parks what the broker refuses."""
    ours = max_record_bytes or max_message_bytes()
    topics = list(topics)
    try:
        topic_limits, brokers = await asyncio.wait_for(
            broker_limits(bootstrap_servers, topics), timeout=30)
    except TransportSettingError:
        raise  # our settings, not the broker's silence: stop with the variable named
    except Exception as error:
        log.warning("the broker did not answer DescribeConfigs; record limit not checked",
                    limit=ours, error=f"{type(error).__name__}: {error}")
        return
    problems, unknown = limit_problems(ours, topic_limits, brokers)
    if problems:
        for problem in problems:
            log.error("record limit mismatch", problem=problem)
        raise RecordLimitMismatch("; ".join(problems))
    if unknown:
        log.warning("the broker does not report the record limit of these topics; not checked",
                    topics=unknown, limit=ours)
