"""The workflow's forms: the change form's revision check, submitting and deciding."""

from django import forms
from django.utils import timezone

from .models import Revision, Step

SAVE_AND_SUBMIT = "_save_and_submit"  # the save row's button that also submits
SUMMARY_LABEL = "What changed, in one line for patients"
SUMMARY_HELP = "Shown on the public page under “Changes to this page”."
REASON_LABEL = "Why the reading level is above grade 8 (if it is)"


class ReviewableForm(forms.ModelForm):
    """Refuses a save based on an older revision than the latest one (optimistic
    locking): the editor is told who saved what, and when. The save row's "Save and
    submit for review" posts the change summary (and a reading-level reason) with it."""

    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    change_summary = forms.CharField(
        required=False, max_length=200, label=SUMMARY_LABEL, help_text=SUMMARY_HELP
    )
    reading_level_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=REASON_LABEL,
    )
    # Not the record's content: the admin's change message leaves them out.
    workflow_fields = ("base_revision", "change_summary", "reading_level_reason")

    @property
    def submits(self):
        return SAVE_AND_SUBMIT in self.data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["base_revision"] = self.instance.latest_revision_id or ""

    def clean(self):
        cleaned = super().clean()
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
                    f"Not saved: this page changed after you opened it. {newer.label} "
                    f"was saved by {who} at "
                    f"{timezone.localtime(newer.created_at):%H:%M on %B %d, %Y}. "
                    "Copy your changes, reload the page, and apply them to the newer "
                    "version."
                )
        if self.submits and not (cleaned.get("change_summary") or "").strip():
            self.add_error(
                "change_summary",
                "Say in one line what changed, for patients, to submit it for review.",
            )
        return cleaned


class SubmitForm(forms.Form):
    change_summary = forms.CharField(
        max_length=200, label=SUMMARY_LABEL, help_text=SUMMARY_HELP
    )
    reading_level_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=REASON_LABEL,
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
        # Browsers send seconds when the input has a step under a minute.
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="Only for “Approve to go live later”: the public page keeps the "
        "current version until then.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.data.get("decision") == Step.SCHEDULE and not cleaned.get("go_live_at"):
            self.add_error("go_live_at", "Choose when it should go live.")
        return cleaned
