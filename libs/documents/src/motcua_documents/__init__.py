"""motcua's documents: the page every PDF is drawn on (page.py: the Vietnamese font, the header
of an administrative document, the QR code to the lookup page), used by signing's results and by
intake's forms 01 to 05 (forms.py). Pure functions: plain data in, PDF bytes out.

The names below are imported on first use (PEP 562), not with the package: a service that needs
only `motcua_documents.result`'s wording or `motcua_documents.page`'s link (approval, delivery,
operations) would otherwise load the forms, their fonts and their QR encoder at start and hold
them for ever (docs/performance.md, "Memory")."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_FROM = {"MEDIA_TYPE": "page", "font_path": "page", "lookup_url": "page"}

__all__ = [
    "FORMS", "MEDIA_TYPE", "TITLES", "Apology", "FormFacts", "Receipt", "Refusal", "Stopping",
    "SupplementRequest", "font_path", "lookup_url", "render",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_FROM.get(name, 'forms')}"), name)
    globals()[name] = value  # looked up once
    return value
