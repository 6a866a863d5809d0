"""CPU per form 01 to 05 (docs/performance.md): `python -m motcua_documents.bench [N]`.

Each form is drawn for N + 20 distinct dossiers (their own code, applicant, times and reason,
so nothing comes from the paragraph cache that a real dossier would miss); the first 20 are
the warm-up, the CPU time (time.process_time) of the other N is divided by N."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone

from motcua_catalogue.centre import centre_from_env
from motcua_documents import forms
from motcua_documents.page import lookup_url

_VN = timezone(timedelta(hours=7))
_WARM_UP = 20
_DOCUMENTS = ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "Bản chụp Căn cước công dân"]


def sample(form: str, n: int) -> forms.FormFacts:
    """The facts of form `form` for the n-th sample dossier."""
    centre = centre_from_env()  # the names of the installation's own province (MOTCUA_*)
    code = f"000.00.15.BENCH-260429-{n:04d}"
    agency = f"Sở Tư pháp tỉnh {centre.province}"
    at = datetime(2026, 4, 29, 9, 5, tzinfo=_VN) + timedelta(minutes=7 * n)
    common = dict(issuer=centre.name, place=centre.province,
                  dossier_code=code, applicant_name=f"Nguyễn Thị Hường {n}",
                  procedure_code="2.000488",
                  procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                  issued_at=at, lookup_url=lookup_url("https://dichvucong.example.gov.vn", code))
    later = at + timedelta(days=9)
    own: dict[str, dict[str, object]] = {
        "01": dict(received_at=at, due_at=later, documents=_DOCUMENTS, delivery_channel="online"),
        "02": dict(requested_by=agency, reason=f"Thiếu bản chụp giấy tờ tùy thân ({n}).",
                   missing_documents=_DOCUMENTS, respond_by=at + timedelta(days=5)),
        "03": dict(received_at=at, reason=f"Hồ sơ không thuộc thẩm quyền giải quyết ({n})."),
        "04": dict(agency_name=agency, reason=f"Cần xác minh thêm ({n}).",
                   previous_due_at=later, new_due_at=later + timedelta(days=5)),
        "05": dict(received_at=at, reason=f"Người nộp hồ sơ đề nghị rút hồ sơ ({n}).")}
    model, _ = forms.FORMS[form]
    return model.model_validate(common | own[form])


def cpu_per_form(form: str, count: int) -> float:
    """Seconds of CPU per form `form`, over `count` forms after the warm-up."""
    _, draw = forms.FORMS[form]
    samples = [sample(form, n) for n in range(count + _WARM_UP)]
    for facts in samples[:_WARM_UP]:
        draw(facts)
    start = time.process_time()
    for facts in samples[_WARM_UP:]:
        draw(facts)
    return (time.process_time() - start) / count


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 200
    for form in forms.FORMS:
        print(f"form {form}: {cpu_per_form(form, count) * 1000:.2f} ms of CPU per form")


if __name__ == "__main__":
    main(sys.argv[1:])
