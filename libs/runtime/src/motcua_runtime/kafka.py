"""Kafka clients configured for what both Apache Kafka and the embedded broker handle."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

MAX_MESSAGE_BYTES = 5 * 1024 * 1024
# Events are kept for ever: auditors replay the topic from offset 0.
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


def create_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    # No idempotent producer: the embedded broker cannot initialise one, and the consumers' inbox
    # already turns a re-sent message into a no-op.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        linger_ms=5,
        max_request_size=MAX_MESSAGE_BYTES,
        enable_idempotence=False,
    )


async def create_topics(bootstrap_servers: str, topic: str, dlq_topic: str,
                        *, partitions: int = 12) -> list[str]:
    """Create the dossier topic and its dead-letter topic once, with their final partition
    counts and configs (the embedded broker cannot alter them later). Returns the new ones."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-topics",
                                request_timeout_ms=30_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(topic, partitions, 1, topic_configs=KEEP_FOREVER),
                  NewTopic(dlq_topic, max(1, partitions // 4), 1, topic_configs=KEEP_FOREVER)]
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # a concurrent creator won the race; the topic is there either way
        return [t.name for t in missing]
    finally:
        await admin.close()
