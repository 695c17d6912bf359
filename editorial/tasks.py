"""The engine's background work (docs/background-work.md): the safety net for a
scheduled go-live whose task was lost (the go-live itself is editorial.golive), the
workflow's emails (nobody waits for a mail server), and the daily reminder of
reviews falling due."""

from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from .evidence_review import pages_with_changed_evidence
from .models import Revision
from .notifications import (
    notify_decision,
    notify_review_due,
    notify_submitted,
    notify_withdrawn,
    reviewers_for,
)
from .registry import due_records, reviewable_models

# A scheduled approval's own task publishes it at its time; the safety net leaves
# it this long first.
OVERDUE_AFTER = timedelta(minutes=1)
REMIND_WITHIN_DAYS = 7


@task(queue_name="editorial")
def publish_overdue():
    """Every few minutes: publish any scheduled approval whose own task did not (a
    worker killed while running it); idempotent like `go_live`."""
    now = timezone.now()
    published = [
        str(record)
        for record in due_records(now - OVERDUE_AFTER)
        if record.publish_if_due(now)
    ]
    return {"published": published}


@task(queue_name="editorial")
def remind_reviewers():
    """Daily: each reviewer concerned hears how many published pages are overdue for
    review (or cite a source passage changed since their last review), or due within
    a week (the editorial desk lists them)."""
    counts = {}
    # A page citing a source passage changed since its last review is due now.
    due_now = {
        (record._meta.label, record.pk): record
        for record, _changes in pages_with_changed_evidence()
    }
    for model in reviewable_models():
        for column, records in (
            (0, model.objects.overdue()),
            (1, model.objects.due_for_review(within_days=REMIND_WITHIN_DAYS)),
        ):
            for record in records:
                if due_now.pop((record._meta.label, record.pk), None) is not None:
                    column = 0
                for user in reviewers_for(record):
                    counts.setdefault(user, [0, 0])[column] += 1
    for record in due_now.values():
        for user in reviewers_for(record):
            counts.setdefault(user, [0, 0])[0] += 1
    for user, (overdue, due_soon) in counts.items():
        notify_review_due(user, overdue, due_soon, REMIND_WITHIN_DAYS)
    return {"reviewers told": len(counts)}


# The workflow's emails: queued by the step, sent by the worker ----------------------


def record_and_user(model_label, pk, user_pk):
    record = apps.get_model(model_label).objects.filter(pk=pk).first()
    return record, get_user_model().objects.filter(pk=user_pk).first()


@task(queue_name="editorial")
def tell_reviewers_submitted(model_label, pk, submitter_pk):
    record, submitter = record_and_user(model_label, pk, submitter_pk)
    if record is not None:
        notify_submitted(record, submitter)


@task(queue_name="editorial")
def tell_reviewers_withdrawn(model_label, pk, editor_pk):
    record, editor = record_and_user(model_label, pk, editor_pk)
    if record is not None:
        notify_withdrawn(record, editor)


@task(queue_name="editorial")
def tell_editors_decided(model_label, pk, revision_pk, decision_label):
    record = apps.get_model(model_label).objects.filter(pk=pk).first()
    if record is not None:
        notify_decision(record, Revision.objects.get(pk=revision_pk), decision_label)


def queue_submitted(record, submitter):
    tell_reviewers_submitted.enqueue(record._meta.label, record.pk, submitter.pk)


def queue_withdrawn(record, editor):
    tell_reviewers_withdrawn.enqueue(record._meta.label, record.pk, editor.pk)


def queue_decision(record, revision, decision_label):
    tell_editors_decided.enqueue(
        record._meta.label, record.pk, revision.pk, decision_label
    )
