"""Background work's screens in a real browser: a coordinator finds a failed team
email from the admin's index, and an editor reads that a scheduled page is late.
axe checks each; screenshots at 1280 and 375 px go to docs/screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Notification
from appointments.tasks import send_team_email

from .kit import (
    admin_url,
    log_in,
    look_at,
    make_request,
    make_treatment,
    run_tasks,
    submit,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("plain_http_cookies"),
]


def test_a_coordinator_finds_a_failed_team_email_with_its_error(
    live_server, page, axe_script, coordinator, settings
):
    settings.APPOINTMENT_EMAIL_RETRY_SECONDS = []  # one try, then the failure
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    notification = Notification.objects.create(request=make_request())
    send_team_email.enqueue(notification.pk)
    (failed,) = run_tasks()
    assert failed.status == "FAILED"

    log_in(page, live_server.url, "coordinator")
    link = page.get_by_role("link", name="1 background task failed")
    expect(link).to_be_visible()
    problems = look_at(page, "background-index", axe_script, ".background-failures")
    link.click()
    expect(page.locator("td.field-what_went_wrong")).to_have_text(
        "TeamEmailFailed: The team email for appointment request "
        f"#{notification.request_id} failed (1 try, the last: "
        "ConnectionRefusedError). Send it again from the appointment requests list."
    )
    problems += look_at(page, "background-failures", axe_script, "#result_list")
    assert problems == [], "\n".join(problems)


def test_an_editor_reads_that_a_scheduled_page_is_late(
    live_server, page, axe_script, editor, reviewer
):
    record = make_treatment(editor)
    submit(record, editor)
    record.schedule(
        reviewer,
        record.latest_revision.content_hash,
        timezone.now() + timedelta(seconds=1),
    )
    # No worker runs here: the go-live's time passes.
    page.wait_for_timeout(1500)

    log_in(page, live_server.url, "editor", admin_url(record, "change"))
    expect(page.locator(".messagelist")).to_contain_text(
        "goes live as soon as the background worker runs again"
    )
    assert look_at(page, "background-late-go-live", axe_script, ".messagelist") == []
