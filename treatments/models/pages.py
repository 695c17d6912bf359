"""Standalone text pages: the home page overview, the policy and privacy pages."""

from django.conf import settings
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from editorial.models import current_language

from ..content_files import ContentFile
from ..markdown import html_text, validate_markdown
from ..structured_data import canonical_url, medical_web_page
from .base import Content, ContentQuerySet, RendersMarkdown, one_slug_per_language
from .glossary import linked_to_terms
from .reviewers import ReviewerProfile
from .treatment import Treatment


class PageQuerySet(ContentQuerySet):
    def published_page(self, role, language=None):
        """The published overview, policy or privacy page in a language (default:
        the active one), or 404. A translation is found by its source's slug."""
        language = language or current_language()
        source = self.published_by_slug(role, settings.LANGUAGE_CODE).record
        if language == settings.LANGUAGE_CODE:
            return source.published_content()
        for page in self.published_pages(language):
            if page.content.get("translation_of") == source.pk:
                return page
        raise Http404("No such page")


class Page(RendersMarkdown, Content):
    """A standalone text page: the home page overview, the policy and privacy pages."""

    cache_kind = "pages"
    preview_kind = "page"
    preview_template = "treatments/includes/page_content.html"
    prose_keys = ("title", "summary", "body")
    diff_labels = {"title": "Title", "summary": "Summary", "body": "Page text"}
    statement_keys = {"body": "markdown"}
    in_sitemap = True
    sitemap_order = ("slug",)
    content_file = ContentFile.folder(
        "pages",
        ("slug", "translation_of", "title", "summary"),
        required=("slug", "title"),
    )
    HOME_TEMPLATE = "treatments/home.html"
    # Pages about how we work, shown at their own address rather than on the home page.
    POLICY_SLUGS = ("policy", "privacy")

    slug = models.SlugField()
    title = models.CharField(max_length=120)
    summary = models.CharField(
        max_length=200, help_text="One plain sentence, used as the page description."
    )
    body = MarkdownxField(
        help_text="Markdown. Use ## for headings; the title is the page's only h1.",
        validators=[validate_markdown],
    )

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.title

    @property
    def page_role(self):
        """Which page this is, whatever its language: overview, policy or privacy."""
        return (self.public_source or self).public_slug

    @property
    def reviewed_by_label(self):
        # The policy and privacy pages say how we work, not what medicine says.
        if self.page_role in self.POLICY_SLUGS:
            return _("Reviewed for accuracy by")
        return super().reviewed_by_label

    def get_absolute_url(self):
        with override(self.public_language):
            if self.page_role in self.POLICY_SLUGS:
                return reverse(f"treatments:{self.page_role}")
            return reverse("treatments:home")

    def search_document(self, content):
        return {
            "kind_label": gettext("Page"),
            "title": content["title"],
            "keywords": "",
            "text": content["summary"] + " " + html_text(content["body_html"]),
            "about_the_guide": self.page_role in self.POLICY_SLUGS,
        }

    def page_template(self, content):
        if self.page_role in self.POLICY_SLUGS:
            return "treatments/policy_page.html"
        return self.HOME_TEMPLATE

    def page_context(self, request, page):
        if self.page_role not in self.POLICY_SLUGS:
            return self.home_context(request, page)
        reviewers = []
        if self.page_role == "policy":
            reviewers = [
                reviewer
                for reviewer in ReviewerProfile.objects.as_read_in(
                    page.revision.language
                )
                if reviewer.content["conflict_of_interest"]
            ]
        jsonld = medical_web_page(
            page, canonical_url(request), page.content["title"], page.content["summary"]
        )
        return {"page": page, "reviewers": reviewers, "jsonld": jsonld}

    @staticmethod
    def home_context(request, overview):
        """The home page: the overview (None before one is approved) and the options."""
        linked_body, terms = (
            linked_to_terms(overview.content["body_html"]) if overview else ("", [])
        )
        return {
            "page": overview,
            "treatments": Treatment.objects.published_pages(),
            "linked_body": linked_body,
            "page_terms": terms,
            "jsonld": medical_web_page(
                overview,
                canonical_url(request),
                overview.content["title"] if overview else "NET Guide",
                overview.content["summary"] if overview else "",
            ),
        }

    def snapshot(self):
        return self.fields_of("slug", "title", "summary", "body", "body_html")
