"""The operations service's composition root: the read model's consumer (the shared batch
consumer, one group `operations`), the scraper of every service's /metrics, and the dashboard
on OPERATIONS_HTTP_PORT."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import centre_from_env
from motcua_operations import STAGE
from motcua_operations.api import create_dashboard
from motcua_operations.handlers import operations_stage
from motcua_operations.scrape import Scraper
from motcua_operations.settings import OperationsSettings
from motcua_runtime.browser_sessions import Limits
from motcua_runtime.keys import Signer
from motcua_runtime.officers import officer_from_bearer
from motcua_runtime.oidc import OpenIdConnect
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.rate_limits import install_rate_limits
from motcua_runtime.service import live_calendar, run_stage
from motcua_runtime.sign_in_limits import SignInLimits
from motcua_runtime.tokens import verifier_from_settings


def no_signing_key() -> Signer:
    """The view emits no event (only dead letters, which carry the original bytes), so it has no
    key in the registry. The shared consumer still wants a signer: this one's key is made up
    here and registered nowhere, so anything it signed would fail every verification."""
    return Signer(f"{STAGE}-emits-nothing", STAGE, None, Ed25519PrivateKey.generate())


async def run(settings: OperationsSettings, stop: asyncio.Event | None = None) -> None:
    scraper = Scraper(settings.metrics_targets)
    catalogue = default_catalogue()
    names = {code: agency.name for code, agency in catalogue.agencies.items()}
    limits = Limits(idle=timedelta(hours=settings.session_idle_hours),
                    absolute=timedelta(days=settings.session_absolute_days))

    # The identity provider's discovery, token and keys are fetched through this client.
    async with live_calendar(settings) as calendar_source, \
            httpx.AsyncClient(timeout=10.0) as idp:
        def api(sessions: async_sessionmaker[AsyncSession], _relay: OutboxRelay) -> FastAPI:
            verifier = verifier_from_settings(settings, STAGE)
            app = create_dashboard(sessions, scraper, due_soon_hours=settings.due_soon_hours,
                                   agency_names=names,
                                   current_officer=officer_from_bearer(verifier),
                                   max_body_bytes=settings.http_max_body_bytes,
                                   catalogue=catalogue, calendar=calendar_source.live(),
                                   centre=centre_from_env(),
                                   cookie_secure=settings.cookie_secure, session_limits=limits,
                                   oidc=OpenIdConnect.configured(settings, idp),
                                   sign_in_limits=SignInLimits.configured(
                                       settings.rate_limit_storage_uri, settings))
            install_rate_limits(app, settings, verifier)
            return app

        async def scrape(_engine: AsyncEngine, _relay: OutboxRelay,
                         stopping: asyncio.Event) -> None:
            await scraper.run(stopping, settings.scrape_seconds)

        await run_stage(settings, operations_stage(), api=api, background=scrape,
                        signer=no_signing_key(), stop=stop)
