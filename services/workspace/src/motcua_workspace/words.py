"""What the pages call things, in Vietnamese, and how they show a time: always in Vietnam time
(Asia/Ho_Chi_Minh, UTC+7, no daylight saving), and the pages say so."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from motcua_contracts.labels import EVENT_NAMES

try:
    VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # no tz database on the host: Vietnam has kept +07:00 since 1975
    VIETNAM = timezone(timedelta(hours=7), "ICT")  # type: ignore[assignment]

TIME_NOTE = "Giờ Việt Nam (UTC+7)"

STAGES = {"intake": "Tiếp nhận", "appraisal": "Thẩm định", "approval": "Phê duyệt",
          "signing": "Ký số, đóng dấu", "delivery": "Trả kết quả", "admin": "Quản trị",
          "manager": "Lãnh đạo, quản lý", "auditor": "Kiểm toán"}
# The desk's queue is intake's own work queue (motcua_intake.desk_queue).
QUEUE_STAGES = ("intake", "appraisal", "approval", "signing", "delivery")

STATES = {"open": "Đang chờ xử lý", "waiting": "Đang chờ phản hồi", "done": "Đã xử lý",
          "all": "Tất cả"}
KINDS = {"dossier": "Hồ sơ", "consultation": "Xin ý kiến", "withdrawal": "Rút hồ sơ",
         "counter": "Trả tại quầy", "postal": "Bưu chính", "online": "Trực tuyến"}
WAITING_FOR = {"supplement": "bổ sung hồ sơ", "fees": "nộp phí", "consultation": "ý kiến "
               "cơ quan phối hợp", "post": "bưu điện"}

DECISIONS = {
    "recommend": "Trình kết quả thẩm định", "request-supplement": "Yêu cầu bổ sung hồ sơ",
    "request-fees": "Yêu cầu nộp phí, lệ phí", "consult": "Xin ý kiến cơ quan phối hợp",
    "answer": "Trả lời xin ý kiến", "confirm-withdrawal": "Xác nhận rút hồ sơ",
    "apologize": "Xin lỗi, hẹn lại ngày trả kết quả", "approve": "Phê duyệt",
    "deny": "Không phê duyệt", "return": "Trả lại để thẩm định lại",
    "sign": "Ký số, đóng dấu kết quả", "hand-over": "Trao kết quả tại quầy",
    "hand-to-post": "Chuyển bưu điện", "pick-up": "Bưu điện nhận", "deliver": "Đã phát",
}

FIELDS = {
    "recommendation": "Đề xuất", "findings": "Kết quả thẩm định, căn cứ",
    "reason": "Lý do", "missing_documents": "Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)",
    "respond_within_days": "Thời hạn bổ sung (ngày làm việc)", "amount": "Số tiền (đồng)",
    "agencies": "Cơ quan được xin ý kiến (mã, mỗi dòng một cơ quan)", "question": "Nội dung "
    "xin ý kiến", "agrees": "Thống nhất", "answer": "Nội dung trả lời",
    "new_due_at": "Ngày hẹn trả mới", "decision": "Nội dung quyết định",
    "receiver_name": "Họ tên người nhận", "relation": "Người nhận là",
    "identity_checked": "Đã kiểm tra giấy tờ tùy thân", "authorisation": "Giấy ủy quyền",
    "note": "Ghi chú", "tracking_number": "Số hiệu bưu gửi (S10)",
    "delivered_at": "Thời điểm phát", "recipient": "Người ký nhận",
}

CHOICES = {"approve": "Đồng ý giải quyết", "deny": "Không đồng ý giải quyết",
           "self": "Chính người nộp hồ sơ", "authorised": "Người được ủy quyền"}

OUTCOMES = {"recommended": "Đã trình", "approved": "Đã phê duyệt", "denied": "Không phê duyệt",
            "returned": "Đã trả lại", "signed": "Đã ký", "delivered": "Đã trả kết quả"}


def local(moment: datetime | str | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VIETNAM)


def shown(moment: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time; empty for none."""
    at = local(moment)
    return at.strftime("%d/%m/%Y %H:%M") if at else ""


def label(table: dict[str, str], key: str | None) -> str:
    return table.get(key or "", key or "")

CONTEXT = {"recommendation": "Đề xuất của bộ phận thẩm định", "findings": "Kết quả thẩm định",
           "reason": "Lý do", "lead_agency": "Cơ quan chủ trì", "question": "Nội dung xin ý kiến",
           "consulted": "Đã xin ý kiến", "outcome": "Kết quả", "body": "Nội dung kết quả",
           "result_number": "Số kết quả", "ready_at": "Kết quả sẵn sàng lúc",
           "address": "Địa chỉ nhận", "tracking_number": "Số hiệu bưu gửi",
           "picked_up_at": "Bưu điện nhận lúc", "competent_agency": "Cơ quan giải quyết",
           "channel": "Hình thức nhận kết quả", "draft": "Dự thảo kết quả"}
HIDDEN_CONTEXT = ("trace_parent", "checked_at", "waited_since")

APPLICANT = {"full_name": "Họ và tên", "id_number": "Số định danh cá nhân",
             "phone": "Điện thoại", "email": "Thư điện tử", "address": "Địa chỉ"}
CHANNELS = {"online": "Trực tuyến", "counter": "Tại quầy", "postal": "Qua bưu chính"}


def due_class(due_at: str | None, state: str, now: datetime, soon: timedelta) -> str:
    """How a due time is marked: `overdue` (red), `due-soon` (amber), or nothing."""
    due = local(due_at)
    if due is None or state == "done":
        return ""
    if due < now:
        return "overdue"
    return "due-soon" if due - now <= soon else ""


def folded(text: str) -> str:
    """For the search box: case and Vietnamese accents ignored (đ as d)."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))

APPLICANT["delivery_address"] = "Địa chỉ nhận kết quả qua bưu chính"
SUPPLEMENTS = {"requested": "Yêu cầu bổ sung", "provided": "Công dân đã bổ sung",
               "expired": "Quá hạn bổ sung"}
EVENTS = EVENT_NAMES  # the same names the citizens' lookup page shows

# The desk (intake at the centre).
DECISIONS = {"accept": "Tiếp nhận hồ sơ (đủ thành phần)", **DECISIONS,
             "refuse": "Từ chối tiếp nhận hồ sơ"}
OUTCOMES |= {"accepted": "Đã tiếp nhận", "refused": "Đã từ chối tiếp nhận"}
CONTEXT["missing_documents"] = "Giấy tờ còn thiếu (đối chiếu theo tên giấy tờ)"
# The procedures' form fields (the catalogue's `required_data`), as the desk's form labels them.
DATA_FIELDS = {
    "area_m2": "Diện tích (m²)", "business_name": "Tên hộ kinh doanh, doanh nghiệp",
    "child_name": "Họ tên người được khai sinh", "creditor": "Bên nhận thế chấp",
    "date_of_birth": "Ngày sinh", "employer": "Người sử dụng lao động",
    "floor_area_m2": "Diện tích sàn xây dựng (m²)", "land_parcel_id": "Số thửa, tờ bản đồ",
    "licence_number": "Số giấy phép lái xe", "partner_name": "Họ tên người kết hôn cùng",
    "passport_number": "Số hộ chiếu", "permit_number": "Số giấy phép xây dựng",
    "purpose": "Mục đích", "registered_capital": "Vốn đầu tư (đồng)",
    "supply_address": "Địa chỉ sử dụng", "temporary_address": "Địa chỉ tạm trú",
    "worker_name": "Họ tên người lao động",
}
DELIVERY = {"counter": "Nhận tại bộ phận một cửa", "postal": "Qua dịch vụ bưu chính công ích",
            "online": "Nhận bản điện tử trực tuyến"}
FORMS = {"01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)",
         "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)",
         "03": "Phiếu từ chối tiếp nhận, giải quyết hồ sơ (Mẫu 03)",
         "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)",
         "05": "Phiếu dừng giải quyết hồ sơ (Mẫu 05)"}
