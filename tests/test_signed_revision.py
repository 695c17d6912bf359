"""Nothing but the signed revision decides what a patient sees: a page's language,
the page it translates and its slug are part of every revision, public pages and the
reviewer's language check read them from the live revision, and restoring rebuilds
exactly a snapshot, in its own language, with its authors as contributors."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from editorial.models import Action, Step
from netguide import page_cache, static_site
from treatments.models import Page, Treatment
from treatments.models.base import PublishedState

from .kit import (
    approve,
    edit,
    make_dual_role,
    make_reviewer_profile,
    make_user,
    submit,
)

pytestmark = pytest.mark.django_db


def english_only_reviewer(username="english-reviewer"):
    reviewer = make_user(username, "Medical reviewers")
    make_reviewer_profile(
        user=reviewer,
        display_name="English Reviewer",
        credentials="MD",
        languages=["en"],
    )
    return reviewer


def status(path):
    cache.clear()
    return Client().get(path).status_code


def test_a_language_changed_in_the_working_copy_changes_no_address(site):
    editor, reviewer = site
    chemotherapy = Treatment.objects.get(language="en", slug="chemotherapy")
    before = chemotherapy.latest_revision

    edit(chemotherapy, editor, language="es")

    # The change is a revision, with an audit entry, that needs review.
    assert chemotherapy.latest_revision.number == before.number + 1
    assert chemotherapy.latest_revision.snapshot["language"] == "es"
    assert chemotherapy.audit_entries().filter(action=Action.CREATED).count() == 2
    assert status("/treatments/chemotherapy/") == 200
    assert status("/es/tratamientos/chemotherapy/") == 404
    assert "/treatments/chemotherapy/" in [
        page.url for page in static_site.site_files()
    ]
    assert "/es/tratamientos/chemotherapy/" not in [
        page.url for page in static_site.site_files()
    ]


def test_a_translation_moved_between_languages_goes_live_only_where_it_was_signed(
    site,
):
    editor, reviewer = site
    cirugia = Treatment.objects.get(language="es", slug="cirugia")
    source = cirugia.translation_of
    english_only = english_only_reviewer()

    # Said to be an English source: an English-only reviewer may sign that.
    edit(cirugia, editor, language="en", translation_of=None, source_revision=None)
    submit(cirugia, editor, "Moved.")
    assert Step.APPROVE in cirugia.available_steps(english_only)
    approve(cirugia, english_only)

    # Set back to Spanish in the working copy: a new revision in Spanish, which the
    # English-only reviewer may not sign, and nothing moves until someone does.
    edit(
        cirugia,
        editor,
        language="es",
        translation_of=source,
        source_revision=source.live_revision,
    )
    submit(cirugia, editor, "Back to Spanish.")
    assert Step.APPROVE not in cirugia.available_steps(english_only)
    with pytest.raises(PermissionDenied, match="does not list the language"):
        approve(cirugia, english_only)
    assert status("/es/tratamientos/cirugia/") == 404
    assert status("/treatments/cirugia/") == 200  # where it was signed
    assert "/es/tratamientos/cirugia/" not in [
        page.url for page in static_site.site_files()
    ]

    # A reviewer who reads Spanish signs it: then it is Spanish again.
    approve(cirugia, reviewer)
    assert status("/es/tratamientos/cirugia/") == 200
    assert status("/treatments/cirugia/") == 404


def test_a_draft_slug_moves_neither_a_page_nor_its_translation(site):
    editor, _reviewer = site
    privacy = Page.objects.get(language="en", slug="privacy")
    edit(privacy, editor, slug="privacy-notice")
    assert status("/privacy/") == 200
    assert status("/es/privacidad/") == 200
    urls = [page.url for page in static_site.site_files()]
    assert "/privacy/" in urls and "/es/privacidad/" in urls


def test_the_sign_off_language_is_the_revisions_not_the_working_copys(site):
    """Whoever may sign is decided by the revision they would sign."""
    editor, _reviewer = site
    english_only = english_only_reviewer()
    nausea = Treatment.objects.get(language="en", slug="hormone-therapy")
    edit(nausea, editor, summary="Medicines that control the substances a NET makes.")
    submit(nausea, editor, "Plainer summary.")
    assert Step.APPROVE in nausea.available_steps(english_only)
    # Flipping the working copy alone (no revision) changes nothing of the decision.
    Treatment.objects.filter(pk=nausea.pk).update(language="es")
    nausea.refresh_from_db()
    assert Step.APPROVE in nausea.available_steps(english_only)


# Restoring ---------------------------------------------------------------------------


@pytest.mark.parametrize("author_is", ["editor and reviewer", "superuser"])
def test_a_restored_revision_counts_its_authors_as_contributors(site, author_is):
    """A wrote revision A; others restored and approved an older one; a third editor
    restored A: A's author may not approve their own words, superuser or not."""
    editor, reviewer = site
    author = (
        make_dual_role("author")
        if author_is == "editor and reviewer"
        else make_user("author", is_superuser=True)
    )
    third = make_user("third", "Editors")
    record = Treatment.objects.get(language="en", slug="active-surveillance")
    first = record.live_revision

    words_of_a = edit(record, author, summary="Author A's own summary of the plan.")
    record.restore(first, editor)
    submit(record, editor, "Back to the first version.")
    approve(record, reviewer)

    record.restore(words_of_a, third)
    submit(record, third, "A's summary again.")
    assert author.pk in record.latest_revision.contributor_ids
    assert Step.APPROVE not in record.available_steps(author)
    with pytest.raises(PermissionDenied, match="cannot review it"):
        approve(record, author)


def test_restoring_a_treatment_brings_back_its_own_languages_parts(site, superuser):
    editor, _reviewer = site
    hormone = Treatment.objects.get(language="en", slug="hormone-therapy")
    first = hormone.revisions().last()
    drugs, effects = len(first.snapshot["drugs"]), len(first.snapshot["side_effects"])
    edit(hormone, editor, summary="Changed after the first version.")

    hormone.restore(first, superuser)

    assert hormone.drugs.count() == drugs == 2
    assert hormone.side_effects.count() == effects == 4
    assert set(hormone.drugs.values_list("language", flat=True)) == {"en"}
    assert hormone.latest_revision.content_hash == first.content_hash


def test_a_translations_revision_restores_in_its_own_language(site, superuser):
    editor, _reviewer = site
    client = Client()
    client.force_login(superuser)
    for model, slug in ((Treatment, "cirugia"), (Page, "privacidad")):
        record = model.objects.get(language="es", slug=slug)
        first = record.latest_revision
        edit(record, editor, summary="Un resumen distinto, escrito después.")
        opts = model._meta
        response = client.post(
            f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/revisions/"
            f"{first.number}/restore/"
        )
        assert response.status_code == 302, response.content[:500]
        record.refresh_from_db()
        assert record.language == "es" and record.translation_of is not None
        assert record.latest_revision.content_hash == first.content_hash


# Publishing reads no cache -----------------------------------------------------------


def poison(path, body):
    """A page-cache entry for `path` that says `body`, valid for today's content."""
    request = RequestFactory().get(path)
    view = page_cache.PageCacheMiddleware.public_view(request)
    address = page_cache.page_address(request, "")
    key = page_cache.page_key(address)
    versions, _ = page_cache.lookup(key, view.page_cache_kinds())
    cache.set(
        key,
        {
            "address": address,
            "versions": versions,
            "content": body,
            "status": 200,
            "headers": {"Content-Type": "text/html; charset=utf-8"},
        },
        3600,
    )


def test_the_published_files_are_rendered_from_the_approved_revisions_only(
    site, settings, tmp_path
):
    settings.PUBLISH_DIR = str(tmp_path / "publish")
    cache.clear()
    poison("/privacy/", b"<p>Altered in the cache.</p>")
    assert b"Altered in the cache" in Client().get("/privacy/").content  # it is there
    # What a process kept of the published treatments, out of date: nothing.
    PublishedState.latest["treatments.treatment"] = ((), {}, {})

    static_site.publish()

    built = tmp_path / "publish" / "current" / "site"
    assert "Altered in the cache" not in (built / "privacy/index.html").read_text()
    assert "Surgery" in (built / "index.html").read_text()
    assert static_site.check() == []
