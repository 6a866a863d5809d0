"""The operations centre's wallboard and the public's window on the real stack, in headless
chromium. An administrator of the centre signs in with a workspace account; at 1920x1080 the
wallboard has no scrollbar and nothing sticks out of its tile or panel while dossiers flow; its
figures change without a reload; the citizen rates a delivered dossier on the lookup page and
the rating reaches the wallboard (through `DossierRated` on the topic); a threshold set in the
page's own form turns its tile red and lists its alarm; a tile opens the dossiers behind it and
a dossier its timeline, a cell of the service index the dossiers it counts; the receiving
unit's filter narrows the figures and the II.06a report opens from the wallboard with the same
filters. The public page is checked at 360 px and 1920
px. Screenshots land in test-artifacts/."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from tests.browser import browser, full_page_screenshot, wait_until
from tests.conftest import ARTIFACTS
from tests.support import running_stack, view_at

pytestmark = pytest.mark.e2e

BUSINESS = "2.001610"  # automatic at every stage on the default: delivered within seconds
PASSWORD = "bảng theo dõi 2026"
# The header's scope with the business registration office and a commune's desk chosen.
LONGEST = ("Sở Kế hoạch và Đầu tư tỉnh Lào Cai (Phòng Đăng ký kinh doanh) · "
           "tiếp nhận tại Ủy ban nhân dân phường Cốc Lếu")

# Every element of a tile, a panel or the header bar lies inside it, and no tile's figure or
# label, no panel's title is cut: the elements the page clips on purpose (long names in a list
# or a table cell, ellipsised) are still inside their panel.
OVERFLOWS = """
const out = [];
for (const box of document.querySelectorAll('.tile, .panel, header.bar')) {
  const outer = box.getBoundingClientRect();
  for (const el of box.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('dialog')) continue;
    const clipped = el.closest('ol, ul, table, .chart');
    if (clipped && clipped !== el && box.contains(clipped)) {
      const c = clipped.getBoundingClientRect();
      if (c.left < outer.left - 1 || c.right > outer.right + 1 ||
          c.top < outer.top - 1 || c.bottom > outer.bottom + 1)
        out.push(`${box.id || box.dataset.tile || box.className}: ${clipped.tagName}`);
      continue;
    }
    if (r.left < outer.left - 1 || r.right > outer.right + 1 ||
        r.top < outer.top - 1 || r.bottom > outer.bottom + 1)
      out.push(`${box.id || box.dataset.tile || box.className}: ` +
               `${el.tagName}.${el.className} ${Math.round(r.right - outer.right)}px x ` +
               `${Math.round(r.bottom - outer.bottom)}px`);
  }
  for (const el of box.querySelectorAll('.value, .label, h2')) {
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`${box.id || box.dataset.tile}: ${el.className || el.tagName} cut`);
  }
}
return [...new Set(out)];
"""


# The header's parts (title, each filter, the links, the clock) side by side, none under another.
HEADER_OVERLAPS = """
const parts = [...document.querySelectorAll(
  'header.bar > h1, header.bar .filters > label, header.bar .links > *, header.bar > .clock')];
const out = [];
for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
  const a = parts[i].getBoundingClientRect(), b = parts[j].getBoundingClientRect();
  if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
    out.push(`${parts[i].id || parts[i].tagName} over ${parts[j].id || parts[j].tagName}`);
}
return out;
"""


# The header's title reads whole: nothing of it cut or hidden, every line inside the header.
TITLE_WHOLE = """
const h = document.querySelector('header.bar h1');
const bar = h.closest('header').getBoundingClientRect();
const r = h.getBoundingClientRect();
return h.scrollWidth <= h.clientWidth + 1 && h.scrollHeight <= h.clientHeight + 1 &&
       r.left >= bar.left - 1 && r.right <= bar.right + 1 && r.bottom <= bar.bottom + 1;
"""


# The chips of every status an open dossier can have, drawn by the page's own function.
EVERY_OPEN_STATUS = """
drawStatuses({by_status: [1, 2, 4, 5, 6, 7, 9].map(
  code => ({code, name: STATUS_CODES[code], count: 1000 + code}))});
"""


def header_reads_whole(driver, scope: str) -> None:
    """The header names the whole scope and lays out without a part cut or under another."""
    assert driver.find_element("id", "scope-name").text == scope
    assert driver.execute_script(TITLE_WHOLE), f"the title is cut: {scope}"
    assert driver.execute_script(HEADER_OVERLAPS) == []
    assert driver.execute_script(OVERFLOWS) == []
    assert scrollbars(driver)[0] == 0


def scrollbars(driver) -> tuple[int, int]:
    """How far the page is wider and taller than what the window shows of it, a scrollbar left
    aside (0, 0: no scrollbar)."""
    return tuple(driver.execute_script(
        "const d = document.documentElement;"
        "return [d.scrollWidth - d.clientWidth, d.scrollHeight - d.clientHeight];"))


def tile(driver, name: str) -> str:
    return driver.find_element("id", f"t-{name}").text.strip()


def is_red(driver, name: str) -> bool:
    return "alarm" in driver.find_element(
        "css selector", f'[data-tile="{name}"]').get_attribute("class").split()


def sign_in(driver, url: str, user_name: str) -> None:
    driver.get(url + "/")
    assert "/dang-nhap" in driver.current_url  # the wallboard is for signed-in staff only
    driver.find_element("id", "ten").send_keys(user_name)
    driver.find_element("id", "mat_khau").send_keys(PASSWORD)
    driver.find_element("css selector", ".sign-in-form button").click()


async def file_online(client: httpx.AsyncClient, procedure: dict, seed: int) -> dict:
    body = sample_submission(procedure, random.Random(seed), channel="online", delivery="online")
    filed = (await client.post("/api/dossiers", json=body)).raise_for_status().json()
    return {**filed, "id_number": body["applicant"]["id_number"]}


def rate_on_the_lookup_page(driver, api_url: str, filed: dict) -> None:
    driver.get(f"{api_url}/tra-cuu?code={filed['code']}&id_number={filed['id_number']}")
    for number in range(1, 10):  # 2 everywhere but the last: 17/18 = 94.4
        value = "1" if number == 9 else "2"
        driver.find_element("css selector",
                            f'input[name="indicator_{number}"][value="{value}"]').click()
    driver.find_element("css selector", 'input[name="convenience"][value="satisfied"]').click()
    driver.find_element("css selector", 'input[name="overall"][value="satisfied"]').click()
    driver.find_element("id", "rating_id_number").send_keys(filed["id_number"])
    driver.find_element("css selector", "#danh-gia button").click()
    wait_until(driver, lambda d: "Cảm ơn Ông/Bà đã đánh giá" in d.find_element(
        "tag name", "body").text, 15, "the rating was not thanked for")


async def test_the_wallboard_on_a_1920_screen_while_dossiers_flow(infra, log_dir):
    database_url, topic = await infra.isolated("wallboard")
    engine = create_engine(database_url)
    await add_account(async_sessionmaker(engine, expire_on_commit=False), agency="UBNDCL",
                      roles=["operations", "admin"], user_name="dieuhanh",
                      full_name="Nguyễn Văn Điều Hành", password=PASSWORD)
    await engine.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    with running_stack(infra, database_url, topic, log_dir, operations=True,
                       env={"CENTRE_HOTLINE": "0214 3 840 000"}) as stack:
        wallboard = stack.service("operations").http_url
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
            await upload_sample_files(client, [procedure])
            first = await file_online(client, procedure, 5)
            await view_at(client, first, 10)

            wall = await asyncio.to_thread(browser, 1920, 1080)
            try:
                await asyncio.to_thread(sign_in, wall, wallboard, "dieuhanh")
                await asyncio.to_thread(wait_until, wall, lambda d: tile(d, "delivered") == "1",
                                        45, "the wallboard never showed the delivered dossier")
                wall.execute_script("window.notReloaded = true;")  # gone if the page reloads
                assert tile(wall, "ratings") == "0"

                # Dossiers flow: the figures move in place.
                more = [await file_online(client, procedure, seed) for seed in (6, 7, 8)]
                await asyncio.to_thread(wait_until, wall, lambda d: tile(d, "submitted") == "4",
                                        45, "submitted today did not move on the page")
                assert scrollbars(wall) == (0, 0), "the wallboard scrolls at 1920x1080"
                assert wall.execute_script(OVERFLOWS) == []
                await asyncio.to_thread(header_reads_whole, wall, "toàn tỉnh")
                # Beside the stages, the open dossiers by status: a chip per status the
                # figures hold, each opening its dossiers.
                assert wall.execute_script(
                    "const chips = [...document.querySelectorAll('#statuses button')];"
                    "return chips.length === lastBody.by_status.length && chips.every("
                    "(c, i) => c.dataset.figure === `status:${lastBody.by_status[i].code}`);")
                for dossier in more:
                    await view_at(client, dossier, 10)
                await asyncio.to_thread(wait_until, wall, lambda d: tile(d, "delivered") == "4",
                                        45, "delivered today did not reach 4")
                assert wall.execute_script("return window.notReloaded === true;")
                assert tile(wall, "on-time-today").replace("\u00a0", " ") == "100,0 %"
                assert not is_red(wall, "satisfaction")
                assert scrollbars(wall) == (0, 0) and wall.execute_script(OVERFLOWS) == []
                wall.save_screenshot(str(ARTIFACTS / "wallboard-1920.png"))

                # The citizen rates on the lookup page; the wallboard sees it (DossierRated).
                citizen = await asyncio.to_thread(browser, 1400, 1800)
                try:
                    await asyncio.to_thread(rate_on_the_lookup_page, citizen, stack.api_url,
                                            first)
                finally:
                    citizen.quit()
                await asyncio.to_thread(wait_until, wall, lambda d: tile(d, "ratings") == "1",
                                        45, "the rating never reached the wallboard")
                assert tile(wall, "satisfaction") == "94,4"

                # The administrator raises the satisfaction threshold in the page's form.
                wall.find_element("id", "open-thresholds").click()
                field = await asyncio.to_thread(
                    wait_until, wall, lambda d: d.find_element("id", "th-satisfaction_min"), 10,
                    "the thresholds form did not open")
                field.clear()
                field.send_keys("95")
                wall.find_element("css selector", "#threshold-form button[type=submit]").click()
                await asyncio.to_thread(wait_until, wall, lambda d: is_red(d, "satisfaction"),
                                        15, "the satisfaction tile did not turn red")
                alarms = wall.find_element("id", "alarms").text
                assert "Điểm hài lòng 94,4 < 95" in alarms
                assert scrollbars(wall) == (0, 0) and wall.execute_script(OVERFLOWS) == []
                wall.save_screenshot(str(ARTIFACTS / "wallboard-alarm.png"))

                # One click from a figure to its dossiers, one more to a dossier's timeline.
                wall.find_element("css selector", '[data-tile="delivered"]').click()
                await asyncio.to_thread(
                    wait_until, wall, lambda d: len(d.find_elements(
                        "css selector", "#drill-rows a.dossier-link")) == 4, 15,
                    "the delivered tile did not list its 4 dossiers")
                wall.save_screenshot(str(ARTIFACTS / "wallboard-drill.png"))
                link = next(a for a in wall.find_elements("css selector",
                                                          "#drill-rows a.dossier-link")
                            if a.text == first["code"])
                link.click()
                await asyncio.to_thread(
                    wait_until, wall, lambda d: "Người nộp đánh giá mức độ hài lòng" in
                    d.find_element("id", "timeline").text, 20,
                    "the dossier's timeline did not open with its rating")
                assert "về bảng theo dõi" in wall.find_element("id", "signin").text
                full_page_screenshot(wall, ARTIFACTS / "wallboard-dossier.png")

                # An agency's count in "Theo cơ quan" opens that agency's dossiers behind it.
                wall.get(f"{wallboard}/")
                cell = await asyncio.to_thread(
                    wait_until, wall, lambda d: d.find_element(
                        "css selector", f'#agencies a[data-for-agency="{procedure["agency"]}"]'
                                        '[data-figure="delivered"]'),
                    20, "the agencies' table has no link behind its on-time share")
                cell.click()
                await asyncio.to_thread(
                    wait_until, wall, lambda d: len(d.find_elements(
                        "css selector", "#drill-rows a.dossier-link")) == 4, 15,
                    "the agency's on-time share did not list its 4 dossiers")
                assert procedure["agency"] in wall.find_element("id", "drill-rows").text

                # A cell of the service index opens the dossiers it is counted over: the
                # electronic results' share, the 4 delivered this month.
                wall.get(f"{wallboard}/")
                cell = await asyncio.to_thread(
                    wait_until, wall, lambda d: d.find_element(
                        "css selector", '#index a[data-figure="index:delivered"]'),
                    20, "the service index's cells are not links")
                cell.click()
                await asyncio.to_thread(
                    wait_until, wall, lambda d: len(d.find_elements(
                        "css selector", "#drill-rows a.dossier-link")) == 4, 15,
                    "the index's electronic results did not list the 4 delivered dossiers")
                assert "Chỉ số 766" in wall.find_element("id", "drill-title").text
                wall.save_screenshot(str(ARTIFACTS / "wallboard-index-drill.png"))

                # An agency's row in "Theo cơ quan" narrows the whole wall to it.
                wall.get(f"{wallboard}/")
                row = await asyncio.to_thread(
                    wait_until, wall, lambda d: d.find_element(
                        "css selector", f'#agencies a[data-agency="{procedure["agency"]}"]'),
                    20, "the agencies' table did not list the agency")
                row.click()
                await asyncio.to_thread(
                    wait_until, wall, lambda d: f"agency={procedure['agency']}" in
                    d.current_url and tile(d, "delivered") == "4" and d.find_element(
                        "id", "scope-name").text == LONGEST.split(" · ")[0], 15,
                    "the agency's row did not narrow the wall to it")

                # The longest title: an agency and a receiving unit chosen. It reads whole on
                # the wall, still without a scrollbar.
                wall.get(f"{wallboard}/?agency={procedure['agency']}&receiving_unit=UBNDCL")
                await asyncio.to_thread(
                    wait_until, wall, lambda d: "tiếp nhận tại" in d.find_element(
                        "id", "scope-name").text and tile(d, "delivered") == "0", 20,
                    "the wallboard did not take the agency and the unit from its address")
                await asyncio.to_thread(header_reads_whole, wall, LONGEST)
                assert scrollbars(wall) == (0, 0), "the long title made the wallboard scroll"
                # Every open status at once (drawn as a poll would draw them, until the next
                # one): the chips stay in their panel, the wall does not scroll.
                wall.execute_script(EVERY_OPEN_STATUS)
                assert wall.execute_script(OVERFLOWS) == [] and scrollbars(wall) == (0, 0)
                wall.save_screenshot(str(ARTIFACTS / "wallboard-1920-scope.png"))
            finally:
                wall.quit()

            laptop = await asyncio.to_thread(browser, 1366, 768)
            try:
                await asyncio.to_thread(sign_in, laptop, wallboard, "dieuhanh")
                await asyncio.to_thread(wait_until, laptop,
                                        lambda d: tile(d, "delivered") == "4", 30,
                                        "the laptop's wallboard showed no figure")
                laptop.save_screenshot(str(ARTIFACTS / "wallboard-laptop.png"))  # as seen
                # On a laptop the page may scroll down, never sideways, and nothing sticks out.
                assert scrollbars(laptop)[0] == 0
                assert laptop.execute_script(OVERFLOWS) == []
                assert laptop.execute_script(HEADER_OVERLAPS) == []

                # The receiving unit's filter: filed online, each was received by its competent
                # agency's desk (SKHDT), none at a commune's.
                from selenium.webdriver.support.ui import Select
                unit = Select(laptop.find_element("id", "f-receiving_unit"))
                unit.select_by_value("UBNDCL")
                await asyncio.to_thread(wait_until, laptop,
                                        lambda d: tile(d, "delivered") == "0", 15,
                                        "the commune's desk still showed the dossiers")
                assert "tiếp nhận tại" in laptop.find_element("id", "scope-name").text
                unit.select_by_value(procedure["agency"])
                await asyncio.to_thread(wait_until, laptop,
                                        lambda d: tile(d, "delivered") == "4", 15,
                                        "the competent agency's desk did not show its dossiers")
                assert "receiving_unit=SKHDT" in laptop.current_url
                # With the agency chosen too, the laptop's header reads whole as well.
                Select(laptop.find_element("id", "f-agency")).select_by_value(
                    procedure["agency"])
                unit.select_by_value("UBNDCL")
                await asyncio.to_thread(wait_until, laptop,
                                        lambda d: d.find_element("id", "scope-name").text
                                        == LONGEST, 15, "the laptop's title did not follow")
                await asyncio.to_thread(header_reads_whole, laptop, LONGEST)
                laptop.execute_script(EVERY_OPEN_STATUS)
                assert laptop.execute_script(OVERFLOWS) == []
                laptop.save_screenshot(str(ARTIFACTS / "wallboard-laptop-scope.png"))
                Select(laptop.find_element("id", "f-agency")).select_by_value("")
                unit.select_by_value(procedure["agency"])
                await asyncio.to_thread(wait_until, laptop,
                                        lambda d: tile(d, "delivered") == "4", 15,
                                        "the laptop's filters did not come back")

                # Form II.06a of the same filters, one click away, from the wallboard's view.
                laptop.find_element("id", "report-06a").click()
                total = await asyncio.to_thread(
                    wait_until, laptop, lambda d: d.find_element(
                        "css selector", '#bao-cao tr[data-key="*"]'), 15,
                    "the II.06a report did not open")
                assert total.find_elements("tag name", "td")[0].text == "4"  # received
                assert "Mẫu II.06a" in laptop.find_element("tag name", "header").text
                laptop.save_screenshot(str(ARTIFACTS / "wallboard-report-06a-1366.png"))
                full_page_screenshot(laptop, ARTIFACTS / "wallboard-report-06a.png")
                # Its 19 columns fit the laptop's 1366 px: neither the page nor the table's
                # card scrolls sideways.
                assert laptop.execute_script(
                    "return document.documentElement.scrollWidth <= window.innerWidth;")
                assert laptop.execute_script(
                    "const card = document.querySelector('.table-wrap');"
                    "return card.scrollWidth <= card.clientWidth;")
            finally:
                laptop.quit()

            for width, height, name in ((360, 800, "public-phone.png"),
                                        (1920, 1080, "public-1920.png")):
                page = await asyncio.to_thread(browser, width, height)
                try:
                    await asyncio.to_thread(page.get, wallboard + "/cong-khai")
                    text = page.find_element("tag name", "body").text
                    assert "Công khai kết quả giải quyết thủ tục hành chính" in text
                    assert "Đường dây nóng: 0214 3 840 000" in text
                    received = page.find_element(
                        "css selector", '[data-figure="received"] .value').text
                    assert received == "4"
                    assert scrollbars(page)[0] <= 0, f"the public page is wider than {width}px"
                    for code in (first["code"], *(d["code"] for d in more)):
                        assert code not in page.page_source  # no dossier on a public page
                    full_page_screenshot(page, ARTIFACTS / name)
                finally:
                    page.quit()
