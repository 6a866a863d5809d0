"""What each event type is called in Vietnamese, for every page that shows a dossier's timeline
to a citizen or an officer (the lookup page, the officers' workspace). One name per type in
EVENT_TYPES: tests/contracts checks that none is missing, so a new event type cannot reach a
citizen's screen under its English class name."""

from __future__ import annotations

from typing import Final

EVENT_NAMES: Final[dict[str, str]] = {
    "DossierSubmitted": "Nộp hồ sơ",
    "DossierAccepted": "Tiếp nhận hồ sơ, hẹn trả kết quả",
    "DossierTakenOver": "Cơ quan giải quyết nhận hồ sơ, đang xử lý",
    "DossierRefused": "Từ chối tiếp nhận hồ sơ",
    "SupplementRequested": "Yêu cầu bổ sung hồ sơ",
    "SupplementProvided": "Đã bổ sung hồ sơ",
    "SupplementExpired": "Hết hạn bổ sung hồ sơ",
    "FeesRequested": "Yêu cầu nộp phí, lệ phí",
    "FeesPaid": "Đã nộp phí, lệ phí",
    "ConsultationRequested": "Lấy ý kiến cơ quan phối hợp (liên thông)",
    "ConsultationAnswered": "Cơ quan phối hợp trả lời",
    "DossierAppraised": "Thẩm định xong",
    "DossierReturned": "Trả lại để thẩm định lại",
    "DossierApproved": "Phê duyệt kết quả",
    "DossierDenied": "Không phê duyệt",
    "ResultSigned": "Ký số, đóng dấu kết quả",
    "ResultHandedToPost": "Chuyển kết quả cho bưu điện",
    "ResultPickedUpByPost": "Bưu điện nhận kết quả để chuyển phát",
    "ResultDelivered": "Đã trả kết quả",
    "DelayApologized": "Xin lỗi, hẹn lại ngày trả kết quả",
    "DossierOverdue": "Hồ sơ quá hạn",
    "WithdrawalRequested": "Đề nghị rút hồ sơ",
    "DossierStopped": "Dừng xử lý hồ sơ",
    "PersonalDataErased": "Xóa dữ liệu cá nhân theo quy định",
    "DossierRated": "Người nộp đánh giá mức độ hài lòng",
    "DeadLetterResolved": "Xử lý bản ghi lỗi trên kênh sự kiện",
    "DossierImported": "Chuyển từ hệ thống một cửa cũ sang",
}


def event_name(event_type: str) -> str:
    """The Vietnamese name; an unknown type (a newer producer's) by its own name."""
    return EVENT_NAMES.get(event_type, event_type)
