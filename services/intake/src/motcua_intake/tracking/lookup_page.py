"""The public lookup page /tra-cuu, rendered from the Jinja2 templates in tracking/templates
(autoescaped: every value a citizen or an officer typed is escaped by the engine, no HTML is
assembled by hand). In Vietnamese; the centre is named from configuration
(motcua_catalogue.centre); times are Vietnam time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from motcua_catalogue import Catalogue
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import Centre
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import STATUS_NAMES, Status
from motcua_contracts.imported import CODE_PATTERN
from motcua_contracts.labels import event_name
from motcua_documents import TITLES
from motcua_intake.orm import DossierForm
from motcua_intake.tracking.access import ID_NUMBER
from motcua_intake.tracking.views import DossierView

STAGE_NAMES = {"intake": "Tiếp nhận", "appraisal": "Thẩm định", "approval": "Phê duyệt",
               "signing": "Đóng dấu, ký số", "delivery": "Trả kết quả",
               "applicant": "Công dân (bổ sung hồ sơ, nộp phí)"}
RESULT_NAMES = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn",
                "in_progress": "Đang xử lý (trong hạn)"}
KIND_NAMES = {"consultation": " (liên thông)", "postal": " (bưu chính)"}
# The 9 indicators of the satisfaction survey (docs/domain.md), in the order the rating API
# takes their scores.
INDICATORS = (
    "Tổng thời gian giải quyết so với thời gian quy định",
    "Thời gian giải quyết tại từng cơ quan, đơn vị",
    "Số lần phải liên hệ với cơ quan để hoàn thiện hồ sơ",
    "Số cơ quan, đơn vị phải liên hệ",
    "Mọi việc được thực hiện tại Bộ phận Một cửa",
    "Thủ tục hành chính được công khai đầy đủ, chính xác",
    "Thái độ, tác phong của cán bộ, công chức",
    "Việc tiếp nhận, xử lý phản ánh, kiến nghị",
    "Theo dõi được tiến độ giải quyết trực tuyến",
)
SATISFACTION = (("very_satisfied", "Rất hài lòng"), ("satisfied", "Hài lòng"),
                ("not_satisfied", "Không hài lòng"))
_CODE = re.compile(r"^[0-9A-Za-z.]{3,24}-\d{6}-\d{4,6}$")
# A dossier imported from the system being replaced keeps its old code (motcua_intake.legacy).
_IMPORTED_CODE = re.compile(CODE_PATTERN)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else "—"


def _hours(hours: float | None) -> str:
    return "chưa xác định" if hours is None else f"{hours:g} giờ".replace(".", ",")


def _person(stage: str, actor: str | None) -> str:
    who = STAGE_NAMES.get(stage, stage)
    if actor and actor.startswith("officer:"):
        who += f" ({actor.removeprefix('officer:')})"
    return who


_ENV = Environment(loader=PackageLoader("motcua_intake.tracking", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
def _status_name(code: int | None) -> str:
    return STATUS_NAMES[Status(code)] if code in set(Status) else "—"


_ENV.filters.update(when=_when, hours=_hours, event_name=event_name, status_name=_status_name)


def form_title(form: str) -> str:
    """ "PHIẾU ..." as a sentence: "Phiếu ..." (the page's headings are not in capitals)."""
    return TITLES[form].capitalize()


@cache
def example_code() -> str:
    """A code of the shape this installation issues: its first agency's e-ID, a date, a
    counter (no province written here: each one's codes carry its own e-IDs)."""
    first = next(iter(default_catalogue().agencies.values()))
    return f"{first.electronic_id}-251124-0007"


def lookup_problem(code: str, id_number: str) -> str | None:
    if not code or not id_number:
        return "Vui lòng nhập đủ mã hồ sơ và số CCCD/CMND của người nộp hồ sơ."
    if not _CODE.match(code) and not (len(code) <= 40 and _IMPORTED_CODE.match(code)):
        return f"Mã hồ sơ không đúng định dạng (ví dụ: {example_code()})."
    if not re.match(ID_NUMBER, id_number):
        return "Số CCCD phải gồm 12 chữ số, số CMND gồm 9 chữ số."
    return None


def render(centre: Centre, title: str, *, status: int = 200, code: str = "",
           id_number: str = "", problem: str | None = None, notice: str | None = None,
           dossier: dict[str, Any] | None = None) -> HTMLResponse:
    """The page: the form alone, with a problem or a notice, or with `dossier` (dossier_part)."""
    html = _ENV.get_template("lookup.html").render(
        centre=centre, title=title, code=code, id_number=id_number, problem=problem,
        example_code=example_code(),
        notice=notice, **(dossier or {"view": None}))
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def dossier_part(view: DossierView, catalogue: Catalogue, *, downloadable: bool,
                 rating: str | None, forms: Sequence[DossierForm] = ()) -> dict[str, Any]:
    """What the template shows of a dossier. `rating`: "open" shows the rating form (delivered,
    not rated yet), "done" says it was rated, None shows nothing (not delivered). `forms`: the
    dossier's stored forms 01 to 05, each offered for download (docs/forms.md)."""
    procedure = catalogue.procedures.get(view.procedure_code)
    return {
        "view": view, "downloadable": downloadable, "rating": rating,
        "forms": [{"form": row.form, "title": form_title(row.form), "issued_at": row.issued_at}
                  for row in forms],
        "procedure_name": procedure.name if procedure else view.procedure_code,
        "agency_name": catalogue.agencies[view.agency].name
        if view.agency in catalogue.agencies else view.agency,
        "agency_names": {code: agency.name for code, agency in catalogue.agencies.items()},
        "stage_names": STAGE_NAMES, "result_names": RESULT_NAMES, "kinds": KIND_NAMES,
        "person": _person, "indicators": INDICATORS, "satisfaction": SATISFACTION}
