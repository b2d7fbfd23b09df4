"""A full rating session in headless Chromium (Debian's chromium + chromium-driver, Selenium).

Skips with the reason when the browser, the driver or Selenium is missing. Nothing is
downloaded: the driver and browser paths are given explicitly, so Selenium Manager is
never asked to fetch one (SE_OFFLINE makes sure).
"""

import csv
import os
import shutil

import pytest

from keras_medgan.turing.score import score_study

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed "
                                    "(pip install selenium)")
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.isfile(path):
            pytest.skip(f"{path} not found (apt-get install -y {pkg})")
    os.environ["SE_OFFLINE"] = "true"
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def _wait_progress(driver, answered):
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        if answered is None:
            return d.find_element("id", "done").is_displayed()
        text = d.find_element("id", "progress").text
        return f"({answered} answered)" in text and d.find_element("id", "image").get_attribute("data-name")

    WebDriverWait(driver, 10).until(ready)


def test_full_rating_session_survives_a_reload(study, server, browser):
    with open(study / "key.csv") as f:
        truth = {r["image"]: r["truth"] for r in csv.DictReader(f)}
    flip = {"real": "synthetic", "synthetic": "real"}
    given = {}

    def rate_current(k):
        name = browser.find_element("id", "image").get_attribute("data-name")
        answer = truth[name] if k % 3 else flip[truth[name]]     # every third answer wrong
        browser.find_element("id", f"btn-{answer}").click()
        given[name] = answer

    browser.get(server + "/")
    browser.find_element("id", "reader").send_keys("Dr Who")
    browser.find_element("id", "start").click()
    _wait_progress(browser, 0)
    for k in range(3):
        rate_current(k)
        _wait_progress(browser, k + 1)

    browser.refresh()                      # mid-way reload: resumes at the next unanswered
    _wait_progress(browser, 3)
    assert "Image 4 of 8" in browser.find_element("id", "progress").text
    assert browser.find_element("id", "reader-name").text == "Dr Who"
    assert browser.find_element("id", "image").get_attribute("data-name") not in given

    for k in range(3, 8):
        rate_current(k)
        _wait_progress(browser, k + 1 if k < 7 else None)
    assert "8 / 8 answered" in browser.find_element("id", "done-count").text
    assert len(given) == 8

    result = score_study(study)
    m = result["readers"]["Dr Who"]
    assert m["complete"] and m["n"] == 8
    wrong = sum(given[i] != truth[i] for i in given)
    assert wrong == 3 and m["correct"] == 5
    rr = sum(truth[i] == "real" and given[i] == "real" for i in given)
    assert m["table"]["real→real"] == rr
