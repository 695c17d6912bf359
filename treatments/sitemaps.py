from functools import cached_property, partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.urls import reverse
from django.utils.translation import override

from .models import GlossaryTerm, content_types


class Sitemap(DjangoSitemap):
    """Addresses on the configured site URL, never on the host a request named.

    Every language's pages are listed, each with its alternates in the other
    languages (`xhtml:link rel="alternate" hreflang`), as search engines ask."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def paths_in_languages(self, item):
        """{language code: path} of this item's page in every language it has."""
        raise NotImplementedError

    def get_urls(self, page=1, site=None, protocol=None):
        base = settings.SITE_URL.rstrip("/")
        urls = super().get_urls(page, site, protocol)
        for url in urls:
            paths = self.paths_in_languages(url["item"])
            if len(paths) > 1:
                url["alternates"] = [
                    {"lang_code": code, "location": base + path}
                    for code, path in paths.items()
                ]
                if settings.LANGUAGE_CODE in paths:
                    url["alternates"].append(
                        {
                            "lang_code": "x-default",
                            "location": base + paths[settings.LANGUAGE_CODE],
                        }
                    )
        return urls


class ReviewedSitemap(Sitemap):
    """One content type's published records in every language, with the date of
    their last medical review. The type says whether it is listed (`in_sitemap`),
    its priority and its order."""

    def __init__(self, model):
        self.model = model
        self.priority = model.sitemap_priority

    def items(self):
        return self.published

    @cached_property
    def published(self):
        return list(
            self.model.objects.published()
            .select_related("translation_of__live_revision")
            .order_by("language", *self.model.sitemap_order)
        )

    def lastmod(self, record):
        return record.last_reviewed_at

    @cached_property
    def paths_by_source(self):
        """{source record id: {language code: path}} of every published record."""
        found = {}
        for record in self.items():
            source = record.public_source_id or record.pk
            found.setdefault(source, {})[record.public_language] = (
                record.get_absolute_url()
            )
        return found

    def paths_in_languages(self, record):
        return self.paths_by_source[record.public_source_id or record.pk]


class StaticPagesSitemap(Sitemap):
    NAMES = (
        "treatments:explore",
        "treatments:glossary",
        "treatments:side-effects",
        "treatments:my-questions",
    )

    def items(self):
        return [
            (name, code) for code, _name in settings.LANGUAGES for name in self.NAMES
        ]

    def location(self, item):
        name, code = item
        with override(code):
            return reverse(name)

    def lastmod(self, item):
        name, code = item
        if name == "treatments:glossary":
            latest = (
                GlossaryTerm.objects.published_in(code)
                .order_by("-last_reviewed_at")
                .first()
            )
            return latest.last_reviewed_at if latest else None
        return None

    def paths_in_languages(self, item):
        name, _code = item
        return {code: self.location((name, code)) for code, _name in settings.LANGUAGES}


def sitemaps():
    """What Django's sitemap view reads, {section: sitemap class}: a section for each
    content type the sitemap lists (highest priority first), then the tools."""
    listed = [model for model in content_types() if model.in_sitemap]
    listed.sort(key=lambda model: -(model.sitemap_priority or 0.5))
    # A class for each request: its items are read once per request.
    sections = {model.cache_kind: partial(ReviewedSitemap, model) for model in listed}
    return {**sections, "tools": StaticPagesSitemap}
