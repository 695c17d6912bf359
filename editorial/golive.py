"""A scheduled approval going live at its time: the task `schedule` queues (in the
approval's transaction) for `go_live_at`. Below the models: it finds the record
through the app registry, so the workflow can queue it without a cycle."""

from django.apps import apps
from django.tasks import task
from django.utils import timezone


@task(queue_name="editorial")
def go_live(model_label, pk):
    """Publish a scheduled approval (queued for its time by `schedule`). A record
    edited, taken back or published since is left alone (`publish_if_due` checks,
    under the row lock), so a stale or repeated run changes nothing."""
    record = apps.get_model(model_label).objects.filter(pk=pk).first()
    if record is None:
        return "The record is gone."
    if record.publish_if_due():
        return f"Published {record.latest_revision.label}."
    record.refresh_from_db()
    if record.go_live_at and record.go_live_at > timezone.now():
        # Run early (this worker's clock is behind the reviewer's server).
        record.queue_go_live()
        return "Not due yet: queued again for its time."
    return "Nothing to publish: changed, taken back or published since."
