"""The e-mails an applicant receives, in Vietnamese, one function per moment of the dossier:
acceptance (form 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả), supplement request (form 02,
Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ), apology and new appointment (form 04, Văn bản xin lỗi
và hẹn lại ngày trả kết quả), result ready, result delivered. Plain text: every mail client shows
it, and the printed forms remain the official documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from motcua_catalogue.centre import Centre

Kind = Literal["acceptance", "supplement_request", "apology", "result_ready", "delivered"]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CENTRE = Centre().name  # the default; a deployment names its own (motcua_catalogue.centre)
CHANNELS = {"counter": "nhận trực tiếp tại Trung tâm",
            "postal": "qua dịch vụ bưu chính công ích",
            "online": "trực tuyến"}


@dataclass(frozen=True)
class Message:
    kind: Kind
    subject: str
    body: str


@dataclass(frozen=True)
class Dossier:
    """What every notice names: the dossier, who filed it, for what, and where to follow it."""

    code: str
    applicant_name: str
    procedure_name: str
    lookup_url: str
    centre: str = CENTRE  # who writes: the centre, as the installation is configured


def _when(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return f"{local:%H} giờ {local:%M} ngày {local:%d/%m/%Y}"


def _letter(dossier: Dossier, kind: Kind, subject: str, *paragraphs: str) -> Message:
    body = "\n\n".join([
        f"Kính gửi Ông/Bà {dossier.applicant_name},",
        *paragraphs,
        f"Mã hồ sơ: {dossier.code}\nThủ tục: {dossier.procedure_name}\n"
        f"Tra cứu tình trạng hồ sơ: {dossier.lookup_url}",
        f"Trân trọng,\n{dossier.centre}",
        "(Thư gửi tự động, xin không trả lời thư này.)",
    ])
    return Message(kind, f"[{dossier.code}] {subject}", body + "\n")


def acceptance(dossier: Dossier, *, received_at: datetime, due_at: datetime | None) -> Message:
    appointment = (f"Thời gian hẹn trả kết quả: {_when(due_at)}." if due_at
                   else "Kết quả được trả ngay trong ngày.")
    return _letter(
        dossier, "acceptance", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu số 01)",
        f"{dossier.centre} đã tiếp nhận hồ sơ của Ông/Bà lúc {_when(received_at)}. {appointment}",
        "Ông/Bà có thể theo dõi quá trình giải quyết hồ sơ bằng mã hồ sơ dưới đây.")


def supplement_request(dossier: Dossier, *, reason: str, missing_documents: list[str],
                       respond_by: datetime) -> Message:
    missing = "".join(f"\n  - {name}" for name in missing_documents)
    return _letter(
        dossier, "supplement_request", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu số 02)",
        f"Hồ sơ của Ông/Bà cần được bổ sung, hoàn thiện. Nội dung: {reason}"
        + (f"\nGiấy tờ cần bổ sung:{missing}" if missing else ""),
        f"Đề nghị Ông/Bà bổ sung trước {_when(respond_by)}. Quá thời hạn này, hồ sơ sẽ bị từ "
        "chối giải quyết. Cơ quan chỉ yêu cầu bổ sung một lần.")


def apology(dossier: Dossier, *, agency_name: str, reason: str, previous_due_at: datetime,
            new_due_at: datetime) -> Message:
    return _letter(
        dossier, "apology", "Văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu số 04)",
        f"{agency_name} chân thành xin lỗi Ông/Bà vì hồ sơ chưa được giải quyết đúng hẹn "
        f"({_when(previous_due_at)}). Lý do: {reason}",
        f"Thời gian hẹn trả kết quả mới: {_when(new_due_at)}.")


def result_ready(dossier: Dossier, *, outcome: Literal["approved", "denied"],
                 result_number: str, channel: Literal["counter", "postal", "online"],
                 download_url: str | None = None) -> Message:
    what = ("Hồ sơ của Ông/Bà đã được giải quyết" if outcome == "approved"
            else "Cơ quan có thẩm quyền đã ban hành thông báo từ chối giải quyết hồ sơ")
    how = {
        "counter": "Mời Ông/Bà đến Trung tâm nhận kết quả, mang theo giấy tờ tùy thân.",
        "postal": "Kết quả sẽ được gửi đến Ông/Bà qua dịch vụ bưu chính công ích.",
        "online": "Ông/Bà tải kết quả điện tử (đã ký số) tại: "
                  + (download_url or dossier.lookup_url),
    }[channel]
    return _letter(dossier, "result_ready", "Đã có kết quả giải quyết hồ sơ",
                   f"{what}. Số, ký hiệu văn bản: {result_number}.", how)


def delivered(dossier: Dossier, *, channel: Literal["counter", "postal", "online"],
              delivered_at: datetime, on_time: bool,
              tracking_number: str | None = None) -> Message:
    timing = "đúng hẹn" if on_time else "trễ hẹn; Trung tâm thành thật xin lỗi Ông/Bà"
    how = {
        # Online, "delivered" means the signed file is there to download (with the ID number).
        "online": "Bản điện tử có chữ ký số của kết quả đã sẵn sàng: Ông/Bà tải về tại địa chỉ "
                  "tra cứu dưới đây, bằng mã hồ sơ và số định danh cá nhân.",
        "postal": f"Số hiệu bưu gửi: {tracking_number}." if tracking_number else None,
    }.get(channel)
    return _letter(
        dossier, "delivered", "Đã trả kết quả giải quyết hồ sơ",
        f"Kết quả đã được trả cho Ông/Bà ({CHANNELS[channel]}) lúc {_when(delivered_at)}, "
        f"{timing}.",
        *([how] if how else []),
        "Mời Ông/Bà đánh giá mức độ hài lòng về việc giải quyết hồ sơ tại địa chỉ tra cứu.")
