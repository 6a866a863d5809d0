"""Signing's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue import Catalogue
from motcua_catalogue.catalogue import default_catalogue
from motcua_pki import Keystore, KeystoreError
from motcua_privacy import require_master_key
from motcua_runtime.gauges import open_work_items
from motcua_runtime.officers import officer_from_bearer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import live_calendar, run_stage
from motcua_runtime.tokens import verifier_from_settings
from motcua_runtime.work_queue import work_queue_server
from motcua_signing import STAGE
from motcua_signing.document_api import create_document_router
from motcua_signing.documents import PostgresDocuments
from motcua_signing.handlers import Signing, signing_stage
from motcua_signing.issuer import ResultIssuer
from motcua_signing.orm import WorkItem
from motcua_signing.seal import Sealer
from motcua_signing.settings import SigningSettings


def load_keystore(settings: SigningSettings) -> Keystore:
    passphrase = settings.pki_passphrase.get_secret_value() if settings.pki_passphrase else ""
    if settings.certificate_file or settings.key_file:
        if not (settings.agency and settings.certificate_file and settings.key_file
                and settings.root_certificate_file):
            raise KeystoreError("SIGNING_CERTIFICATE_FILE and SIGNING_KEY_FILE need "
                                "SIGNING_ROOT_CERTIFICATE_FILE and SIGNING_AGENCY (or --agency)")
        return Keystore.from_files(settings.agency, certificate_file=settings.certificate_file,
                                   key_file=settings.key_file,
                                   root_file=settings.root_certificate_file,
                                   passphrase=passphrase)
    if settings.pki_dir is None:
        raise KeystoreError("no signing keys: set SIGNING_PKI_DIR (`motcua pki init` makes a "
                            "development one) or SIGNING_CERTIFICATE_FILE and SIGNING_KEY_FILE")
    return Keystore.load(settings.pki_dir, passphrase)


def check_every_agency_can_sign(keystore: Keystore, catalogue: Catalogue,
                                settings: SigningSettings) -> None:
    """At start-up rather than per event: a missing certificate is the operator's to fix, and
    a dossier must wait for it, not be dead-lettered."""
    served = [code for code, agency in catalogue.agencies.items()
              if STAGE in agency.stages and settings.serves(code)]
    missing = [code for code in served if code not in keystore.signing]
    if missing:
        raise KeystoreError(f"no valid signing certificate for {', '.join(missing)}; issue with "
                            "`motcua pki rotate CODE` (development) or install one")


def build_issuer(settings: SigningSettings, catalogue: Catalogue) -> ResultIssuer:
    keystore = load_keystore(settings)
    check_every_agency_can_sign(keystore, catalogue, settings)
    return ResultIssuer(Sealer(keystore), settings.public_base_url)


async def run(settings: SigningSettings, stop: asyncio.Event | None = None) -> None:
    require_master_key()  # personal data is opened with it: stop here without a usable one
    catalogue = default_catalogue()
    issuer = build_issuer(settings, catalogue)
    async with live_calendar(settings) as calendar:
        policy = Signing(catalogue, calendar.live(), issuer, officers=settings.officers)
        stage = signing_stage(policy)
        work_queue = work_queue_server(settings, stage, WorkItem, policy.work_queue())

        def api(sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay) -> FastAPI:
            # The officers' work queue, and the issued documents intake hands to applicants.
            app = work_queue(sessions, relay)
            app.include_router(create_document_router(
                PostgresDocuments(sessions).for_dossier,
                officer_from_bearer(verifier_from_settings(settings, STAGE))))
            return app

        await run_stage(settings, stage, api=api,
                        open_work=open_work_items(WorkItem, settings.scope), stop=stop)
