"""Prometheus metrics every stage exposes on /metrics. Labels: the stage (service) name."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter("motcua_events_handled_total", "Events applied by a stage.",
                         ["service", "type"])
DEAD_LETTERS = Counter("motcua_dead_letters_total", "Messages sent to the dead-letter topic.",
                       ["service"])
BATCH_RETRIES = Counter("motcua_batch_retries_total",
                        "Batches retried after an infrastructure error.", ["service"])
BATCH_SECONDS = Histogram("motcua_batch_seconds", "Time to apply one batch, commit included.",
                          ["service"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
ASSIGNED_PARTITIONS = Gauge("motcua_assigned_partitions",
                            "Partitions of the dossier topic assigned to this instance; 0 until "
                            "its consumer has joined its group (readiness).", ["service"])
