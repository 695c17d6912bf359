"""Site settings: a phone number that dials what it shows, no hidden characters in
what editors type, and previews and the outage page that show the right settings."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from treatments.models import Drug, SiteSettings, Treatment

from .kit import form_values
from .servers import free_port

pytestmark = pytest.mark.django_db


def change_url():
    """The English settings' change form (one row per language)."""
    english = SiteSettings.objects.get(language="en")
    return reverse("admin:treatments_sitesettings_change", args=[english.pk])


def save_settings(client, **changes):
    url = change_url()
    data = form_values(client.get(url).content.decode(), "sitesettings_form")
    return client.post(url, {**data, **changes, "_save": "Save"})


@pytest.mark.parametrize(
    "typed, stored, href",
    [
        ("888.552.6760", "(888) 552-6760", "tel:+18885526760"),
        ("1 (888) 552 6760", "(888) 552-6760", "tel:+18885526760"),
        ("+1-888-552-6760", "(888) 552-6760", "tel:+18885526760"),
        ("+44 20 7946 0958", "+442079460958", "tel:+442079460958"),
    ],
)
def test_a_phone_number_is_stored_in_one_spelling_that_the_link_dials(
    client, site, editor, typed, stored, href
):
    client.force_login(editor)
    assert save_settings(client, phone_number=typed).status_code == 302
    settings = SiteSettings.objects.get(language="en")
    assert settings.phone_number == stored
    assert settings.latest_revision.snapshot["phone_href"] == href
    assert "".join(ch for ch in stored if ch.isdigit()) in href


@pytest.mark.parametrize(
    "typed, message",
    [
        ("\u202e0676-255 (888)", "Use only digits"),
        ("(888) 552-6760\u200b", "Use only digits"),
        ("call 888 552 6760", "Use only digits"),
        ("555-0100", "A US phone number has 10 digits"),
        ("88+8 552 6760", "A + may only come first"),
        ("+1234", "8 to 15 digits"),
    ],
)
def test_a_phone_number_that_could_show_one_number_and_dial_another_is_refused(
    client, site, editor, typed, message
):
    client.force_login(editor)
    before = SiteSettings.objects.get(language="en").latest_revision_id
    response = save_settings(client, phone_number=typed)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SiteSettings.objects.get(language="en").latest_revision_id == before


def test_hidden_characters_are_refused_in_every_text_editors_write(
    client, site, editor, superuser
):
    client.force_login(editor)
    response = save_settings(client, cta_heading="Call \u202eus today")
    assert "Remove the hidden character U+202E (right-to-left override)" in (
        response.content.decode()
    )
    surgery = Treatment.objects.get(slug="surgery")
    url = reverse("admin:treatments_treatment_change", args=[surgery.pk])
    data = form_values(client.get(url).content.decode(), "treatment_form")
    response = client.post(url, {**data, "title": "Surgery\u2066", "_save": "Save"})
    assert "U+2066" in response.content.decode()
    response = client.post(
        url, {**data, "body": data["body"] + "\n\nSee \u202edoctor", "_save": "Save"}
    )
    assert "U+202E" in response.content.decode()
    assert Treatment.objects.get(pk=surgery.pk).title == "Surgery"
    client.force_login(superuser)
    drug = Drug.objects.first()
    url = reverse("admin:treatments_drug_change", args=[drug.pk])
    data = form_values(client.get(url).content.decode(), "drug_form")
    response = client.post(url, {**data, "brand_name": "Su\u0007tent", "_save": "Save"})
    assert response.status_code == 200 and "U+0007" in response.content.decode()
    # Line breaks in long texts are fine.
    response = client.post(
        url, {**data, "description": "One.\r\nTwo.", "_save": "Save"}
    )
    assert response.status_code == 302


def test_the_site_settings_preview_shows_the_draft_settings(client, site, editor):
    client.force_login(editor)
    save_settings(client, cta_heading="A draft heading", phone_number="(877) 555-0199")
    preview = client.get(
        reverse(
            "editorial:draft-preview",
            args=["site", SiteSettings.objects.get(language="en").pk],
        )
    )
    text = preview.content.decode()
    assert "A draft heading" in text and "(877) 555-0199" in text
    assert 'href="tel:+18775550199"' in text
    public = Client().get("/").content.decode()
    assert "A draft heading" not in public and "(877) 555-0199" not in public


def test_the_outage_pages_copy_of_the_settings_is_written_again_after_a_failed_write(
    site, settings
):
    """The outage page reads the approved settings from the cache. A write that the
    cache refused (away for a moment) is made again on the next page's read, not
    taken as done because this process already holds the same copy."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}",  # nothing listens
        }
    }
    assert SiteSettings.public("en")["phone_number"] == "(888) 552-6760"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert cache.get(SiteSettings.offline_key("en")) is None
    SiteSettings.public("en")
    assert cache.get(SiteSettings.offline_key("en"))["phone_number"] == "(888) 552-6760"
    assert SiteSettings.offline("en")["phone_number"] == "(888) 552-6760"
