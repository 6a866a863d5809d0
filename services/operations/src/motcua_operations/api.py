"""The operations centre's HTTP side: the wallboard (for the centre's staff, signed in with
their workspace account: motcua_operations.signin), the engineering dashboard, a dossier's page
(timeline and trace), the public pages (motcua_operations.public), the service index as JSON or
CSV, and the JSON the pages poll. Aggregate figures are public; the wallboard's figures and
anything about one dossier (its id, code, timeline, trace) need a signed-in staff member or an
officer's token, and an officer who is neither the centre's staff nor an admin sees only their
agency's dossiers. Bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import Centre
from motcua_operations import overview as figures
from motcua_operations.public import add_public_routes, templates
from motcua_operations.scrape import Scraper
from motcua_operations.signin import COOKIE, DEFAULT_LIMITS, STAFF_ROLES, StaffSessions
from motcua_operations.wallboard_api import WallboardContext, add_wallboard_routes
from motcua_runtime.browser_sessions import Limits
from motcua_runtime.http import install_error_handlers, session_from
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES, limit_request_bodies
from motcua_runtime.officers import (
    SERVICE_ROLES,
    BearerCredentials,
    Officer,
    OfficerDependency,
)
from motcua_runtime.oidc import OpenIdConnect
from motcua_runtime.sign_in_limits import SignInLimits, SignInLimitSettings
from motcua_telemetry.reader import load_trace
from motcua_telemetry.waterfall import ordered

SessionDep = Annotated[AsyncSession, Depends(session_from)]
_STATIC = resources.files("motcua_operations") / "static"


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((_STATIC / name).read_text(encoding="utf-8"),
                        headers={"Cache-Control": "no-store"})


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_dashboard(sessions: async_sessionmaker[AsyncSession], scraper: Scraper, *,
                     due_soon_hours: float, agency_names: dict[str, str],
                     current_officer: OfficerDependency,
                     clock: Callable[[], datetime] = _utc_now,
                     max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                     catalogue: Catalogue | None = None, calendar: WorkingCalendar | None = None,
                     centre: Centre | None = None, cookie_secure: bool = True,
                     session_limits: Limits | None = None, oidc: OpenIdConnect | None = None,
                     sign_in_limits: SignInLimits | None = None) -> FastAPI:
    """`current_officer` reads the bearer token (motcua_runtime.officers.officer_from_bearer);
    `catalogue` names agencies, fields and procedures (the default catalogue if None);
    `calendar` the working hours the service index counts in; `centre` who the public pages
    name; `cookie_secure` whether the staff's session cookie is sent over https only; `oidc`
    the province's identity provider the sign-in page also offers (None: passwords only);
    `sign_in_limits` the password sign-in's limits per client and per user name."""
    staff_sessions = StaffSessions(sessions, session_limits or DEFAULT_LIMITS)
    ctx = WallboardContext(
        catalogue=catalogue or default_catalogue(), calendar=calendar or WorkingCalendar(),
        centre=centre or Centre(), scraper=scraper, staff_sessions=staff_sessions,
        templates=templates(), due_soon_hours=due_soon_hours, clock=clock,
        cookie_secure=cookie_secure, oidc=oidc,
        sign_in_limits=sign_in_limits or SignInLimits.configured("async+memory://",
                                                                 SignInLimitSettings()))

    async def officer(request: Request, credentials: BearerCredentials) -> Officer:
        # The wallboard's signed-in staff first; else an officer's bearer token.
        staff = await staff_sessions.find(request.cookies.get(COOKIE), clock())
        if staff is not None:
            return staff.officer
        found = await current_officer(credentials)
        if found.role in SERVICE_ROLES:
            raise HTTPException(403, detail={
                "message": "a service token does not open the dashboard's dossiers",
                "message_vi": "Cần đăng nhập bằng tài khoản cán bộ."})
        return found

    def scope(who: Officer) -> str | None:
        """The agency whose dossiers `who` sees; None: all (an administrator, the centre's
        staff)."""
        return None if who.role in STAFF_ROLES else who.agency

    app = FastAPI(title="motcua operations", version="1",
                  description="Where every dossier is, where the system is slow or stuck, and "
                              "which agency is behind.")
    app.state.sessions = sessions
    install_error_handlers(app, "operations view")
    limit_request_bodies(app, max_body_bytes)
    app.mount("/static", StaticFiles(packages=[("motcua_operations", "static")]), name="static")

    add_wallboard_routes(app, ctx)
    add_public_routes(app, ctx)

    @app.get("/ky-thuat", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        """The engineering view: the services' health and the pipeline's counts (public)."""
        return _page("dashboard.html")

    @app.get("/dossiers/{dossier_id}", response_class=HTMLResponse, include_in_schema=False)
    async def dossier_page(dossier_id: str) -> HTMLResponse:
        # The page loads its figures from the API, which answers 404/422 for a bad id.
        return _page("dossier.html")

    @app.get("/api/overview")
    async def overview(session: SessionDep) -> dict[str, Any]:
        period = figures.Period.at(clock(), due_soon_hours)
        # Counts only: no dossier's id or code, which would open its lookup.
        body = await figures.overview(session, period, agency_names)
        services = [health.as_json() for health in scraper.latest.values()]
        return {**body, "services": services,
                "dead_letters": sum(s["dead_letters"] for s in services),
                "parked_dossiers": sum(s["parked_dossiers"] for s in services),
                "portal_failing": sum(s["portal_failing"] for s in services)}

    @app.get("/api/overview/dossiers", responses={401: {"description": "No officer's token"}})
    async def overview_dossiers(session: SessionDep,
                                who: Officer = Depends(officer)  # noqa: B008
                                ) -> dict[str, Any]:
        """The overview's lists (overdue, due soon, recent) of the officer's agency."""
        period = figures.Period.at(clock(), due_soon_hours)
        return await figures.dossier_lists(session, period, agency=scope(who))

    @app.get("/api/dossiers/{dossier_id}", responses={401: {"description": "No officer's token"},
                                                      404: {"description": "Unknown dossier"}})
    async def dossier(dossier_id: uuid.UUID, session: SessionDep,
                      who: Officer = Depends(officer)) -> Any:  # noqa: B008
        found = await figures.dossier(session, dossier_id, agency=scope(who))
        if found is None:
            raise HTTPException(404, detail={
                "message": f"no dossier {dossier_id} in the operations view"})
        return found

    @app.get("/api/dossiers/{dossier_id}/trace",
             responses={401: {"description": "No officer's token"},
                        404: {"description": "No trace for this dossier"}})
    async def trace(dossier_id: uuid.UUID, session: SessionDep,
                    who: Officer = Depends(officer)) -> Any:  # noqa: B008
        agency = scope(who)
        if agency is not None and await figures.dossier(session, dossier_id,
                                                        agency=agency) is None:
            raise HTTPException(404, detail={
                "message": f"no dossier {dossier_id} in the operations view"})
        # The embedded default keeps spans in telemetry.spans; with an OTLP endpoint they go to
        # the collector's trace UI instead and this answers 404.
        spans = await load_trace(session.bind, dossier_id=dossier_id)
        if not spans:
            raise HTTPException(404, detail={
                "message": "no spans stored for this dossier (exported over OTLP, or none "
                           "yet)"})
        origin = min(span.start_time for span in spans)
        return {"trace_ids": sorted({span.trace_id for span in spans}),
                "total_ms": round(max((s.end_time - origin).total_seconds()
                                      for s in spans) * 1000, 1),
                "spans": [{"depth": depth, "service": span.service, "name": span.name,
                           "start_time": span.start_time.isoformat(),
                           "offset_ms": round((span.start_time - origin).total_seconds() * 1000, 1),
                           "duration_ms": round(span.duration_seconds * 1000, 1),
                           "status": span.status, "error": span.error}
                          for depth, span in ordered(spans)]}

    return app
