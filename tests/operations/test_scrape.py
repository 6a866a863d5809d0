"""The dashboard's reading of a service's /metrics: the exposition text the services really
produce (prometheus_client's own output), summed into the figures the page shows; a target that
is down or not Prometheus says so instead of failing the overview."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from motcua_operations.scrape import Scraper, summarize
from motcua_operations.settings import OperationsSettings


def exposition() -> str:
    registry = CollectorRegistry()
    lag = Gauge("motcua_consumer_lag", "lag", ["service", "group", "topic", "partition"],
                registry=registry)
    lag.labels("appraisal", "appraisal", "dossier.events", "0").set(7)
    lag.labels("appraisal", "appraisal", "dossier.events", "3").set(5)
    Gauge("motcua_outbox_backlog", "b", ["service"], registry=registry).labels("appraisal").set(4)
    Gauge("motcua_outbox_oldest_unsent_seconds", "o", ["service"],
          registry=registry).labels("appraisal").set(12.5)
    dead = Counter("motcua_dead_letters_total", "d", ["service", "type"], registry=registry)
    dead.labels("appraisal", "DossierAccepted").inc(2)
    dead.labels("appraisal", "unknown").inc()
    handled = Counter("motcua_events_handled_total", "h", ["service", "type"], registry=registry)
    handled.labels("appraisal", "DossierAccepted").inc(40)
    handled.labels("appraisal", "FeesPaid").inc(2)
    work = Gauge("motcua_open_work_items", "w", ["service", "agency", "state"], registry=registry)
    work.labels("appraisal", "STP", "open").set(3)
    work.labels("appraisal", "CAT", "waiting").set(1)
    Gauge("motcua_overdue_work_items", "w", ["service", "agency", "state"],
          registry=registry).labels("appraisal", "STP", "open").set(1)
    Gauge("motcua_assigned_partitions", "a", ["service"], registry=registry).labels(
        "appraisal").set(6)
    Gauge("motcua_parked_dossiers", "p", ["service"], registry=registry).labels(
        "appraisal").set(2)
    Gauge("motcua_portal_failing_dossiers", "f", ["service"], registry=registry).labels(
        "appraisal").set(3)
    return generate_latest(registry).decode()


def test_a_scrape_is_summed_into_the_dashboard_figures():
    health = summarize("appraisal", "http://x/metrics", exposition())

    assert health.up and health.error is None
    assert health.lag == 12
    assert health.lag_by_partition == {"appraisal dossier.events/0": 7,
                                       "appraisal dossier.events/3": 5}
    assert (health.outbox_backlog, health.outbox_oldest_seconds) == (4, 12.5)
    assert (health.dead_letters, health.handled) == (3, 42)  # not the *_created samples
    assert (health.open_work, health.overdue_work, health.assigned_partitions) == (4, 1, 6)
    assert health.parked_dossiers == 2
    assert health.portal_failing == 3  # the national portal's sync (motcua_portal)


def test_text_that_is_not_the_exposition_format_is_refused():
    with pytest.raises(ValueError):
        summarize("x", "http://x/metrics", "<html><body>Not found</body></html>")


async def test_a_target_that_is_down_or_not_prometheus_is_reported_not_raised():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "good":
            return httpx.Response(200, text=exposition())
        if request.url.host == "html":
            return httpx.Response(200, text="<html>hello</html>")
        raise httpx.ConnectError("connection refused", request=request)

    scraper = Scraper({"appraisal": "http://good/metrics", "web": "http://html/metrics",
                       "gone": "http://gone/metrics"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await asyncio.wait_for(scraper.scrape_once(client), 5)

    latest = scraper.latest
    assert latest["appraisal"].up and latest["appraisal"].lag == 12
    assert not latest["web"].up and "ValueError" in latest["web"].error
    assert not latest["gone"].up and "ConnectError" in latest["gone"].error


def test_targets_are_read_from_name_equals_url_pairs(monkeypatch):
    monkeypatch.setenv("OPERATIONS_METRICS_TARGETS",
                       "intake=http://127.0.0.1:9101/metrics, appraisal.STP=http://a:9100/metrics")
    settings = OperationsSettings(DATABASE_URL="postgresql+asyncpg://x@/y")
    assert settings.metrics_targets == {"intake": "http://127.0.0.1:9101/metrics",
                                        "appraisal.STP": "http://a:9100/metrics"}

    monkeypatch.setenv("OPERATIONS_METRICS_TARGETS", "intake:9101")
    with pytest.raises(ValueError, match="not name=http"):
        OperationsSettings(DATABASE_URL="postgresql+asyncpg://x@/y")
