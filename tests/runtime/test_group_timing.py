"""KAFKA_SESSION_TIMEOUT_MS: what every consumer group member of ours is given."""

from __future__ import annotations

import pytest

from motcua_runtime.kafka import (
    DEFAULT_SESSION_TIMEOUT_MS,
    MIN_SESSION_TIMEOUT_MS,
    SESSION_TIMEOUT_ENV,
    group_timing,
)


def test_the_default_leaves_room_and_heartbeats_five_times_within_it():
    assert group_timing({}) == {"session_timeout_ms": DEFAULT_SESSION_TIMEOUT_MS,
                                "heartbeat_interval_ms": DEFAULT_SESSION_TIMEOUT_MS // 5}
    assert group_timing({SESSION_TIMEOUT_ENV: " 6000 "}) == {"session_timeout_ms": 6000,
                                                             "heartbeat_interval_ms": 1200}


@pytest.mark.parametrize("raw, message", [
    ("6s", "is not a number of milliseconds"),
    (str(MIN_SESSION_TIMEOUT_MS - 1), "between 6000 and 300000 ms"),
    ("300001", "between 6000 and 300000 ms"),
])
def test_a_value_apache_kafka_would_refuse_is_refused_by_name(raw, message):
    with pytest.raises(ValueError, match=f"{SESSION_TIMEOUT_ENV}=.*{message}"):
        group_timing({SESSION_TIMEOUT_ENV: raw})
