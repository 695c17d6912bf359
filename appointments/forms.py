import re

from django import forms

from .models import AppointmentRequest, BestTime, Language, Requester

PHONE_DIGITS = re.compile(r"[0-9]")


def normalise_phone(value):
    """US and Canadian numbers: 10 digits, or 11 starting with 1. Returns +1XXXXXXXXXX."""
    # ASCII digits only: a number staff and tel: links can dial.
    if not re.fullmatch(r"[0-9 ().+\-]{7,25}", value or ""):
        raise forms.ValidationError(
            "Enter a phone number using digits, like (555) 123-4567."
        )
    digits = "".join(PHONE_DIGITS.findall(value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        raise forms.ValidationError(
            "Enter a 10-digit phone number with the area code, like (555) 123-4567."
        )
    return "+1" + digits


class MessageField(forms.CharField):
    """Browsers count a line break as one character and send it as two (CR LF)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class AppointmentRequestForm(forms.ModelForm):
    phone = forms.CharField(
        label="Phone number",
        max_length=25,
        help_text="We will call you on this number. For example (555) 123-4567.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    consent = forms.BooleanField(
        label="I agree that the appointment team may contact me about this request.",
        error_messages={"required": "Please tick the box so we may contact you."},
    )
    # A field people never see (hidden with CSS and from screen readers); bots fill it in.
    website = forms.CharField(required=False, label="Leave this empty", max_length=200)
    submission_token = forms.RegexField(
        regex=r"\A[0-9a-f]{32}\Z",
        widget=forms.HiddenInput,
        error_messages={"invalid": "This form has expired. Please send it again."},
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
        field_classes = {"message": MessageField}
        labels = {
            "name": "Your name",
            "email": "Email (optional)",
            "best_time": "Best time to call",
            "language": "Which language should we speak?",
            "interpreter": "I would like a medical interpreter on the call.",
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
        error_messages = {
            "name": {"required": "Please tell us your name."},
            "requester": {"required": "Please tell us who is asking."},
            "message": {
                "max_length": "Please keep your message to 500 characters or fewer."
            },
        }

    def __init__(self, *args, treatments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treatment"] = forms.ChoiceField(
            label="Which treatment page were you reading? (optional)",
            choices=[("", "None or not sure"), *treatments],
            required=False,
        )
        self.fields["requester"].choices = Requester.choices
        self.fields["best_time"].choices = BestTime.choices
        self.fields["language"].choices = Language.choices
        # A form opened before this question existed still goes through.
        self.fields["language"].required = False
        self.fields["message"].label = "Anything you want us to know (optional)"
        self.fields[
            "message"
        ].help_text = "Please do not include medical details. At most 500 characters."

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_language(self):
        return self.cleaned_data["language"] or Language.ENGLISH

    def clean_message(self):
        return self.cleaned_data["message"].strip()

    def is_bot(self):
        return bool(self.data.get("website"))
