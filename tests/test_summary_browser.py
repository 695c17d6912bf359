"""The summary for my appointment in Debian's Chromium: it prints on at most two
Letter pages with six options and ten questions, nothing stored in the browser
either but the address, and it reads well on a phone and a wide screen."""

import pytest

from .kit import (
    HORIZONTAL_OVERFLOW,
    SCREENSHOT_DIR,
    SIX_OPTIONS_TEN_QUESTIONS,
    TAKE_SCREENSHOTS,
    axe_violations,
    browser_page,
    save_screenshot,
)

pytestmark = pytest.mark.browser


# Six options, every "what matters" marked, where I am in deciding, and ten questions
# (eight ticked from the options' lists, two of the patient's own).
def pdf_page_count(pdf):
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_six_options_and_ten_questions_print_on_at_most_two_letter_pages(
    browser, live_server, published_site
):
    with browser_page(browser) as page:
        page.goto(live_server.url + SIX_OPTIONS_TEN_QUESTIONS)
        questions = page.locator(".summary-sheet ol.summary-questions > li").count()
        options = page.locator(".summary-sheet ul.summary-options > li").count()
        page.emulate_media(media="print")
        form_printed = page.locator(".summary-form").is_visible()
        phone_printed = page.locator(".summary-call").inner_text()
        pdf = page.pdf(format="Letter")
        cookies = page.context.cookies()
        storage = page.evaluate("[localStorage.length, sessionStorage.length]")
        if TAKE_SCREENSHOTS:
            (SCREENSHOT_DIR / "my-summary-print.pdf").write_bytes(pdf)
            page.screenshot(
                path=str(SCREENSHOT_DIR / "my-summary-print.png"), full_page=True
            )
    assert (options, questions) == (6, 10)
    assert not form_printed
    assert "(888) 552-6760" in phone_printed
    assert 1 <= pdf_page_count(pdf) <= 2, pdf_page_count(pdf)
    assert cookies == []
    assert storage == [0, 0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_the_summary_reads_on_a_phone_and_a_wide_screen(
    width, browser, axe_script, live_server, published_site
):
    with browser_page(browser, viewport={"width": width, "height": 800}) as page:
        page.goto(live_server.url + SIX_OPTIONS_TEN_QUESTIONS.replace("&show=1", ""))
        save_screenshot(page, f"my-summary-form-{width}.png", full_page=True)
        form_violations = axe_violations(page, axe_script)
        page.goto(live_server.url + SIX_OPTIONS_TEN_QUESTIONS)
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        violations = axe_violations(page, axe_script)
        save_screenshot(page, f"my-summary-{width}.png", full_page=True)
    assert overflow is None, overflow
    assert form_violations == []
    assert violations == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_375_px_phone_home_offers_find_options_in_the_first_screen_calmly(
    browser, live_server, published_site
):
    with browser_page(browser, viewport={"width": 375, "height": 667}) as page:
        page.goto(live_server.url + "/")
        link = page.get_by_role("link", name="Find options that may fit your situation")
        box = link.first.bounding_box()
        opening = page.locator(".prose p").first.inner_text()
        body = page.locator(".prose").inner_text()
        save_screenshot(page, "home-first-screen-375.png")
    assert box["y"] + box["height"] <= 667, box
    assert "advanced stage" not in opening
    # The fact stays, further down.
    assert "Most people with a NET find out they have it at an advanced stage" in body


# The new screens, at both widths, for people to look at (NETGUIDE_SCREENSHOTS=1).
NEW_SCREENS = {
    "explore-results-in-guide-order": "/explore/?origin=gi&symptoms=yes&liver=yes"
    "&show=1#results",
    "explore-not-sure": "/explore/?origin=not-sure&grade=not-sure&show=1#results",
    "compare-all-that-fit": "/compare/?t=surgery&t=chemotherapy&t=hormone-therapy"
    "&t=radiation-therapy&t=interventional-radiology&t=gastroenterology",
    "about-this-guide": "/about-this-guide/",
    "home-first-screen": "/",
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_the_new_screens_reflow_and_pass_axe(
    width, browser, axe_script, live_server, published_site
):
    problems = []
    with browser_page(browser, viewport={"width": width, "height": 800}) as page:
        for name, path in NEW_SCREENS.items():
            page.goto(live_server.url + path)
            if page.evaluate(HORIZONTAL_OVERFLOW) is not None:
                problems.append(f"{name}: scrolls sideways")
            violations = axe_violations(page, axe_script)
            if violations:
                problems.append(f"{name}: {violations}")
            save_screenshot(page, f"{name}-{width}.png")
    assert problems == []
