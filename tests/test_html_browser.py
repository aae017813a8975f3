"""The HTML report in a real browser: Debian's Chromium, headless, driven by its own chromium-driver.

Opened offline from the file, each page must log no console error, ask for nothing but itself,
show the counts `--format json` gives, run no script a payload wrote, follow the reader's dark
mode and print. Screenshots are kept as test artifacts (`$TEST_ARTIFACTS`, else the test's folder)
for a person to look at: the bundled examples, a hostile log, a probe of the llama.cpp server.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.test_probe_servers import llamacpp  # noqa: F401 - the fixture: the real llama.cpp server

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium with its console and network logged; no extension, no download of anything."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (dependency group 'browser')")
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        _missing("Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Any, page: Path) -> dict[str, int]:
    """Open the page; hold it to no console error and no request but its own; its summary counts."""
    browser.get_log("browser")
    browser.get_log("performance")  # what earlier pages left
    browser.get(page.as_uri())
    console = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert console == [], console
    requests = [
        message["params"]["request"]["url"]
        for message in (json.loads(entry["message"])["message"] for entry in browser.get_log("performance"))
        if message["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [page.as_uri()], requests
    counts = browser.execute_script(
        "const counts = {};"
        "for (const cell of document.querySelectorAll('td[data-count]'))"
        "  counts[cell.dataset.count] = Number(cell.textContent.replaceAll(',', ''));"
        "return counts;"
    )
    assert isinstance(counts, dict)
    return counts


def _shown(document: dict[str, Any]) -> dict[str, int]:
    return {key: value for key, value in document["summary"].items() if key != "unreadable_files"}


def _screens(browser: Any, page: Path, name: str, folder: Path) -> None:
    """Light and dark screenshots, and the page printed: what the issue asks a person can look at."""
    browser.set_window_size(1280, 1000)
    assert browser.save_screenshot(str(folder / f"{name}.png"))
    background = "return getComputedStyle(document.body).backgroundColor"
    assert browser.execute_script(background) == "rgb(255, 255, 255)"
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        assert browser.execute_script(background) == "rgb(13, 17, 23)", "the reader's dark mode is followed"
        assert browser.save_screenshot(str(folder / f"{name}-dark.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF")
    (folder / f"{name}.pdf").write_bytes(pdf)


def test_the_examples_report_in_a_browser(browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "examples.html"
    examples = str(REPO / "tests/examples")
    cli("--format", "html", "-o", str(page), examples)
    document = json.loads(cli("--format", "json", examples).stdout)
    assert _open(browser, page) == _shown(document)
    rows = browser.execute_script("return document.querySelectorAll('#rules ~ table tbody tr').length")
    assert rows == len({error["keyword"] for error in document["errors"]})
    _screens(browser, page, "examples", _artifacts(tmp_path))


def test_a_hostile_log_runs_nothing_in_a_browser(browser: Any, tmp_path: Path) -> None:
    log = tmp_path / "hostile.jsonl"
    huge = {"id": "x", "object": "<script>document.title='pwned'</script>" + "x" * 1_000_000, "choices": []}
    log.write_text((REPO / "tests/html/hostile.jsonl").read_text(encoding="utf-8") + json.dumps(huge) + "\n")
    page = tmp_path / "hostile.html"
    cli("--format", "html", "-o", str(page), str(log))
    document = json.loads(cli("--format", "json", str(log)).stdout)
    assert _open(browser, page) == _shown(document)
    assert browser.title == "completion-validator report", "no script from a payload ran"
    assert browser.execute_script("return document.scripts.length + document.images.length") == 0
    assert browser.execute_script("return document.querySelectorAll('iframe, object, embed, form').length") == 0
    browser.save_screenshot(str(_artifacts(tmp_path) / "hostile.png"))


def test_a_probe_of_the_llamacpp_server_in_a_browser(browser: Any, llamacpp: str, tmp_path: Path) -> None:  # noqa: F811
    page = tmp_path / "probe.html"
    arguments = ("probe", "--base-url", llamacpp, "--model", "tiny", "--timeout", "60")
    status = cli(*arguments, "--format", "html", "-o", str(page)).returncode
    document = json.loads(cli(*arguments, "--format", "json").stdout)
    assert status == document["summary"]["exit_status"]
    assert _open(browser, page) == _shown(document)
    cases = browser.execute_script("return document.querySelectorAll('#card ~ table tbody tr').length")
    assert cases == document["summary"]["files"]
    _screens(browser, page, "probe", _artifacts(tmp_path))
