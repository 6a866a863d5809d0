"""The submit use case behind `POST /api/dossiers`: give the dossier its code and record it,
together with its `DossierSubmitted` event in the outbox, in one transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_contracts import new_event, uuid7
from motcua_contracts.dossier import Applicant, Delivery, Document
from motcua_contracts.intake import DossierSubmitted
from motcua_intake import domain
from motcua_intake.handlers import dossier_from
from motcua_intake.orm import OUTBOX
from motcua_intake.repository import next_counter
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutgoingMessage


class Submission(BaseModel):
    """A dossier as the portal or the front desk files it."""

    model_config = ConfigDict(extra="forbid")

    procedure_code: str = Field(min_length=1, max_length=32, examples=["2.000488"],
                                description="Code of the procedure in the catalogue.")
    channel: Literal["online", "counter", "postal"] = Field(
        description="How the dossier is filed.")
    applicant: Applicant
    documents: list[Document] = Field(default_factory=list, max_length=100)
    delivery: Delivery
    data: dict[str, Any] = Field(default_factory=dict,
                                 description="Procedure-specific data (see the catalogue).")
    fees_paid: int = Field(default=0, ge=0, le=1_000_000_000,
                           description="Fees (đồng) paid when filing; the agency asks for the "
                                       "rest (status 6).")

    @model_validator(mode="after")
    def _postal_needs_an_address(self) -> Submission:
        if self.delivery.channel == "postal" and not self.delivery.address:
            raise ValueError("delivery.address is required when delivery.channel is 'postal'")
        return self


class UnknownProcedure(LookupError):
    pass


async def submit(session: AsyncSession, catalogue: Catalogue, topic: str,
                 submission: Submission, *, signer: Signer, actor: str = "portal",
                 trace_parent: str | None = None) -> DossierSubmitted:
    """`trace_parent` is the context the dossier's trace starts from: the filing request."""
    procedure = catalogue.procedures.get(submission.procedure_code)
    if procedure is None:
        raise UnknownProcedure(f"procedure_code: {submission.procedure_code!r} is not in the "
                               "catalogue (GET /api/procedures lists them)")
    agency = catalogue.agencies[procedure.agency]
    received_at = datetime.now(timezone.utc)
    counter = await next_counter(session, agency.electronic_id, domain.received_day(received_at))
    event = new_event(
        DossierSubmitted, dossier_id=uuid7(), agency=agency.code,
        producer=signer.producer, sign=signer.sign, actor=actor,
        code=domain.dossier_code(agency.electronic_id, domain.received_day(received_at), counter),
        procedure_code=procedure.code, channel=submission.channel,
        applicant=submission.applicant, documents=submission.documents,
        delivery=submission.delivery, data=submission.data, received_at=received_at,
        fees_paid=submission.fees_paid,
    )
    session.add(dossier_from(event, trace_parent))
    await session.execute(insert(OUTBOX), [OutgoingMessage.for_event(topic, event).as_row()])
    return event
