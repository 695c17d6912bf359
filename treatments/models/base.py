"""What every kind of the guide's content shares.

Every public page reads its content through the published seam
(`published_pages()`, `published_by_slug()`, `published_content()`), which hands
views the approved revision only. Each content type says on its model how it is
shown, previewed, cached, searched, listed in the sitemap and compared; search,
the sitemap, the published files, the page cache and the editorial engine find the
types through Django's model registry (`content_types()`).
"""

import functools
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import override

from editorial.models import (
    Reviewable,
    ReviewableQuerySet,
    TranslatableMixin,
    TranslatableQuerySet,
    current_language,
)
from netguide import static_site
from netguide.page_cache import content_changed

from ..content_sync import InContentFolder
from ..markdown import render_markdown
from ..validators import PlainTextMixin
from .search_index import SearchEntry


class Specialty(models.TextChoices):
    SURGERY = "surgery", "Surgery"
    MEDICAL_ONCOLOGY = "medical-oncology", "Medical oncology"
    RADIATION_ONCOLOGY = "radiation-oncology", "Radiation oncology"
    INTERVENTIONAL_RADIOLOGY = "interventional-radiology", "Interventional radiology"
    NUCLEAR_MEDICINE = "nuclear-medicine", "Nuclear medicine"
    GASTROENTEROLOGY = "gastroenterology", "Gastroenterology"


def content_types():
    """Every concrete kind of the guide's content, in the order the app defines them."""
    return [model for model in apps.get_models() if issubclass(model, Content)]


def cache_kinds(*, searched=False):
    """The page-cache kinds of the content types (those search shows, if asked)."""
    return tuple(
        dict.fromkeys(
            model.cache_kind
            for model in content_types()
            if model.cache_kind and (model.searched() or not searched)
        )
    )


# The policies of the whole guide, kept in its own content types (site settings,
# reviewer profiles), which are Content themselves: found through the app registry.
def site_settings():
    return apps.get_model("treatments", "SiteSettings")


def reviewer_profiles():
    return apps.get_model("treatments", "ReviewerProfile").objects


def one_slug_per_language(name="%(class)s_slug_unique_per_language"):
    """A slug names one record in each language (a translation keeps its source's,
    or has its own). Django puts the model's name in for %(class)s."""
    return models.UniqueConstraint(fields=["language", "slug"], name=name)


class RendersMarkdown(models.Model):
    """A Markdown `body`, rendered and sanitized once, when saved, into `body_html`
    (never per request)."""

    body_html = models.TextField(editable=False, blank=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)


class PublishedPages(list):
    """A type's published pages in one language, and `derived(key, compute)`: values
    computed from them (glossary terms, a body with its terms linked), kept with the
    published state they were computed from."""

    def __init__(self, pages, derived):
        super().__init__(pages)
        self._derived = derived

    def derived(self, key, compute):
        try:
            return self._derived[key]
        except KeyError:
            if len(self._derived) > 1000:  # previews of many drafts: start again
                self._derived.clear()
            value = self._derived[key] = compute()
            return value


class PublishedState:
    """What a type has published, kept in each process while the database says it
    is unchanged (issue 27).

    Every call reads the published records' fingerprint (one small query: each
    record's live revision, its content hash and the review dates a page shows); the
    records and their live revisions are loaded again only when it differs. A
    revision never changes once written, so nothing older than the database's latest
    approval is ever handed out, in this process or any other, whatever the page
    cache holds. What a page reads lazily (the sign-off's byline, the change history,
    whether a translation is behind) is kept with it: every sign-off sets
    `last_reviewed_at` and every approval the live revision, both in the fingerprint.
    """

    FINGERPRINT = (
        "pk",
        "live_revision_id",
        "live_revision__content_hash",
        "content_updated_at",
        "last_reviewed_at",
        "next_review_due",
        "translation_of_id",
        "translation_of__live_revision_id",
    )
    latest = {}  # model label -> (fingerprint, {language: [records]}, {language: derived})
    lock = threading.Lock()
    # Within one_read_each() (a public page's render), each type's fingerprint read once.
    read = ContextVar("published_state_read", default=None)

    @classmethod
    @contextmanager
    def one_read_each(cls):
        """Read each type's published state at most once while this lasts: one
        render sees one state, and pays one query per type it shows."""
        token = cls.read.set({})
        try:
            yield
        finally:
            cls.read.reset(token)

    @classmethod
    def of(cls, model):
        label = model._meta.label_lower
        read = cls.read.get()
        if read is not None and label in read:
            return read[label]
        with connection.cursor() as cursor:
            cursor.execute(*cls.fingerprint_sql(model))
            fingerprint = tuple(cursor.fetchall())
        entry = cls.latest.get(label)
        if entry is None or entry[0] != fingerprint:
            # Loaded after the fingerprint: at least as new, never older.
            by_language = {}
            for record in model.objects.published().order_by("pk"):
                page = record.published_content()
                by_language.setdefault(record.public_language, []).append(page)
            for pages in by_language.values():
                pages.sort(key=model.published_sort_key)
            entry = (fingerprint, by_language, {})
            cls.latest[label] = entry
        if read is not None:
            read[label] = entry
        return entry

    @staticmethod
    @functools.cache
    def fingerprint_sql(model):
        """The fingerprint query's (sql, params), built by the ORM once."""
        query = model.objects.published().order_by("pk")
        return query.values_list(*PublishedState.FINGERPRINT).query.sql_with_params()

    @classmethod
    def pages(cls, model, language):
        _, by_language, derived = cls.of(model)
        pages = by_language.get(language, ())
        with cls.lock:
            shared = derived.setdefault(language, {})
        return PublishedPages(pages, shared)


class ContentQuerySet(TranslatableQuerySet, ReviewableQuerySet):
    def published(self):
        # A translation's page links to its source and says when it is behind it.
        return super().published().select_related("translation_of__live_revision")

    def published_pages(self, language=None):
        """The published pages in a language (default: the active one), kept in this
        process while the database says they are unchanged (PublishedState): most
        pages list every published treatment, and treatment pages link every
        glossary term."""
        return PublishedState.pages(self.model, language or current_language())

    def published_by_slug(self, slug, language=None):
        """The published page at this slug in a language (default: the active one),
        or 404; found among the published pages, without a query of its own."""
        for page in self.published_pages(language):
            if page.content.get("slug") == slug:
                return page
        raise Http404("No such page")


class Content(InContentFolder, PlainTextMixin, TranslatableMixin, Reviewable):
    """Reviewed content that public pages show.

    A type says which page-cache kind its pages declare (`cache_kind`), its
    segment in the staff preview address and the review screen's include
    (`preview_kind`, `preview_template`), how a revision is shown
    (`page_template`, `page_context`), what search knows of it
    (`search_document`), whether the sitemap lists it (`in_sitemap`) and where
    its records live in content/ (`content_file`; content_sync.InContentFolder).
    """

    cache_kind = None
    template_name = None
    # The URL name of its public page, reversed with its public slug (a type whose
    # page has no slug of its own says where it is in get_absolute_url).
    url_name = None
    # Listed in the sitemap, with this priority (None: none said), in this order.
    in_sitemap = False
    sitemap_priority = None
    sitemap_order = ("pk",)

    review_specialty = models.CharField(
        "specialty needed for review",
        max_length=30,
        blank=True,
        choices=Specialty.choices,
        help_text="Reviewers with this specialty see the page first in their queue.",
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def searched(cls):
        """Whether site search shows this type (it says what search knows of it)."""
        return cls.search_document is not Content.search_document

    def after_publish(self):
        SearchEntry.objects.refresh(self)
        content_changed(self.cache_kind)
        static_site.rebuild_after_commit(self.cache_kind)

    # The guide's review policies -------------------------------------------------

    def months_between_reviews(self):
        return site_settings().load().review_interval_months

    def reviewer_byline(self, user, language):
        return reviewer_profiles().byline_of(user, language)

    def reviewer_reads_language(self, user, language):
        return language in reviewer_profiles().languages_of(user)

    def specialty_needed(self):
        return self.get_review_specialty_display()

    def needs_specialty_of(self, user):
        return bool(self.review_specialty) and (
            self.review_specialty in reviewer_profiles().specialties_of(user)
        )

    # What the public sees ------------------------------------------------------

    def search_document(self, content):
        """What search knows of this published content ({kind_label, title,
        keywords, text}), or None when the type is not searched."""
        return None

    @classmethod
    def approved_here_and_in_source(cls, language):
        """For a type with one record per language (the site settings, the
        explorer's questions): {language: approved content} for `language` and the
        source language, those that have one."""
        return {
            code: pages[0].content
            for code in dict.fromkeys((language, settings.LANGUAGE_CODE))
            if (pages := cls.objects.published_pages(code))
        }

    def get_absolute_url(self):
        with override(self.public_language):
            return reverse(self.url_name, args=[self.public_slug])

    def page_template(self, content):
        return self.template_name

    def page_context(self, request, page):
        return {"page": page}

    def translation_in(self, language):
        """This record as patients read it in `language` (itself, its source or a
        sibling translation), published; None when there is none. Found among the
        published pages in that language, without a query of its own."""
        if self.public_language == language:
            return self
        source_id = self.public_source_id or self.pk
        found = None
        for page in type(self).objects.published_pages(language):
            if page.record.pk == source_id:
                return page.record
            if found is None and page.content.get("translation_of") == source_id:
                found = page.record
        return found

    def serve(self, request, page):
        """Any revision's content (`page`) exactly as its public page shows it, in
        its own language (a preview of a translation too)."""
        with override(page.revision.language):
            return render(
                request,
                self.page_template(page.content),
                self.page_context(request, page),
            )


class SharedRecordQuerySet(models.QuerySet):
    def delete(self):
        for record in self:
            record.check_deletable()
        return super().delete()


class SharedRecord(InContentFolder, PlainTextMixin, models.Model):
    """A record that treatment pages show (a drug, a side effect).

    Deleting one would change those pages without a revision, so nobody's name
    would be on the change and its author could approve it. While a page shows
    it, it is not deleted: removing it from the page is the (reviewed) change.
    """

    class Meta:
        abstract = True

    def pages_showing(self):
        raise NotImplementedError

    def redraft_pages_showing(self, user):
        """A new draft, in `user`'s name, of every page that shows this record (its
        changed text is theirs to review). Returns those pages."""
        pages = list(self.pages_showing())
        for page in pages:
            page.save_revision(user)
        return pages

    def check_deletable(self):
        pages = list(self.pages_showing())
        if pages:
            names = ", ".join(f"“{page}”" for page in pages)
            raise models.ProtectedError(
                f"{self} is shown on {names}. Remove it from "
                f"{'that page' if len(pages) == 1 else 'those pages'} first: that "
                "change goes through medical review.",
                set(pages),
            )

    def delete(self, *args, **kwargs):
        self.check_deletable()
        return super().delete(*args, **kwargs)
