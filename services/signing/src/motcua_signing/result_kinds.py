"""What each procedure's result is called: a decision (quyết định), a licence (giấy phép) or a
certificate (giấy chứng nhận); a denial is always a refusal notice. The title belongs to the
procedure: the catalogue's `result_title` (KETQUATHUCHIEN in an export) wins; this table names
the results of catalogues that have none (the CSV form)."""

from __future__ import annotations

DECISION = "QUYẾT ĐỊNH"

TITLES: dict[str, str] = {
    "1.001193": "GIẤY KHAI SINH",
    "1.000894": "GIẤY CHỨNG NHẬN KẾT HÔN",
    "2.000488": "PHIẾU LÝ LỊCH TƯ PHÁP",
    "2.001610": "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
    "2.000720": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
    "1.009972": "GIẤY PHÉP XÂY DỰNG (GIA HẠN)",
    "1.009975": "GIẤY PHÉP XÂY DỰNG",
    "1.012760": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
    "1.012790": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
    "1.004194": "XÁC NHẬN ĐĂNG KÝ TẠM TRÚ",
    "1.002809": "GIẤY PHÉP LÁI XE",
    "1.000105": "GIẤY PHÉP LAO ĐỘNG",
    "1.008026": "XÁC NHẬN ĐĂNG KÝ THẾ CHẤP",
}


def title_for(procedure_code: str, outcome: str, catalogue_title: str = "") -> tuple[str, str]:
    """(title, subtitle) of the result document: the catalogue's name of the result when it
    has one (KETQUATHUCHIEN), else this table's."""
    if outcome == "denied":
        return "THÔNG BÁO", "Về việc từ chối giải quyết hồ sơ"
    title = catalogue_title.upper() if catalogue_title else TITLES.get(procedure_code, DECISION)
    return title, "Về việc giải quyết thủ tục hành chính"
