"""The wallboard's routes (its sign-in's are motcua_operations.signin_routes): the page, its
figures (with the services' health and the alarms), the dossiers behind a figure, the
thresholds an administrator sets, form II.06a for the staff (a page and JSON or CSV, from the
view: motcua_operations.report_06a), and the service index (public: aggregates only) as JSON or
CSV.

No `from __future__ import annotations`: the routes' dependencies are local to the factory, so
their annotations must be evaluated where they are written."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.centre import Centre
from motcua_documents.report_06a import to_csv
from motcua_operations import alarms, report_06a, wallboard
from motcua_operations.filters import Scope, receiving_units
from motcua_operations.index_read import service_index
from motcua_operations.scrape import Scraper
from motcua_operations.service_index import (
    PERIOD_PATTERN,
    BadPeriod,
    GroupBy,
    IndexPeriod,
    as_csv,
)
from motcua_operations.signin import COOKIE, Staff, StaffSessions
from motcua_operations.signin_routes import add_sign_in_routes
from motcua_runtime.browser_sessions import tokens_match as same_token
from motcua_runtime.http import session_from
from motcua_runtime.oidc import OpenIdConnect
from motcua_runtime.sign_in_limits import SignInLimits

SessionDep = Annotated[AsyncSession, Depends(session_from)]
Filter = Annotated[str | None, Query(max_length=64)]
WindowQuery = Annotated[wallboard.WindowName, Query()]
MAX_FORM_BYTES = 4096


@dataclass(frozen=True)
class WallboardContext:
    catalogue: Catalogue
    calendar: WorkingCalendar
    centre: Centre
    scraper: Scraper
    staff_sessions: StaffSessions
    templates: Environment
    due_soon_hours: float
    clock: Callable[[], datetime]
    cookie_secure: bool
    sign_in_limits: SignInLimits
    oidc: OpenIdConnect | None = None


def scope_of(ctx: WallboardContext, agency: str | None, field: str | None,
             procedure: str | None, unit: str | None = None) -> Scope:
    """The filters, each one the catalogue knows (422 naming the unknown one)."""
    if agency and agency not in ctx.catalogue.agencies:
        raise HTTPException(422, detail={"message": f"no agency {agency!r} in the catalogue"})
    if procedure and procedure not in ctx.catalogue.procedures:
        raise HTTPException(422, detail={
            "message": f"no procedure {procedure!r} in the catalogue"})
    if field and field not in {p.field for p in ctx.catalogue.procedures.values()}:
        raise HTTPException(422, detail={"message": f"no field {field!r} in the catalogue"})
    if unit and unit not in receiving_units(ctx.catalogue):
        raise HTTPException(422, detail={
            "message": f"no receiving unit {unit!r} in the catalogue (an agency with a "
                       "one-stop desk: GET /api/filters lists them)"})
    return Scope(agency or None, field or None, procedure or None, unit or None)


def add_wallboard_routes(app: Any, ctx: WallboardContext) -> None:
    router = APIRouter()

    async def signed_in(request: Request) -> Staff | None:
        return await ctx.staff_sessions.find(request.cookies.get(COOKIE), ctx.clock())

    async def staff(request: Request) -> Staff:
        found = await signed_in(request)
        if found is None:
            raise HTTPException(401, detail={
                "message": "sign in with an account of role operations (/dang-nhap)",
                "message_vi": "Cần đăng nhập bằng tài khoản của trung tâm điều hành."})
        return found

    StaffDep = Annotated[Staff, Depends(staff)]

    @router.get("/", include_in_schema=False)
    async def wallboard_page(request: Request, agency: Filter = None, field: Filter = None,
                             procedure: Filter = None, receiving_unit: Filter = None,
                             period: Filter = None) -> Response:
        """The page keeps its filters in its address (its script reads them and the figures'
        API judges them): a reload, a bookmark or the sign-in's way back keeps them."""
        if await signed_in(request) is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/dang-nhap?tiep=" + quote(here), 303)
        return HTMLResponse(_static_page("wallboard.html"), headers={"Cache-Control": "no-store"})

    @router.get("/api/wallboard", responses={401: {"description": "Not signed in"}})
    async def figures(session: SessionDep, who: StaffDep, agency: Filter = None,
                      field: Filter = None, procedure: Filter = None,
                      receiving_unit: Filter = None,
                      period: WindowQuery = "month") -> dict[str, Any]:
        """Everything the wallboard draws, for the filters; with
        the services' health, the thresholds and the alarms they raise, and this month's
        service index."""
        scope = scope_of(ctx, agency, field, procedure, receiving_unit)
        now = ctx.clock()
        body = await wallboard.figures(session, wallboard.Windows.at(now, ctx.due_soon_hours),
                                       scope, ctx.catalogue, period)
        services = [health.as_json() for health in ctx.scraper.latest.values()]
        thresholds = await alarms.current(session)
        index = await service_index(session, IndexPeriod.month_of(now), "province",
                                    ctx.catalogue, ctx.calendar, province=ctx.centre.province,
                                    scope=scope)
        return {**body, "services": services,
                "dead_letters": sum(s["dead_letters"] for s in services),
                "thresholds": thresholds,
                "alarms": alarms.evaluate(body, services, thresholds),
                "index": index, "staff": {"name": who.full_name, "admin": who.is_admin,
                                          "csrf_token": who.csrf_token}}

    @router.get("/api/wallboard/dossiers", responses={401: {"description": "Not signed in"}})
    async def behind(session: SessionDep, _who: StaffDep,
                     figure: Annotated[str, Query(max_length=80,
                                                  pattern=wallboard.FIGURE_PATTERN)],
                     agency: Filter = None,
                     field: Filter = None, procedure: Filter = None,
                     receiving_unit: Filter = None,
                     period: WindowQuery = "month") -> dict[str, Any]:
        """The dossiers behind one figure of the wallboard (code, procedure, status, due)."""
        scope = scope_of(ctx, agency, field, procedure, receiving_unit)
        try:
            return await wallboard.dossiers_behind(
                session, figure, wallboard.Windows.at(ctx.clock(), ctx.due_soon_hours), scope,
                ctx.catalogue, period)
        except wallboard.UnknownFigure as error:
            raise HTTPException(422, detail={"message": str(error)}) from None

    @router.get("/api/report", responses={
        200: {"content": {"application/json": {}, "text/csv": {}},
              "description": "Form II.06a: JSON, or with `format=csv` a CSV file"},
        401: {"description": "Not signed in"},
        422: {"description": "A reversed period or an unknown filter"}})
    async def report_figures(session: SessionDep, _who: StaffDep,
                             first: Annotated[date | None, Query(alias="from")] = None,
                             last: Annotated[date | None, Query(alias="to")] = None,
                             by: report_06a.GroupBy = "agency", agency: Filter = None,
                             field: Filter = None, procedure: Filter = None,
                             receiving_unit: Filter = None,
                             format: Literal["json", "csv"] = "json") -> Response:
        """Form II.06a from the operations view, for the wallboard's filters: from the first of
        the month (of `to`, else this month) to `to` or today (docs/service-index.md)."""
        scope = scope_of(ctx, agency, field, procedure, receiving_unit)
        now = ctx.clock()
        try:
            period = report_06a.period_of(first, last, now)
        except report_06a.BadPeriod as error:
            raise HTTPException(422, detail={"message": str(error)}) from None
        result = await report_06a.report(session, period, by, scope, ctx.catalogue,
                                         ctx.calendar, now)
        if format == "csv":
            name = f"bao-cao-II06a-{period.first}-{period.last}-{by}.csv"
            return Response(to_csv(result), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(_json(result), media_type="application/json")

    @router.get("/bao-cao", include_in_schema=False)
    async def report_page(request: Request, session: SessionDep,
                          tu: Annotated[str, Query(max_length=10)] = "",
                          den: Annotated[str, Query(max_length=10)] = "",
                          theo: Annotated[str, Query(max_length=16)] = "agency",
                          agency: Filter = None, field: Filter = None, procedure: Filter = None,
                          receiving_unit: Filter = None) -> Response:
        """The II.06a report as a page, linked from the wallboard with its filters."""
        if await signed_in(request) is None:
            return RedirectResponse("/dang-nhap?tiep=" + quote(
                str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")),
                303)
        scope = scope_of(ctx, agency, field, procedure, receiving_unit)
        filters = {name: value for name, value in (
            ("agency", agency), ("field", field), ("procedure", procedure),
            ("receiving_unit", receiving_unit)) if value}
        chosen = {"tu": tu, "den": den, "theo": theo if theo in report_06a.GROUPS else "agency"}
        problem, result, at = None, None, ""
        try:
            first, last = (_day(tu, "tu"), _day(den, "den"))
            period = report_06a.period_of(first, last, ctx.clock())
        except (report_06a.BadPeriod, ValueError) as error:
            problem = str(error)
        else:
            by: Any = chosen["theo"]
            result = await report_06a.report(session, period, by, scope, ctx.catalogue,
                                             ctx.calendar, ctx.clock())
            chosen.update(tu=period.first.isoformat(), den=period.last.isoformat())
            at = datetime.fromisoformat(result["at"]).strftime("%H:%M ngày %d/%m/%Y")
        csv_query = urlencode({**filters, "from": chosen["tu"], "to": chosen["den"],
                               "by": chosen["theo"], "format": "csv"})
        page = ctx.templates.get_template("report.html").render(
            centre=ctx.centre, report=result, problem=problem, at=at, chosen=chosen,
            groups=report_06a.GROUPS, hidden=filters, scope_query=urlencode(filters),
            csv_query=csv_query, scope_name=_scope_name(ctx, scope))
        return HTMLResponse(page, status_code=422 if problem else 200,
                            headers={"Cache-Control": "no-store"})

    @router.get("/api/thresholds", responses={401: {"description": "Not signed in"}})
    async def thresholds(session: SessionDep, _who: StaffDep) -> dict[str, Any]:
        values = await alarms.current(session)
        return {name: {"value": values[name], "default": setting.default,
                       "label": setting.label}
                for name, setting in alarms.THRESHOLDS.items()}

    @router.put("/api/thresholds", responses={
        401: {"description": "Not signed in"}, 403: {"description": "Not an administrator"},
        422: {"description": "An unknown threshold or a value out of its range"}})
    async def set_thresholds(request: Request, session: SessionDep,
                             who: StaffDep) -> dict[str, Any]:
        """Set some thresholds (a JSON object name -> number); an administrator only, with the
        session's CSRF token in `X-CSRF-Token`."""
        if not who.is_admin:
            raise HTTPException(403, detail={"message": "only an administrator sets thresholds"})
        if not same_token(who.csrf_token, request.headers.get("x-csrf-token")):
            raise HTTPException(403, detail={"message": "X-CSRF-Token missing or stale"})
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(422, detail={"message": "the body is not JSON"}) from None
        if not isinstance(body, dict):
            raise HTTPException(422, detail={"message": "a JSON object name -> number"})
        try:
            values = alarms.check(body)
        except alarms.BadThreshold as error:
            raise HTTPException(422, detail={"message": str(error)}) from None
        async with session.begin():
            await alarms.store(session, values, by=f"officer:{who.user_name}",
                               now=ctx.clock())
        return await thresholds(session, who)

    @router.get("/api/filters")
    async def filters() -> dict[str, Any]:
        """What the filters offer: the catalogue's agencies, fields, procedures and receiving
        units (the agencies with a one-stop desk)."""
        procedures = ctx.catalogue.procedures
        return {"agencies": [{"code": code, "name": a.name}
                             for code, a in sorted(ctx.catalogue.agencies.items())],
                "units": [{"code": code, "name": name}
                          for code, name in receiving_units(ctx.catalogue).items()],
                "fields": sorted({p.field for p in procedures.values()}),
                "procedures": [{"code": code, "name": p.name, "field": p.field}
                               for code, p in sorted(procedures.items())]}

    @router.get("/api/index", responses={
        200: {"content": {"application/json": {}, "text/csv": {}},
              "description": "The index: JSON, or with `format=csv` a CSV file"},
        422: {"description": "A period that is neither a month nor a quarter"}})
    async def index(session: SessionDep,
                    period: Annotated[str | None, Query(max_length=7,
                                                        pattern=PERIOD_PATTERN)] = None,
                    by: GroupBy = "agency", agency: Filter = None, field: Filter = None,
                    procedure: Filter = None, receiving_unit: Filter = None,
                    format: Literal["json", "csv"] = "json") -> Response:
        """The national service index (Decision 766) of a month (`2026-12`) or a quarter
        (`2026-Q4`), this month by default; formulas in docs/service-index.md."""
        try:
            chosen = IndexPeriod.parse(period) if period else IndexPeriod.month_of(ctx.clock())
        except BadPeriod as error:
            raise HTTPException(422, detail={"message": str(error)}) from None
        scope = scope_of(ctx, agency, field, procedure, receiving_unit)
        result = await service_index(session, chosen, by, ctx.catalogue, ctx.calendar,
                                     province=ctx.centre.province, scope=scope)
        if format == "csv":
            return Response(as_csv(result), media_type="text/csv; charset=utf-8", headers={
                "Content-Disposition":
                    f'attachment; filename="chi-so-766-{chosen.code}-{by}.csv"'})
        return Response(_json(result), media_type="application/json")

    app.include_router(router)
    add_sign_in_routes(app, ctx)


def _day(value: str, name: str) -> date | None:
    """A day of the report's form (empty: its default), or a ValueError naming the field."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a day (YYYY-MM-DD)") from None


def _scope_name(ctx: WallboardContext, scope: Scope) -> str:
    agencies = ctx.catalogue.agencies
    parts = [agencies[scope.agency].name if scope.agency else None, scope.field,
             ctx.catalogue.procedures[scope.procedure].name if scope.procedure else None,
             f"tiếp nhận tại {agencies[scope.receiving_unit].name}" if scope.receiving_unit
             else None]
    return " · ".join(part for part in parts if part) or "toàn tỉnh"


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _static_page(name: str) -> str:
    return (resources.files("motcua_operations") / "static" / name).read_text(encoding="utf-8")
