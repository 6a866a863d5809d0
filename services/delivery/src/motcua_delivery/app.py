"""Delivery's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import centre_from_env
from motcua_delivery.handlers import Delivery, delivery_stage
from motcua_delivery.orm import WorkItem
from motcua_delivery.reads import IntakeAccessLog
from motcua_delivery.record import NAME, HandOverRecords
from motcua_delivery.repository import open_sealed_context
from motcua_delivery.settings import DeliverySettings
from motcua_privacy import require_master_key
from motcua_runtime.gauges import open_work_items
from motcua_runtime.keys import signer_from_settings
from motcua_runtime.service import run_stage
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.work_queue import work_queue_server


async def run(settings: DeliverySettings, stop: asyncio.Event | None = None) -> None:
    require_master_key()  # personal data is opened with it: stop here without a usable one
    catalogue = default_catalogue()
    if settings.post_office not in catalogue.agencies:
        raise ValueError(f"DELIVERY_POST_OFFICE {settings.post_office!r} is not an agency of the "
                         "catalogue")
    policy = Delivery(catalogue, officers=settings.officers, post_office=settings.post_office)
    stage = delivery_stage(policy)
    # Reading the hand-over record, or an item with its sealed personal data opened (the
    # postal address, the receiver's name), is in intake's access log, recorded with
    # delivery's key.
    reads = IntakeAccessLog(settings.intake_url,
                            ServiceTokens(signer_from_settings(settings, "delivery")), what=NAME)
    records = HandOverRecords(catalogue, centre_from_env(), settings.public_base_url,
                              record_read=reads.record)
    api = work_queue_server(settings, stage, WorkItem, policy.work_queue(),
                            present=open_sealed_context, on_present=reads.record_opened,
                            documents=records.documents())
    await run_stage(settings, stage, api=api, open_work=open_work_items(WorkItem, settings.scope),
                    stop=stop)
