"""A specialist's decision is bounded like a filing: the lists it puts in events have limits, so
no decision can make a record the broker refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from motcua_appraisal.decisions import Consult, RequestSupplement
from motcua_contracts.intake import MAX_DOCUMENTS


def test_a_supplement_request_names_at_most_max_documents_of_bounded_names():
    RequestSupplement(missing_documents=["Tờ khai"] * MAX_DOCUMENTS, reason="thiếu")
    with pytest.raises(ValidationError, match="missing_documents"):
        RequestSupplement(missing_documents=["Tờ khai"] * (MAX_DOCUMENTS + 1), reason="thiếu")
    with pytest.raises(ValidationError, match="missing_documents.0"):
        RequestSupplement(missing_documents=["x" * 301], reason="thiếu")


def test_a_consultation_asks_a_bounded_list_of_agency_codes():
    with pytest.raises(ValidationError, match="agencies"):
        Consult(agencies=["STP"] * 51, question="?")
    with pytest.raises(ValidationError, match="agencies.0"):
        Consult(agencies=["x" * 33], question="?")
