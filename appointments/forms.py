import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from treatments.validators import without_hidden_characters

from .models import (
    AppointmentRequest,
    BestTime,
    Language,
    Requester,
    team_zone_name,
)

PHONE_CHARACTERS = re.compile(r"[0-9 ().+\-]*")
PHONE_MESSAGES = {
    "required": _("Enter your phone number, so we can call you back."),
    "characters": _("Enter your phone number using only digits, like (555) 123-4567."),
    "too_short": _(
        "Your phone number is too short. Enter all 10 digits with the area code, "
        "like (555) 123-4567."
    ),
    "too_long": _(
        "Your phone number is too long. Enter 10 digits with the area code, "
        "like (555) 123-4567."
    ),
    "area_code": _(
        "The area code of your phone number cannot start with 0 or 1. "
        "Check the number, like (555) 123-4567."
    ),
}


def normalise_phone(value):
    """US and Canadian numbers: 10 digits, or 11 starting with 1. Returns +1XXXXXXXXXX."""
    # ASCII digits only: a number staff and tel: links can dial.
    if not PHONE_CHARACTERS.fullmatch(value or ""):
        raise forms.ValidationError(PHONE_MESSAGES["characters"], code="characters")
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) < 10:
        raise forms.ValidationError(PHONE_MESSAGES["too_short"], code="too_short")
    if len(digits) > 10:
        raise forms.ValidationError(PHONE_MESSAGES["too_long"], code="too_long")
    if digits[0] in "01":
        raise forms.ValidationError(PHONE_MESSAGES["area_code"], code="area_code")
    return "+1" + digits


class PlainTextMixin:
    """Characters nobody sees (bidirectional overrides, zero-width spaces, controls:
    what the site settings refuse) are dropped before anything else: a patient cannot
    see them to take them out, and they would change how the team sees the text and
    hide it from their search."""

    multiline = False

    def to_python(self, value):
        if isinstance(value, str):
            value = without_hidden_characters(value, self.multiline)
        return super().to_python(value)


class PlainCharField(PlainTextMixin, forms.CharField):
    pass


class PlainEmailField(PlainTextMixin, forms.EmailField):
    pass


class MessageField(PlainTextMixin, forms.CharField):
    """Browsers count a line break as one character and send it as two (CR LF)."""

    multiline = True

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class AppointmentRequestForm(forms.ModelForm):
    phone = PlainCharField(
        label=_("Phone number"),
        max_length=25,
        help_text=_("We will call you on this number. For example (555) 123-4567."),
        widget=forms.TelInput(attrs={"autocomplete": "tel"}),
        error_messages={
            "required": PHONE_MESSAGES["required"],
            "max_length": PHONE_MESSAGES["too_long"],
        },
    )
    consent = forms.BooleanField(
        label=_("I agree that the appointment team may contact me about this request."),
        error_messages={
            "required": _(
                "Tick the box to agree that our appointment team may contact you."
            )
        },
    )
    # A field people never see (hidden with CSS and from screen readers); bots fill it in.
    website = forms.CharField(
        required=False, label=_("Leave this empty"), max_length=200
    )
    submission_token = forms.RegexField(
        regex=r"\A[0-9a-f]{32}\Z",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form has expired. Please check it and send it again."),
            "invalid": _("This form has expired. Please check it and send it again."),
        },
    )

    # From the patient's summary page, when they came from it: the address part its
    # link carried, and one opt-in for each part (both off unless ticked).
    summary = forms.CharField(required=False, widget=forms.HiddenInput)
    add_summary_list = forms.BooleanField(
        required=False, label=_("Add my list of options and questions to this request")
    )
    add_summary_told = forms.BooleanField(
        required=False, label=_("Add what I told the guide about my tumor")
    )

    class Meta:
        model = AppointmentRequest
        # The order of the page, so the error summary reads in the same order.
        fields = [
            "name",
            "phone",
            "email",
            "requester",
            "best_time",
            "language",
            "interpreter",
            "treatment",
            "message",
            "consent",
        ]
        field_classes = {
            "name": PlainCharField,
            "email": PlainEmailField,
            "message": MessageField,
        }
        labels = {
            "name": _("Your name"),
            "email": _("Email (optional)"),
            "requester": _("Who is asking"),
            "language": _("Which language should we speak?"),
            "interpreter": _("I would like a medical interpreter on the call."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "best_time": forms.RadioSelect,
            "requester": forms.RadioSelect,
            "language": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
        }
        help_texts = {"interpreter": ""}
        # Every message names its question: a screen reader reads it out of place.
        error_messages = {
            "name": {
                "required": _("Please tell us your name."),
                "max_length": _("Your name must be 100 characters or fewer."),
            },
            "email": {
                "invalid": _(
                    "Enter your email address like name@example.com, or leave it empty."
                ),
                "max_length": _("Your email address must be 254 characters or fewer."),
            },
            "requester": {
                "required": _("Please tell us who is asking."),
                "invalid_choice": _("Choose who is asking from the list."),
            },
            "best_time": {
                "required": _("Choose the best time to call."),
                "invalid_choice": _("Choose the best time to call from the list."),
            },
            "language": {
                "invalid_choice": _("Choose a language for the call from the list."),
            },
            "message": {
                "max_length": _("Please keep your message to 500 characters or fewer.")
            },
        }

    def __init__(self, *args, treatments=(), read_summary=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The summary that came along (SummaryForAppointment), or why it could not.
        self.attached = None
        self.summary_error = ""
        query = (
            self.data.get("summary", "")
            if self.is_bound
            else self.initial.get("summary", "")
        )
        if query and read_summary:
            try:
                self.attached = read_summary(query) or None
            except ValueError as error:
                self.summary_error = str(error)
        self.fields["treatment"] = forms.ChoiceField(
            label=_("Which treatment page were you reading? (optional)"),
            choices=[("", _("None or not sure")), *treatments],
            required=False,
            error_messages={
                "invalid_choice": _(
                    "Choose a treatment page from the list, or None or not sure."
                )
            },
        )
        self.fields["best_time"].label = format_lazy(
            _("Best time to call ({zone})"), zone=team_zone_name()
        )
        self.fields["best_time"].help_text = format_lazy(
            _("Times are {zone}, where our appointment team works."),
            zone=team_zone_name(),
        )
        self.fields["requester"].choices = Requester.choices
        self.fields["best_time"].choices = BestTime.choices
        self.fields["language"].choices = Language.choices
        # A form opened before this question existed still goes through.
        self.fields["language"].required = False
        self.fields["message"].label = _("Anything you want us to know (optional)")
        self.fields["message"].help_text = _(
            "Please do not include medical details. At most 500 characters."
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_language(self):
        return self.cleaned_data["language"] or Language.ENGLISH

    def clean_message(self):
        return self.cleaned_data["message"].strip()

    def clean_summary(self):
        if self.summary_error:
            raise forms.ValidationError(self.summary_error, code="summary")
        return self.cleaned_data["summary"] if self.attached else ""

    def save(self, commit=True):
        """Only the parts of the summary the patient ticked are kept."""
        appointment_request = super().save(commit=False)
        ticked = self.cleaned_data
        if self.attached and ticked.get("add_summary_list"):
            appointment_request.summary_list = self.attached.list_text()
        if self.attached and ticked.get("add_summary_told"):
            appointment_request.summary_told = self.attached.told_text()
        if commit:
            appointment_request.save()
        return appointment_request

    def is_bot(self):
        return bool(self.data.get("website"))

    def earlier_copy(self):
        """The request this one repeats (sent again after Back), if any. Valid forms only."""
        return self.save(commit=False).earlier_copy()
