"""The words patients type for what the guide says in other words, per language."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import override

from editorial.evidence import MARK

from ..content_files import ContentError, ContentFile
from .base import Content, one_slug_per_language


def ends_with_one_mark(text):
    """The reason is one statement that ends with its evidence mark."""
    marks = MARK.findall(text)
    return len(marks) == 1 and text.rstrip().endswith(marks[0].strip())


class Synonym(Content):
    """Words patients use (“hair falling out”) for words the guide uses (“hair
    loss”). Search reads the approved ones only: a query that holds one of `words`
    is searched with `means` in its place."""

    cache_kind = "synonyms"
    preview_kind = "synonym"
    preview_template = "treatments/includes/synonym_content.html"
    template_name = "treatments/synonym_preview.html"
    prose_keys = ()
    # Patients never read the reason, but it is what makes the synonym true: it cites
    # its passage like any statement, and the reviewer sees it beside the passage.
    statement_keys = {"reason": "text"}
    diff_labels = {
        "means": "The guide's words",
        "words": "Words patients use",
        "reason": "Why they mean the same (with its evidence)",
    }
    content_file = ContentFile.records(
        "synonyms.toml",
        "synonyms",
        ("slug", "means", "words", "reason"),
        lists=("words",),
        required=("slug", "means", "reason"),
    )

    slug = models.SlugField(
        help_text="Names the entry. A translation keeps its source's slug."
    )
    means = models.CharField(
        "the guide's words",
        max_length=80,
        help_text="What the guide calls it, as its pages say it, e.g. “hair loss”.",
    )
    words = models.JSONField(
        "words patients use",
        default=list,
        blank=True,
        help_text="Words or phrases patients type for it, e.g. “hair falling out”.",
    )
    reason = models.TextField(
        help_text="One sentence saying why these words mean the guide's words, "
        "ending with its evidence mark, e.g. [[seed:42]] or [[explains]].",
    )

    class Meta:
        ordering = ["means"]
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.means

    @classmethod
    def title_of(cls, snapshot):
        return snapshot["means"]

    @classmethod
    def checked_file_record(cls, path, record, raw, bundle):
        if not ends_with_one_mark(record["reason"]):
            raise ContentError(
                path,
                f"synonym '{record['slug']}': the reason must end with one "
                "evidence mark, e.g. [[seed:42]] or [[explains]]",
            )
        return record

    def clean(self):
        super().clean()
        if self.reason and not ends_with_one_mark(self.reason):
            raise ValidationError(
                {
                    "reason": "End the sentence with one evidence mark, e.g. "
                    "[[seed:42]] or [[explains]]."
                }
            )

    def get_absolute_url(self):
        """The search for the first of the words, which finds what it means."""
        with override(self.public_language):
            url = reverse("treatments:search")
        words = self.words or [self.means]
        return f"{url}?{urlencode({'q': words[0]})}"

    def snapshot(self):
        return {
            "slug": self.slug,
            "means": self.means,
            "words": list(self.words),
            "reason": self.reason,
        }


def approved_synonyms(language=None):
    """[(words, means)] of the approved synonyms in a language (default: the active
    one), each as its snapshot says."""
    return [
        (page.content["words"], page.content["means"])
        for page in Synonym.objects.published_pages(language)
    ]
