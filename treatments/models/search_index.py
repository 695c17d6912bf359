"""Published content, flattened for search (treatments/search.py reads it)."""

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import connection, models
from django.db.models import F, Func
from django.utils.translation import override

from editorial.models import current_language, language_field


class Unaccent(Func):
    function = "unaccent"


def search_config(language):
    """(PostgreSQL text-search configuration, whether accents are ignored)."""
    setup = settings.SEARCH_CONFIGS.get(language) or {"config": "simple"}
    return setup["config"], setup.get("unaccent", False)


def searched_column(name, language):
    return Unaccent(F(name)) if search_config(language)[1] else F(name)


def document_vector(language):
    """What PostgreSQL's full-text search reads of an entry: its title and keywords
    (weight A) and text (weight C), in its language's configuration."""
    config, _ = search_config(language)
    return (
        SearchVector(searched_column("title", language), weight="A", config=config)
        + SearchVector(searched_column("keywords", language), weight="A", config=config)
        + SearchVector(searched_column("text", language), weight="C", config=config)
    )


class SearchEntryQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(kind=record._meta.model_name, object_id=record.pk)

    def refresh(self, record):
        """Make the record's entry say what its published content says (or remove it)."""
        page = record.published_content()
        with override(record.public_language):
            document = record.search_document(page.content) if page else None
        if document is None:
            self.for_record(record).delete()
            return
        entry, _ = self.update_or_create(
            kind=record._meta.model_name,
            object_id=record.pk,
            defaults={
                **document,
                "language": record.public_language,
                "url": record.get_absolute_url(),
            },
        )
        self.filter(pk=entry.pk).store_vectors()

    def store_vectors(self):
        """Work out each entry's full-text vector once, when it is written, rather
        than on every search (PostgreSQL only; SQLite's search reads the text)."""
        if connection.vendor != "postgresql":
            return
        for language in self.values_list("language", flat=True).distinct():
            self.filter(language=language).update(vector=document_vector(language))

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
    weight = models.FloatField(
        default=1.0,
        help_text="How much a match here counts: word meanings less than the pages "
        "they explain.",
    )
    about_the_guide = models.BooleanField(
        default=False,
        help_text="A page about how the guide works (policy, privacy): listed after "
        "the guide's content unless the query names it.",
    )
    url = models.CharField(max_length=300)
    # title, keywords and text as PostgreSQL's full-text search reads them.
    vector = SearchVectorField(null=True, editable=False)

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
