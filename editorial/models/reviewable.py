"""Reviewable content: the editable record is the working draft; the public site
shows its approved (live) revision only.

A content type subclasses Reviewable and says what it is through class attributes
and methods (its snapshot, title, prose, diff labels, page, cache kind…); the
engine asks the type and imports no content app.
"""

from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..evidence import ApprovedSources, without_marks_in
from .revisions import AuditEntry, Revision, content_hash, optional_reference
from .states import Action, ReviewState
from .workflow import (
    DEFAULT_REVIEW_INTERVAL_MONTHS,
    EDITED_WHILE_SCHEDULED,
    EDITED_WHILE_SUBMITTED,
    WorkflowMixin,
)


def sort_value(value):
    return value.casefold() if isinstance(value, str) else value


class RevisionPage:
    """One revision of a record, as its page shows it: the revision's content plus
    the review facts a patient sees. Review details are read lazily so that lists of
    cards cost no extra queries. Its content carries no evidence marks: everything
    that shows it (templates, search, JSON-LD, the static build) reads it clean."""

    def __init__(self, record, revision, is_draft=False):
        self.record = record
        self.revision = revision
        self.content = without_marks_in(revision.snapshot)
        self.is_draft = is_draft

    @property
    def updated_at(self):
        return self.record.content_updated_at or self.revision.created_at

    @property
    def reviewed_at(self):
        return self.record.last_reviewed_at

    @property
    def next_review_due(self):
        return self.record.next_review_due

    @cached_property
    def review_entries(self):
        """The record's submissions and sign-offs, newest first: one query gives
        the byline and the change history."""
        return self.record.review_entries()

    @cached_property
    def reviewer_byline(self):
        return self.record.latest_sign_off_byline(self.review_entries)

    @cached_property
    def sources(self):
        """The approved sources this revision's statements cite, in order of first
        citation (title, publisher, published, url)."""
        statements = self.revision.statements()
        if not any(statement.citations for statement in statements):
            return []
        return ApprovedSources.remembered().cited_sources(statements)

    @cached_property
    def changes(self):
        """(date, summary) of each approved change, newest first."""
        return self.record.change_history(self.review_entries)

    @cached_property
    def translation_behind(self):
        """For a published translation whose source was updated since: where the
        newer source is ({code, language_name, url}); else None."""
        return None if self.is_draft else self.record.source_update_notice()


class ReviewableQuerySet(models.QuerySet):
    def published(self):
        """Records with an approved revision: the only ones a patient may see."""
        return self.filter(live_revision__isnull=False).select_related("live_revision")

    def published_in(self, language=None):
        """Published records in a language; a type written in one language has all
        its records in it (TranslatableQuerySet reads each live revision's)."""
        return self.published()

    def published_pages(self):
        """The published pages, in their type's order (`published_sort_key`)."""
        pages = [record.published_content() for record in self.published()]
        return sorted(pages, key=self.model.published_sort_key)

    def published_slugs(self):
        """The addresses patients know (published slugs), e.g. for publishing files."""
        return sorted(record.public_slug for record in self.published())

    def published_by_slug(self, slug, language=None):
        """The published content at this slug (a draft may rename it) in a language
        (default: the active one, for types written in several), or 404."""
        record = (
            self.published_in(language)
            .filter(live_revision__snapshot__slug=slug)
            .first()
        )
        if record is None:
            raise Http404("No such page")
        return record.published_content()

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

    def out_of_date(self):
        """Published records behind a newer version of what they were made from (a
        translation behind its source); none for types that have no source."""
        return self.none()


class Reviewable(WorkflowMixin, models.Model):
    """Content that reaches patients only after a second person's medical sign-off.

    Each reviewable type says what it is through the class attributes and methods
    below (its snapshot, title, prose, labels); the workflow needs nothing else.
    """

    # How the public page names the sign-off it had.
    reviewed_by_label = _("Medically reviewed by")
    # The snapshot's keys a patient reads as sentences: held to the reading level.
    prose_keys = ()
    # How a comparison of two revisions names the snapshot's keys, in the order it
    # shows them; keys not named here (rendered HTML, derived values) are not compared.
    diff_labels = {}
    # The snapshot's keys that hold statements a patient reads, each needing an
    # evidence mark: "text" (sentences), "markdown" (a body: sentences and list
    # items, not headings) or "list" (each item). Nested parts: statement_texts().
    statement_keys = {}
    # The snapshot keys its published list is sorted by; left empty, those of the
    # model's Meta.ordering (a type whose snapshot names them otherwise says so here).
    published_order = ()
    # Patient-facing prose is held to the reading-level target when submitted.
    checks_reading_level = True
    # The staff preview's address segment (/preview/<kind>/<pk>/) and the review
    # screen's include that shows a revision as the page does.
    preview_kind = None
    preview_template = None

    review_state = models.CharField(
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        editable=False,
    )
    latest_revision = optional_reference(Revision, editable=False)
    live_revision = optional_reference(Revision, editable=False)
    content_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_by = optional_reference(settings.AUTH_USER_MODEL, editable=False)
    next_review_due = models.DateField(null=True, blank=True, editable=False)
    # An approval that takes effect later: the live revision stays until then.
    scheduled_revision = optional_reference(Revision, editable=False)
    go_live_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

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

    def save_review_fields(self):
        # Model.save, not the subclass's: only the workflow's own fields change here.
        models.Model.save(self, update_fields=self.REVIEW_FIELDS)

    def lock(self):
        """Lock this record's row for the transaction and reload the workflow's
        fields: this copy may predate a step another request just took."""
        self.refresh_from_db(
            fields=self.REVIEW_FIELDS,
            from_queryset=type(self).objects.select_for_update(),
        )

    # What each type says about itself --------------------------------------------

    def snapshot(self) -> dict:
        """Everything the record's page displays, as plain JSON-ready data."""
        raise NotImplementedError

    def fields_of(self, *names):
        """{name: value} of these fields, for a snapshot."""
        return {name: getattr(self, name) for name in names}

    def revision_snapshot(self):
        """What a revision stores: the snapshot, plus what a type adds (a
        translation's source)."""
        return self.snapshot()

    @classmethod
    def title_of(cls, snapshot):
        """How editors and reviewers name one revision of this type."""
        return (
            snapshot.get("title") or snapshot.get("name") or str(cls._meta.verbose_name)
        )

    @classmethod
    def published_sort_key(cls, page):
        """Where a published page stands in its type's list: its published (not
        draft) values of `published_order`, or of the model's Meta.ordering."""
        keys = cls.published_order or cls._meta.ordering
        return tuple(sort_value(page.content[key]) for key in keys)

    @classmethod
    def statement_texts(cls, snapshot):
        """(where, text, is Markdown) of each text of a snapshot holding statements
        (editorial.evidence splits them into statements)."""
        texts = []
        for key, kind in cls.statement_keys.items():
            label = cls.diff_labels.get(key, key)
            value = snapshot.get(key)
            if kind == "list":
                texts += [
                    (f"{label} {n}", item, False)
                    for n, item in enumerate(value or [], 1)
                ]
            elif value:
                texts.append((label, value, kind == "markdown"))
        return texts

    @classmethod
    def diff_item_text(cls, key, item):
        """One item of a list in the snapshot (under `key`) as a reviewer reads it."""
        return str(item)

    def restore_fields(self, snapshot):
        """Put a revision's content back into the editable record (not saved).

        Snapshot keys that name a field are copied; models whose snapshot is
        shaped differently override this.
        """
        for model_field in self._meta.concrete_fields:
            if model_field.editable and model_field.name in snapshot:
                # A reference is kept in a snapshot by its id.
                setattr(self, model_field.attname, snapshot[model_field.name])

    def restore_related(self, snapshot):
        """After the record is saved: put back parts kept in other tables."""

    def after_publish(self):
        """Keep what derives from published content (search, caches) in step;
        called inside the approval's transaction."""

    def months_between_reviews(self):
        """How long after a sign-off the next review falls due."""
        return DEFAULT_REVIEW_INTERVAL_MONTHS

    def reviewer_byline(self, user, language):
        """The reviewer's name as patients read it on this page, in `language`."""
        return user.get_full_name() or user.get_username()

    def reviewer_reads_language(self, user, language):
        """Whether this user reads `language` (the language of the revision they
        would decide on); only then may they decide on it."""
        return True

    def specialty_needed(self):
        """The reviewer specialty this record needs, in words ("" for any)."""
        return ""

    def needs_specialty_of(self, user):
        """Whether this record needs a specialty `user` reviews: their queue shows it
        first, and they are the ones told it waits."""
        return False

    def source_update_notice(self):
        """What a patient is told when what this was made from changed since (a
        translation's source): {code, language_name, url}, or None."""
        return None

    def serve(self, request, page):
        """Any revision's content (`page`, a RevisionPage) as its public page shows
        it."""
        raise NotImplementedError

    # Revisions and the audit trail ------------------------------------------------

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

    @transaction.atomic
    def save_revision(self, user=None, words_of=()):
        """Snapshot the current draft; a new revision only when the content changed.

        Its contributors, none of whom may approve it: `user`, everyone in the
        drafts since the last approval, and the ids in `words_of` (whose words it
        brings back, when it restores an earlier revision)."""
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
        contributors.update(pk for pk in words_of if pk is not None)
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
        if was_scheduled:
            self.unqueue_go_live()
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

    # What the public sees ------------------------------------------------------

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

    def published_content(self):
        """The live revision as its page shows it; None when nothing is approved."""
        if self.live_revision_id is None:
            return None
        return RevisionPage(self, self.live_revision)

    def draft_content(self):
        """The latest revision, for staff previews."""
        revision = self.latest_revision or self.save_revision()
        return RevisionPage(
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

    def review_entries(self):
        """Submissions and sign-offs (approvals, confirmations), newest first."""
        return list(
            self.audit_entries().filter(
                action__in=[Action.SUBMITTED, Action.APPROVED, Action.CONFIRMED]
            )
        )

    def latest_sign_off_byline(self, entries=None):
        entries = self.review_entries() if entries is None else entries
        entry = next(
            (e for e in entries if e.action in (Action.APPROVED, Action.CONFIRMED)),
            None,
        )
        return entry.reviewer_byline if entry else ""

    def change_history(self, entries=None):
        """(date, summary) for each approved revision, newest first."""
        entries = [
            entry
            for entry in (self.review_entries() if entries is None else entries)
            if entry.action in (Action.SUBMITTED, Action.APPROVED)
        ]
        summaries = {}
        for entry in reversed(entries):  # oldest first, so the last submission wins
            if entry.action == Action.SUBMITTED:
                summaries[entry.revision_id] = entry.note
        return [
            (entry.created_at, summaries.get(entry.revision_id, ""))
            for entry in entries
            if entry.action == Action.APPROVED
        ]
