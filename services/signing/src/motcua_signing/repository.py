"""Signing's storage for a batch: work items, the numbering counters, and the document store
the issued documents go to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Event
from motcua_privacy import Keyring, load_keys
from motcua_runtime.work_items import WorkItems
from motcua_signing.documents import DocumentStore, PostgresDocumentStore
from motcua_signing.orm import ResultCounter, WorkItem


class SigningRepository(WorkItems):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, WorkItem)
        self._counters: dict[tuple[str, int], ResultCounter] = {}
        # The batch's data keys: the result prints the applicant's name (sealed in the facts)
        # and is kept sealed under the dossier's key.
        self.keys = Keyring()
        self.documents: DocumentStore = PostgresDocumentStore(session, self.keys)

    async def preload(self, events: Sequence[Event]) -> None:
        await super().preload(events)
        self.keys.update(await load_keys(self._session, None,
                                         {event.dossier_id for event in events}))
        # The event's year, and this year: a decision taken on 31 December may be signed on
        # 1 January, numbered in the new year.
        this_year = datetime.now(VIETNAM).year
        keys = sorted({(event.agency, year) for event in events
                       for year in (event.occurred_at.astimezone(VIETNAM).year, this_year)})
        if not keys:
            return
        # Create missing counters, then lock them for this transaction: two signing instances
        # of one agency never hand out the same number.
        await self._session.execute(
            insert(ResultCounter).values([{"agency": a, "year": y, "last": 0} for a, y in keys])
            .on_conflict_do_nothing())
        counters = await self._session.scalars(
            select(ResultCounter)
            .where(tuple_(ResultCounter.agency, ResultCounter.year).in_(keys))
            .order_by(ResultCounter.agency, ResultCounter.year).with_for_update())
        self._counters = {(c.agency, c.year): c for c in counters}

    def next_number(self, agency: str, year: int) -> int:
        counter = self._counters[(agency, year)]
        counter.last += 1
        return counter.last
