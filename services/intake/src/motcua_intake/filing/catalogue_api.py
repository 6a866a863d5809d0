"""The public catalogue over HTTP (procedures in full, agencies with their office hours), the
working calendar of a year, and the administrator's calendar overrides.

Built by `create_catalogue_router(...)` and included in intake's app. Editing the calendar needs
a bearer token of role `admin`: the `current_officer` dependency given to the factory verifies
the token (401 when missing or invalid) and returns the officer; this router checks the role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as FastPath
from pydantic import BaseModel, ConfigDict, Field

from motcua_catalogue import Catalogue
from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.communes import commune_choices, commune_of
from motcua_catalogue.days_off import LAST_YEAR
from motcua_catalogue.working_time import VIETNAM
from motcua_catalogue.year_calendar import exceptional_days
from motcua_intake.catalogue_versions import CatalogueVersions, list_versions
from motcua_intake.filing.api import SessionDep

FIRST_YEAR = 2021  # the Labour Code 2019, whose holidays the calendar computes, starts here


class CalendarChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    working: bool = Field(description="true: an extra working day; false: an extra day off.")
    reason: str = Field(min_length=1, max_length=500, examples=["Làm bù cho thứ Sáu 02/5"])


def _not_found(message: str) -> HTTPException:
    return HTTPException(404, detail={"message": message})


def _day(day: date) -> date:
    """A day the calendar covers; any other (a well-formed date) has no calendar: 404."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _not_found(f"no working calendar for {day.year} (only {FIRST_YEAR}-{LAST_YEAR})")
    return day


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise HTTPException(422, detail={
            "message": f"year: {year} is outside {FIRST_YEAR}-{LAST_YEAR}"})
    return year


def _role(officer: Any) -> str | None:
    return officer.get("role") if isinstance(officer, dict) else getattr(officer, "role", None)


def create_catalogue_router(catalogue: Catalogue, store: OverrideStore,
                            current_officer: Callable[..., Any], *,
                            on_calendar_change: Callable[[], Awaitable[None]] | None = None,
                            admin_role: str = "admin",
                            versions: CatalogueVersions | None = None) -> APIRouter:
    """`current_officer`: a FastAPI dependency returning the caller (an object or dict with a
    `role`), raising 401 itself without a valid token. `on_calendar_change`: awaited after an
    edit, e.g. the intake process's `CalendarSource.refresh`."""
    router = APIRouter(tags=["catalogue"])

    # A default, not an Annotated hint: string annotations cannot see this closure's variable.
    async def admin(officer: Any = Depends(current_officer)) -> Any:  # noqa: B008
        if _role(officer) != admin_role:
            raise HTTPException(403, detail={"message": f"only role {admin_role!r} may edit "
                                                        "the calendar"})
        return officer

    async def in_force(request: Request) -> Catalogue:
        """The catalogue a dossier filed now is received under (without versions: the one
        given, and no database is asked)."""
        if versions is None:
            return catalogue
        async with request.app.state.sessions() as session:
            return await versions.in_force(session, datetime.now(timezone.utc))

    if versions is not None:
        @router.get("/api/catalogue/versions")
        async def catalogue_versions(
                session: SessionDep,
                current: Catalogue = Depends(in_force),  # noqa: B008
        ) -> dict[str, Any]:
            """The imported versions (`motcua catalogue import`), oldest first, and the one
            in force (0: the catalogue shipped with the code)."""
            return {"in_force": current.version, "versions": [
                {"version": v.version,
                 "effective_from": v.effective_from.astimezone(VIETNAM).isoformat(),
                 "title": v.title, "procedures": v.procedures, "agencies": v.agencies,
                 "sha256": v.sha256,
                 "imported_at": v.imported_at.astimezone(VIETNAM).isoformat()}
                for v in await list_versions(session)]}

    @router.get("/api/procedures/{code}")
    async def procedure_detail(code: str, current: Catalogue = Depends(in_force)  # noqa: B008
                               ) -> dict[str, Any]:
        catalogue = current
        procedure = catalogue.procedures.get(code)
        if procedure is None:
            raise _not_found(f"no procedure {code!r}")

        def agency(agency_code: str) -> dict[str, str]:
            return {"code": agency_code, "name": catalogue.agencies[agency_code].name}

        return procedure.model_dump() | {
            "lead_agency": agency(procedure.agency),
            "coordinating_agencies": [agency(c) for c in procedure.coordinating_agencies],
            "limit": {"value": procedure.limit_value, "unit": procedure.limit_unit},
            "step_plan": [{"stage": stage, "hours": hours}
                          for stage, hours in procedure.step_hours().items()],
            "fees": {"counter": procedure.fee_counter, "online": procedure.fee_online},
            "catalogue_version": catalogue.version,
            # Commune-level: the communes a filing may name (`commune`), each with the unit
            # that then handles it; empty for a provincial procedure.
            "communes": commune_choices(catalogue, procedure),
        }

    @router.get("/api/agencies")
    async def agencies(current: Catalogue = Depends(in_force)  # noqa: B008
                       ) -> list[dict[str, Any]]:
        return [{"code": a.code, "name": a.name, "electronic_id": a.electronic_id,
                 "level": a.level, "commune_unit": a.commune_unit, "commune": commune_of(a),
                 "stages": list(a.stages),
                 "office_hours": a.office_hours.as_dict()}
                for a in current.agencies.values()]

    @router.get("/api/calendar/{year}")
    async def calendar_year(year: Annotated[int, FastPath(ge=FIRST_YEAR, le=LAST_YEAR)]
                            ) -> dict[str, Any]:
        """Every day of the year that is not what a plain Monday-Friday week makes it, with
        the layer that decided it (statutory, government, override)."""
        overrides = {d.day: d for d in await store.list(_year(year))}
        return {"year": year, "days": [
            {"date": e.day.isoformat(), "working": e.working, "reason": e.reason,
             "source": e.source} for e in exceptional_days(year, overrides)]}

    @router.put("/api/calendar/{day}", dependencies=[Depends(admin)])
    async def set_day(day: date, change: CalendarChange) -> dict[str, Any]:
        decision = await store.set(_day(day), change.working, change.reason)
        if on_calendar_change:
            await on_calendar_change()
        return {"date": decision.day.isoformat(), "working": decision.working,
                "reason": decision.reason}

    @router.delete("/api/calendar/{day}", status_code=204, dependencies=[Depends(admin)])
    async def remove_day(day: date) -> Response:
        if not await store.remove(_day(day)):
            raise _not_found(f"no override on {day}")
        if on_calendar_change:
            await on_calendar_change()
        return Response(status_code=204)

    return router
