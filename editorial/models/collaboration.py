"""Working together on one record: "being edited by" marks that expire.

A soft lock: it tells others who is editing and until when, and never stops
anyone from reading, reviewing or saving (saving is guarded by the revision
check on the form).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

EDITING_MARK_DURATION = timedelta(minutes=30)


class EditingMarkQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(
            content_type=ContentType.objects.get_for_model(
                record, for_concrete_model=False
            ),
            object_id=record.pk,
        )

    def current(self, record, now=None):
        """The unexpired mark on `record`, if any."""
        return (
            self.for_record(record)
            .filter(expires_at__gt=now or timezone.now())
            .select_related("user")
            .first()
        )


class EditingMark(models.Model):
    """Who said they are editing a record, until when."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()

    objects = EditingMarkQuerySet.as_manager()

    class Meta:
        db_table = "treatments_editingmark"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="one_editing_mark_per_record"
            )
        ]

    def __str__(self):
        return f"{self.user} until {self.expires_at:%H:%M}"

    @classmethod
    @transaction.atomic
    def mark(cls, record, user, duration=EDITING_MARK_DURATION):
        """Mark `record` as being edited by `user` (or extend their mark).

        Someone else's unexpired mark stays: it is returned, and nothing changes.
        """
        content_type = ContentType.objects.get_for_model(
            record, for_concrete_model=False
        )
        now = timezone.now()
        mark, created = cls.objects.select_for_update().get_or_create(
            content_type=content_type,
            object_id=record.pk,
            defaults={"user": user, "expires_at": now + duration},
        )
        if not created and (mark.user_id == user.pk or mark.expires_at <= now):
            mark.user, mark.expires_at = user, now + duration
            mark.save(update_fields=["user", "expires_at"])
        return mark

    @classmethod
    def release(cls, record, user):
        cls.objects.for_record(record).filter(user=user).delete()
