"""The content types the engine serves, found in Django's model registry: every
concrete subclass of Reviewable in an installed app. A new type registers by being
one; nothing here names a content app."""

from django.apps import apps
from django.http import Http404

from .models import Reviewable


def reviewable_models():
    """Every concrete model that goes through medical review."""
    return [model for model in apps.get_models() if issubclass(model, Reviewable)]


def model_for_preview(kind):
    """The reviewable model whose staff previews live at /preview/<kind>/, or 404."""
    for model in reviewable_models():
        if model.preview_kind == kind:
            return model
    raise Http404("Unknown kind of content")


def due_records(now=None):
    """Every record whose scheduled approval is due, soonest first."""
    due = []
    for model in reviewable_models():
        due += list(model.objects.due_to_go_live(now))
    return sorted(due, key=lambda record: record.go_live_at)


def scheduled_records():
    """Every record approved to go live later, soonest first (for the desk)."""
    found = []
    for model in reviewable_models():
        found += list(model.objects.scheduled().select_related("scheduled_revision"))
    return sorted(found, key=lambda record: record.go_live_at)
