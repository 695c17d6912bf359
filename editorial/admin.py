"""The engine's admin: the base class every reviewable type's admin extends (the
change form, the workflow's steps and the editorial desk), and read-only views of
revisions, the audit trail and share links."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from netguide import static_site

from . import admin_background  # noqa: F401  (background work's list)
from .admin_desk import EditorialDeskMixin
from .admin_site import ReadOnlyAdmin
from .diffing import compare_snapshots
from .evidence import evidence_required
from .evidence_review import review_evidence
from .forms import SAVE_AND_SUBMIT, DecisionForm, ReviewableForm, SubmitForm
from .models import (
    DECISIONS,
    Action,
    AuditEntry,
    ReviewState,
    Revision,
    RevisionPage,
    ShareLink,
    Step,
    WorkflowError,
    revision_permission,
)
from .registry import reviewable_models
from .tasks import queue_decision, queue_submitted, queue_withdrawn

LATE_GO_LIVE = (
    "revision {} was due to go live on {}: it goes live as soon as the background "
    "worker runs again"
)
PUBLISHING = (
    "Publishing… the published files are being rebuilt with the latest approval; "
    "patients get it from them in a few seconds (Django's pages show it already)."
)


def when(record):
    return f"{timezone.localtime(record.go_live_at):%B %d, %Y at %H:%M}"


class ReviewableAdmin(EditorialDeskMixin, admin.ModelAdmin):
    """The admin every reviewable type's admin extends."""

    form = ReviewableForm
    change_form_template = "editorial/admin/change_form.html"
    review_fields = ("review_status", "review_actions")

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + self.review_fields

    def get_fieldsets(self, request, obj=None):
        """The type's fieldsets (or, when it declares none, its form's fields), less
        the fields the engine places itself, then the engine's own fieldsets."""
        placed = self.placed_fieldsets(request, obj)
        left_out = {*ReviewableForm.workflow_fields, *flatten_fieldsets(placed)}
        own = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in left_out]})
            for name, opts in super().get_fieldsets(request, obj)
        ]
        return [*own, *placed]

    def placed_fieldsets(self, request, obj=None):
        """The fieldsets that end every type's change form (types add to them)."""
        return [("Medical review", {"fields": ["base_revision", *self.review_fields]})]

    # What needs doing comes right after the record's name, before what describes it.
    workflow_columns = ("review_state", "is_live", "next_review_due")

    def get_list_display(self, request):
        name, *details = super().get_list_display(request)
        return (name, *self.workflow_columns, *details)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), "review_state")

    @admin.display(boolean=True, description="public")
    def is_live(self, obj):
        return obj.live_revision_id is not None

    @admin.display(description="Status")
    def review_status(self, obj):
        if obj is None or not obj.pk:
            return "New: not yet saved."
        parts = [obj.get_review_state_display()]
        if obj.latest_revision_id:
            parts.append(f"latest revision {obj.latest_revision.number}")
        if obj.live_revision_id:
            parts.append(f"public revision {obj.live_revision.number}")
        else:
            parts.append("not public yet")
        if obj.go_live_is_late():
            parts.append(LATE_GO_LIVE.format(obj.scheduled_revision.number, when(obj)))
        elif obj.review_state == ReviewState.SCHEDULED and obj.go_live_at:
            parts.append(
                f"revision {obj.scheduled_revision.number} goes live on {when(obj)}"
            )
        if obj.is_overdue:
            parts.append("REVIEW OVERDUE")
        parts += self.status_notes(obj)
        comment = obj.audit_entries().filter(action=Action.CHANGES_REQUESTED).first()
        text = "; ".join(parts)
        if obj.review_state == ReviewState.CHANGES_REQUESTED and comment:
            return format_html(
                "{}<br><strong>Reviewer's comment:</strong> {}", text, comment.note
            )
        return text

    @admin.display(description="Actions")
    def review_actions(self, obj):
        if obj is None or not obj.pk:
            return "-"
        opts = self.model._meta
        steps = obj.available_steps(obj.desk_user)
        links = [
            (
                "Preview draft",
                reverse("editorial:draft-preview", args=[obj.preview_kind, obj.pk]),
            ),
            *[
                (step.label, self.url(step.value, obj))
                for step in (Step.SUBMIT, Step.WITHDRAW)
                if step in steps
            ],
            *(
                [("Review", self.url("review", obj))]
                if any(step in steps for step in DECISIONS)
                else []
            ),
            ("Share a preview link", self.url("share", obj)),
            (
                "History",
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]
                ),
            ),
        ]
        return format_html_join(
            " · ", '<a href="{}">{}</a>', ((url, label) for label, url in links)
        )

    def status_notes(self, obj):
        """What else the status line says of this record (types add to it)."""
        return []

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is not None:
            # review_actions (a read-only field, given only the record) shows the
            # steps this user may take. The user travels with this request's copy of
            # the record: the admin itself is shared by every thread of the process.
            record.desk_user = request.user
        return record

    def url(self, view, obj):
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk]
        )

    def has_delete_permission(self, request, obj=None):
        # Published history must stay: a reviewed page is never deleted outright.
        return False

    def construct_change_message(self, request, form, formsets, add=False):
        # The revision check is how the form works, not something an editor changed.
        message = super().construct_change_message(request, form, formsets, add)
        workflow_labels = {
            form.fields[name].label or name
            for name in ReviewableForm.workflow_fields
            if name in form.fields
        } | set(ReviewableForm.workflow_fields)
        for item in message:
            fields = item.get("changed", {}).get("fields")
            if fields:
                fields[:] = [f for f in fields if f not in workflow_labels]
        return [item for item in message if item.get("changed", {}).get("fields") != []]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, object_id)
        if (
            request.method == "GET"
            and record is not None
            and record.review_state == ReviewState.SUBMITTED
        ):
            messages.warning(
                request,
                "This page is waiting for medical review. Saving a change withdraws "
                "it from review: the reviewer is told, and you submit it again.",
            )
        if request.method == "GET" and record is not None:
            for warning in self.change_form_warnings(record):
                messages.warning(request, warning)
        if request.method == "GET" and record is not None and record.go_live_is_late():
            messages.warning(
                request,
                "R"
                + LATE_GO_LIVE.format(record.scheduled_revision.number, when(record))[
                    1:
                ]
                + ". If this lasts, please tell the site's maintainer.",
            )
        if request.method == "GET" and (problem := static_site.failure()):
            # Shown until a build succeeds: patients reading the files see old content.
            messages.error(
                request,
                "The published files could not be rebuilt, so they still show the "
                f"previous version: {problem} Nothing was half-written. Please tell "
                "the site's maintainer (manage.py publish_site).",
            )
        elif request.method == "GET" and static_site.publishing():
            messages.info(request, PUBLISHING)
        if record is not None:
            extra_context = {
                **(extra_context or {}),
                **self.desk_context(request, record),
            }
        return super().change_view(
            request, object_id, form_url, self.save_row_context(request, extra_context)
        )

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(
            request, form_url, self.save_row_context(request, extra_context)
        )

    def save_row_context(self, request, extra_context):
        """One save row: "Save" (which stays on the record) and, for those who may
        submit, the change summary with "Save and submit for review"."""
        return {
            **(extra_context or {}),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_submit_for_review": request.user.has_perm(
                revision_permission("submit_revision")
            ),
        }

    def response_add(self, request, obj, post_url_continue=None):
        return self.back_to_record(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self.back_to_record(request, obj) or super().response_change(
            request, obj
        )

    def back_to_record(self, request, obj):
        """After "Save" the editor stays on the record; after a submission the
        reading level refused, the submit screen asks for the reason."""
        if getattr(request, "submission_refused", False):
            return HttpResponseRedirect(self.url("submit", obj))
        if "_save" in request.POST or SAVE_AND_SUBMIT in request.POST:
            return HttpResponseRedirect(self.url("change", obj))
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record = form.instance
        was_submitted = record.review_state == ReviewState.SUBMITTED
        go_live_at = (
            record.go_live_at if record.review_state == ReviewState.SCHEDULED else None
        )
        revision = record.save_revision(request.user)
        if go_live_at and record.review_state != ReviewState.SCHEDULED:
            messages.warning(
                request,
                "It was approved to go live on "
                f"{timezone.localtime(go_live_at):%B %d, %Y at %H:%M}. Your change "
                "cancelled that: the public page stays as it is, and the new draft "
                "needs review.",
            )
        if was_submitted and record.review_state != ReviewState.SUBMITTED:
            messages.warning(
                request,
                "It was waiting for review: it is withdrawn now, and the reviewers "
                "were told. Submit it again when it is ready.",
            )
            queue_withdrawn(record, request.user)
        if form.submits:
            self.submit_saved(request, record, form.cleaned_data)
        else:
            messages.info(
                request,
                f"Saved as {revision.label}. It is a draft: patients see it only after "
                "a medical reviewer approves it. Use “Save and submit for review” when "
                "it is ready.",
            )

    def submit_saved(self, request, record, data):
        """The save row's submission, right after its save."""
        revision = record.latest_revision
        try:
            record.submit(
                request.user, data["change_summary"], data["reading_level_reason"]
            )
        except PermissionDenied as error:
            messages.error(
                request, f"Saved as {revision.label}, not submitted: {error}"
            )
        except WorkflowError as error:
            messages.warning(
                request, f"Saved as {revision.label}, not submitted yet: {error}"
            )
            request.submission_refused = True
        else:
            queue_submitted(record, request.user)
            messages.success(
                request,
                f"Saved as {revision.label} and submitted for medical review. A "
                "reviewer who did not write or edit it signs it off before patients "
                "see it.",
            )

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/submit/", wrap(self.submit_view), name=f"{name}_submit"),
            path(
                "<int:pk>/withdraw/", wrap(self.withdraw_view), name=f"{name}_withdraw"
            ),
            path("<int:pk>/review/", wrap(self.review_view), name=f"{name}_review"),
            path("<int:pk>/share/", wrap(self.share_view), name=f"{name}_share"),
            *self.desk_urls(name),
            *super().get_urls(),
        ]

    def get_record(self, request, pk, permission):
        record = get_object_or_404(self.model, pk=pk)
        if not request.user.has_perm(f"{self.opts.app_label}.{permission}"):
            raise PermissionDenied
        return record

    def refuse_step(self, request, record, step):
        """None when the user may take `step` now. Otherwise a role refusal is a
        403 page saying why; a step that does not apply now goes back to the record
        with the reason."""
        if step in record.available_steps(request.user):
            return None
        try:
            record.check_step(request.user, step)
        except PermissionDenied as error:
            return self.refused(request, record, str(error))
        except WorkflowError as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(self.url("change", record))

    def refused(self, request, record, reason):
        response = self.render_step(
            request, record, "refused.html", {"title": "Not allowed", "reason": reason}
        )
        response.status_code = 403
        return response

    def render_step(self, request, record, template, context):
        return TemplateResponse(
            request,
            template if "/" in template else f"editorial/admin/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": record,
                "title": context.pop("title"),
                "change_url": self.url("change", record),
                **context,
            },
        )

    def submit_view(self, request, pk):
        record = get_object_or_404(self.model, pk=pk)
        if refused := self.refuse_step(request, record, Step.SUBMIT):
            return refused
        revision = record.latest_revision
        form = SubmitForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                record.submit(
                    request.user,
                    form.cleaned_data["change_summary"],
                    form.cleaned_data["reading_level_reason"],
                )
            except WorkflowError as error:
                form.add_error(None, str(error))
            else:
                queue_submitted(record, request.user)
                messages.success(
                    request, f"{revision.label} was submitted for medical review."
                )
                return HttpResponseRedirect(self.url("change", record))
        return self.render_step(
            request,
            record,
            "submit.html",
            {
                "title": f"Submit {record} for medical review",
                "form": form,
                "revision": revision,
                "level": revision.reading_level() if revision else None,
            },
        )

    def withdraw_view(self, request, pk):
        record = get_object_or_404(self.model, pk=pk)
        if refused := self.refuse_step(request, record, Step.WITHDRAW):
            return refused
        if request.method == "POST":
            try:
                record.withdraw(request.user)
            except WorkflowError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "Withdrawn from review. It is a draft again.")
            return HttpResponseRedirect(self.url("change", record))
        return self.render_step(
            request,
            record,
            "withdraw.html",
            {"title": f"Withdraw {record} from review"},
        )

    def review_view(self, request, pk):
        record = get_object_or_404(self.model, pk=pk)
        if not (
            request.user.has_perm(revision_permission("approve_revision"))
            or request.user.has_perm(revision_permission("request_changes"))
        ):
            return self.refused(
                request, record, "Only medical reviewers can sign off content."
            )
        steps = record.available_steps(request.user)
        pending = record.review_state == ReviewState.SUBMITTED
        scheduled = record.review_state == ReviewState.SCHEDULED
        withdrawal = (
            None if pending or scheduled else record.withdrawal_since_submission()
        )
        if scheduled:
            revision = record.scheduled_revision
        else:
            revision = record.latest_revision if pending else record.live_revision
        if revision is None:
            messages.error(request, "There is nothing to review yet.")
            return HttpResponseRedirect(self.url("change", record))
        form = DecisionForm(
            request.POST or None, initial={"content_hash": revision.content_hash}
        )
        if request.method == "POST" and form.is_valid():
            decision = request.POST.get("decision")
            note = form.cleaned_data["note"]
            expected = form.cleaned_data["content_hash"]
            try:
                if decision == Step.APPROVE:
                    decided = record.approve(request.user, expected, note)
                    label = "approved and published"
                elif decision == Step.REQUEST_CHANGES:
                    decided = record.request_changes(request.user, expected, note)
                    label = "changes requested"
                elif decision == Step.CONFIRM:
                    decided = record.confirm_still_accurate(request.user, note)
                    label = "confirmed still accurate"
                elif decision == Step.SCHEDULE:
                    go_live_at = form.cleaned_data["go_live_at"]
                    decided = record.schedule(request.user, expected, go_live_at, note)
                    label = (
                        "approved to go live on "
                        f"{timezone.localtime(go_live_at):%B %d, %Y at %H:%M}"
                    )
                elif decision == Step.CANCEL_SCHEDULE:
                    decided = record.cancel_schedule(request.user, note)
                    label = "scheduled publishing cancelled; waiting for review again"
                else:
                    raise WorkflowError("Choose approve, request changes or confirm.")
            except (WorkflowError, PermissionDenied) as error:
                # Show the record as it is now: a fresh hash, an empty note, and
                # only the steps that apply to it (never the refused screen again).
                messages.error(request, str(error) or "You are not allowed to do that.")
                return HttpResponseRedirect(self.url("review", record))
            if decision != Step.CANCEL_SCHEDULE:
                queue_decision(record, decided, label)
            messages.success(request, f"{decided.label}: {label}.")
            return HttpResponseRedirect(self.url("change", record))
        submission = (
            record.audit_entries()
            .filter(action=Action.SUBMITTED, revision=revision)
            .first()
        )
        return self.render_step(
            request,
            record,
            "review.html",
            {
                "title": f"Medical review: {record}",
                "form": form,
                "revision": revision,
                "pending": pending,
                "scheduled": scheduled,
                "go_live_at": record.go_live_at,
                "steps": [step for step in DECISIONS if step in steps],
                "can_schedule": Step.SCHEDULE in steps,
                "time_zone_name": timezone.get_current_timezone_name(),
                "can_cancel_schedule": Step.CANCEL_SCHEDULE in steps,
                "schedule_step": Step.SCHEDULE,
                "cancel_schedule_step": Step.CANCEL_SCHEDULE,
                "withdrawal": withdrawal,
                "submission": submission,
                "level": revision.reading_level(),
                "own_revision": revision.contributed(request.user),
                "preview": RevisionPage(record, revision, is_draft=pending),
                "preview_template": record.preview_template,
                "diff": compare_snapshots(
                    record.live_revision.snapshot if record.live_revision_id else None,
                    revision.snapshot,
                    type(record),
                ),
                "live_revision": record.live_revision,
                "full_preview_url": reverse(
                    "editorial:draft-preview", args=[record.preview_kind, record.pk]
                ),
                "review_notice": self.review_notice(record),
                "evidence": review_evidence(record, revision),
                "evidence_refusal": pending and record.evidence_refusal(),
                "evidence_required": evidence_required(),
            },
        )

    def change_form_warnings(self, record):
        """Warnings the change form shows above the fields (types add to them)."""
        return []

    def review_notice(self, record):
        """A note for the reviewer on the review screen (types may give one)."""
        return ""


class ReviewableContentTypeFilter(admin.SimpleListFilter):
    """Only the kinds of content that go through review, by their plain names."""

    title = "kind of content"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [
            (ContentType.objects.get_for_model(model).pk, model._meta.verbose_name)
            for model in reviewable_models()
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(content_type_id=self.value())
        return queryset


def history_link(revision):
    record = revision.content_object
    if record is None:
        return revision.label
    opts = record._meta
    return format_html(
        '<a href="{}#revision-{}">{}</a>',
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[record.pk]),
        revision.number,
        revision.label,
    )


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    """Every revision of every page, named by its title; the page's own History
    screen compares, shows and restores them."""

    list_display = ("revision", "kind", "author", "created_at")
    list_filter = (ReviewableContentTypeFilter,)
    list_select_related = ("content_type", "author")
    fields = ("revision", "kind", "author", "contributors", "created_at", "shown")
    readonly_fields = fields

    @admin.display(description="revision")
    def revision(self, obj):
        return history_link(obj)

    @admin.display(description="kind of content")
    def kind(self, obj):
        return obj.content_type.name

    @admin.display(description="everyone who edited it since the last sign-off")
    def contributors(self, obj):
        users = get_user_model().objects.filter(pk__in=obj.contributor_ids)
        return ", ".join(user.get_username() for user in users) or "-"

    @admin.display(description="as patients see it")
    def shown(self, obj):
        record = obj.content_object
        if record is None:
            return "-"
        opts = record._meta
        return format_html(
            '<a href="{}">View revision {}</a>',
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_revision",
                args=[record.pk, obj.number],
            ),
            obj.number,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "user", "on_revision", "note")
    list_filter = ("action", ReviewableContentTypeFilter)
    list_select_related = ("user", "revision", "revision__content_type")
    search_fields = ("note",)
    fields = (
        "created_at",
        "action",
        "user",
        "on_revision",
        "reviewer_byline",
        "note",
        "reading_level_reason",
    )
    readonly_fields = fields

    @admin.display(description="revision")
    def on_revision(self, obj):
        return history_link(obj.revision)


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Every preview link, for administrators: who made it, to what, and revoking.
    Editors list and revoke their own on each page's share screen."""

    list_display = ("__str__", "created_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("revision", "created_by")
    fields = ("revision", "created_by", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected links", permissions=("change",))
    def revoke(self, request, queryset):
        for link in queryset.filter(revoked_at__isnull=True):
            link.revoke(request.user)
        messages.success(request, "Revoked: they now answer like an expired link.")
