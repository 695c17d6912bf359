from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from netguide import static_site
from netguide.admin_site import ReadOnlyAdmin

from .admin_desk import EditorialDeskMixin
from .diffing import compare_snapshots
from .explore import answer_references, fit_rules_as_text, fit_rules_from_text
from .models import (
    AuditEntry,
    Drug,
    GlossaryTerm,
    Page,
    Procedure,
    Question,
    ReviewerProfile,
    Revision,
    ShareLink,
    SideEffect,
    SiteSettings,
    Specialty,
    Treatment,
)
from .notifications import notify_decision, notify_submitted, notify_withdrawn
from .publishing import PublishedContent
from .review import (
    DECISIONS,
    Action,
    ReviewState,
    Step,
    WorkflowError,
    revision_permission,
)
from .scheduling import cancel_schedule, schedule_approval


def out_of_date_message(record, model_admin):
    """The change form's banner for a translation whose source was updated since."""
    source = record.translation_of
    made_from = Revision.objects.filter(pk=record.published_source_revision_id).first()
    live = source.live_revision
    return format_html(
        "This translation is out of date: “{}” had revision {} approved{}, after the "
        "revision {} this translation was made from. Patients reading it are told so "
        'and pointed to the newer page. <a href="{}">See what changed</a>; when the '
        "translation says the same again, set “Translated from revision” to revision "
        "{} and submit it for review.",
        source,
        live.number,
        f" on {timezone.localtime(source.content_updated_at):%B %d, %Y}"
        if source.content_updated_at
        else "",
        made_from.number if made_from else "(none)",
        model_admin.url("source_changes", record),
        live.number,
    )


# Optimistic locking --------------------------------------------------------------


class ReviewableForm(forms.ModelForm):
    """Refuses a save based on an older revision than the latest one."""

    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["base_revision"] = self.instance.latest_revision_id or ""
        if "source_revision" in self.fields:
            self.fields["source_revision"] = SourceRevisionField(self.instance)
            if not self.is_bound and self.instance.source_revision_id is None:
                source = self.instance.translation_of
                self.initial["source_revision"] = source and source.live_revision_id

    def clean_source_revision(self):
        """A translation says which revision of its source it says the same as."""
        revision = self.cleaned_data.get("source_revision")
        source = self.cleaned_data.get("translation_of")
        if source is None:
            return None
        if revision is None:
            return source.live_revision
        if revision.content_type_id != source.content_type.pk or (
            revision.object_id != source.pk
        ):
            raise forms.ValidationError(
                f"Choose one of the revisions of “{source}”, the page this translates."
            )
        return revision

    def clean(self):
        cleaned = super().clean()
        source, language = cleaned.get("translation_of"), cleaned.get("language")
        if source is not None and (
            source.language != settings.LANGUAGE_CODE or language == source.language
        ):
            raise forms.ValidationError(
                "A translation translates a page in the source language "
                f"({settings.LANGUAGE_CODE}) into another language."
            )
        if self.instance.pk:
            current = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("latest_revision_id", flat=True)
                .first()
            )
            if current and cleaned.get("base_revision") != current:
                newer = Revision.objects.select_related("author").get(pk=current)
                who = (
                    newer.author.get_username() if newer.author else "a content import"
                )
                raise forms.ValidationError(
                    f"Not saved: this page changed after you opened it. {newer.label} was saved by "
                    f"{who} at {timezone.localtime(newer.created_at):%H:%M on %B %d, %Y}. "
                    "Copy your changes, reload the page, and apply them to the newer version."
                )
        return cleaned


class SourceRevisionField(forms.ModelChoiceField):
    """The source page's revisions, newest first, for a translation to name the one
    it was translated from."""

    def __init__(self, record):
        source = record.translation_of if record.pk else None
        super().__init__(
            queryset=source.revisions() if source else Revision.objects.none(),
            required=False,
            label="Translated from revision",
            help_text="The revision of the source page this translation says the same "
            "as. When you bring the translation up to date, choose the source's "
            "published revision. Left empty: the source's published revision.",
        )
        self.live_revision_id = source.live_revision_id if source else None

    def label_from_instance(self, revision):
        when = timezone.localtime(revision.created_at)
        live = " (published)" if revision.pk == self.live_revision_id else ""
        return f"Revision {revision.number}, {when:%B %d, %Y}{live}"


# Workflow forms ------------------------------------------------------------------


class SubmitForm(forms.Form):
    change_summary = forms.CharField(
        max_length=200,
        label="What changed, in one line for patients",
        help_text="Shown on the public page under “Changes to this page”.",
    )
    reading_level_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the reading level is above grade 8 (if it is)",
    )


class DecisionForm(forms.Form):
    content_hash = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note or requested changes",
        help_text="Optional when approving; required when asking for changes.",
    )
    go_live_at = forms.DateTimeField(
        required=False,
        label="Go live at",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="Only for “Approve to go live later”: the public page keeps the "
        "current version until then.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.data.get("decision") == Step.SCHEDULE and not cleaned.get("go_live_at"):
            self.add_error("go_live_at", "Choose when it should go live.")
        return cleaned


# The shared admin for every reviewable model ----------------------------------------


TRANSLATION_FIELDS = ("language", "translation_of", "source_revision")


class ReviewableAdmin(EditorialDeskMixin, admin.ModelAdmin):
    form = ReviewableForm
    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}
    review_fields = ("review_status", "review_actions")

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + self.review_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        fieldsets = [
            (
                name,
                {
                    **opts,
                    "fields": [
                        f for f in opts["fields"] if f not in self.review_fields
                    ],
                },
            )
            for name, opts in fieldsets
        ]
        if getattr(self.model, "translatable", False):
            fieldsets.append(("Language", {"fields": list(TRANSLATION_FIELDS)}))
        fieldsets.append(
            ("Medical review", {"fields": ["base_revision", *self.review_fields]})
        )
        return fieldsets

    def get_list_display(self, request):
        languages = ("language", "up_to_date") if self.model.translatable else ()
        return (
            *super().get_list_display(request),
            *languages,
            "review_state",
            "is_live",
            "next_review_due",
        )

    def get_list_filter(self, request):
        languages = ("language",) if self.model.translatable else ()
        return (*super().get_list_filter(request), *languages, "review_state")

    @admin.display(boolean=True, description="up to date with its source")
    def up_to_date(self, obj):
        return None if not obj.is_translation else not obj.is_out_of_date

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
        if obj.review_state == ReviewState.SCHEDULED and obj.go_live_at:
            parts.append(
                f"revision {obj.scheduled_revision.number} goes live on "
                f"{timezone.localtime(obj.go_live_at):%B %d, %Y at %H:%M}"
            )
        if obj.is_overdue:
            parts.append("REVIEW OVERDUE")
        if getattr(obj, "is_out_of_date", False):
            parts.append("TRANSLATION OUT OF DATE")
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
        steps = obj.available_steps(self.current_user)
        links = [
            (
                "Preview draft",
                reverse("treatments:draft-preview", args=[obj.preview_kind, obj.pk]),
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        # review_actions (a read-only field) shows only the steps this user may take.
        self.current_user = request.user
        return super().get_form(request, obj, change, **kwargs)

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
        for item in message:
            fields = item.get("changed", {}).get("fields")
            if fields and "base_revision" in fields:
                fields.remove("base_revision")
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
        if request.method == "GET" and getattr(record, "is_out_of_date", False):
            messages.warning(request, out_of_date_message(record, self))
        if request.method == "GET" and (problem := static_site.failure()):
            # Shown until a build succeeds: patients reading the files see old content.
            messages.error(
                request,
                "The published files could not be rebuilt, so they still show the "
                f"previous version: {problem} Nothing was half-written. Please tell "
                "the site's maintainer (manage.py publish_site).",
            )
        if record is not None:
            extra_context = {
                **(extra_context or {}),
                **self.desk_context(request, record),
            }
        return super().change_view(request, object_id, form_url, extra_context)

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
            transaction.on_commit(
                lambda: notify_withdrawn(record, request.user), robust=True
            )
        messages.info(
            request,
            f"Saved as {revision.label}. It is a draft: patients see it only after a medical "
            "reviewer approves it. Use “Submit for review” when it is ready.",
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
            path(
                "<int:pk>/source-changes/",
                wrap(self.source_changes_view),
                name=f"{name}_source_changes",
            ),
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
            f"admin/treatments/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": record,
                "title": context.pop("title"),
                "change_url": self.url("change", record),
                "source_changes_url": self.url("source_changes", record)
                if getattr(record, "is_translation", False)
                else None,
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
                transaction.on_commit(
                    lambda: notify_submitted(record, request.user), robust=True
                )
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
                    decided = schedule_approval(
                        record, request.user, expected, go_live_at, note
                    )
                    label = (
                        "approved to go live on "
                        f"{timezone.localtime(go_live_at):%B %d, %Y at %H:%M}"
                    )
                elif decision == Step.CANCEL_SCHEDULE:
                    decided = cancel_schedule(record, request.user, note)
                    label = "scheduled publishing cancelled; waiting for review again"
                else:
                    raise WorkflowError("Choose approve, request changes or confirm.")
            except (WorkflowError, PermissionDenied) as error:
                # Show the record as it is now: a fresh hash, an empty note, and
                # only the steps that apply to it (never the refused screen again).
                messages.error(request, str(error) or "You are not allowed to do that.")
                return HttpResponseRedirect(self.url("review", record))
            if decision != Step.CANCEL_SCHEDULE:
                transaction.on_commit(
                    lambda: notify_decision(record, decided, label), robust=True
                )
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
                "preview": PublishedContent(record, revision, is_draft=pending),
                "preview_template": record.preview_template,
                "diff": compare_snapshots(
                    record.live_revision.snapshot if record.live_revision_id else None,
                    revision.snapshot,
                    record.field_labels,
                ),
                "live_revision": record.live_revision,
                "full_preview_url": reverse(
                    "treatments:draft-preview", args=[record.preview_kind, record.pk]
                ),
            },
        )

    def source_changes_view(self, request, pk):
        """For a translator: what changed in the source page between the revision
        the translation was made from and the source's published revision."""
        record = self.get_record(request, pk, f"view_{self.opts.model_name}")
        source = record.translation_of
        if source is None:
            raise Http404("This page is not a translation.")
        made_from = Revision.objects.filter(
            pk=record.published_source_revision_id or record.source_revision_id
        ).first()
        live = source.live_revision
        return self.render_step(
            request,
            record,
            "source_changes.html",
            {
                "title": f"What changed in “{source}” since this translation",
                "source": source,
                "made_from": made_from,
                "source_live": live,
                "diff": compare_snapshots(
                    made_from.snapshot if made_from else None,
                    live.snapshot if live else None,
                    source.field_labels,
                ),
            },
        )


# Content admins ------------------------------------------------------------------


class LinesField(forms.CharField):
    """A list of short texts in the database, one per line in the admin."""

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class FitRulesField(forms.CharField):
    """Fit rules in the database, one readable line each in the admin."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 100})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Which answers in “Find my options” make this fit, one rule a line: the "
            "answers, a colon, then the reason the patient reads. For example: "
            "“extent=spread and hormones=yes: When a NET has spread, surgery may "
            "still help ease the symptoms it causes.” Add “unless liver=yes” before "
            "the colon for answers that speak against it. Answers: "
            + ", ".join(answer_references())
            + ".",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return fit_rules_as_text(value) if isinstance(value, list) else value

    def to_python(self, value):
        try:
            return fit_rules_from_text(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class ProcedureForm(forms.ModelForm):
    fits = FitRulesField(label="When it may be used")

    class Meta:
        model = Procedure
        fields = ("name", "description", "fits", "order")


class TreatmentForm(ReviewableForm):
    fits = FitRulesField(label="When it may be used")
    key_points = LinesField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="2 to 4 short points the page opens with, one per line, from our sources only.",
    )

    class Meta:
        model = Treatment
        fields = (
            "title",
            "slug",
            "summary",
            "order",
            "review_specialty",
            "key_points",
            "body",
            "fits",
            "also_ask",
            "aims",
            "how_given",
            "hospital_stay",
            "drugs",
            "side_effects",
        )

    def clean_key_points(self):
        points = self.cleaned_data["key_points"]
        if not 2 <= len(points) <= 4:
            raise forms.ValidationError(
                f"Write 2 to 4 key points, one per line (there are {len(points)})."
            )
        return points


class ProcedureInline(admin.StackedInline):
    model = Procedure
    form = ProcedureForm
    extra = 0
    fields = ("name", "description", "fits", "order")


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ("text", "order")


@admin.register(Treatment)
class TreatmentAdmin(ReviewableAdmin):
    form = TreatmentForm
    list_display = ("title", "slug", "order", "review_specialty")
    list_filter = ("review_specialty",)
    search_fields = (
        "title",
        "summary",
        "body",
        "drugs__brand_name",
        "drugs__generic_name",
    )
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("drugs", "side_effects")
    inlines = (ProcedureInline, QuestionInline)
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "order", "review_specialty")}),
        ("Key points and page text", {"fields": ("key_points", "body")}),
        ("When it may be used", {"fields": ("fits", "also_ask")}),
        ("Compared side by side", {"fields": ("aims", "how_given", "hospital_stay")}),
        ("Structured parts", {"fields": ("drugs", "side_effects")}),
    )


@admin.register(SideEffect)
class SideEffectAdmin(ReviewableAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "review_specialty")}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Treatment pages show the side effect's name: they get a new draft too.
        for treatment in form.instance.treatments.all():
            treatment.save_revision(request.user)


@admin.register(Page)
class PageAdmin(ReviewableAdmin):
    list_display = ("title", "slug")
    search_fields = ("title", "body")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body", "review_specialty")}),
    )


class GlossaryTermForm(ReviewableForm):
    also_matches = LinesField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Other forms of the word that should link here, one per line.",
    )

    class Meta:
        model = GlossaryTerm
        fields = ("term", "slug", "also_matches", "definition")


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(ReviewableAdmin):
    form = GlossaryTermForm
    list_display = ("term", "slug")
    search_fields = ("term", "definition")
    prepopulated_fields = {"slug": ("term",)}
    fieldsets = ((None, {"fields": ("term", "slug", "also_matches", "definition")}),)


@admin.register(SiteSettings)
class SiteSettingsAdmin(ReviewableAdmin):
    list_display = ("site_name", "phone_number")
    fieldsets = (
        (None, {"fields": ("site_name", "phone_number", "cta_heading", "cta_text")}),
        ("Review schedule", {"fields": ("review_interval_months",)}),
    )

    def has_add_permission(self, request):
        # One row per language: content import makes them.
        return super().has_add_permission(request) and not SiteSettings.objects.exists()

    def get_readonly_fields(self, request, obj=None):
        # Patients see the source language's name, phone number and review schedule
        # on every language's pages: a translation edits its own words only.
        shared = ("site_name", "phone_number", "review_interval_months")
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, *shared) if obj and obj.is_translation else readonly


class SharedRecordAdmin(admin.ModelAdmin):
    """Drugs appear inside treatment pages: editing one re-drafts them (in the
    editor's name), and one a page shows is not deleted."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        for record in objs:
            try:
                record.check_deletable()
            except ProtectedError as error:
                protected.append(error.args[0])
        return deleted, counts, perms_needed, protected

    def delete_queryset(self, request, queryset):
        for record in queryset:
            record.delete()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        affected = Treatment.objects.filter(
            pk__in=self.affected_treatments(form.instance)
        )
        for treatment in affected:
            treatment.save_revision(request.user)
        if affected:
            messages.info(
                request,
                f"{len(affected)} treatment page(s) show this and now have a new draft to review.",
            )


@admin.register(Drug)
class DrugAdmin(SharedRecordAdmin):
    list_display = ("brand_name", "generic_name", "how_given", "language")
    list_filter = ("language",)
    search_fields = ("brand_name", "generic_name")
    prepopulated_fields = {"slug": ("generic_name",)}

    def affected_treatments(self, drug):
        return drug.treatments.values("pk")


# Reviewers and history --------------------------------------------------------------


class ReviewerProfileForm(ReviewableForm):
    specialties = forms.MultipleChoiceField(
        choices=Specialty.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        label="Languages they review in",
        help_text="Only a reviewer who reads a page's language may sign it off.",
    )

    class Meta:
        model = ReviewerProfile
        fields = (
            "user",
            "display_name",
            "credentials",
            "title",
            "specialties",
            "languages",
            "conflict_of_interest",
        )


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ReviewableAdmin):
    """What patients read about a reviewer goes through medical review like a page."""

    form = ReviewerProfileForm
    list_display = ("display_name", "credentials", "title", "user")
    search_fields = ("display_name", "user__username")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "display_name",
                    "credentials",
                    "title",
                    "specialties",
                    "languages",
                    "conflict_of_interest",
                )
            },
        ),
    )


class ReviewableContentTypeFilter(admin.SimpleListFilter):
    """Only the kinds of content that go through review, by their plain names."""

    title = "kind of content"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        from django.contrib.contenttypes.models import ContentType

        from .review import reviewable_models

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
        from django.contrib.auth import get_user_model

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
