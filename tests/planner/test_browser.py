"""The planner page in a real browser (Debian's chromium, headless): `recipe
planner` started as a user starts it, the page driven by keys and clicks.

With RECIPE_SCREENSHOT=FILE, the page as drawn is saved there (the screenshot
in docs/planner.md is this test's)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load
from tests.browser import chromium
from tests.conftest import ROOT
from tests.planner.serving import serving

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def _wait(browser, what, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(what)


def _draws(browser) -> int:
    return browser.execute_script("return window.planner ? window.planner.draws : 0")


def _text(browser) -> str:
    return browser.execute_script("return document.getElementById('text').value")


def _status(browser) -> str:
    return browser.find_element("id", "status").text


def _set_knob(browser, name: str, value: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element("css selector", f'#knobs input[name="{name}"]')
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value)
    box.send_keys(Keys.TAB)  # (a change event, as leaving the field gives)


def _select_in_text(browser, around: str, part: str) -> None:
    """Select `part` where it is in the first `around` of the text."""
    browser.execute_script(
        "const t = document.getElementById('text');"
        "const i = t.value.indexOf(arguments[0]) + arguments[0].indexOf(arguments[1]);"
        "t.focus(); t.setSelectionRange(i, i + arguments[1].length);",
        around,
        part,
    )


def test_the_planner_edits_plans_and_saves(browser, tmp_path):
    path = tmp_path / "yolov5s-gmp.md"
    path.write_text(BUNDLED.read_text())
    with serving(path, "--steps-per-epoch", "1849") as server:
        children = subprocess.run(
            ["ps", "--ppid", str(server.proc.pid), "-o", "pid="],
            capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        assert children == []  # (it starts nothing it would have to stop)
        browser.get(server.url)
        _wait(browser, lambda d: _draws(d) >= 1)
        # the charts of `recipe preview`, drawn by plotly from the server's numbers
        charts = browser.find_elements("css selector", "#charts .chart .main-svg")
        assert len(charts) >= 2
        traces = browser.execute_script(
            "return Array.from(document.querySelectorAll('#charts .chart'))"
            ".map(e => e.data.length)"
        )
        assert all(n > 0 for n in traces)
        # a knob for each variable, found by its name
        for var in load(BUNDLED).all_variables():
            assert browser.find_elements(
                "css selector", f'#knobs input[name="{var.name}"]'
            ), var.name
        if os.environ.get("RECIPE_SCREENSHOT"):
            browser.set_window_size(1400, 900)
            time.sleep(0.5)
            browser.save_screenshot(os.environ["RECIPE_SCREENSHOT"])

        # a knob edits the text as `recipe compile --var` does, and the charts redraw
        drawn = _draws(browser)
        _set_knob(browser, "final_sparsity", "0.75")
        _wait(browser, lambda d: "final_sparsity: 0.75" in _text(d))
        _wait(browser, lambda d: _draws(d) > drawn)
        # the knob's edit is one step of the editor's undo
        from selenium.webdriver.common.keys import Keys

        browser.find_element("id", "text").send_keys(Keys.CONTROL, "z")
        _wait(browser, lambda d: "final_sparsity: 0.8 " in _text(d))
        knob = '#knobs input[name="final_sparsity"]'
        _wait(
            browser,
            lambda d: (
                d.find_element("css selector", knob).get_attribute("value") == "0.8"
            ),
        )
        _set_knob(browser, "final_sparsity", "0.75")
        _wait(browser, lambda d: "final_sparsity: 0.75" in _text(d))
        browser.find_element("xpath", "//button[normalize-space()='Save']").click()
        _wait(browser, lambda d: _status(d).startswith("saved"))
        saved = path.read_text()
        assert (
            "final_sparsity: 0.75          # fraction of weights set to zero" in saved
        )
        assert not [
            p for p in lint_recipe(load(path), steps_per_epoch=1849).problems
            if p.severity == "error"
        ]  # fmt: skip

        # a text that does not parse keeps the last charts, greyed, and says where
        def stale(d):
            return "stale" in d.find_element("id", "charts").get_attribute("class")

        _select_in_text(browser, "init_sparsity: 0.05", "0.05")
        browser.find_element("id", "text").send_keys("[0.05")
        _wait(browser, stale)
        assert browser.find_elements("css selector", "#charts .chart .main-svg")
        assert browser.find_elements("css selector", "#gutter .marker.error")
        _select_in_text(browser, "init_sparsity: [0.05", "[0.05")
        browser.find_element("id", "text").send_keys("0.05")
        _wait(browser, lambda d: not stale(d))
        assert _text(browser) == saved

        # typing an error marks its line and lists it
        _select_in_text(browser, "final_sparsity: 0.75", "0.75")
        browser.find_element("id", "text").send_keys("1.5")
        marker = "#gutter .marker.error"
        _wait(browser, lambda d: d.find_elements("css selector", marker))
        found = browser.find_element("css selector", marker)
        line = int(found.get_attribute("data-line"))
        assert "final_sparsity" in _text(browser).split("\n")[line - 1]
        assert "RC301" in found.get_attribute("title")  # (hover: message and hint)
        assert "hint:" in found.get_attribute("title")
        listed = browser.find_element(
            "css selector", f'#problem-list li.error[data-line="{line}"]'
        )
        assert "1.5" in listed.text
        # saving it is refused, and the file stays as saved
        browser.find_element("xpath", "//button[normalize-space()='Save']").click()
        _wait(browser, lambda d: _status(d) == "● unsaved · not saved")
        assert "Not saved" in browser.find_element("id", "refusal").text
        assert path.read_text() == saved

        # a change made on disk behind the page is found at save
        _select_in_text(browser, "final_sparsity: 1.5", "1.5")
        browser.find_element("id", "text").send_keys("0.7")
        _wait(browser, lambda d: not d.find_elements("css selector", marker))
        behind = saved.replace("init_sparsity: 0.05", "init_sparsity: 0.1")
        path.write_text(behind)
        browser.find_element("xpath", "//button[normalize-space()='Save']").click()
        _wait(browser, lambda d: d.find_element("id", "conflict").is_displayed())
        assert path.read_text() == behind  # (never a silent overwrite)
        browser.find_element("id", "conflict-overwrite").click()
        _wait(browser, lambda d: _status(d).startswith("saved"))
        assert path.read_text() == _text(browser)
        assert "final_sparsity: 0.7 " in path.read_text()

        # Ctrl-C stops it: the process ends and the port is closed
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(20) == 0
        import socket

        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2)
