"""The managers' pages (role `manager`): the agency's report for a period, the figures of form
II.06a (intake's report, `GET /api/reports`, for the manager's own agency: the workspace only
shows it, and offers its CSV), and the overdue list: every item past its due time and not done
at each stage of the agency (each stage's work queue, `overdue=true`, read with the manager's
role, which decides nothing), soonest due first, in Vietnam time, each linked to its item.

    GET /quan-ly/bao-cao?tu=&den=&theo=      the report (a period in Vietnam time)
    GET /quan-ly/bao-cao.csv?tu=&den=&theo=  the same as CSV
    GET /quan-ly/qua-han                     the overdue list"""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from motcua_runtime.officers import Officer
from motcua_workspace import words
from motcua_workspace.context import PageError, page
from motcua_workspace.pages import MANAGER, Who, WorkspaceDep, refused
from motcua_workspace.sessions import SignedIn
from motcua_workspace.upstream import Answer, Unreachable

router = APIRouter()
GROUPS = {"field": "Lĩnh vực", "procedure": "Thủ tục", "agency": "Cơ quan"}
GroupBy = Literal["field", "procedure", "agency"]


def manager_of(who: SignedIn) -> Officer:
    if MANAGER not in who.roles:
        raise PageError(403, "Không có quyền truy cập",
                        f"Trang này dành cho lãnh đạo, quản lý (vai trò {MANAGER}); tài khoản "
                        f"{who.user_name} không có vai trò đó.")
    return Officer(who.user_name, who.agency, MANAGER)


def report_params(tu: date | None, den: date | None, theo: str,
                  csv: bool = False) -> dict[str, str]:
    params = {"by": theo}
    if tu:
        params["from"] = tu.isoformat()
    if den:
        params["to"] = den.isoformat()
    if csv:
        params["format"] = "csv"
    return params


@router.get("/quan-ly")
async def managers_home(who: Who) -> Response:
    manager_of(who)
    return RedirectResponse("/quan-ly/bao-cao", status_code=303)


@router.get("/quan-ly/bao-cao")
async def report(request: Request, ws: WorkspaceDep, who: Who,
                 tu: Annotated[date | None, Query()] = None,
                 den: Annotated[date | None, Query()] = None,
                 theo: Annotated[GroupBy, Query()] = "field") -> Response:
    manager = manager_of(who)
    if tu and den and den < tu:
        return page(request, "report.html", status=422, who=who, report=None, groups=GROUPS,
                    filters={"tu": tu, "den": den, "theo": theo},
                    problem="Ngày kết thúc kỳ báo cáo không được trước ngày bắt đầu.")
    answer = await ws.upstream.report(manager, report_params(tu, den, theo))
    if answer.status_code >= 400:
        raise refused(Answer(answer.status_code, _json(answer)), "Bộ phận tiếp nhận")
    result = answer.json()
    return page(request, "report.html", who=who, report=result, groups=GROUPS,
                filters={"tu": result["from"], "den": result["to"], "theo": theo},
                agency_name=ws.agency_name(who.agency), problem=None,
                period=tuple(f"{date.fromisoformat(result[end]):%d/%m/%Y}"
                             for end in ("from", "to")),
                csv_query=_query(report_params(date.fromisoformat(result["from"]),
                                               date.fromisoformat(result["to"]), theo)))


@router.get("/quan-ly/bao-cao.csv")
async def report_csv(ws: WorkspaceDep, who: Who,
                     tu: Annotated[date | None, Query()] = None,
                     den: Annotated[date | None, Query()] = None,
                     theo: Annotated[GroupBy, Query()] = "field") -> Response:
    manager = manager_of(who)
    answer = await ws.upstream.report(manager, report_params(tu, den, theo, csv=True))
    if answer.status_code >= 400:
        raise refused(Answer(answer.status_code, _json(answer)), "Bộ phận tiếp nhận")
    return Response(answer.content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": answer.headers.get("content-disposition", "attachment"),
        "Cache-Control": "no-store"})


def overdue_by(now: datetime, due_at: str) -> str:
    """How long past due, in clock time: "2 ngày 3 giờ", "45 phút"."""
    late = now - datetime.fromisoformat(due_at)
    minutes = max(int(late.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} ngày {hours} giờ"
    return f"{hours} giờ {minutes} phút" if hours else f"{minutes} phút"


@router.get("/quan-ly/qua-han")
async def overdue(request: Request, ws: WorkspaceDep, who: Who) -> Response:
    manager = manager_of(who)
    now = ws.now()
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    counts: dict[str, int] = {}
    for stage in words.QUEUE_STAGES:
        try:
            answer = await ws.upstream.items(manager, "all", stage=stage, overdue=True)
        except Unreachable as error:
            problems.append(f"{words.label(words.STAGES, stage)}: {error}")
            continue
        if not answer.ok:
            problems.append(f"{words.label(words.STAGES, stage)}: "
                            f"{answer.message or f'HTTP {answer.status}'}")
            continue
        counts[stage] = len(answer.body)
        for item in answer.body:
            rows.append({**ws.queue_row(item), "stage": stage,
                         "late_by": overdue_by(now, item["due_at"])})
    rows.sort(key=lambda row: row["due_at"])
    return page(request, "overdue.html", who=who, rows=rows, counts=counts,
                problems=problems, now=now, agency_name=ws.agency_name(who.agency),
                active="managers")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({{"from": "tu", "to": "den", "by": "theo"}.get(k, k): v
                      for k, v in params.items()})
