"""A new content type needs its own files only: tests/support_services/ (a model, its
migration, its admin, its templates, its URL) goes through import, review, search,
the sitemap, the page cache, the published files and export, found through the
registry by every one of them."""

import filecmp
from xml.etree import ElementTree

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from editorial.models import ReviewState
from editorial.registry import reviewable_models
from netguide import static_site
from tests.support_services.models import SupportService
from treatments.models import cache_kinds, content_types
from treatments.search import search

from .kit import import_content

pytestmark = pytest.mark.django_db

SERVICES = """[[services]]
slug = "nurse-line"
name = "Nurse line"
description = "A nurse answers your questions about treatment on the phone."

[[services]]
slug = "peer-group"
name = "Peer group"
description = "People with a NET meet once a month to talk and share tips."
"""
SERVICIOS = """[[services]]
slug = "nurse-line"
name = "Línea de enfermería"
description = "Una enfermera responde sus preguntas por teléfono."
"""


@pytest.fixture
def with_services(content_copy):
    """content/ plus the new type's file, in English and Spanish."""
    (content_copy / "support-services.toml").write_text(SERVICES, encoding="utf-8")
    (content_copy / "es" / "support-services.toml").write_text(
        SERVICIOS, encoding="utf-8"
    )
    return content_copy


@pytest.fixture
def site_with_services(settings):
    settings.ROOT_URLCONF = "tests.support_services.site_urls"


def published_nurse_line(with_services, editor, reviewer):
    import_content(editor, with_services)
    line = SupportService.objects.get(language="en", slug="nurse-line")
    line.submit(editor, "First version of this page.")
    line.approve(reviewer, line.latest_revision.content_hash)
    return line


def test_the_registry_knows_the_new_type():
    assert SupportService in content_types()
    assert SupportService in reviewable_models()
    assert "support-services" in cache_kinds(searched=True)


def test_content_files_import_it_as_drafts_and_export_it_byte_for_byte(
    with_services, tmp_path, editor
):
    import_content(editor, with_services)

    lines = SupportService.objects.order_by("language", "slug")
    assert [(s.language, s.slug, s.review_state) for s in lines] == [
        ("en", "nurse-line", ReviewState.DRAFT),
        ("en", "peer-group", ReviewState.DRAFT),
        ("es", "nurse-line", ReviewState.DRAFT),
    ]
    spanish = SupportService.objects.get(language="es")
    assert spanish.translation_of == SupportService.objects.get(
        language="en", slug="nurse-line"
    )
    assert spanish.live_revision is None and spanish.latest_revision.number == 1

    call_command("export_content", str(tmp_path / "out"), verbosity=0)
    for name in ("support-services.toml", "es/support-services.toml"):
        assert filecmp.cmp(with_services / name, tmp_path / "out" / name, shallow=False)


def test_a_folder_without_the_new_types_file_imports_and_exports_as_before(
    tmp_path, editor
):
    import_content(editor)
    call_command("export_content", str(tmp_path / "out"), verbosity=0)
    assert not (tmp_path / "out" / "support-services.toml").exists()
    assert SupportService.objects.count() == 0


def test_it_is_reviewed_then_searched_listed_and_served(
    with_services, editor, reviewer, client, site_with_services
):
    line = published_nurse_line(with_services, editor, reviewer)
    peer = SupportService.objects.get(language="en", slug="peer-group")
    peer.submit(editor, "First version of this page.")
    with pytest.raises(PermissionDenied, match="Only medical reviewers"):
        peer.approve(editor, peer.latest_revision.content_hash)

    assert [r.entry.title for r in search("nurse")] == ["Nurse line"]
    assert search("monthly tips") == []  # the peer group is not published

    page = client.get("/support-services/nurse-line/")
    assert page.status_code == 200
    assert "<h1>Nurse line</h1>" in page.content.decode()
    assert client.get("/support-services/peer-group/").status_code == 404

    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in sitemap.iter() if loc.tag.endswith("loc")]
    assert "http://127.0.0.1:8000/support-services/nurse-line/" in locations
    assert not any("peer-group" in location for location in locations)

    preview = client.get(
        reverse("editorial:draft-preview", args=["support-service", line.pk])
    )
    assert preview.status_code == 302  # staff only


def test_an_approval_of_it_renews_its_cached_page(
    with_services, editor, reviewer, client, site_with_services
):
    line = published_nurse_line(with_services, editor, reviewer)
    assert client.get("/support-services/nurse-line/")["X-Page-Cache"] == "miss"
    assert client.get("/support-services/nurse-line/")["X-Page-Cache"] == "hit"

    line.description = "A nurse answers your questions on the phone, every weekday."
    line.save()
    line.save_revision(editor)
    line.submit(editor, "Says when the line is open.")
    assert client.get("/support-services/nurse-line/")["X-Page-Cache"] == "hit"
    line.approve(reviewer, line.latest_revision.content_hash)

    renewed = client.get("/support-services/nurse-line/")
    assert renewed["X-Page-Cache"] == "miss"
    assert "every weekday" in renewed.content.decode()


def test_the_published_files_hold_it_and_an_approval_renders_only_its_pages(
    with_services, editor, reviewer, settings, tmp_path, site_with_services
):
    settings.PUBLISH_DIR = str(tmp_path / "publish")
    line = published_nurse_line(with_services, editor, reviewer)
    static_site.publish()
    built = tmp_path / "publish" / "current" / "site"
    assert (
        "Nurse line" in (built / "support-services/nurse-line/index.html").read_text()
    )

    outcome = static_site.publish({line.cache_kind})

    # The Spanish line is not published, so it has no page of its own yet.
    assert outcome.rendered == ["/sitemap.xml", "/support-services/nurse-line/"]
    assert "/treatments/surgery/" not in outcome.rendered
