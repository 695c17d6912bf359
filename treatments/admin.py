"""The guide's content in the admin, on the editorial engine's ReviewableAdmin."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import ProtectedError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from editorial.admin import ReviewableAdmin
from editorial.diffing import compare_snapshots
from editorial.forms import ReviewableForm
from editorial.models import Revision

from .explore import fit_rules_as_text, fit_rules_from_text
from .models import (
    Drug,
    GlossaryTerm,
    Page,
    Procedure,
    Question,
    ReviewerProfile,
    SideEffect,
    SiteSettings,
    SituationQuestions,
    Source,
    Specialty,
    Synonym,
    Treatment,
)


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


class ContentForm(ReviewableForm):
    """A content record's form: a translation names its source and the source's
    revision it says the same as."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
        return cleaned


TRANSLATION_FIELDS = ("language", "translation_of", "source_revision")


class ContentAdmin(ReviewableAdmin):
    """Every content type's admin: the engine's desk, plus each record's language
    and, for a translation, its source."""

    form = ContentForm
    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

    def placed_fieldsets(self, request, obj=None):
        # The language before the engine's "Medical review" fieldset, which ends it.
        return [
            ("Language", {"fields": list(TRANSLATION_FIELDS)}),
            *super().placed_fieldsets(request, obj),
        ]

    def get_list_display(self, request):
        name, state, live, due, *details = super().get_list_display(request)
        return (name, state, live, due, "language", "up_to_date", *details)

    def get_list_filter(self, request):
        *own, state = super().get_list_filter(request)
        return (*own, "language", state)

    @admin.display(boolean=True, description="up to date")
    def up_to_date(self, obj):
        return None if not obj.is_translation else not obj.is_out_of_date

    def status_notes(self, obj):
        return ["TRANSLATION OUT OF DATE"] if obj.is_out_of_date else []

    def change_form_warnings(self, record):
        return [out_of_date_message(record, self)] if record.is_out_of_date else []

    def review_notice(self, record):
        if not record.is_translation:
            return ""
        behind = (
            ", and it is behind it: the source had a newer revision approved since "
            "the one the published translation was made from"
            if record.is_out_of_date
            else ""
        )
        return format_html(
            'This is the {} translation of “{}”{}. <a href="{}">What changed in the '
            "source since the translation</a>.",
            record.get_language_display(),
            record.translation_of,
            behind,
            self.url("source_changes", record),
        )

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:pk>/source-changes/",
                self.admin_site.admin_view(self.source_changes_view),
                name=f"{opts.app_label}_{opts.model_name}_source_changes",
            ),
            *super().get_urls(),
        ]

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
            "treatments/admin/source_changes.html",
            {
                "title": f"What changed in “{source}” since this translation",
                "source": source,
                "made_from": made_from,
                "source_live": live,
                "diff": compare_snapshots(
                    made_from.snapshot if made_from else None,
                    live.snapshot if live else None,
                    type(source),
                ),
            },
        )


class LinesField(forms.CharField):
    """A list of short texts in the database, one per line in the admin."""

    def __init__(self, rows=3, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

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
            "the colon for answers that speak against it. The answers are those of "
            "the explorer questions (listed below the box).",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return fit_rules_as_text(value) if isinstance(value, list) else value

    def to_python(self, value):
        try:
            return fit_rules_from_text(value, SituationQuestions.draft_in() or None)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


def list_answers(form):
    """The answers a fit rule may name, from the explorer questions as written now."""
    references = SituationQuestions.draft_in().answer_references()
    if references:
        form.fields["fits"].help_text += " Answers: " + ", ".join(references) + "."


class ProcedureForm(forms.ModelForm):
    fits = FitRulesField(label="When it may be used")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_answers(self)

    class Meta:
        model = Procedure
        fields = ("name", "description", "fits", "order")


class TreatmentForm(ContentForm):
    fits = FitRulesField(label="When it may be used")
    key_points = LinesField(
        rows=4,
        help_text="2 to 4 short points the page opens with, one per line, from our sources only.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_answers(self)

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
            *Treatment.compare_texts,
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


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ("text", "order")


@admin.register(Treatment)
class TreatmentAdmin(ContentAdmin):
    form = TreatmentForm
    list_display = ("title", "order", "specialty")
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
        (
            "Compared side by side",
            {"fields": Treatment.compare_texts},
        ),
        ("Structured parts", {"fields": ("drugs", "side_effects")}),
    )

    def change_form_warnings(self, record):
        return [*super().change_form_warnings(record), *record.balance_warnings()]

    def review_notice(self, record):
        notices = [super().review_notice(record), *record.balance_warnings()]
        return format_html_join(" ", "{}", ((notice,) for notice in notices if notice))

    @admin.display(description="specialty", ordering="review_specialty")
    def specialty(self, obj):
        """The reviewer's specialty, under a header short enough for the list to
        fit a 1280 px screen."""
        return obj.get_review_specialty_display()


@admin.register(SideEffect)
class SideEffectAdmin(ContentAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "review_specialty")}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        redraft_pages_showing(request, form.instance)


@admin.register(Page)
class PageAdmin(ContentAdmin):
    list_display = ("title", "slug")
    search_fields = ("title", "body")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body", "review_specialty")}),
    )


@admin.register(Source)
class SourceAdmin(ContentAdmin):
    """A source our statements cite: reviewed like a page; an approved change to a
    passage sends the pages citing it back to review."""

    list_display = ("title", "slug", "publisher", "published")
    search_fields = ("title", "publisher", "body")
    fieldsets = (
        (None, {"fields": ("title", "slug", "publisher", "published", "url", "body")}),
    )


class GlossaryTermForm(ContentForm):
    also_matches = LinesField(
        help_text="Other forms of the word that should link here, one per line.",
    )

    class Meta:
        model = GlossaryTerm
        fields = ("term", "slug", "also_matches", "definition")


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(ContentAdmin):
    form = GlossaryTermForm
    list_display = ("term", "slug")
    search_fields = ("term", "definition")
    prepopulated_fields = {"slug": ("term",)}


class SynonymForm(ContentForm):
    words = LinesField(
        label="Words patients use",
        help_text="Words or phrases patients type for it, one per line. Search "
        "reads them as the guide's words once this is approved.",
    )

    class Meta:
        model = Synonym
        fields = ("means", "slug", "words", "reason")


@admin.register(Synonym)
class SynonymAdmin(ContentAdmin):
    form = SynonymForm
    list_display = ("means", "slug")
    search_fields = ("means", "words", "reason")
    prepopulated_fields = {"slug": ("means",)}


@admin.register(SituationQuestions)
class SituationQuestionsAdmin(ContentAdmin):
    """The explorer's questions: edited as their data (content/questions.toml is the
    easier place); the review screen shows them in plain words."""

    fieldsets = ((None, {"fields": ("questions", "contradictions", "matters")}),)

    def has_add_permission(self, request):
        # One row per language: content import makes them.
        return (
            super().has_add_permission(request)
            and not SituationQuestions.objects.exists()
        )


@admin.register(SiteSettings)
class SiteSettingsAdmin(ContentAdmin):
    list_display = ("site_name", "phone_number")
    fieldsets = (
        (None, {"fields": ("site_name", "phone_number", "cta_heading", "cta_text")}),
        ("Review schedule", {"fields": ("review_interval_months", "early_review")}),
        (
            "About this guide",
            {
                "fields": (
                    "made_by",
                    "funded_by",
                    "conflicts_of_interest",
                    "sources",
                    "no_numbers",
                )
            },
        ),
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


def redraft_pages_showing(request, record):
    """The pages that show an edited drug or side effect get a new draft, in the
    editor's name: the change reaches patients only through their review."""
    pages = record.redraft_pages_showing(request.user)
    if pages:
        messages.info(
            request,
            f"{len(pages)} treatment page(s) show this and now have a new draft to "
            "review.",
        )


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
        redraft_pages_showing(request, form.instance)


@admin.register(Drug)
class DrugAdmin(SharedRecordAdmin):
    list_display = ("brand_name", "generic_name", "how_given", "language")
    list_filter = ("language",)
    search_fields = ("brand_name", "generic_name")
    prepopulated_fields = {"slug": ("generic_name",)}


# Reviewers and history --------------------------------------------------------------


class ReviewerProfileForm(ContentForm):
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
class ReviewerProfileAdmin(ContentAdmin):
    """What patients read about a reviewer goes through medical review like a page."""

    form = ReviewerProfileForm
    list_display = ("display_name", "credentials", "title", "user")
    search_fields = ("display_name", "user__username")
