"""The public lookup page /tra-cuu: plain HTML in Vietnamese, every value escaped, around the
template tracking/templates/lookup.html."""

import html
import re
from datetime import datetime
from importlib import resources
from string import Template
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from motcua_catalogue import Catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_intake.tracking.access import ID_NUMBER
from motcua_intake.tracking.views import DossierView, SheetRowView

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
_TEMPLATE = Template((resources.files("motcua_intake.tracking") / "templates" / "lookup.html")
                     .read_text(encoding="utf-8"))
e = html.escape


def lookup_problem(code: str, id_number: str) -> str | None:
    if not code or not id_number:
        return "Vui lòng nhập đủ mã hồ sơ và số CCCD/CMND của người nộp hồ sơ."
    if not _CODE.match(code):
        return "Mã hồ sơ không đúng định dạng (ví dụ: 000.00.15.H38-251124-0007)."
    if not re.match(ID_NUMBER, id_number):
        return "Số CCCD phải gồm 12 chữ số, số CMND gồm 9 chữ số."
    return None


def html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_TEMPLATE.substitute(title=e(title), body=body), status_code=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def lookup_form(code: str, id_number: str) -> str:
    return (
        '<section><h2>Tra cứu tình trạng hồ sơ</h2><form method="get" action="/tra-cuu">'
        '<label for="code">Mã hồ sơ</label>'
        f'<input id="code" name="code" value="{e(code)}" required autocomplete="off" '
        'placeholder="000.00.15.H38-251124-0007">'
        '<label for="id_number">Số CCCD/CMND của người nộp</label>'
        f'<input id="id_number" name="id_number" value="{e(id_number)}" required '
        'inputmode="numeric" autocomplete="off">'
        '<button type="submit">Tra cứu</button></form></section>')


def download_form(code: str) -> str:
    # The ID number is asked again rather than echoed into the page.
    return (
        '<section><h2>Tải kết quả điện tử</h2>'
        f'<form method="get" action="/api/dossiers/{e(quote(code))}/result">'
        '<label for="result_id_number">Số CCCD/CMND của người nộp</label>'
        '<input id="result_id_number" name="id_number" required inputmode="numeric" '
        'autocomplete="off"><button type="submit">Tải kết quả (PDF, đã ký số)</button></form>'
        '</section>')


def error_section(message: str) -> str:
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


def dossier_html(view: DossierView, catalogue: Catalogue) -> str:
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
