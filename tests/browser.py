"""Headless chromium for the tests that look at pages (the dashboard, the lookup page): Debian's
chromium driven through its chromedriver, and a wait that says what the page showed when it
gave up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def browser(width: int = 1400, height: int = 1800):
    """Headless chromium driven through the system chromedriver: both paths given, so Selenium
    Manager has nothing to look up or download."""
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("the page tests need Debian's chromium and chromium-driver: "
                    "apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={width},{height}", "--lang=vi-VN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # A window is never narrower than about 500 px: a phone's width is emulated instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return driver


def wait_until(driver, condition, timeout: float, what: str):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page redraws its lists on every refresh, so an element found a moment ago can be gone:
    # the condition is simply tried again.
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25,
                             ignored_exceptions=[StaleElementReferenceException]
                             ).until(condition)
    except TimeoutException:
        console = [entry["message"] for entry in driver.get_log("browser")]
        page = driver.find_element("tag name", "body").text[:500]
        raise AssertionError(f"{what} (at {driver.current_url}; browser console: {console}; "
                             f"page: {page!r})") from None




def full_page_screenshot(driver, path) -> None:
    """The whole page, not only the window, at the window's (or the emulated phone's) width."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True})
    Path(path).write_bytes(base64.b64decode(shot["data"]))
