"""The national status codes and the order in which a dossier's events may happen.

Every provincial system reports the same ten codes (DOMAIN.md); the stages map onto them:
intake = 1/2/3, appraisal-approval-signing = 4, delivery = 9 then 10."""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    SUBMITTED = 1  # Mới đăng ký
    ACCEPTED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    IN_PROGRESS = 4  # Đang xử lý
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ
    AWAITING_FEES = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWAL_REQUESTED = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    RESULT_READY = 9  # Đã xử lý xong
    DELIVERED = 10  # Đã trả kết quả


STATUS_NAMES: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.ACCEPTED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.IN_PROGRESS: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.AWAITING_FEES: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWAL_REQUESTED: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESULT_READY: "Đã xử lý xong",
    Status.DELIVERED: "Đã trả kết quả",
}

# For each event type: the status it puts the dossier in, and the stage that holds the dossier
# afterwards (None once nothing more will happen).
STATUS_AFTER: dict[str, tuple[Status, str | None]] = {
    "DossierSubmitted": (Status.SUBMITTED, "intake"),
    "DossierAccepted": (Status.ACCEPTED, "appraisal"),
    "DossierRefused": (Status.REFUSED, None),
    "DossierAppraised": (Status.IN_PROGRESS, "approval"),
    "DossierApproved": (Status.IN_PROGRESS, "signing"),
    "DossierDenied": (Status.IN_PROGRESS, "signing"),
    "ResultSigned": (Status.RESULT_READY, "delivery"),
    "ResultDelivered": (Status.DELIVERED, None),
}

# Which event may follow which, for one dossier. None stands for "no event yet".
ALLOWED_AFTER: dict[str | None, frozenset[str]] = {
    None: frozenset({"DossierSubmitted"}),
    "DossierSubmitted": frozenset({"DossierAccepted", "DossierRefused"}),
    "DossierAccepted": frozenset({"DossierAppraised"}),
    "DossierAppraised": frozenset({"DossierApproved", "DossierDenied"}),
    "DossierApproved": frozenset({"ResultSigned"}),
    "DossierDenied": frozenset({"ResultSigned"}),
    "ResultSigned": frozenset({"ResultDelivered"}),
    "DossierRefused": frozenset(),
    "ResultDelivered": frozenset(),
}


class IllegalTransition(ValueError):
    """An event that cannot follow the dossier's last event: stale, out of order or forged."""


def check_transition(last_event_type: str | None, next_event_type: str) -> None:
    allowed = ALLOWED_AFTER.get(last_event_type, frozenset())
    if next_event_type not in allowed:
        after = last_event_type or "nothing"
        raise IllegalTransition(
            f"{next_event_type} cannot follow {after}; expected one of {sorted(allowed) or 'none'}"
        )
