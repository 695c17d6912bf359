"""Signed, expiring links that show one draft revision to an outside clinician."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from .review import Revision

PREVIEW_MAX_AGE = timedelta(days=7)
SALT = "treatments.shared-preview"


def preview_token(revision) -> str:
    return signing.dumps({"revision": revision.pk}, salt=SALT, compress=True)


def preview_url(revision) -> str:
    return reverse("treatments:shared-preview", args=[preview_token(revision)])


def load_preview_token(token, max_age=PREVIEW_MAX_AGE) -> Revision:
    data = signing.loads(token, salt=SALT, max_age=max_age)
    return Revision.objects.get(pk=data["revision"])
