"""The completeness check's three outcomes, shared by intake's automatic check
(motcua_intake.handlers) and the desk officer's decisions (motcua_intake.desk_queue): accept
with the appointment (form 01), ask once in writing for what is missing (form 02), or refuse
with the reason (form 03). Each emits one event and does no I/O, so an officer's decision emits
exactly what the automatic check would have."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from motcua_catalogue import Procedure, WorkingCalendar
from motcua_catalogue.working_time import HOURS_PER_DAY
from motcua_contracts import DossierState, Event
from motcua_contracts.dossier import Channel, DossierFacts
from motcua_contracts.intake import DossierAccepted, DossierRefused
from motcua_contracts.sealed import Sealed
from motcua_contracts.shared import SupplementRequested
from motcua_intake import domain, personal
from motcua_intake.dossier_row import DossierRecord
from motcua_privacy import Keyring
from motcua_runtime.policy import terms_of
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import Cause


def acceptance(dossier: DossierRecord, procedure: Procedure, calendar: WorkingCalendar,
               keys: Keyring, *, checked_at: datetime,
               waited_since: datetime | None = None) -> DossierFacts:
    """The facts a complete dossier is handed on with: the appointment and each step's deadline.
    `checked_at` is when the complete dossier was received (the filing, or the supplement that
    completed it); `waited_since` when intake asked for that supplement."""
    # Restart: the clock runs from the complete dossier. Pause: from the first receipt,
    # moved by the time spent waiting for the applicant.
    start = checked_at if procedure.supplement_clock == "restart" else dossier.received_at
    due, steps = domain.appointment(procedure, calendar, start)
    # The personal values as the submission sealed them: intake hands the ciphertext on,
    # with the names of the required form fields filled in (appraisal's rule needs no more).
    data, filled = personal.form_data(keys, dossier, procedure.required_data)
    state = DossierState.from_json(dossier.lifecycle)
    facts = DossierFacts(
        code=dossier.code, procedure_code=dossier.procedure_code,
        applicant=Sealed.model_validate(dossier.applicant), received_at=dossier.received_at,
        due_at=due, step_due_at=steps, delivery_channel=dossier.delivery["channel"],
        delivery_address=None if dossier.delivery.get("address") is None
        else Sealed.model_validate(dossier.delivery["address"]),
        # The column holds what a validated DossierSubmitted said; DossierFacts checks it.
        channel=cast(Channel, dossier.channel),
        fees_paid=dossier.fees_paid, data=data, data_filled=filled,
        supplements_requested=state.supplements,
        # The terms it was received under (docs/catalogue.md): the version, the case, the step
        # plan, the fee and the procedure's terms (who decides, whom to consult...) the later
        # stages hold it to; and where it was received.
        catalogue_version=dossier.catalogue_version, case_code=dossier.case_code,
        receiving_unit=dossier.receiving_unit, step_hours=procedure.step_hours(),
        fee=procedure.fee_online if dossier.channel == "online" else procedure.fee_counter,
        terms=terms_of(procedure))
    if waited_since is not None and procedure.supplement_clock == "pause":
        facts = domain.moved_by_waiting(facts, procedure, calendar, waiting_since=waited_since,
                                        now=checked_at, clock="pause")
    return facts


def accept(facts: DossierFacts, cause: Event | Cause, emitter: Emitter, *,
           actor: str = "auto") -> DossierAccepted:
    return emitter.emit(DossierAccepted, cause=cause, actor=actor, dossier=facts)


def ask_for_supplement(dossier: DossierRecord, procedure: Procedure, calendar: WorkingCalendar,
                       cause: Event | Cause, emitter: Emitter, *, missing: Sequence[str],
                       reason: str, now: datetime, days: int,
                       actor: str = "auto") -> SupplementRequested:
    """Intake asks once: a dossier that was asked already is refused (or accepted) instead."""
    if DossierState.from_json(dossier.lifecycle).intake_supplements:
        raise Rejected(f"intake asks for a supplement once per dossier; dossier {dossier.code} "
                       "was asked already: accept it or refuse it")
    return emitter.emit(SupplementRequested, cause=cause, actor=actor, requested_by="intake",
                        missing_documents=list(missing), reason=reason,
                        respond_by=calendar.add_working_hours(now, days * HOURS_PER_DAY),
                        clock=procedure.supplement_clock)


def refuse(cause: Event | Cause, emitter: Emitter, *, reason: str,
           missing: Sequence[str] = (), actor: str = "auto") -> DossierRefused:
    return emitter.emit(DossierRefused, cause=cause, actor=actor, reason=reason,
                        missing_documents=list(missing))
