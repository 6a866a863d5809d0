"""The desk's pages against intake's real API (built in-process as the service builds it, the
desk's work queue included, on a real Postgres and a filesystem store), called through the
workspace with the tokens it mints: the procedure chosen from the catalogue with its documents,
form fields and fees; a counter filing with two scanned PDFs stored through intake's upload and
filed as the officer; and each refusal (wrong type, oversized file, a name with a control
character, a missing field, no CSRF token, another role) shown in the page as a 4xx with its
message, with nothing stored. Then the supplement a citizen brings to the counter for a dossier
at status 5, filed from the dossier's page through intake's own supplement path with the
officer as actor, and its refusals (not waiting, no file, a file without its document's name,
a wrong type, no CSRF token, the dossier's limit) with nothing stored."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_files import FilesSettings, FilesystemStore
from motcua_intake.files.documents import DossierFiles
from motcua_intake.orm import OUTBOX, Dossier, StoredUpload
from motcua_runtime.db import create_engine
from motcua_workspace import desk
from motcua_workspace.accounts import add_account
from motcua_workspace.upstream import Directory, Upstream
from tests.files.data import JPEG_BYTES, PNG_BYTES, pdf_of
from tests.intake.tracking_rows import waiting_for_supplement
from tests.officer_tokens import ISSUER, current_officer
from tests.support import intake_with_desk_queue
from tests.workspace.test_pages import PASSWORD, csrf_of, sign_in, workspace

CATALOGUE = default_catalogue()
LAND = CATALOGUE.procedures["1.012760"]  # STNMT: two documents, two form fields, free


@pytest.fixture
async def stack(infra, tmp_path):
    database_url, topic = await infra.isolated("workspace_desk")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    store = FilesystemStore(tmp_path / "files")
    officer = current_officer("intake")
    intake = intake_with_desk_queue(sessions, CATALOGUE, WorkingCalendar(), topic, officer,
                                    DossierFiles(store, FilesSettings(dir=tmp_path / "files")))
    for name, roles in (("tiep.nhan", ["intake"]), ("chuyen.vien", ["appraisal"])):
        await add_account(sessions, agency="STP", roles=roles, user_name=name,
                          full_name="Hà Thị Thu", password=PASSWORD)
    upstream = Upstream(Directory({"intake": "http://intake"}), "http://intake", ISSUER,
                        token_lifetime=timedelta(minutes=5),
                        transport=httpx.ASGITransport(app=intake))
    async with workspace(sessions, upstream=upstream) as client:
        await sign_in(client, "tiep.nhan")
        yield client, engine, tmp_path / "files"
    await upstream.close()
    await engine.dispose()


def filing_fields(page: str, **changes: str) -> dict[str, str]:
    fields = {"csrf_token": csrf_of(page), "thu_tuc": LAND.code,
              "ma_nop": re.search(r'name="ma_nop" value="([^"]+)"', page).group(1),
              "ho_ten": "Vàng Thị Mỷ", "so_dinh_danh": "010203004567",
              "dien_thoai": "0912345678", "thu_dien_tu": "", "dia_chi": "Số 5 Hoàng Liên",
              "du_lieu.land_parcel_id": "Thửa 12, tờ bản đồ 4", "du_lieu.area_m2": "120",
              "nhan_ket_qua": "counter", "le_phi": "0"}
    return {**fields, **changes}


async def post_filing(client, fields: dict[str, str], files: list[tuple[str, tuple]]):
    """The form as a browser sends it: the names raw in UTF-8 (httpx would percent-encode a
    control character, so the body is written out here)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += (f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n'
                 f"{value}\r\n").encode()
    for name, (file_name, data, content_type) in files:
        body += (f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"; '
                 f'filename="{file_name}"\r\ncontent-type: {content_type}\r\n\r\n').encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return await client.post("/quay/nop", content=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}"})


async def stored(engine, files_dir) -> tuple[int, int, list]:
    async with engine.connect() as connection:
        dossiers = (await connection.execute(select(func.count()).select_from(Dossier))).scalar()
        uploads = (await connection.execute(select(func.count()).select_from(StoredUpload))
                   ).scalar()
    on_disk = [p for p in files_dir.rglob("*") if p.is_file()] if files_dir.exists() else []
    return dossiers, uploads, on_disk


async def test_the_desk_lists_the_procedure_then_files_a_counter_dossier(stack):
    client, engine, _ = stack
    home = await client.get("/quay")
    assert home.status_code == 200
    assert f'value="{LAND.code}"' in home.text and "Sở Tài nguyên" in home.text
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    assert page.status_code == 200
    for document in LAND.required_documents:
        assert document in page.text
    assert "Số thửa, tờ bản đồ" in page.text and "Diện tích (m²)" in page.text
    assert "Nộp tại quầy: <strong>0 đồng</strong>" in page.text
    assert 'enctype="multipart/form-data"' in page.text

    scans = [pdf_of(30_000), pdf_of(12_000)]
    filed = await client.post("/quay/nop", data=filing_fields(page.text), files=[
        ("tep_0", ("don-dang-ky.pdf", scans[0], "application/pdf")),
        ("tep_1", ("giay-to-dat.pdf", scans[1], "application/pdf"))])

    assert filed.status_code == 303, filed.text
    code = filed.headers["location"].split("/quay/ho-so/")[1].split("?")[0]
    assert code.startswith(CATALOGUE.agencies["STP"].electronic_id + "-")  # the desk's unit
    async with engine.connect() as connection:
        row = (await connection.execute(select(
            Dossier.channel, Dossier.agency, Dossier.procedure_code, Dossier.documents).where(
            Dossier.code == code))).one()
    assert tuple(row[:3]) == ("counter", "STNMT", LAND.code)
    assert [d["name"] for d in row[3]] == list(LAND.required_documents)
    shown = await client.get(filed.headers["location"])
    assert shown.status_code == 200
    assert "Đã tiếp nhận hồ sơ" in shown.text and "Vàng Thị Mỷ" in shown.text
    assert 'id="phieu-01"' in shown.text and "Chưa có" in shown.text  # no worker here
    # The same form sent twice (a double click) files nothing twice.
    again = await client.post("/quay/nop", data=filing_fields(page.text), files=[
        ("tep_0", ("don-dang-ky.pdf", scans[0], "application/pdf")),
        ("tep_1", ("giay-to-dat.pdf", scans[1], "application/pdf"))])
    assert again.status_code == 303 and again.headers["location"] == filed.headers["location"]
    missing = await client.get(f"/ho-so/{code}/mau/01")
    assert missing.status_code == 409 and "Chưa có phiếu này" in missing.text


@pytest.mark.parametrize(("file", "status", "message"), [
    (("anh.pdf", JPEG_BYTES, "application/pdf"), 415, "không phải tệp PDF, JPEG hoặc PNG"),
    (("to-khai\x07.pdf", pdf_of(2_000), "application/pdf"), 422, "ký tự điều khiển"),
    (("../../giay-to.pdf", pdf_of(2_000), "application/pdf"), 422, "dấu phân cách thư mục"),
    (("lon.pdf", pdf_of(40_000), "application/pdf"), 413, "giới hạn cho một tệp"),
])
async def test_a_refused_file_is_a_4xx_in_the_page_and_nothing_is_stored(
        stack, monkeypatch, file, status, message):
    client, engine, files_dir = stack
    monkeypatch.setenv("FILES_MAX_FILE_BYTES", "32000")
    desk.file_limits.cache_clear()
    try:
        page = await client.get("/quay", params={"thu_tuc": LAND.code})
        refused = await post_filing(client, filing_fields(page.text), [
            ("tep_0", ("don.pdf", pdf_of(5_000), "application/pdf")), ("tep_1", file)])
    finally:
        desk.file_limits.cache_clear()
    assert refused.status_code == status, refused.text
    assert message in refused.text and "chưa lưu tệp nào của hồ sơ" in refused.text
    assert 'id="bieu-mau-nop"' in refused.text and 'value="Vàng Thị Mỷ"' in refused.text
    assert await stored(engine, files_dir) == (0, 0, [])


async def test_a_missing_field_is_marked_and_nothing_is_sent(stack):
    client, engine, files_dir = stack
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    refused = await client.post("/quay/nop", data=filing_fields(
        page.text, so_dinh_danh="12345", **{"du_lieu.area_m2": ""}), files=[
        ("tep_0", ("don.pdf", pdf_of(5_000), "application/pdf"))])
    assert refused.status_code == 422
    assert "Số định danh cá nhân gồm 12 chữ số" in refused.text
    assert "Cần nhập thông tin này của tờ khai" in refused.text
    assert await stored(engine, files_dir) == (0, 0, [])


async def test_no_csrf_token_and_another_role_are_refused(stack):
    client, engine, files_dir = stack
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    fields = filing_fields(page.text)
    fields.pop("csrf_token")
    forged = await client.post("/quay/nop", data=fields, files=[
        ("tep_0", ("don.pdf", pdf_of(5_000), "application/pdf"))])
    assert forged.status_code == 403 and "Biểu mẫu không hợp lệ" in forged.text
    assert await stored(engine, files_dir) == (0, 0, [])
    await client.post("/dang-xuat", data={"csrf_token": csrf_of(page.text)})
    await sign_in(client, "chuyen.vien")
    assert (await client.get("/quay")).status_code == 403


async def outbox_events(engine, type: str) -> list[dict]:
    async with engine.connect() as connection:
        values = (await connection.execute(select(OUTBOX.c.value))).scalars().all()
    return [event for event in map(json.loads, values) if event["type"] == type]


async def test_the_desk_files_a_supplement_brought_to_the_counter(stack):
    client, engine, files_dir = stack
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    filed = await client.post("/quay/nop", data=filing_fields(page.text), files=[
        ("tep_0", ("don-dang-ky.pdf", pdf_of(30_000), "application/pdf"))])
    assert filed.status_code == 303, filed.text
    code = filed.headers["location"].split("/quay/ho-so/")[1].split("?")[0]
    dossier_path = f"/quay/ho-so/{code}"
    csrf = csrf_of((await client.get(dossier_path)).text)
    scan = ("giay-to-dat.pdf", pdf_of(12_000), "application/pdf")
    # Not waiting for a supplement: refused, nothing stored.
    early = await client.post(f"{dossier_path}/bo-sung", data={"csrf_token": csrf},
                              files=[("tep_1", scan)])
    assert early.status_code == 409 and "không ở trạng thái chờ bổ sung" in early.text
    before = await stored(engine, files_dir)

    await waiting_for_supplement(engine, code)
    shown = await client.get(dossier_path)
    assert shown.status_code == 200 and 'id="bieu-mau-bo-sung"' in shown.text
    assert "Thiếu giấy tờ (Giấy tờ về quyền sử dụng đất)" in shown.text  # what was asked
    for fields, files, status, message in (
            # What a browser sends with no file chosen: the part, with an empty name.
            ({"csrf_token": csrf}, [("tep_0", ("", b"", "application/octet-stream"))], 422,
             "Cần chọn ít nhất một tệp"),
            ({"csrf_token": csrf}, [("tep_khac", scan)], 422, "Cần ghi tên giấy tờ"),
            ({"csrf_token": csrf}, [("tep_1", ("anh.pdf", JPEG_BYTES, "application/pdf"))],
             415, "không phải tệp PDF, JPEG hoặc PNG"),
            ({}, [("tep_1", scan)], 403, "Biểu mẫu không hợp lệ")):
        refused = await client.post(f"{dossier_path}/bo-sung", data=fields, files=files)
        assert refused.status_code == status, refused.text
        assert message in refused.text
        assert await stored(engine, files_dir) == before  # nothing stored
    assert await outbox_events(engine, "SupplementProvided") == []

    done = await client.post(f"{dossier_path}/bo-sung", data={
        "csrf_token": csrf, "ten_khac": "Sơ đồ thửa đất"}, files=[
        ("tep_1", scan), ("tep_khac", ("so-do.png", PNG_BYTES, "image/png"))])
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{dossier_path}?bo_sung=1"
    [event] = await outbox_events(engine, "SupplementProvided")
    # Intake's own supplement path, with the officer as its actor (not the applicant's).
    assert event["actor"] == "officer:tiep.nhan" and event["resumes"] == "intake"
    assert [d["name"] for d in event["documents"]] == ["Giấy tờ về quyền sử dụng đất",
                                                        "Sơ đồ thửa đất"]
    assert event["documents"][1]["media_type"] == "image/png"
    # Another role may not file it.
    await client.post("/dang-xuat", data={"csrf_token": csrf})
    await sign_in(client, "chuyen.vien")
    other = await client.get(dossier_path)
    assert other.status_code == 403


async def test_the_supplement_form_offers_a_file_for_each_document_asked_for(stack):
    """The desk officer asked for two documents, one outside the procedure's list: the form has
    a file field for each, labelled with its name, and the filing names them as asked."""
    client, engine, _ = stack
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    filed = await client.post("/quay/nop", data=filing_fields(page.text), files=[
        ("tep_0", ("don-dang-ky.pdf", pdf_of(30_000), "application/pdf"))])
    code = filed.headers["location"].split("/quay/ho-so/")[1].split("?")[0]
    asked_for = ["Sơ đồ thửa đất có xác nhận của UBND xã", "Giấy tờ về quyền sử dụng đất"]
    await waiting_for_supplement(engine, code, missing=asked_for)

    shown = await client.get(f"/quay/ho-so/{code}")
    listed = re.search(r'<ol class="documents" id="giay-to-can-bo-sung">(.*?)</ol>',
                       shown.text, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", listed) == asked_for
    form = re.search(r'id="bieu-mau-bo-sung".*?</form>', shown.text, re.S).group(0)
    assert re.findall(r'<label for="tep_(\d+)">(.*?)</label>', form) == [
        ("0", asked_for[0]), ("1", asked_for[1])]  # not the procedure's own list
    assert "Đơn đăng ký" not in form

    done = await client.post(f"/quay/ho-so/{code}/bo-sung", data={
        "csrf_token": csrf_of(shown.text)}, files=[
        ("tep_0", ("so-do.pdf", pdf_of(8_000), "application/pdf")),
        ("tep_1", ("giay-to.pdf", pdf_of(9_000), "application/pdf"))])
    assert done.status_code == 303, done.text
    [event] = await outbox_events(engine, "SupplementProvided")
    assert [d["name"] for d in event["documents"]] == asked_for


async def test_a_supplement_over_the_dossiers_limit_is_refused_before_anything_is_sent(
        stack, monkeypatch):
    client, engine, files_dir = stack
    page = await client.get("/quay", params={"thu_tuc": LAND.code})
    filed = await client.post("/quay/nop", data=filing_fields(page.text), files=[
        ("tep_0", ("don-dang-ky.pdf", pdf_of(30_000), "application/pdf"))])
    code = filed.headers["location"].split("/quay/ho-so/")[1].split("?")[0]
    await waiting_for_supplement(engine, code)
    before = await stored(engine, files_dir)
    # The dossier holds 30 kB already: 25 kB more passes a file's limit, not the dossier's.
    monkeypatch.setenv("FILES_MAX_DOSSIER_BYTES", "50000")
    desk.file_limits.cache_clear()
    try:
        csrf = csrf_of((await client.get(f"/quay/ho-so/{code}")).text)
        refused = await client.post(f"/quay/ho-so/{code}/bo-sung", data={"csrf_token": csrf},
                                    files=[("tep_1", ("lon.pdf", pdf_of(25_000),
                                                      "application/pdf"))])
    finally:
        desk.file_limits.cache_clear()
    assert refused.status_code == 413, refused.text
    assert "các tệp của hồ sơ cộng lại vượt quá" in refused.text
    assert await stored(engine, files_dir) == before
