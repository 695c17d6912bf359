"""Requests sent before the form dropped characters nobody sees (bidirectional
overrides, zero-width spaces, controls) lose them now: shown to the team as they
read, and found by their search. The same rule as treatments.validators, written out
here so that this migration keeps its meaning when that module changes."""

import unicodedata

from django.db import migrations

BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | set(
    "\u2066\u2067\u2068\u2069"
)


def without_hidden_characters(value, multiline=False):
    return "".join(
        char
        for char in value
        if char not in BIDI_CONTROLS
        and (
            (multiline and char in "\n\r\t")
            or unicodedata.category(char) not in ("Cc", "Cf")
        )
    )


# (model, {field: multiline}) of the text people type.
FIELDS = (
    ("AppointmentRequest", {"name": False, "email": False, "message": True}),
    ("CallAttempt", {"note": False}),
)


def drop_hidden_characters(apps, schema_editor):
    for model_name, fields in FIELDS:
        model = apps.get_model("appointments", model_name)
        for row in model.objects.only("pk", *fields).iterator():
            cleaned = {
                name: without_hidden_characters(getattr(row, name), multiline)
                for name, multiline in fields.items()
            }
            if "name" in cleaned:  # as the form keeps names: single spaces
                cleaned["name"] = " ".join(cleaned["name"].split())
            changed = {
                name: value
                for name, value in cleaned.items()
                if value != getattr(row, name)
            }
            if changed:
                model.objects.filter(pk=row.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0005_site_language"),
    ]

    operations = [
        migrations.RunPython(drop_hidden_characters, migrations.RunPython.noop),
    ]
