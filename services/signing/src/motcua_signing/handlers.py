"""Signing's use cases. `signing_stage` is its whole behaviour on the topic; `Signing.work_queue`
is what the clerk (văn thư) can do from the work queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.dossier import DossierFacts, ProcedureTerms
from motcua_contracts.signing import ResultSigned
from motcua_privacy import Keyring, PersonalDataErased, PrivacyProblem
from motcua_runtime.delays import apology_decision
from motcua_runtime.policy import dossier_terms, runs_automatically
from motcua_runtime.stage import Emitter, Rejected, Stage
from motcua_runtime.work_items import close, close_all, take_over
from motcua_runtime.work_queue import Decision, DecisionContext
from motcua_signing import STAGE, domain
from motcua_signing.documents import StoredDocument
from motcua_signing.issuer import ResultIssuer
from motcua_signing.orm import CHAIN_LINKS, DEAD_LETTERS, INBOX, OUTBOX, WorkItem
from motcua_signing.repository import SigningRepository


class Sign(BaseModel):
    """The clerk numbers and seals the result as approved; nothing to add."""


ERASED_NAME = "(dữ liệu cá nhân đã được xóa)"  # printed when the applicant was erased first


def applicant_name(keys: Keyring, dossier_id: uuid.UUID, facts: DossierFacts) -> str:
    """The applicant's name for the result, opened from the facts' sealed applicant."""
    try:
        return str(keys.open(dossier_id, facts.applicant).get("full_name") or "")
    except PersonalDataErased:
        return ERASED_NAME
    except PrivacyProblem as problem:
        raise Rejected(f"cannot open the applicant's name: {problem}") from None


@dataclass(frozen=True)
class Signing:
    catalogue: Catalogue
    calendar: WorkingCalendar
    issuer: ResultIssuer  # renders the result and seals it with the agency's certificate
    officers: bool = False

    def automatic(self, terms: ProcedureTerms) -> bool:
        return runs_automatically(terms, STAGE, self.officers)

    def terms(self, item: Any) -> ProcedureTerms:
        """The dossier's terms (who signs, what the result is called) under the catalogue
        version it was received under."""
        return dossier_terms(self.catalogue, item.facts())

    def on_decision(self, event: DossierApproved | DossierDenied, results: SigningRepository,
                    emitter: Emitter) -> None:
        """The leader decided: the result (or the refusal notice) waits for the seal; under the
        automatic policy the clerk's step happens at once."""
        if isinstance(event, DossierApproved):
            outcome, body = "approved", event.decision
        else:
            outcome, body = "denied", event.reason
        item = take_over(results, WorkItem, event, event.dossier, STAGE, context={
            "outcome": outcome, "body": body})
        if self.automatic(self.terms(item)):
            self.sign(item, results, emitter, now=datetime.now(timezone.utc))

    def sign(self, item: Any, results: SigningRepository, emitter: Emitter, *,
             now: datetime, actor: str = "auto") -> None:
        """Number, render and seal the result: the decision when approved, the refusal notice
        when denied."""
        # Whole seconds: the PDF's signing time (/M) has no finer grain, and the event states it.
        now = now.replace(microsecond=0)
        outcome = item.context["outcome"]
        year = now.astimezone(VIETNAM).year  # the counter preload locked this year
        number = domain.result_number(results.next_number(item.agency, year), year, outcome,
                                      item.agency)
        facts = item.facts()
        issued = self.issuer.issue(facts=facts, agency_code=item.agency,
                                   agency=self.catalogue.agencies.get(item.agency),
                                   procedure=self.terms(item), number=number,
                                   outcome=outcome, body=item.context["body"], signed_at=now,
                                   applicant_name=applicant_name(results.keys, item.dossier_id,
                                                                 facts))
        results.documents.put(StoredDocument(
            dossier_id=item.dossier_id, dossier_code=facts.code, agency=item.agency,
            result_number=number, outcome=outcome, media_type=issued.media_type,
            content=issued.content, sha256=issued.sha256,
            certificate_fingerprint=issued.certificate_fingerprint, signed_at=now))
        event = emitter.emit(ResultSigned, cause=item.cause(), actor=actor, dossier=facts,
                             outcome=outcome, result_number=number,
                             document_sha256=issued.sha256, signed_at=now,
                             certificate_fingerprint=issued.certificate_fingerprint)
        close(item, outcome=outcome, reason=number, by=actor, at=now, emitted=event)

    def work_queue(self) -> dict[str, Decision]:
        def signing(item: Any, _body: Sign, emitter: Emitter, context: DecisionContext) -> None:
            self.sign(item, context.repository, emitter, now=context.now,
                      actor=context.officer.actor)

        return {"sign": Decision(Sign, signing, summary="Number and seal the result"),
                "apologize": apology_decision(self.calendar)}


def signing_stage(signing: Signing) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"DossierApproved": signing.on_decision, "DossierDenied": signing.on_decision,
                  "DossierStopped": lambda event, items, _emitter: close_all(items, event)},
        open_repository=SigningRepository,
        outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS, chain_links=CHAIN_LINKS,
    )
