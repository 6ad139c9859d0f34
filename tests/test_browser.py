"""Every report opened in a real browser (headless Chromium through Selenium).

By default the reports are built here, on a small synthetic sample with tiny model
settings, through the runner `make report` uses. With ``ZEEREC_BROWSER_REPORTS=folder``
the tests open the reports in that folder instead (CI: the real-data run of
`make report`). Without Chromium and chromedriver the tests skip, saying so, unless
``ZEEREC_REQUIRE_BROWSER=1`` (set by .ci/run), where a missing browser fails.

A screenshot of each page is saved in ``<reports>/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, run_notebooks

from zeerec.report import SPARK_NOTEBOOKS
from zeerec.spark.session import unavailable_reason
from zeerec.synthetic import generate

REPORTS_ENV = "ZEEREC_BROWSER_REPORTS"
REQUIRE_ENV = "ZEEREC_REQUIRE_BROWSER"
# the Spark notebook runs only where PySpark and Java are (CI); elsewhere the runner
# lists it as not run and has no page to open
NOTEBOOKS = sorted(
    p.stem
    for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    if p.stem not in SPARK_NOTEBOOKS or unavailable_reason() is None
)
WIDTH, HEIGHT = 1300, 1000  # a laptop screen: "the first screen" below
SCREENSHOT_MAX = 16000  # px: taller pages are cut in the saved screenshot
# small enough for seconds per notebook; the page, not the numbers, is under test here
TINY = {
    "top_n": 5,
    "k": 5,
    "factors": 8,
    "n_members": 2,
    "epochs": 4,
    "batch_size": 1024,
    "learning_rate": 0.01,
    "seed_epochs": 2,
    "seed_batch_size": 1024,
    "seed_learning_rate": 0.01,
    "ablation_ratings": 0,
    "n_users": 60,
    "ease_lambdas": [50],
    "mf_epochs": 2,
    "fallback_epochs": 5,
}
EPOCH_LINE = re.compile(r"Epoch \d+/\d+")


def _browser_binaries() -> tuple[str, str] | None:
    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _no_browser(reason: str):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 forbids skipping the browser tests")
    pytest.skip(f"{reason}: install Debian's chromium and chromium-driver to run them")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    given = os.environ.get(REPORTS_ENV)
    if given:
        return Path(given).resolve()
    if _browser_binaries() is None:
        _no_browser("no Chromium or chromedriver on PATH")
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.05, seed=3)
    out = tmp_path_factory.mktemp("browser")
    run_notebooks(sample, out, TINY, [])
    return out / "reports"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binaries = _browser_binaries()
    if binaries is None:
        _no_browser("no Chromium or chromedriver on PATH")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binaries[0]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=binaries[1]))
    yield driver
    driver.quit()


def _open(browser, page: Path) -> None:
    assert page.is_file(), f"{page} was not generated"
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(page.as_uri())
    browser.execute_script("window.scrollTo(0, 0)")


def _console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _broken_images(browser) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => (i.alt || '') + ' ' + i.src.slice(0, 60));"
    )


def _screenshot(browser, target: Path) -> None:
    """The whole page (up to SCREENSHOT_MAX px high) as PNG."""
    import base64

    height = min(browser.execute_script("return document.body.scrollHeight"), SCREENSHOT_MAX)
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        },
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))


def _synthetic(reports: Path) -> bool:
    return json.loads((reports / "metrics.json").read_text())["data"]["synthetic"]


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_reads_in_a_browser(reports, browser, name):
    from selenium.webdriver.common.by import By

    _open(browser, reports / f"{name}.html")
    _screenshot(browser, reports / "screenshots" / f"{name}.png")
    assert _console_errors(browser) == []
    assert _broken_images(browser) == []
    # the banner on synthetic data, above the title; none on real data
    banners = browser.find_elements(By.CSS_SELECTOR, ".zr-banner")
    if _synthetic(reports):
        assert banners and banners[0].is_displayed()
        title = browser.find_element(By.TAG_NAME, "h1")
        assert banners[0].location["y"] < title.location["y"]
    else:
        assert banners == []
    # no training log on the screen; the findings are
    visible = browser.execute_script("return document.body.innerText")
    assert not EPOCH_LINE.search(visible)
    assert browser.find_elements(By.CSS_SELECTOR, ".zr-findings li")


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_code_is_folded_and_one_click_away(reports, browser, name):
    from selenium.webdriver.common.by import By

    _open(browser, reports / f"{name}.html")
    cells = browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")
    folds = browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell details.zr-code")
    assert cells and len(folds) == len(cells), "a code cell without its show-code control"
    code = browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputArea-editor")
    assert len(code) == len(cells)
    assert not any(c.is_displayed() for c in code), "code shown on load"
    summary = folds[0].find_element(By.TAG_NAME, "summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    assert code[0].is_displayed() and not code[1 % len(code)].is_displayed()
    browser.find_element(By.ID, "zr-all-code").click()
    assert all(c.is_displayed() for c in code)


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_contents_resolve_and_first_figure_is_near_the_top(reports, browser, name):
    from selenium.webdriver.common.by import By

    _open(browser, reports / f"{name}.html")
    links = browser.find_elements(By.CSS_SELECTOR, "nav.zr-toc a")
    assert links, "no table of contents"
    for link in links:
        target = browser.execute_script(
            "arguments[0].click(); const t = document.querySelector(':target');"
            "return t === null ? null : t.textContent;",
            link,
        )
        assert target and link.text in target, f"contents link {link.text!r} leads nowhere"
    browser.execute_script("history.replaceState(null, '', location.pathname); scrollTo(0, 0)")
    # the first result, a figure (or a table where the narrative starts with tables: 01,
    # 03, 04, 06), is on the first screen after the header, not below logs or code
    gaps = browser.execute_script(
        "const h = document.querySelector('header.zr-header').getBoundingClientRect().bottom;"
        "const top = s => { const e = document.querySelector(s);"
        "  return e === null ? null : e.getBoundingClientRect().top - h; };"
        "return [top('figure.zr-figure img'), top('.jp-OutputArea-output table')];"
    )
    first = min(g for g in gaps if g is not None)
    assert first < HEIGHT, f"the first figure or table starts {first:.0f} px below the header"
    if name.startswith("05"):
        assert gaps[0] < HEIGHT, f"report 05's first figure starts {gaps[0]:.0f} px down"


@pytest.mark.notebooks
def test_index_is_the_front_page(reports, browser):
    from selenium.webdriver.common.by import By

    _open(browser, reports / "index.html")
    _screenshot(browser, reports / "screenshots" / "index.png")
    assert _console_errors(browser) == []
    assert _broken_images(browser) == []
    for name in NOTEBOOKS:
        card = browser.find_element(By.ID, f"card-{name}")
        assert "zr-ok" in card.get_attribute("class").split(), f"{name} is not ok"
        assert (reports / f"{name}.html").is_file()
        assert card.find_elements(By.CSS_SELECTOR, "li"), f"{name} shows no findings"
    assert browser.find_elements(By.CSS_SELECTOR, ".zr-card img")  # the main figures
