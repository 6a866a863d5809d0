"""Delivery's storage for a batch: its work items and the data keys of their dossiers (the
receiver's name is sealed under them, motcua_privacy)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_delivery.orm import WorkItem
from motcua_privacy import Keyring, load_keys
from motcua_runtime.work_items import WorkItems


class DeliveryItems(WorkItems):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, WorkItem)
        self.keys = Keyring()

    async def preload(self, events: Sequence[Event]) -> None:
        await super().preload(events)
        self.keys.update(await load_keys(self._session, None,
                                         {event.dossier_id for event in events}))
