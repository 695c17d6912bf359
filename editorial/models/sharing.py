"""Signed, expiring links that show one draft revision to an outside clinician.

Each link made in the admin is recorded (who made it, for which revision, until
when), so its maker or an administrator can list and revoke it; a revoked link
answers like an expired one.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .revisions import Revision, optional_reference

PREVIEW_MAX_AGE = timedelta(days=7)
# Unchanged since the engine lived in the treatments app: links made then still work.
SALT = "treatments.shared-preview"


class LinkRevoked(signing.SignatureExpired):
    """A share link its maker or an administrator took back."""


class ShareLinkQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(
            revision__content_type=record.content_type,
            revision__object_id=record.pk,
        )

    def active(self, now=None):
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class ShareLink(models.Model):
    """A preview link someone made: listed on the share screen, revocable."""

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="share_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = optional_reference(settings.AUTH_USER_MODEL)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        db_table = "treatments_sharelink"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Preview link to {self.revision.label}"

    @property
    def url(self):
        return settings.SITE_URL.rstrip("/") + preview_url(self.revision, self)

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def can_revoke(self, user):
        return user.pk == self.created_by_id or user.is_superuser

    def revoke(self, user):
        if self.revoked_at is None:
            self.revoked_at, self.revoked_by = timezone.now(), user
            self.save(update_fields=["revoked_at", "revoked_by"])


def preview_token(revision, link=None) -> str:
    data = {"revision": revision.pk}
    if link is not None:
        data["link"] = link.pk
    return signing.dumps(data, salt=SALT, compress=True)


def preview_url(revision, link=None) -> str:
    return reverse("editorial:shared-preview", args=[preview_token(revision, link)])


def load_preview_token(token, max_age=PREVIEW_MAX_AGE) -> Revision:
    data = signing.loads(token, salt=SALT, max_age=max_age)
    if "link" in data:
        link = ShareLink.objects.filter(pk=data["link"]).first()
        if link is None or link.revoked_at is not None:
            raise LinkRevoked("This preview link was revoked.")
    return Revision.objects.get(pk=data["revision"])
