"""Intake's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_intake.api import create_api
from motcua_intake.deadline_watch import watch_deadlines
from motcua_intake.handlers import intake_stage
from motcua_intake.settings import IntakeSettings
from motcua_runtime.officers import officer_from_bearer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage


async def run(settings: IntakeSettings, stop: asyncio.Event | None = None) -> None:
    catalogue = default_catalogue()
    calendar = WorkingCalendar()
    stage = intake_stage(catalogue, calendar, supplement_days=settings.supplement_days)

    def api(sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay) -> FastAPI:
        return create_api(sessions, catalogue, calendar, settings.dossier_topic,
                          on_commit=relay.wake, current_officer=officer_from_bearer(
                              settings.token_secret.get_secret_value()))

    async def deadlines(engine: AsyncEngine, relay: OutboxRelay, stopping: asyncio.Event) -> None:
        await watch_deadlines(engine, settings.dossier_topic, relay, stopping,
                              every=settings.deadline_watch_seconds)

    await run_stage(settings, stage, api=api, background=deadlines, stop=stop)
