"""The hard words our pages use, with plain definitions."""

from django.db import models
from django.template.loader import render_to_string
from django.utils.translation import gettext, override

from ..content_files import ContentFile
from ..glossary import Term, link_terms
from .base import Content, one_slug_per_language


class GlossaryTerm(Content):
    """A hard word our pages use, with a plain definition."""

    cache_kind = "glossary"
    preview_kind = "glossary"
    preview_template = "treatments/includes/glossary_content.html"
    template_name = "treatments/glossary_preview.html"
    diff_labels = {
        "term": "Word",
        "also_matches": "Other forms",
        "definition": "Meaning",
    }
    statement_keys = {"definition": "text"}
    content_file = ContentFile.records(
        "glossary.toml",
        "terms",
        ("slug", "term", "also_matches", "definition"),
        lists=("also_matches",),
        required=("slug", "term", "definition"),
    )

    slug = models.SlugField(
        help_text="The link's address. A translation keeps its source's slug."
    )
    term = models.CharField(max_length=80)
    also_matches = models.JSONField(
        default=list,
        blank=True,
        help_text="Other forms of the word that should link here, e.g. “metastatic”.",
    )
    definition = models.TextField(help_text="One or two plain sentences.")

    class Meta:
        ordering = ["term"]
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.term

    @classmethod
    def title_of(cls, snapshot):
        return snapshot["term"]

    def get_absolute_url(self):
        with override(self.public_language):
            return Term.url_of(self.public_slug)

    def snapshot(self):
        return {
            "slug": self.slug,
            "term": self.term,
            "also_matches": list(self.also_matches),
            "definition": self.definition,
        }

    def search_document(self, content):
        return {
            "kind_label": gettext("Word meaning"),
            "title": content["term"],
            "keywords": " ".join(content["also_matches"]),
            "text": content["definition"],
            # A word's meaning ranks below the pages that explain it at length.
            "weight": 0.5,
        }


def published_terms():
    """The published glossary terms in the active language, as the linker uses them
    (a tuple, worked out once per published glossary)."""
    pages = GlossaryTerm.objects.published_pages()
    return pages.derived(
        "terms", lambda: tuple(Term.from_snapshot(page.content) for page in pages)
    )


def rendered_with_terms(template_name, revision, context):
    """A template that shows one revision's content (and nothing of the request)
    with its body's terms linked, rendered once per revision and published glossary
    in the active language: the same revision always renders the same."""

    def render():
        linked_body, terms = linked_to_terms(revision.snapshot["body_html"])
        return render_to_string(
            template_name,
            {**context, "linked_body": linked_body, "page_terms": terms},
        )

    pages = GlossaryTerm.objects.published_pages()
    return pages.derived((template_name, revision.content_hash), render)


def linked_to_terms(html):
    """`html` (a published body) with the first use of each published term linked,
    and the terms it uses: worked out once per body and published glossary."""
    pages = GlossaryTerm.objects.published_pages()
    return pages.derived(("linked", html), lambda: link_terms(html, published_terms()))
