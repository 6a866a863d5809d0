"""Delivery's storage for a batch: its work items and the data keys of their dossiers (the
receiver's name is sealed under them, motcua_privacy)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_delivery.orm import WorkItem
from motcua_privacy import Keyring, PersonalDataErased, load_keys
from motcua_runtime.work_items import WorkItems


class DeliveryItems(WorkItems):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, WorkItem)
        self.keys = Keyring()

    async def preload(self, events: Sequence[Event]) -> None:
        await super().preload(events)
        self.keys.update(await load_keys(self._session, None,
                                         {event.dossier_id for event in events}))


async def open_addresses(session: AsyncSession,
                         items: Sequence[WorkItem]) -> dict[uuid.UUID, dict[str, Any]]:
    """What an officer sees of each item's context (motcua_runtime.work_queue.Present): the
    post office's items keep the postal address sealed, as the hand-off carried it; it is opened
    here for the officer who must deliver there. Once the dossier's data is erased the address
    reads None, with `address_erased` saying why."""
    sealed = [item for item in items if isinstance((item.context or {}).get("address"), dict)]
    keys = await load_keys(session, None, {item.dossier_id for item in sealed})
    shown: dict[uuid.UUID, dict[str, Any]] = {}
    for item in sealed:
        context = dict(item.context)
        try:
            context["address"] = keys.open(item.dossier_id, context["address"])
        except PersonalDataErased:
            context["address"], context["address_erased"] = None, True
        shown[item.id] = context
    return shown
