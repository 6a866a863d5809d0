"""Events emitted by approval (Phê duyệt), stage 3."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import DATA_SEALED_SCHEMA_VERSION, sealed_schema_version


class DossierApproved(Event):
    """The leader approved the drafted result. Status 4.

    Emitted by approval; consumed by the agency's signing instance."""

    type: Literal["DossierApproved"] = Field(
        "DossierApproved", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the next stage needs it.")
    decision: str = Field(description="The approved decision, as it will be issued.")


class DossierDenied(Event):
    """The leader denied the application, with the reason. Status 4 until the notice is signed.

    Emitted by approval; consumed by signing, which issues the signed refusal notice."""

    type: Literal["DossierDenied"] = Field(
        "DossierDenied", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the next stage needs it.")
    reason: str = Field(description="Why the application is denied, for the notice.")


class DossierReturned(Event):
    """The leader sent the draft back to appraisal, with the reason. Status stays 4.

    Emitted by approval; consumed by the same agency's appraisal, which appraises again."""

    type: Literal["DossierReturned"] = Field(
        "DossierReturned", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as appraisal needs it again.")
    reason: str = Field(min_length=1, description="What appraisal must look at again.")
