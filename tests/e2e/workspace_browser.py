"""What the workspace's browser tests share (tests/e2e/test_workspace*.py, test_desk_workspace.py,
test_workspace_journey.py): accounts made with `motcua officer add`, signing in in the browser,
an HTTP client holding the browser's cookies, a work item waited for in a stage's queue, a
decision sent from an item page, a form filled, a page reloaded until the stack has caught up,
a PDF read back with pdftotext, and screenshots in test-artifacts/."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence

import httpx

from tests.browser import full_page_screenshot, wait_until
from tests.conftest import ARTIFACTS

PASSWORD = "Mật-khẩu-thử-nghiệm-2026"


def add_officer(database_url: str, tmp_path, agency: str, role: str | Sequence[str], name: str,
                full_name: str) -> None:
    """`motcua officer add`, as an administrator runs it, the password from a file; `role` one
    role or several (a desk officer who files and hands over)."""
    secret = tmp_path / f"{name}.password"
    secret.write_text(PASSWORD + "\n")
    roles = [role] if isinstance(role, str) else list(role)
    done = subprocess.run(
        [sys.executable, "-m", "motcua_cli", "officer", "add", "--agency", agency,
         *[a for r in roles for a in ("--role", r)],
         "--name", name, "--full-name", full_name, "--password-file", str(secret)],
        env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"account {name}" in done.stdout


async def item_in_queue(queue_url: str, headers: dict, code: str, timeout: float = 120, *,
                        state: str | None = None) -> dict:
    """The dossier's item in a stage's queue (any state, or the one given) once it is there."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=queue_url, timeout=30) as client:
        while time.monotonic() < deadline:
            items = (await client.get("/api/work-items", headers=headers,
                                      params={"state": "all"})).json()
            found = next((i for i in items if i["code"] == code
                          and (state is None or i["state"] == state)), None)
            if found is not None:
                return found
            await asyncio.sleep(0.5)
    raise AssertionError(f"{code} never reached {queue_url}" + (f" in state {state}"
                                                                 if state else ""))


def sign_in(driver, base: str, name: str, password: str = PASSWORD) -> None:
    driver.find_element("id", "ten").clear()
    driver.find_element("id", "ten").send_keys(name)
    driver.find_element("id", "mat_khau").send_keys(password)
    driver.find_element("id", "nut-dang-nhap").click()


def signed_in_as(driver, base: str, name: str, path: str) -> None:
    """A fresh session for `name`, landing on `path`."""
    driver.delete_all_cookies()
    driver.get(base + path)
    wait_until(driver, lambda d: "/dang-nhap" in d.current_url, 20, "sent to sign in")
    sign_in(driver, base, name)
    wait_until(driver, lambda d: d.current_url.split("#")[0].endswith(path), 30,
               f"back at {path} as {name}")


def browser_client(driver, base: str) -> httpx.Client:
    """An HTTP client holding the browser's cookies: what the browser itself would fetch."""
    return httpx.Client(base_url=base, timeout=30, cookies={
        cookie["name"]: cookie["value"] for cookie in driver.get_cookies()})


def decide_in_page(driver, decision: str) -> str:
    """Open the decision's form (unless it is the only one, open already) and send it."""
    open_decision(driver, decision)
    driver.find_element("id", f"gui-{decision}").click()
    notice = wait_until(driver, lambda d: d.find_element("id", "thong-bao"), 30,
                        f"the {decision} decision's confirmation")
    return notice.text


def open_decision(driver, decision: str) -> None:
    if driver.find_element("id", f"quyet-dinh-{decision}").get_attribute("open") is None:
        summary = driver.find_element("css selector", f"#quyet-dinh-{decision} > summary")
        driver.execute_script("arguments[0].scrollIntoView()", summary)
        summary.click()


def fill(driver, element_id: str, text: str) -> None:
    field = driver.find_element("id", element_id)
    field.clear()
    field.send_keys(text)


def reload_until(driver, url: str, condition, timeout: float, what: str):
    """The page loaded again until `condition` holds: the stack works in the background."""
    deadline = time.monotonic() + timeout
    while True:
        driver.get(url)
        try:
            found = condition(driver)
        except Exception:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} (at {driver.current_url}: " \
            f"{driver.find_element('tag name', 'body').text[:400]!r})"
        time.sleep(1)


def pdf_text(content: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return " ".join(done.stdout.split())


def screenshot(driver, name: str, *, frame: str | None = None, whole: bool = True) -> None:
    """test-artifacts/`name`.png: the whole page; or, for a PDF in a frame, the window scrolled
    to it (the PDF viewer draws only what the window shows, so a whole-page capture leaves it
    half drawn); `whole=False`, the window as it is."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if frame is not None:
        driver.execute_script(f"document.getElementById('{frame}').scrollIntoView()")
        time.sleep(2)  # the viewer draws the page at the frame's width
        driver.save_screenshot(str(path))
    elif whole:
        full_page_screenshot(driver, path)
    else:
        driver.save_screenshot(str(path))
