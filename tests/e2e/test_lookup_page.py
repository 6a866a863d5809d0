"""The citizens' lookup page on the real stack, in headless chromium: a dossier filed online and
delivered is looked up by its code and ID number on a 360 px phone and on a 1920 px screen (no
part of the page wider than the screen, every step of its timeline in Vietnamese, the centre
named from configuration with its hotline), then rated with the page's form; the rating is the
one the API keeps. Screenshots land in test-artifacts/."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts.labels import EVENT_NAMES
from tests.browser import browser, full_page_screenshot, wait_until
from tests.conftest import ARTIFACTS
from tests.support import running_stack, view_at

pytestmark = pytest.mark.e2e

BUSINESS = "2.001610"  # automatic at every stage on the default: delivered within seconds
HOTLINE = "0214 3 840 000"


def overflow(driver) -> int:
    """How many pixels the page is wider than the window (0: nothing sticks out)."""
    return driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth")


async def test_a_citizen_follows_and_rates_a_delivered_dossier_on_a_phone(infra, log_dir):
    database_url, topic = await infra.isolated("lookup")
    env = {"CENTRE_HOTLINE": HOTLINE, "PROVINCE_NAME": "Lào Cai"}
    with running_stack(infra, database_url, topic, log_dir, env=env) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
            await upload_sample_files(client, [procedure])
            body = sample_submission(procedure, random.Random(21), channel="online",
                                     delivery="online")
            filed = (await client.post("/api/dossiers", json=body)).json()
            view = await view_at(client, filed, 10)
            code, id_number = filed["code"], body["applicant"]["id_number"]
            url = f"{stack.api_url}/tra-cuu?code={code}&id_number={id_number}"

            phone = browser(360, 800)
            try:
                await asyncio.to_thread(phone.get, url)
                text = phone.find_element("tag name", "body").text
                assert code in text and "Đã trả kết quả" in text
                for step in view["timeline"]:  # every step by its Vietnamese name
                    assert EVENT_NAMES[step["type"]] in text
                assert f"Đường dây nóng: {HOTLINE}" in text and "tỉnh Lào Cai" in text
                assert overflow(phone) <= 0, "the page is wider than a 360 px phone"
                full_page_screenshot(phone, ARTIFACTS / "lookup-phone.png")

                for number in range(1, 10):
                    phone.find_element("css selector",
                                       f'input[name="indicator_{number}"][value="2"]').click()
                phone.find_element("css selector",
                                   'input[name="convenience"][value="satisfied"]').click()
                phone.find_element("css selector",
                                   'input[name="overall"][value="very_satisfied"]').click()
                phone.find_element("id", "comment").send_keys("Cán bộ hướng dẫn tận tình")
                phone.find_element("id", "rating_id_number").send_keys(id_number)
                phone.find_element("css selector", "#danh-gia button").click()
                await asyncio.to_thread(
                    wait_until, phone,
                    lambda d: "Cảm ơn Ông/Bà đã đánh giá" in d.find_element(
                        "tag name", "body").text, 15, "the rating was not thanked for")
                assert "100/100" in phone.find_element("css selector", ".notice").text
                assert overflow(phone) <= 0
                full_page_screenshot(phone, ARTIFACTS / "lookup-phone-rated.png")
            finally:
                phone.quit()

            # The page kept it where the API does: a second rating is refused there too.
            again = await client.post(f"/api/dossiers/{code}/rating", json={
                "id_number": id_number, "indicators": [1] * 9, "convenience": "satisfied",
                "overall": "satisfied"})
            assert again.status_code == 409

            wall = browser(1920, 1080)
            try:
                await asyncio.to_thread(wall.get, url)
                assert "Hồ sơ này đã được đánh giá" in wall.find_element("tag name", "body").text
                assert overflow(wall) <= 0
                wall.save_screenshot(str(ARTIFACTS / "lookup-1920.png"))  # the screen as seen
            finally:
                wall.quit()
