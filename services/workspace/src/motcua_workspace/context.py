"""What every page shares: the workspace's parts (sessions, the calls upstream, the sign-in
limits of motcua_runtime.sign_in_limits, the templates), the page renderer, and the two ways a
page ends early: a PageError (a 4xx page with a message) and SignInRequired (a redirect to
sign-in)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue.catalogue import Catalogue
from motcua_catalogue.centre import centre_from_env
from motcua_documents.templates import with_shared
from motcua_runtime.oidc import OpenIdConnect
from motcua_runtime.passwords import hash_password
from motcua_runtime.sign_in_limits import SignInLimits
from motcua_workspace import words
from motcua_workspace.orm import Account
from motcua_workspace.sessions import CSRF_FIELD, SessionStore
from motcua_workspace.upstream import Upstream


class PageError(Exception):
    """A page that cannot be shown, as a page saying why, with this status."""

    def __init__(self, status: int, title: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.detail = status, title, message, detail


class SignInRequired(Exception):
    """No session (or it is over): to sign-in, then back to `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _templates() -> Environment:
    # Its own templates, then those shared with the operations centre (the II.06a table).
    environment = Environment(loader=with_shared(PackageLoader("motcua_workspace", "templates")),
                              autoescape=select_autoescape(["html"]), trim_blocks=True,
                              lstrip_blocks=True)
    environment.filters["vn_time"] = words.shown
    # The centre as the installation names it (PROVINCE_NAME, CENTRE_NAME), as intake's pages do.
    environment.globals.update(words=words, label=words.label, csrf_field=CSRF_FIELD,
                               centre=centre_from_env())
    return environment


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Workspace:
    sessions: async_sessionmaker[AsyncSession]
    store: SessionStore
    upstream: Upstream
    sign_in_limits: SignInLimits
    catalogue: Catalogue
    settings: Any  # WorkspaceSettings
    oidc: OpenIdConnect | None = None
    clock: Callable[[], datetime] = _utc_now
    templates: Environment = field(default_factory=_templates)
    log: Any = field(default_factory=lambda: structlog.get_logger("motcua_workspace"))

    def now(self) -> datetime:
        return self.clock()

    async def rehash(self, account_id: uuid.UUID, password: str) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(update(Account).where(Account.id == account_id)
                             .values(password_hash=hash_password(password)))

    async def database_problem(self) -> str | None:
        try:
            async with self.sessions() as db:
                await db.execute(text("SELECT 1"))
        except Exception as error:  # any failure is the answer of the probe
            return type(error).__name__
        return None

    def procedure_name(self, code: str) -> str:
        procedure = self.catalogue.procedures.get(code)
        return procedure.name if procedure else code

    def agency_name(self, code: str) -> str:
        agency = self.catalogue.agencies.get(code)
        return agency.name if agency else code

    def queue_row(self, item: dict[str, Any]) -> dict[str, Any]:
        """An item of the work queue as the queue's table shows it."""
        now = self.now().astimezone(words.VIETNAM)
        soon = timedelta(hours=self.settings.due_soon_hours)
        name = self.procedure_name(item["procedure_code"])
        return {**item, "procedure_name": name,
                "urgency": words.due_class(item.get("due_at"), item["state"], now, soon),
                "search": words.folded(" ".join([item["code"], item["procedure_code"], name,
                                           item.get("claimed_by") or ""]))}

    def item_view(self, item: dict[str, Any]) -> dict[str, Any]:
        row = self.queue_row(item)
        context = {key: value for key, value in (item.get("context") or {}).items()
                   if key not in words.HIDDEN_CONTEXT}
        return {**row, "context": context, "agency_name": self.agency_name(item["agency"])}


def workspace_of(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def page(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    ws = workspace_of(request)
    values.setdefault("who", getattr(request.state, "who", None))
    body = ws.templates.get_template(template).render(request=request, status=status,
                                                        **values)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
