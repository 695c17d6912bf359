"""The explorer's questions: reviewed content, one record per language.

Everything that frames a patient's situation in "Find my options" (each question,
its answers, how an answer reads back, its help text, which answers contradict) is
written in content/questions.toml and signed off by a medical reviewer like any page.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import override

from editorial.models import current_language
from netguide.page_cache import remembered

from ..content_files import ContentError, ContentFile, toml_table
from ..explore import QuestionSet, SituationForm, validate_questions
from .base import Content


def question_tables(record) -> str:
    """questions.toml as its writer lays it out (import then export is byte for byte)."""
    parts = []
    for question in record["questions"]:
        keys = ["name", "label"] + (["help"] if "help" in question else [])
        parts.append("[[questions]]\n" + toml_table(question, keys))
        for answer in question["answers"]:
            parts.append(
                "[[questions.answers]]\n"
                + toml_table(answer, ("value", "label", "said"))
            )
    for pair in record["contradictions"]:
        parts.append("[[contradictions]]\n" + toml_table(pair, ("answers",)))
    for item in record["matters"]:
        parts.append("[[matters]]\n" + toml_table(item, ("key", "label")))
    return "\n".join(parts)


class SituationQuestions(Content):
    """The questions of "Find my options", their answers and help, per language."""

    cache_kind = "explorer-questions"
    preview_kind = "explorer-questions"
    preview_template = "treatments/includes/situation_questions_content.html"
    template_name = "treatments/explore.html"
    prose_keys = ("label", "help", "said")  # "label" covers what matters too
    diff_labels = {
        "questions": "Questions",
        "contradictions": "Answers that cannot both be true",
        "matters": "What matters to me",
    }
    content_file = ContentFile.single(
        "questions.toml", (), nested=("questions", "contradictions", "matters")
    )

    questions = models.JSONField(
        default=list,
        help_text="Each question: name, label, help, and its answers (value, label, "
        "and “said”, how it reads back after “You said”). Every question has a "
        "“not-sure” answer.",
    )
    contradictions = models.JSONField(
        default=list,
        blank=True,
        help_text='Pairs of answers that cannot both be true, e.g. {"answers": '
        '["extent=localized", "liver=yes"]}: the patient is asked to check them.',
    )
    matters = models.JSONField(
        "what matters to me",
        default=list,
        blank=True,
        help_text='What a patient may weigh as they decide, e.g. {"key": '
        '"no-operation", "label": "Avoiding an operation"}: they mark how much each '
        "matters to them; nothing is ever computed from it.",
    )

    class Meta:
        verbose_name = "explorer questions"
        verbose_name_plural = "explorer questions"
        constraints = [
            models.UniqueConstraint(
                fields=["language"], name="one_question_set_per_language"
            )
        ]

    def __str__(self):
        if self.language == settings.LANGUAGE_CODE:
            return "Explorer questions"
        return f"Explorer questions ({self.get_language_display()})"

    @classmethod
    def title_of(cls, snapshot):
        return "Explorer questions"

    def get_absolute_url(self):
        with override(self.public_language):
            return reverse("treatments:explore")

    def clean(self):
        super().clean()
        try:
            validate_questions(self.questions, self.contradictions, self.matters)
        except ValueError as error:
            raise ValidationError({"questions": str(error)}) from None

    def snapshot(self):
        return {
            "questions": list(self.questions),
            "contradictions": list(self.contradictions),
            "matters": list(self.matters),
        }

    @classmethod
    def statement_texts(cls, snapshot):
        """Each question's help and each "what matters" item: what a patient reads
        that could say something medical (answers only name a situation)."""
        return [
            (f"Help for “{question['label']}”", question["help"], False)
            for question in snapshot.get("questions", [])
            if question.get("help")
        ] + [
            (f"What matters {n}", item["label"], False)
            for n, item in enumerate(snapshot.get("matters", []), 1)
        ]

    @classmethod
    def diff_item_text(cls, key, item):
        if key == "questions":
            lines = [f"Question: {item['label']}"]
            if item.get("help"):
                lines.append(f"Help: {item['help']}")
            lines += [
                f"Answer: {answer['label']} (reads back: “You said {answer['said']}”)"
                for answer in item["answers"]
            ]
            return "\n".join(lines)
        if key == "contradictions":
            return " cannot be true with ".join(item["answers"])
        if key == "matters":
            return item["label"]
        return super().diff_item_text(key, item)

    # In content/: questions.toml -------------------------------------------------

    @classmethod
    def checked_file_record(cls, path, record, raw, bundle):
        questions = raw.get("questions", [])
        contradictions = raw.get("contradictions", [])
        matters = raw.get("matters", [])
        try:
            validate_questions(questions, contradictions, matters)
        except ValueError as error:
            raise ContentError(path, str(error)) from None
        return {
            **record,
            "questions": questions,
            "contradictions": contradictions,
            "matters": matters,
        }

    @classmethod
    def nested_tables(cls, record):
        return question_tables(record)

    def file_record(self):
        return {
            **super().file_record(),
            "questions": self.questions,
            "contradictions": self.contradictions,
            "matters": self.matters,
        }

    # What the explorer asks ---------------------------------------------------------

    @classmethod
    def public(cls, language=None):
        """The approved questions in a language (else the source language's), as a
        QuestionSet: empty until a reviewer has approved some. Every explorer page
        reads them."""
        language = language or current_language()
        # In the cache too: the page cache reads them to normalize an explorer
        # address, and a cache hit makes no query.
        return remembered(
            f"explorer-questions:{language}",
            [cls.cache_kind],
            lambda: cls.objects.published_pages(language).derived(
                "questions",
                lambda: QuestionSet.from_content(cls.approved_in(language)),
            ),
        )

    @classmethod
    def approved_in(cls, language):
        """The approved questions a page in this language asks, or None."""
        approved = cls.approved_here_and_in_source(language)
        return approved.get(language) or approved.get(settings.LANGUAGE_CODE)

    @staticmethod
    def question_set(record):
        """A record as read from its file, as a QuestionSet."""
        return QuestionSet.from_content(record)

    @classmethod
    def draft_in(cls, language=None):
        """The latest questions as editors wrote them (approved or not), to check fit
        rules against and to name answers in plain words on the review screen."""
        record = cls.objects.filter(language=language or settings.LANGUAGE_CODE).first()
        if record is None and language != settings.LANGUAGE_CODE:
            record = cls.objects.filter(language=settings.LANGUAGE_CODE).first()
        return QuestionSet.from_content(record.snapshot() if record else None)

    def page_context(self, request, page):
        # A preview shows the explorer's first screen asking these questions.
        treatments = apps.get_model("treatments", "Treatment").objects
        return {
            "form": SituationForm(QuestionSet.from_content(page.content)),
            "all_treatments": treatments.published_pages(),
        }
