"""Which events intake's tracking turns into an e-mail to the applicant, and what each says: the
handlers called directly with a fake repository (no database, no mail server). The sending itself
is tested in tests/notify and end to end in tests/e2e/test_notifications.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_catalogue import WorkingCalendar, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, IllegalTransition, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised, FeesRequested
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted, DossierSubmitted
from motcua_contracts.sealed import Sealed
from motcua_contracts.shared import DelayApologized, SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_intake.handlers import Intake, intake_stage
from motcua_intake.notices import Notices
from motcua_intake.orm import Notification
from motcua_intake.personal import SEALED_RECIPIENT
from motcua_runtime.stage import Emitter
from tests.fakes import FakeDossiers, at, by, drain, event
from tests.personal import opened, sealed

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
RECORD = CATALOGUE.procedures["2.000488"]  # Phiếu lý lịch tư pháp, STP
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
BASE = "https://dichvucong.laocai.gov.vn"
INTAKE = Intake(CATALOGUE, WorkingCalendar(), notices=Notices(CATALOGUE, BASE + "/"))
EMAIL = "binh.tran@example.vn"
CODE = "000.00.15.H38-251124-0003"


class QueueingDossiers(FakeDossiers):
    """The fake repository, keeping the e-mails handlers queue."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[Notification] = []

    def queue(self, notice: Notification) -> None:
        """Kept sealed as intake's queue keeps it (recipient and body under the dossier's key);
        opened here for the tests to read, as the sender opens it."""
        assert notice.recipient == SEALED_RECIPIENT and EMAIL not in notice.body
        inside = opened(notice.dossier_id, Sealed.model_validate_json(notice.body))
        notice.recipient, notice.body = inside["to"], inside["body"]
        self.queued.append(notice)


@pytest.fixture
def dossiers() -> QueueingDossiers:
    return QueueingDossiers()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("intake", "STP"), DOSSIER_TOPIC)


def submitted(*, email: str | None = EMAIL, documents: int | None = None,
              channel: str = "online") -> DossierSubmitted:
    names = RECORD.required_documents[:documents]
    dossier_id = uuid7()
    return new_event(
        DossierSubmitted, dossier_id=dossier_id, agency="STP", producer=by("intake", "STP"),
        occurred_at=MONDAY, code=CODE, procedure_code=RECORD.code, channel="online",
        applicant=sealed(dossier_id, {"full_name": "Trần Thị Bình", "id_number": "010203004567",
                                      "phone": "0912345678", "email": email,
                                      "address": "Số 1 Hoàng Liên"}),
        documents=[{"name": n, "sha256": "0" * 64, "size": 2048} for n in names],
        delivery={"channel": channel}, data={"purpose": "Xin việc"}, received_at=MONDAY)


def back_from_topic(dossiers: QueueingDossiers, emitter: Emitter, submission: DossierSubmitted
                    ) -> Any:
    """Submit; intake's answer (acceptance or supplement request) comes back and is followed."""
    INTAKE.on_submitted(submission, dossiers, emitter)
    [answer] = drain(emitter)
    answer = at(answer, MONDAY + timedelta(minutes=30))
    INTAKE.follow(answer, dossiers, emitter)
    return answer


def to_result(dossiers: QueueingDossiers, emitter: Emitter, accepted: DossierAccepted,
              facts: DossierFacts) -> ResultSigned:
    appraised = event(DossierAppraised, producer=by("appraisal", "STP"), cause=accepted,
                      dossier=facts, recommendation="approve", findings="Đủ điều kiện")
    approved = event(DossierApproved, producer=by("approval", "STP"), cause=appraised,
                     dossier=facts, decision="Cấp phiếu")
    signed = event(ResultSigned, producer=by("signing", "STP"), cause=approved, dossier=facts,
                   outcome="approved", result_number="0001/2025/QĐ-STP",
                   document_sha256="ab" * 32, signed_at=MONDAY + timedelta(days=3))
    for step in (appraised, approved, signed):
        INTAKE.follow(step, dossiers, emitter)
    return signed


def test_acceptance_queues_form_01_to_the_applicant_keyed_by_the_event(dossiers, emitter):
    accepted = back_from_topic(dossiers, emitter, submitted())

    [notice] = dossiers.queued
    assert isinstance(accepted, DossierAccepted)
    assert (notice.id, notice.event_id, notice.dossier_id) == (
        accepted.event_id, accepted.event_id, accepted.dossier_id)
    assert (notice.kind, notice.recipient, notice.attempts) == ("acceptance", EMAIL, 0)
    assert notice.subject == f"[{CODE}] Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu số 01)"
    assert notice.body.startswith("Kính gửi Ông/Bà Trần Thị Bình,")
    assert f"Thủ tục: {RECORD.name}" in notice.body
    assert f"Tra cứu tình trạng hồ sơ: {BASE}/tra-cuu?code={CODE}\n" in notice.body
    due = accepted.dossier.due_at.astimezone(VN)
    assert f"Thời gian hẹn trả kết quả: {due:%H} giờ {due:%M} ngày {due:%d/%m/%Y}" in notice.body


def test_a_supplement_request_queues_form_02_with_what_is_missing(dossiers, emitter):
    request = back_from_topic(dossiers, emitter, submitted(documents=1))

    [notice] = dossiers.queued
    assert isinstance(request, SupplementRequested) and notice.id == request.event_id
    assert notice.kind == "supplement_request" and "Mẫu số 02" in notice.subject
    assert f"  - {RECORD.required_documents[1]}" in notice.body


def test_an_apology_queues_form_04_naming_the_agency_and_the_new_appointment(dossiers,
                                                                              emitter):
    accepted = back_from_topic(dossiers, emitter, submitted())
    new_due = accepted.dossier.due_at + timedelta(days=7)
    apology = event(DelayApologized, producer=by("appraisal", "STP"), cause=accepted,
                    reason="Chờ kết quả xác minh của Công an tỉnh",
                    previous_due_at=accepted.dossier.due_at, new_due_at=new_due)

    INTAKE.follow(apology, dossiers, emitter)

    notice = dossiers.queued[-1]
    assert (notice.kind, notice.id) == ("apology", apology.event_id)
    assert "Sở Tư pháp tỉnh Lào Cai chân thành xin lỗi" in notice.body
    assert "Chờ kết quả xác minh của Công an tỉnh" in notice.body
    assert f"Thời gian hẹn trả kết quả mới: {new_due.astimezone(VN):%H} giờ" in notice.body


def test_the_result_and_its_delivery_are_each_announced_and_recorded(dossiers, emitter):
    accepted = back_from_topic(dossiers, emitter, submitted(channel="online"))
    signed = to_result(dossiers, emitter, accepted, accepted.dossier)
    delivered = event(ResultDelivered, producer=by("delivery", "STP"), cause=signed,
                      channel="online", delivered_at=signed.occurred_at, on_time=True)

    INTAKE.follow(delivered, dossiers, emitter)

    # Appraisal and approval are the agencies' business: no mail for them.
    assert [(n.kind, n.event_id) for n in dossiers.queued] == [
        ("acceptance", accepted.event_id), ("result_ready", signed.event_id),
        ("delivered", delivered.event_id)]
    ready, handed = dossiers.queued[1:]
    assert "Số, ký hiệu văn bản: 0001/2025/QĐ-STP." in ready.body
    assert f"tải kết quả điện tử (đã ký số) tại: {BASE}/tra-cuu?code={CODE}" in ready.body
    assert "(trực tuyến)" in handed.body and "đúng hẹn" in handed.body
    dossier = dossiers.get(accepted.dossier_id)
    assert (dossier.result_sha256, dossier.delivered_via) == ("ab" * 32, "online")


def test_an_applicant_without_an_email_gets_nothing_and_is_tracked_all_the_same(dossiers,
                                                                                 emitter):
    accepted = back_from_topic(dossiers, emitter, submitted(email=None))
    to_result(dossiers, emitter, accepted, accepted.dossier)

    assert dossiers.queued == []
    assert dossiers.get(accepted.dossier_id).status_code == 9


def test_fees_requested_and_other_steps_queue_nothing(dossiers, emitter):
    accepted = back_from_topic(dossiers, emitter, submitted())
    fees = event(FeesRequested, producer=by("appraisal", "STP"), cause=accepted,
                 amount=200000, reason="Lệ phí")

    INTAKE.follow(fees, dossiers, emitter)

    assert [n.kind for n in dossiers.queued] == ["acceptance"]


def test_an_illegal_event_queues_nothing(dossiers, emitter):
    accepted = back_from_topic(dossiers, emitter, submitted())
    early = event(ResultDelivered, producer=by("delivery", "STP"), cause=accepted,
                  channel="online", delivered_at=MONDAY, on_time=True)

    with pytest.raises(IllegalTransition):
        INTAKE.follow(early, dossiers, emitter)

    assert [n.kind for n in dossiers.queued] == ["acceptance"]


def test_a_notice_that_cannot_be_written_leaves_the_tracking_whole(dossiers, emitter):
    class Broken(Notices):
        def message_for(self, event, dossier):
            raise KeyError("a template bug")

    intake = Intake(CATALOGUE, WorkingCalendar(), notices=Broken(CATALOGUE, BASE))
    intake.on_submitted(submitted(), dossiers, emitter)
    [accepted] = drain(emitter)

    intake.follow(accepted, dossiers, emitter)

    assert dossiers.queued == []
    assert dossiers.get(accepted.dossier_id).status_code == 2


def test_without_notices_configured_nothing_is_queued(dossiers, emitter):
    quiet = Intake(CATALOGUE, WorkingCalendar())
    quiet.on_submitted(submitted(), dossiers, emitter)
    [accepted] = drain(emitter)

    quiet.follow(accepted, dossiers, emitter)

    assert dossiers.queued == [] and dossiers.get(accepted.dossier_id).status_code == 2


def test_every_event_type_but_intakes_own_is_followed():
    stage = intake_stage(INTAKE)

    # And an imported dossier, recorded without a notice (motcua_intake.legacy).
    own = {"DossierSubmitted", "SupplementProvided", "WithdrawalRequested", "DossierImported"}
    assert {t for t, h in stage.handlers.items() if getattr(h, "__name__", "") == "follow"} == (
        set(stage.handlers) - own)
