"""Debian's chromium through its chromedriver (selenium), headless and offline,
for the pages' tests: missing, it fails where the browser is required (CI,
RECIPE_REQUIRE_RUNNER) and skips elsewhere."""

from __future__ import annotations

import os
import shutil

import pytest


def chromium():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        missing = str(exc)
    else:
        missing = "" if chromium and driver else "chromium and chromium-driver"
    if missing:
        if os.environ.get("CI") or os.environ.get("RECIPE_REQUIRE_RUNNER"):
            pytest.fail(
                f"the browser test needs {missing} (apt-get install chromium "
                "chromium-driver)"
            )
        pytest.skip(f"no browser: {missing}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)
