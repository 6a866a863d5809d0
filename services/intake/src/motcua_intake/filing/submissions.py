"""The submit use case behind `POST /api/dossiers`: give the dossier its code and record it,
together with its `DossierSubmitted` event in the outbox, in one transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import to_json
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_catalogue.communes import NotRoutable, competent_agency
from motcua_contracts import new_event, uuid7
from motcua_contracts.dossier import Applicant, Delivery, DeliveryChoice, Document
from motcua_contracts.intake import (
    MAX_DATA_BYTES,
    MAX_DATA_DEPTH,
    MAX_DATA_FIELDS,
    MAX_DOCUMENTS,
    DossierSubmitted,
)
from motcua_intake import domain
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.files.documents import FiledDocument
from motcua_intake.handlers import dossier_from
from motcua_intake.orm import OUTBOX
from motcua_intake.repository import next_counter
from motcua_privacy import create_key, seal_json
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutgoingMessage
from motcua_runtime.request_types import JsonInt


class Submission(BaseModel):
    """A dossier as the portal or the front desk files it."""

    model_config = ConfigDict(extra="forbid")

    procedure_code: str = Field(min_length=1, max_length=32, examples=["2.000488"],
                                description="Code of the procedure in the catalogue.")
    channel: Literal["online", "counter", "postal"] = Field(
        description="How the dossier is filed.")
    applicant: Applicant
    documents: list[FiledDocument] = Field(
        default_factory=list, max_length=MAX_DOCUMENTS,
        description="The dossier's documents, each naming a file stored before with "
                    "`POST /api/files` by its sha256; size and type are the stored file's.")
    delivery: Delivery
    data: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Procedure-specific data (see the catalogue): at most {MAX_DATA_FIELDS} "
                    f"fields, {MAX_DATA_DEPTH} levels deep, {MAX_DATA_BYTES} bytes as UTF-8 JSON, "
                    "integers within ±(2^53 - 1) (what a JSON float carries exactly).")
    case_code: str | None = Field(
        default=None, min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The procedure's case (`cases` in GET /api/procedures/{code}); absent: the "
                    "first, default case.")
    commune: str | None = Field(
        default=None, min_length=2, max_length=16, pattern=r"^[A-Z0-9]+$",
        examples=["UBNDPYB"],
        description="For a commune-level procedure: the applicant's commune, whose People's "
                    "Committee (or commune police, for the residence procedures) handles it, "
                    "named by its People's Committee's code (`communes` in "
                    "GET /api/procedures/{code}). Absent: the commune of the desk that files it; "
                    "required online. Not given for a provincial procedure.")
    fees_paid: JsonInt = Field(default=0, ge=0, le=1_000_000_000,
                           description="Fees (đồng) paid when filing; the agency asks for the "
                                       "rest (status 6).")

    @field_validator("data")
    @classmethod
    def _data_within_limits(cls, data: dict[str, Any]) -> dict[str, Any]:
        check_data(data)
        return data

    @model_validator(mode="after")
    def _postal_needs_an_address(self) -> Submission:
        if self.delivery.channel == "postal" and not self.delivery.address:
            raise ValueError("delivery.address is required when delivery.channel is 'postal'")
        return self


def check_data(data: dict[str, Any]) -> None:
    """The limits of motcua_contracts.intake on a filing's `data`: it travels in every hand-off
    (DossierFacts), so an oversized one would make records the broker refuses."""
    if len(data) > MAX_DATA_FIELDS:
        raise ValueError(f"has {len(data)} fields; at most {MAX_DATA_FIELDS} are accepted")
    if _depth(data) > MAX_DATA_DEPTH:
        raise ValueError(f"is nested more than {MAX_DATA_DEPTH} levels deep")
    try:  # events are hashed as RFC 8785 JSON, which carries numbers as IEEE doubles
        rfc8785.dumps(data)
    except rfc8785.CanonicalizationError as error:
        raise ValueError(f"cannot be carried exactly between agencies: {error}") from None
    size = len(to_json(data))  # the bytes the event carries (pydantic's JSON, UTF-8)
    if size > MAX_DATA_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {MAX_DATA_BYTES} are accepted")


def _depth(value: Any) -> int:
    """Levels of objects and lists, iteratively: a deep document must not exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (item.values() if isinstance(item, dict) else item
                    if isinstance(item, list) else None)
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DATA_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


class UnknownProcedure(LookupError):
    pass


class UnstorableValue(ValueError):
    pass


async def submit(session: AsyncSession, catalogue: Catalogue, topic: str,
                 submission: Submission, *, signer: Signer, documents: list[Document],
                 actor: str = "portal", receiving_unit: str | None = None,
                 trace_parent: str | None = None,
                 versions: CatalogueVersions | None = None) -> DossierSubmitted:
    """`documents`: the submission's, as stored (motcua_intake.files.documents); `actor` who
    filed it (the portal, or `officer:<name>` at a desk); `receiving_unit` the agency whose
    desk received it (default: the competent agency: the applicant's commune's unit for a
    commune-level procedure), whose e-ID and daily counter make the
    code; `trace_parent` is the context the dossier's trace starts from: the filing request;
    `versions`: the dossier is received under the catalogue version in force now (none given:
    under `catalogue`), recorded on it and in the event."""
    received_at = datetime.now(timezone.utc)
    if versions is not None:
        catalogue = await versions.in_force(session, received_at)
    procedure = catalogue.procedures.get(submission.procedure_code)
    if procedure is None:
        raise UnknownProcedure(f"procedure_code: {submission.procedure_code!r} is not in the "
                               "catalogue (GET /api/procedures lists them)")
    try:
        procedure.for_case(submission.case_code)
    except KeyError as error:
        raise UnknownProcedure(f"case_code: {error.args[0]}") from None
    personal = (submission.applicant.model_dump_json(), submission.delivery.address or "",
                to_json(submission.data).decode())
    if any("\x00" in value or "\\u0000" in value for value in personal):
        # Sealed, it would be stored; in clear Postgres text refused it (motcua_runtime.http),
        # and the applicant still hears the same.
        raise UnstorableValue("a value in the request cannot be stored (control characters "
                               "such as \\u0000 are not allowed in text)")
    try:  # a commune-level dossier goes to the applicant's commune (motcua_catalogue.communes)
        agency = competent_agency(catalogue, procedure, submission.commune, receiving_unit)
    except NotRoutable as error:
        raise UnknownProcedure(str(error)) from None
    unit = catalogue.agencies.get(receiving_unit or agency.code)
    if unit is None:  # a desk of an agency a newer catalogue no longer lists
        raise UnknownProcedure(f"receiving unit {receiving_unit!r} is not in the catalogue in "
                               "force (GET /api/agencies lists them)")
    counter = await next_counter(session, unit.electronic_id, domain.received_day(received_at))
    dossier_id = uuid7()
    code = domain.dossier_code(unit.electronic_id, domain.received_day(received_at), counter)
    # The dossier's data key, in the key store in this transaction: the personal data is sealed
    # under it before it reaches the outbox, the row or the log (motcua_privacy).
    data_key = await create_key(session, None, dossier_id, code, now=received_at)
    address = submission.delivery.address
    event = new_event(
        DossierSubmitted, dossier_id=dossier_id, agency=agency.code,
        producer=signer.producer, sign=signer.sign, actor=actor, code=code,
        procedure_code=procedure.code, channel=submission.channel,
        applicant=seal_json(data_key, dossier_id, submission.applicant.model_dump(mode="json")),
        documents=documents,
        delivery=DeliveryChoice(channel=submission.delivery.channel, address=None
                                if address is None else seal_json(data_key, dossier_id, address)),
        data=seal_json(data_key, dossier_id, submission.data), received_at=received_at,
        fees_paid=submission.fees_paid,
        catalogue_version=catalogue.version or None, case_code=submission.case_code,
        receiving_unit=unit.code,
    )
    session.add(dossier_from(event, trace_parent))
    await session.execute(insert(OUTBOX), [OutgoingMessage.for_event(topic, event).as_row()])
    return event
