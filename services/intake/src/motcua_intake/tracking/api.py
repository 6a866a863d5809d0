"""What citizens and managers see of intake over HTTP: a dossier followed by its id or by its code
and the applicant's ID number (JSON, and the public lookup page /tra-cuu in Vietnamese), with its
control sheet (Phiếu kiểm soát, form 06); the applicant's satisfaction rating after delivery; and
the reports per agency, procedure or field for managers.

Who may read which dossier: motcua_intake.tracking.access. What an answer shows (never personal
data): motcua_intake.tracking.views. The lookup page's HTML: motcua_intake.tracking.lookup_page."""

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from annotated_types import Interval
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Status
from motcua_intake.orm import Dossier, Rating, TimelineEntry
from motcua_intake.personal import erased_at, keyring, person, person_of
from motcua_intake.tracking import reports
from motcua_intake.tracking.access import ID_NUMBER, find, same_id
from motcua_intake.tracking.lookup_page import (
    dossier_html,
    download_form,
    error_section,
    html_page,
    lookup_form,
    lookup_problem,
)
from motcua_intake.tracking.result_availability import not_downloadable
from motcua_intake.tracking.views import DossierView, dossier_view
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency
from motcua_runtime.request_types import JSON_INTEGER

SessionDep = Annotated[AsyncSession, Depends(session_from)]
Satisfaction = Literal["very_satisfied", "satisfied", "not_satisfied"]


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: str = Field(pattern=ID_NUMBER, description="The applicant's CCCD (12) or CMND (9).")
    indicators: list[Annotated[int, Interval(ge=0, le=2), JSON_INTEGER]] = Field(
        min_length=9, max_length=9,
        description="The 9 indicators of docs/domain.md, each 0, 1 or 2.")
    convenience: Satisfaction
    overall: Satisfaction
    comment: str | None = Field(default=None, max_length=2000)


class RatingView(BaseModel):
    code: str
    rated_at: datetime
    score: float = Field(description="The indicators' sum scaled to 100")


Clock = Callable[[], datetime]


def create_tracking_router(catalogue: Catalogue, calendar: WorkingCalendar,
                           current_officer: OfficerDependency, *,
                           clock: Clock | None = None) -> APIRouter:
    """`current_officer` authenticates report requests (motcua_runtime.officers); `clock` gives
    "now" (tests fix it)."""
    now = clock or (lambda: datetime.now(timezone.utc))
    router = APIRouter()
    add_follow_route(router, catalogue, calendar, now)
    add_rating_route(router, now)
    add_reports_route(router, catalogue, calendar, current_officer, now)
    add_lookup_route(router, catalogue, calendar, now)
    return router


async def view_of(session: AsyncSession, dossier: Dossier, catalogue: Catalogue,
                  calendar: WorkingCalendar, now: Clock) -> DossierView:
    view, _ = await view_and_person(session, dossier, catalogue, calendar, now)
    return view


async def view_and_person(session: AsyncSession, dossier: Dossier, catalogue: Catalogue,
                          calendar: WorkingCalendar, now: Clock
                          ) -> tuple[DossierView, dict[str, Any] | None]:
    """The public view, and the applicant opened (None once erased): an officer's view shows
    both, the public only the first."""
    entries = list(await session.scalars(
        select(TimelineEntry).where(TimelineEntry.dossier_id == dossier.id)
        .order_by(TimelineEntry.at, TimelineEntry.event_id)))
    ring = await keyring(session, [dossier.id])
    applicant = person(ring, dossier)
    return dossier_view(dossier, entries, catalogue, calendar, now(), person=applicant,
                        erased_at=erased_at(ring, dossier)), applicant


# -- following a dossier ----------------------------------------------------------------------

def add_follow_route(router: APIRouter, catalogue: Catalogue, calendar: WorkingCalendar,
                     now: Clock) -> None:
    @router.get("/api/dossiers/{id_or_code}", response_model=DossierView,
                responses={404: {"description": "No such dossier, or the ID number differs"},
                           422: {"description": "A code without id_number"}})
    async def follow_dossier(id_or_code: str, session: SessionDep,
                             id_number: str | None = None) -> Any:
        return await view_of(session, await find(session, id_or_code, id_number),
                             catalogue, calendar, now)


# -- the applicant's rating -------------------------------------------------------------------

def add_rating_route(router: APIRouter, now: Clock) -> None:
    @router.post("/api/dossiers/{code}/rating", status_code=201, response_model=RatingView,
                 responses={404: {"description": "No such dossier, or the ID number differs"},
                            409: {"description": "Not delivered yet, or already rated"}})
    async def rate_dossier(code: str, rating: RatingIn, session: SessionDep) -> Any:
        return await rate(session, code, rating, now)


async def rate(session: AsyncSession, code: str, rating: RatingIn, now: Clock) -> RatingView:
    """Record the rating of a delivered dossier, once: 409 before delivery or a second time."""
    async with session.begin():
        dossier = await find(session, code, rating.id_number)
        if dossier.status_code != Status.DELIVERED:
            raise HTTPException(409, detail={"message": (
                "a dossier is rated once its result is delivered (status 10); this one is at "
                f"status {dossier.status_code}")})
        rated_at = now()
        added = await session.scalar(insert(Rating).values(
            dossier_id=dossier.id, rated_at=rated_at, indicators=rating.indicators,
            convenience=rating.convenience, overall=rating.overall, comment=rating.comment,
        ).on_conflict_do_nothing().returning(Rating.dossier_id))
        if added is None:
            raise HTTPException(409, detail={"message": "this dossier was already rated"})
    return RatingView(code=dossier.code, rated_at=rated_at,
                      score=round(reports.satisfaction_score(rating.indicators), 1))


# -- the managers' reports --------------------------------------------------------------------

def add_reports_route(router: APIRouter, catalogue: Catalogue, calendar: WorkingCalendar,
                      current_officer: OfficerDependency, now: Clock) -> None:
    # Evaluated here (the module has no `from __future__ import annotations`): the dependency
    # is local to this factory.
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.get("/api/reports", responses={
        200: {"description": "The report: JSON, or with `format=csv` a CSV file",
              "content": {"application/json": {}, "text/csv": {}}},
        401: {"description": "No valid officer token"},
        403: {"description": "Neither a manager nor an administrator"}})
    async def report(session: SessionDep, officer: OfficerDep,
                     first: Annotated[date | None, Query(alias="from")] = None,
                     last: Annotated[date | None, Query(alias="to")] = None,
                     by: reports.GroupBy = "agency",
                     format: Literal["json", "csv"] = "json") -> Response:
        if officer.role not in ("manager", "admin"):
            raise HTTPException(403, detail={"message": "reports are for the manager or admin "
                                             f"role, not {officer.role}"})
        period = report_period(first, last, now)
        result = await compile_for(session, officer, period, by, catalogue, calendar, now)
        return report_response(result, period, by, format)


def report_period(first: date | None, last: date | None, now: Clock) -> reports.Period:
    """From the first of the month (of `to`, else of today) to `to` or today; 422 if reversed."""
    today = now().astimezone(VIETNAM).date()
    period = reports.Period(first or (last or today).replace(day=1), last or today)
    if period.last < period.first:
        raise HTTPException(422, detail={"message": "to: must not be before from"})
    return period


async def compile_for(session: AsyncSession, officer: Officer, period: reports.Period,
                      by: reports.GroupBy, catalogue: Catalogue, calendar: WorkingCalendar,
                      now: Clock) -> dict[str, Any]:
    """The report a manager sees (their own agency) or an administrator (every agency)."""
    moment = now()
    dossiers, ratings = await reports.load_period(
        session, period, moment, agency=officer.agency if officer.role == "manager" else None)
    return reports.compile_report(dossiers, ratings, period=period, by=by,
                                  catalogue=catalogue, calendar=calendar, now=moment)


def report_response(result: dict[str, Any], period: reports.Period, by: reports.GroupBy,
                    format: Literal["json", "csv"]) -> Response:
    if format == "json":
        return JSONResponse(result)
    name = f"bao-cao-{period.first}-{period.last}-{by}.csv"
    return Response(reports.to_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- the public lookup page -------------------------------------------------------------------

def add_lookup_route(router: APIRouter, catalogue: Catalogue, calendar: WorkingCalendar,
                     now: Clock) -> None:
    @router.get("/tra-cuu", response_class=HTMLResponse, include_in_schema=False)
    async def lookup_page(session: SessionDep, code: str | None = None,
                          id_number: str | None = None) -> HTMLResponse:
        return await look_up(session, (code or "").strip(), (id_number or "").strip(),
                             catalogue, calendar, now)


async def look_up(session: AsyncSession, code: str, id_number: str, catalogue: Catalogue,
                  calendar: WorkingCalendar, now: Clock) -> HTMLResponse:
    """The page: the form alone, the form with what is wrong (422, 404), or the dossier."""
    if not code and not id_number:
        return html_page("Tra cứu hồ sơ", lookup_form(code, id_number))
    problem = lookup_problem(code, id_number)
    if problem:
        return html_page("Tra cứu hồ sơ",
                         error_section(problem) + lookup_form(code, id_number), 422)
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None or not same_id(await person_of(session, dossier), id_number):
        message = ("Không tìm thấy hồ sơ có mã và số CCCD/CMND đã nhập. Vui lòng kiểm tra "
                   "lại mã hồ sơ trên Giấy tiếp nhận và hẹn trả kết quả.")
        return html_page("Không tìm thấy hồ sơ",
                         error_section(message) + lookup_form(code, id_number), 404)
    view = await view_of(session, dossier, catalogue, calendar, now)
    download = download_form(view.code) if not_downloadable(dossier) is None else ""
    return html_page(f"Hồ sơ {view.code}",
                     dossier_html(view, catalogue) + download + lookup_form(code, ""))
