"""What citizens and managers see of intake over HTTP: a dossier followed by its id or by its code
and the applicant's ID number (JSON, and the public lookup page /tra-cuu in Vietnamese), with its
control sheet (Phiếu kiểm soát, form 06); the applicant's satisfaction rating after delivery; and
the reports per agency, procedure or field for managers.

Who may read which dossier: motcua_intake.tracking.access. What an answer shows (never personal
data): motcua_intake.tracking.views. The lookup page's HTML: motcua_intake.tracking.lookup_page."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from annotated_types import Interval
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.centre import Centre
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Status
from motcua_contracts.intake import DossierRated
from motcua_intake.forms.stored import stored_forms
from motcua_intake.handlers import cause_of
from motcua_intake.orm import OUTBOX, Dossier, Rating, TimelineEntry
from motcua_intake.personal import erased_at, keyring, person, person_of
from motcua_intake.tracking import lookup_page, reports
from motcua_intake.tracking.access import ID_NUMBER, find, same_id
from motcua_intake.tracking.lookup_page import lookup_problem
from motcua_intake.tracking.result_availability import not_downloadable
from motcua_intake.tracking.views import DossierView, dossier_view
from motcua_runtime.http import session_from
from motcua_runtime.keys import Signer
from motcua_runtime.officers import Officer, OfficerDependency
from motcua_runtime.request_types import JSON_INTEGER
from motcua_runtime.stage import Emitter, Rejected

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


@dataclass(frozen=True)
class RatingEvents:
    """Where a rating's `DossierRated` goes: intake's outbox for the topic, signed with intake's
    key, and the relay's wake-up once the transaction committed."""

    topic: str
    signer: Signer
    on_commit: Callable[[], None]


def create_tracking_router(catalogue: Catalogue, calendar: WorkingCalendar,
                           current_officer: OfficerDependency, *,
                           clock: Clock | None = None, centre: Centre | None = None,
                           rating_events: RatingEvents | None = None) -> APIRouter:
    """`current_officer` authenticates report requests (motcua_runtime.officers); `clock` gives
    "now" (tests fix it); `centre` is who the public page names (motcua_catalogue.centre);
    `rating_events` where each rating is published for the read models (the operations
    centre's satisfaction figures); None only for the router tested on its own, whose dossiers
    have no events."""
    now = clock or (lambda: datetime.now(timezone.utc))
    router = APIRouter()
    add_follow_route(router, catalogue, calendar, now)
    add_rating_route(router, now, rating_events)
    add_reports_route(router, catalogue, calendar, current_officer, now)
    add_lookup_route(router, catalogue, calendar, now, centre or Centre(), rating_events)
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

def add_rating_route(router: APIRouter, now: Clock, events: RatingEvents | None) -> None:
    @router.post("/api/dossiers/{code}/rating", status_code=201, response_model=RatingView,
                 responses={404: {"description": "No such dossier, or the ID number differs"},
                            409: {"description": "Not delivered yet, or already rated"}})
    async def rate_dossier(code: str, rating: RatingIn, session: SessionDep) -> Any:
        return await rate(session, code, rating, now, events)


async def rate(session: AsyncSession, code: str, rating: RatingIn, now: Clock,
               events: RatingEvents | None) -> RatingView:
    """Record the rating of a delivered dossier, once: 409 before delivery or a second time.
    `DossierRated` goes into the outbox in the same transaction (never the comment)."""
    async with session.begin():
        dossier = await find(session, code, rating.id_number)
        if dossier.status_code != Status.DELIVERED:
            raise HTTPException(409, detail={"message": (
                "a dossier is rated once its result is delivered (status 10); this one is at "
                f"status {dossier.status_code}")})
        rated_at = now()
        # The comment is the applicant's own words: kept sealed under the dossier's key.
        comment = None if rating.comment is None else (
            await keyring(session, [dossier.id])).seal(
                dossier.id, rating.comment).model_dump_json()
        added = await session.scalar(insert(Rating).values(
            dossier_id=dossier.id, rated_at=rated_at, indicators=rating.indicators,
            convenience=rating.convenience, overall=rating.overall, comment=comment,
        ).on_conflict_do_nothing().returning(Rating.dossier_id))
        if added is None:
            raise HTTPException(409, detail={"message": "this dossier was already rated"})
        if events is not None:
            await publish_rating(session, events, dossier, rating, rated_at)
    if events is not None:
        events.on_commit()
    return RatingView(code=dossier.code, rated_at=rated_at,
                      score=round(reports.satisfaction_score(rating.indicators), 1))


async def publish_rating(session: AsyncSession, events: RatingEvents, dossier: Dossier,
                         rating: RatingIn, rated_at: datetime) -> None:
    try:
        cause = cause_of(dossier)
    except Rejected:
        raise HTTPException(409, detail={"message": (
            f"dossier {dossier.code} is still being recorded: try again in a few seconds")}
        ) from None
    emitter = Emitter(events.signer.producer, events.topic, sign=events.signer.sign)
    emitter.emit(DossierRated, cause=cause, actor="applicant", occurred_at=rated_at,
                 indicators=list(rating.indicators), convenience=rating.convenience,
                 overall=rating.overall)
    await session.execute(insert(OUTBOX), [message.as_row() for message in emitter.messages])


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
                     now: Clock, centre: Centre, rating_events: RatingEvents | None) -> None:
    @router.get("/tra-cuu", response_class=HTMLResponse, include_in_schema=False)
    async def lookup_page(session: SessionDep, code: str | None = None,
                          id_number: str | None = None) -> HTMLResponse:
        return await look_up(session, (code or "").strip(), (id_number or "").strip(),
                             catalogue, calendar, now, centre)

    @router.post("/tra-cuu/danh-gia", response_class=HTMLResponse, include_in_schema=False)
    async def rating_form(request: Request, session: SessionDep) -> HTMLResponse:
        """The rating form of the page: the same rule as POST /api/dossiers/{code}/rating."""
        form = await _form_fields(request)
        code = str(form.get("code") or "").strip()
        id_number = str(form.get("id_number") or "").strip()
        try:
            rating = RatingIn.model_validate({
                "id_number": id_number, "comment": form.get("comment") or None,
                "indicators": [_score(form.get(f"indicator_{n}")) for n in range(1, 10)],
                "convenience": form.get("convenience"), "overall": form.get("overall")})
        except (ValidationError, ValueError):
            return await look_up(session, code, id_number, catalogue, calendar, now, centre,
                                 problem="Vui lòng chấm điểm đủ 9 tiêu chí, chọn mức độ thuận "
                                         "tiện và mức độ hài lòng chung, và nhập đúng số "
                                         "CCCD/CMND của người nộp hồ sơ.", status=422)
        try:
            rated = await rate(session, code, rating, now, rating_events)
        except HTTPException as refused:
            message = ("Không tìm thấy hồ sơ có mã và số CCCD/CMND đã nhập."
                       if refused.status_code == 404 else
                       "Mỗi hồ sơ được đánh giá một lần, sau khi đã trả kết quả.")
            return await look_up(session, code, id_number, catalogue, calendar, now, centre,
                                 problem=message, status=refused.status_code)
        return await look_up(session, code, id_number, catalogue, calendar, now, centre,
                             notice="Cảm ơn Ông/Bà đã đánh giá. Điểm hài lòng: "
                                    + f"{rated.score:g}".replace(".", ",") + "/100.")


async def _form_fields(request: Request) -> dict[str, str]:
    """An HTML form's fields (application/x-www-form-urlencoded, the form's one encoding),
    first value of each; the body is bounded by the API's request-body limit."""
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), max_num_fields=40)
    except (UnicodeDecodeError, ValueError):
        return {}
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _score(value: Any) -> int:
    if value not in ("0", "1", "2"):
        raise ValueError("a score is 0, 1 or 2")
    return int(value)


async def look_up(session: AsyncSession, code: str, id_number: str, catalogue: Catalogue,
                  calendar: WorkingCalendar, now: Clock, centre: Centre, *,
                  problem: str | None = None, notice: str | None = None,
                  status: int = 200) -> HTMLResponse:
    """The page: the form alone, the form with what is wrong (422, 404), or the dossier."""
    title = "Tra cứu hồ sơ"
    if not code and not id_number:
        return lookup_page.render(centre, title)
    wrong = lookup_problem(code, id_number)
    if wrong:
        return lookup_page.render(centre, title, code=code, id_number=id_number, problem=wrong,
                                  status=422)
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None or not same_id(await person_of(session, dossier), id_number):
        message = ("Không tìm thấy hồ sơ có mã và số CCCD/CMND đã nhập. Vui lòng kiểm tra "
                   "lại mã hồ sơ trên Giấy tiếp nhận và hẹn trả kết quả.")
        return lookup_page.render(centre, "Không tìm thấy hồ sơ", code=code,
                                  id_number=id_number, problem=message, status=404)
    view = await view_of(session, dossier, catalogue, calendar, now)
    rating = None
    if dossier.status_code == Status.DELIVERED:
        rated = await session.get(Rating, dossier.id)
        rating = "done" if rated is not None else "open"
    part = lookup_page.dossier_part(view, catalogue, rating=rating,
                                    downloadable=not_downloadable(dossier) is None,
                                    forms=await stored_forms(session, dossier.id))
    # The ID number is not echoed into the page: the form below starts empty.
    return lookup_page.render(centre, f"Hồ sơ {view.code}", code=code, problem=problem,
                              notice=notice, dossier=part, status=status)
