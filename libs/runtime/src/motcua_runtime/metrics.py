"""Prometheus metrics every service exposes on /metrics. Every series carries `service`, the stage
name; the operations dashboard scrapes them (motcua_operations.scrape) and so does Prometheus.

Counters are updated on the hot path once per batch or per event; the gauges that need a query
(open and overdue work, outbox backlog) are refreshed by a loop beside the consumer
(motcua_runtime.gauges), and consumer lag after each committed batch (`ConsumerLag`)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter("motcua_events_handled_total", "Events applied by a stage.",
                         ["service", "type"])
DEAD_LETTERS = Counter("motcua_dead_letters_total",
                       "Messages this service failed for good and sent to the dead-letter topic, "
                       "by the type header of the message ('unknown' when it has none).",
                       ["service", "type"])
REDELIVERIES_SUPPRESSED = Counter(
    "motcua_redeliveries_suppressed_total",
    "Messages offered again that the inbox already held (a redelivery after a crash, a restart "
    "or a broker restore) and so were not applied twice.", ["service"])
BATCH_RETRIES = Counter("motcua_batch_retries_total",
                        "Batches retried after an infrastructure error.", ["service"])
BATCH_SECONDS = Histogram("motcua_batch_seconds", "Time to apply one batch, commit included.",
                          ["service"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
# What an operator means by "slow": from the moment the producer put the event on the topic
# (the Kafka record timestamp) to the commit of the transaction that applied it here. It adds
# the wait in the topic (lag), the batch and the commit; a handler's own time is in
# motcua_batch_seconds.
HANDLING_SECONDS = Histogram(
    "motcua_event_handling_seconds",
    "Seconds from an event's publication on the topic to the commit that applied it in this "
    "service, by event type.", ["service", "type"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
ASSIGNED_PARTITIONS = Gauge("motcua_assigned_partitions",
                            "Partitions of the dossier topic assigned to this instance; 0 until "
                            "its consumer has joined its group (readiness).", ["service"])
CONSUMER_LAG = Gauge("motcua_consumer_lag",
                     "Records on the partition not yet applied and committed by the group: the "
                     "high-water mark of the last fetch minus the committed position.",
                     ["service", "group", "topic", "partition"])
OPEN_WORK = Gauge("motcua_open_work_items",
                  "Dossiers waiting at this stage, per agency; state 'open' is the stage's turn, "
                  "'waiting' paused on the applicant or another agency.",
                  ["service", "agency", "state"])
OVERDUE_WORK = Gauge("motcua_overdue_work_items",
                     "Open work items past their due time (the stage's step deadline, else the "
                     "appointment), per agency.", ["service", "agency", "state"])
OUTBOX_BACKLOG = Gauge("motcua_outbox_backlog",
                       "Outbox rows written and waiting to be published (parked ones apart).",
                       ["service"])
OUTBOX_OLDEST = Gauge("motcua_outbox_oldest_unsent_seconds",
                      "Age of the oldest outbox row waiting to be published; 0 when none.",
                      ["service"])
OUTBOX_PARKED = Counter("motcua_outbox_parked_total",
                        "Outbox rows the relay set aside: too large, refused by the broker for "
                        "good, or behind a parked row of the same dossier.", ["service"])
OUTBOX_PARKED_ROWS = Gauge("motcua_outbox_parked_rows",
                           "Parked outbox rows waiting for an operator (`motcua outbox`).",
                           ["service"])
DEAD_LETTER_ROWS = Gauge("motcua_dead_letter_rows",
                         "Rows of this service's dead_letters table by state (dead, parked, "
                         "waiting, retried, skipped, applied): `motcua dlq list`.",
                         ["service", "state"])
PARKED_DOSSIERS = Gauge("motcua_parked_dossiers",
                        "Dossiers whose events this service holds back behind a refused one, "
                        "waiting for an operator (`motcua dlq retry` or `skip`).", ["service"])


class ConsumerLag:
    """Lag per partition of one consumer group. The embedded broker's ListOffsets(latest) is
    wrong (docs/design.md), so the end of a partition is the high-water mark its last fetch
    returned, which every Kafka broker reports correctly."""

    def __init__(self, service: str, group: str) -> None:
        self.service, self.group = service, group

    async def update(self, consumer: object) -> None:
        """After a commit: high-water mark minus position, for every assigned partition.
        (After `commit()` with no arguments the committed offset is the position.)"""
        assignment = getattr(consumer, "assignment", None)
        if assignment is None:  # FastStream's in-memory test broker has no real consumer
            return
        for tp in assignment():
            highwater = consumer.highwater(tp)  # type: ignore[attr-defined]
            if highwater is None:
                continue  # nothing fetched from it yet
            try:
                position = await consumer.position(tp)  # type: ignore[attr-defined]
            except Exception:  # revoked by a rebalance meanwhile: its new owner reports it
                continue
            CONSUMER_LAG.labels(self.service, self.group, tp.topic,
                                str(tp.partition)).set(max(0, highwater - position))

    def forget(self, partitions: Iterable[object]) -> None:
        """Partitions moved to another member: their lag is reported there now."""
        for tp in partitions:
            try:
                CONSUMER_LAG.remove(self.service, self.group, tp.topic,  # type: ignore[attr-defined]
                                    str(tp.partition))  # type: ignore[attr-defined]
            except KeyError:
                pass
