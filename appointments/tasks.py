"""The appointment team's background work (docs/background-work.md): the team's
email with retries, the safety net for one whose task was lost, and retention."""

from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from .models import Notification, apply_retention
from .throttle import WINDOW_SECONDS


class TeamEmailFailed(Exception):
    """Every try failed: the coordinators see it (and send it again from the admin)."""


@task(queue_name="appointments")
def send_team_email(notification_id, attempt=1):
    """Try `attempt` of the team's email for a new request; after a failure, the
    next try is queued after settings.APPOINTMENT_EMAIL_RETRY_SECONDS' wait, and the
    last failure fails this run. A repeated or stale run finds the try made."""
    notification = Notification.objects.claim(notification_id, attempt)
    if notification is None:
        return "Sent or tried already."
    if notification.deliver():
        return "Sent."
    waits = settings.APPOINTMENT_EMAIL_RETRY_SECONDS
    if attempt <= len(waits):
        moment = timezone.now() + timedelta(seconds=waits[attempt - 1])
        notification.try_again_at(moment)
        send_team_email.using(run_after=moment).enqueue(notification_id, attempt + 1)
        return f"Failed ({notification.last_error}); try {attempt + 1} is queued."
    notification.try_again_at(None)
    # The error's class only, as stored: an SMTP reply may echo addresses back.
    raise TeamEmailFailed(
        f"The team email for appointment request #{notification.request_id} failed "
        f"({attempt} {'try' if attempt == 1 else 'tries'}, the last: "
        f"{notification.last_error}). Send it again from the appointment requests "
        "list."
    ) from None


@task(queue_name="appointments")
def resume_team_emails():
    """Every few minutes: queue the next try of any team email whose own task was
    lost (a worker killed while sending); the claim keeps it to one try."""
    resumed = []
    for notification in Notification.objects.stranded():
        notification.try_again_at(timezone.now())
        send_team_email.enqueue(notification.pk, notification.attempts + 1)
        resumed.append(notification.request_id)
    return {"resumed requests": resumed}


@task(queue_name="appointments")
def apply_retention_rules():
    """Daily: the retention rules (as `manage.py purge_appointment_requests`)."""
    return asdict(apply_retention(WINDOW_SECONDS))
