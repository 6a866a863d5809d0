"""Approval's use cases. `approval_stage` is its whole behaviour on the topic;
`Approval.work_queue` is what leaders can decide from the work queue: approve the draft, deny
with a reason, or send it back to appraisal with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from motcua_approval import STAGE, domain
from motcua_approval.orm import CHAIN_LINKS, DEAD_LETTERS, INBOX, OUTBOX, WorkItem
from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.approval import DossierApproved, DossierDenied, DossierReturned
from motcua_contracts.dossier import ProcedureTerms
from motcua_documents.result import default_decision
from motcua_runtime.delays import apology_decision
from motcua_runtime.policy import dossier_terms, runs_automatically
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import WorkItems, close, close_all, take_over
from motcua_runtime.work_queue import Decision, DecisionContext


class Approve(BaseModel):
    decision: str | None = Field(default=None, max_length=4000,
                                 description="The decision as issued; default: the draft's.")


class Deny(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class Return(BaseModel):
    reason: str = Field(min_length=1, max_length=4000,
                        description="What appraisal must look at again.")


def approve(item: Any, emitter: Emitter, *, text: str, actor: str = "auto",
            now: datetime | None = None) -> None:
    event = emitter.emit(DossierApproved, cause=item.cause(), actor=actor, dossier=item.facts(),
                         decision=text)
    close(item, outcome="approved", reason=text, by=actor, at=now, emitted=event)


def deny(item: Any, emitter: Emitter, *, reason: str, actor: str = "auto",
         now: datetime | None = None) -> None:
    event = emitter.emit(DossierDenied, cause=item.cause(), actor=actor, dossier=item.facts(),
                         reason=reason)
    close(item, outcome="denied", reason=reason, by=actor, at=now, emitted=event)


def send_back(item: Any, emitter: Emitter, *, reason: str, actor: str,
              now: datetime | None = None) -> None:
    event = emitter.emit(DossierReturned, cause=item.cause(), actor=actor, dossier=item.facts(),
                         reason=reason)
    close(item, outcome="returned", reason=reason, by=actor, at=now, emitted=event)


@dataclass(frozen=True)
class Approval:
    catalogue: Catalogue
    calendar: WorkingCalendar
    officers: bool = False

    def automatic(self, terms: ProcedureTerms) -> bool:
        return runs_automatically(terms, STAGE, self.officers)

    def on_appraised(self, event: DossierAppraised, items: WorkItems, emitter: Emitter) -> None:
        """Put the draft before the leader; under the automatic policy, follow it at once."""
        item = take_over(items, WorkItem, event, event.dossier, STAGE,
                         context={"recommendation": event.recommendation,
                                  "findings": event.findings})
        # By the terms of the catalogue version the dossier was received under.
        terms = dossier_terms(self.catalogue, event.dossier)
        if not self.automatic(terms):
            return
        decision = domain.decide(event, terms.name)
        if decision.outcome == "approved":
            approve(item, emitter, text=decision.text, now=event.occurred_at)
        else:
            deny(item, emitter, reason=decision.text, now=event.occurred_at)

    def work_queue(self) -> dict[str, Decision]:
        def approving(item: Any, body: Approve, emitter: Emitter,
                      context: DecisionContext) -> None:
            facts = item.facts()
            text = body.decision or default_decision(self._name(item), facts.code)
            approve(item, emitter, text=text, actor=context.officer.actor, now=context.now)

        def denying(item: Any, body: Deny, emitter: Emitter, context: DecisionContext) -> None:
            deny(item, emitter, reason=body.reason, actor=context.officer.actor, now=context.now)

        def returning(item: Any, body: Return, emitter: Emitter,
                      context: DecisionContext) -> None:
            send_back(item, emitter, reason=body.reason, actor=context.officer.actor,
                      now=context.now)

        return {
            "approve": Decision(Approve, approving, summary="Approve the drafted result"),
            "deny": Decision(Deny, denying, summary="Deny, with the reason"),
            "return": Decision(Return, returning, summary="Send back to appraisal"),
            "apologize": apology_decision(self.calendar),
        }

    def _name(self, item: Any) -> str:
        facts = item.facts()
        if facts.terms is not None:
            return facts.terms.name
        procedure = self.catalogue.procedures.get(item.procedure_code)
        return procedure.name if procedure else item.procedure_code


def approval_stage(approval: Approval) -> Stage:
    return Stage(
        name=STAGE,
        handlers={
            "DossierAppraised": approval.on_appraised,
            "DossierStopped": lambda event, items, _emitter: close_all(items, event),
        },
        open_repository=lambda session: WorkItems(session, WorkItem),
        outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS, chain_links=CHAIN_LINKS,
    )
