"""The page cache: hits cost no query, approvals invalidate exactly what they change,
HTTP caching headers and conditional requests, and nothing private is ever cached.

Runs in-process with the test client and the suite's cache (local memory unless
REDIS_URL is set); the database is the suite's (SQLite or PostgreSQL).
"""

import gzip
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from editorial.models.sharing import preview_url
from treatments.models import (
    Drug,
    GlossaryTerm,
    Procedure,
    Question,
    SiteSettings,
    Treatment,
)

from .kit import REASON, public_urls, publish

pytestmark = pytest.mark.django_db

# Queries to render each public page with an empty page cache (measured, then fixed:
# a change that adds a query per request shows up here). A page reads each content
# type it shows once (one small query for its published state: PublishedState), the
# record it shows its byline and changes along with that state.
QUERY_BUDGET = {
    # The home page also reads the approved sources (then cached with them).
    "/": 6,
    "/treatments/surgery/": 3,
    "/es/tratamientos/cirugia/": 3,
    "/side-effects/": 2,
    "/side-effects/nausea/": 3,
    "/medical-and-editorial-policy/": 4,
    # One more for the approved explorer questions (then kept in the cache).
    "/explore/": 3,
    "/explore/?origin=gi&grade=low&hormones=yes&symptoms=yes&extent=spread&liver=yes&removal=no": 3,
    "/glossary/": 2,
    # One more while the cache does not yet know the published treatment slugs.
    "/my-questions/": 3,
    "/my-questions/?t=surgery&t=prrt": 3,
    # One more for the approved synonyms (cached until one is published).
    "/search/?q=surgery": 3,
    "/search/?q=": 1,
    "/sitemap.xml": 7,
    "/robots.txt": 1,
}


def page_state(client, url, **headers):
    response = client.get(url, headers=headers)
    return response.status_code, response.get("X-Page-Cache")


def html(response):
    return response.content.decode()


def treatment_with_a_side_effect():
    """A published treatment and one side effect its page lists."""
    for treatment in Treatment.objects.published():
        effect = treatment.side_effects.first()
        if effect is not None:
            return treatment, effect
    raise AssertionError("no published treatment lists a side effect")


# Hits and misses -----------------------------------------------------------------------


def test_every_public_page_is_a_miss_then_a_hit_and_a_hit_makes_no_query(
    client, site, django_assert_num_queries
):
    urls = public_urls()
    assert len(urls) > 25
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["X-Page-Cache"] == "miss", url
        with django_assert_num_queries(0, info=url):
            second = client.get(url)
        assert second.status_code == 200, url
        assert second["X-Page-Cache"] == "hit", url
        assert second.content == first.content, url
        assert second["Content-Type"] == first["Content-Type"], url


def test_a_hit_carries_every_header_the_miss_was_sent_with(client, site):
    """The cache answers before any other middleware: what the security and CSP
    middlewares added at the miss is stored with the page."""
    for url in ["/", "/es/", "/treatments/surgery/", "/explore/", "/search/?q=surgery"]:
        miss = client.get(url, headers={"Accept-Encoding": "gzip"})
        hit = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit"), url
        sent = {name: value for name, value in miss.items() if name != "X-Page-Cache"}
        again = {name: value for name, value in hit.items() if name != "X-Page-Cache"}
        assert again == sent, url
        assert hit["Content-Security-Policy"].startswith("default-src 'self'"), url
        assert hit["X-Content-Type-Options"] == "nosniff", url
        assert hit["Referrer-Policy"] == "same-origin", url


def test_a_request_for_another_host_gets_the_stacks_400_not_a_stored_page(client, site):
    assert client.get("/treatments/surgery/")["X-Page-Cache"] == "miss"
    refused = client.get("/treatments/surgery/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert not refused.has_header("X-Page-Cache")
    assert refused["X-Content-Type-Options"] == "nosniff"


def test_a_hit_sends_the_bytes_compressed_at_the_miss_and_plain_clients_get_plain(
    client, site
):
    """GZipMiddleware pads each body it compresses by a random length, so a body
    compressed again on each hit would differ from the last."""
    for url in [
        "/treatments/surgery/",
        "/es/tratamientos/cirugia/",
        "/search/?q=surgery",
    ]:
        miss = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert (miss["X-Page-Cache"], miss["Content-Encoding"]) == ("miss", "gzip"), url
        hits = [client.get(url, headers={"Accept-Encoding": "gzip"}) for _ in range(3)]
        assert [hit["X-Page-Cache"] for hit in hits] == ["hit"] * 3, url
        assert {hit.content for hit in hits} == {miss.content}, url
        assert all(hit["Vary"] == miss["Vary"] for hit in hits), url
        assert "Accept-Encoding" in miss["Vary"], url

        plain = client.get(url)
        assert plain["X-Page-Cache"] == "miss", f"{url}: a plain client's own entry"
        assert not plain.has_header("Content-Encoding"), url
        assert gzip.decompress(miss.content) == plain.content, url
        again = client.get(url, headers={"Accept-Encoding": "identity"})
        assert again["X-Page-Cache"] == "hit", url
        assert again.content == plain.content, url


def test_uncached_pages_make_a_small_fixed_number_of_queries(
    client, site, editor, reviewer, django_assert_max_num_queries
):
    def measure():
        counts = {}
        for url, budget in QUERY_BUDGET.items():
            # The published state this process keeps (PublishedState) is loaded once
            # after each approval; the page cache is empty for every measured render.
            client.get(url)
            cache.clear()
            with django_assert_max_num_queries(budget, info=url) as captured:
                response = client.get(url)
            assert response.status_code == 200, url
            assert response["X-Page-Cache"] == "miss", url
            counts[url] = len(captured)
        return counts

    before = measure()
    # Five more published treatments, each with every kind of part.
    surgery = Treatment.objects.get(slug="surgery")
    for number in range(5):
        extra = Treatment.objects.create(
            slug=f"extra-treatment-{number}",
            title=f"Extra treatment {number}",
            summary="One more way to treat a tumor.",
            body="Your care team talks with you about it.",
            order=100 + number,
        )
        extra.side_effects.set(surgery.side_effects.all())
        extra.fits = surgery.fits
        extra.save()
        extra.drugs.set(Drug.objects.all()[:2])
        Question.objects.create(treatment=extra, text="How long does it take?")
        Procedure.objects.create(
            treatment=extra,
            name="A step",
            description="What happens.",
            fits=surgery.fits[:1],
        )
        publish(extra, editor, reviewer)
    assert client.get("/").content.decode().count("Extra treatment") == 5
    after = measure()
    for url in (
        "/",
        "/treatments/surgery/",
        "/side-effects/nausea/",
        "/explore/",
        "/my-questions/",
    ):
        assert after[url] == before[url], (
            f"{url}: {before[url]} queries, {after[url]} with 5 more treatments"
        )


def test_what_each_process_keeps_of_the_published_content_follows_the_database(
    client, site, editor, reviewer, settings, monkeypatch
):
    """The published state a process keeps (PublishedState) is checked against the
    database on every render: an approval shows at once, even where the page cache
    was never told of it (another process's cache, a lost invalidation)."""
    settings.PAGE_CACHE_SECONDS = 0
    monkeypatch.setattr("treatments.models.base.content_changed", lambda kind: None)
    treatment = Treatment.objects.get(slug="surgery")
    glossary_term = GlossaryTerm.objects.published_in("en").first()
    for url in ("/treatments/surgery/", "/", "/compare/?t=surgery&t=prrt"):
        assert "Newly approved title" not in html(client.get(url)), url

    publish(treatment, editor, reviewer, title="Newly approved title")
    for url in ("/treatments/surgery/", "/", "/compare/?t=surgery&t=prrt"):
        assert "Newly approved title" in html(client.get(url)), url
    # A glossary change reaches the body whose terms were linked before it.
    publish(
        glossary_term, editor, reviewer, definition="A newly approved plain meaning."
    )
    assert "A newly approved plain meaning." in html(client.get("/glossary/"))


def test_approving_a_treatment_rebuilds_exactly_the_pages_that_show_it(
    client, site, editor, reviewer
):
    treatment, effect = treatment_with_a_side_effect()
    page = f"/treatments/{treatment.public_slug}/"
    shows_it = [page, "/", f"/side-effects/{effect.public_slug}/"]
    does_not = ["/glossary/", "/side-effects/"]
    for url in shows_it + does_not:
        client.get(url)
        assert page_state(client, url) == (200, "hit"), url

    publish(
        treatment,
        editor,
        reviewer,
        title="Newly approved title",
        summary="What this treatment does, in newly approved words.",
    )

    for url in shows_it:
        response = client.get(url)
        assert (response.status_code, response["X-Page-Cache"]) == (200, "miss"), url
        assert "Newly approved title" in html(response), url
    for url in (page, "/"):
        assert "newly approved words" in html(client.get(url)), url
    for url in does_not:
        assert page_state(client, url) == (200, "hit"), (
            f"{url} was rebuilt, but it does not show treatments"
        )


def test_a_site_settings_approval_rebuilds_every_page(client, site, editor, reviewer):
    urls = public_urls()
    for url in urls:
        client.get(url)
        assert page_state(client, url) == (200, "hit"), url

    settings_record = SiteSettings.objects.get(language="en")
    old_phone = settings_record.phone_number
    publish(settings_record, editor, reviewer, phone_number="(555) 010-0199")

    for url in urls:
        response = client.get(url)
        assert (response.status_code, response["X-Page-Cache"]) == (200, "miss"), url
        if response["Content-Type"].startswith("text/html"):
            header = re.search(
                r'<a class="header-call" href="([^"]+)">(.*?)</a>', html(response)
            )
            assert header, url
            assert header.group(1) == "tel:+15550100199", url
            shown = re.sub(r"<[^>]+>", "", header.group(2))
            assert "(555) 010-0199" in shown and old_phone not in shown, url


def test_confirm_still_accurate_moves_last_reviewed_on_the_next_request(
    client, site, reviewer
):
    surgery = Treatment.objects.get(slug="surgery")
    long_ago = timezone.now() - timedelta(days=400)
    Treatment.objects.filter(pk=surgery.pk).update(last_reviewed_at=long_ago)

    def last_reviewed():
        response = client.get("/treatments/surgery/")
        found = re.search(
            r'Last reviewed: <time datetime="(\d{4}-\d\d-\d\d)"', html(response)
        )
        assert found, "no 'Last reviewed' date on the page"
        return found.group(1), response["X-Page-Cache"]

    assert last_reviewed()[0] == timezone.localdate(long_ago).isoformat()
    assert last_reviewed()[1] == "hit"

    surgery.refresh_from_db()
    surgery.confirm_still_accurate(reviewer, "Checked against the latest guidelines.")

    assert last_reviewed() == (timezone.localdate().isoformat(), "miss")


# HTTP caching ------------------------------------------------------------------------------


def test_public_pages_allow_shared_caches_briefly(client, site):
    for url in public_urls():
        response = client.get(url)
        directives = [d.strip() for d in response.get("Cache-Control", "").split(",")]
        assert "public" in directives, url
        assert any(re.fullmatch(r"max-age=\d+", d) for d in directives), url
        assert any(
            re.fullmatch(r"stale-while-revalidate=\d+", d) for d in directives
        ), url
        assert not {"private", "no-store", "no-cache"} & set(directives), url


def test_if_none_match_gets_304_on_the_miss_and_the_hit_path(client, site):
    for url in [
        "/",
        "/treatments/surgery/",
        "/side-effects/",
        "/glossary/",
        "/search/?q=surgery",
    ]:
        first = client.get(url)
        etag = first["ETag"]
        assert etag, url
        hit = client.get(url, headers={"If-None-Match": etag})
        assert hit.status_code == 304, f"{url}: hit path"
        assert hit.content == b""
        assert (
            client.get(url, headers={"If-None-Match": '"another"'}).status_code == 200
        ), url

        cache.clear()
        miss = client.get(url, headers={"If-None-Match": etag})
        assert miss.status_code == 304, f"{url}: miss path"
        assert miss["ETag"] == etag, url


def test_if_modified_since_gets_304_on_detail_pages(client, site):
    treatment, effect = treatment_with_a_side_effect()
    for url in [
        f"/treatments/{treatment.public_slug}/",
        f"/side-effects/{effect.public_slug}/",
        reverse("treatments:policy"),
    ]:
        first = client.get(url)
        last_modified = first["Last-Modified"]
        assert last_modified, url
        assert (
            client.get(url, headers={"If-Modified-Since": last_modified}).status_code
            == 304
        ), url
        earlier = http_date(timezone.now().timestamp() - 10 * 365 * 24 * 3600)
        assert (
            client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
        ), url
        cache.clear()
        miss = client.get(url, headers={"If-Modified-Since": last_modified})
        assert miss.status_code == 304, f"{url}: miss path"


# Nothing private is cached -----------------------------------------------------------------


def assert_never_cached(client, url, expected_status=200):
    """Fetched twice: never a page-cache response, never public."""
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == expected_status, url
        assert "X-Page-Cache" not in response, f"{url} went through the page cache"
        assert "public" not in response.get("Cache-Control", ""), (
            f"{url}: {response.get('Cache-Control')}"
        )


def test_admin_pages_and_previews_are_never_cached(client, site, editor, superuser):
    surgery = Treatment.objects.get(slug="surgery")
    assert_never_cached(client, reverse("admin:login"))
    shared = preview_url(surgery.latest_revision)
    assert_never_cached(client, shared)

    client.force_login(editor)
    surgery.summary = "A draft the editor is still writing."
    surgery.save()
    surgery.save_revision(editor)
    for url in [
        reverse("admin:index"),
        reverse("admin:treatments_treatment_changelist"),
        reverse("admin:treatments_treatment_change", args=[surgery.pk]),
        reverse("editorial:draft-preview", args=["treatment", surgery.pk]),
    ]:
        assert_never_cached(client, url)
    assert "A draft the editor is still writing." in html(
        client.get(reverse("editorial:draft-preview", args=["treatment", surgery.pk]))
    )
    client.logout()
    assert_never_cached(client, preview_url(surgery.latest_revision))
    client.force_login(superuser)
    assert_never_cached(client, reverse("admin:editorial_revision_changelist"))


def test_a_public_page_that_sets_a_cookie_is_neither_stored_nor_public(
    client, site, editor
):
    # A signed-in editor browsing the public site: the session middleware re-sends the
    # session cookie on every request (SESSION_SAVE_EVERY_REQUEST).
    client.force_login(editor)
    response = client.get("/treatments/surgery/")
    assert response.status_code == 200
    assert response.cookies, "expected the session cookie to be re-sent"
    assert response.get("X-Page-Cache") != "hit"
    cache_control = response.get("Cache-Control", "")
    assert "public" not in cache_control, (
        f"a response that sets a cookie ({', '.join(response.cookies)}) says "
        f"Cache-Control: {cache_control}: a CDN may store the Set-Cookie and hand the "
        "editor's session to other visitors"
    )

    client.logout()
    anonymous = client.get("/treatments/surgery/")
    assert anonymous["X-Page-Cache"] == "miss", "the cookie-setting response was stored"
    assert not anonymous.cookies


# Drafts stay private ---------------------------------------------------------------------


def test_a_draft_never_shows_on_a_public_page(client, site, editor):
    marker = "Zyxwv draft words nobody approved"
    surgery = Treatment.objects.get(slug="surgery")
    urls = ["/treatments/surgery/", "/", "/search/?q=Zyxwv", "/my-questions/?t=surgery"]
    for url in urls:
        client.get(url)  # cached before the edit

    surgery.summary = marker
    surgery.body = surgery.body + "\n\n" + marker
    surgery.save()
    surgery.save_revision(editor)
    for url in urls:
        assert marker not in html(client.get(url)), f"{url} (cached)"
    cache.clear()
    for url in urls:
        assert marker not in html(client.get(url)), f"{url} (uncached)"

    surgery.submit(editor, "Waiting for review.", REASON)
    cache.clear()
    for url in urls:
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss"
        assert marker not in html(response), f"{url} (submitted, not approved)"
        assert marker not in html(client.get(url)), f"{url} (submitted, cached)"
