"""The rebalance listener every consumer shares (motcua_runtime.assignment): the assigned
partitions gauge is the readiness signal, and a revoked partition's lag is forgotten here."""

from __future__ import annotations

from aiokafka.structs import TopicPartition
from prometheus_client import REGISTRY

from motcua_runtime import metrics
from motcua_runtime.assignment import AssignmentGauge


def sample(name: str, labels: dict[str, str]) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_the_gauge_counts_assigned_partitions_and_a_revocation_forgets_their_lag():
    lag = metrics.ConsumerLag("assignment-test", "assignment-test")
    listener = AssignmentGauge("assignment-test", lag)
    partitions = [TopicPartition("dossiers", 0), TopicPartition("dossiers", 1)]
    metrics.CONSUMER_LAG.labels("assignment-test", "assignment-test", "dossiers", "0").set(5)

    await listener.on_partitions_assigned(partitions)
    assert sample("motcua_assigned_partitions", {"service": "assignment-test"}) == 2

    await listener.on_partitions_revoked(partitions)
    assert sample("motcua_assigned_partitions", {"service": "assignment-test"}) == 0
    assert sample("motcua_consumer_lag", {"service": "assignment-test",
                                          "group": "assignment-test", "topic": "dossiers",
                                          "partition": "0"}) is None
