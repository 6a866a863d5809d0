"""Intake's use cases on the topic: the completeness check on every submitted dossier, and the
tracking view that folds every event of every dossier. The table at the end is the whole of
intake's behaviour on the topic."""

from __future__ import annotations

from functools import partial

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_contracts import DossierState, Event, advance
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted, DossierRefused, DossierSubmitted
from motcua_contracts.topic import EVENT_TYPES
from motcua_intake import domain
from motcua_intake.orm import INBOX, OUTBOX, Dossier, TimelineEntry
from motcua_intake.repository import Dossiers
from motcua_runtime.stage import Emitter, Rejected, Stage


def track(event: Event, dossiers: Dossiers, emitter: Emitter) -> None:
    """Fold any event into the dossier's status and timeline (what citizens see)."""
    dossier = dossiers.get(event.dossier_id)
    if dossier is None:
        raise Rejected(f"no dossier {event.dossier_id} was submitted at intake")
    state = advance(DossierState.from_json(dossier.lifecycle), event)
    dossier.lifecycle = state.to_json()
    dossier.status_code = int(state.status)
    dossier.stage = state.holder
    dossier.last_event_type = event.type
    dossier.last_event_id, dossier.last_event_hash = event.event_id, event.hash
    dossier.updated_at = event.occurred_at
    if isinstance(event, DossierAccepted):
        dossier.due_at = event.dossier.due_at
    dossiers.record(TimelineEntry(
        event_id=event.event_id, dossier_id=event.dossier_id, type=event.type,
        at=event.occurred_at, agency=event.producer.agency or event.agency,
        stage=event.producer.service, actor=event.actor, hash=event.hash,
        status_code=int(state.status),
    ))


def on_dossier_submitted(event: DossierSubmitted, dossiers: Dossiers, emitter: Emitter, *,
                         catalogue: Catalogue, calendar: WorkingCalendar) -> None:
    """Record the submission, then check completeness: accept with an appointment (form 01) or
    refuse with the reason (form 03). A portal may publish submissions straight to the topic;
    those create the dossier here."""
    if dossiers.get(event.dossier_id) is None:
        holder = dossiers.with_code(event.code)
        if holder is not None:
            raise Rejected(f"dossier code {event.code} already belongs to dossier {holder.id}")
        dossiers.add(dossier_from(event))
    track(event, dossiers, emitter)
    procedure = catalogue.procedures.get(event.procedure_code)
    if procedure is None:
        emitter.emit(DossierRefused, cause=event,
                     reason=f"Thủ tục {event.procedure_code} không có trong danh mục")
        return
    if procedure.decided_by_officer("intake"):
        return  # a one-stop officer decides from the work queue
    missing = domain.missing_documents(procedure, event.documents)
    if missing:
        emitter.emit(DossierRefused, cause=event, reason=domain.refusal_reason(missing),
                     missing_documents=missing)
        return
    due_at = calendar.due_at(event.received_at, procedure.limit_value, procedure.limit_unit)
    emitter.emit(DossierAccepted, cause=event, dossier=DossierFacts(
        code=event.code, procedure_code=event.procedure_code,
        applicant_name=event.applicant.full_name, received_at=event.received_at, due_at=due_at,
        delivery_channel=event.delivery.channel, data=event.data,
    ))


def dossier_from(event: DossierSubmitted) -> Dossier:
    return Dossier(
        id=event.dossier_id, code=event.code, procedure_code=event.procedure_code,
        agency=event.agency, channel=event.channel,
        applicant=event.applicant.model_dump(mode="json"),
        documents=[document.model_dump(mode="json") for document in event.documents],
        delivery=event.delivery.model_dump(mode="json"), data=event.data,
        received_at=event.received_at, status_code=1, stage="intake", last_event_type=None,
        updated_at=event.occurred_at, lifecycle={}, fees_paid=event.fees_paid,
    )


def intake_stage(catalogue: Catalogue, calendar: WorkingCalendar) -> Stage:
    handlers = {event_type: track for event_type in EVENT_TYPES}
    handlers["DossierSubmitted"] = partial(on_dossier_submitted, catalogue=catalogue,
                                           calendar=calendar)
    return Stage(name="intake", handlers=handlers, open_repository=Dossiers,
                 outbox=OUTBOX, inbox=INBOX, guards_topic=True)
