"""Readiness from the consumer group: how many partitions this instance holds, published as
`motcua_assigned_partitions` (> 0 means it is consuming; the supervisor and operations read
it), and the lag of the partitions it gives up forgotten (their new owner reports them)."""

from __future__ import annotations

from aiokafka import ConsumerRebalanceListener

from motcua_runtime import metrics


class AssignmentGauge(ConsumerRebalanceListener):
    """The rebalance listener of every consumer of ours: the stages' batch consumer
    (motcua_runtime.consumer) and the audit archive's (motcua_audit.archive)."""

    def __init__(self, service: str, lag: metrics.ConsumerLag) -> None:
        self._gauge = metrics.ASSIGNED_PARTITIONS.labels(service)
        self._lag = lag

    async def on_partitions_revoked(self, revoked: list) -> None:
        self._gauge.set(0)
        self._lag.forget(revoked)

    async def on_partitions_assigned(self, assigned: list) -> None:
        self._gauge.set(len(assigned))
