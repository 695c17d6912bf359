"""Revisions and the audit trail: history that cannot be rewritten.

A Revision is an immutable JSON snapshot of everything one record's page shows,
with its content hash; an AuditEntry says who did what to which revision. Neither
is ever changed or deleted, through the ORM's bulk paths included.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from ..evidence import statements_of
from ..readability import prose_of, reading_grade, reading_level
from .states import Action


def content_hash(snapshot) -> str:
    canonical = json.dumps(
        snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def optional_reference(to, **options):
    """A protected, optional reference to a revision or a user that the referenced
    record does not list back."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        **options,
    )


class ImmutableQuerySet(models.QuerySet):
    """Refuses the ORM's bulk paths that would change or delete history."""

    def update(self, **kwargs):
        raise PermissionDenied(f"{self.model.__name__} records cannot be changed.")

    def delete(self):
        raise PermissionDenied(f"{self.model.__name__} records cannot be deleted.")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and (
            not self._state.adding or type(self).objects.filter(pk=self.pk).exists()
        ):
            raise PermissionDenied(f"{type(self).__name__} records cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(f"{type(self).__name__} records cannot be deleted.")


class RevisionQuerySet(ImmutableQuerySet):
    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(
                obj, for_concrete_model=False
            ),
            object_id=obj.pk,
        )


class Revision(ImmutableModel):
    """An immutable snapshot of everything one page displays."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    content_hash = models.CharField(max_length=64)
    author = optional_reference(settings.AUTH_USER_MODEL)
    # Everyone whose edits this revision carries since the last approved one:
    # none of them may approve it.
    contributor_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        # The table the engine had when it lived in the treatments app.
        db_table = "treatments_revision"
        ordering = ["content_type", "object_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "number"],
                name="one_revision_number_per_object",
            )
        ]
        permissions = [
            ("submit_revision", "Can submit content for medical review"),
            ("withdraw_revision", "Can withdraw content from review"),
            ("approve_revision", "Can approve content (medical sign-off)"),
            ("request_changes", "Can request changes to content"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return f"“{self.record_type.title_of(self.snapshot)}” revision {self.number}"

    @property
    def record_type(self):
        """The reviewable model this is a revision of (content types are cached)."""
        return ContentType.objects.get_for_id(self.content_type_id).model_class()

    def reading_grade(self):
        return reading_grade(prose_of(self.snapshot, self.record_type.prose_keys))

    @property
    def language(self):
        """A translation's snapshot names its language; a source's does not."""
        return self.snapshot.get("language") or settings.LANGUAGE_CODE

    def reading_level(self):
        """The reading level in this revision's language, with its target."""
        return reading_level(
            prose_of(self.snapshot, self.record_type.prose_keys), self.language
        )

    def contributed(self, user):
        return user is not None and user.pk in self.contributor_ids

    def statements(self):
        """Every statement a patient reads in this revision, with its mark."""
        return statements_of(self.record_type, self.snapshot)


class AuditEntry(ImmutableModel):
    """Who did what to which revision, and when. Never changed, never deleted."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="audit_entries"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    user = optional_reference(settings.AUTH_USER_MODEL)
    # The reviewer's name as shown to patients, frozen at sign-off.
    reviewer_byline = models.CharField(max_length=300, blank=True)
    note = models.TextField(
        blank=True, help_text="Change summary, reviewer note or comment."
    )
    reading_level_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        db_table = "treatments_auditentry"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        # Every public page reads its record's entries (byline, change history).
        indexes = [
            models.Index(
                fields=["content_type", "object_id"], name="auditentry_record_idx"
            )
        ]

    def __str__(self):
        who = self.user.get_username() if self.user else "content import"
        return f"{self.get_action_display()} by {who}: {self.revision.label}"


def revision_permission(codename):
    """A workflow permission's full name, in the app that holds Revision."""
    return f"{Revision._meta.app_label}.{codename}"
