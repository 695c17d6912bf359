"""Content written in several languages (settings.LANGUAGES): a translation names
the source-language record it translates and the source's revision it says the same
as, and is never silently behind it. (Wagtail keeps its TranslatableMixin in its
core the same way.)"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import (
    get_language,
    get_language_info,
    get_supported_language_variant,
    pgettext_lazy,
)

from .revisions import Revision, optional_reference


def current_language():
    """The active language as one of settings.LANGUAGES ("en", "es")."""
    try:
        return get_supported_language_variant(get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


# How a sentence names a language ("the English version", "la versión en inglés").
LANGUAGE_IN_SENTENCE = {
    "en": pgettext_lazy("language name in a sentence", "English"),
    "es": pgettext_lazy("language name in a sentence", "Spanish"),
}


def language_in_sentence(code):
    return LANGUAGE_IN_SENTENCE.get(code) or get_language_info(code)["name_translated"]


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


def published_in_language(language):
    """A query on records' live revisions: those written in `language`. A revision
    names its language unless it is the source language's (whose revisions from
    before languages were added name none)."""
    if language == settings.LANGUAGE_CODE:
        return Q(live_revision__snapshot__language=language) | Q(
            live_revision__snapshot__language__isnull=True
        )
    return Q(live_revision__snapshot__language=language)


class TranslatableQuerySet(models.QuerySet):
    def in_language(self, language=None):
        """Records whose working copy is in this language (default: the active one):
        for editors. What patients see is `published_in`."""
        return self.filter(language=language or current_language())

    def published_in(self, language=None):
        """Published records whose live revision is in this language (default: the
        active one): whatever a draft says, patients read what a reviewer signed."""
        return self.published().filter(
            published_in_language(language or current_language())
        )

    def out_of_date(self):
        """Published translations whose source had a newer revision approved since
        the revision they were translated from."""
        behind = [
            record.pk
            for record in self.published().filter(
                live_revision__snapshot__translation_of__isnull=False
            )
            if record.is_out_of_date
        ]
        return self.filter(pk__in=behind)


class TranslatableMixin(models.Model):
    """A reviewable record in one of the site's languages, maybe a translation.

    Its language and the record it translates decide where patients read it: both
    are in every revision's snapshot, so changing either is a change a reviewer signs,
    and everything patients see reads them from the live revision.
    """

    language = language_field()
    translation_of = translation_of_field()
    source_revision = optional_reference(
        Revision,
        verbose_name="translated from revision",
        help_text="For a translation: the source page's revision this text says the "
        "same as. Set it to the source's published revision when you bring the "
        "translation up to date.",
    )

    class Meta:
        abstract = True

    @property
    def is_translation(self):
        return self.translation_of_id is not None

    def revision_snapshot(self):
        snapshot = self.snapshot()
        # A source in the source language names neither (its revisions from before
        # languages were added name none, and their content hashes stay as they were).
        if self.is_translation or self.language != settings.LANGUAGE_CODE:
            snapshot["language"] = self.language
        if self.is_translation:
            snapshot["translation_of"] = self.translation_of_id
            snapshot["source_revision"] = self.source_revision_id
        return snapshot

    def restore_fields(self, snapshot):
        super().restore_fields(snapshot)
        self.language = snapshot.get("language") or settings.LANGUAGE_CODE
        self.translation_of_id = snapshot.get("translation_of")
        self.source_revision_id = snapshot.get("source_revision")

    # What patients see: read from the live revision ---------------------------------

    @property
    def public_language(self):
        """The language patients read this record in: its live revision's (its
        working copy's before anything is published)."""
        if self.live_revision_id is None:
            return self.language
        return self.live_revision.language

    @property
    def public_source_id(self):
        """The record the live revision translates (None for a source)."""
        if self.live_revision_id is None:
            return self.translation_of_id
        return self.live_revision.snapshot.get("translation_of")

    @property
    def public_source(self):
        """The record the live revision translates (None for a source)."""
        source_id = self.public_source_id
        if source_id is None:
            return None
        if source_id == self.translation_of_id:
            return self.translation_of  # loaded with published records
        return type(self).objects.get(pk=source_id)

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
        if self.live_revision_id is None or self.public_source_id is None:
            return False
        source_live = self.public_source.live_revision_id
        made_from = self.published_source_revision_id
        return source_live is not None and (
            made_from is None or source_live > made_from
        )

    def source_update_notice(self):
        """What the patient is told when the source was updated after this
        translation: where to read it ({code, language_name, url}); else None."""
        if not self.is_out_of_date:
            return None
        source = self.public_source
        return {
            "code": source.public_language,
            "language_name": language_in_sentence(source.public_language),
            "url": source.get_absolute_url(),
        }

    def translation_in(self, language):
        """This record as patients read it in `language` (itself, its source or a
        sibling translation), published; None when there is none."""
        if self.public_language == language:
            return self
        published = type(self).objects.published_in(language)
        source = self.public_source
        if source is None:
            return published.filter(
                live_revision__snapshot__translation_of=self.pk
            ).first()
        if source.live_revision_id and source.public_language == language:
            return source
        return published.filter(
            live_revision__snapshot__translation_of=source.pk
        ).first()
