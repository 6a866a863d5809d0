"""The administrator's overrides on a real Postgres: kept, listed per year, replaced, removed,
and seen by a live CalendarSource in another "process" without a restart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from motcua_catalogue.calendar_source import CalendarSource
from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.working_time import VIETNAM
from motcua_catalogue.year_calendar import Decision
from motcua_runtime.db import create_engine


@pytest.fixture
async def store(infra):
    database_url, _ = await infra.isolated("calendar")
    engine = create_engine(database_url)
    yield OverrideStore(engine)
    await engine.dispose()


async def test_overrides_are_kept_listed_per_year_replaced_and_removed(store):
    await store.set(date(2026, 3, 14), True, "Làm bù")
    await store.set(date(2026, 3, 20), False, "Nghỉ")
    await store.set(date(2027, 1, 2), False, "Nghỉ")
    await store.set(date(2026, 3, 20), True, "Đổi ý")

    assert await store.list(2026) == [Decision(date(2026, 3, 14), True, "Làm bù"),
                                      Decision(date(2026, 3, 20), True, "Đổi ý")]
    assert await store.remove(date(2027, 1, 2)) is True
    assert await store.remove(date(2027, 1, 2)) is False
    assert await store.load_all() == {date(2026, 3, 14): True, date(2026, 3, 20): True}


async def test_a_live_calendar_sees_a_change_made_elsewhere_without_restart(store):
    saturday = date(2026, 3, 14)
    async with CalendarSource(OverrideStore(store.engine), refresh_seconds=0.05) as source:
        assert not source.calendar().is_working_day(saturday)
        before = source.calendar()

        await store.set(saturday, True, "Làm bù")
        for _ in range(100):
            if source.calendar().is_working_day(saturday):
                break
            await asyncio.sleep(0.02)

        assert source.calendar().is_working_day(saturday)
        assert not before.is_working_day(saturday)  # a calendar handed out stays a fixed value


async def test_a_live_calendar_counts_again_from_a_change_after_it_counted_those_days(store):
    """The days a calendar worked out are kept (issue 15), but not past a refresh."""
    friday_afternoon = datetime(2026, 3, 13, 16, 0, tzinfo=VIETNAM)
    async with CalendarSource(OverrideStore(store.engine), refresh_seconds=0.05) as source:
        live, fixed = source.live(), source.calendar()
        assert live.add_working_hours(friday_afternoon, 2) == datetime(2026, 3, 16, 8, 0,
                                                                       tzinfo=VIETNAM)

        await store.set(date(2026, 3, 14), True, "Làm bù")  # that Saturday becomes a workday
        await source.refresh()

        assert live.add_working_hours(friday_afternoon, 2) == datetime(2026, 3, 14, 8, 0,
                                                                       tzinfo=VIETNAM)
        assert live.working_hours_between(friday_afternoon,
                                          datetime(2026, 3, 16, 7, 0, tzinfo=VIETNAM)) == 9.0
        assert fixed.add_working_hours(friday_afternoon, 2) == datetime(2026, 3, 16, 8, 0,
                                                                        tzinfo=VIETNAM)
