"""Delivery's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_catalogue.catalogue import default_catalogue
from motcua_delivery.handlers import delivery_stage
from motcua_delivery.settings import DeliverySettings
from motcua_runtime.service import run_stage


async def run(settings: DeliverySettings, stop: asyncio.Event | None = None) -> None:
    await run_stage(settings, delivery_stage(default_catalogue()), stop=stop)
