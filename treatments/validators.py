"""What editors may type: no hidden characters, and phone numbers that dial what they show."""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

from editorial.evidence import known_passages, marks_in, unknown_citations

# Reorder or hide text: what a reader sees is not what is stored.
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | set(
    "\u2066\u2067\u2068\u2069"
)
LINE_BREAKS = set("\n\r\t")


def is_hidden(char, multiline=False):
    """A control, format or bidirectional character (line breaks and tabs are text
    in a multiline field)."""
    if char in BIDI_CONTROLS:
        return True
    if multiline and char in LINE_BREAKS:
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def hidden_character(value, multiline=False):
    """The first control, format or bidirectional character in value, or None."""
    return next((char for char in value if is_hidden(char, multiline)), None)


def without_hidden_characters(value, multiline=False):
    """`value` with every character hidden_character() refuses taken out: for text
    from people who cannot see them to remove them (patients)."""
    return "".join(char for char in value if not is_hidden(char, multiline))


class PlainTextMixin:
    """Refuses hidden characters in every text field editors write (model validation).

    Short fields allow none at all; long texts allow line breaks and tabs but no
    bidirectional controls (which make text display differently from what it says).
    """

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            if not isinstance(value, str):
                continue
            char = hidden_character(
                value, multiline=isinstance(field, models.TextField)
            )
            if char is not None:
                errors.setdefault(field.name, []).append(
                    ValidationError(
                        f"Remove the hidden character U+{ord(char):04X} "
                        f"({unicodedata.name(char, 'control character').lower()}): "
                        "it can make text show differently from what it says.",
                        code="hidden_character",
                    )
                )
        self.check_citations(errors, exclude)
        if errors:
            raise ValidationError(errors)

    def check_citations(self, errors, exclude):
        """Every evidence mark cites a passage of a source we hold."""
        known = None
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField) and not (
                isinstance(field, models.JSONField)
            ):
                continue
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            if not marks_in(value):
                continue
            if known is None:
                known = known_passages()
            for problem in unknown_citations(value, known):
                errors.setdefault(field.name, []).append(
                    ValidationError(problem, code="unknown_citation")
                )


PHONE_CHARACTERS = set("0123456789 ()-.+")


def normalize_phone_number(value):
    """One canonical spelling: "(888) 552-6760" for US numbers, "+4420..." otherwise."""
    value = value.strip()
    if hidden_character(value) or not set(value) <= PHONE_CHARACTERS:
        raise ValidationError(
            "Use only digits, spaces, brackets, dashes, dots and a leading +.",
            code="phone_characters",
        )
    if "+" in value[1:]:
        raise ValidationError("A + may only come first.", code="phone_plus")
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    elif value.startswith("+"):
        if 8 <= len(digits) <= 15:
            return "+" + digits
        raise ValidationError(
            "An international number has 8 to 15 digits after the +.",
            code="phone_length",
        )
    if len(digits) != 10:
        raise ValidationError(
            "A US phone number has 10 digits, e.g. (888) 552-6760; start an "
            "international one with +.",
            code="phone_length",
        )
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def phone_href(number):
    """The tel: link for a normalized number: it dials exactly the digits shown."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"tel:+{digits}" if number.startswith("+") else f"tel:+1{digits}"
