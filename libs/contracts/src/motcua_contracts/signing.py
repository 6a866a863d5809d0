"""Events emitted by signing (Đóng dấu), stage 4."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import DATA_SEALED_SCHEMA_VERSION, sealed_schema_version


class ResultSigned(Event):
    """The result document was numbered and signed with the agency's seal. Status 9.

    Emitted by signing; consumed by delivery. The document itself stays with signing (its
    `results` table, by dossier); the event carries what proves which document it was."""

    type: Literal["ResultSigned"] = Field(
        "ResultSigned", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the next stage needs it.")
    outcome: Literal["approved", "denied"] = Field(
        description="A licence/decision (approved) or a refusal notice (denied).")
    result_number: str = Field(description="Số ký hiệu: the result's registry number.",
                               examples=["0042/2026/QĐ-STP"])
    document_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the signed result document (the PAdES-sealed PDF, bytes as "
                    "stored and downloaded).")
    signed_at: AwareDatetime = Field(
        description="Signing time, as the PDF's signature states it (whole seconds).")
    certificate_fingerprint: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the DER encoding of the agency certificate that sealed the "
                    "document; null only on results issued before documents were sealed.")
