"""The portal sync's composition root: the consumer (the shared batch consumer, one group
`portal`) that folds every event into the sync position and the call queue, and the sender
beside it that makes the calls to the national portal."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_portal import STAGE
from motcua_portal.client import PortalClient
from motcua_portal.handlers import portal_stage
from motcua_portal.sender import Sender
from motcua_portal.settings import PortalSettings
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage


def no_signing_key() -> Signer:
    """The sync emits no event (only dead letters, which carry the original bytes): the shared
    consumer still wants a signer, and this one is registered nowhere (as operations')."""
    return Signer(f"{STAGE}-emits-nothing", STAGE, None, Ed25519PrivateKey.generate())


async def run(settings: PortalSettings, stop: asyncio.Event | None = None) -> None:
    async def send(engine: AsyncEngine, _relay: OutboxRelay, stopping: asyncio.Event) -> None:
        client = PortalClient(settings)
        try:
            await Sender(engine, client, settings).run(stopping)
        finally:
            await client.close()

    await run_stage(settings, portal_stage(), background=send, signer=no_signing_key(),
                    stop=stop)
