"""The applicant's e-mails: each names the dossier, its form where there is one, and what to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from motcua_notify.templates import (
    Dossier,
    acceptance,
    apology,
    delivered,
    result_ready,
    supplement_request,
)

VN = timezone(timedelta(hours=7))
DOSSIER = Dossier(code="000.00.15.H38-261124-0007", applicant_name="Lý Thị Sào",
                  procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                  lookup_url="https://dichvucong.laocai.gov.vn/tra-cuu?code=000.00.15.H38-261124-0007")


def test_every_notice_is_addressed_names_the_dossier_and_links_the_lookup():
    messages = [
        acceptance(DOSSIER, received_at=datetime(2026, 11, 24, 9, tzinfo=VN),
                   due_at=datetime(2026, 12, 8, 9, tzinfo=VN)),
        supplement_request(DOSSIER, reason="Thiếu bản sao", missing_documents=["Căn cước"],
                           respond_by=datetime(2026, 11, 27, 17, tzinfo=VN)),
        apology(DOSSIER, agency_name="Sở Tư pháp", reason="Chờ xác minh",
                previous_due_at=datetime(2026, 12, 8, 9, tzinfo=VN),
                new_due_at=datetime(2026, 12, 15, 9, tzinfo=VN)),
        result_ready(DOSSIER, outcome="approved", result_number="0042/2026/QĐ-STP",
                     channel="counter"),
        delivered(DOSSIER, channel="postal", delivered_at=datetime(2026, 12, 9, tzinfo=VN),
                  on_time=True),
    ]

    assert [m.kind for m in messages] == ["acceptance", "supplement_request", "apology",
                                          "result_ready", "delivered"]
    for message in messages:
        assert message.subject.startswith("[000.00.15.H38-261124-0007] ")
        assert message.body.startswith("Kính gửi Ông/Bà Lý Thị Sào,")
        assert DOSSIER.lookup_url in message.body and DOSSIER.procedure_name in message.body


def test_acceptance_is_form_01_with_the_appointment_in_vietnam_time():
    message = acceptance(DOSSIER, received_at=datetime(2026, 11, 24, 2, 5, tzinfo=timezone.utc),
                         due_at=datetime(2026, 12, 8, 1, 30, tzinfo=timezone.utc))

    assert "Mẫu số 01" in message.subject
    assert "lúc 09 giờ 05 ngày 24/11/2026" in message.body
    assert "Thời gian hẹn trả kết quả: 08 giờ 30 ngày 08/12/2026." in message.body


def test_a_supplement_request_is_form_02_listing_what_is_missing_and_the_deadline():
    message = supplement_request(DOSSIER, reason="Ảnh chụp không rõ",
                                 missing_documents=["Tờ khai", "Căn cước công dân"],
                                 respond_by=datetime(2026, 11, 27, 17, tzinfo=VN))

    assert "Mẫu số 02" in message.subject
    assert "Ảnh chụp không rõ" in message.body
    assert "  - Tờ khai\n  - Căn cước công dân" in message.body
    assert "trước 17 giờ 00 ngày 27/11/2026" in message.body


def test_an_apology_is_form_04_with_the_reason_and_one_new_appointment():
    message = apology(DOSSIER, agency_name="Sở Tư pháp tỉnh Lào Cai",
                      reason="Cần xác minh thông tin tại Công an tỉnh",
                      previous_due_at=datetime(2026, 12, 8, 9, tzinfo=VN),
                      new_due_at=datetime(2026, 12, 15, 9, tzinfo=VN))

    assert "Mẫu số 04" in message.subject
    assert "Sở Tư pháp tỉnh Lào Cai chân thành xin lỗi" in message.body
    assert "Cần xác minh thông tin tại Công an tỉnh" in message.body
    assert "09 giờ 00 ngày 15/12/2026" in message.body


def test_result_ready_online_gives_the_download_link_and_a_refusal_says_so():
    online = result_ready(DOSSIER, outcome="approved", result_number="0042/2026/QĐ-STP",
                          channel="online", download_url="https://x/api/dossiers/c/result")
    refused = result_ready(DOSSIER, outcome="denied", result_number="0001/2026/TB-STP",
                           channel="counter")

    assert "https://x/api/dossiers/c/result" in online.body and "0042/2026/QĐ-STP" in online.body
    assert "từ chối giải quyết" in refused.body and "đến Trung tâm" in refused.body


def test_delivered_says_how_when_and_whether_late():
    late = delivered(DOSSIER, channel="online", delivered_at=datetime(2026, 12, 9, 10, tzinfo=VN),
                     on_time=False)

    assert "(trực tuyến) lúc 10 giờ 00 ngày 09/12/2026, trễ hẹn" in late.body


def test_delivered_online_says_where_to_download_and_by_post_gives_the_item_number():
    online = delivered(DOSSIER, channel="online", delivered_at=datetime(2026, 12, 9, 10, tzinfo=VN),
                       on_time=True)
    posted = delivered(DOSSIER, channel="postal", delivered_at=datetime(2026, 12, 9, 10, tzinfo=VN),
                       on_time=True, tracking_number="RR123456785VN")
    counter = delivered(DOSSIER, channel="counter",
                        delivered_at=datetime(2026, 12, 9, 10, tzinfo=VN), on_time=True)

    assert "tải về tại địa chỉ tra cứu" in online.body and "RR" not in online.body
    assert "Số hiệu bưu gửi: RR123456785VN." in posted.body
    assert "tải về" not in counter.body and "bưu gửi" not in counter.body


def test_the_letters_are_signed_by_the_centre_the_installation_names():
    default = acceptance(DOSSIER, received_at=datetime(2026, 11, 24, 9, tzinfo=VN), due_at=None)
    assert default.body.rstrip().endswith(
        "Trân trọng,\nTrung tâm Phục vụ hành chính công tỉnh Lào Cai\n\n"
        "(Thư gửi tự động, xin không trả lời thư này.)")
    other = replace(DOSSIER, centre="Trung tâm Phục vụ hành chính công tỉnh Yên Bái")
    message = acceptance(other, received_at=datetime(2026, 11, 24, 9, tzinfo=VN), due_at=None)
    assert message.body.count("tỉnh Yên Bái") == 2 and "Lào Cai" not in message.body
