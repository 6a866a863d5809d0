"""The operations centre's HTTP side: the live dashboard page, a dossier's page (timeline and
trace), and the JSON they poll. Aggregate figures are public; anything about one dossier (its
id, code, timeline, trace) needs an officer's token, and an officer who is not an admin sees only
their agency's dossiers. Bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_operations import overview as figures
from motcua_operations.scrape import Scraper
from motcua_runtime.http import install_error_handlers, session_from
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES, limit_request_bodies
from motcua_runtime.officers import SERVICE_ROLES, Officer, OfficerDependency
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
                     max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """`current_officer` reads the bearer token (motcua_runtime.officers.officer_from_bearer)."""

    async def officer(found: Officer = Depends(current_officer)) -> Officer:  # noqa: B008
        if found.role in SERVICE_ROLES:
            raise HTTPException(403, detail={
                "message": "a service token does not open the dashboard's dossiers",
                "message_vi": "Cần đăng nhập bằng tài khoản cán bộ."})
        return found

    def scope(who: Officer) -> str | None:
        """The agency whose dossiers `who` sees; None: all (an administrator)."""
        return None if who.role == "admin" else who.agency

    app = FastAPI(title="motcua operations", version="1",
                  description="Where every dossier is, where the system is slow or stuck, and "
                              "which agency is behind.")
    app.state.sessions = sessions
    install_error_handlers(app, "operations view")
    limit_request_bodies(app, max_body_bytes)
    app.mount("/static", StaticFiles(packages=[("motcua_operations", "static")]), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
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
