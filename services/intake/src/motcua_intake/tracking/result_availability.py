"""Whether the applicant can download a dossier's signed result now and, if not, when and how
the result will reach them (in English and Vietnamese). Pure: read from intake's tracking view."""

from __future__ import annotations

from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Status
from motcua_intake.orm import Dossier

HANDED = {"counter": ("at the one-stop centre's counter", "tại quầy của Trung tâm"),
          "postal": ("by public postal service", "qua dịch vụ bưu chính công ích")}
NO_RESULT = {Status.REFUSED, Status.STOPPED}


def not_downloadable(dossier: Dossier) -> tuple[str, str] | None:
    """Why the result cannot be downloaded now (English, Vietnamese), or None if it can."""
    status = Status(dossier.status_code)
    channel = dossier.delivered_via or (dossier.delivery or {}).get("channel")
    if status in NO_RESULT:
        return ("this dossier ended without a result document (refused or stopped)",
                "Hồ sơ đã kết thúc mà không có văn bản kết quả (không được tiếp nhận hoặc dừng "
                "xử lý).")
    if channel != "online":
        english, vietnamese = HANDED.get(channel, (f"by {channel}", f"qua {channel}"))
        return (f"this dossier's result is handed over {english}, not online",
                f"Kết quả của hồ sơ này được trả {vietnamese}, không tải trực tuyến.")
    if status == Status.DELIVERED:
        if dossier.result_sha256:
            return None
        # Tracked before intake kept the result's hash: nothing to check a copy against.
        return ("this result was delivered before downloads were offered; the centre can give "
                "a copy", "Kết quả này được trả trước khi có chức năng tải về; xin liên hệ Trung "
                "tâm để nhận bản sao.")
    if status == Status.RESULT_READY:
        return ("the result is signed and being delivered online; it can be downloaded "
                "within minutes",
                "Kết quả đã được ký số và đang được trả trực tuyến; Ông/Bà có thể tải về sau ít "
                "phút.")
    when = dossier.due_at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if dossier.due_at \
        else None
    return ("the result can be downloaded once it is delivered online (status 10)"
            + (f"; the appointment is {when} (Vietnam time)" if when else ""),
            "Kết quả được tải về khi hồ sơ đã trả kết quả trực tuyến (trạng thái 10)"
            + (f"; thời gian hẹn trả kết quả: {when}." if when else "."))
