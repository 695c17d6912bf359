"""The treatment guide's content: what editors write and patients read.

Every public page reads its content through the published seam
(`published_contents()`, `published_by_slug()`, `published_content()`), which hands
views the approved revision only. Each content type says here how it is shown,
previewed, cached, searched and compared; the review workflow needs nothing else.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import (
    gettext,
    override,
)
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from netguide import static_site
from netguide.page_cache import content_changed, remembered

from .collaboration import EditingMark  # noqa: F401  (a model Django must see)
from .explore import validate_fit_rules
from .glossary import Term, link_terms
from .languages import current_language, language_in_sentence
from .markdown import html_text, render_markdown, validate_markdown
from .review import (  # noqa: F401  (models Django must see)
    AuditEntry,
    Reviewable,
    ReviewableQuerySet,
    Revision,
    Specialty,
)
from .sharing import ShareLink  # noqa: F401  (a model Django must see)
from .structured_data import canonical_url, medical_web_page, treatment_page
from .validators import PlainTextMixin, normalize_phone_number, phone_href


def language_field():
    return models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The language this is written in.",
    )


def translation_of_field():
    return models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="translations",
        help_text="For a translation: the page in the source language it translates. "
        "Empty for the source itself.",
    )


class ContentQuerySet(ReviewableQuerySet):
    def published(self):
        # A translation's page links to its source and says when it is behind it.
        return super().published().select_related("translation_of")

    def in_language(self, language=None):
        """Records written in this language (default: the active one)."""
        return self.filter(language=language or current_language())

    def published_pages(self, language=None):
        """published_contents() in a language (default: the active one), kept in the
        cache until content of this type is published: most pages list every
        published treatment, and treatment pages link every glossary term."""
        language = language or current_language()
        return remembered(
            f"published:{self.model._meta.label_lower}:{language}",
            [self.model.cache_kind],
            lambda: self.in_language(language).published_contents(),
        )

    def out_of_date(self):
        """Published translations whose source had a newer revision approved since
        the revision they were translated from."""
        behind = [
            record.pk
            for record in self.published()
            .exclude(translation_of=None)
            .select_related("translation_of")
            if record.is_out_of_date
        ]
        return self.filter(pk__in=behind)


class Content(PlainTextMixin, Reviewable):
    """Reviewed content that public pages show.

    A type says which page-cache kind its pages declare (`cache_kind`), its
    segment in the staff preview address and the review screen's include
    (`preview_kind`, `preview_template`), how a revision is shown
    (`page_template`, `page_context`) and what search knows of it
    (`search_document`).
    """

    cache_kind = None
    preview_kind = None
    preview_template = None
    template_name = None
    # Written in several languages: editors see its language and source.
    translatable = True

    language = language_field()
    translation_of = translation_of_field()
    source_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="translated from revision",
        help_text="For a translation: the source page's revision this text says the "
        "same as. Set it to the source's published revision when you bring the "
        "translation up to date.",
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        abstract = True

    def after_publish(self):
        SearchEntry.objects.refresh(self)
        content_changed(self.cache_kind)
        static_site.rebuild_after_commit(self.cache_kind)

    # Translations ------------------------------------------------------------

    @property
    def is_translation(self):
        return self.translation_of_id is not None

    def revision_snapshot(self):
        snapshot = self.snapshot()
        if self.is_translation:
            # Only translations carry these: a source's content hash never changes.
            snapshot["language"] = self.language
            snapshot["source_revision"] = self.source_revision_id
        return snapshot

    def reviewer_reads_language(self, user):
        return self.language in ReviewerProfile.objects.languages_of(user)

    @property
    def published_source_revision_id(self):
        """The source revision the published translation was made from."""
        if self.live_revision_id is None:
            return None
        return self.live_revision.snapshot.get("source_revision")

    @property
    def is_out_of_date(self):
        """A published translation whose source has a newer approved revision than
        the one it was translated from."""
        if not self.is_translation or self.live_revision_id is None:
            return False
        source_live = self.translation_of.live_revision_id
        made_from = self.published_source_revision_id
        return source_live is not None and (
            made_from is None or source_live > made_from
        )

    def source_update_notice(self):
        """What the patient is told when the source was updated after this
        translation: where to read it ({code, language_name, url}); else None."""
        if not self.is_out_of_date:
            return None
        source = self.translation_of
        return {
            "code": source.language,
            "language_name": language_in_sentence(source.language),
            "url": source.get_absolute_url(),
        }

    def translation_in(self, language):
        """This record in `language` (itself, its source or a sibling translation)."""
        if self.language == language:
            return self
        source = self.translation_of if self.is_translation else self
        if source.language == language:
            return source
        return (
            type(self)
            .objects.filter(translation_of=source, language=language)
            .select_related("live_revision", "translation_of__live_revision")
            .first()
        )

    def months_between_reviews(self):
        return SiteSettings.load().review_interval_months

    def reviewer_byline(self, user):
        return ReviewerProfile.objects.byline_of(user, self.language)

    def search_document(self, content):
        """What search knows of this published content ({kind_label, title,
        keywords, text}), or None when the type is not searched."""
        return None

    def page_template(self, content):
        return self.template_name

    def page_context(self, request, page):
        return {"page": page}

    def serve(self, request, page):
        """Any revision's content (`page`) exactly as its public page shows it, in
        its own language (a preview of a translation too)."""
        with override(self.language):
            return render(
                request,
                self.page_template(page.content),
                self.page_context(request, page),
            )


def published_terms():
    return [
        Term.from_snapshot(page.content)
        for page in GlossaryTerm.objects.published_pages()
    ]


class SharedRecordQuerySet(models.QuerySet):
    def delete(self):
        for record in self:
            record.check_deletable()
        return super().delete()


class SharedRecord(PlainTextMixin, models.Model):
    """A record that treatment pages show (a drug, a side effect).

    Deleting one would change those pages without a revision, so nobody's name
    would be on the change and its author could approve it. While a page shows
    it, it is not deleted: removing it from the page is the (reviewed) change.
    """

    class Meta:
        abstract = True

    def pages_showing(self):
        raise NotImplementedError

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


FIT_RULES_HELP = (
    "Which answers in “Find my options” make this fit, reviewed with the page. A list "
    'of rules like {"when": ["extent=spread", "hormones=yes"], "reason": "…"}: a rule '
    "applies when every “when” answer was given and no “unless” answer was. The "
    "reason is shown to the patient after the answers it rests on."
)


def fit_rules_validator(rules):
    try:
        validate_fit_rules(rules)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def fit_rules_field():
    """The "when it may be used" rules a treatment and each of its procedures carry."""
    return models.JSONField(
        "when it may be used",
        default=list,
        blank=True,
        validators=[fit_rules_validator],
        help_text=FIT_RULES_HELP,
    )


class SiteSettings(Content):
    """Site-wide text: one row per language."""

    cache_kind = "site"
    preview_kind = "site"
    preview_template = "treatments/includes/site_content.html"
    prose_keys = ("cta_heading", "cta_text")
    field_labels = {
        "site_name": "Site name",
        "phone_number": "Phone number",
        "cta_heading": "Call-to-action heading",
        "cta_text": "Call-to-action text",
    }

    site_name = models.CharField(max_length=80, default="NET Guide")
    phone_number = models.CharField(
        max_length=30,
        default="(888) 552-6760",
        help_text="Shown on every page as a tap-to-call link. A US number, e.g. "
        "(888) 552-6760, or an international one starting with +; it is saved in "
        "one standard spelling.",
    )
    cta_heading = models.CharField(
        "call-to-action heading",
        max_length=120,
        default="Expert care is one phone call away",
    )
    cta_text = models.TextField(
        "call-to-action text",
        default="You can often get an appointment in as little as 24 hours.",
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=12,
        help_text="How long after a medical review each page is due for its next one.",
    )

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [
            models.UniqueConstraint(
                fields=["language"], name="one_site_settings_per_language"
            )
        ]

    def __str__(self):
        if self.language == settings.LANGUAGE_CODE:
            return "Site settings"
        return f"Site settings ({self.get_language_display()})"

    @classmethod
    def title_of(cls, snapshot):
        return "Site settings"

    @classmethod
    def load(cls, language=None):
        """The saved settings in a language (default: the source language), or the
        defaults when none are saved (without writing)."""
        language = language or settings.LANGUAGE_CODE
        return cls.objects.filter(language=language).first() or cls(language=language)

    # What every language shows the same: one phone number, whatever the page's language.
    SHARED_KEYS = ("site_name", "phone_number", "phone_href")

    @classmethod
    def public(cls, language=None):
        """What every page shows: the approved settings in the page's language (its
        name and phone number always the source language's), else the source
        language's, else the built-in defaults. Kept in the cache until settings are
        published: every page render reads them."""
        language = language or current_language()
        shown = remembered(
            f"site-settings:{language}",
            [cls.cache_kind],
            lambda: cls.approved_in(language),
        )
        if shown is None:
            return cls().snapshot()
        return cls.keep_offline_copy(shown, language)

    @classmethod
    def approved_in(cls, language):
        """The approved settings a page in this language shows, or None."""
        approved = {
            record.language: record.published_content().content
            for record in cls.objects.published().filter(
                language__in={language, settings.LANGUAGE_CODE}
            )
        }
        source = approved.get(settings.LANGUAGE_CODE)
        if language not in approved and source is None:
            return None
        shown = dict(approved.get(language) or source)
        if source is not None:
            shown.update({key: source[key] for key in cls.SHARED_KEYS})
        return shown

    # The outage page shows the approved phone number without a query: the cache holds
    # the approved copy for every process, and each process keeps the one it last read
    # for when the cache is away too (one per language).
    OFFLINE_COPY_KEY = "site-settings:approved"
    offline_copies = {}

    @classmethod
    def offline_key(cls, language):
        return f"{cls.OFFLINE_COPY_KEY}:{language}"

    @classmethod
    def keep_offline_copy(cls, snapshot, language, always=False):
        if always or snapshot != SiteSettings.offline_copies.get(language):
            SiteSettings.offline_copies[language] = snapshot
            try:
                cache.set(cls.offline_key(language), snapshot, None)
            except Exception:
                pass  # the page cache logs cache outages; this copy is a nicety
        return snapshot

    @classmethod
    def offline(cls, language=None):
        """The approved settings without a database query, else the defaults."""
        language = language or current_language()
        try:
            found = cache.get(cls.offline_key(language))
        except Exception:
            found = None
        return found or SiteSettings.offline_copies.get(language) or cls().snapshot()

    def after_publish(self):
        super().after_publish()
        snapshot = self.published_content().content
        language = self.language
        transaction.on_commit(
            lambda: self.keep_offline_copy(snapshot, language, always=True)
        )

    def get_absolute_url(self):
        with override(self.language):
            return reverse("treatments:home")

    def page_template(self, content):
        return Page.HOME_TEMPLATE

    def page_context(self, request, page):
        # A settings preview shows the home page with these settings, not the live ones.
        return {**Page.home_context(request, None), "site": page.content}

    def clean(self):
        super().clean()
        try:
            self.phone_number = normalize_phone_number(self.phone_number)
        except ValidationError as error:
            raise ValidationError({"phone_number": error}) from None

    @property
    def phone_href(self):
        return phone_href(self.phone_number)

    def snapshot(self):
        return {
            "site_name": self.site_name,
            "phone_number": self.phone_number,
            "phone_href": self.phone_href,
            "cta_heading": self.cta_heading,
            "cta_text": self.cta_text,
        }


class PageQuerySet(ContentQuerySet):
    def published_page(self, role, language=None):
        """The published overview, policy or privacy page in a language (default:
        the active one), or 404. A translation is found by its source's slug."""
        language = language or current_language()
        if language == settings.LANGUAGE_CODE:
            return self.in_language(language).published_by_slug(role)
        record = (
            self.in_language(language)
            .published()
            .filter(translation_of__slug=role)
            .first()
        )
        if record is None:
            raise Http404("No such page")
        return record.published_content()


class Page(Content):
    """A standalone text page: the home page overview, the policy and privacy pages."""

    cache_kind = "pages"
    preview_kind = "page"
    preview_template = "treatments/includes/page_content.html"
    prose_keys = ("title", "summary", "body")
    field_labels = {"title": "Title", "summary": "Summary"}
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
    body_html = models.TextField(editable=False, blank=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="page_slug_unique_per_language"
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    @property
    def page_role(self):
        """Which page this is, whatever its language: overview, policy or privacy."""
        source = self.translation_of if self.is_translation else self
        if source.live_revision_id and "slug" in source.live_revision.snapshot:
            return source.live_revision.snapshot["slug"]
        return source.slug

    @property
    def reviewed_by_label(self):
        # The policy and privacy pages say how we work, not what medicine says.
        if self.page_role in self.POLICY_SLUGS:
            return _("Reviewed for accuracy by")
        return super().reviewed_by_label

    def get_absolute_url(self):
        with override(self.language):
            if self.page_role in self.POLICY_SLUGS:
                return reverse(f"treatments:{self.page_role}")
            return reverse("treatments:home")

    def search_document(self, content):
        return {
            "kind_label": gettext("Page"),
            "title": content["title"],
            "keywords": "",
            "text": content["summary"] + " " + html_text(content["body_html"]),
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
                for reviewer in ReviewerProfile.objects.as_read_in(self.language)
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
            link_terms(overview.content["body_html"], published_terms())
            if overview
            else ("", [])
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
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "body_html": self.body_html,
        }


class SideEffect(SharedRecord, Content):
    """A possible side effect, shared by every treatment that can cause it."""

    cache_kind = "side-effects"
    preview_kind = "side-effect"
    preview_template = "treatments/includes/side_effect_content.html"
    template_name = "treatments/side_effect_page.html"
    prose_keys = ("name", "description")
    field_labels = {"name": "Name", "description": "Description"}
    published_order = ("name",)

    slug = models.SlugField(
        help_text="The page address. A translation keeps its source's slug."
    )
    name = models.CharField(max_length=80)
    description = models.TextField(help_text="What it means, in everyday words.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="sideeffect_slug_unique_per_language"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        with override(self.language):
            return reverse("treatments:side-effect", args=[self.public_slug])

    def pages_showing(self):
        return self.treatments.all()

    def snapshot(self):
        return {"slug": self.slug, "name": self.name, "description": self.description}

    def search_document(self, content):
        return {
            "kind_label": gettext("Side effect"),
            "title": content["name"],
            "keywords": "",
            "text": content["description"],
        }

    def page_context(self, request, page):
        slug = page.content["slug"]
        return {
            "page": page,
            "treatments": [
                treatment
                for treatment in Treatment.objects.published_pages()
                if any(
                    item["slug"] == slug for item in treatment.content["side_effects"]
                )
            ],
            "jsonld": medical_web_page(
                page,
                canonical_url(request),
                page.content["name"],
                page.content["description"],
            ),
        }


class GlossaryTerm(Content):
    """A hard word our pages use, with a plain definition."""

    cache_kind = "glossary"
    preview_kind = "glossary"
    preview_template = "treatments/includes/glossary_content.html"
    template_name = "treatments/glossary_preview.html"
    field_labels = {
        "term": "Word",
        "also_matches": "Other forms",
        "definition": "Meaning",
    }
    published_order = ("term",)

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
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"],
                name="glossaryterm_slug_unique_per_language",
            )
        ]

    def __str__(self):
        return self.term

    @classmethod
    def title_of(cls, snapshot):
        return snapshot["term"]

    def get_absolute_url(self):
        with override(self.language):
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
        }


class Drug(SharedRecord):
    language = language_field()
    translation_of = translation_of_field()
    slug = models.SlugField(help_text="A translation keeps its source's slug.")
    brand_name = models.CharField(max_length=80)
    generic_name = models.CharField(max_length=120)
    how_given = models.CharField(
        max_length=120,
        blank=True,
        help_text="Only where our sources say. It follows the drug's name after a comma, "
        "e.g. “usually given as a shot (injection)”.",
    )
    description = models.TextField(blank=True)

    objects = SharedRecordQuerySet.as_manager()

    class Meta:
        ordering = ["brand_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="drug_slug_unique_per_language"
            )
        ]

    def __str__(self):
        return f"{self.brand_name} ({self.generic_name})"

    def pages_showing(self):
        return self.treatments.all()

    def snapshot(self):
        return {
            "slug": self.slug,
            "brand_name": self.brand_name,
            "generic_name": self.generic_name,
            "how_given": self.how_given,
            "description": self.description,
        }


class TreatmentQuerySet(ContentQuerySet):
    def with_parts(self):
        return self.prefetch_related(
            "procedures",
            "questions",
            "drugs",
            "side_effects",
        )


class Treatment(Content):
    """One treatment option, e.g. surgery or hormone therapy."""

    cache_kind = "treatments"
    preview_kind = "treatment"
    preview_template = "treatments/includes/treatment_content.html"
    template_name = "treatments/treatment_page.html"
    prose_keys = (
        "title",
        "summary",
        "body",
        "key_points",
        "aims",
        "how_given",
        "hospital_stay",
        "also_ask",
        "questions",
        # procedures, drugs and side effects, and the reasons of fit rules
        "name",
        "description",
        "reason",
    )
    field_labels = {
        "title": "Title",
        "summary": "Summary",
        "order": "Position",
        "aims": "What it aims to do",
        "how_given": "How it is given",
        "hospital_stay": "Hospital stay",
        "also_ask": "Worth asking about for everyone",
    }
    published_order = ("order", "title")

    slug = models.SlugField(
        help_text="The page address: /treatments/your-slug/ (in Spanish "
        "/es/tratamientos/su-slug/)."
    )
    title = models.CharField(max_length=120)
    summary = models.CharField(
        max_length=200, help_text="One plain sentence for the home page card."
    )
    body = MarkdownxField(
        help_text="Markdown. Use ## for headings. Procedures, drugs, side effects and "
        "questions are shown from the fields below; do not repeat them here.",
        validators=[validate_markdown],
    )
    body_html = models.TextField(editable=False, blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Position on the home page."
    )
    key_points = models.JSONField(
        default=list,
        blank=True,
        help_text="2 to 4 short points the page opens with, from our sources only.",
    )
    aims = models.TextField(
        "what it aims to do",
        blank=True,
        help_text="For the compare page, e.g. “To take out the tumor”. Leave empty "
        "where our sources do not say: the page then says “Ask your care team”.",
    )
    how_given = models.TextField(
        "how it is given",
        blank=True,
        help_text="For the compare page: an operation, a shot, a procedure… Leave "
        "empty where our sources do not say.",
    )
    hospital_stay = models.TextField(
        "hospital stay",
        blank=True,
        help_text="For the compare page: whether it may mean a stay in the hospital. "
        "Leave empty where our sources do not say.",
    )
    fits = fit_rules_field()
    also_ask = models.TextField(
        "worth asking about for everyone",
        blank=True,
        help_text="Shown in “Find my options” whatever the answers, when no fit rule "
        "applies, e.g. for treatments that depend on tests of the tumor.",
    )
    drugs = models.ManyToManyField(Drug, blank=True, related_name="treatments")
    side_effects = models.ManyToManyField(
        SideEffect, blank=True, related_name="treatments"
    )

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name = "treatment"
        verbose_name_plural = "treatments"
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="treatment_slug_unique_per_language"
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        with override(self.language):
            return reverse("treatments:treatment", args=[self.public_slug])

    def restore_related(self, snapshot):
        self.drugs.set(
            Drug.objects.filter(slug__in=[d["slug"] for d in snapshot["drugs"]])
        )
        self.side_effects.set(
            SideEffect.objects.filter(
                slug__in=[effect["slug"] for effect in snapshot["side_effects"]]
            )
        )
        self.questions.all().delete()
        Question.objects.bulk_create(
            Question(treatment=self, text=text, order=n)
            for n, text in enumerate(snapshot["questions"])
        )
        self.procedures.all().delete()
        Procedure.objects.bulk_create(
            Procedure(treatment=self, order=n, **item)
            for n, item in enumerate(snapshot["procedures"])
        )

    def snapshot(self):
        """Everything the public page displays, as plain JSON-ready data."""
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "body_html": self.body_html,
            "order": self.order,
            "key_points": list(self.key_points),
            "aims": self.aims,
            "how_given": self.how_given,
            "hospital_stay": self.hospital_stay,
            "fits": list(self.fits),
            "also_ask": self.also_ask,
            "procedures": [procedure.snapshot() for procedure in self.procedures.all()],
            "questions": [question.text for question in self.questions.all()],
            "drugs": [drug.snapshot() for drug in self.drugs.all()],
            "side_effects": [
                {"slug": effect.slug, "name": effect.name}
                for effect in self.side_effects.all()
            ],
        }

    def search_document(self, content):
        drugs = [f"{d['brand_name']} {d['generic_name']}" for d in content["drugs"]]
        procedures = [p["name"] for p in content["procedures"]]
        side_effects = [effect["name"] for effect in content["side_effects"]]
        return {
            "kind_label": gettext("Treatment"),
            "title": content["title"],
            "keywords": " ".join(drugs + procedures),
            "text": " ".join(
                [content["summary"], *content.get("key_points", [])]
                + [html_text(content["body_html"])]
                + [f"{p['name']}: {p['description']}" for p in content["procedures"]]
                + [
                    f"{d['brand_name']} ({d['generic_name']}): {d['description']}"
                    for d in content["drugs"]
                ]
                + (
                    [
                        gettext("Possible side effects: %(names)s.")
                        % {"names": ", ".join(side_effects)}
                    ]
                    if side_effects
                    else []
                )
            ),
        }

    def page_context(self, request, page):
        treatments = Treatment.objects.published_pages()
        ids = [treatment.record.pk for treatment in treatments]
        index = ids.index(page.record.pk) if page.record.pk in ids else None
        neighbours = {"previous": None, "next": None}
        if index is not None:
            if index > 0:
                neighbours["previous"] = treatments[index - 1]
            if index + 1 < len(treatments):
                neighbours["next"] = treatments[index + 1]
        linked_body, terms = link_terms(page.content["body_html"], published_terms())
        return {
            "page": page,
            "linked_body": linked_body,
            "page_terms": terms,
            "jsonld": treatment_page(page, canonical_url(request)),
            **neighbours,
        }


class Procedure(PlainTextMixin, models.Model):
    """A named procedure or type within a treatment, e.g. enucleation under surgery."""

    treatment = models.ForeignKey(
        Treatment, on_delete=models.CASCADE, related_name="procedures"
    )
    name = models.CharField(max_length=120)
    description = models.TextField()
    fits = fit_rules_field()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    def snapshot(self):
        return {
            "name": self.name,
            "description": self.description,
            "fits": list(self.fits),
        }


class Question(PlainTextMixin, models.Model):
    """A question a patient may want to ask their care team about a treatment."""

    treatment = models.ForeignKey(
        Treatment, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.text


class ReviewerProfileQuerySet(ContentQuerySet):
    def languages_of(self, user):
        """The languages this user may sign off: their profile's, else the source
        language only."""
        profile = self.filter(user=user).only("languages").first()
        if profile is None:
            return [settings.LANGUAGE_CODE]
        return profile.languages

    def byline_of(self, user, language=None):
        """The reviewer's name as patients may read it in `language`: the approved
        translation of their profile in it, else their approved profile's byline."""
        profile = self.published().filter(user=user).first()
        if profile is None:
            return user.get_full_name() or user.get_username()
        return profile.shown_in(language or profile.language).content["byline"]

    def as_read_in(self, language):
        """The published profiles (sources), each as patients read it in `language`."""
        profiles = [
            profile.shown_in(language)
            for profile in self.in_language(settings.LANGUAGE_CODE).published()
        ]
        return sorted(profiles, key=lambda profile: profile.content["name"].casefold())


def default_reviewer_languages():
    return [settings.LANGUAGE_CODE]


class ReviewerProfile(Content):
    """How a medical reviewer is named on public pages, and what they review.

    What patients read about a reviewer (name, credentials, conflicts of interest)
    is reviewed content like any other: a change reaches the policy page and the
    bylines only once a second person signs it off.
    """

    cache_kind = "pages"  # the policy page lists reviewers
    preview_kind = "reviewer"
    preview_template = "treatments/includes/reviewer_content.html"
    template_name = "treatments/reviewer_preview.html"
    checks_reading_level = False  # names and credentials, not prose
    field_labels = {
        "name": "Name",
        "credentials": "Credentials",
        "job_title": "Title",
        "conflict_of_interest": "Conflicts of interest",
    }
    published_order = ("name",)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewer_profile",
        help_text="The reviewer's account. Empty on a translation: it belongs to the "
        "profile it translates.",
    )
    display_name = models.CharField(max_length=120, help_text="As shown to patients.")
    credentials = models.CharField(
        max_length=60, help_text="For example “MD” or “MD, PhD”."
    )
    title = models.CharField(
        max_length=160, blank=True, help_text="For example “Medical oncologist”."
    )
    specialties = models.JSONField(
        default=list,
        blank=True,
        help_text="Specialties this reviewer covers; pages needing them come first in the queue.",
    )
    conflict_of_interest = models.TextField(
        blank=True, help_text="Shown on the medical and editorial policy page."
    )
    languages = models.JSONField(
        default=default_reviewer_languages,
        blank=True,
        help_text='Language codes this reviewer reads, e.g. ["en", "es"]: only '
        "they may sign off pages in those languages.",
    )

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.byline

    def get_absolute_url(self):
        return reverse("treatments:policy")

    @property
    def byline(self):
        return ", ".join(
            part for part in (self.display_name, self.credentials, self.title) if part
        )

    def shown_in(self, language):
        """This published profile as patients read it in `language`: its approved
        translation there, else itself."""
        translation = self.translation_in(language)
        if translation is not None and translation.live_revision_id is not None:
            return translation.published_content()
        return self.published_content()

    def clean(self):
        super().clean()
        if self.translation_of_id is None and self.user_id is None:
            raise ValidationError({"user": "Choose the reviewer's account."})
        if self.translation_of_id is not None and self.user_id is not None:
            raise ValidationError(
                {
                    "user": "Leave this empty on a translation: the account belongs to "
                    "the profile it translates."
                }
            )

    def restore_fields(self, snapshot):
        self.display_name = snapshot["name"]
        self.credentials = snapshot["credentials"]
        self.title = snapshot["job_title"]
        self.conflict_of_interest = snapshot["conflict_of_interest"]

    def snapshot(self):
        # The specialties only order the review queue: patients never see them.
        return {
            "name": self.display_name,
            "credentials": self.credentials,
            "job_title": self.title,
            "byline": self.byline,
            "conflict_of_interest": self.conflict_of_interest,
        }


class SearchEntryQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(kind=record._meta.model_name, object_id=record.pk)

    def refresh(self, record):
        """Make the record's entry say what its published content says (or remove it)."""
        page = record.published_content()
        with override(record.language):
            document = record.search_document(page.content) if page else None
        if document is None:
            self.for_record(record).delete()
            return
        self.update_or_create(
            kind=record._meta.model_name,
            object_id=record.pk,
            defaults={
                **document,
                "language": record.language,
                "url": record.get_absolute_url(),
            },
        )

    def in_language(self, language=None):
        return self.filter(language=language or current_language())


class SearchEntry(models.Model):
    """Published content, flattened for search. Rebuilt when a record is published."""

    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    language = language_field()
    kind_label = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    keywords = models.TextField(blank=True, help_text="Drug names, other word forms.")
    text = models.TextField(blank=True)
    url = models.CharField(max_length=300)

    objects = SearchEntryQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="one_search_entry_per_record"
            )
        ]
        verbose_name_plural = "search entries"

    def __str__(self):
        return self.title


class LoginFailureQuerySet(models.QuerySet):
    @transaction.atomic
    def attempt(self, keys, limit, seconds):
        """Count this attempt under each key; True while every count is within limit.

        Each count is one increment under a row lock, checked by its result (like
        Redis INCR), so of any number of concurrent attempts exactly `limit` reach
        the password check. The pause runs `seconds` from the first failure.
        """
        keys = sorted(keys)  # one lock order: concurrent attempts never deadlock
        self.bulk_create([LoginFailure(key=key) for key in keys], ignore_conflicts=True)
        started_after = timezone.now() - timedelta(seconds=seconds)
        allowed = True
        for row in self.select_for_update().filter(key__in=keys).order_by("key"):
            if row.first_at < started_after:
                row.count, row.first_at = 0, timezone.now()
            row.count += 1
            row.save(update_fields=["count", "first_at"])
            allowed = allowed and row.count <= limit
        return allowed

    def forgive(self, keys):
        self.filter(key__in=keys).delete()


class LoginFailure(models.Model):
    """Admin sign-in attempts that did not succeed (yet), counted per key.

    In the database, not the cache: the count holds while Redis is away, and a
    locked row makes each increment atomic on every server.
    """

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(default=timezone.now)

    objects = LoginFailureQuerySet.as_manager()

    def __str__(self):
        return f"{self.key}: {self.count} since {self.first_at:%Y-%m-%d %H:%M:%S}"
