"""Site-wide text and settings: one row per language."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import override

from editorial.models import current_language

from ..content_files import ContentFile
from ..validators import normalize_phone_number, phone_href
from .base import Content
from .pages import Page


class SiteSettings(Content):
    """Site-wide text: one row per language."""

    cache_kind = "site"
    preview_kind = "site"
    preview_template = "treatments/includes/site_content.html"
    # What the About page says of the guide itself (IPDAS: who makes and funds it,
    # its sources, its update policy, why it gives no outcome numbers).
    about_keys = (
        "made_by",
        "funded_by",
        "conflicts_of_interest",
        "early_review",
        "sources",
        "no_numbers",
    )
    prose_keys = ("cta_heading", "cta_text", *about_keys)
    content_file = ContentFile.single(
        "site.toml",
        (
            "site_name",
            "phone_number",
            "cta_heading",
            "cta_text",
            "review_interval_months",
            *about_keys,
        ),
        numbers=("review_interval_months",),
        required=("site_name",),
    )
    diff_labels = {
        "site_name": "Site name",
        "phone_number": "Phone number",
        "cta_heading": "Call-to-action heading",
        "cta_text": "Call-to-action text",
        "made_by": "Who makes the guide",
        "funded_by": "Who funds it",
        "conflicts_of_interest": "Conflicts of interest",
        "early_review": "What triggers an early review",
        "sources": "The sources",
        "no_numbers": "Why there are no outcome numbers",
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
    # "About this guide" (IPDAS: who makes and funds it, conflicts of interest, how
    # it is kept up to date, its sources, and uncertainty in words).
    made_by = models.TextField("who makes the guide", blank=True)
    funded_by = models.TextField("who funds it", blank=True)
    conflicts_of_interest = models.TextField(blank=True)
    early_review = models.TextField(
        "what triggers an early review",
        blank=True,
        help_text="What makes a page be reviewed again before its review is due.",
    )
    sources = models.TextField(
        "the sources", blank=True, help_text="What the guide's content rests on."
    )
    no_numbers = models.TextField(
        "why there are no outcome numbers",
        blank=True,
        help_text="Why the guide gives no numbers on how well options work.",
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
        shown = cls.objects.published_pages(language).derived(
            "shown", lambda: cls.approved_in(language)
        )
        if shown is None:
            return cls().snapshot()
        return cls.keep_offline_copy(shown, language)

    @classmethod
    def approved_in(cls, language):
        """The approved settings a page in this language shows, or None."""
        approved = cls.approved_here_and_in_source(language)
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
    # This process's copy, and the one it last wrote to the cache: a write that failed
    # (the cache away for a moment) is made again on the next read, not taken as done.
    offline_copies = {}
    shared_copies = {}

    @classmethod
    def offline_key(cls, language):
        return f"{cls.OFFLINE_COPY_KEY}:{language}"

    @classmethod
    def keep_offline_copy(cls, snapshot, language, always=False):
        SiteSettings.offline_copies[language] = snapshot
        if always or snapshot != SiteSettings.shared_copies.get(language):
            SiteSettings.shared_copies.pop(language, None)
            try:
                cache.set(cls.offline_key(language), snapshot, None)
            except Exception:
                pass  # the page cache logs cache outages; the next read tries again
            else:
                SiteSettings.shared_copies[language] = snapshot
        return snapshot

    @classmethod
    def offline(cls, language=None):
        """The approved settings without a database query, else the defaults."""
        language = language or current_language()
        try:
            found = cache.get(cls.offline_key(language))
        except Exception:
            found = None
        else:
            if found is None:  # the cache lost it (a restart): written again on a read
                SiteSettings.shared_copies.pop(language, None)
        return found or SiteSettings.offline_copies.get(language) or cls().snapshot()

    def after_publish(self):
        super().after_publish()
        snapshot = self.published_content().content
        language = self.public_language
        transaction.on_commit(
            lambda: self.keep_offline_copy(snapshot, language, always=True)
        )

    def get_absolute_url(self):
        with override(self.public_language):
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
            **self.fields_of("site_name", "phone_number", *self.prose_keys),
            "phone_href": self.phone_href,
        }


def site_contact(database=True):
    """The site name, phone number and call to action the outage page shows, in the
    active language (settings.OUTAGE_CONTACT names this): the approved settings, or
    with `database=False` (it is away) the copy kept aside, read without a query."""
    return SiteSettings.public() if database else SiteSettings.offline()
