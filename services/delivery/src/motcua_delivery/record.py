"""The hand-over record (biên bản bàn giao) of a result handed over at the counter, or delivered
by the post office to someone its officer recorded, drawn on request from the work item: the
item keeps what the record states (the result's number and time, and, from the officer's
hand-over, the receiver's name sealed, their relation, the identity check, the power of
attorney, the time), so nothing is stored twice and the record is unreadable once the
dossier's personal data is erased, like the receiver's name itself.

The record names the unit that handed the result over (`delivering_unit`), not always the
centre: the post office for its own items; at the counter, the unit whose one-stop desk received
the dossier, where the applicant comes back with form 01 (the centre, a commune centre, an
agency's own desk: the unit that issued that form, motcua_intake.forms.issuing); for a dossier
filed on the portal, the competent agency's own desk when it is a commune's unit (its commune
centre), else the centre.

Served by the work queue (`GET /api/work-items/{id}/documents/hand-over-record`), so it is read
under the queue's own checks: the delivery officer or the manager of the item's agency. Each read
is recorded in intake's access log before the record is served (motcua_delivery.reads)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_catalogue.centre import Centre
from motcua_delivery.decisions import HANDED_OVER, POSTAL
from motcua_documents.hand_over import HandOverRecord, hand_over_record
from motcua_documents.page import lookup_url
from motcua_privacy import PersonalDataErased, load_keys
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Rejected
from motcua_runtime.work_items import DOSSIER
from motcua_runtime.work_queue import ItemDocument, RecordRead

NAME = "hand-over-record"
OFFICER_ACTOR = "officer:"


@dataclass(frozen=True)
class HandOverRecords:
    catalogue: Catalogue
    centre: Centre  # the record's place; its issuer when no other unit hands over
    public_base_url: str
    # How each read is recorded (IntakeAccessLog.record); None only in-process, in tests.
    record_read: RecordRead | None = None

    def documents(self) -> dict[str, ItemDocument]:
        return {NAME: ItemDocument(self.render, file_name="bien-ban-ban-giao.pdf",
                                   summary="the hand-over record of a result handed over at "
                                           "the counter, or delivered by the post office to a "
                                           "recipient its officer recorded (biên bản bàn "
                                           "giao, in the delivering unit's name); each read is "
                                           "in intake's access log",
                                   on_read=self.record_read)}

    async def render(self, session: AsyncSession, item: Any, officer: Officer) -> bytes:
        handed = (item.context or {}).get(HANDED_OVER)
        if item.kind not in (DOSSIER, POSTAL) or item.outcome != "delivered" \
                or not isinstance(handed, dict):
            raise Rejected(f"work item {item.id} has no hand-over record: the result was not "
                           "handed over at the counter, nor delivered by post to someone an "
                           "officer recorded (yet)")
        keys = await load_keys(session, None, [item.dossier_id])
        try:
            receiver = str(keys.open(item.dossier_id, handed["received_by"]))
            applicant = keys.open(item.dossier_id, item.dossier["applicant"])
        except PersonalDataErased:
            raise Rejected(f"the personal data of dossier {item.dossier.get('code')} was "
                           "erased: its hand-over record cannot be drawn any more") from None
        facts = self.facts(item, handed, receiver, str(applicant.get("full_name") or ""))
        # reportlab is CPU work of some tens of milliseconds: off the event loop.
        return await asyncio.to_thread(hand_over_record, facts)

    def facts(self, item: Any, handed: dict[str, Any], receiver: str,
              applicant_name: str) -> HandOverRecord:
        dossier = item.dossier
        terms = dossier.get("terms") or {}  # the name under the dossier's catalogue version
        procedure = self.catalogue.procedures.get(item.procedure_code)
        name = terms.get("name") or (procedure.name if procedure else item.procedure_code)
        by = item.decided_by or ""
        return HandOverRecord(
            issuer=delivering_unit(item, self.catalogue, self.centre),
            deliverer="post" if item.kind == POSTAL else "desk",
            place=self.centre.province, dossier_code=dossier["code"],
            applicant_name=applicant_name, procedure_code=item.procedure_code,
            procedure_name=name,
            issued_at=datetime.fromisoformat(handed["at"]),
            lookup_url=lookup_url(self.public_base_url, dossier["code"]),
            # The full name the workspace gave with the hand-over; else the user name the
            # token gave (a hand-over made over the API by another client).
            officer=handed.get("officer_full_name") or by.removeprefix(OFFICER_ACTOR),
            result_number=item.context["result_number"],
            result_ready_at=datetime.fromisoformat(item.context["ready_at"]),
            handed_over_at=datetime.fromisoformat(handed["at"]), receiver_name=receiver,
            relation=handed["relation"],
            identity_checked=(None if handed["identity_checked"] is None
                              else bool(handed["identity_checked"])),
            authorisation=handed.get("authorisation"))


def delivering_unit(item: Any, catalogue: Catalogue, centre: Centre) -> str:
    """The name of the unit that handed the item's result over (see the module's docstring)."""
    if item.kind == POSTAL:  # the post office's own item: its agency is the post office
        office = catalogue.agencies.get(item.agency)
        return office.name if office else item.agency
    facts = item.facts()
    if facts.channel == "online":
        competent = catalogue.agencies.get(item.agency)
        unit = item.agency if competent is not None and competent.level == "commune" else None
    else:
        unit = facts.receiving_unit or _unit_of_code(facts.code, catalogue)
    desk = catalogue.agencies.get(unit or "")
    return desk.name if desk else centre.name


def _unit_of_code(code: str, catalogue: Catalogue) -> str | None:
    """The unit whose e-ID prefixes the dossier's code: the desk that received it (a dossier
    older than `receiving_unit`)."""
    prefix = code.rsplit("-", 2)[0]
    return next((agency.code for agency in catalogue.agencies.values()
                 if agency.electronic_id == prefix), None)
