"""A live calendar for a service process: the overrides are loaded at start and reloaded every
`refresh_seconds`, so a change made over the API or `motcua calendar set` reaches every stage
process without a restart. Handlers still get a plain WorkingCalendar value per batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType

import structlog

from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours
from motcua_catalogue.working_time import ChangingOverrides, WorkingCalendar

log = structlog.get_logger(__name__)


class CalendarSource:
    """Use as `async with CalendarSource(store) as source:` then `source.calendar()`."""

    def __init__(self, store: OverrideStore, *, refresh_seconds: float = 30.0) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._overrides: Mapping[date, bool] = MappingProxyType({})
        self._task: asyncio.Task[None] | None = None

    def calendar(self, office_hours: OfficeHours = DEFAULT_OFFICE_HOURS) -> WorkingCalendar:
        """The calendar as of the last refresh, with an agency's office hours if given."""
        return WorkingCalendar(office_hours=office_hours, overrides=self._overrides)

    def live(self, office_hours: OfficeHours = DEFAULT_OFFICE_HOURS) -> WorkingCalendar:
        """A calendar that always reads the overrides of the last refresh: for the long-lived
        policies of a stage service, built once at start."""
        return WorkingCalendar(office_hours=office_hours, overrides=_Latest(self))

    async def refresh(self) -> None:
        """Reload now (the API calls it after a change, so its own process sees it at once)."""
        self._overrides = MappingProxyType(await self.store.load_all())

    async def start(self) -> None:
        """Load once (a failure here stops start-up), then keep refreshing in the background."""
        await self.refresh()
        self._task = asyncio.create_task(self._keep_fresh(), name="calendar-refresh")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                await self.refresh()
            except Exception as error:  # noqa: BLE001 - keep the last good calendar, retry later
                log.warning("calendar refresh failed; keeping the last overrides",
                            error=str(error))

    async def __aenter__(self) -> CalendarSource:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


class _Latest(ChangingOverrides):
    """The source's current overrides, read at each lookup (a refresh swaps them whole)."""

    def __init__(self, source: CalendarSource) -> None:
        self._source = source

    def snapshot(self) -> Mapping[date, bool]:
        return self._source._overrides

    def __getitem__(self, day: date) -> bool:
        return self._source._overrides[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._source._overrides)

    def __len__(self) -> int:
        return len(self._source._overrides)
