"""Signing's use cases; the table in `signing_stage` is all it does on the topic."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial

from motcua_catalogue import Catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import uuid7
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.signing import ResultSigned
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import close, take_over
from motcua_signing import STAGE, domain
from motcua_signing.orm import INBOX, OUTBOX, ResultDocument, WorkItem
from motcua_signing.repository import SigningRepository


def on_decision(event: DossierApproved | DossierDenied, results: SigningRepository,
                emitter: Emitter, *, catalogue: Catalogue) -> None:
    """Number, render and seal the result: the decision when approved, the refusal notice when
    denied. Under the automatic policy the clerk's step happens at once."""
    item = take_over(results, WorkItem, event, event.dossier, STAGE)
    procedure = catalogue.procedures.get(event.dossier.procedure_code)
    if procedure is None or procedure.decided_by_officer(STAGE):
        return
    outcome = "approved" if isinstance(event, DossierApproved) else "denied"
    signed_at = datetime.now(timezone.utc)
    year = event.occurred_at.astimezone(VIETNAM).year  # the counter preload locked this year
    number = domain.result_number(results.next_number(event.agency, year), year, outcome,
                                  event.agency)
    body = event.decision if isinstance(event, DossierApproved) else event.reason
    text = domain.render_result(facts=event.dossier, procedure=procedure,
                                agency=catalogue.agencies.get(event.agency), number=number,
                                outcome=outcome, body=body, signed_at=signed_at)
    results.store(ResultDocument(
        id=uuid7(), dossier_id=event.dossier_id, agency=event.agency, result_number=number,
        outcome=outcome, media_type=domain.MEDIA_TYPE, content=text.content, sha256=text.sha256,
        signed_at=signed_at))
    close(item, outcome=outcome, reason=number, at=signed_at)
    emitter.emit(ResultSigned, cause=event, dossier=event.dossier, outcome=outcome,
                 result_number=number, document_sha256=text.sha256, signed_at=signed_at)


def signing_stage(catalogue: Catalogue) -> Stage:
    handle = partial(on_decision, catalogue=catalogue)
    return Stage(
        name=STAGE,
        handlers={"DossierApproved": handle, "DossierDenied": handle},
        open_repository=SigningRepository,
        outbox=OUTBOX, inbox=INBOX,
    )
