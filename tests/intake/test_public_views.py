"""What a lookup shows of a person, on real Postgres: nothing. By id (no ID number asked) and by
code with the ID number alike, the JSON and the /tra-cuu page carry the dossier's progress but
not the applicant's name, ID number, phone, e-mail or addresses, even where a timeline note was
written with them (a row from before notes left the address out, an officer quoting the
applicant, the applicant's own reason)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from motcua_runtime.db import create_engine
from tests.intake.tracking_rows import VN, dossier, entry, insert, tracking_app

NOW = datetime(2025, 12, 1, 10, 0, tzinfo=VN)
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
PERSON = {"full_name": "Vàng Thị Dung", "id_number": "010203004567", "phone": "0987654321",
          "email": "vang.dung@example.vn", "address": "Bản Sả Séng, xã Tả Phìn"}
POSTAL = "Số 9 đường Hoàng Liên, phường Kim Tân"
D = dossier(received_at=MONDAY, status=9, stage="delivery", channel="postal")
D.applicant, D.delivery = PERSON, {"channel": "postal", "address": POSTAL}
NOTES = [("DossierSubmitted", None),
         ("SupplementRequested", f"Chị {PERSON['full_name']} (ĐT 0987 654 321, "
                                 f"{PERSON['email']}) bổ sung sổ hộ khẩu"),
         ("WithdrawalRequested", f"Tôi ở {PERSON['address']}, gọi 84987654321"),
         ("ResultHandedToPost", f"Chuyển kết quả qua bưu chính (BUUDIEN) tới: {POSTAL}")]
TELLTALES = ("Vàng Thị Dung", "010203004567", "0987654321", "987 654 321", "84987654321",
             "vang.dung", "Sả Séng", "Tả Phìn", "Hoàng Liên", "Kim Tân")


@pytest.fixture(scope="module")
async def client(infra):
    database_url, _ = await infra.isolated("publicviews")
    engine = create_engine(database_url)
    await insert(engine, D, *(entry(D, kind, MONDAY + timedelta(hours=i), "intake", note=note)
                              for i, (kind, note) in enumerate(NOTES)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tracking_app(engine, NOW)),
                                 base_url="http://intake") as http:
        yield http
    await engine.dispose()


def assert_no_person(text: str) -> None:
    leaked = [t for t in TELLTALES if t in text]
    assert not leaked, f"{leaked} in {text[:2000]}"


async def test_the_lookup_by_id_shows_progress_and_no_personal_data(client):
    response = await client.get(f"/api/dossiers/{D.id}")
    assert response.status_code == 200
    body = response.json()
    assert [item["type"] for item in body["timeline"]] == [kind for kind, _ in NOTES]
    assert "bổ sung sổ hộ khẩu" in body["timeline"][1]["note"]  # the note is kept, not dropped
    # The control sheet still reads the post office from the stored note.
    assert any(row["kind"] == "postal" for row in body["control_sheet"])
    assert_no_person(response.text)


async def test_the_lookup_by_code_and_the_page_show_no_personal_data_either(client):
    by_code = await client.get(f"/api/dossiers/{D.code}", params={"id_number": "010203004567"})
    page = await client.get("/tra-cuu", params={"code": D.code, "id_number": "010203004567"})
    assert by_code.status_code == page.status_code == 200
    assert D.code in page.text and "bổ sung sổ hộ khẩu" in page.text
    assert_no_person(by_code.text)
    # The page shows the form again with the code, never the ID number typed in.
    assert_no_person(page.text)
