"""Every service's HTTP app, built as its composition root (app.py) builds it, for the tests
that look at every HTTP API at once (test_error_model.py, test_fuzz.py)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_appraisal.orm import WorkItem
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.catalogue import default_catalogue
from motcua_intake.api import create_api
from motcua_intake.filing.catalogue_api import create_catalogue_router
from motcua_intake.tracking.result_api import create_result_router
from motcua_operations.api import create_dashboard
from motcua_operations.scrape import Scraper
from motcua_runtime.db import create_engine
from motcua_runtime.http import install_error_handlers
from motcua_runtime.officers import Officer
from motcua_runtime.rate_limits import RateLimitSettings, install_rate_limits
from motcua_runtime.scope import AgencyScope
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.work_queue import create_work_queue_api
from motcua_signing.document_api import create_document_router
from motcua_signing.documents import PostgresDocuments
from tests.officer_tokens import current_officer, officer_token, verifier
from tests.support import dossier_files, signer_of

NAMES = ("intake", "appraisal", "operations", "signing")
LIMIT = 64 * 1024  # each app's body limit here, so the 413 is cheap to provoke
# The services whose composition root installs the rate limits (their unauthenticated routes).
RATE_LIMITED = ("intake", "operations")


Databases = dict[str, tuple[async_sessionmaker, str]]  # app name -> (sessions, topic)


async def isolated_databases(infra: Any, prefix: str) -> tuple[Databases, list[AsyncEngine]]:
    """A database and topic of its own for each app of NAMES: (name -> (sessions, topic)), and
    the engines, for the caller to dispose of on the loop that used them."""
    made, engines = {}, []
    for name in NAMES:
        database_url, topic = await infra.isolated(f"{prefix}_{name}")
        engine = create_engine(database_url)
        engines.append(engine)
        made[name] = (async_sessionmaker(engine, expire_on_commit=False), topic)
    return made, engines


async def _nothing_signed(_dossier_id: uuid.UUID) -> Any:
    raise AssertionError("no test reaches signing")


def build(name: str, sessions: async_sessionmaker, topic: str, *,
          rate_limits: RateLimitSettings | None = None) -> tuple[FastAPI, str]:
    """Each service's HTTP app as its composition root (app.py) assembles it, and a token that
    may use most of its routes. With `rate_limits`, the services whose root installs the rate
    limits get them, with these settings; without, none (most tests send more than a client
    may)."""
    app, token = _build(name, sessions, topic)
    if rate_limits is not None and name in RATE_LIMITED:
        install_rate_limits(app, rate_limits, verifier(name))
    return app, token


def _build(name: str, sessions: async_sessionmaker, topic: str) -> tuple[FastAPI, str]:
    catalogue, calendar = default_catalogue(), WorkingCalendar()
    if name == "intake":
        app = create_api(sessions, catalogue, calendar, topic, on_commit=lambda: None,
                         current_officer=current_officer("intake"),
                         signer=signer_of("intake"),
                         files=dossier_files(), max_body_bytes=LIMIT)
        engine = sessions.kw["bind"]

        async def refreshed() -> None:
            return None
        app.include_router(create_catalogue_router(catalogue, OverrideStore(engine),
                                                   current_officer("intake"),
                                                   on_calendar_change=refreshed))
        app.include_router(create_result_router(_nothing_signed))
        return app, officer_token(Officer("lan", "UBND", "admin"))
    if name == "appraisal":
        policy = Appraisal(catalogue, calendar, officers=True)
        signer = signer_of("appraisal")
        app = create_work_queue_api(
            appraisal_stage(policy), WorkItem, policy.work_queue(), sessions=sessions,
            producer=signer.producer, topic=topic, current_officer=current_officer("appraisal"),
            on_commit=lambda: None, sign=signer.sign, max_body_bytes=LIMIT,
            scope=AgencyScope.shared(set()))
        return app, officer_token(Officer("lan", "STP", "appraisal"))
    if name == "operations":
        app = create_dashboard(sessions, Scraper({}), due_soon_hours=24, agency_names={},
                               current_officer=current_officer("operations"),
                               max_body_bytes=LIMIT)
        return app, officer_token(Officer("lan", "UBND", "admin"))
    if name == "signing":
        app = FastAPI(title="motcua signing")
        install_error_handlers(app, "signing database")
        app.include_router(create_document_router(PostgresDocuments(sessions).for_dossier,
                                                  current_officer("signing")))
        # Intake is the one caller: its service token, as its document client sends it.
        return app, ServiceTokens(signer_of("intake")).for_audience("signing")
    raise ValueError(name)
