"""Signing's use cases; the table in `signing_stage` is all it does on the topic."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial

from motcua_catalogue import Catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.signing import ResultSigned
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import close, take_over
from motcua_signing import STAGE, domain
from motcua_signing.documents import StoredDocument
from motcua_signing.issuer import ResultIssuer
from motcua_signing.orm import INBOX, OUTBOX, WorkItem
from motcua_signing.repository import SigningRepository


def on_decision(event: DossierApproved | DossierDenied, results: SigningRepository,
                emitter: Emitter, *, catalogue: Catalogue, issuer: ResultIssuer) -> None:
    """Number, render and seal the result: the decision when approved, the refusal notice when
    denied. Under the automatic policy the clerk's step happens at once."""
    item = take_over(results, WorkItem, event, event.dossier, STAGE)
    procedure = catalogue.procedures.get(event.dossier.procedure_code)
    if procedure is None or procedure.decided_by_officer(STAGE):
        return
    outcome = "approved" if isinstance(event, DossierApproved) else "denied"
    # Whole seconds: the PDF's signing time (/M) has no finer grain, and the event states it.
    signed_at = datetime.now(timezone.utc).replace(microsecond=0)
    year = event.occurred_at.astimezone(VIETNAM).year  # the counter preload locked this year
    number = domain.result_number(results.next_number(event.agency, year), year, outcome,
                                  event.agency)
    body = event.decision if isinstance(event, DossierApproved) else event.reason
    issued = issuer.issue(facts=event.dossier, agency_code=event.agency,
                          agency=catalogue.agencies.get(event.agency), procedure=procedure,
                          number=number, outcome=outcome, body=body, signed_at=signed_at)
    results.documents.put(StoredDocument(
        dossier_id=event.dossier_id, dossier_code=event.dossier.code, agency=event.agency,
        result_number=number, outcome=outcome, media_type=issued.media_type,
        content=issued.content, sha256=issued.sha256,
        certificate_fingerprint=issued.certificate_fingerprint, signed_at=signed_at))
    close(item, outcome=outcome, reason=number, at=signed_at)
    emitter.emit(ResultSigned, cause=event, dossier=event.dossier, outcome=outcome,
                 result_number=number, document_sha256=issued.sha256, signed_at=signed_at,
                 certificate_fingerprint=issued.certificate_fingerprint)


def signing_stage(catalogue: Catalogue, issuer: ResultIssuer) -> Stage:
    handle = partial(on_decision, catalogue=catalogue, issuer=issuer)
    return Stage(
        name=STAGE,
        handlers={"DossierApproved": handle, "DossierDenied": handle},
        open_repository=SigningRepository,
        outbox=OUTBOX, inbox=INBOX,
    )
