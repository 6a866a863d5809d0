"""The HTML templates services share (Jinja2, in this package's templates/ folder), under the
prefix "documents/": a service's environment loads its own templates first, then these, so a
page says `{% import "documents/report_06a.html" as ii06a %}`. Today: the II.06a table."""

from __future__ import annotations

from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, PrefixLoader

PREFIX = "documents"


def shared_loader() -> PrefixLoader:
    """Only the shared templates, named "documents/<file>"."""
    return PrefixLoader({PREFIX: PackageLoader("motcua_documents", "templates")})


def with_shared(own: BaseLoader) -> ChoiceLoader:
    """A service's own templates, then the shared ones."""
    return ChoiceLoader([own, shared_loader()])
