"""The desk's filing form for a commune-level procedure (motcua_workspace.desk_filing): the
commune chosen in the form (by default the desk's own) goes into the filing as `commune`; a form
without one is refused in the page, naming the field; a provincial procedure sends none."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_workspace.desk_filing import COMMUNE_FIELD, read_filing
from tests.catalogue.test_communes import BIRTH, BUSINESS

FORM = {"ho_ten": "Vàng Thị Mỷ", "so_dinh_danh": "010203004567", "dien_thoai": "0912345678",
        "dia_chi": "Số 5 Hoàng Liên", "du_lieu.child_name": "Vàng A Páo",
        "du_lieu.date_of_birth": "2025-11-20", "du_lieu.business_name": "Hộ Mỷ",
        "du_lieu.registered_capital": "100000000",
        "nhan_ket_qua": "counter", "le_phi": "0"}


def test_the_commune_chosen_is_the_filings_commune():
    body, errors = read_filing({**FORM, COMMUNE_FIELD: "UBNDPYB"}, BIRTH, files_chosen=2)
    assert errors == {}
    assert body["commune"] == "UBNDPYB"


def test_a_commune_level_filing_without_a_commune_names_the_field():
    body, errors = read_filing(FORM, BIRTH, files_chosen=2)
    assert errors == {COMMUNE_FIELD: "Chọn xã, phường nơi giải quyết hồ sơ (nơi cư trú của "
                                     "công dân)."}
    assert "commune" not in body


def test_a_provincial_filing_names_no_commune():
    body, errors = read_filing({**FORM, COMMUNE_FIELD: "UBNDPYB"}, BUSINESS, files_chosen=1)
    assert errors == {} and "commune" not in body


async def test_the_desk_page_offers_the_communes_with_its_own_chosen(infra, monkeypatch):
    """Cam Đường's desk opens a birth registration: every commune is offered, its own chosen;
    a temporary residence offers only the communes with a police unit, none chosen."""
    from motcua_runtime.db import create_engine
    from motcua_workspace import accounts
    from tests.catalogue.test_communes import LAO_CAI, RESIDENCE
    from tests.workspace.test_pages import PASSWORD, sign_in, workspace

    monkeypatch.setattr(accounts, "default_catalogue", lambda: LAO_CAI)
    database_url, _ = await infra.isolated("workspace_desk_commune")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    await accounts.add_account(sessions, agency="UBNDPCD", roles=["intake"], user_name="thu",
                               full_name="Hà Thị Thu", password=PASSWORD)
    try:
        async with workspace(sessions, catalogue=LAO_CAI) as client:
            await sign_in(client, "thu")
            birth = await client.get("/quay", params={"thu_tuc": BIRTH.code})
            assert birth.status_code == 200, birth.text
            options = re.findall(r'<option value="(UBND\w+)" ?(selected)?', birth.text)
            assert len(options) == 6
            assert [code for code, chosen in options if chosen] == ["UBNDPCD"]
            assert "Ủy ban nhân dân xã, phường nơi công dân cư trú" in birth.text
            assert '<optgroup label="Cấp xã: Công an xã, phường">' in birth.text
            residence = await client.get("/quay", params={"thu_tuc": RESIDENCE.code})
            assert re.findall(r'<option value="(UBND\w+)" ?(selected)?', residence.text) == [
                ("UBNDPLC", ""), ("UBNDPYB", "")]
            assert "Công an phường Yên Bái" in residence.text
    finally:
        await engine.dispose()
