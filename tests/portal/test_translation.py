"""The portal sync's translation and payloads, called directly: our statuses in the portal's
codes (one table), dates as yyyyMMddHHmmss in Vietnam time, the record a journey leaves on the
portal and the progress row each event adds, queued in order per dossier."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from motcua_contracts import DOSSIER_TOPIC, IllegalTransition, Status, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted, DossierSubmitted
from motcua_contracts.shared import DelayApologized
from motcua_contracts.signing import ResultSigned
from motcua_portal.handlers import on_event
from motcua_portal.orm import PROGRESS, RECORD, SyncedDossier
from motcua_portal.translation import PORTAL_STATUS, portal_time
from motcua_runtime.stage import Emitter, Rejected
from tests.fakes import by, event

UTC = timezone.utc
RECEIVED = datetime(2025, 11, 24, 1, 30, 5, tzinfo=UTC)  # 08:30:05 in Hà Nội
CODE = "000.00.15.H38-251124-0003"


def submission(code: str = CODE) -> DossierSubmitted:
    return new_event(
        DossierSubmitted, dossier_id=uuid7(), agency="STP", producer=by("intake", "STP"),
        occurred_at=RECEIVED, code=code, procedure_code="2.000488", channel="online",
        applicant={"full_name": "Trần Thị Bình", "id_number": "010203004567",
                   "phone": "0912345678", "address": "Lào Cai"},
        documents=[{"name": "Tờ khai", "sha256": "ab" * 32, "size": 10}],
        delivery={"channel": "counter"}, data={}, received_at=RECEIVED)


def facts(due: datetime) -> DossierFacts:
    return DossierFacts(code=CODE, procedure_code="2.000488", applicant_name="Trần Thị Bình",
                        received_at=RECEIVED, due_at=due, delivery_channel="counter",
                        step_due_at={"appraisal": RECEIVED + timedelta(days=3)})


class FakeDossiers:
    """motcua_portal.handlers.Dossiers in memory: the rows and the calls queued."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, SyncedDossier] = {}
        self.calls: list[tuple[str, int, dict]] = []

    def get(self, dossier_id):
        return self.rows.get(dossier_id)

    def add(self, row) -> None:
        self.rows[row.dossier_id] = row

    def queue(self, row, kind, status, payload, event) -> None:
        assert row.next_seq == len(self.calls)
        self.calls.append((kind, status, payload))
        row.next_seq += 1


def test_every_status_has_its_portal_code_and_times_are_vietnam_time():
    assert {int(status) for status in PORTAL_STATUS} == set(range(1, 11))
    assert set(PORTAL_STATUS) == set(Status)
    assert portal_time(RECEIVED) == "20251124083005"
    assert portal_time(datetime(2025, 12, 31, 20, 0, tzinfo=UTC)) == "20260101030000"
    assert portal_time(None) == ""
    with pytest.raises(ValueError, match="no offset"):
        portal_time(datetime(2025, 1, 1))


def journey(code: str = CODE) -> list:
    submitted = submission(code)
    due = RECEIVED + timedelta(days=10)
    accepted = event(DossierAccepted, producer=by("intake", "STP"), cause=submitted,
                     at=RECEIVED + timedelta(minutes=5), dossier=facts(due))
    moved = due + timedelta(days=2)  # every hand-off after the apology carries it
    apology = event(DelayApologized, producer=by("appraisal", "STP"), cause=accepted,
                    at=RECEIVED + timedelta(days=1), actor="chuyen.vien",
                    reason="Cần xác minh", previous_due_at=due,
                    new_due_at=moved, stage="appraisal")
    appraised = event(DossierAppraised, producer=by("appraisal", "STP"), cause=apology,
                      at=RECEIVED + timedelta(days=2), dossier=facts(moved),
                      recommendation="approve", findings="Đủ điều kiện")
    approved = event(DossierApproved, producer=by("approval", "STP"), cause=appraised,
                     at=RECEIVED + timedelta(days=3), dossier=facts(moved), decision="Cấp phiếu")
    signed_at = RECEIVED + timedelta(days=4)
    signed = event(ResultSigned, producer=by("signing", "STP"), cause=approved, at=signed_at,
                   dossier=facts(moved), outcome="approved", result_number="0001/2025/QĐ-STP",
                   document_sha256="ab" * 32, signed_at=signed_at)
    delivered = event(ResultDelivered, producer=by("delivery", "STP"), cause=signed,
                      at=signed_at + timedelta(hours=1), channel="counter",
                      delivered_at=signed_at + timedelta(hours=1), on_time=True)
    return [submitted, accepted, apology, appraised, approved, signed, delivered]


def test_a_journey_queues_the_record_on_each_change_then_each_events_progress_row():
    dossiers, emitter = FakeDossiers(), Emitter(by("portal", None), DOSSIER_TOPIC)
    events = journey()
    for each in events:
        on_event(each, dossiers, emitter)

    kinds = [(kind, status) for kind, status, _ in dossiers.calls]
    assert kinds == [
        (RECORD, 1), (PROGRESS, 1),  # received: the record first (a row needs its dossier)
        (RECORD, 2), (PROGRESS, 2),
        (RECORD, 2), (PROGRESS, 2),  # the apology moves the appointment: the record changes
        (RECORD, 4), (PROGRESS, 4),
        (PROGRESS, 4),  # approved: still 4, nothing on the record changed
        (RECORD, 9), (PROGRESS, 9),
        (RECORD, 10), (PROGRESS, 10)]
    record = dossiers.calls[-2][2]
    assert record == {**record, "MaHoSo": CODE, "MaTTHC": "2.000488", "TrangThaiHoSo": "10",
                      "NgayTiepNhan": "20251124083005", "NgayHenTra": "20251206083005",
                      "NgayKetThucXuLy": "20251128083005", "NgayTra": "20251128093005",
                      "DonViXuLy": "STP", "KenhThucHien": "2", "HoSoCoThanhPhanSoHoa": "1"}
    assert record["DanhSachGiayToKetQua"] == [
        {"SoKyHieu": "0001/2025/QĐ-STP", "KetQua": "Phê duyệt", "NgayKy": "20251128083005"}]
    assert record["TaiLieuNop"] == [{"TenTepDinhKem": "Tờ khai", "MaHash": "ab" * 32}]
    rows = [payload for kind, _, payload in dossiers.calls if kind == PROGRESS]
    assert [row["NoiDungXuLy"] for row in rows] == [
        "Nộp hồ sơ", "Tiếp nhận hồ sơ", "Xin lỗi và hẹn lại ngày trả kết quả",
        "Thẩm định hồ sơ", "Phê duyệt kết quả", "Ký số kết quả", "Trả kết quả"]
    assert rows[2]["NguoiXuLy"] == "chuyen.vien" and rows[1]["NguoiXuLy"] == "Hệ thống"
    assert rows[1] == {**rows[1], "MaHoSo": CODE, "ThoiDiemXuLy": "20251124083505",
                       "TrangThai": "2", "NgayKetThucTheoQuyDinh": "20251127083005"}
    # No personal data reaches the portal's payloads (the applicant travels sealed).
    assert "Trần Thị Bình" not in repr(dossiers.calls) and "010203004567" not in repr(
        dossiers.calls)
    assert emitter.messages == []


def test_an_event_of_an_unknown_dossier_or_against_the_rules_queues_nothing():
    dossiers, emitter = FakeDossiers(), Emitter(by("portal", None), DOSSIER_TOPIC)
    submitted, accepted, *_ = journey()
    with pytest.raises(Rejected, match="no dossier"):
        on_event(accepted, dossiers, emitter)
    on_event(submitted, dossiers, emitter)
    with pytest.raises(IllegalTransition):
        on_event(submitted, dossiers, emitter)  # a second submission
    assert [kind for kind, _, _ in dossiers.calls] == [RECORD, PROGRESS]


def test_an_imported_dossier_opens_its_record_with_the_old_code_and_dates_and_no_progress():
    from motcua_contracts.imported import DossierImported

    ended = RECEIVED + timedelta(days=4)
    imported = new_event(
        DossierImported, dossier_id=uuid7(), agency="STP", producer=by("import", None),
        occurred_at=RECEIVED + timedelta(days=300), source_system="Một cửa cũ",
        code="LC251124-000001", procedure_code="2.000488", channel="counter",
        applicant={"full_name": "Trần Thị Bình", "id_number": "010203004567",
                   "phone": "0912345678", "address": "Lào Cai"},
        delivery={"channel": "counter"}, received_at=RECEIVED, status=10, ended_at=ended,
        history=[{"at": RECEIVED, "actor": "legacy:a", "status": 2},
                 {"at": ended, "actor": "legacy:a", "status": 10}],
        dossier=facts(RECEIVED + timedelta(days=12)))
    dossiers, emitter = FakeDossiers(), Emitter(by("portal", None), DOSSIER_TOPIC)
    on_event(imported, dossiers, emitter)
    [(kind, status, record)] = dossiers.calls
    assert (kind, status) == (RECORD, 10)
    assert record == {**record, "MaHoSo": "LC251124-000001", "TrangThaiHoSo": "10",
                      "NgayTiepNhan": "20251124083005", "NgayHenTra": "20251206083005",
                      "NgayKetThucXuLy": "20251128083005", "TaiLieuNop": []}
