"""A translation is reviewed content of its own: signed off by a reviewer who reads
its language, held to its language's reading level, and never silently behind the
page it translates."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from editorial.models import Revision, Step, WorkflowError
from treatments.models import Page, ReviewerProfile, Treatment

from .kit import (
    approve,
    decide,
    edit,
    logged_in,
    make_reviewer_profile,
    make_user,
    open_change_form,
    save_change_form,
    submit,
)

pytestmark = pytest.mark.django_db

HARD_SPANISH = (
    "Los medicamentos antineoplásicos se administran intravenosamente según la "
    "dosificación que determina su oncólogo, considerando la farmacocinética "
    "individualizada y las comorbilidades concomitantes."
)
NOTICE = "La versión en inglés de esta página se actualizó después de esta traducción."


def english(slug):
    return Treatment.objects.in_language("en").get(slug=slug)


def spanish(slug):
    return Treatment.objects.in_language("es").get(slug=slug)


@pytest.fixture
def english_only_reviewer(django_user_model):
    user = make_user("english-reader", "Medical reviewers")
    make_reviewer_profile(
        user, display_name="English Reader", credentials="MD", languages=["en"]
    )
    return user


# Who signs off a translation -------------------------------------------------------


def test_only_a_reviewer_who_reads_spanish_signs_off_a_spanish_page(
    published_site, editor, reviewer, english_only_reviewer
):
    cirugia, surgery = spanish("cirugia"), english("surgery")
    edit(cirugia, editor, summary="Una operación para sacar un tumor.")
    submit(cirugia, editor)
    edit(surgery, editor, summary="An operation to take out a tumor.")
    submit(surgery, editor)

    assert Step.APPROVE in surgery.available_steps(english_only_reviewer)
    steps = cirugia.available_steps(english_only_reviewer)
    assert Step.APPROVE not in steps and Step.REQUEST_CHANGES not in steps
    with pytest.raises(PermissionDenied, match="does not list the language"):
        approve(cirugia, english_only_reviewer)

    # The admin offers no "Review" button and refuses the decision, saying why.
    client = logged_in(english_only_reviewer)
    review_url = reverse("admin:treatments_treatment_review", args=[cirugia.pk])
    change_page = client.get(
        reverse("admin:treatments_treatment_change", args=[cirugia.pk])
    )
    assert review_url not in change_page.content.decode()
    refused = decide(client, cirugia, cirugia.latest_revision.content_hash)
    screen = refused.content.decode()
    assert "does not list the language this page is written in" in screen
    assert 'value="approve"' not in screen
    cirugia.refresh_from_db()
    assert (
        cirugia.live_revision.snapshot["summary"]
        != "Una operación para sacar un tumor."
    )

    # A reviewer who reads Spanish signs it off; the byline says who.
    approve(cirugia, reviewer)
    cirugia.refresh_from_db()
    assert (
        cirugia.live_revision.snapshot["summary"]
        == "Una operación para sacar un tumor."
    )
    page = Client().get("/es/tratamientos/cirugia/").content.decode()
    assert "Revisión médica a cargo de Test Reviewer, MD" in page


def test_nobody_signs_off_a_translation_they_wrote(
    published_site, django_user_model, editor, reviewer
):
    translator = make_user("translator", "Medical reviewers")
    make_reviewer_profile(translator, display_name="Translator", credentials="MD")
    translator.groups.add(*reviewer.groups.all())
    cirugia = spanish("cirugia")
    edit(cirugia, translator, summary="Una operación para sacar un tumor.")
    cirugia.submit(editor, "Resumen más claro.")
    assert Step.APPROVE not in cirugia.available_steps(translator)
    with pytest.raises(PermissionDenied, match="wrote or edited"):
        approve(cirugia, translator)


# Reading level in Spanish ---------------------------------------------------------


def test_a_spanish_page_is_held_to_fernandez_huerta(published_site, editor, reviewer):
    privacidad = Page.objects.in_language("es").get(slug="privacidad")
    edit(privacidad, editor, summary=HARD_SPANISH, body=HARD_SPANISH)
    level = privacidad.latest_revision.reading_level()
    assert level.measure == "fernandez_huerta" and level.score < 70
    with pytest.raises(WorkflowError, match="Fernández Huerta score is .*below our "):
        submit(privacidad, editor)
    privacidad.submit(editor, "Texto técnico.", reading_level_reason="Hace falta.")

    # Plain Spanish goes through without a reason; the reviewer sees the score.
    quimio = spanish("quimioterapia")
    edit(quimio, editor, summary="Medicamentos que atacan las células de cáncer.")
    submit(quimio, editor)
    screen = logged_in(reviewer).get(
        reverse("admin:treatments_treatment_review", args=[quimio.pk])
    )
    assert "Reading level: Fernández Huerta score" in screen.content.decode()
    assert "(target 70 or higher)" in screen.content.decode()


# Never silently behind -----------------------------------------------------------


def status_report():
    out = StringIO()
    call_command("review_status", stdout=out)
    return out.getvalue()


def source_changes_url(record):
    return reverse("admin:treatments_treatment_source_changes", args=[record.pk])


def test_an_english_update_flags_the_spanish_page_until_its_translation_is_approved(
    published_site, editor, reviewer
):
    surgery, cirugia = english("surgery"), spanish("cirugia")
    editor_client, reviewer_client, patient = (
        logged_in(editor),
        logged_in(reviewer),
        Client(),
    )
    dashboard_url = reverse("admin:review-dashboard")
    assert NOTICE not in patient.get("/es/tratamientos/cirugia/").content.decode()
    assert "Translations behind their source (0)" in (
        reviewer_client.get(dashboard_url).content.decode()
    )

    # An editor updates the English page through the admin; a reviewer approves it.
    data = open_change_form(editor_client, surgery)
    new_summary = "An operation to take out all or part of a NET, often the first step."
    save_change_form(editor_client, surgery, data, summary=new_summary)
    editor_client.post(
        reverse("admin:treatments_treatment_submit", args=[surgery.pk]),
        {"change_summary": "A shorter summary."},
    )
    surgery.refresh_from_db()
    decide(reviewer_client, surgery, surgery.latest_revision.content_hash)
    surgery.refresh_from_db()
    assert surgery.live_revision.snapshot["summary"] == new_summary

    # Editors see the Spanish page flagged: dashboard, change form, review_status.
    dashboard = reviewer_client.get(dashboard_url).content.decode()
    assert "Translations behind their source (1)" in dashboard
    assert "Cirugía</a> (treatment, Español)" in dashboard
    change_form = editor_client.get(
        reverse("admin:treatments_treatment_change", args=[cirugia.pk])
    ).content.decode()
    assert "This translation is out of date" in change_form
    assert "TRANSLATION OUT OF DATE" in change_form  # the status line too
    assert source_changes_url(cirugia) in change_form
    report = status_report()
    assert "TRANSLATION OUT OF DATE: Cirugía (Español)" in report
    assert "1 translation(s) are behind their source." in report

    # Patients reading Spanish are told, with a link to the English page.
    page = patient.get("/es/tratamientos/cirugia/").content.decode()
    assert NOTICE in page
    assert (
        '<a href="/treatments/surgery/" hreflang="en">Leer la versión en inglés</a>'
        in (page)
    )
    assert (
        "translation-notice" not in patient.get("/treatments/surgery/").content.decode()
    )

    # The translator sees exactly what changed in English since the translation.
    changes = editor_client.get(source_changes_url(cirugia)).content.decode()
    assert '<h3 id="diff-summary">Summary <span class="diff-badge">changed' in changes
    summary = changes.split('<h3 id="diff-summary">Summary', 1)[1].split("</section>")[
        0
    ]
    assert '<ins><span class="visually-hidden">added: </span>' in summary
    assert '<del><span class="visually-hidden">removed: </span>' in summary
    # Nothing else changed: the body the editor did not touch is not marked.
    assert changes.count('class="diff-badge">changed') == 1

    # The translation is brought up to date and approved: the flag is gone.
    data = open_change_form(editor_client, cirugia)
    assert data["source_revision"] != str(surgery.live_revision_id)  # still the old one
    save_change_form(
        editor_client,
        cirugia,
        data,
        summary="Una operación para sacar todo o parte de un TNE. Suele ser el primer paso.",
        source_revision=surgery.live_revision_id,
    )
    editor_client.post(
        reverse("admin:treatments_treatment_submit", args=[cirugia.pk]),
        {"change_summary": "Resumen más corto, como en inglés."},
    )
    cirugia.refresh_from_db()
    screen = reviewer_client.get(
        reverse("admin:treatments_treatment_review", args=[cirugia.pk])
    ).content.decode()
    assert "This is the Español translation of “Surgery”, and it is behind it" in screen
    assert source_changes_url(cirugia) in screen
    decide(reviewer_client, cirugia, cirugia.latest_revision.content_hash)
    cirugia.refresh_from_db()
    assert cirugia.live_revision.snapshot["source_revision"] == surgery.live_revision_id
    assert not cirugia.is_out_of_date

    assert NOTICE not in patient.get("/es/tratamientos/cirugia/").content.decode()
    assert "Translations behind their source (0)" in (
        reviewer_client.get(dashboard_url).content.decode()
    )
    assert "TRANSLATION OUT OF DATE" not in status_report()
    assert (
        "This translation is out of date"
        not in editor_client.get(
            reverse("admin:treatments_treatment_change", args=[cirugia.pk])
        ).content.decode()
    )


def test_a_translation_names_a_revision_of_its_own_source(published_site, editor):
    cirugia, chemo = spanish("cirugia"), english("chemotherapy")
    client = logged_in(editor)
    data = open_change_form(client, cirugia)
    response = save_change_form(
        client, cirugia, data, source_revision=chemo.live_revision_id
    )
    assert "Select a valid choice" in response.content.decode()
    cirugia.refresh_from_db()
    source = Revision.objects.get(pk=cirugia.source_revision_id)
    assert source.object_id == english("surgery").pk


def test_an_english_hash_does_not_change_with_translations(published_site):
    """Only translations carry their language and source in their snapshot."""
    surgery, cirugia = english("surgery"), spanish("cirugia")
    assert "language" not in surgery.live_revision.snapshot
    assert "source_revision" not in surgery.live_revision.snapshot
    assert cirugia.live_revision.snapshot["language"] == "es"
    assert cirugia.live_revision.snapshot["source_revision"] == surgery.live_revision_id


# How Spanish pages name the reviewer ----------------------------------------------


def test_spanish_pages_name_the_reviewer_as_their_approved_spanish_profile_says(
    published_site, client
):
    editor, reviewer = published_site
    policy = "/es/politica-medica-y-editorial/"
    source = reviewer.reviewer_profile
    source.conflict_of_interest = "Speaks at conferences."
    source.save()
    source.save_revision(editor)
    submit(source, editor, "Interests updated.")
    approve(source, make_user_who_reviews(), "Checked.")
    # No Spanish profile yet: the English one stands in.
    assert "Speaks at conferences." in client.get(policy).content.decode()

    translation = ReviewerProfile(
        translation_of=source,
        language="es",
        display_name="Test Reviewer",
        credentials="MD",
        title="Revisora médica",
        conflict_of_interest="Da charlas en congresos.",
        languages=[],
        source_revision=source.live_revision,
    )
    translation.full_clean()
    translation.save()
    translation.save_revision(editor)
    submit(translation, editor, "Perfil en español.")
    approve(translation, reviewer, "Revisado.")

    page = client.get(policy).content.decode()
    assert "Da charlas en congresos." in page
    assert "Speaks at conferences." not in page
    # A sign-off made from now on names the reviewer in Spanish; the English pages
    # keep the English profile.
    cirugia = spanish("cirugia")
    cirugia.confirm_still_accurate(reviewer)
    assert (
        "Test Reviewer, MD, Revisora médica"
        in client.get("/es/tratamientos/cirugia/").content.decode()
    )
    english("surgery").confirm_still_accurate(reviewer)
    assert (
        "Test Reviewer, MD, Medical reviewer"
        in client.get("/treatments/surgery/").content.decode()
    )


def make_user_who_reviews():
    user = make_user("second-reviewer", "Medical reviewers")
    make_reviewer_profile(user, display_name="Second Reviewer", credentials="MD")
    return user


def test_a_translated_profile_has_no_account_of_its_own(published_site):
    _, reviewer = published_site
    source = reviewer.reviewer_profile
    translation = ReviewerProfile(
        translation_of=source,
        language="es",
        user=reviewer,
        display_name="Test Reviewer",
        credentials="MD",
    )
    with pytest.raises(ValidationError, match="Leave this empty on a translation"):
        translation.full_clean()
    with pytest.raises(ValidationError, match="Choose the reviewer's account"):
        ReviewerProfile(display_name="Nobody", credentials="MD").full_clean()
