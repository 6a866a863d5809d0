"""Which event calls for which form, and the form's facts (motcua_documents.forms), from the
event, the dossier and its opened applicant. Pure: the handler queues the facts, sealed, as one
more row of its batch (motcua_intake.orm.DossierForm); the worker renders them later.

    DossierAccepted       01  receipt and appointment
    SupplementRequested   02  supplement request
    DossierRefused        03  refusal
    DelayApologized       04  apology and new appointment
    DossierStopped        05  processing stopped (withdrawal)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motcua_catalogue import Catalogue
from motcua_catalogue.centre import Centre
from motcua_contracts import Event
from motcua_contracts.intake import DossierAccepted, DossierRefused
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_documents import forms
from motcua_documents.page import lookup_url
from motcua_intake.domain import acting_agency, receiving_unit
from motcua_intake.dossier_row import DossierRecord

OFFICER_ACTOR = "officer:"


def officer_of(event: Event) -> str | None:
    """The officer who took the step, None when an automatic policy did ("tự động")."""
    return event.actor.removeprefix(OFFICER_ACTOR) if event.actor.startswith(OFFICER_ACTOR) \
        else None


@dataclass(frozen=True)
class FormIssuer:
    catalogue: Catalogue
    public_base_url: str  # where the lookup page is, as the form's QR code points to it
    centre: Centre  # the place the forms are dated from; the desk's name for an unknown unit

    def desk_of(self, dossier: DossierRecord) -> str:
        """Who issues the desk's forms: the unit whose one-stop desk received the dossier at its
        counter or by post (the centre, a commune's, an agency's own desk), as the catalogue
        names it: its e-ID numbers the dossier. A dossier filed on the portal was received by
        the centre's electronic one-stop system (its code takes the competent agency's e-ID
        only to be numbered), and a unit the catalogue does not know is the centre's too."""
        if dossier.channel == "online":
            return self.centre.name
        unit = dossier.receiving_unit or receiving_unit(dossier.code,
                                                         self.catalogue.agencies.values())
        agency = self.catalogue.agencies.get(unit or "")
        return agency.name if agency else self.centre.name

    def facts_for(self, event: Event, dossier: DossierRecord,
                  applicant: dict[str, Any]) -> tuple[str, forms.FormFacts] | None:
        """The form `event` calls for and its facts, or None when it calls for none."""
        procedure = self.catalogue.procedures.get(dossier.procedure_code)
        agency = self.catalogue.agencies.get(acting_agency(event))
        agency_name = agency.name if agency else acting_agency(event)
        desk = self.desk_of(dossier)
        common: dict[str, Any] = dict(
            issuer=desk, place=self.centre.province, dossier_code=dossier.code,
            applicant_name=str(applicant.get("full_name", "")),
            procedure_code=dossier.procedure_code,
            procedure_name=procedure.name if procedure else dossier.procedure_code,
            issued_at=event.occurred_at, officer=officer_of(event),
            lookup_url=lookup_url(self.public_base_url, dossier.code))
        match event:
            case DossierAccepted():
                return "01", forms.Receipt(
                    **common, received_at=dossier.received_at, due_at=event.dossier.due_at,
                    documents=[str(d.get("name", "")) for d in dossier.documents or []],
                    delivery_channel=event.dossier.delivery_channel)
            case SupplementRequested():
                by = desk if event.requested_by == "intake" else agency_name
                return "02", forms.SupplementRequest(
                    **{**common, "issuer": by}, requested_by=by, reason=event.reason,
                    missing_documents=event.missing_documents, respond_by=event.respond_by)
            case DossierRefused():
                return "03", forms.Refusal(**common, received_at=dossier.received_at,
                                           reason=event.reason,
                                           missing_documents=event.missing_documents)
            case DelayApologized():
                return "04", forms.Apology(
                    **{**common, "issuer": agency_name}, agency_name=agency_name,
                    reason=event.reason, previous_due_at=event.previous_due_at,
                    new_due_at=event.new_due_at)
            case DossierStopped():
                return "05", forms.Stopping(**common, received_at=dossier.received_at,
                                            reason=event.reason)
        return None
