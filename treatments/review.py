"""Medical review: revisions, the four-eyes sign-off and the audit trail.

Shaped like Wagtail's: the editable record is the working draft; a Revision is
an immutable JSON snapshot of everything its page displays; the public site
renders the approved (live) revision only. One mechanism serves every kind of
reviewable content through the `Reviewable` abstract model.
"""

import calendar
import hashlib
import json
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .publishing import PublishedContent
from .readability import prose_of, reading_grade, reading_level


class Specialty(models.TextChoices):
    SURGERY = "surgery", "Surgery"
    MEDICAL_ONCOLOGY = "medical-oncology", "Medical oncology"
    RADIATION_ONCOLOGY = "radiation-oncology", "Radiation oncology"
    INTERVENTIONAL_RADIOLOGY = "interventional-radiology", "Interventional radiology"
    NUCLEAR_MEDICINE = "nuclear-medicine", "Nuclear medicine"
    GASTROENTEROLOGY = "gastroenterology", "Gastroenterology"


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved (published)"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SCHEDULED = "scheduled", "Approved, goes live at a set time"


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


DECISIONS = (Step.APPROVE, Step.REQUEST_CHANGES, Step.CONFIRM)
DEFAULT_REVIEW_INTERVAL_MONTHS = 12


EDITED_WHILE_SUBMITTED = "Edited while waiting for review, so withdrawn from review."
EDITED_WHILE_SCHEDULED = (
    "Edited after it was approved to go live later, so it will not go live: "
    "the new draft needs review."
)


class WorkflowError(Exception):
    """A workflow step that is not allowed now; the message is shown to the user."""


def content_hash(snapshot) -> str:
    canonical = json.dumps(
        snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def add_months(moment, months):
    """The same day `months` later, or the month's last day when it is shorter."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


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
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Everyone whose edits this revision carries since the last approved one:
    # none of them may approve it.
    contributor_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RevisionQuerySet.as_manager()

    class Meta:
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


class AuditEntry(ImmutableModel):
    """Who did what to which revision, and when. Never changed, never deleted."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="audit_entries"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The reviewer's name as shown to patients, frozen at sign-off.
    reviewer_byline = models.CharField(max_length=300, blank=True)
    note = models.TextField(
        blank=True, help_text="Change summary, reviewer note or comment."
    )
    reading_level_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RevisionQuerySet.as_manager()

    class Meta:
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


def sort_value(value):
    return value.casefold() if isinstance(value, str) else value


def revision_permission(codename):
    """A workflow permission's full name, in whichever app holds Revision."""
    return f"{Revision._meta.app_label}.{codename}"


class ReviewableQuerySet(models.QuerySet):
    def published(self):
        """Records with an approved revision: the only ones a patient may see."""
        return self.filter(live_revision__isnull=False).select_related("live_revision")

    def published_contents(self):
        """The published versions, in the model's `published_order` of their
        published (not draft) fields."""
        keys = self.model.published_order
        pages = [record.published_content() for record in self.published()]
        return sorted(
            pages, key=lambda page: tuple(sort_value(page.content[k]) for k in keys)
        )

    def published_slugs(self):
        """The addresses patients know (published slugs), e.g. for publishing files."""
        return sorted(record.public_slug for record in self.published())

    def published_by_slug(self, slug):
        """The published content at this slug (a draft may rename it), or 404."""
        record = self.published().filter(live_revision__snapshot__slug=slug).first()
        if record is None:
            raise Http404("No such page")
        return record.published_content()

    def awaiting_review(self):
        return self.filter(review_state=ReviewState.SUBMITTED)

    def scheduled(self):
        return self.filter(review_state=ReviewState.SCHEDULED).order_by("go_live_at")

    def due_to_go_live(self, now=None):
        """Scheduled approvals whose time has come."""
        return self.scheduled().filter(go_live_at__lte=now or timezone.now())

    def overdue(self, today=None):
        return self.published().filter(
            next_review_due__lt=today or timezone.localdate()
        )

    def due_for_review(self, within_days=30, today=None):
        """Published records whose next review falls within the coming days."""
        today = today or timezone.localdate()
        return self.published().filter(
            next_review_due__gte=today,
            next_review_due__lte=today + timedelta(days=within_days),
        )


class Reviewable(models.Model):
    """Content that reaches patients only after a second person's medical sign-off.

    Each reviewable type says what it is through the class attributes and methods
    below (its snapshot, title, prose, labels); the workflow needs nothing else.
    """

    # How the public page names the sign-off it had.
    reviewed_by_label = _("Medically reviewed by")
    # The snapshot's keys a patient reads as sentences: held to the reading level.
    prose_keys = ()
    # How the diff names the snapshot's plain fields, in the order it shows them.
    field_labels = {}
    # The snapshot fields its published list is sorted by.
    published_order = ()

    review_state = models.CharField(
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        editable=False,
    )
    latest_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    live_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    review_specialty = models.CharField(
        "specialty needed for review",
        max_length=30,
        blank=True,
        choices=Specialty.choices,
        help_text="Reviewers with this specialty see the page first in their queue.",
    )
    content_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    next_review_due = models.DateField(null=True, blank=True, editable=False)
    # An approval that takes effect later: the live revision stays until then.
    scheduled_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    go_live_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    # Patient-facing prose is held to the reading-level target when submitted.
    checks_reading_level = True

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # An ordinary save never writes the workflow's fields: a copy loaded before an
        # approval must not unpublish the page when it is saved afterwards.
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.REVIEW_FIELDS
            ]
        super().save(*args, **kwargs)

    # Each reviewable model says what its page displays.
    def snapshot(self) -> dict:
        raise NotImplementedError

    @classmethod
    def title_of(cls, snapshot):
        """How editors and reviewers name one revision of this type."""
        return (
            snapshot.get("title") or snapshot.get("name") or str(cls._meta.verbose_name)
        )

    def after_publish(self):
        """Override to keep what derives from published content (search, caches)
        in step; called inside the approval's transaction."""

    def months_between_reviews(self):
        """How long after a sign-off the next review falls due."""
        return DEFAULT_REVIEW_INTERVAL_MONTHS

    def reviewer_byline(self, user):
        """The reviewer's name as patients read it on this page."""
        return user.get_full_name() or user.get_username()

    def reviewer_reads_language(self, user):
        """Whether this user reads the language this record is written in; only
        then may they decide on it. Types written in several languages override it."""
        return True

    def revision_snapshot(self):
        """What a revision stores: the snapshot, plus what a type adds (a
        translation's source)."""
        return self.snapshot()

    @property
    def content_type(self):
        return ContentType.objects.get_for_model(self, for_concrete_model=False)

    def revisions(self):
        return Revision.objects.for_object(self)

    def audit_entries(self):
        return AuditEntry.objects.filter(
            content_type=self.content_type, object_id=self.pk
        )

    def log(self, action, revision, user, **fields):
        return AuditEntry.objects.create(
            content_type=self.content_type,
            object_id=self.pk,
            revision=revision,
            action=action,
            user=user,
            **fields,
        )

    @property
    def public_slug(self):
        """The slug patients know: the published one, even when a draft renames it."""
        if self.live_revision_id is not None and "slug" in self.live_revision.snapshot:
            return self.live_revision.snapshot["slug"]
        return getattr(self, "slug", None)

    @property
    def is_overdue(self):
        return bool(
            self.next_review_due and self.next_review_due < timezone.localdate()
        )

    # The workflow -----------------------------------------------------------

    @transaction.atomic
    def save_revision(self, user=None):
        """Snapshot the current draft; a new revision only when the content changed."""
        self.lock()
        latest = self.revisions().first()
        snapshot = self.revision_snapshot()
        digest = content_hash(snapshot)
        if latest is not None and latest.content_hash == digest:
            return latest
        contributors = set()
        if latest is not None and latest.pk != self.live_revision_id:
            contributors.update(latest.contributor_ids)
        if user is not None:
            contributors.add(user.pk)
        revision = Revision.objects.create(
            content_type=self.content_type,
            object_id=self.pk,
            number=(latest.number + 1) if latest else 1,
            snapshot=snapshot,
            content_hash=digest,
            author=user,
            contributor_ids=sorted(contributors),
        )
        was_submitted = self.review_state == ReviewState.SUBMITTED
        was_scheduled = self.review_state == ReviewState.SCHEDULED
        self.latest_revision = revision
        self.review_state = ReviewState.DRAFT
        self.scheduled_revision, self.go_live_at = None, None
        self.save_review_fields()
        self.log(Action.CREATED, revision, user)
        if was_submitted:
            # What the reviewer was reading is no longer what would be published.
            self.log(Action.WITHDRAWN, latest, user, note=EDITED_WHILE_SUBMITTED)
        if was_scheduled:
            # What the reviewer approved is no longer what would go live.
            self.log(
                Action.SCHEDULE_CANCELLED, latest, user, note=EDITED_WHILE_SCHEDULED
            )
        return revision

    REVIEW_FIELDS = (
        "review_state",
        "latest_revision",
        "live_revision",
        "content_updated_at",
        "last_reviewed_at",
        "last_reviewed_by",
        "next_review_due",
        "scheduled_revision",
        "go_live_at",
    )

    def save_review_fields(self):
        # Model.save, not the subclass's: only the workflow's own fields change here.
        models.Model.save(self, update_fields=self.REVIEW_FIELDS)

    def lock(self):
        """Lock this record's row for the transaction and reload the workflow's
        fields: this copy may predate a step another request just took."""
        type(self).objects.select_for_update().filter(pk=self.pk).first()
        self.refresh_from_db(fields=self.REVIEW_FIELDS)

    def _locked_latest(self):
        self.lock()
        if self.latest_revision_id is None:
            raise WorkflowError("This content has no saved revision yet.")
        return Revision.objects.get(pk=self.latest_revision_id)

    def locked_latest_as_read(self, expected_hash):
        """The latest revision, locked, if it is still exactly what the reviewer read
        (`expected_hash`); nothing is approved on a changed page."""
        revision = self._locked_latest()
        if revision.content_hash != expected_hash:
            raise WorkflowError(
                f"The content changed after you opened it (now {revision.label}). "
                "Nothing was approved: please review the new version."
            )
        return revision

    @transaction.atomic
    def submit(self, user, change_summary, reading_level_reason=""):
        change_summary = " ".join((change_summary or "").split())
        if not change_summary:
            raise WorkflowError(
                "Please describe what changed in one line for patients."
            )
        if len(change_summary) > 200:
            raise WorkflowError(
                "Keep the change summary to one line (200 characters or fewer)."
            )
        revision = self._locked_latest()
        if self.review_state == ReviewState.SUBMITTED:
            raise WorkflowError(f"{revision.label} is already waiting for review.")
        if self.review_state == ReviewState.SCHEDULED:
            raise WorkflowError(f"{revision.label} is already approved to go live.")
        if revision.pk == self.live_revision_id:
            raise WorkflowError(
                f"{revision.label} is already published; there is nothing new to submit."
            )
        self.check_step(user, Step.SUBMIT)
        level = revision.reading_level()
        if (
            self.checks_reading_level
            and not level.ok
            and not reading_level_reason.strip()
        ):
            raise WorkflowError(
                f"{level.problem} Simplify it, or give a reason the reviewer will see."
            )
        self.review_state = ReviewState.SUBMITTED
        self.save_review_fields()
        self.log(
            Action.SUBMITTED,
            revision,
            user,
            note=change_summary,
            reading_level_reason=reading_level_reason.strip(),
        )
        return revision

    @transaction.atomic
    def withdraw(self, user):
        revision = self._locked_latest()
        self.check_step(user, Step.WITHDRAW)
        self.review_state = ReviewState.DRAFT
        self.save_review_fields()
        self.log(Action.WITHDRAWN, revision, user)
        return revision

    def available_steps(self, user):
        """The workflow steps this user may take on this record now.

        The one answer for the admin's buttons and for every step's own check: a
        button never shows for a step that would be refused, and no step is taken
        without its button. Nobody decides on a revision they contributed to.
        """
        submitted = self.review_state == ReviewState.SUBMITTED
        latest, live = self.latest_revision, self.live_revision
        steps = []
        if (
            user.has_perm(revision_permission("submit_revision"))
            and latest is not None
            and not submitted
            and self.review_state != ReviewState.SCHEDULED
            and latest.pk != self.live_revision_id
        ):
            steps.append(Step.SUBMIT)
        if submitted and user.has_perm(revision_permission("withdraw_revision")):
            steps.append(Step.WITHDRAW)
        reads = self.reviewer_reads_language(user)
        if submitted and latest is not None and not latest.contributed(user) and reads:
            if user.has_perm(revision_permission("approve_revision")):
                steps.append(Step.APPROVE)
            if user.has_perm(revision_permission("request_changes")):
                steps.append(Step.REQUEST_CHANGES)
        if (
            not submitted
            and live is not None
            and user.has_perm(revision_permission("approve_revision"))
            and not live.contributed(user)
            and reads
        ):
            steps.append(Step.CONFIRM)
        if Step.APPROVE in steps:
            steps.append(Step.SCHEDULE)
        if self.review_state == ReviewState.SCHEDULED and user.has_perm(
            revision_permission("approve_revision")
        ):
            steps.append(Step.CANCEL_SCHEDULE)
        if latest is not None and user.has_perm(self.change_permission):
            steps.append(Step.RESTORE)
        return steps

    @property
    def change_permission(self):
        return f"{self._meta.app_label}.change_{self._meta.model_name}"

    def restore_fields(self, snapshot):
        """Put a revision's content back into the editable record (not saved).

        Snapshot keys that name a field are copied; models whose snapshot is
        shaped differently override this.
        """
        for model_field in self._meta.concrete_fields:
            if model_field.editable and model_field.name in snapshot:
                setattr(self, model_field.name, snapshot[model_field.name])

    def restore_related(self, snapshot):
        """After the record is saved: put back parts kept in other tables."""

    def check_step(self, user, step):
        """Raise, saying why, unless `step` is one of available_steps(user)."""
        if step in self.available_steps(user):
            return
        if step == Step.RESTORE and not user.has_perm(self.change_permission):
            raise PermissionDenied("Only editors can restore an earlier revision.")
        if step in (Step.SCHEDULE, Step.CANCEL_SCHEDULE):
            step = Step.APPROVE if step == Step.SCHEDULE else step
            if not user.has_perm(revision_permission("approve_revision")):
                raise PermissionDenied("Only medical reviewers can sign off content.")
        if step in DECISIONS:
            needed = revision_permission(
                "request_changes"
                if step == Step.REQUEST_CHANGES
                else "approve_revision"
            )
            if not user.has_perm(needed):
                raise PermissionDenied("Only medical reviewers can sign off content.")
            revision = (
                self.live_revision if step == Step.CONFIRM else self.latest_revision
            )
            if revision is not None and revision.contributed(user):
                raise PermissionDenied(
                    "You wrote or edited this revision, so you cannot review it: "
                    "a second person must sign it off."
                )
            if not self.reviewer_reads_language(user):
                raise PermissionDenied(
                    "Your reviewer profile does not list the language this page is "
                    "written in: a reviewer who reads it must sign it off."
                )
        elif step in (Step.SUBMIT, Step.WITHDRAW) and not user.has_perm(
            revision_permission(f"{step}_revision")
        ):
            raise PermissionDenied("Your role does not include this step.")
        label = self.latest_revision.label if self.latest_revision else "This content"
        raise WorkflowError(
            {
                Step.SUBMIT: f"{label} is already waiting for review or published; "
                "there is nothing new to submit.",
                Step.WITHDRAW: "Only content waiting for review can be withdrawn.",
                Step.APPROVE: f"{label} is not waiting for review.",
                Step.REQUEST_CHANGES: f"{label} is not waiting for review.",
                Step.CONFIRM: "Only published content with nothing waiting for review "
                "can be confirmed.",
                Step.CANCEL_SCHEDULE: "Nothing is scheduled to go live.",
                Step.RESTORE: "There is no revision to restore yet.",
            }[step]
        )

    @transaction.atomic
    def approve(self, user, expected_hash, note=""):
        """Publish the submitted revision, if it is still exactly what the reviewer read."""
        revision = self.locked_latest_as_read(expected_hash)
        self.check_step(user, Step.APPROVE)
        now = timezone.now()
        previous = Revision.objects.filter(pk=self.live_revision_id).first()
        if previous is None or previous.content_hash != revision.content_hash:
            self.content_updated_at = now
        self.live_revision = revision
        self.review_state = ReviewState.APPROVED
        self.mark_reviewed(user, now)
        self.log(
            Action.APPROVED,
            revision,
            user,
            note=note.strip(),
            reviewer_byline=self.reviewer_byline(user),
        )
        self.log(Action.PUBLISHED, revision, user)
        self.after_publish()
        return revision

    @transaction.atomic
    def request_changes(self, user, expected_hash, comment):
        revision = self._locked_latest()
        self.check_step(user, Step.REQUEST_CHANGES)
        if not comment.strip():
            raise WorkflowError("Please tell the editor what to change.")
        if revision.content_hash != expected_hash:
            raise WorkflowError(
                f"The content changed after you opened it (now {revision.label}). Please look again."
            )
        self.review_state = ReviewState.CHANGES_REQUESTED
        self.save_review_fields()
        self.log(Action.CHANGES_REQUESTED, revision, user, note=comment.strip())
        return revision

    @transaction.atomic
    def confirm_still_accurate(self, user, note=""):
        """A periodic review of the published page that finds it still right."""
        self.lock()
        if self.live_revision_id is None:
            raise WorkflowError("Only published content can be confirmed.")
        revision = Revision.objects.get(pk=self.live_revision_id)
        self.check_step(user, Step.CONFIRM)
        self.mark_reviewed(user, timezone.now())
        self.log(
            Action.CONFIRMED,
            revision,
            user,
            note=note.strip(),
            reviewer_byline=self.reviewer_byline(user),
        )
        self.after_publish()
        return revision

    def mark_reviewed(self, user, when):
        self.last_reviewed_at = when
        self.last_reviewed_by = user
        months = self.months_between_reviews()
        self.next_review_due = add_months(timezone.localtime(when), months).date()
        self.save_review_fields()

    # What the public sees ------------------------------------------------------

    def published_content(self):
        """The live revision as its page shows it; None when nothing is approved."""
        if self.live_revision_id is None:
            return None
        return PublishedContent(self, self.live_revision)

    def draft_content(self):
        """The latest revision, for staff previews."""
        revision = self.latest_revision or self.save_revision()
        return PublishedContent(
            self, revision, is_draft=revision.pk != self.live_revision_id
        )

    def withdrawal_since_submission(self):
        """The audit entry that took the last submission out of review, if any."""
        entry = (
            self.audit_entries()
            .filter(action__in=[Action.SUBMITTED, Action.WITHDRAWN])
            .select_related("user")
            .first()
        )
        return entry if entry and entry.action == Action.WITHDRAWN else None

    def latest_sign_off_byline(self):
        entry = (
            self.audit_entries()
            .filter(action__in=[Action.APPROVED, Action.CONFIRMED])
            .first()
        )
        return entry.reviewer_byline if entry else ""

    def change_history(self):
        """(date, summary) for each approved revision, newest first."""
        entries = list(
            self.audit_entries().filter(action__in=[Action.SUBMITTED, Action.APPROVED])
        )
        summaries = {}
        for entry in reversed(entries):  # oldest first, so the last submission wins
            if entry.action == Action.SUBMITTED:
                summaries[entry.revision_id] = entry.note
        return [
            (entry.created_at, summaries.get(entry.revision_id, ""))
            for entry in entries
            if entry.action == Action.APPROVED
        ]


def reviewable_models():
    """Every concrete model that goes through medical review."""
    return [model for model in apps.get_models() if issubclass(model, Reviewable)]
