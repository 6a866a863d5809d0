"""Appraisal's use cases. `appraisal_stage` is its whole behaviour on the topic;
`appraisal_decisions` is what its specialists can decide from the work queue.

Under the automatic policy a dossier goes: fees asked if still owed, coordinating agencies
consulted (liên thông) if the procedure has any, then the rule in `domain.appraise` drafts the
recommendation. With officers in charge the item waits in the queue for a specialist instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua_appraisal import STAGE, decisions, domain
from motcua_appraisal.orm import CHAIN_LINKS, DEAD_LETTERS, INBOX, OUTBOX, WorkItem
from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierTakenOver,
)
from motcua_contracts.approval import DossierReturned
from motcua_contracts.dossier import ProcedureTerms
from motcua_contracts.imported import WITHDRAWAL_STATUS, DossierImported
from motcua_contracts.intake import (
    DossierAccepted,
    FeesPaid,
    SupplementExpired,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_runtime.delays import apology_decision
from motcua_runtime.policy import (
    dossier_fee,
    dossier_step_hours,
    dossier_terms,
    runs_automatically,
)
from motcua_runtime.stage import Emitter, Rejected, Stage
from motcua_runtime.work_items import (
    CONSULTATION,
    DONE,
    OPEN,
    WITHDRAWAL,
    WorkItems,
    close,
    close_all,
    resume,
    take_over,
    touch,
    wait_for,
)
from motcua_runtime.work_queue import Decision, DecisionContext


@dataclass(frozen=True)
class Appraisal:
    """The stage's handlers, with what they read: the calendar, whether officers are in charge
    of the stages the catalogue assigns to them, and the catalogue: its agencies, and the
    terms of a dossier whose facts do not carry them (an event older than the terms; a dossier
    is otherwise handled by the terms of the version it was received under)."""

    catalogue: Catalogue
    calendar: WorkingCalendar
    officers: bool = False
    # Working days after intake within which the agency may ask for its one supplement
    # (docs/domain.md: 3, to verify, so a setting: APPRAISAL_SUPPLEMENT_WINDOW_DAYS).
    supplement_window_days: float = 3

    def automatic(self, terms: ProcedureTerms) -> bool:
        return runs_automatically(terms, STAGE, self.officers)

    def terms(self, item: Any) -> ProcedureTerms:
        return dossier_terms(self.catalogue, item.facts())

    def consultation_due(self, item: Any, now: datetime) -> datetime:
        """When a consulted agency must answer: counted from the dossier's own step plan."""
        plan = dossier_step_hours(self.catalogue, item.facts())
        return self.calendar.add_working_hours(
            now, domain.consultation_hours(plan.get("appraisal", 0.0)))

    # -- the topic ----------------------------------------------------------------------------

    def on_accepted(self, event: DossierAccepted | DossierReturned, items: WorkItems,
                    emitter: Emitter) -> None:
        """A dossier handed to the competent agency, first from intake, or back from approval."""
        earlier = [i for i in items.for_dossier(event.dossier_id) if i.kind == "dossier"]
        item = take_over(items, WorkItem, event, event.dossier, STAGE)
        if isinstance(event, DossierReturned):
            # What the agencies consulted answered still stands, and so do when the agency got
            # the dossier and its one supplement request; the draft is what is redone.
            previous = earlier[-1]
            kept = ("consulted", decisions.SUPPLEMENT_ASKED)
            item.context = {**item.context, **{k: v for k, v in (previous.context or {}).items()
                                               if k in kept}, "returned": event.reason,
                            decisions.ACCEPTED_AT: decisions.accepted_at(earlier[0]).isoformat()}
            item.answers = list(previous.answers or [])
        else:
            # The agency holds it now: being processed (4), whoever decides it and when.
            emitter.emit(DossierTakenOver, cause=event)
        self.proceed(item, emitter, event.occurred_at)

    def on_imported(self, event: DossierImported, items: WorkItems, emitter: Emitter) -> None:
        """A dossier brought in from the system being replaced while the competent agency was
        handling it: its item opens with the old system's appointment (never counted again) and
        waits for an officer, whatever the procedure's policy, since people were deciding it
        there. An ended one, or one continuing elsewhere, is nothing for appraisal."""
        if event.continues_at != STAGE:
            return
        if event.status == WITHDRAWAL_STATUS:
            # The applicant asked to withdraw and the old system had not confirmed it: the
            # agency's item to confirm, as after a native request (its officers confirm it).
            take_over(items, WorkItem, event, event.dossier, STAGE, kind=WITHDRAWAL,
                      context={"imported": event.source_system})
            return
        item = take_over(items, WorkItem, event, event.dossier, STAGE)
        accepted = next((step.at for step in event.history if step.status == 2),
                        event.received_at)
        asked = [step.at for step in event.history if step.status == 5]
        item.context = {**item.context, "imported": event.source_system,
                        decisions.ACCEPTED_AT: accepted.isoformat(),
                        # The agency's one supplement request, if the old system made it.
                        **({decisions.SUPPLEMENT_ASKED: asked[-1].isoformat()} if asked else {})}
        if event.awaiting is not None:
            # The old system's request to the applicant stands: the item waits for the answer,
            # whose cause is the import (intake holds the import as the request answered).
            wait_for(item, event.awaiting.what, [event])
        elif event.status == 2:
            # As for a native hand-off: the agency holds it now, being processed (4).
            emitter.emit(DossierTakenOver, cause=event)

    def on_supplement_provided(self, event: SupplementProvided, items: WorkItems,
                               emitter: Emitter) -> None:
        if event.resumes != STAGE:
            return  # a supplement to intake's completeness check
        item = resume(items, event, "supplement")
        touch(item, event, event.dossier, stage=STAGE)
        self.proceed(item, emitter, event.occurred_at)

    def on_supplement_expired(self, event: SupplementExpired, items: WorkItems,
                              emitter: Emitter) -> None:
        """No supplement by its deadline: the dossier has ended (status 8, docs/domain.md), so
        the agency has nothing to decide; what it holds for the dossier closes, with the reason
        the applicant reads (the deadline, in Vietnam time)."""
        resume(items, event, "supplement")  # Rejected if no supplement was awaited here
        deadline = event.respond_by.astimezone(VIETNAM)
        for item in items.for_dossier(event.dossier_id):
            if item.state != DONE:
                close(item, outcome="expired", by=event.actor, at=event.occurred_at,
                      reason="Công dân không bổ sung hồ sơ trong thời hạn yêu cầu "
                             f"(hạn {deadline:%d/%m/%Y %H:%M})")

    def on_fees_paid(self, event: FeesPaid, items: WorkItems, emitter: Emitter) -> None:
        item = resume(items, event, "fees")
        touch(item, event, event.dossier, stage=STAGE)
        self.proceed(item, emitter, event.occurred_at)

    def on_consultation_requested(self, event: ConsultationRequested, items: WorkItems,
                                  emitter: Emitter) -> None:
        """Another agency asks this one for its opinion: a consultation item of this agency."""
        item = take_over(items, WorkItem, event, event.dossier, STAGE, kind=CONSULTATION,
                         context={"lead_agency": event.lead_agency, "question": event.question})
        item.due_at = event.respond_by
        if self.automatic(self.terms(item)):
            decisions.answer(item, emitter, agrees=True, now=event.occurred_at,
                             text=f"{item.agency} thống nhất, không có ý kiến khác")

    def on_consultation_answered(self, event: ConsultationAnswered, items: WorkItems,
                                 emitter: Emitter) -> None:
        item = resume(items, event, "consultation")
        item.answers = [*(item.answers or []), {
            "agency": event.consulted_agency, "agrees": event.agrees, "answer": event.answer,
            "at": event.occurred_at.isoformat()}]
        if item.state == OPEN:
            self.proceed(item, emitter, event.occurred_at)

    def on_withdrawal_requested(self, event: WithdrawalRequested, items: WorkItems,
                                emitter: Emitter) -> None:
        """The competent agency confirms a withdrawal (intake confirms its own)."""
        if event.confirmed_by != STAGE:
            return
        held = items.for_dossier(event.dossier_id)
        if not held:
            raise Rejected(f"appraisal never held dossier {event.dossier_id}")
        # The applicant's reason is sealed and appraisal holds no data key: the item keeps none
        # (its ciphertext would only clutter the queue); form 05 says only that they asked.
        item = take_over(items, WorkItem, event, held[-1].facts(), STAGE, kind=WITHDRAWAL)
        if self.automatic(self.terms(item)):
            decisions.confirm_withdrawal(item, emitter, now=event.occurred_at,
                                         reason="Dừng giải quyết theo đề nghị của công dân")

    # -- the automatic policy -----------------------------------------------------------------

    def proceed(self, item: Any, emitter: Emitter, now: datetime) -> None:
        """Take the next automatic step on an open dossier item, unless officers decide."""
        terms = self.terms(item)
        if item.state != OPEN or not self.automatic(terms):
            return
        facts = item.facts()
        owed = domain.fees_due(facts, dossier_fee(self.catalogue, facts))
        if owed:
            decisions.request_fees(item, emitter, amount=owed,
                                   reason=f"Phí, lệ phí thủ tục {terms.name}")
            return
        if terms.coordinating_agencies and "consulted" not in (item.context or {}):
            decisions.consult(item, emitter, agencies=list(terms.coordinating_agencies),
                              question=f"Đề nghị cho ý kiến phối hợp về hồ sơ {facts.code} "
                                       f"({terms.name})",
                              respond_by=self.consultation_due(item, now),
                              known_agencies=set(self.catalogue.agencies))
            return
        appraisal = domain.with_answers(domain.appraise(facts, terms), item.answers or [])
        decisions.recommend(item, emitter, recommendation=appraisal.recommendation,
                            findings=appraisal.findings, now=now)

    # -- the specialists' decisions -----------------------------------------------------------

    def work_queue(self) -> dict[str, Decision]:
        def recommend(item: Any, body: decisions.Recommend, emitter: Emitter,
                      context: DecisionContext) -> None:
            decisions.recommend(item, emitter, recommendation=body.recommendation,
                                findings=body.findings, actor=context.officer.actor,
                                now=context.now)

        def supplement(item: Any, body: decisions.RequestSupplement, emitter: Emitter,
                       context: DecisionContext) -> None:
            decisions.request_supplement(
                item, emitter, reason=body.reason, missing=body.missing_documents,
                respond_within_days=body.respond_within_days, terms=self.terms(item),
                now=context.now, calendar=self.calendar,
                window_days=self.supplement_window_days, actor=context.officer.actor)

        def fees(item: Any, body: decisions.RequestFees, emitter: Emitter,
                 context: DecisionContext) -> None:
            decisions.request_fees(item, emitter, amount=body.amount, reason=body.reason,
                                   actor=context.officer.actor)

        def consult(item: Any, body: decisions.Consult, emitter: Emitter,
                    context: DecisionContext) -> None:
            decisions.consult(item, emitter, agencies=body.agencies, question=body.question,
                              respond_by=self.consultation_due(item, context.now),
                              known_agencies=set(self.catalogue.agencies),
                              actor=context.officer.actor)

        def answer(item: Any, body: decisions.Answer, emitter: Emitter,
                   context: DecisionContext) -> None:
            decisions.answer(item, emitter, agrees=body.agrees, text=body.answer,
                             actor=context.officer.actor, now=context.now)

        def withdraw(item: Any, body: decisions.ConfirmWithdrawal, emitter: Emitter,
                     context: DecisionContext) -> None:
            decisions.confirm_withdrawal(item, emitter, reason=body.reason,
                                         actor=context.officer.actor, now=context.now)

        return {
            "recommend": Decision(decisions.Recommend, recommend,
                                  summary="Draft the result: approve or deny, with findings"),
            "request-supplement": Decision(decisions.RequestSupplement, supplement),
            "request-fees": Decision(decisions.RequestFees, fees),
            "consult": Decision(decisions.Consult, consult),
            "apologize": apology_decision(self.calendar),
            "answer": Decision(decisions.Answer, answer, frozenset({CONSULTATION})),
            "confirm-withdrawal": Decision(decisions.ConfirmWithdrawal, withdraw,
                                           frozenset({WITHDRAWAL})),
        }


def appraisal_stage(appraisal: Appraisal) -> Stage:
    handlers: dict[str, Any] = {
        "DossierAccepted": appraisal.on_accepted,
        "DossierReturned": appraisal.on_accepted,
        "DossierImported": appraisal.on_imported,
        "SupplementProvided": appraisal.on_supplement_provided,
        "SupplementExpired": appraisal.on_supplement_expired,
        "FeesPaid": appraisal.on_fees_paid,
        "ConsultationRequested": appraisal.on_consultation_requested,
        "ConsultationAnswered": appraisal.on_consultation_answered,
        "WithdrawalRequested": appraisal.on_withdrawal_requested,
        "DossierStopped": lambda event, items, _emitter: close_all(items, event),
    }
    return Stage(name=STAGE, handlers=handlers, open_repository=_work_items,
                 outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS, chain_links=CHAIN_LINKS)


def _work_items(session: Any) -> WorkItems:
    return WorkItems(session, WorkItem)

