"""Approval that takes effect at a chosen time ("go live at").

The reviewer signs off the exact revision now; the public page keeps its current
revision until `publish_scheduled` (run every minute) finds the time has come.
Until then nothing derived from published content changes: not the page, the
search index, the sitemap nor the page cache.
"""

from django.db import transaction
from django.utils import timezone

from .review import (
    Action,
    ReviewState,
    Revision,
    Step,
    WorkflowError,
    reviewable_models,
)


@transaction.atomic
def schedule_approval(record, user, expected_hash, go_live_at, note=""):
    """Approve the submitted revision to go live at `go_live_at` (in the future)."""
    revision = record.locked_latest_as_read(expected_hash)
    record.check_step(user, Step.SCHEDULE)
    if go_live_at <= timezone.now():
        raise WorkflowError("Choose a time in the future, or approve it now.")
    record.review_state = ReviewState.SCHEDULED
    record.scheduled_revision = revision
    record.go_live_at = go_live_at
    record.save_review_fields()
    when = f"{timezone.localtime(go_live_at):%B %d, %Y at %H:%M}"
    record.log(
        Action.SCHEDULED,
        revision,
        user,
        note=" ".join(part for part in (note.strip(), f"Goes live {when}.") if part),
        reviewer_byline=record.reviewer_byline(user),
    )
    return revision


@transaction.atomic
def cancel_schedule(record, user, note=""):
    """Take back a scheduled approval: the revision goes back to the review queue."""
    record._locked_latest()
    record.check_step(user, Step.CANCEL_SCHEDULE)
    revision = record.scheduled_revision
    record.review_state = ReviewState.SUBMITTED
    record.scheduled_revision, record.go_live_at = None, None
    record.save_review_fields()
    record.log(
        Action.SCHEDULE_CANCELLED,
        revision,
        user,
        note=note.strip() or "Cancelled by the reviewer; waiting for review again.",
    )
    return revision


@transaction.atomic
def publish_if_due(record, now=None):
    """Publish `record`'s scheduled revision if its time has come; True if it did.

    Idempotent: a record already published, rescheduled or edited since is left
    alone (under a row lock, so two runs at once publish it once).
    """
    now = now or timezone.now()
    record.lock()
    if (
        record.review_state != ReviewState.SCHEDULED
        or record.go_live_at is None
        or record.go_live_at > now
        or record.scheduled_revision_id != record.latest_revision_id
    ):
        return False
    revision = Revision.objects.get(pk=record.scheduled_revision_id)
    approval = (
        record.audit_entries()
        .filter(action=Action.SCHEDULED, revision=revision)
        .select_related("user")
        .first()
    )
    previous = Revision.objects.filter(pk=record.live_revision_id).first()
    if previous is None or previous.content_hash != revision.content_hash:
        record.content_updated_at = now
    record.live_revision = revision
    record.review_state = ReviewState.APPROVED
    record.scheduled_revision, record.go_live_at = None, None
    # The sign-off date patients read is the reviewer's, not the clock's.
    record.mark_reviewed(approval.user, approval.created_at)
    record.log(
        Action.APPROVED,
        revision,
        approval.user,
        note=approval.note,
        reviewer_byline=approval.reviewer_byline,
    )
    record.log(Action.PUBLISHED, revision, None, note="Published as scheduled.")
    record.after_publish()
    return True


def due_records(now=None):
    """Every record whose scheduled approval is due, soonest first."""
    due = []
    for model in reviewable_models():
        due += list(model.objects.due_to_go_live(now))
    return sorted(due, key=lambda record: record.go_live_at)


def scheduled_records():
    """Every record approved to go live later, soonest first (for the dashboard)."""
    found = []
    for model in reviewable_models():
        found += list(model.objects.scheduled().select_related("scheduled_revision"))
    return sorted(found, key=lambda record: record.go_live_at)
