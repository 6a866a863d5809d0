"""Intake's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import centre_from_env
from motcua_catalogue.office_hours import DEFAULT_OFFICE_HOURS
from motcua_files import FilesSettings, store_from_settings
from motcua_intake.api import create_api
from motcua_intake.deadline_watch import watch_deadlines
from motcua_intake.desk_queue import add_desk_queue
from motcua_intake.files.cleanup import clean_unnamed_uploads
from motcua_intake.files.documents import DossierFiles
from motcua_intake.filing.catalogue_api import create_catalogue_router
from motcua_intake.forms.issuing import FormIssuer
from motcua_intake.forms.worker import FormWorker
from motcua_intake.handlers import Intake, intake_stage
from motcua_intake.notices import Notices, open_notifications
from motcua_intake.orm import Notification
from motcua_intake.repository import waiting_at_intake
from motcua_intake.settings import IntakeSettings
from motcua_intake.tracking.result_api import create_result_router
from motcua_intake.tracking.result_documents import SigningDocuments
from motcua_notify import NotificationSender, SmtpSettings
from motcua_privacy import require_master_key
from motcua_runtime.keys import signer_from_settings
from motcua_runtime.officers import officer_from_bearer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.rate_limits import install_rate_limits
from motcua_runtime.service import live_calendar, run_stage
from motcua_runtime.tokens import ServiceTokens, verifier_from_settings


async def run(settings: IntakeSettings, stop: asyncio.Event | None = None) -> None:
    catalogue = default_catalogue()
    signer = signer_from_settings(settings, "intake")
    require_master_key()  # sealing personal data needs it: stop here without a usable one
    verifier = verifier_from_settings(settings, "intake")
    officer = officer_from_bearer(verifier)
    centre = centre_from_env()  # who the pages and the e-mails name (PROVINCE_NAME, CENTRE_*)
    # The dossiers' files (FILES_*): the data folder's files/ on the embedded default, an S3
    # bucket in compose and production. Checked now, so a missing bucket fails the start.
    files_settings = FilesSettings()
    files = DossierFiles(store_from_settings(files_settings), files_settings)
    await files.store.check()
    # Signing opens its documents to intake's own service tokens, signed with intake's key.
    documents = (SigningDocuments(settings.signing_url, ServiceTokens(signer)).fetch
                 if settings.signing_url else None)
    async with live_calendar(settings) as source:
        calendar = source.live()
        intake = Intake(catalogue, calendar, settings.supplement_days, agency_calendars={
            code: source.live(agency.office_hours) for code, agency in catalogue.agencies.items()
            if agency.office_hours != DEFAULT_OFFICE_HOURS},
            notices=Notices(catalogue, settings.public_base_url, centre=centre.name),
            forms=FormIssuer(catalogue, settings.public_base_url, centre)
            if settings.forms_enabled else None, officers=settings.officers)
        stage = intake_stage(intake)

        def api(sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay) -> FastAPI:
            app = create_api(sessions, catalogue, calendar, settings.dossier_topic,
                             on_commit=relay.wake, current_officer=officer, signer=signer,
                             files=files, max_body_bytes=settings.http_max_body_bytes,
                             centre=centre)
            app.include_router(create_catalogue_router(catalogue, source.store, officer,
                                                       on_calendar_change=source.refresh))
            app.include_router(create_result_router(documents))
            # The desk officers' work queue (motcua_intake.desk_queue).
            add_desk_queue(app, stage, intake.work_queue(), current_officer=officer,
                           scope=settings.scope, signer=signer, topic=settings.dossier_topic,
                           on_commit=relay.wake)
            install_rate_limits(app, settings, verifier)
            return app

        async def background(engine: AsyncEngine, relay: OutboxRelay,
                             stopping: asyncio.Event) -> None:
            # The loops survive their own failures (database, mail server, file store) and end
            # on `stopping`.
            mail = NotificationSender(
                engine, Notification, SmtpSettings(), poll_seconds=settings.notify_poll_seconds,
                backoff_base=settings.notify_retry_seconds,
                backoff_cap=settings.notify_retry_max_seconds, open_rows=open_notifications)
            loops = [watch_deadlines(engine, settings.dossier_topic, signer, relay, stopping,
                                     every=settings.deadline_watch_seconds),
                     mail.run(stopping),
                     clean_unnamed_uploads(
                         engine, files.store, stopping, every=settings.upload_cleanup_seconds,
                         after=timedelta(hours=settings.unnamed_upload_hours))]
            if settings.forms_enabled:
                loops.append(FormWorker(
                    engine, files.store, poll_seconds=settings.forms_poll_seconds,
                    retry_seconds=settings.notify_retry_seconds,
                    retry_max_seconds=settings.notify_retry_max_seconds).run(stopping))
            await asyncio.gather(*loops)

        await run_stage(settings, stage, api=api, background=background,
                        open_work=waiting_at_intake, stop=stop)
