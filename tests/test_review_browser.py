"""The review screen in a real browser: a reviewer reads, approves; patients see it."""

import os

# Playwright's sync API (here, or in other browser tests that keep theirs open for the
# session) runs an event loop in the main thread; the ORM must still be usable there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.urls import reverse  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from treatments.review import Action, ReviewState  # noqa: E402

from .test_review import edit, make_published, submit  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/review-screen.png")


@pytest.fixture
def in_browser():
    """Runs script(page) in a fresh headless Chromium page, in a thread of its own.

    Playwright's sync API allows one running instance per thread, and other browser
    tests may keep theirs open for the whole session.
    """
    if not CHROMIUM.exists():
        message = f"No Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    def browse(script):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(15_000)
                return script(page)
            finally:
                browser.close()

    def run(script):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(browse, script).result()

    return run


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reviewer_approves_a_draft_on_the_review_screen_and_patients_see_it(
    live_server, in_browser, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    edit(record, editor, body="New words about scans.")
    submit(record, editor, "Changed the words about scans.")
    review_path = reverse("admin:treatments_treatment_review", args=[record.pk])
    login_path = reverse("admin:login")
    public_path = reverse("treatments:treatment", args=[record.slug])

    def review_and_approve(page):
        page.goto(f"{live_server.url}{login_path}?next={review_path}")
        page.fill("#id_username", "reviewer")
        page.fill("#id_password", "pw-for-tests")
        page.locator("#login-form [type=submit]").click()

        expect(page).to_have_url(f"{live_server.url}{review_path}")
        heading = page.get_by_role("heading", name="Medical review: Watchful waiting")
        expect(heading).to_be_visible()
        diff = page.locator("section.review-diff")
        expect(diff.locator(".field-changed")).to_contain_text("New words about scans.")
        expect(diff.locator("ins")).to_have_text("added: New")
        expect(diff.locator("del")).to_have_text("removed: Old")
        preview = page.locator(".patient-preview")
        expect(preview).to_be_visible()
        expect(preview).to_contain_text("New words about scans.")
        expect(preview).not_to_contain_text("Old words about scans.")
        page.get_by_label("Note or requested changes").fill("Matches the guidelines.")
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.get_by_role("button", name="Approve and publish").click()

        messages = page.locator(".messagelist")
        expect(messages).to_contain_text("revision 2: approved and published")
        page.goto(live_server.url + public_path)
        main = page.locator("main")
        expect(main).to_contain_text("New words about scans.")
        expect(main).not_to_contain_text("Old words about scans.")
        expect(main).to_contain_text("Medically reviewed by Test Reviewer, MD")

    in_browser(review_and_approve)

    record.refresh_from_db()
    assert record.review_state == ReviewState.APPROVED
    assert record.live_revision.number == 2
    approval = record.audit_entries().filter(action=Action.APPROVED).first()
    assert (approval.user, approval.note) == (reviewer, "Matches the guidelines.")
    assert SCREENSHOT.stat().st_size > 10_000
