"""The editorial desk in a real browser, as the people who use it: a reviewer
compares old revisions, an editor restores one, a reviewer schedules an approval,
an editor reads the requested change, a revoked share link is refused. axe checks
each new screen; screenshots at 1280 and 375 px go to docs/screenshots/."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from editorial.models import ReviewState

from .kit import (
    admin_url,
    edit,
    log_in,
    look_at,
    make_published,
    make_treatment,
    publish_scheduled,
    submit,
)

SIX = "Most people get a scan every 6 months while they are being watched."
THREE = "Most people get a scan every 3 months while they are being watched."

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("plain_http_cookies"),
]


@pytest.fixture
def page(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    return page


def test_a_reviewer_compares_two_old_revisions_and_sees_the_one_word_change(
    live_server, page, axe_script, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    edit(record, editor, summary="A plan to watch a slow tumor closely.")
    base = live_server.url

    log_in(page, base, "reviewer", admin_url(record, "history"))
    expect(
        page.get_by_role("heading", name="History of “Watchful waiting”")
    ).to_be_visible()
    problems = look_at(page, "desk-history", axe_script)
    page.get_by_label("Compare revision 3").uncheck()
    page.get_by_label("Compare revision 1").check()
    page.get_by_role("button", name="Compare the two chosen revisions").click()

    expect(
        page.get_by_role("heading", name="Compare revisions 1 and 2")
    ).to_be_visible()
    body = page.locator("section.field-changed", has_text="Page text")
    expect(body.locator("del")).to_have_text("removed: 6")
    expect(body.locator("ins")).to_have_text("added: 3")
    expect(body.locator("del .visually-hidden")).to_have_text("removed:")
    # The hidden words are for screen readers only.
    assert body.locator("ins .visually-hidden").bounding_box()["width"] <= 1
    summary = page.locator("details", has_text="Unchanged (")
    expect(summary).not_to_have_attribute("open", "")
    problems += look_at(page, "desk-compare", axe_script)

    assert problems == []


def test_an_editor_restores_an_old_revision_and_patients_see_it_only_after_approval(
    live_server, page, axe_script, editor, second_editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    record.approve(reviewer, record.latest_revision.content_hash)
    base = live_server.url
    public = reverse("treatments:treatment", args=[record.slug])

    log_in(page, base, "editor2", admin_url(record, "history"))
    page.get_by_role("link", name="Restore revision 1").click()
    problems = look_at(page, "desk-restore", axe_script)
    page.get_by_role("button", name="Restore revision 1 as a new draft").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Revision 1 was restored as “Watchful waiting” revision 3"
    )
    # Back on the change form, the restorer submits it for review.
    page.get_by_role("link", name="Submit for review").click()
    page.get_by_label("What changed, in one line for patients").fill(
        "Back to every 6 months."
    )
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted")
    page.goto(base + public)
    expect(page.locator("main")).to_contain_text(THREE)  # not yet

    log_in(page, base, "reviewer", admin_url(record, "review"))
    expect(
        page.locator("section.field-changed", has_text="Page text").locator("ins")
    ).to_have_text("added: 6")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator(".messagelist")).to_contain_text("approved and published")
    page.goto(base + public)
    expect(page.locator("main")).to_contain_text(SIX)
    expect(page.locator("main")).not_to_contain_text(THREE)

    assert problems == []
    record.refresh_from_db()
    restored = record.live_revision
    assert (restored.number, restored.author) == (3, second_editor)


def test_a_reviewer_schedules_an_approval_and_it_goes_live_only_then(
    live_server, page, axe_script, clock, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    base = live_server.url
    public = reverse("treatments:treatment", args=[record.slug])
    go_live = timezone.localtime(clock.now + timedelta(minutes=1))

    log_in(page, base, "reviewer", admin_url(record, "review"))
    page.get_by_label("Go live at").fill(go_live.strftime("%Y-%m-%dT%H:%M"))
    problems = look_at(page, "desk-review-schedule", axe_script)
    page.get_by_role("button", name="Approve to go live later").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "approved to go live on June 10, 2026 at 10:01"
    )
    page.goto(base + "/admin/review/")
    expect(page.locator("#content")).to_contain_text(
        "goes live on June 10, 2026, 10:01"
    )
    problems += look_at(page, "desk-dashboard-reviewer", axe_script)
    page.goto(base + public)
    expect(page.locator("main")).to_contain_text(SIX)

    # The cron run before the time publishes nothing; the one after it does.
    assert publish_scheduled() == "Nothing is due.\n"
    page.reload()
    expect(page.locator("main")).to_contain_text(SIX)
    clock.advance(minutes=1)
    assert publish_scheduled().startswith("Published")
    page.reload()
    expect(page.locator("main")).to_contain_text(THREE)
    expect(page.locator("main")).not_to_contain_text(SIX)

    assert problems == []
    record.refresh_from_db()
    assert record.review_state == ReviewState.APPROVED


def test_an_editor_sees_the_requested_change_and_its_comment_in_the_queue(
    live_server, page, axe_script, editor, second_editor, reviewer
):
    record = make_treatment(editor, body=SIX)
    first = submit(record, editor)
    record.request_changes(reviewer, first.content_hash, "Say how often the scans are.")
    base = live_server.url

    log_in(page, base, "editor", "/admin/")
    expect(page.locator("#content")).to_contain_text("1 item needs your action")
    page.get_by_role("link", name=re.compile("Editorial desk")).click()
    requested = page.locator(
        "section",
        has=page.get_by_role("heading", name="Changes requested of you (1)"),
    )
    expect(requested).to_contain_text("Say how often the scans are.")
    problems = look_at(page, "desk-dashboard-editor", axe_script)
    requested.get_by_role("link", name="Watchful waiting").click()
    banner = page.locator(".desk-banner")
    expect(banner).to_contain_text("Changes requested by reviewer")
    expect(banner).to_contain_text("Say how often the scans are.")
    assert (
        banner.bounding_box()["y"] < page.locator("#treatment_form").bounding_box()["y"]
    )
    problems += look_at(
        page, "desk-change-form-requested", axe_script, ".desk-banner", False
    )

    # Someone else saves meanwhile: the form says so before more is typed.
    edit(record, second_editor, body=THREE)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator("#desk-freshness")).to_contain_text(
        "editor2 saved “Watchful waiting” revision 2"
    )
    problems += look_at(
        page, "desk-change-form-saved-since", axe_script, ".desk-banner", False
    )
    # Saving anyway is refused, and the reloaded form says why on load.
    page.locator("input[name=_save]").click()  # "Save" stays on the record
    expect(page.locator("#content")).to_contain_text(
        "Not saved: this page changed after you opened it"
    )
    expect(page.locator("#desk-freshness")).to_be_visible()

    assert problems == []


def test_a_revoked_share_link_is_refused(live_server, page, axe_script, editor):
    record = make_treatment(editor, body=SIX)
    base = live_server.url

    log_in(page, base, "editor", admin_url(record, "share"))
    page.get_by_role("button", name=re.compile("Make a link")).click()
    link = page.locator(".share-link-url").input_value()
    problems = look_at(page, "desk-share", axe_script)
    path = link.removeprefix(django_settings.SITE_URL)
    assert page.goto(base + path).status == 200
    page.go_back()
    page.get_by_role("button", name=re.compile("Revoke this link")).click()
    expect(page.locator(".messagelist")).to_contain_text("is revoked")
    response = page.goto(base + path)
    assert response.status == 410
    expect(page.locator("main")).to_contain_text("expired")

    assert problems == []
