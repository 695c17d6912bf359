"""Everyone's queue: what waits for whom on the editorial desk.

Reviewers see what waits for their sign-off (who submitted it, how long it has
waited, their specialty first); editors see their drafts, the changes asked of
them with the reviewer's comment, and what they sent for review. Every record
type that goes through review is included.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from .models import Action, ReviewState, Step, revision_permission
from .registry import reviewable_models


@dataclass
class QueueItem:
    record: object
    entry: object = None  # the submission or the reviewer's comment
    mine: bool = False  # the reviewer's specialty

    @property
    def kind(self):
        return self.record._meta.verbose_name

    @property
    def specialty_needed(self):
        return self.record.specialty_needed()

    def admin_url(self, view):
        opts = self.record._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[self.record.pk]
        )

    @property
    def change_url(self):
        return self.admin_url("change")

    @property
    def review_url(self):
        return self.admin_url("review")

    @property
    def waiting_since(self):
        return self.entry.created_at if self.entry else None

    @property
    def waited(self):
        """How long it has waited, in words ("3 hours")."""
        return timesince(self.waiting_since, timezone.now()) if self.entry else ""

    @property
    def saved_ago(self):
        return timesince(self.record.latest_revision.created_at, timezone.now())


def latest_entry(record, action):
    return (
        record.audit_entries()
        .filter(action=action, revision_id=record.latest_revision_id)
        .select_related("user")
        .first()
    )


def records_in(state):
    for model in reviewable_models():
        yield from model.objects.filter(review_state=state).select_related(
            "latest_revision"
        )


def waiting_for(user):
    """Submitted records this user may decide on: their specialty first, then the
    longest waiting."""
    items = [
        QueueItem(
            record,
            latest_entry(record, Action.SUBMITTED),
            mine=record.needs_specialty_of(user),
        )
        for record in records_in(ReviewState.SUBMITTED)
        if Step.APPROVE in record.available_steps(user)
        or Step.REQUEST_CHANGES in record.available_steps(user)
    ]
    return sorted(
        items,
        key=lambda item: (
            not item.mine,
            item.waiting_since or timezone.now(),
            str(item.record),
        ),
    )


def contributed(record, user):
    return record.latest_revision is not None and record.latest_revision.contributed(
        user
    )


def my_drafts(user):
    """Unsubmitted drafts carrying this user's edits."""
    return [
        QueueItem(record)
        for record in records_in(ReviewState.DRAFT)
        if contributed(record, user)
        and record.latest_revision_id != record.live_revision_id
    ]


def changes_requested_of(user):
    """Records a reviewer sent back, where this user's edits are in question."""
    return [
        QueueItem(record, latest_entry(record, Action.CHANGES_REQUESTED))
        for record in records_in(ReviewState.CHANGES_REQUESTED)
        if contributed(record, user)
    ]


def my_submissions(user):
    """What this user's edits have waiting for review, longest waiting first."""
    items = [
        QueueItem(record, latest_entry(record, Action.SUBMITTED))
        for record in records_in(ReviewState.SUBMITTED)
        if contributed(record, user)
    ]
    return sorted(items, key=lambda item: item.waiting_since or timezone.now())


def needs_action_count(user):
    """Items waiting for this user: sign-offs they may give, changes asked of them."""
    count = 0
    if user.has_perm(revision_permission("approve_revision")) or user.has_perm(
        revision_permission("request_changes")
    ):
        count += len(waiting_for(user))
    if user.has_perm(revision_permission("submit_revision")):
        count += len(changes_requested_of(user))
    return count
