"""The four-eyes workflow: every step a person can take on a reviewable record.

Each step is a method of the record (`submit`, `approve`, `schedule`, `restore`…),
and one rule table, `step_refusal`, says whether a user may take a step now: the
admin's buttons (`available_steps`) and every step's own check (`check_step`) read
it, so a button never shows for a refused step and no step is taken without its
button. Nobody decides on a revision they contributed to, superusers included.

Going live is one code path (`go_live`), for an approval now and for one that was
scheduled for later.
"""

import calendar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from netguide import background

from ..evidence import ApprovedSources, evidence_required, unsupported_refusal
from ..golive import go_live
from .revisions import Revision, revision_permission
from .states import Action, ReviewState, Step

DEFAULT_REVIEW_INTERVAL_MONTHS = 12

EDITED_WHILE_SUBMITTED = "Edited while waiting for review, so withdrawn from review."
EDITED_WHILE_SCHEDULED = (
    "Edited after it was approved to go live later, so it will not go live: "
    "the new draft needs review."
)
ONLY_REVIEWERS = "Only medical reviewers can sign off content."


class WorkflowError(Exception):
    """A workflow step that is not allowed now; the message is shown to the user."""


def add_months(moment, months):
    """The same day `months` later, or the month's last day when it is shorter."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def one_line_summary(text):
    summary = " ".join((text or "").split())
    if not summary:
        raise WorkflowError("Please describe what changed in one line for patients.")
    if len(summary) > 200:
        raise WorkflowError(
            "Keep the change summary to one line (200 characters or fewer)."
        )
    return summary


class WorkflowMixin:
    """The steps of Reviewable (editorial.models.reviewable), which holds the
    fields they read and write."""

    # Which steps may this user take now? -----------------------------------------

    def step_refusal(self, user, step):
        """Why `user` may not take `step` on this record now, or None when they may.

        A refusal is a PermissionDenied (the user's role or part in the revision
        rules it out) or a WorkflowError (the record's state does).
        """
        latest, live = self.latest_revision, self.live_revision
        label = latest.label if latest else "This content"
        state = self.review_state
        submitted = state == ReviewState.SUBMITTED
        scheduled = state == ReviewState.SCHEDULED
        if step == Step.SUBMIT:
            if latest is None:
                return WorkflowError("This content has no saved revision yet.")
            if not user.has_perm(revision_permission("submit_revision")):
                return PermissionDenied("Your role does not include this step.")
            if submitted:
                return WorkflowError(f"{label} is already waiting for review.")
            if scheduled:
                return WorkflowError(f"{label} is already approved to go live.")
            if latest.pk == self.live_revision_id:
                return WorkflowError(
                    f"{label} is already published; there is nothing new to submit."
                )
            return None
        if step == Step.WITHDRAW:
            if latest is None:
                return WorkflowError("This content has no saved revision yet.")
            if not user.has_perm(revision_permission("withdraw_revision")):
                return PermissionDenied("Your role does not include this step.")
            if not submitted:
                return WorkflowError(
                    "Only content waiting for review can be withdrawn."
                )
            return None
        if step in (Step.APPROVE, Step.SCHEDULE, Step.REQUEST_CHANGES):
            needed = (
                "request_changes"
                if step == Step.REQUEST_CHANGES
                else "approve_revision"
            )
            return (
                self.sign_off_refusal(user, needed, latest)
                or (
                    None
                    if submitted and latest is not None
                    else WorkflowError(f"{label} is not waiting for review.")
                )
                or (None if step == Step.REQUEST_CHANGES else self.evidence_refusal())
            )
        if step == Step.CONFIRM:
            return self.sign_off_refusal(user, "approve_revision", live) or (
                None
                if not submitted and live is not None
                else WorkflowError(
                    "Only published content with nothing waiting for review can "
                    "be confirmed."
                )
            )
        if step == Step.CANCEL_SCHEDULE:
            if not user.has_perm(revision_permission("approve_revision")):
                return PermissionDenied(ONLY_REVIEWERS)
            if not scheduled:
                return WorkflowError("Nothing is scheduled to go live.")
            return None
        if step == Step.RESTORE:
            if not user.has_perm(self.change_permission):
                return PermissionDenied("Only editors can restore an earlier revision.")
            if latest is None:
                return WorkflowError("There is no revision to restore yet.")
            return None
        raise ValueError(f"Unknown workflow step: {step}")

    def sign_off_refusal(self, user, permission, revision):
        """Why `user` may not sign off `revision` of this record, or None."""
        if not user.has_perm(revision_permission(permission)):
            return PermissionDenied(ONLY_REVIEWERS)
        if revision is not None and revision.contributed(user):
            return PermissionDenied(
                "You wrote or edited this revision, so you cannot review it: "
                "a second person must sign it off."
            )
        if revision is not None and not self.reviewer_reads_language(
            user, revision.language
        ):
            return PermissionDenied(
                "Your reviewer profile does not list the language this page is "
                "written in: a reviewer who reads it must sign it off."
            )
        return None

    def evidence_refusal(self):
        """While approval requires evidence (settings.EVIDENCE_REQUIRED): a
        refusal naming the latest revision's statements that cite no approved
        passage and are not marked as explanations, or None."""
        if not evidence_required():
            return None
        unsupported = ApprovedSources.load().unsupported(
            self.latest_revision.statements()
        )
        return WorkflowError(unsupported_refusal(unsupported)) if unsupported else None

    def available_steps(self, user):
        """The workflow steps this user may take on this record now."""
        return [step for step in Step if self.step_refusal(user, step) is None]

    def check_step(self, user, step):
        """Raise, saying why, unless `user` may take `step` now."""
        refusal = self.step_refusal(user, step)
        if refusal is not None:
            raise refusal

    @property
    def change_permission(self):
        return f"{self._meta.app_label}.change_{self._meta.model_name}"

    # Editors' steps ------------------------------------------------------------------

    @transaction.atomic
    def submit(self, user, change_summary, reading_level_reason=""):
        change_summary = one_line_summary(change_summary)
        self.lock()
        self.check_step(user, Step.SUBMIT)
        revision = self.latest_revision
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
        self.lock()
        self.check_step(user, Step.WITHDRAW)
        self.review_state = ReviewState.DRAFT
        self.save_review_fields()
        self.log(Action.WITHDRAWN, self.latest_revision, user)
        return self.latest_revision

    @transaction.atomic
    def restore(self, revision, user):
        """A new draft with `revision`'s content, in `user`'s name; the public page
        stays as it is. Returns the new revision."""
        if revision.content_type_id != self.content_type.pk or (
            revision.object_id != self.pk
        ):
            raise WorkflowError("That revision belongs to another page.")
        self.lock()
        self.check_step(user, Step.RESTORE)
        # The editable fields as saved, whatever this copy holds.
        self.refresh_from_db()
        if revision.content_hash == self.latest_revision.content_hash:
            raise WorkflowError(
                f"The latest revision already has the content of revision "
                f"{revision.number}: there is nothing to restore."
            )
        self.restore_fields(revision.snapshot)
        try:
            self.full_clean()
        except ValidationError as error:
            raise WorkflowError(
                f"Revision {revision.number} cannot be restored as it is: "
                + " ".join(error.messages)
            ) from None
        self.save()
        self.restore_related(revision.snapshot)
        # Whoever wrote or edited the restored words is a contributor again.
        restored = self.save_revision(
            user, words_of=[revision.author_id, *revision.contributor_ids]
        )
        self.log(
            Action.RESTORED,
            restored,
            user,
            note=f"Restored from revision {revision.number}.",
        )
        return restored

    # Reviewers' steps ----------------------------------------------------------------

    def locked_latest_as_read(self, expected_hash):
        """The latest revision, locked, if it is still exactly what the reviewer read
        (`expected_hash`); nothing is approved on a changed page."""
        self.lock()
        revision = self.latest_revision
        if revision is None:
            raise WorkflowError("This content has no saved revision yet.")
        if revision.content_hash != expected_hash:
            raise WorkflowError(
                f"The content changed after you opened it (now {revision.label}). "
                "Nothing was approved: please review the new version."
            )
        return revision

    @transaction.atomic
    def approve(self, user, expected_hash, note=""):
        """Publish the submitted revision, if it is still exactly what the reviewer read."""
        revision = self.locked_latest_as_read(expected_hash)
        self.check_step(user, Step.APPROVE)
        now = timezone.now()
        self.go_live(
            revision,
            reviewer=user,
            reviewed_at=now,
            note=note.strip(),
            byline=self.reviewer_byline(user, revision.language),
            published_by=user,
            now=now,
        )
        return revision

    @transaction.atomic
    def schedule(self, user, expected_hash, go_live_at, note=""):
        """Approve the submitted revision now, to go live at `go_live_at`: the public
        page keeps its revision until then (see `publish_if_due`)."""
        revision = self.locked_latest_as_read(expected_hash)
        self.check_step(user, Step.SCHEDULE)
        if go_live_at <= timezone.now():
            raise WorkflowError("Choose a time in the future, or approve it now.")
        self.review_state = ReviewState.SCHEDULED
        self.scheduled_revision = revision
        self.go_live_at = go_live_at
        self.save_review_fields()
        self.queue_go_live()
        when = f"{timezone.localtime(go_live_at):%B %d, %Y at %H:%M}"
        self.log(
            Action.SCHEDULED,
            revision,
            user,
            note=" ".join(
                part for part in (note.strip(), f"Goes live {when}.") if part
            ),
            reviewer_byline=self.reviewer_byline(user, revision.language),
        )
        return revision

    @transaction.atomic
    def cancel_schedule(self, user, note=""):
        """Take back a scheduled approval: the revision goes back to the review queue."""
        self.lock()
        self.check_step(user, Step.CANCEL_SCHEDULE)
        revision = self.scheduled_revision
        self.review_state = ReviewState.SUBMITTED
        self.scheduled_revision, self.go_live_at = None, None
        self.save_review_fields()
        self.unqueue_go_live()
        self.log(
            Action.SCHEDULE_CANCELLED,
            revision,
            user,
            note=note.strip() or "Cancelled by the reviewer; waiting for review again.",
        )
        return revision

    @transaction.atomic
    def publish_if_due(self, now=None):
        """Publish the scheduled revision if its time has come; True if it did.

        Idempotent: a record already published, rescheduled or edited since is left
        alone (under a row lock, so two runs at once publish it once).
        """
        now = now or timezone.now()
        self.lock()
        if (
            self.review_state != ReviewState.SCHEDULED
            or self.go_live_at is None
            or self.go_live_at > now
            or self.scheduled_revision_id != self.latest_revision_id
        ):
            return False
        revision = Revision.objects.get(pk=self.scheduled_revision_id)
        approval = (
            self.audit_entries()
            .filter(action=Action.SCHEDULED, revision=revision)
            .select_related("user")
            .first()
        )
        # The sign-off date patients read is the reviewer's, not the clock's.
        self.go_live(
            revision,
            reviewer=approval.user,
            reviewed_at=approval.created_at,
            note=approval.note,
            byline=approval.reviewer_byline,
            published_by=None,
            publish_note="Published as scheduled.",
            now=now,
        )
        return True

    @transaction.atomic
    def request_changes(self, user, expected_hash, comment):
        self.lock()
        self.check_step(user, Step.REQUEST_CHANGES)
        revision = self.latest_revision
        if not comment.strip():
            raise WorkflowError("Please tell the editor what to change.")
        if revision.content_hash != expected_hash:
            raise WorkflowError(
                f"The content changed after you opened it (now {revision.label}). "
                "Please look again."
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
        self.check_step(user, Step.CONFIRM)
        revision = self.live_revision
        self.mark_reviewed(user, timezone.now())
        self.log(
            Action.CONFIRMED,
            revision,
            user,
            note=note.strip(),
            reviewer_byline=self.reviewer_byline(user, revision.language),
        )
        self.after_publish()
        return revision

    # Going live ----------------------------------------------------------------------

    def queue_go_live(self):
        """Queue the go-live for `go_live_at`, in this transaction: the worker runs
        it then (editorial.golive.go_live), whatever process approved it."""
        go_live.using(run_after=self.go_live_at).enqueue(self._meta.label, self.pk)

    def unqueue_go_live(self):
        """Take back a queued go-live (an edit or a reviewer cancelled it). A run
        that is already under way finds the record changed and does nothing."""
        background.cancel(go_live, self._meta.label, self.pk)

    def go_live_is_late(self, now=None):
        """Scheduled, and its time has passed: no worker has published it yet."""
        return (
            self.review_state == ReviewState.SCHEDULED
            and self.go_live_at is not None
            and self.go_live_at < (now or timezone.now())
        )

    def go_live(
        self,
        revision,
        *,
        reviewer,
        reviewed_at,
        note,
        byline,
        published_by,
        publish_note="",
        now=None,
    ):
        """Make the signed-off `revision` the public one (inside the caller's
        transaction, under its row lock): the one way a revision goes live."""
        now = now or timezone.now()
        if self.review_state == ReviewState.SCHEDULED:
            self.unqueue_go_live()  # published by the safety net: its task is stale
        previous = self.live_revision
        if previous is None or previous.content_hash != revision.content_hash:
            self.content_updated_at = now
        self.live_revision = revision
        self.review_state = ReviewState.APPROVED
        self.scheduled_revision, self.go_live_at = None, None
        self.mark_reviewed(reviewer, reviewed_at)
        self.log(Action.APPROVED, revision, reviewer, note=note, reviewer_byline=byline)
        self.log(Action.PUBLISHED, revision, published_by, note=publish_note)
        self.after_publish()

    def mark_reviewed(self, user, when):
        self.last_reviewed_at = when
        self.last_reviewed_by = user
        months = self.months_between_reviews()
        self.next_review_due = add_months(timezone.localtime(when), months).date()
        self.save_review_fields()
