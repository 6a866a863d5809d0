"""The desk's work queue: where the catalogue puts officers in charge of intake (`intake` in a
procedure's `officer_stages`, with MOTCUA_OFFICERS on), a submitted or supplemented dossier
waits here for a desk officer of the unit that received it (the code's prefix) instead of the
automatic completeness check. The officer accepts it, asks once for a supplement, or refuses
it; each decision emits what the automatic check would (motcua_intake.completeness), as the
officer, from intake's transaction and outbox (motcua_runtime.work_queue). A supplement at
intake brings the item back for the officer to check again.

Work items here are the same as every stage's (motcua_runtime.work_items), in intake's schema;
their agency is the receiving unit, so its desk officers are the ones who list and decide them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from motcua_catalogue import Catalogue, Procedure, WorkingCalendar
from motcua_contracts import Event
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import MAX_DOCUMENTS, SupplementProvided
from motcua_intake import STAGE, completeness
from motcua_intake.dossier_row import DossierRecord
from motcua_intake.orm import WorkItem
from motcua_runtime.keys import Signer
from motcua_runtime.officers import OfficerDependency
from motcua_runtime.policy import procedure_of
from motcua_runtime.scope import AgencyScope
from motcua_runtime.stage import Emitter, Rejected, Stage
from motcua_runtime.work_items import (
    WAITING,
    Cause,
    WorkItems,
    close,
    resume,
    take_over,
    touch,
    wait_for,
)
from motcua_runtime.work_queue import (
    Decision,
    DecisionContext,
    WorkQueue,
    add_decision_route,
    add_item_routes,
    declare_decisions,
)

# Keys of an intake item's context: when the complete dossier was received (the appointment
# counts from it, as the automatic check counts it), when intake asked for the supplement that
# completed it, and which required documents the filing lacks by name (what the automatic check
# would have said; the officer judges the files themselves; absent when none lacks).
CHECKED_AT, WAITED_SINCE, MISSING = "checked_at", "waited_since", "missing_documents"

DocumentName = Annotated[str, Field(min_length=1, max_length=300)]


class Accept(BaseModel):
    """The dossier is complete: accepted, with the receipt and appointment (form 01)."""


class RequestSupplement(BaseModel):
    missing_documents: list[DocumentName] = Field(
        min_length=1, max_length=MAX_DOCUMENTS,
        description="The documents to file or file again (form 02 lists them).")
    reason: str = Field(min_length=1, max_length=2000,
                        description="What is missing or must be corrected, as on form 02.")


class Refuse(BaseModel):
    reason: str = Field(min_length=1, max_length=2000,
                        description="Why, in words the applicant reads on form 03.")
    missing_documents: list[DocumentName] = Field(default_factory=list,
                                                  max_length=MAX_DOCUMENTS)


def open_for_desk(items: WorkItems, cause: Event, dossier: DossierRecord, facts: DossierFacts, *,
                  receiving_unit: str, checked_at: datetime, waited_since: datetime | None,
                  missing: Sequence[str]) -> Any:
    """The desk's item for a dossier to check: a new one for a filing, the waiting one again
    for the supplement it asked for. `facts` are what accepting it now would hand on."""
    # MISSING only when a document lacks: the page shows the key with its value.
    context = {CHECKED_AT: checked_at.isoformat(),
               WAITED_SINCE: waited_since.isoformat() if waited_since else None,
               **({MISSING: list(missing)} if missing else {})}
    waiting = any(item.state == WAITING for item in items.for_dossier(dossier.id))
    if isinstance(cause, SupplementProvided) and waiting:
        item = resume(items, cause, "supplement")
        touch(item, cause, facts, stage=STAGE)
        kept = {k: v for k, v in (item.context or {}).items() if k != MISSING}
        item.context = {**kept, **context}
        return item
    return take_over(items, WorkItem, cause, facts, STAGE, agency=receiving_unit,
                     context=context)


def desk_decisions(catalogue: Catalogue, calendar_of: Callable[[str], WorkingCalendar],
                   supplement_days: int, *,
                   catalogue_of: Callable[[int | None], Catalogue] | None = None
                   ) -> dict[str, Decision]:
    """What a desk officer decides on an intake item. `calendar_of(agency)` is the competent
    agency's working calendar; `supplement_days` the applicant's working days to answer;
    `catalogue_of(version)` the catalogue a dossier received under that version is handled
    under (None: `catalogue` for every dossier)."""

    def terms(dossier: DossierRecord) -> Procedure:
        """The dossier's procedure under its catalogue version, in its case."""
        source = catalogue_of(dossier.catalogue_version) if catalogue_of else catalogue
        procedure = procedure_of(source, dossier.procedure_code)
        try:
            return procedure.for_case(dossier.case_code)
        except KeyError:
            raise Rejected(f"procedure {dossier.procedure_code} has no case "
                           f"{dossier.case_code!r} in the dossier's catalogue") from None

    def dossier_of(item: Any, context: DecisionContext) -> DossierRecord:
        dossier: DossierRecord | None = context.repository.get(item.dossier_id)
        if dossier is None:
            raise Rejected(f"no dossier {item.dossier_id} at intake")
        return dossier

    def cause_of(item: Any, dossier: DossierRecord) -> Cause:
        # The filing (or supplement) the item checks, addressed as the automatic check's
        # events are: to the competent agency, not to the desk that received it.
        return Cause(item.cause_event_id or item.opened_by_event, item.cause_hash,
                     item.dossier_id, dossier.agency)

    def accept(item: Any, body: Accept, emitter: Emitter, context: DecisionContext) -> None:
        dossier = dossier_of(item, context)
        procedure = terms(dossier)
        ctx = item.context or {}
        waited = ctx.get(WAITED_SINCE)
        facts = completeness.acceptance(
            dossier, procedure, calendar_of(dossier.agency), context.repository.keys,
            checked_at=datetime.fromisoformat(ctx[CHECKED_AT]) if ctx.get(CHECKED_AT)
            else item.opened_at,
            waited_since=datetime.fromisoformat(waited) if waited else None)
        event = completeness.accept(facts, cause_of(item, dossier), emitter,
                                    actor=context.officer.actor)
        close(item, outcome="accepted", reason=None, by=context.officer.actor, at=context.now,
              emitted=event)

    def supplement(item: Any, body: RequestSupplement, emitter: Emitter,
                   context: DecisionContext) -> None:
        dossier = dossier_of(item, context)
        procedure = terms(dossier)
        event = completeness.ask_for_supplement(
            dossier, procedure, calendar_of(dossier.agency), cause_of(item, dossier), emitter,
            missing=body.missing_documents, reason=body.reason, now=context.now,
            days=supplement_days, actor=context.officer.actor)
        item.reason = body.reason
        wait_for(item, "supplement", [event])

    def refuse(item: Any, body: Refuse, emitter: Emitter, context: DecisionContext) -> None:
        dossier = dossier_of(item, context)
        event = completeness.refuse(cause_of(item, dossier), emitter, reason=body.reason,
                                    missing=body.missing_documents,
                                    actor=context.officer.actor)
        close(item, outcome="refused", reason=body.reason, by=context.officer.actor,
              at=context.now, emitted=event)

    return {
        "accept": Decision(Accept, accept,
                           summary="Complete: accept, with the receipt and appointment (form 01)"),
        "request-supplement": Decision(
            RequestSupplement, supplement,
            summary="Ask once in writing for the missing documents (form 02)"),
        "refuse": Decision(Refuse, refuse, summary="Refuse, with the reason (form 03)"),
    }


def add_desk_queue(app: FastAPI, stage: Stage, decisions: Mapping[str, Decision], *,
                   current_officer: OfficerDependency, scope: AgencyScope, signer: Signer,
                   topic: str, on_commit: Callable[[], None]) -> None:
    """The desk's work queue on intake's API: the routes, checks (role `intake`, the item's
    agency) and OpenAPI declaration of the decisions of every stage's queue, its decisions
    signed with intake's key into intake's outbox."""
    queue = WorkQueue(stage, WorkItem, decisions, scope=scope, producer=signer.producer,
                      topic=topic, sign=signer.sign, on_commit=on_commit)
    add_item_routes(app, queue, current_officer)
    add_decision_route(app, queue, current_officer)
    declare_decisions(app, decisions)
