"""Intake's rules, without I/O: the dossier code, the completeness check, and how each event
moves the tracking view."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from motcua_catalogue import Agency, Procedure, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Event
from motcua_contracts.appraisal import ConsultationAnswered, ConsultationRequested, FeesRequested
from motcua_contracts.approval import DossierDenied, DossierReturned
from motcua_contracts.delivery import ResultDelivered, ResultHandedToPost, ResultPickedUpByPost
from motcua_contracts.dossier import Document, DossierFacts
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import (
    DossierAccepted,
    DossierRefused,
    PersonalDataErased,
    WithdrawalRequested,
)
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_contracts.signing import ResultSigned


def dossier_code(unit_electronic_id: str, day: date, counter: int) -> str:
    """`{agency e-ID}-{YYMMDD}-{NNNN}`; a counter past 9999 keeps all its digits."""
    return f"{unit_electronic_id}-{day:%y%m%d}-{counter:04d}"


def receiving_unit(code: str, agencies: Iterable[Agency]) -> str | None:
    """The agency whose one-stop desk received the dossier: its e-ID prefixes the code (the
    competent agency's when filed on the portal, the desk officer's at a counter)."""
    prefix = code.rsplit("-", 2)[0]
    return next((agency.code for agency in agencies if agency.electronic_id == prefix), None)


def missing_documents(procedure: Procedure, documents: Sequence[Document]) -> list[str]:
    """Required documents of the procedure that the dossier does not include (by name)."""
    filed = {_comparable(document.name) for document in documents}
    return [name for name in procedure.required_documents if _comparable(name) not in filed]


def _comparable(name: str) -> str:
    # Vietnamese diacritics arrive composed or decomposed (NFD from some keyboards and macOS).
    return unicodedata.normalize("NFC", name).casefold()


def refusal_reason(missing: Sequence[str]) -> str:
    return "Hồ sơ thiếu giấy tờ bắt buộc: " + "; ".join(missing)


def supplement_reason(missing: Sequence[str]) -> str:
    return "Đề nghị bổ sung giấy tờ còn thiếu: " + "; ".join(missing)


def received_day(received_at: datetime) -> date:
    """The intake date in the province's time, the YYMMDD of the dossier code."""
    return received_at.astimezone(VIETNAM).date()


# -- deadlines ------------------------------------------------------------------------------------

def appointment(procedure: Procedure, calendar: WorkingCalendar,
                start: datetime) -> tuple[datetime, dict[str, datetime]]:
    """The appointment (form 01) for a complete dossier counted from `start`, and each stage's
    deadline by the step plan."""
    due = calendar.due_at(start, procedure.limit_value, procedure.limit_unit)
    return due, calendar.step_deadlines(procedure, start)


def moved_by_waiting(facts: DossierFacts, procedure: Procedure, calendar: WorkingCalendar, *,
                     waiting_since: datetime, now: datetime, clock: str) -> DossierFacts:
    """The dossier's deadlines once the applicant answered: paused, they move by the working
    hours spent waiting (the wait does not count against the agency); restarted, they are
    counted again from the complete dossier."""
    if clock == "restart":
        due, steps = appointment(procedure, calendar, now)
        return facts.model_copy(update={"due_at": due, "step_due_at": steps})
    waited = max(calendar.working_hours_between(waiting_since, now), 0.0)
    if not waited or facts.due_at is None:
        return facts
    return facts.model_copy(update={
        "due_at": calendar.add_working_hours(facts.due_at, waited),
        "step_due_at": {stage: calendar.add_working_hours(deadline, waited)
                        for stage, deadline in facts.step_due_at.items()},
    })


def on_time(facts: DossierFacts | None, ended_at: datetime, supplements: int) -> bool | None:
    """Processing ended no later than the first appointment. An apology that moved it, or a
    second supplement request, makes the dossier count as late all the same (docs/domain.md)."""
    if facts is None or facts.due_at is None:
        return None
    first = facts.rescheduled_from or facts.due_at
    return ended_at <= first and facts.rescheduled_from is None and supplements < 2


def acting_agency(event: Event) -> str:
    """The agency that took the step: the emitting instance's, else (an instance serving all
    agencies) the one the event says acted; most events act for the agency they address."""
    if event.producer.agency:
        return event.producer.agency
    if isinstance(event, ConsultationAnswered):
        return event.consulted_agency
    if isinstance(event, ConsultationRequested):
        return event.lead_agency
    if isinstance(event, ResultHandedToPost):
        return event.competent_agency
    if isinstance(event, ResultPickedUpByPost):
        return event.post_office
    if isinstance(event, ResultDelivered) and event.post_office:
        return event.post_office
    return event.agency


def note_for(event: Event) -> str | None:
    """What the citizen reads about an event on the timeline."""
    vn = "%H:%M %d/%m/%Y"
    match event:
        case DossierRefused() | DossierStopped() | DossierReturned():
            return event.reason
        case DossierDenied():
            return event.reason
        case SupplementRequested():
            missing = "; ".join(event.missing_documents)
            return (f"{event.reason}{' (' + missing + ')' if missing else ''} — hạn bổ sung "
                    f"{event.respond_by.astimezone(VIETNAM).strftime(vn)}")
        case FeesRequested():
            return fees_note(event.reason, event.amount)
        case DossierImported() if event.awaiting is not None:
            # What the old system asked of the applicant, which they answer here.
            asked = event.awaiting
            if asked.what == "fees":
                return fees_note(asked.reason, asked.amount or 0)
            missing = "; ".join(asked.missing_documents)
            by = (" — hạn bổ sung " + asked.respond_by.astimezone(VIETNAM).strftime(vn)
                  if asked.respond_by else "")
            return f"{asked.reason}{' (' + missing + ')' if missing else ''}{by}"
        case DelayApologized():
            return (f"{event.reason} — hẹn mới "
                    f"{event.new_due_at.astimezone(VIETNAM).strftime(vn)}")
        case DossierAccepted():
            due = event.dossier.due_at
            return f"Hẹn trả kết quả {due.astimezone(VIETNAM).strftime(vn)}" if due else None
        case ConsultationRequested():
            return (f"Lấy ý kiến {event.agency}: {event.question} — hạn trả lời "
                    f"{event.respond_by.astimezone(VIETNAM).strftime(vn)}")
        case ConsultationAnswered():
            return f"{event.consulted_agency}: {event.answer}"
        case WithdrawalRequested():
            return None  # the applicant's reason is theirs: sealed in the event, never here
        case ResultSigned():
            return f"Số ký hiệu {event.result_number}"
        case ResultHandedToPost():
            # Never the address: the timeline is what a lookup shows.
            return f"{POSTAL_HAND_OFF} ({event.agency}) tới địa chỉ người nộp đã đăng ký"
        case ResultPickedUpByPost():
            return (f"Bưu điện {event.post_office} đã nhận kết quả, số hiệu bưu gửi "
                    f"{event.tracking_number}")
        case ResultDelivered():
            return delivered_note(event)
        case PersonalDataErased():
            # Never the reason: it may cite the request; the event and the key store keep it.
            return ("Dữ liệu cá nhân của người nộp hồ sơ đã được xóa "
                    + ("theo yêu cầu hợp pháp" if event.lawful_request
                       else "khi hết thời hạn lưu trữ"))
    return None


def fees_note(reason: str, amount: int) -> str:
    grouped = f"{amount:,}".replace(",", ".")  # Vietnamese groups thousands by dots
    return f"{reason}: {grouped} đồng"


POSTAL_HAND_OFF = "Chuyển kết quả qua bưu chính"  # the control sheet reads the post office here


def delivered_note(event: ResultDelivered) -> str:
    if event.channel == "online":
        return "Kết quả điện tử đã sẵn sàng để tải về"
    if event.channel == "postal":
        return (f"Bưu điện {event.post_office} đã phát cho người nhận, "
                f"số hiệu bưu gửi {event.tracking_number}")
    # Who received it stays in the event; the timeline a lookup shows names nobody.
    note = "Đã trả kết quả tại bộ phận một cửa"
    if event.received_by:
        note += (" cho người được ủy quyền" if event.receiver_relation == "authorised"
                 else " cho người nộp hồ sơ")
        if event.identity_checked:
            note += ", đã kiểm tra giấy tờ tùy thân"
    return note
