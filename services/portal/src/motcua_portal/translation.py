"""Our words in the portal's: the one table from our statuses to the portal's `TrangThaiHoSo`,
the channels to `KenhThucHien`, each event to the progress row's `NoiDungXuLy`, and dates as
`yyyyMMddHHmmss` in Vietnam time. Pure: the handlers build the portal's payloads with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from motcua_contracts import Status

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# The lifecycle's codes were taken from the national list (docs/domain.md), so today this is the
# identity; it is spelled out so that the portal's meaning of each code is read in one place.
# Not followed: the 2025 Thanh Hóa client's habit of reporting 5, 6 and 8 as 9 (a quirk).
PORTAL_STATUS: dict[Status, int] = {
    Status.SUBMITTED: 1,  # Mới đăng ký
    Status.ACCEPTED: 2,  # Được tiếp nhận
    Status.REFUSED: 3,  # Không được tiếp nhận
    Status.IN_PROGRESS: 4,  # Đang xử lý
    Status.SUPPLEMENT_REQUESTED: 5,  # Yêu cầu bổ sung giấy tờ
    Status.AWAITING_FEES: 6,  # Yêu cầu thực hiện nghĩa vụ tài chính
    Status.WITHDRAWAL_REQUESTED: 7,  # Công dân yêu cầu rút hồ sơ
    Status.STOPPED: 8,  # Dừng xử lý
    Status.RESULT_READY: 9,  # Đã xử lý xong
    Status.DELIVERED: 10,  # Đã trả kết quả
}

# KenhThucHien: how the dossier was filed (1 at the counter, 2 online, 3 by post).
PORTAL_CHANNEL: dict[str, int] = {"counter": 1, "online": 2, "postal": 3}

# NoiDungXuLy of the progress row each event adds; events not listed add none.
PROGRESS_NOTES: dict[str, str] = {
    "DossierSubmitted": "Nộp hồ sơ",
    "DossierAccepted": "Tiếp nhận hồ sơ",
    "DossierTakenOver": "Cơ quan giải quyết nhận hồ sơ",
    "DossierRefused": "Từ chối tiếp nhận hồ sơ",
    "SupplementRequested": "Yêu cầu bổ sung hồ sơ",
    "SupplementProvided": "Công dân bổ sung hồ sơ",
    "SupplementExpired": "Hết hạn bổ sung hồ sơ",
    "FeesRequested": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "FeesPaid": "Công dân thực hiện nghĩa vụ tài chính",
    "ConsultationRequested": "Gửi lấy ý kiến cơ quan phối hợp",
    "ConsultationAnswered": "Cơ quan phối hợp trả lời",
    "DossierAppraised": "Thẩm định hồ sơ",
    "DossierReturned": "Trả lại để thẩm định lại",
    "DossierApproved": "Phê duyệt kết quả",
    "DossierDenied": "Từ chối giải quyết",
    "ResultSigned": "Ký số kết quả",
    "ResultHandedToPost": "Chuyển kết quả cho bưu chính",
    "ResultPickedUpByPost": "Bưu chính nhận kết quả",
    "ResultDelivered": "Trả kết quả",
    "DelayApologized": "Xin lỗi và hẹn lại ngày trả kết quả",
    "DossierOverdue": "Hồ sơ quá hạn",
    "WithdrawalRequested": "Công dân yêu cầu rút hồ sơ",
    "DossierStopped": "Dừng xử lý hồ sơ",
}

AUTOMATIC = "Hệ thống"  # NguoiXuLy when no officer acted (actor `auto`)


def portal_time(at: datetime | None) -> str:
    """`yyyyMMddHHmmss` in Vietnam time; an empty string for no time, as the portal takes it."""
    if at is None:
        return ""
    if at.tzinfo is None:
        raise ValueError(f"{at!r} has no offset: the portal's times are Vietnam time")
    return at.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def portal_status(status: Status) -> int:
    return PORTAL_STATUS[status]


def who(actor: str) -> str:
    return AUTOMATIC if actor == "auto" else actor
