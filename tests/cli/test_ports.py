"""Listening ports for the services `motcua up` and the tests start (motcua_cli.embedded)."""

from __future__ import annotations

import pytest

from motcua_cli.embedded import LISTEN_RANGE, PORT_RANGE_ENV, free_port, listen_range


def test_ports_come_from_below_the_ephemeral_range_or_from_the_range_given(monkeypatch):
    monkeypatch.delenv(PORT_RANGE_ENV, raising=False)
    assert listen_range() == LISTEN_RANGE
    monkeypatch.setenv(PORT_RANGE_ENV, "24000-24099")
    ports = {free_port() for _ in range(20)}
    assert len(ports) == 20 and all(24000 <= port <= 24099 for port in ports)
    assert 24000 <= free_port(9092) <= 24099


@pytest.mark.parametrize("raw", ["24000", "a-b", "500-600", "30000-20000"])
def test_a_range_that_is_no_range_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv(PORT_RANGE_ENV, raw)
    with pytest.raises(ValueError, match=PORT_RANGE_ENV):
        listen_range()
