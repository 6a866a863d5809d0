"""The public's window: a page per province and per agency, in Vietnamese, without sign-in,
for the screen posted at the centre (auto-refreshing, legible across a room) and for a phone.
It shows the procedures with their fees and time limits (the catalogue), this month's dossiers
received and resolved, the on-time share, the service index and satisfaction (aggregates of the
operations view: no dossier, no person). Rendered by Jinja2 templates, autoescaped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Procedure
from motcua_documents.templates import with_shared
from motcua_operations.filters import Scope
from motcua_operations.index_read import service_index
from motcua_operations.service_index import IndexPeriod
from motcua_runtime.http import session_from

if TYPE_CHECKING:
    from motcua_operations.wallboard_api import WallboardContext

REFRESH_SECONDS = 60
_UNITS = {"working_days": "ngày làm việc", "calendar_days": "ngày",
          "working_hours": "giờ làm việc"}


def templates() -> Environment:
    # Its own templates, then those shared with the workspace (the II.06a table).
    environment = Environment(loader=with_shared(PackageLoader("motcua_operations", "templates")),
                              autoescape=select_autoescape(["html"]))
    environment.filters["money"] = money
    environment.filters["percent"] = percent
    environment.filters["decimal"] = decimal
    return environment


def money(amount: int) -> str:
    """50.000 đ, the Vietnamese way; 0 is free."""
    return "Miễn phí" if amount == 0 else f"{amount:,}".replace(",", ".") + "\u00a0đ"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + "\u00a0%"


def decimal(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}".replace(".", ",")


def time_limit(procedure: Procedure) -> str:
    if procedure.limit_unit == "same_day":
        return "Trong ngày"
    return f"{procedure.limit_value} {_UNITS[procedure.limit_unit]}"


def add_public_routes(app: Any, ctx: WallboardContext) -> None:
    router = APIRouter()

    async def render(session: AsyncSession, agency: str | None) -> HTMLResponse:
        catalogue = ctx.catalogue
        if agency is not None and agency not in catalogue.agencies:
            page = ctx.templates.get_template("public_missing.html").render(
                centre=ctx.centre, agency=agency)
            return HTMLResponse(page, status_code=404)
        period = IndexPeriod.month_of(ctx.clock())
        by_agency = await service_index(session, period, "agency", catalogue, ctx.calendar,
                                        province=ctx.centre.province, scope=Scope(agency))
        procedures = [{"code": code, "name": p.name, "field": p.field,
                       "agency": catalogue.agencies[p.agency].name
                       if p.agency in catalogue.agencies else p.agency,
                       "limit": time_limit(p), "fee_counter": p.fee_counter,
                       "fee_online": p.fee_online}
                      for code, p in sorted(catalogue.procedures.items(),
                                            key=lambda item: (item[1].field, item[1].name))
                      if agency is None or p.agency == agency]
        page = ctx.templates.get_template("public.html").render(
            centre=ctx.centre, period=period, figures=by_agency["province"],
            agencies=by_agency["groups"] if agency is None else [],
            agency=catalogue.agencies[agency] if agency else None, procedures=procedures,
            refresh=REFRESH_SECONDS,
            updated=ctx.clock().astimezone(period.start.tzinfo).strftime("%H:%M %d/%m/%Y"))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @router.get("/cong-khai", response_class=HTMLResponse, include_in_schema=False)
    async def province_page(session: AsyncSession = Depends(session_from)  # noqa: B008
                            ) -> HTMLResponse:
        return await render(session, None)

    @router.get("/cong-khai/{agency}", response_class=HTMLResponse, include_in_schema=False)
    async def agency_page(agency: str,
                          session: AsyncSession = Depends(session_from)  # noqa: B008
                          ) -> HTMLResponse:
        return await render(session, agency[:32])

    app.include_router(router)
