"""The review screen in a real browser: a reviewer reads, approves; patients see it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from editorial.models import Action, ReviewState

from .kit import edit, log_in, make_published, save_screenshot, submit

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reviewer_approves_a_draft_on_the_review_screen_and_patients_see_it(
    live_server, page, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    edit(record, editor, body="New words about scans.")
    submit(record, editor, "Changed the words about scans.")
    review_path = reverse("admin:treatments_treatment_review", args=[record.pk])
    public_path = reverse("treatments:treatment", args=[record.slug])

    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "reviewer", review_path)

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
    save_screenshot(page, "review-screen.png", full_page=True)

    page.get_by_role("button", name="Approve and publish").click()

    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("revision 2: approved and published")
    page.goto(live_server.url + public_path)
    main = page.locator("main")
    expect(main).to_contain_text("New words about scans.")
    expect(main).not_to_contain_text("Old words about scans.")
    expect(main).to_contain_text("Medically reviewed by Test Reviewer, MD")

    record.refresh_from_db()
    assert record.review_state == ReviewState.APPROVED
    assert record.live_revision.number == 2
    approval = record.audit_entries().filter(action=Action.APPROVED).first()
    assert (approval.user, approval.note) == (reviewer, "Matches the guidelines.")
