"""Which events the applicant hears about by e-mail, and what the mail says (motcua_notify's
Vietnamese templates). Pure: the tracking handler queues the message as one more row of its
batch, so a notice exists exactly when the event was applied, and a mail server's trouble
never touches event handling.

    DossierAccepted       acceptance (form 01), with the appointment
    SupplementRequested   supplement request (form 02), with what is missing and the deadline
    DelayApologized       apology and the one new appointment (form 04)
    ResultSigned          result ready, and how it will reach the applicant
    ResultDelivered       result handed over (counter, post or online)

Every other event is silent: the applicant caused it, or it is the agencies' business."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_contracts import Event
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.intake import DossierAccepted
from motcua_contracts.sealed import Sealed
from motcua_contracts.shared import DelayApologized, SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_intake.domain import acting_agency
from motcua_intake.dossier_row import DossierRecord
from motcua_intake.personal import SEALED_RECIPIENT, keyring
from motcua_notify import templates
from motcua_notify.templates import Message
from motcua_privacy import PrivacyProblem


@dataclass(frozen=True)
class Notices:
    catalogue: Catalogue
    public_base_url: str  # where the lookup page (/tra-cuu) is, as the citizen reaches it
    centre: str = templates.CENTRE  # who signs the letters (motcua_catalogue.centre)

    def recipient(self, applicant: dict[str, Any]) -> str | None:
        """The applicant's e-mail address (the opened applicant), when they gave one."""
        return applicant.get("email") or None

    def message_for(self, event: Event, dossier: DossierRecord,
                    applicant: dict[str, Any] | None = None) -> Message | None:
        """The mail `event` calls for, or None when the applicant is not told of it."""
        about = self._about(dossier, applicant or {})
        match event:
            case DossierAccepted():
                return templates.acceptance(about, received_at=dossier.received_at,
                                            due_at=event.dossier.due_at)
            case SupplementRequested():
                return templates.supplement_request(
                    about, reason=event.reason, missing_documents=event.missing_documents,
                    respond_by=event.respond_by)
            case DelayApologized():
                agency = self.catalogue.agencies.get(acting_agency(event))
                return templates.apology(
                    about, agency_name=agency.name if agency else acting_agency(event),
                    reason=event.reason, previous_due_at=event.previous_due_at,
                    new_due_at=event.new_due_at)
            case ResultSigned():
                return templates.result_ready(
                    about, outcome=event.outcome, result_number=event.result_number,
                    channel=event.dossier.delivery_channel)
            case ResultDelivered():
                return templates.delivered(about, channel=event.channel,
                                           delivered_at=event.delivered_at, on_time=event.on_time,
                                           tracking_number=event.tracking_number)
        return None

    def _about(self, dossier: DossierRecord, applicant: dict[str, Any]) -> templates.Dossier:
        procedure = self.catalogue.procedures.get(dossier.procedure_code)
        return templates.Dossier(
            code=dossier.code, applicant_name=applicant.get("full_name", ""),
            procedure_name=procedure.name if procedure else dossier.procedure_code,
            lookup_url=f"{self.public_base_url.rstrip('/')}/tra-cuu?code={quote(dossier.code)}",
            centre=self.centre)


async def open_notifications(session: AsyncSession, rows: list[Any]) -> dict[Any, tuple[str, str]]:
    """The sender's hook (motcua_notify.NotificationSender): each queued notice's recipient and
    body, opened with its dossier's key; a notice whose dossier was erased is left out (the
    sender gives it up)."""
    ring = await keyring(session, {row.dossier_id for row in rows})
    opened = {}
    for row in rows:
        if row.recipient != SEALED_RECIPIENT:
            opened[row.id] = (row.recipient, row.body)
            continue
        try:
            sealed = ring.open(row.dossier_id, Sealed.model_validate_json(row.body))
        except PrivacyProblem:
            continue
        opened[row.id] = (sealed["to"], sealed["body"])
    return opened
