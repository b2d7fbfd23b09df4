"""A full rating session in headless Chromium (the ``browser`` fixture in tests/conftest.py)."""

import csv

from keras_medgan.turing.score import score_study


def _wait_progress(driver, answered):
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        if answered is None:
            return d.find_element("id", "done").is_displayed()
        text = d.find_element("id", "progress").text
        return f"({answered} answered)" in text and d.find_element("id", "image").get_attribute(
            "data-name"
        )

    WebDriverWait(driver, 10).until(ready)


def test_full_rating_session_survives_a_reload(study, server, browser):
    with open(study / "key.csv") as f:
        truth = {r["image"]: r["truth"] for r in csv.DictReader(f)}
    flip = {"real": "synthetic", "synthetic": "real"}
    given = {}

    def rate_current(k):
        name = browser.find_element("id", "image").get_attribute("data-name")
        answer = truth[name] if k % 3 else flip[truth[name]]  # every third answer wrong
        browser.find_element("id", f"btn-{answer}").click()
        given[name] = answer

    browser.get(server + "/")
    browser.find_element("id", "reader").send_keys("Dr Who")
    browser.find_element("id", "start").click()
    _wait_progress(browser, 0)
    for k in range(3):
        rate_current(k)
        _wait_progress(browser, k + 1)

    browser.refresh()  # mid-way reload: resumes at the next unanswered
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
