"""What the dashboard knows of each service's health: its Prometheus endpoint, scraped every
few seconds. `summarize` reads the exposition text (pure, tested on its own); `Scraper` keeps
the latest summary of every target for the overview."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families

log = structlog.get_logger(__name__)


@dataclass
class ServiceHealth:
    name: str
    url: str
    up: bool = False
    error: str | None = None
    scraped_at: float | None = None
    assigned_partitions: float = 0
    lag: float = 0  # summed over the groups and partitions the service reports
    lag_by_partition: dict[str, float] = field(default_factory=dict)  # "group topic/partition"
    outbox_backlog: float = 0
    outbox_oldest_seconds: float = 0
    dead_letters: float = 0
    parked_dossiers: float = 0  # dossiers held back behind a refused event (`motcua dlq`)
    portal_failing: float = 0  # dossiers the national portal's sync keeps failing for
    handled: float = 0
    batch_retries: float = 0
    open_work: float = 0
    overdue_work: float = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_SUMS = {  # sample name -> field summed over every label set
    "motcua_assigned_partitions": "assigned_partitions",
    "motcua_outbox_backlog": "outbox_backlog",
    "motcua_dead_letters_total": "dead_letters",
    "motcua_parked_dossiers": "parked_dossiers",
    "motcua_portal_failing_dossiers": "portal_failing",
    "motcua_events_handled_total": "handled",
    "motcua_batch_retries_total": "batch_retries",
    "motcua_open_work_items": "open_work",
    "motcua_overdue_work_items": "overdue_work",
}


def summarize(name: str, url: str, text: str) -> ServiceHealth:
    """The dashboard's figures from one scrape. Raises ValueError on text that is not the
    Prometheus exposition format."""
    health = ServiceHealth(name, url, up=True, scraped_at=time.time())
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            target = _SUMS.get(sample.name)
            if target is not None:
                setattr(health, target, getattr(health, target) + sample.value)
            elif sample.name == "motcua_consumer_lag":
                labels = sample.labels
                key = f"{labels.get('group', '?')} {labels.get('topic', '?')}/" \
                      f"{labels.get('partition', '?')}"
                health.lag_by_partition[key] = sample.value
                health.lag += sample.value
            elif sample.name == "motcua_outbox_oldest_unsent_seconds":
                health.outbox_oldest_seconds = max(health.outbox_oldest_seconds, sample.value)
    return health


class Scraper:
    def __init__(self, targets: dict[str, str], *, timeout: float = 1.5) -> None:
        self.targets = targets
        self._timeout = timeout
        self.latest: dict[str, ServiceHealth] = {
            name: ServiceHealth(name, url, error="not scraped yet")
            for name, url in targets.items()}

    async def scrape_once(self, client: httpx.AsyncClient) -> None:
        async def one(name: str, url: str) -> ServiceHealth:
            try:
                response = await client.get(url)
                response.raise_for_status()
                return summarize(name, url, response.text)
            except (httpx.HTTPError, ValueError) as error:
                return ServiceHealth(name, url, up=False, error=f"{type(error).__name__}: {error}",
                                     scraped_at=time.time())

        results = await asyncio.gather(*(one(n, u) for n, u in self.targets.items()))
        self.latest = {health.name: health for health in results}

    async def run(self, stop: asyncio.Event, every: float) -> None:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            while not stop.is_set():
                await self.scrape_once(client)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=every)
                except TimeoutError:
                    pass
