"""Intake's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

import uvicorn
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_intake.api import create_api
from motcua_intake.handlers import intake_stage
from motcua_intake.settings import IntakeSettings
from motcua_runtime.db import create_engine
from motcua_runtime.keys import signer_from_settings
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage


async def run(settings: IntakeSettings, stop: asyncio.Event | None = None) -> None:
    catalogue = default_catalogue()
    stage = intake_stage(catalogue, WorkingCalendar())
    signer = signer_from_settings(settings, "intake")
    api_engine = create_engine(settings.database_url.get_secret_value(), pool_size=10)

    async def serve_http(relay: OutboxRelay, stopping: asyncio.Event) -> None:
        api = create_api(async_sessionmaker(api_engine, expire_on_commit=False), catalogue,
                         settings.dossier_topic, on_commit=relay.wake, signer=signer)
        server = uvicorn.Server(uvicorn.Config(
            api, host=settings.http_host, port=settings.http_port, log_config=None,
            access_log=False, lifespan="off"))
        server.install_signal_handlers = lambda: None  # run_stage owns SIGINT/SIGTERM
        serving = asyncio.create_task(server.serve())
        await stopping.wait()
        server.should_exit = True
        await serving
        await api_engine.dispose()

    await run_stage(settings, stage, companion=serve_http, stop=stop)
