"""The summary sent with an appointment request, in Debian's Chromium: the summary's
link opens the form with both boxes unticked, it reads on a phone and a wide screen
and passes axe."""

import pytest

from .kit import (
    HORIZONTAL_OVERFLOW,
    SIX_OPTIONS_TEN_QUESTIONS,
    axe_violations,
    browser_page,
    save_screenshot,
)

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_the_summary_link_opens_the_form_with_the_summary_offered_unticked(
    width, browser, axe_script, live_server, published_site
):
    with browser_page(browser, viewport={"width": width, "height": 800}) as page:
        page.goto(live_server.url + SIX_OPTIONS_TEN_QUESTIONS)
        page.locator(".summary-keep a", has_text="Ask for an appointment").click()
        page.wait_for_selector("#summary-attach")
        ticked = [
            page.is_checked("#id_add_summary_list"),
            page.is_checked("#id_add_summary_told"),
        ]
        questions = page.locator(".summary-attach-list li").count()
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        violations = axe_violations(page, axe_script)
        page.evaluate("document.getElementById('summary-attach').scrollIntoView()")
        save_screenshot(page, f"appointment-with-summary-{width}.png")
    assert ticked == [False, False]
    assert questions == 10
    assert overflow is None, overflow
    assert violations == []
