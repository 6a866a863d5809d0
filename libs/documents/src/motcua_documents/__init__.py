"""motcua's documents: the page every PDF is drawn on (page.py: the Vietnamese font, the header
of an administrative document, the QR code to the lookup page), used by signing's results and by
intake's forms 01 to 05 (forms.py). Pure functions: plain data in, PDF bytes out."""

from motcua_documents.forms import (
    FORMS,
    TITLES,
    Apology,
    FormFacts,
    Receipt,
    Refusal,
    Stopping,
    SupplementRequest,
    render,
)
from motcua_documents.page import MEDIA_TYPE, font_path, lookup_url

__all__ = [
    "FORMS", "MEDIA_TYPE", "TITLES", "Apology", "FormFacts", "Receipt", "Refusal", "Stopping",
    "SupplementRequest", "font_path", "lookup_url", "render",
]
