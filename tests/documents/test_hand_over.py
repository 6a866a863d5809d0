"""The hand-over record (biên bản bàn giao) read back with poppler's pdftotext: the dossier, the
result handed over, who received it and how they were identified, who handed it over and when
(Vietnam time), both signature blocks; markup printed as text; the same facts, the same bytes."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

from motcua_documents.hand_over import HandOverRecord, hand_over_record
from tests.signing.pdf_tools import pdftotext

VN = timezone(timedelta(hours=7))
FACTS = HandOverRecord(
    issuer="Trung tâm Phục vụ hành chính công tỉnh Lào Cai", place="Lào Cai",
    dossier_code="000.00.15.H38-261204-0003", applicant_name="Trần Thị Bình",
    procedure_code="2.000488", procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    issued_at=datetime(2026, 12, 4, 2, 30, tzinfo=timezone.utc),
    lookup_url="https://dvc.example/tra-cuu?code=000.00.15.H38-261204-0003",
    officer="mot.cua", result_number="0007/2026/QĐ-STP",
    result_ready_at=datetime(2026, 12, 3, 16, 0, tzinfo=VN),
    # 02:30 UTC is 09:30 in Lào Cai.
    handed_over_at=datetime(2026, 12, 4, 2, 30, tzinfo=timezone.utc),
    receiver_name="Lê Văn Cường", relation="authorised", identity_checked=True,
    authorisation="Giấy ủy quyền số 12/UQ ngày 01/12/2026")


def text_of(facts: HandOverRecord, tmp_path) -> str:
    return unicodedata.normalize("NFC", " ".join(
        pdftotext(hand_over_record(facts), tmp_path).split()))


def test_the_record_states_the_dossier_the_result_the_receiver_and_the_hand_over(tmp_path):
    text = text_of(FACTS, tmp_path)

    for expected in ("BIÊN BẢN BÀN GIAO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
                     "Số: 000.00.15.H38-261204-0003/BBBG", "Lào Cai, ngày 04 tháng 12 năm 2026",
                     "Hồi 09 giờ 30, ngày 04/12/2026", "Người nộp hồ sơ: Trần Thị Bình",
                     "văn bản số 0007/2026/QĐ-STP", "có kết quả lúc 16 giờ 00, ngày 03/12/2026",
                     "Bên nhận: Lê Văn Cường, người được người nộp hồ sơ ủy quyền",
                     "Đã kiểm tra giấy tờ tùy thân của người nhận",
                     "Giấy ủy quyền: Giấy ủy quyền số 12/UQ ngày 01/12/2026",
                     "Bên giao: mot.cua", "BÊN NHẬN", "BÊN GIAO", "(Ký, ghi rõ họ tên)"):
        assert expected in text, expected


def test_the_applicant_in_person_has_no_power_of_attorney_line(tmp_path):
    text = text_of(FACTS.model_copy(update={"relation": "self", "authorisation": None,
                                            "receiver_name": "Trần Thị Bình"}), tmp_path)

    assert "Bên nhận: Trần Thị Bình, người nộp hồ sơ." in text
    assert "Giấy ủy quyền" not in text


def test_markup_in_a_name_is_printed_as_text_and_the_bytes_are_stable(tmp_path):
    odd = FACTS.model_copy(update={"receiver_name": "Lê <b>Văn</b> & Con"})

    assert "Lê <b>Văn</b> & Con" in text_of(odd, tmp_path)
    assert hand_over_record(FACTS) == hand_over_record(FACTS)


def test_the_post_office_hands_over_in_its_own_name_without_an_identity_line(tmp_path):
    post = FACTS.model_copy(update={
        "issuer": "Bưu điện tỉnh Lào Cai", "deliverer": "post", "officer": "buu.ta",
        "relation": "addressee", "identity_checked": None, "authorisation": None})
    text = text_of(post, tmp_path)

    for expected in ("BƯU ĐIỆN TỈNH LÀO CAI",  # the heading's issuing body
                     "Hồi 09 giờ 30, ngày 04/12/2026, Bưu điện tỉnh Lào Cai giao kết quả",
                     "Bên giao: buu.ta, nhân viên bưu chính, Bưu điện tỉnh Lào Cai.",
                     "Bên nhận: Lê Văn Cường, người nhận tại địa chỉ ghi trên bưu gửi."):
        assert expected in text, expected
    assert "Trung tâm Phục vụ" not in text and "Bộ phận Một cửa" not in text
    assert "giấy tờ tùy thân" not in text


def test_a_commune_centres_desk_is_named_in_the_heading_and_the_hand_over(tmp_path):
    text = text_of(FACTS.model_copy(update={"issuer": "Ủy ban nhân dân phường Cốc Lếu"}),
                   tmp_path)

    assert "ỦY BAN NHÂN DÂN PHƯỜNG CỐC LẾU" in text  # the heading's issuing body
    assert "tại Ủy ban nhân dân phường Cốc Lếu, Bộ phận Một cửa bàn giao" in text
    assert "công chức Bộ phận Một cửa, Ủy ban nhân dân phường Cốc Lếu." in text
    assert "Trung tâm Phục vụ" not in text
