"""Signing's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_catalogue.catalogue import default_catalogue
from motcua_signing.handlers import signing_stage
from motcua_signing.settings import SigningSettings
from motcua_runtime.service import run_stage


async def run(settings: SigningSettings, stop: asyncio.Event | None = None) -> None:
    await run_stage(settings, signing_stage(default_catalogue()), stop=stop)
