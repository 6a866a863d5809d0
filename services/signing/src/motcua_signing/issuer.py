"""Issuing a result: render the PDF and seal it with the agency's certificate. CPU work only
(the keys are loaded at start-up), so the handler, which must do no I/O, calls it directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from motcua_catalogue import Agency
from motcua_contracts.dossier import DossierFacts
from motcua_documents.result import Titled, result_facts
from motcua_documents.result_page import MEDIA_TYPE, draw, lookup_url
from motcua_signing.seal import Sealer


@dataclass(frozen=True)
class IssuedResult:
    content: bytes
    media_type: str
    sha256: str
    certificate_fingerprint: str


class ResultIssuer:
    def __init__(self, sealer: Sealer, public_base_url: str) -> None:
        self.sealer = sealer
        self.public_base_url = public_base_url

    def issue(self, *, facts: DossierFacts, agency_code: str, agency: Agency | None,
              procedure: Titled | None, number: str, outcome: str, body: str,
              signed_at: datetime, applicant_name: str) -> IssuedResult:
        """`applicant_name`: opened from the facts' sealed applicant by the caller."""
        page = draw(result_facts(
            procedure=procedure, agency_name=agency.name if agency else agency_code,
            result_number=number, dossier_code=facts.code, applicant_name=applicant_name,
            procedure_code=facts.procedure_code,
            outcome=outcome, body=body, received_at=facts.received_at, issued_at=signed_at,
            lookup_url=lookup_url(self.public_base_url, facts.code),
            signer_name=self.sealer.signer_name(agency_code)))
        sealed = self.sealer.seal(page, agency=agency_code, result_number=number,
                                  signed_at=signed_at)
        return IssuedResult(sealed.content, MEDIA_TYPE, sealed.sha256,
                            sealed.certificate_fingerprint)
