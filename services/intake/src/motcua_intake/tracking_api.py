"""What citizens and managers see of intake over HTTP: a dossier followed by its id or by its code
and the applicant's ID number (JSON, and the public lookup page /tra-cuu in Vietnamese), with its
control sheet (Phiếu kiểm soát, form 06); the applicant's satisfaction rating after delivery; and
the reports per agency, procedure or field for managers.

A dossier code is guessable, so a code alone finds nothing: the applicant's ID number must match,
and a wrong number answers exactly like an unknown code."""

import hmac
import html
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from importlib import resources
from string import Template
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import STATUS_NAMES, Status
from motcua_intake import reports
from motcua_intake.control_sheet import (IN_PROGRESS, LATE, control_sheet,
                                         first_appointment, judge_end, running_late)
from motcua_intake.orm import Dossier, Rating, TimelineEntry
from motcua_intake.result_availability import not_downloadable
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

SessionDep = Annotated[AsyncSession, Depends(session_from)]
ID_NUMBER = r"^[0-9]{9}$|^[0-9]{12}$"
NOT_FOUND = "no dossier matches this code and ID number"
Satisfaction = Literal["very_satisfied", "satisfied", "not_satisfied"]


class StatusView(BaseModel):
    code: int
    name: str


class TimelineItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: str
    at: datetime
    agency: str | None
    stage: str
    actor: str
    status_code: int | None = None
    holder: str | None = None
    note: str | None = None


class SheetRowView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: int
    kind: str = Field(description="stage, applicant (a wait, not judged), consultation or "
                                  "postal (the post office carrying the result, not judged)")
    stage: str
    agency: str | None
    giver: str
    giver_actor: str | None
    receiver: str
    receiver_actor: str | None
    received_at: datetime
    handed_on_at: datetime | None
    allotted_hours: float | None = Field(description="None when the allotment is unknown")
    used_hours: float = Field(description="Working hours, less waiting on the applicant")
    waiting_hours: float
    result: str | None = Field(description="early, on_time, late, in_progress or None")


class DossierView(BaseModel):
    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    agency: str
    channel: str
    status: StatusView
    stage: str | None
    received_at: datetime
    due_at: datetime | None = Field(description="The current appointment")
    first_due_at: datetime | None = Field(description="The appointment on the receipt (form 01)")
    rescheduled_from: datetime | None
    ended_at: datetime | None
    on_time: bool | None
    overdue: bool
    verdict: str | None = Field(description="early, on_time, late; in_progress while unfinished "
                                            "and within its deadline")
    timeline: list[TimelineItem]
    control_sheet: list[SheetRowView]


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: str = Field(pattern=ID_NUMBER, description="The applicant's CCCD (12) or CMND (9).")
    indicators: list[Annotated[StrictInt, Field(ge=0, le=2)]] = Field(
        min_length=9, max_length=9, description="The 9 indicators of DOMAIN.md, each 0, 1 or 2.")
    convenience: Satisfaction
    overall: Satisfaction
    comment: str | None = Field(default=None, max_length=2000)


class RatingView(BaseModel):
    code: str
    rated_at: datetime
    score: float = Field(description="The indicators' sum scaled to 100")


def _same_id(dossier: Dossier, id_number: str) -> bool:
    expected = str((dossier.applicant or {}).get("id_number", ""))
    return bool(expected) and hmac.compare_digest(expected.encode(), id_number.strip().encode())


async def find_for_applicant(session: AsyncSession, code: str, id_number: str | None
                             ) -> Dossier:
    """The dossier of that code, if the applicant's ID number matches: 422 without a number,
    404 for a wrong one exactly as for an unknown code."""
    if id_number is None:
        raise HTTPException(422, detail={"message": "id_number: required with a dossier code "
                                         "(the applicant's CCCD/CMND number)"})
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None or not _same_id(dossier, id_number):
        raise HTTPException(404, detail={"message": NOT_FOUND})
    return dossier


async def _find(session: AsyncSession, id_or_code: str, id_number: str | None) -> Dossier:
    """By id: nothing else needed. By code: the applicant's ID number must match (404 alike)."""
    try:
        dossier_id = uuid.UUID(id_or_code)
    except ValueError:
        return await find_for_applicant(session, id_or_code, id_number)
    dossier = await session.get(Dossier, dossier_id)
    if dossier is None:
        raise HTTPException(404, detail={"message": f"no dossier {id_or_code}"})
    return dossier


def create_tracking_router(catalogue: Catalogue, calendar: WorkingCalendar,
                           current_officer: OfficerDependency, *,
                           clock: Callable[[], datetime] | None = None) -> APIRouter:
    """`current_officer` authenticates report requests (motcua_runtime.officers); `clock` gives
    "now" (tests fix it)."""
    now = clock or (lambda: datetime.now(timezone.utc))
    router = APIRouter()

    async def view_of(session: AsyncSession, dossier: Dossier) -> DossierView:
        entries = list(await session.scalars(
            select(TimelineEntry).where(TimelineEntry.dossier_id == dossier.id)
            .order_by(TimelineEntry.at, TimelineEntry.event_id)))
        return dossier_view(dossier, entries, catalogue, calendar, now())

    @router.get("/api/dossiers/{id_or_code}", response_model=DossierView,
                responses={404: {"description": "No such dossier, or the ID number differs"},
                           422: {"description": "A code without id_number"}})
    async def follow_dossier(id_or_code: str, session: SessionDep,
                             id_number: str | None = None) -> Any:
        return await view_of(session, await _find(session, id_or_code, id_number))

    @router.post("/api/dossiers/{code}/rating", status_code=201, response_model=RatingView,
                 responses={404: {"description": "No such dossier, or the ID number differs"},
                            409: {"description": "Not delivered yet, or already rated"}})
    async def rate_dossier(code: str, rating: RatingIn, session: SessionDep) -> Any:
        async with session.begin():
            dossier = await _find(session, code, rating.id_number)
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

    # Evaluated here (the module has no `from __future__ import annotations`): the dependency
    # is local to this factory.
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.get("/api/reports", responses={
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
        today = now().astimezone(VIETNAM).date()
        period = reports.Period(first or (last or today).replace(day=1), last or today)
        if period.last < period.first:
            raise HTTPException(422, detail={"message": "to: must not be before from"})
        moment = now()
        dossiers, ratings = await reports.load_period(
            session, period, moment, agency=officer.agency if officer.role == "manager" else None)
        result = reports.compile_report(dossiers, ratings, period=period, by=by,
                                        catalogue=catalogue, calendar=calendar, now=moment)
        if format == "json":
            return JSONResponse(result)
        name = f"bao-cao-{period.first}-{period.last}-{by}.csv"
        return Response(reports.to_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/tra-cuu", response_class=HTMLResponse, include_in_schema=False)
    async def lookup_page(session: SessionDep, code: str | None = None,
                          id_number: str | None = None) -> HTMLResponse:
        code, id_number = (code or "").strip(), (id_number or "").strip()
        if not code and not id_number:
            return _page("Tra cứu hồ sơ", _form(code, id_number))
        problem = _lookup_problem(code, id_number)
        if problem:
            return _page("Tra cứu hồ sơ", _error(problem) + _form(code, id_number), 422)
        dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or not _same_id(dossier, id_number):
            message = ("Không tìm thấy hồ sơ có mã và số CCCD/CMND đã nhập. Vui lòng kiểm tra "
                       "lại mã hồ sơ trên Giấy tiếp nhận và hẹn trả kết quả.")
            return _page("Không tìm thấy hồ sơ", _error(message) + _form(code, id_number), 404)
        view = await view_of(session, dossier)
        download = _download_form(view.code) if not_downloadable(dossier) is None else ""
        return _page(f"Hồ sơ {view.code}",
                     _dossier_html(view, catalogue) + download + _form(code, ""))

    return router


def dossier_view(dossier: Dossier, entries: Sequence[TimelineEntry], catalogue: Catalogue,
                 calendar: WorkingCalendar, now: datetime) -> DossierView:
    facts, lifecycle = dossier.facts or {}, dossier.lifecycle or {}
    first = first_appointment(facts, dossier.due_at)
    rescheduled_from = facts.get("rescheduled_from")
    rescheduled = bool(rescheduled_from or lifecycle.get("rescheduled"))
    supplements = int(lifecycle.get("supplements") or 0)
    rows = control_sheet(entries, procedure=catalogue.procedures.get(dossier.procedure_code),
                         calendar=calendar, lead_agency=dossier.agency, now=now)
    if dossier.ended_at is not None:
        verdict = judge_end(dossier.ended_at, first, rescheduled=rescheduled,
                            supplements=supplements, on_time=dossier.on_time)
    elif first is not None:
        late = running_late(now, first, rescheduled=rescheduled, supplements=supplements,
                            overdue=bool(lifecycle.get("overdue")))
        verdict = LATE if late else IN_PROGRESS
    else:
        verdict = None
    status = Status(dossier.status_code)
    return DossierView(
        dossier_id=dossier.id, code=dossier.code, procedure_code=dossier.procedure_code,
        agency=dossier.agency, channel=dossier.channel,
        status=StatusView(code=status, name=STATUS_NAMES[status]), stage=dossier.stage,
        received_at=dossier.received_at, due_at=dossier.due_at, first_due_at=first,
        rescheduled_from=rescheduled_from, ended_at=dossier.ended_at, on_time=dossier.on_time,
        overdue=bool(lifecycle.get("overdue")) or (
            dossier.ended_at is None and dossier.due_at is not None and now > dossier.due_at),
        verdict=verdict, timeline=[TimelineItem.model_validate(e) for e in entries],
        control_sheet=[SheetRowView.model_validate(row) for row in rows])


# -- the public lookup page (plain HTML, every value escaped) ------------------------------------

STAGE_NAMES = {"intake": "Tiếp nhận", "appraisal": "Thẩm định", "approval": "Phê duyệt",
               "signing": "Đóng dấu, ký số", "delivery": "Trả kết quả",
               "applicant": "Công dân (bổ sung hồ sơ, nộp phí)"}
RESULT_NAMES = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn",
                "in_progress": "Đang xử lý (trong hạn)"}
EVENT_NAMES = {
    "DossierSubmitted": "Nộp hồ sơ", "DossierAccepted": "Tiếp nhận hồ sơ, hẹn trả kết quả",
    "DossierRefused": "Từ chối tiếp nhận", "SupplementRequested": "Yêu cầu bổ sung hồ sơ",
    "SupplementProvided": "Đã bổ sung hồ sơ", "SupplementExpired": "Hết hạn bổ sung hồ sơ",
    "FeesRequested": "Yêu cầu nộp phí, lệ phí", "FeesPaid": "Đã nộp phí, lệ phí",
    "ConsultationRequested": "Lấy ý kiến cơ quan phối hợp (liên thông)",
    "ConsultationAnswered": "Cơ quan phối hợp trả lời", "DossierAppraised": "Thẩm định xong",
    "DossierReturned": "Trả lại để thẩm định lại", "DossierApproved": "Phê duyệt kết quả",
    "DossierDenied": "Không phê duyệt", "ResultSigned": "Ký số, đóng dấu kết quả",
    "ResultDelivered": "Đã trả kết quả", "DelayApologized": "Xin lỗi, hẹn lại ngày trả kết quả",
    "DossierOverdue": "Hồ sơ quá hạn", "WithdrawalRequested": "Đề nghị rút hồ sơ",
    "DossierStopped": "Dừng xử lý hồ sơ"}
_CODE = re.compile(r"^[0-9A-Za-z.]{3,24}-\d{6}-\d{4,6}$")
_TEMPLATE = Template((resources.files("motcua_intake") / "templates" / "lookup.html")
                     .read_text(encoding="utf-8"))
e = html.escape


def _lookup_problem(code: str, id_number: str) -> str | None:
    if not code or not id_number:
        return "Vui lòng nhập đủ mã hồ sơ và số CCCD/CMND của người nộp hồ sơ."
    if not _CODE.match(code):
        return "Mã hồ sơ không đúng định dạng (ví dụ: 000.00.15.H38-251124-0007)."
    if not re.match(ID_NUMBER, id_number):
        return "Số CCCD phải gồm 12 chữ số, số CMND gồm 9 chữ số."
    return None


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_TEMPLATE.substitute(title=e(title), body=body), status_code=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _form(code: str, id_number: str) -> str:
    return (
        '<section><h2>Tra cứu tình trạng hồ sơ</h2><form method="get" action="/tra-cuu">'
        '<label for="code">Mã hồ sơ</label>'
        f'<input id="code" name="code" value="{e(code)}" required autocomplete="off" '
        'placeholder="000.00.15.H38-251124-0007">'
        '<label for="id_number">Số CCCD/CMND của người nộp</label>'
        f'<input id="id_number" name="id_number" value="{e(id_number)}" required '
        'inputmode="numeric" autocomplete="off">'
        '<button type="submit">Tra cứu</button></form></section>')


def _download_form(code: str) -> str:
    # The ID number is asked again rather than echoed into the page.
    return (
        '<section><h2>Tải kết quả điện tử</h2>'
        f'<form method="get" action="/api/dossiers/{e(quote(code))}/result">'
        '<label for="result_id_number">Số CCCD/CMND của người nộp</label>'
        '<input id="result_id_number" name="id_number" required inputmode="numeric" '
        'autocomplete="off"><button type="submit">Tải kết quả (PDF, đã ký số)</button></form>'
        '</section>')


def _error(message: str) -> str:
    return f'<section class="error" role="alert"><p>{e(message)}</p></section>'


def _when(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else "—"


def _hours(hours: float | None) -> str:
    return "chưa xác định" if hours is None else f"{hours:g} giờ".replace(".", ",")


def _person(stage: str, actor: str | None) -> str:
    who = STAGE_NAMES.get(stage, stage)
    if actor and actor.startswith("officer:"):
        who += f" ({actor.removeprefix('officer:')})"
    return e(who)


def _sheet_row(row: SheetRowView, catalogue: Catalogue) -> str:
    agency = catalogue.agencies.get(row.agency or "")
    result = RESULT_NAMES.get(row.result or "", "—")
    kind = {"consultation": " (liên thông)", "postal": " (bưu chính)"}.get(row.kind, "")
    return (f"<tr><td>{row.step}</td><td>{e(STAGE_NAMES.get(row.stage, row.stage) + kind)}</td>"
            f"<td>{e(agency.name if agency else row.agency or '—')}</td>"
            f"<td>{_person(row.giver, row.giver_actor)}</td>"
            f"<td>{_person(row.receiver, row.receiver_actor)}</td>"
            f"<td>{_when(row.received_at)}</td><td>{_when(row.handed_on_at)}</td>"
            f"<td>{_hours(row.allotted_hours)}</td><td>{_hours(row.used_hours)}</td>"
            f'<td class="{e(row.result or "")}">{e(result)}</td></tr>')


def _dossier_html(view: DossierView, catalogue: Catalogue) -> str:
    procedure = catalogue.procedures.get(view.procedure_code)
    agency = catalogue.agencies.get(view.agency)
    verdict = RESULT_NAMES.get(view.verdict or "", "—")
    moved = (f"<dt>Hẹn ban đầu</dt><dd>{_when(view.rescheduled_from)}</dd>"
             if view.rescheduled_from else "")
    facts = (
        f"<dl><dt>Mã hồ sơ</dt><dd>{e(view.code)}</dd>"
        f"<dt>Thủ tục</dt><dd>{e(procedure.name if procedure else view.procedure_code)}</dd>"
        f"<dt>Cơ quan giải quyết</dt><dd>{e(agency.name if agency else view.agency)}</dd>"
        f"<dt>Ngày tiếp nhận</dt><dd>{_when(view.received_at)}</dd>"
        f"<dt>Trạng thái</dt><dd><strong>{e(view.status.name)}</strong></dd>"
        f"<dt>Hẹn trả kết quả</dt><dd>{_when(view.due_at)}</dd>{moved}"
        f'<dt>Tiến độ</dt><dd class="{e(view.verdict or "")}">{e(verdict)}</dd></dl>')
    header = ("<tr><th>Bước</th><th>Công đoạn</th><th>Cơ quan</th><th>Bên giao</th>"
              "<th>Bên nhận</th><th>Nhận lúc</th><th>Chuyển lúc</th><th>Thời gian quy định</th>"
              "<th>Thời gian thực hiện</th><th>Kết quả</th></tr>")
    rows = "".join(_sheet_row(row, catalogue) for row in view.control_sheet)
    timeline = "".join(
        f"<li><strong>{_when(item.at)}</strong> — {e(EVENT_NAMES.get(item.type, item.type))}"
        + (f"<br><small>{e(item.note)}</small>" if item.note else "") + "</li>"
        for item in view.timeline)
    return (f"<section><h2>Thông tin hồ sơ</h2>{facts}</section>"
            "<section><h2>Phiếu kiểm soát quá trình giải quyết hồ sơ</h2>"
            f'<div class="scroll"><table>{header}{rows}</table></div>'
            "<p><small>Thời gian tính theo giờ làm việc, không tính thời gian chờ công dân bổ "
            "sung hồ sơ hoặc nộp phí.</small></p></section>"
            f"<section><h2>Quá trình xử lý</h2><ol>{timeline}</ol></section>")
