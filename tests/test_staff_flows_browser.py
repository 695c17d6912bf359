"""The staff's flows in a real browser, counted as issue 26 counts them: every click
(a tap into a field, a button, a link; choosing from a list is two) and every time
the next target was off the screen (a scroll). Logging in is not counted."""

import re

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest, Status
from editorial.models import ReviewState

from .kit import (
    ADMIN_LIST,
    browser_page,
    edit,
    log_in,
    make_published,
    make_request,
    save_screenshot,
)

# The tests on the published site come first: its rows are built once per session,
# before this module's transactional tests empty the database.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


class Tally:
    """Clicks and scrolls on the way through a flow."""

    def __init__(self, page):
        self.page, self.clicks, self.scrolls = page, 0, 0

    def reach(self, locator):
        """The target, counting a scroll when it is not on the screen."""
        box = locator.bounding_box()
        height = self.page.viewport_size["height"]
        if box is None or box["y"] < 0 or box["y"] + box["height"] > height:
            self.scrolls += 1
        return locator

    def click(self, locator):
        self.reach(locator).click()
        self.clicks += 1
        self.page.wait_for_load_state()

    def type(self, locator, text):
        self.reach(locator).click()
        self.clicks += 1
        locator.fill(text)

    def choose(self, locator, value):
        self.reach(locator).select_option(value)
        self.clicks += 2

    def tap_phone(self, locator):
        """A tel: link hands the number to the phone: counted, not followed."""
        assert self.reach(locator).get_attribute("href").startswith("tel:")
        self.clicks += 1


CONTENT_LISTS = [
    "treatments/treatment",
    "treatments/sideeffect",
    "treatments/page",
    "treatments/glossaryterm",
    "treatments/reviewerprofile",
    "treatments/sitesettings",
    "treatments/drug",
    "appointments/appointmentrequest",
]
# Which columns end to the right of the list's area, and which row links something
# else covers (the point under the link's middle is not the link).
LIST_LAYOUT = """() => {
  const table = document.querySelector('#result_list');
  const area = table.closest('.results') || table.parentElement;  // it scrolls sideways
  const right = area.getBoundingClientRect().right;
  const cut = [...table.querySelectorAll('thead th')]
    .filter(th => th.getBoundingClientRect().right > right + 1)
    .map(th => th.innerText.trim());
  const covered = [...table.querySelectorAll('tbody a')].filter(a => {
    const b = a.getClientRects()[0];  // a name on two lines: its first line
    if (!b || !b.width || b.bottom > innerHeight || b.right > innerWidth) return false;
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return hit && !a.contains(hit);
  }).map(a => a.innerText);
  return {cut, covered};
}"""


def test_every_list_fits_1280_px_and_no_filter_covers_a_row_link(
    published_site, live_server, browser, superuser
):
    """Before: at 1280 px the treatment list was 1,121 px in a 631 px area, with
    Review state, Public and Next review due off the screen."""
    make_request(treatment="surgery")
    found = {}
    for label, viewport in (("1280", DESKTOP), ("375", PHONE)):
        with browser_page(browser, viewport=viewport) as page:
            page.set_default_timeout(15_000)
            log_in(page, live_server.url, "root")
            for path in CONTENT_LISTS:
                page.goto(f"{live_server.url}/admin/{path}/")
                found[label, path] = page.evaluate(LIST_LAYOUT)
            page.goto(f"{live_server.url}/admin/treatments/treatment/")
            save_screenshot(page, f"treatment-list-{label}.png")
    for (label, path), layout in found.items():
        assert layout["covered"] == [], (label, path, layout)
        if label == "1280":
            assert layout["cut"] == [], (path, layout)


def test_a_coordinator_finds_the_open_requests_and_calls_from_the_list(
    published_site, live_server, browser, coordinator, clock
):
    """Before: 6 clicks and 2 scrolls to call the next request and log "No answer",
    with closed requests still in the list and rows reading "Request #1 (New)"."""
    maria = make_request(
        name="Maria Lopez",
        best_time="morning",
        language="es",
        interpreter=True,
        treatment="hormone-therapy",
    )
    make_request(name="Old Closed", status=Status.CLOSED)
    with browser_page(browser, viewport=DESKTOP) as page:
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, "coordinator")
        content = page.locator("#content")
        # The inbox first; no editorial desk.
        expect(content.locator("h2").first).to_have_text("Appointment requests")
        expect(content).not_to_contain_text("Editorial desk")
        expect(page.locator(".signed-in-as")).to_have_text("coordinator, Coordinator")
        save_screenshot(page, "admin-home-coordinator-1280.png")

        calling = Tally(page)
        calling.click(page.get_by_role("link", name="1 open", exact=True))
        expect(page).to_have_url(re.compile(r"\?state=open$"))
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        row = rows.first
        expect(row.locator(".field-name")).to_have_text("Maria Lopez")
        expect(row.locator(".field-best_time_column")).to_have_text("Morning")
        expect(row.locator(".field-language_column")).to_have_text("Spanish")
        expect(row.locator(".field-flags")).to_contain_text("Interpreter")
        expect(row.locator(".field-treatment_column")).to_have_text("Hormone therapy")
        expect(row.locator(".field-due_column")).to_have_text("Thu 10:00")
        save_screenshot(page, "appointment-inbox-1280.png")
        calling.tap_phone(row.get_by_role("link", name="(555) 234-5678"))
        calling.click(row.get_by_role("link", name=str(maria)))
        calling.choose(page.locator("select[name='attempts-0-outcome']"), "no-answer")
        calling.click(page.get_by_role("button", name="Save", exact=True))
        # The same clicks as before (the call is now made from the list), one scroll
        # down to the call attempts instead of two (the save row stays in view), and
        # only open requests in the list.
        assert (calling.clicks, calling.scrolls) == (6, 1)
        assert [a.outcome for a in maria.attempts.all()] == ["no-answer"]

        # Closing as unreachable after that one try is refused, and says why.
        closing = Tally(page)
        closing.click(page.locator("#result_list").get_by_role("link", name=str(maria)))
        closing.choose(page.locator("select[name=status]"), "closed")
        closing.choose(page.locator("select[name=close_reason]"), "unreachable")
        closing.click(page.get_by_role("button", name="Save", exact=True))
        expect(page.locator(".field-close_reason .errorlist")).to_contain_text(
            "Not closed: 1 unanswered call so far. Try at least 3 times"
        )
        save_screenshot(page, "appointment-close-refused-1280.png", full_page=True)
        maria.refresh_from_db()
        assert maria.status == Status.NEW

    with browser_page(browser, viewport=PHONE) as page:
        log_in(page, live_server.url, "coordinator", ADMIN_LIST + "?state=open")
        phone = page.locator("#result_list .field-phone_column a")
        assert phone.get_attribute("href") == "tel:+15552345678"
        save_screenshot(page, "appointment-inbox-375.png", full_page=True)
        page.goto(live_server.url + "/admin/")
        save_screenshot(page, "admin-home-coordinator-375.png")
    assert AppointmentRequest.objects.open().count() == 1


def test_the_edit_submit_approve_cycle_takes_seven_clicks(
    live_server, browser, editor, reviewer
):
    """Before (issue 26): 11 clicks by this count (editor 8, reviewer 3), 3 scrolls
    (13,060 px down the change form); the issue's own count was 13."""
    record = make_published(editor, reviewer, body="Old words about scans.")
    base = live_server.url

    with browser_page(browser, viewport=DESKTOP) as page:
        page.set_default_timeout(15_000)
        log_in(page, base, "editor")
        editing = Tally(page)
        editing.click(page.get_by_role("link", name="Treatments", exact=True))
        editing.click(
            page.locator("#result_list").get_by_role("link", name=record.title)
        )
        editing.type(page.locator("#id_summary"), "A plan to watch a slow tumor.")
        save_screenshot(page, "change-form-save-row-1280.png")
        editing.type(
            page.get_by_label("What changed, in one line for patients"), "Plainer."
        )
        editing.click(page.get_by_role("button", name="Save and submit for review"))
        expect(page.locator(".messagelist")).to_contain_text(
            "revision 2 and submitted for medical review"
        )

    with browser_page(browser, viewport=DESKTOP) as page:
        page.set_default_timeout(15_000)
        log_in(page, base, "reviewer")
        save_screenshot(page, "admin-home-reviewer-1280.png")
        reviewing = Tally(page)
        reviewing.click(
            page.locator(".home-queue").get_by_role("link", name=record.title)
        )
        reviewing.click(page.get_by_role("button", name="Approve and publish"))
        expect(page.locator(".messagelist")).to_contain_text("approved and published")

    record.refresh_from_db()
    assert record.review_state == ReviewState.APPROVED
    assert record.live_revision.number == 2
    assert (editing.clicks, reviewing.clicks) == (5, 2)
    assert editing.clicks + reviewing.clicks <= 7
    # The save row stays at the foot of the screen: no scrolling down the form.
    assert editing.scrolls == 0
    # The reviewer reads the changes and the preview above the decision.
    assert reviewing.scrolls <= 1


def test_the_save_row_fits_a_phone(live_server, browser, editor, reviewer):
    record = make_published(editor, reviewer)
    with browser_page(browser, viewport=PHONE) as page:
        log_in(
            page, live_server.url, "editor", f"/admin/treatments/treatment/{record.pk}/"
        )
        row = page.locator(".save-row")
        box = row.bounding_box()
        # In view at the foot of the first screen, with both buttons.
        assert box["y"] + box["height"] <= PHONE["height"] + 1
        for name in ("Save", "Save and submit for review"):
            button = row.get_by_role("button", name=name, exact=True)
            expect(button).to_be_in_viewport()
        save_screenshot(page, "change-form-save-row-375.png")


def test_each_role_sees_its_name_and_role_and_its_own_home(
    live_server, browser, editor, reviewer
):
    record = make_published(editor, reviewer)
    edit(record, editor, summary="A draft change.")
    for username, role, first in (
        ("editor", "Test Editor, Editor", "Your drafts, not yet submitted (1)"),
        ("reviewer", "reviewer, Medical reviewer", None),
    ):
        for label, viewport in (("1280", DESKTOP), ("375", PHONE)):
            with browser_page(browser, viewport=viewport) as page:
                log_in(page, live_server.url, username)
                expect(page.locator(".signed-in-as")).to_have_text(role)
                expect(page.locator("#user-tools")).not_to_contain_text("WELCOME")
                if first:
                    expect(page.locator("#content h2").first).to_have_text(first)
                save_screenshot(page, f"admin-home-{username}-{label}.png")


SCREEN_320 = """() => {
  const heading = document.querySelector('main h1').getBoundingClientRect();
  const call = document.querySelector('.header-call').getBoundingClientRect();
  const skip = document.querySelector('.skip-link').getBoundingClientRect();
  return {
    heading: Math.round(heading.top),
    call: Math.round(call.bottom),
    skip: Math.round(skip.width * skip.height),
    numbers_split: [...document.querySelectorAll('.phone-number')]
      .filter(part => part.getClientRects().length > 1).length,
    sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


@pytest.mark.parametrize("path", ["/", "/appointments/request/"])
def test_at_200_percent_text_on_320_px_the_heading_and_the_call_are_on_the_first_screen(
    published_site, live_server, browser, path
):
    """Before: the heading started at 709 px of 640, the hidden skip link showed as
    a 19 px bar, and the number wrapped as "(888) 552-/6760"."""
    with browser_page(browser, viewport={"width": 320, "height": 640}) as page:
        page.goto(live_server.url + path)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        found = page.evaluate(SCREEN_320)
        assert found["heading"] < 640 and found["call"] <= 640, found
        assert found["skip"] <= 1, found  # hidden whole, until it has the focus
        assert found["numbers_split"] == 0 and found["sideways"] == 0, found
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        assert skip.bounding_box()["height"] > 30
