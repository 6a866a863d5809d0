"""Intake's use cases on the topic: the completeness check on every submitted (or supplemented)
dossier, the confirmation of withdrawals before acceptance, the tracking view that folds every
event of every dossier through the lifecycle rules, and the applicant's e-mail each step calls for
(queued in the same transaction, see notices.py) and the form it calls for (forms 01 to 05,
queued likewise: forms/issuing.py). The table at the end is the whole of intake's
behaviour on the topic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.communes import routing_problem
from motcua_contracts import DossierState, Event, Status, advance
from motcua_contracts.appraisal import FeesRequested
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import Document, DossierFacts
from motcua_contracts.envelope import field_value
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import (
    DossierRefused,
    DossierSubmitted,
    FeesPaid,
    SupplementExpired,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_contracts.topic import EVENT_TYPES
from motcua_intake import STAGE, completeness, desk_queue, domain
from motcua_intake.catalogue_versions import CatalogueVersions, UnknownCatalogueVersion
from motcua_intake.dossier_row import DossierRecord, DossierRow
from motcua_intake.forms.issuing import FormIssuer
from motcua_intake.notices import Notices
from motcua_intake.orm import (
    CHAIN_LINKS,
    DEAD_LETTERS,
    INBOX,
    OUTBOX,
    Dossier,
    DossierForm,
    Notification,
)
from motcua_intake.personal import SEALED_RECIPIENT
from motcua_intake.repository import Dossiers
from motcua_notify import notification
from motcua_runtime.policy import runs_automatically
from motcua_runtime.stage import Emitter, Handler, Rejected, Stage
from motcua_runtime.work_items import Cause, close_all
from motcua_runtime.work_queue import Decision
from motcua_telemetry import spans

log = structlog.get_logger(__name__)
ENDING = {Status.RESULT_READY, Status.DELIVERED, Status.STOPPED, Status.REFUSED}
# Form 05's reason for a withdrawal: never the applicant's own words, which travel sealed in
# WithdrawalRequested (DossierStopped's reason is in clear, on the topic and every timeline).
WITHDRAWN = "Dừng giải quyết theo đề nghị của công dân"


def track(event: Event, dossiers: Dossiers, emitter: Emitter) -> DossierRecord:
    """Fold any event into the dossier's status, deadlines and timeline (what citizens see).
    An event the lifecycle rules refuse raises, and so changes nothing."""
    dossier = dossiers.get(event.dossier_id)
    if dossier is None:
        raise Rejected(f"no dossier {event.dossier_id} was submitted at intake")
    state = advance(DossierState.from_json(dossier.lifecycle), event)
    dossier.lifecycle = state.to_json()
    dossier.status_code = int(state.status or Status.SUBMITTED)
    dossier.stage = state.holder
    dossier.last_event_type = event.type
    dossier.last_event_id, dossier.last_event_hash = event.event_id, event.hash
    dossier.updated_at = event.occurred_at
    _follow_deadlines(dossier, event, state)
    dossiers.record(  # a row of orm.TimelineEntry, written with the batch's others
        event_id=event.event_id, dossier_id=event.dossier_id, type=event.type,
        at=event.occurred_at, agency=domain.acting_agency(event),
        stage=event.producer.service, actor=event.actor, hash=event.hash,
        status_code=dossier.status_code, holder=state.holder, note=domain.note_for(event),
        addressed_to=event.agency,
    )
    return dossier


def _follow_deadlines(dossier: DossierRecord, event: Event, state: DossierState) -> None:
    facts = field_value(event, "dossier")
    if facts is not None:  # every hand-off carries the newest deadlines
        dossier.facts = facts.model_dump(mode="json")
        dossier.due_at = facts.due_at
    if isinstance(event, SupplementRequested | FeesRequested):
        dossier.waiting_since = event.occurred_at
        dossier.waiting_on_event_id, dossier.waiting_on_event_hash = event.event_id, event.hash
        dossier.supplement_due_at = field_value(event, "respond_by")
        dossier.supplement_documents = (list(event.missing_documents)
                                        if isinstance(event, SupplementRequested) else None)
    elif isinstance(event, SupplementProvided | FeesPaid | SupplementExpired):
        dossier.waiting_since = dossier.supplement_due_at = None
        dossier.supplement_documents = None
        dossier.waiting_on_event_id = dossier.waiting_on_event_hash = None
    if isinstance(event, FeesPaid):
        dossier.fees_paid += event.amount
    if isinstance(event, ResultSigned):
        dossier.result_sha256 = event.document_sha256
    if isinstance(event, ResultDelivered):
        dossier.delivered_via = event.channel
    if isinstance(event, DelayApologized) and dossier.facts is not None:
        dossier.due_at = event.new_due_at
        dossier.facts = {**dossier.facts, "due_at": event.new_due_at.isoformat(),
                         "rescheduled_from": event.previous_due_at.isoformat()}
    if state.progress in ENDING and dossier.ended_at is None:
        # The end is the time of status 9, else 10, else 8 or the refusal (docs/domain.md).
        dossier.ended_at = event.occurred_at
        dossier.supplement_due_at = dossier.supplement_documents = None
        facts_now = DossierFacts.model_validate(dossier.facts) if dossier.facts else None
        dossier.on_time = domain.on_time(facts_now, event.occurred_at, state.supplements)


def _add_if_new(event: DossierSubmitted | DossierImported, dossiers: Dossiers,
                build: Callable[[Any], DossierRow]) -> None:
    """Create the dossier an event opens, unless it exists (a redelivery); a code that already
    belongs to another dossier is refused."""
    if dossiers.get(event.dossier_id) is not None:
        return
    holder = dossiers.with_code(event.code)
    if holder is not None:
        raise Rejected(f"dossier code {event.code} already belongs to dossier {holder.id}")
    dossiers.add(build(event))


@dataclass(frozen=True)
class Intake:
    catalogue: Catalogue
    calendar: WorkingCalendar
    supplement_days: int = 5  # working days the applicant has to complete a dossier
    # Agencies whose office hours differ from the calendar's (commune police on Saturdays).
    agency_calendars: Mapping[str, WorkingCalendar] = field(default_factory=dict)
    # The applicant's e-mails; None: none are queued.
    notices: Notices | None = None
    # Forms 01 to 05 (docs/forms.md); None: none are queued.
    forms: FormIssuer | None = None
    # Whether officers are in charge where the catalogue says (MOTCUA_OFFICERS): the desk's
    # officers then check completeness of the procedures whose officer_stages name intake.
    officers: bool = False

    # The imported catalogue versions (None: only `catalogue`, the shipped one, is known).
    versions: CatalogueVersions | None = None

    def catalogue_of(self, version: int | None) -> Catalogue:
        """The catalogue a dossier received under `version` is handled under; a version this
        process has not read yet raises (the event is parked, never handled under another)."""
        if self.versions is None:
            if version:
                raise UnknownCatalogueVersion(f"catalogue version {version}: no versions here")
            return self.catalogue
        return self.versions.get(version)

    def calendar_of(self, agency: str) -> WorkingCalendar:
        return self.agency_calendars.get(agency, self.calendar)

    def follow(self, event: Event, dossiers: Dossiers, emitter: Emitter) -> None:
        """Any event of the topic, intake's own included once they come back: track it, then
        queue the e-mail and the form it calls for."""
        dossier = track(event, dossiers, emitter)
        if isinstance(event, DossierStopped | SupplementExpired | DossierRefused):
            # Withdrawn, refused (the deadline watch refuses a supplement not made in time at
            # intake), or no supplement in time: nothing is left for the desk to check. An item
            # an officer closed with the refusal is done already and stays as they closed it.
            close_all(dossiers.work_items, event)
        self.notify(event, dossier, dossiers)
        self.queue_form(event, dossier, dossiers)

    def queue_form(self, event: Event, dossier: DossierRecord, dossiers: Dossiers) -> None:
        """Queue the form `event` calls for (01 to 05), keyed by the event's id, its facts sealed
        under the dossier's key; the worker renders and stores it after the batch commits
        (motcua_intake.forms.worker). Nothing is queued once the applicant was erased."""
        if self.forms is None:
            return
        applicant = dossiers.person(dossier)
        if applicant is None:
            return
        try:
            issued = self.forms.facts_for(event, dossier, applicant)
        except Exception:
            # Like a notice: a fault in a form's facts must not hold the dossier's status back.
            log.exception("form not queued", dossier_id=str(event.dossier_id),
                          event_id=str(event.event_id), event_type=event.type)
            return
        if issued is not None:
            form, facts = issued
            sealed = dossiers.keys.seal(dossier.id, facts.model_dump(mode="json"))
            dossiers.queue_form(DossierForm(
                event_id=event.event_id, dossier_id=dossier.id, form=form,
                issued_at=event.occurred_at, facts=sealed.model_dump_json()))

    def notify(self, event: Event, dossier: DossierRecord, dossiers: Dossiers) -> None:
        """Queue the applicant's e-mail about `event`, keyed by the event's id (the inbox makes
        each event handled once, so each e-mail is queued once)."""
        if self.notices is None:
            return
        applicant = dossiers.person(dossier)  # None once erased: no more notices
        if applicant is None or (recipient := self.notices.recipient(applicant)) is None:
            return
        try:
            message = self.notices.message_for(event, dossier, applicant)
        except Exception:
            # A notice is a courtesy beside the record: a fault in writing one must not send the
            # event to the dead-letter topic and leave the dossier's status behind.
            log.exception("notice not queued", dossier_id=str(event.dossier_id),
                          event_id=str(event.event_id), event_type=event.type)
            return
        if message is not None:
            # Sealed under the dossier's key like the rest: the sender opens it (notices.py).
            dossiers.queue(notification(Notification, recipient=SEALED_RECIPIENT,
                                        message=dossiers.seal_message(dossier, recipient, message),
                                        dossier_id=event.dossier_id, event_id=event.event_id))

    def work_queue(self) -> dict[str, Decision]:
        """The desk officers' decisions on intake's work items (motcua_intake.desk_queue)."""
        return desk_queue.desk_decisions(self.catalogue, self.calendar_of, self.supplement_days,
                                         catalogue_of=self.catalogue_of)

    def on_submitted(self, event: DossierSubmitted, dossiers: Dossiers,
                     emitter: Emitter) -> None:
        """Record the submission, then check completeness. A portal may publish submissions
        straight to the topic; those create the dossier here."""
        _add_if_new(event, dossiers, lambda submitted: DossierRow(**dossier_values(submitted)))
        dossier = track(event, dossiers, emitter)
        self.check(dossier, event, emitter, event.received_at, dossiers)

    def on_imported(self, event: DossierImported, dossiers: Dossiers,
                    emitter: Emitter) -> None:
        """A dossier brought in from the system being replaced: recorded at the status it had
        there, with its code, appointment and end as they were, and its old history kept
        beside the timeline. No completeness check, no e-mail and no form: the old system did
        all that (motcua_contracts.imported)."""
        _add_if_new(event, dossiers, imported_dossier)
        dossier = track(event, dossiers, emitter)
        if event.continues_at == STAGE:
            self.open_imported_for_desk(event, dossier, dossiers)
        if event.awaiting is not None:
            # Waiting on the applicant as after a native request: the import is the request
            # their supplement or payment answers, the wait counts from the old request (the
            # deadlines move by it, as natively), and the supplement's deadline is watched.
            dossier.waiting_since = event.awaiting.requested_at
            dossier.waiting_on_event_id, dossier.waiting_on_event_hash = (event.event_id,
                                                                          event.hash)
            dossier.supplement_due_at = event.awaiting.respond_by
            dossier.supplement_documents = (list(event.awaiting.missing_documents)
                                            if event.awaiting.what == "supplement" else None)
        if event.result is not None:
            # The old system's signed result, kept here: the download checks it by this hash.
            dossier.result_sha256 = event.result.document_sha256
        if event.ended_at is not None:
            # The end is the old system's, not the moment of the import.
            dossier.ended_at = event.ended_at
            dossier.on_time = domain.on_time(event.dossier, event.ended_at,
                                             event.dossier.supplements_requested)

    def open_imported_for_desk(self, event: DossierImported, dossier: DossierRecord,
                               dossiers: Dossiers) -> None:
        """An imported dossier not yet checked (status 1) waits for the first check of the desk
        that received it, as a native filing waits where officers are in charge of intake
        (motcua_intake.desk_queue), whatever the procedure's policy: its documents stayed in
        the old system, so only people can judge them. Accepting it counts the appointment
        from the old reception, which is when the complete dossier arrived."""
        catalogue = self.catalogue_of(dossier.catalogue_version)
        procedure = catalogue.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise Rejected(f"imported dossier {event.code}: procedure {dossier.procedure_code} "
                           "is not in the catalogue")
        try:
            procedure = procedure.for_case(dossier.case_code)
        except KeyError:
            raise Rejected(f"imported dossier {event.code}: procedure {dossier.procedure_code} "
                           f"has no case {dossier.case_code}") from None
        facts = completeness.acceptance(dossier, procedure, self.calendar_of(dossier.agency),
                                        dossiers.keys, checked_at=event.received_at)
        desk_queue.open_for_desk(dossiers.work_items, event, dossier, facts,
                                 receiving_unit=self.receiving_unit(dossier),
                                 checked_at=event.received_at, waited_since=None, missing=[])

    def on_supplement_provided(self, event: SupplementProvided, dossiers: Dossiers,
                               emitter: Emitter) -> None:
        waiting = dossiers.get(event.dossier_id)
        asked_at = waiting.waiting_since if waiting else None  # track() clears it
        dossier = track(event, dossiers, emitter)
        # The dossier's files are all it was filed and supplemented with, whoever asked.
        dossier.documents = [*dossier.documents,
                             *(d.model_dump(mode="json") for d in event.documents)]
        if event.resumes == "intake":
            self.check(dossier, event, emitter, event.occurred_at, dossiers,
                       waited_since=asked_at)

    def on_withdrawal_requested(self, event: WithdrawalRequested, dossiers: Dossiers,
                                emitter: Emitter) -> None:
        track(event, dossiers, emitter)
        if event.confirmed_by == "intake":
            emitter.emit(DossierStopped, cause=event,
                         reason=WITHDRAWN)

    def check(self, dossier: DossierRecord, cause: Event, emitter: Emitter, now: datetime,
              dossiers: Dossiers, *, waited_since: datetime | None = None) -> None:
        """Completeness: accept with the receipt and appointment (form 01), ask once in writing
        for what is missing (form 02), or refuse with the reason (form 03). Where the catalogue
        puts the desk's officers in charge of intake, the dossier waits in their work queue
        instead (motcua_intake.desk_queue), with what this check found."""
        # Under the catalogue version it was received under, whatever was imported since.
        catalogue = self.catalogue_of(dossier.catalogue_version)
        procedure = catalogue.procedures.get(dossier.procedure_code)
        if procedure is None:
            completeness.refuse(cause, emitter,
                                reason=f"Thủ tục {dossier.procedure_code} không có trong danh mục")
            return
        try:
            procedure = procedure.for_case(dossier.case_code)
        except KeyError:
            completeness.refuse(cause, emitter, reason=(
                f"Thủ tục {dossier.procedure_code} không có trường hợp {dossier.case_code}"))
            return
        # A portal's submission on the topic names its agency itself: a commune-level one must
        # go to a commune's unit of the procedure's kind, as a filing over HTTP is routed.
        if (problem := routing_problem(catalogue, procedure, dossier.agency)) is not None:
            completeness.refuse(cause, emitter, reason=problem)
            return
        # The competent agency's hours: the commune's own unit for a commune-level dossier.
        calendar = self.calendar_of(dossier.agency)
        documents = [Document.model_validate(d) for d in dossier.documents]
        missing = domain.missing_documents(procedure, documents)
        if dossier.imported:
            # An imported dossier's files stayed in the old system: only the desk's officers can
            # judge it, a name missing from the files here says nothing (open_imported_for_desk).
            missing = []
        if dossier.imported or not runs_automatically(procedure, STAGE, self.officers):
            facts = completeness.acceptance(dossier, procedure, calendar, dossiers.keys,
                                            checked_at=now, waited_since=waited_since)
            desk_queue.open_for_desk(dossiers.work_items, cause, dossier, facts,
                                     receiving_unit=self.receiving_unit(dossier),
                                     checked_at=now, waited_since=waited_since, missing=missing)
            return
        state = DossierState.from_json(dossier.lifecycle)
        if missing and state.intake_supplements == 0:
            completeness.ask_for_supplement(dossier, procedure, calendar, cause, emitter,
                                            missing=missing,
                                            reason=domain.supplement_reason(missing), now=now,
                                            days=self.supplement_days)
            return
        if missing:
            completeness.refuse(cause, emitter, reason=domain.refusal_reason(missing),
                                missing=missing)
            return
        completeness.accept(completeness.acceptance(dossier, procedure, calendar, dossiers.keys,
                                                    checked_at=now, waited_since=waited_since),
                            cause, emitter)

    def receiving_unit(self, dossier: DossierRecord) -> str:
        """The agency whose desk received the dossier (its code's prefix): its desk officers
        check it. A code of no known unit (a portal publishing its own) falls to the competent
        agency's desk."""
        return (dossier.receiving_unit
                or domain.receiving_unit(dossier.code, self.catalogue.agencies.values())
                or dossier.agency)


def dossier_from(event: DossierSubmitted, trace_parent: str | None = None) -> Dossier:
    """The dossier's row, as the HTTP side adds it; `trace_parent` roots its trace (default:
    the current span's)."""
    return Dossier(**dossier_values(event, trace_parent))


def dossier_values(event: DossierSubmitted, trace_parent: str | None = None) -> dict[str, Any]:
    """The columns of a submitted dossier's row, before its submission is tracked."""
    return dict(
        id=event.dossier_id, code=event.code, procedure_code=event.procedure_code,
        agency=event.agency, channel=event.channel,
        applicant=event.applicant.model_dump(mode="json"),
        documents=[document.model_dump(mode="json") for document in event.documents],
        delivery=event.delivery.model_dump(mode="json"),
        data=event.data.model_dump(mode="json") if event.data is not None else {},
        received_at=event.received_at, status_code=1, stage="intake", last_event_type=None,
        updated_at=event.occurred_at, lifecycle={}, fees_paid=event.fees_paid,
        trace_parent=trace_parent or spans.current_traceparent(),
        catalogue_version=event.catalogue_version, case_code=event.case_code,
        receiving_unit=event.receiving_unit,
    )


def imported_dossier(event: DossierImported) -> DossierRow:
    """The row of a dossier brought in from the old system, before its import is tracked."""
    return DossierRow(
        id=event.dossier_id, code=event.code, procedure_code=event.procedure_code,
        agency=event.agency, channel=event.channel,
        applicant=event.applicant.model_dump(mode="json"), documents=[],
        delivery=event.delivery.model_dump(mode="json"), data={},
        received_at=event.received_at, status_code=event.status, stage=None,
        last_event_type=None, updated_at=event.occurred_at, lifecycle={},
        fees_paid=event.dossier.fees_paid, trace_parent=spans.current_traceparent(),
        catalogue_version=event.dossier.catalogue_version, case_code=event.case_code,
        receiving_unit=event.receiving_unit,
        imported={"source_system": event.source_system,
                  "history": [step.model_dump(mode="json") for step in event.history]})


def cause_of(dossier: DossierRecord, *, waiting: bool = False) -> Cause:
    """The dossier's newest event (or the request the applicant answers), as a cause."""
    if waiting:
        if dossier.waiting_on_event_id is None:
            raise Rejected(f"dossier {dossier.code} is not waiting for the applicant")
        return Cause(dossier.waiting_on_event_id, dossier.waiting_on_event_hash, dossier.id,
                     dossier.agency)
    if dossier.last_event_id is None:
        raise Rejected(f"dossier {dossier.code} has no event yet")
    return Cause(dossier.last_event_id, dossier.last_event_hash, dossier.id, dossier.agency)


def intake_stage(intake: Intake) -> Stage:
    # Handler takes Any event: each handler reads its own event type, the one it is registered
    # for, which a dict of Callable[[Event, ...]] could not hold.
    handlers: dict[str, Handler] = {event_type: intake.follow for event_type in EVENT_TYPES}
    handlers["DossierSubmitted"] = intake.on_submitted
    handlers["SupplementProvided"] = intake.on_supplement_provided
    handlers["WithdrawalRequested"] = intake.on_withdrawal_requested
    handlers["DossierImported"] = intake.on_imported
    return Stage(name="intake", handlers=handlers, open_repository=Dossiers,
                 outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS, chain_links=CHAIN_LINKS,
                 guards_topic=True)
