"""Following a dossier on real Postgres: by id, or by code with the applicant's ID number (a wrong
number answers like an unknown code); the public lookup page in Vietnamese; ratings after
delivery, once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from motcua_runtime.db import create_engine
from tests.intake.tracking_rows import VN, dossier, entry, insert, tracking_app

NOW = datetime(2025, 12, 1, 10, 0, tzinfo=VN)
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
ID = "010203004567"
DELIVERED = dossier(received_at=MONDAY, status=10, due_at=datetime(2025, 12, 8, 17, tzinfo=VN),
                    ended_at=MONDAY + timedelta(days=2), on_time=True, channel="online")
RATED_ON_PAGE = dossier(received_at=MONDAY, status=10, id_number="111122223333",
                        due_at=datetime(2025, 12, 8, 17, tzinfo=VN),
                        ended_at=MONDAY + timedelta(days=3), on_time=True)
IN_PROGRESS = dossier(received_at=MONDAY, status=4, stage="appraisal",
                      due_at=datetime(2025, 11, 28, 17, tzinfo=VN), id_number="123456789")
RATING = {"id_number": ID, "indicators": [2, 2, 1, 2, 2, 2, 1, 2, 2],
          "convenience": "satisfied", "overall": "very_satisfied", "comment": "Nhanh, gọn"}


def flow(d, notes: dict[str, str] | None = None) -> list:
    notes = notes or {}
    steps = [("DossierSubmitted", 0, "intake", "intake", 1),
             ("DossierAccepted", 0.5, "appraisal", "intake", 2),
             ("DossierAppraised", 26, "approval", "appraisal", 4),
             ("DossierApproved", 27, "signing", "approval", 4),
             ("ResultSigned", 28, "delivery", "signing", 9),
             ("ResultDelivered", 48, None, "delivery", 10)]
    return [entry(d, kind, d.received_at + timedelta(hours=hours), holder, stage=stage,
                  status=status, actor="officer:lan", note=notes.get(kind))
            for kind, hours, holder, stage, status in steps]


@pytest.fixture(scope="module")
async def client(infra):
    database_url, _ = await infra.isolated("tracking")
    engine = create_engine(database_url)
    await insert(engine, DELIVERED, IN_PROGRESS, RATED_ON_PAGE, *flow(RATED_ON_PAGE),
                 *flow(DELIVERED, {"DossierAppraised": "<script>alert('x')</script> & đủ"}),
                 *flow(IN_PROGRESS)[:2])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tracking_app(engine, NOW)),
                                 base_url="http://intake") as http:
        yield http
    await engine.dispose()


async def test_by_id_needs_nothing_else_and_keeps_the_old_fields(client):
    body = (await client.get(f"/api/dossiers/{DELIVERED.id}")).json()
    assert {"dossier_id", "code", "procedure_code", "agency", "channel", "status", "stage",
            "received_at", "due_at", "timeline"} <= body.keys()
    assert body["status"] == {"code": 10, "name": "Đã trả kết quả"}
    assert body["verdict"] == "early" and body["on_time"] is True and body["overdue"] is False
    assert {"type", "at", "agency", "stage", "actor"} <= body["timeline"][0].keys()
    assert [(r["stage"], r["result"]) for r in body["control_sheet"]] == [
        ("intake", "early"), ("appraisal", "early"), ("approval", "early"),
        ("signing", "early"), ("delivery", "late")]  # Tue 12:00 -> Wed 08:00: 4.5 h of 4


async def test_by_code_the_id_number_is_required_and_must_match(client):
    url = f"/api/dossiers/{DELIVERED.code}"
    missing = await client.get(url)
    assert missing.status_code == 404 and "id_number" in missing.json()["detail"]
    found = await client.get(url, params={"id_number": ID})
    assert found.status_code == 200 and found.json()["dossier_id"] == str(DELIVERED.id)
    wrong = await client.get(url, params={"id_number": "999999999999"})
    unknown = await client.get("/api/dossiers/000.00.15.H38-251124-9999",
                               params={"id_number": ID})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert (await client.get(f"/api/dossiers/{uuid.uuid4()}")).status_code == 404


async def test_an_unfinished_dossier_past_its_appointment_is_late_and_overdue(client):
    body = (await client.get(f"/api/dossiers/{IN_PROGRESS.id}")).json()
    assert body["verdict"] == "late" and body["overdue"] is True and body["on_time"] is None
    assert body["control_sheet"][-1]["stage"] == "appraisal"
    assert body["control_sheet"][-1]["handed_on_at"] is None


async def test_the_lookup_page_shows_the_dossier_in_vietnamese_with_everything_escaped(client):
    form = await client.get("/tra-cuu")
    assert form.status_code == 200 and 'name="viewport"' in form.text
    assert "Số CCCD/CMND" in form.text and "<script" not in form.text
    page = await client.get("/tra-cuu", params={"code": DELIVERED.code, "id_number": ID})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Đã trả kết quả" in text and "Phiếu kiểm soát quá trình giải quyết hồ sơ" in text
    assert "Trước hạn" in text and "Sở Tư pháp tỉnh Lào Cai" in text and "08:00 24/11/2025" in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; đủ" in text  # escaped by Jinja2
    assert "<script>" not in text and ID not in text  # the ID number is not echoed back


@pytest.mark.parametrize("params, status, message", [
    ({"code": "000.00.15.H38-251124-9999", "id_number": ID}, 404, "Không tìm thấy hồ sơ"),
    ({"code": "WRONGID", "id_number": ID}, 422, "Mã hồ sơ không đúng định dạng"),
    ({"code": "<b>x</b>", "id_number": ID}, 422, "&lt;b&gt;x&lt;/b&gt;"),
    ({"code": DELIVERED.code, "id_number": "12ab"}, 422, "Số CCCD phải gồm 12 chữ số"),
    ({"code": DELIVERED.code}, 422, "Vui lòng nhập đủ"),
])
async def test_the_lookup_page_explains_bad_input_and_unknown_dossiers(client, params, status,
                                                                       message):
    page = await client.get("/tra-cuu", params=params)
    assert page.status_code == status and message in page.text
    assert "<b>x</b>" not in page.text


async def test_a_wrong_id_number_on_the_page_reads_like_an_unknown_code(client):
    wrong = await client.get("/tra-cuu", params={"code": DELIVERED.code, "id_number": "1" * 12})
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.text
    assert "Đã trả kết quả" not in wrong.text


async def test_a_rating_is_taken_once_and_only_after_delivery(client):
    early = await client.post(f"/api/dossiers/{IN_PROGRESS.code}/rating",
                              json=RATING | {"id_number": "123456789"})
    assert early.status_code == 409 and "status 4" in early.json()["detail"]
    wrong = await client.post(f"/api/dossiers/{DELIVERED.code}/rating",
                              json=RATING | {"id_number": "123456789"})
    assert wrong.status_code == 404
    first = await client.post(f"/api/dossiers/{DELIVERED.code}/rating", json=RATING)
    assert first.status_code == 201, first.text
    assert first.json()["score"] == round(16 / 18 * 100, 1)
    again = await client.post(f"/api/dossiers/{DELIVERED.code}/rating", json=RATING)
    assert again.status_code == 409 and "already rated" in again.json()["detail"]


@pytest.mark.parametrize("change, field", [
    ({"indicators": [2] * 8}, "indicators"),
    ({"indicators": [2] * 8 + [3]}, "indicators.8"),
    ({"indicators": [2] * 8 + ["2"]}, "indicators.8"),
    ({"overall": "great"}, "overall"),
    ({"id_number": None}, "id_number"),
    ({"surprise": 1}, "surprise"),
])
async def test_an_invalid_rating_is_a_422_naming_the_field(client, change, field):
    response = await client.post(f"/api/dossiers/{DELIVERED.code}/rating", json=RATING | change)
    assert response.status_code == 422 and response.json()["message"].startswith(field)


def rating_form(**change: str) -> dict[str, str]:
    form = {"code": RATED_ON_PAGE.code, "id_number": "111122223333", "convenience": "satisfied",
            "overall": "very_satisfied", "comment": "Cán bộ hướng dẫn tận tình"}
    form.update({f"indicator_{n}": "2" for n in range(1, 10)}, indicator_4="1")
    return form | change


async def test_the_page_takes_the_rating_of_a_delivered_dossier_once(client):
    page = await client.get("/tra-cuu", params={"code": RATED_ON_PAGE.code,
                                                "id_number": "111122223333"})
    assert 'action="/tra-cuu/danh-gia"' in page.text and 'name="indicator_9"' in page.text
    unfinished = await client.get("/tra-cuu", params={"code": IN_PROGRESS.code,
                                                      "id_number": "123456789"})
    assert "danh-gia" not in unfinished.text  # rated once delivered, not before

    missing = rating_form()
    del missing["indicator_7"]
    refused = await client.post("/tra-cuu/danh-gia", data=missing)
    assert refused.status_code == 422 and "đủ 9 tiêu chí" in refused.text
    stranger = await client.post("/tra-cuu/danh-gia", data=rating_form(id_number="999999999"))
    assert stranger.status_code == 404 and "Không tìm thấy hồ sơ" in stranger.text

    rated = await client.post("/tra-cuu/danh-gia", data=rating_form())
    assert rated.status_code == 200 and "Cảm ơn Ông/Bà đã đánh giá" in rated.text
    assert "94,4/100" in rated.text  # 17 of 18 points
    assert "đã được đánh giá" in rated.text and "111122223333" not in rated.text
    again = await client.post("/tra-cuu/danh-gia", data=rating_form())
    assert again.status_code == 409 and "một lần" in again.text
    # The same record as the API's: the API now refuses a second rating too.
    api = await client.post(f"/api/dossiers/{RATED_ON_PAGE.code}/rating",
                            json=RATING | {"id_number": "111122223333"})
    assert api.status_code == 409


async def test_the_page_names_the_centre_and_its_address():
    from motcua_catalogue.centre import centre_from_env

    other = centre_from_env({"PROVINCE_NAME": "Yên Bái", "CENTRE_NAME": "Trung tâm X",
                             "CENTRE_HOTLINE": "0216 3 123 456"})
    assert (other.province, other.name, other.hotline) == ("Yên Bái", "Trung tâm X",
                                                           "0216 3 123 456")
    assert "Cam Đường" in other.address  # the default address stays
    with pytest.raises(ValueError, match="CENTRE_NAME"):
        centre_from_env({"CENTRE_NAME": "x" * 301})
