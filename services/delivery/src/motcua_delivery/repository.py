"""Delivery's storage for a batch: its work items and the data keys of their dossiers (the
receiver's name is sealed under them, motcua_privacy)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_delivery.decisions import HANDED_OVER
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


async def open_sealed_context(session: AsyncSession,
                              items: Sequence[WorkItem]) -> dict[uuid.UUID, dict[str, Any]]:
    """What an officer sees of each item's context (motcua_runtime.work_queue.Present): the
    post office's items keep the postal address sealed, as the hand-off carried it, and a desk
    item handed over at the counter keeps the receiver's name sealed; both are opened here for
    the officer of the item's agency who asks. Once the dossier's data is erased the address
    reads None, with `address_erased` saying why (the receiver's name likewise)."""
    sealed = [item for item in items
              if isinstance((item.context or {}).get("address"), dict)
              or isinstance((item.context or {}).get(HANDED_OVER), dict)]
    keys = await load_keys(session, None, {item.dossier_id for item in sealed})
    shown: dict[uuid.UUID, dict[str, Any]] = {}
    for item in sealed:
        context = dict(item.context)
        if isinstance(context.get("address"), dict):
            try:
                context["address"] = keys.open(item.dossier_id, context["address"])
            except PersonalDataErased:
                context["address"], context["address_erased"] = None, True
        if isinstance(context.get(HANDED_OVER), dict):
            handed = dict(context[HANDED_OVER])
            try:
                handed["received_by"] = keys.open(item.dossier_id, handed["received_by"])
            except PersonalDataErased:
                handed["received_by"], handed["received_by_erased"] = None, True
            context[HANDED_OVER] = handed
        shown[item.id] = context
    return shown
