"""The workflow's words: a record's review state, the steps people take on it, and
the actions the audit trail records."""

from django.db import models


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved (published)"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SCHEDULED = "scheduled", "Approved, goes live at a set time"


class Step(models.TextChoices):
    """What a person can do with a record in the workflow (buttons and POSTs alike)."""

    SUBMIT = "submit", "Submit for review"
    WITHDRAW = "withdraw", "Withdraw"
    APPROVE = "approve", "Approve and publish"
    REQUEST_CHANGES = "request_changes", "Request changes"
    CONFIRM = "confirm", "Confirm still accurate"
    SCHEDULE = "schedule", "Approve to go live later"
    CANCEL_SCHEDULE = "cancel_schedule", "Cancel scheduled publishing"
    RESTORE = "restore", "Restore as a new draft"


class Action(models.TextChoices):
    CREATED = "created", "Revision created"
    SUBMITTED = "submitted", "Submitted for review"
    WITHDRAWN = "withdrawn", "Withdrawn from review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    CONFIRMED = "confirmed", "Confirmed still accurate"
    SCHEDULED = "scheduled", "Approved to go live at a set time"
    SCHEDULE_CANCELLED = "schedule_cancelled", "Scheduled publishing cancelled"
    RESTORED = "restored", "Restored from an earlier revision"
    IMPORTED = "imported", "Imported from the content files"


# The steps that are a reviewer's sign-off decision on the review screen.
DECISIONS = (Step.APPROVE, Step.REQUEST_CHANGES, Step.CONFIRM)
