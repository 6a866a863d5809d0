"""What the portal is told, built from our events: the dossier record of `DongBoHoSoMC` (opened
by the submission, then kept current by each event) and the progress row of
`CapNhatTienDoHoSoMC` each event adds. Pure; no personal data (the applicant travels sealed
and this service holds no key to open it)."""

from __future__ import annotations

from typing import Any

from motcua_contracts import Event, Status
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_portal.translation import (
    PORTAL_CHANNEL,
    PROGRESS_NOTES,
    portal_status,
    portal_time,
    who,
)

Record = dict[str, Any]
ProgressRow = dict[str, str]
# The events after which the processing is over (NgayKetThucXuLy).
ENDING = frozenset({"DossierRefused", "DossierStopped", "ResultSigned"})


def opened_record(event: DossierSubmitted | DossierImported) -> Record:
    """The record a submission opens, before the submission's status is folded into it. A
    dossier imported from the system being replaced opens its record with the code and dates
    the old system gave it (the portal answers "already exists" for one that system synced,
    and the create becomes an update); its old steps were that system's to report."""
    documents = event.documents if isinstance(event, DossierSubmitted) else []
    ended = event.ended_at if isinstance(event, DossierImported) else None
    return {
        "MaHoSo": event.code,
        "MaTTHC": event.procedure_code,
        "TrangThaiHoSo": "",
        "NgayTiepNhan": portal_time(event.received_at),
        "NgayHenTra": "",
        "NgayKetThucXuLy": portal_time(ended) if ended else "",
        "NgayTra": "",
        "DonViXuLy": event.agency,
        "KenhThucHien": str(PORTAL_CHANNEL[event.channel]),
        "TaiLieuNop": [{"TenTepDinhKem": d.name, "MaHash": d.sha256} for d in documents],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
        # Every document is a stored file (motcua_files): the components are digitised.
        "HoSoCoThanhPhanSoHoa": "1" if documents else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocThanhToanTrucTuyen": "0",
    }


def folded_record(record: Record, event: Event, status: Status, agency: str | None) -> Record:
    """The record after `event` left the dossier at `status` (the competent agency `agency`
    once accepted). A new dict: the caller compares it with the old one."""
    new = {**record, "TrangThaiHoSo": str(portal_status(status))}
    if agency:
        new["DonViXuLy"] = agency
    facts = getattr(event, "dossier", None)
    if isinstance(facts, DossierFacts) and facts.due_at is not None:
        new["NgayHenTra"] = portal_time(facts.due_at)
    new_due = getattr(event, "new_due_at", None)  # an apology (form 04) sets a new appointment
    if event.type == "DelayApologized" and new_due is not None:
        new["NgayHenTra"] = portal_time(new_due)
    if event.type == "SupplementProvided":
        new["DanhSachHoSoBoSung"] = [*record["DanhSachHoSoBoSung"], {
            "NgayBoSung": portal_time(event.occurred_at),
            "TaiLieuBoSung": [d.name for d in getattr(event, "documents", [])]}]
    if event.type == "ResultSigned":
        new["DanhSachGiayToKetQua"] = [*record["DanhSachGiayToKetQua"], {
            "SoKyHieu": getattr(event, "result_number", ""),
            "KetQua": "Phê duyệt" if getattr(event, "outcome", "") == "approved" else "Từ chối",
            "NgayKy": portal_time(getattr(event, "signed_at", event.occurred_at))}]
    if event.type in ENDING or status in (Status.REFUSED, Status.STOPPED):
        # An expired supplement after acceptance ends the dossier too (status 8).
        new["NgayKetThucXuLy"] = portal_time(event.occurred_at)
    if event.type == "ResultDelivered":
        new["NgayTra"] = portal_time(getattr(event, "delivered_at", event.occurred_at))
    return new


def progress_row(code: str, event: Event, status: Status, holder: str | None) -> ProgressRow | None:
    """The progress row `event` adds, or None for one that adds none (neutral events)."""
    note = PROGRESS_NOTES.get(event.type)
    if note is None:
        return None
    facts = getattr(event, "dossier", None)
    step_due = facts.step_due_at.get(holder or "") if isinstance(facts, DossierFacts) else None
    return {
        "MaHoSo": code,
        "NguoiXuLy": who(event.actor),
        "ChucDanh": "",
        "ThoiDiemXuLy": portal_time(event.occurred_at),
        "PhongBanXuLy": event.producer.agency or event.agency,
        "NoiDungXuLy": note,
        "TrangThai": str(portal_status(status)),
        "NgayBatDau": portal_time(event.occurred_at),
        "NgayKetThucTheoQuyDinh": portal_time(step_due),
    }
