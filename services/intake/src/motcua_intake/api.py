"""Intake's HTTP API: the contract the citizen portal and the front desk build on. This module
only assembles it: the front door's routes (motcua_intake.filing.api) and the tracking view's
(motcua_intake.tracking.api), with the error handlers, the body limit and /healthz.

Bad input is a 4xx with a message naming the field and the reason; never a 500."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.centre import Centre
from motcua_intake.access_log import create_access_log_router
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.erasure_api import create_erasure_router
from motcua_intake.files.api import UPLOAD_PATH, create_files_router, upload_limit
from motcua_intake.files.documents import DossierFiles
from motcua_intake.filing import applicant
from motcua_intake.filing.api import create_filing_router
from motcua_intake.forms.api import create_forms_router
from motcua_intake.officer.api import Filing, create_officer_router
from motcua_intake.tracking.api import RatingEvents, create_tracking_router
from motcua_runtime.health import healthz
from motcua_runtime.http import install_error_handlers
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES, limit_request_bodies
from motcua_runtime.keys import Signer
from motcua_runtime.officers import OfficerDependency


def create_api(sessions: async_sessionmaker[AsyncSession], catalogue: Catalogue,
               calendar: WorkingCalendar, topic: str, on_commit: Callable[[], None], *,
               current_officer: OfficerDependency, signer: Signer, files: DossierFiles,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               centre: Centre | None = None,
               versions: CatalogueVersions | None = None) -> FastAPI:
    """`on_commit` is called after a request wrote to the outbox (it wakes the relay); `signer`
    is intake's key, which signs every event the API emits; `files` the dossiers' file store;
    `centre` who the public pages name."""

    app = FastAPI(title="motcua intake", version="1",
                  description="File dossiers and follow them by id or code.")
    app.state.sessions = sessions
    install_error_handlers(app, "dossier store")
    limit_request_bodies(app, max_body_bytes, streamed={UPLOAD_PATH: upload_limit(files)})
    # Following a dossier, the control sheet, the public lookup page, ratings and reports.
    app.include_router(create_tracking_router(
        catalogue, calendar, current_officer, centre=centre,
        rating_events=RatingEvents(topic, signer, on_commit)))
    # Filing, the applicant's actions and the list of procedures.
    app.include_router(create_filing_router(catalogue, calendar,
                                            applicant.Outbox(topic, signer), on_commit, files,
                                            versions))
    # Uploads, the applicant's and officers' downloads of the dossiers' files.
    app.include_router(create_files_router(files, current_officer, catalogue))
    # The administrator's erasure of a dossier's personal data, signed with intake's own key.
    app.include_router(create_erasure_router(catalogue, applicant.Outbox(topic, signer),
                                             on_commit, current_officer))
    # The dossier's forms 01 to 05, for the applicant and for officers.
    app.include_router(create_forms_router(files, current_officer, catalogue))
    # The dossier as an officer of an agency that took part in it reads it; the desk's filing.
    desk = Filing(applicant.Outbox(topic, signer), on_commit, files, versions)
    app.include_router(create_officer_router(catalogue, calendar, current_officer, desk))
    # Every officer's read of personal data (files, dossiers), for the auditors.
    app.include_router(create_access_log_router(current_officer))
    app.add_api_route("/healthz", healthz)  # the database and the broker (motcua_runtime.health)
    return app
