from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.urls import reverse

from .models import GlossaryTerm, Page, SideEffect, Treatment


class Sitemap(DjangoSitemap):
    """Addresses on the configured site URL, never on the host a request named."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ReviewedSitemap(Sitemap):
    """Published records, with the date of their last medical review."""

    model = None

    def items(self):
        return self.model.objects.published()

    def lastmod(self, record):
        return record.last_reviewed_at


class TreatmentSitemap(ReviewedSitemap):
    model = Treatment
    priority = 0.9


class SideEffectSitemap(ReviewedSitemap):
    model = SideEffect


class PageSitemap(ReviewedSitemap):
    model = Page

    def items(self):
        return super().items().order_by("slug")


class StaticPagesSitemap(Sitemap):
    def items(self):
        return [
            "treatments:explore",
            "treatments:glossary",
            "treatments:side-effects",
            "treatments:my-questions",
        ]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        if name == "treatments:glossary":
            latest = (
                GlossaryTerm.objects.published().order_by("-last_reviewed_at").first()
            )
            return latest.last_reviewed_at if latest else None
        return None


SITEMAPS = {
    "treatments": TreatmentSitemap,
    "side-effects": SideEffectSitemap,
    "pages": PageSitemap,
    "tools": StaticPagesSitemap,
}
