"""The interface's Spanish catalogue: every message translated, and the compiled
catalogue that Django reads says what the .po file says."""

import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_interface_message_has_a_spanish_translation():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.split("\n\n")[1:]  # the first is the header
    assert len(entries) > 250
    untranslated = [
        # An empty msgstr: "" with no continuation line after it.
        entry
        for entry in entries
        if re.search(r'^msgstr(\[\d\])? ""(?!\n")', entry, re.M)
    ]
    assert untranslated == []


def test_the_spanish_addresses_are_spanish():
    catalogue = gettext.GNUTranslations(MO.open("rb"))
    assert catalogue.gettext("treatments/<slug:slug>/") == "tratamientos/<slug:slug>/"
    assert catalogue.gettext("appointments/") == "citas/"
    assert catalogue.gettext("search/") == "buscar/"


def test_the_compiled_catalogue_matches_its_source(tmp_path):
    if shutil.which("msgfmt") is None:
        message = "msgfmt is missing: install Debian's gettext package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)
    committed = gettext.GNUTranslations(MO.open("rb"))._catalog
    assert committed == gettext.GNUTranslations(fresh.open("rb"))._catalog, (
        "locale/es/LC_MESSAGES/django.mo is older than django.po: run "
        "python manage.py compilemessages"
    )


@pytest.mark.parametrize(
    "phrase",
    [
        "estoy seguro",  # a man's words: every patient says "No lo sé"
        "está seguro",
        "soy el paciente",
        "ir bien",  # a calque of "fit"
    ],
)
def test_the_interface_speaks_to_every_patient_in_plain_spanish(phrase):
    assert phrase not in PO.read_text(encoding="utf-8")
