"""The treatment family: treatments with their procedures and questions, and the
drugs and possible side effects they show."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from markdownx.models import MarkdownxField

from editorial.evidence import without_marks
from editorial.models import language_field, translation_of_field

from ..content_files import (
    ContentError,
    ContentFile,
    check_references,
    require,
    toml_table,
)
from ..explore import validate_fit_rules
from ..markdown import html_text, validate_markdown
from ..structured_data import canonical_url, medical_web_page, treatment_page
from ..validators import PlainTextMixin
from .base import (
    Content,
    ContentQuerySet,
    RendersMarkdown,
    SharedRecord,
    SharedRecordQuerySet,
    Specialty,
    one_slug_per_language,
)
from .glossary import rendered_with_terms
from .situation import SituationQuestions

# A compare cell this many times the longest of the other options' is flagged.
LONGER_THAN_THE_REST = 2

FIT_RULES_HELP = (
    "Which answers in “Find my options” make this fit, reviewed with the page. A list "
    'of rules like {"when": ["extent=spread", "hormones=yes"], "reason": "…"}: a rule '
    "applies when every “when” answer was given and no “unless” answer was. The "
    "reason is shown to the patient after the answers it rests on."
)


def fit_text(fit, label="When it may be used", questions=None):
    """A fit rule as a reviewer reads it: the answers (as the questions read them
    back), then what the patient is told."""
    questions = questions or SituationQuestions.draft_in()

    def said(item):
        return questions.said(*item.partition("=")[::2])

    when = " and ".join(said(item) for item in fit["when"])
    unless = " or ".join(said(item) for item in fit.get("unless", []))
    condition = f"if {when}" + (f", unless {unless}" if unless else "")
    return f"{label} ({condition}): {fit['reason']}"


def fit_rules_validator(rules):
    """The answers a rule names must be the explorer's (the source language's
    questions: every language's have the same names and answers)."""
    try:
        validate_fit_rules(rules, SituationQuestions.draft_in() or None)
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


# A procedure in a treatment's file, and the fit rules of either.
PROCEDURE_FILE = ContentFile.folder(
    "", ("name", "description"), required=("name",), nested=("fits",)
)
FIT_KEYS = ("when", "unless", "reason")


def read_fits(path, table, where, bundle):
    """The [[fits]] rules of a treatment or procedure, checked against the questions
    in the same folder (content/questions.toml), when it has them."""
    fits = table.get("fits", [])
    questions = bundle.of(SituationQuestions)
    try:
        validate_fit_rules(
            fits, SituationQuestions.question_set(questions[0]) if questions else None
        )
    except ValueError as error:
        raise ContentError(path, f"{where}{error}") from None
    return [with_unless(fit) for fit in fits]


def with_unless(fit):
    return {
        "when": fit["when"],
        "unless": fit.get("unless", []),
        "reason": fit["reason"],
    }


def fit_tables(name, fits) -> str:
    # "unless" is written only where a rule has one.
    return "".join(
        f"\n[[{name}]]\n"
        + toml_table(fit, [k for k in FIT_KEYS if k != "unless" or fit["unless"]])
        for fit in fits
    )


class SideEffect(SharedRecord, Content):
    """A possible side effect, shared by every treatment that can cause it."""

    cache_kind = "side-effects"
    preview_kind = "side-effect"
    preview_template = "treatments/includes/side_effect_content.html"
    template_name = "treatments/side_effect_page.html"
    url_name = "treatments:side-effect"
    prose_keys = ("name", "description")
    diff_labels = {"name": "Name", "description": "Description"}
    statement_keys = {"description": "text"}
    in_sitemap = True
    content_file = ContentFile.records(
        "side-effects.toml",
        "side_effects",
        ("slug", "name", "description"),
        required=("slug", "name"),
    )

    slug = models.SlugField(
        help_text="The page address. A translation keeps its source's slug."
    )
    name = models.CharField(max_length=80)
    description = models.TextField(help_text="What it means, in everyday words.")

    class Meta:
        ordering = ["name"]
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.name

    def pages_showing(self):
        return self.treatments.all()

    def snapshot(self):
        return self.fields_of("slug", "name", "description")

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


class Drug(SharedRecord):
    content_file = ContentFile.records(
        "drugs.toml",
        "drugs",
        ("slug", "brand_name", "generic_name", "how_given", "description"),
        required=("slug", "brand_name", "generic_name"),
    )

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
        constraints = [one_slug_per_language()]

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


class Treatment(RendersMarkdown, Content):
    """One treatment option, e.g. surgery or hormone therapy."""

    cache_kind = "treatments"
    preview_kind = "treatment"
    preview_template = "treatments/includes/treatment_content.html"
    template_name = "treatments/treatment_page.html"
    url_name = "treatments:treatment"
    # The option's own words in Compare's cells (COMPARE_CELLS says all of them).
    compare_texts = ("aims", "how_given", "hospital_stay", "to_think_about")
    prose_keys = (
        "title",
        "summary",
        "body",
        "key_points",
        *compare_texts,
        "also_ask",
        "questions",
        # procedures, drugs and side effects, and the reasons of fit rules
        "name",
        "description",
        "reason",
    )
    diff_labels = {
        "title": "Title",
        "summary": "Summary",
        "order": "Position",
        "aims": "What it aims to do",
        "how_given": "How it is given",
        "hospital_stay": "Hospital stay",
        "to_think_about": "What to think about",
        "also_ask": "Worth asking about for everyone",
        "key_points": "Key points",
        "body": "Page text",
        "fits": "When it may be used",
        "procedures": "Procedures and types",
        "drugs": "Medicines",
        "side_effects": "Possible side effects",
        "questions": "Questions to ask",
    }
    statement_keys = {
        "key_points": "list",
        "body": "markdown",
        "aims": "text",
        "how_given": "text",
        "hospital_stay": "text",
        "to_think_about": "text",
        "also_ask": "text",
    }
    in_sitemap = True
    sitemap_priority = 0.9
    content_file = ContentFile.folder(
        "treatments",
        (
            "slug",
            "translation_of",
            "title",
            "summary",
            "order",
            "specialty",
            "key_points",
            *compare_texts,
            "also_ask",
            "drugs",
            "side_effects",
            "questions",
        ),
        numbers=("order",),
        lists=("key_points", "drugs", "side_effects", "questions"),
        required=("slug", "title"),
        nested=("procedures", "fits"),
    )
    content_file_needed = True

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
    to_think_about = models.TextField(
        "what to think about",
        blank=True,
        help_text="For the compare page, under the possible side effects: what our "
        "sources say a patient may want to weigh, e.g. “It usually does not shrink "
        "the tumor.”",
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
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.title

    # In content/: treatments/NN-slug.md ----------------------------------------

    @classmethod
    def checked_file_record(cls, path, record, raw, bundle):
        if record["specialty"] and record["specialty"] not in Specialty.values:
            raise ContentError(path, f"unknown specialty '{record['specialty']}'")
        if not 2 <= len(record["key_points"]) <= 4:
            raise ContentError(path, "'key_points' must hold 2 to 4 points")
        check_references(
            path, record["drugs"], {d["slug"] for d in bundle.of(Drug)}, "drug"
        )
        check_references(
            path,
            record["side_effects"],
            {effect["slug"] for effect in bundle.of(SideEffect)},
            "side effect",
        )
        record["fits"] = read_fits(path, raw, "", bundle)
        procedures = raw.get("procedures", [])
        if not isinstance(procedures, list):
            raise ContentError(
                path, "'procedures' must be a list of [[procedures]] tables"
            )
        record["procedures"] = []
        for n, procedure in enumerate(procedures, 1):
            where = f"procedure {n}: "
            if not isinstance(procedure, dict):
                raise ContentError(path, f"{where}must be a [[procedures]] table")
            checked = require(
                path, procedure, PROCEDURE_FILE, PROCEDURE_FILE.keys, where
            )
            checked["fits"] = read_fits(path, procedure, where, bundle)
            record["procedures"].append(checked)
        return record

    @classmethod
    def file_records(cls, language):
        records = cls.objects.filter(language=language).with_parts()
        return [record.file_record() for record in records.order_by("order", "slug")]

    @classmethod
    def file_name(cls, record):
        return f"{record['order']:02d}-{super().file_name(record)}"

    @classmethod
    def nested_tables(cls, record):
        text = fit_tables("fits", record["fits"])
        for procedure in record["procedures"]:
            text += "\n[[procedures]]\n" + toml_table(procedure, PROCEDURE_FILE.keys)
            text += fit_tables("procedures.fits", procedure["fits"])
        return text

    @classmethod
    def file_values(cls, record):
        values = super().file_values(record)
        for key in ("drugs", "side_effects", "questions", "procedures"):
            del values[key]
        values["review_specialty"] = values.pop("specialty")
        return values

    def import_parts(self, record):
        before = self.parts_snapshot()
        self.set_parts(
            record["drugs"],
            record["side_effects"],
            record["questions"],
            record["procedures"],
        )
        return self.parts_snapshot() != before

    def parts_snapshot(self):
        return {
            "drugs": sorted(self.drugs.values_list("slug", flat=True)),
            "side_effects": sorted(self.side_effects.values_list("slug", flat=True)),
            "questions": list(self.questions.values_list("text", flat=True)),
            "procedures": list(
                self.procedures.values_list("name", "description", "fits")
            ),
        }

    def file_value(self, key):
        if key == "specialty":
            return self.review_specialty
        if key in ("drugs", "side_effects"):
            return sorted(item.slug for item in getattr(self, key).all())
        if key == "questions":
            return [question.text for question in self.questions.all()]
        return super().file_value(key)

    def file_record(self):
        record = super().file_record()
        body = record.pop("body")
        record["fits"] = [with_unless(fit) for fit in self.fits]
        record["procedures"] = [
            {
                "name": procedure.name,
                "description": procedure.description,
                "fits": [with_unless(fit) for fit in procedure.fits],
            }
            for procedure in self.procedures.all()
        ]
        record["body"] = body
        return record

    def restore_related(self, snapshot):
        self.set_parts(
            drugs=[drug["slug"] for drug in snapshot["drugs"]],
            side_effects=[effect["slug"] for effect in snapshot["side_effects"]],
            questions=snapshot["questions"],
            procedures=snapshot["procedures"],
        )

    def set_parts(self, drugs, side_effects, questions, procedures):
        """The drugs and side effects (by slug, in this record's language), the
        questions and the procedures this page shows."""
        self.drugs.set(Drug.objects.filter(language=self.language, slug__in=drugs))
        self.side_effects.set(
            SideEffect.objects.filter(language=self.language, slug__in=side_effects)
        )
        self.questions.all().delete()
        Question.objects.bulk_create(
            Question(treatment=self, text=text, order=n)
            for n, text in enumerate(questions)
        )
        self.procedures.all().delete()
        Procedure.objects.bulk_create(
            Procedure(
                treatment=self,
                name=item["name"],
                description=item["description"],
                fits=item["fits"],
                order=n,
            )
            for n, item in enumerate(procedures)
        )

    def snapshot(self):
        """Everything the public page displays, as plain JSON-ready data."""
        return {
            **self.fields_of("slug", "title", "summary", "body", "body_html", "order"),
            "key_points": list(self.key_points),
            **self.fields_of(*self.compare_texts),
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

    @classmethod
    def statement_texts(cls, snapshot):
        """The fields' statements, then each fit rule's reason, each procedure's
        description and reasons, and each medicine's text."""
        texts = super().statement_texts(snapshot)
        texts += [
            (f"When it may be used {n}", fit["reason"], False)
            for n, fit in enumerate(snapshot.get("fits", []), 1)
        ]
        for procedure in snapshot.get("procedures", []):
            name = procedure["name"]
            texts.append((name, procedure["description"], False))
            texts += [
                (f"{name} may be used {n}", fit["reason"], False)
                for n, fit in enumerate(procedure["fits"], 1)
            ]
        for drug in snapshot.get("drugs", []):
            name = drug["brand_name"]
            texts += [
                (f"{name}: how it is given", drug["how_given"], False),
                (f"{name}: description", drug["description"], False),
            ]
        return [text for text in texts if text[1]]

    @classmethod
    def diff_item_text(cls, key, item):
        if key == "fits":
            return fit_text(item)
        if key == "procedures":
            questions = SituationQuestions.draft_in()
            return "\n".join(
                [f"{item['name']}: {item['description']}"]
                + [
                    fit_text(fit, f"{item['name']} may be used", questions)
                    for fit in item["fits"]
                ]
            )
        if key == "drugs":
            how = f", {item['how_given']}" if item.get("how_given") else ""
            return (
                f"{item['brand_name']} ({item['generic_name']}){how}. "
                f"{item['description']}"
            )
        if key == "side_effects":
            return item["name"]
        return super().diff_item_text(key, item)

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

    # Compare shows these cells for every option: a reviewer is warned when one
    # option's is empty where others' are filled, or much longer than the rest.
    COMPARE_CELLS = {
        "aims": "What it aims to do",
        "how_given": "How it is given",
        "hospital_stay": "Hospital stay",
        "to_think_about": "Possible side effects and what to think about",
        "questions": "Questions to ask",
    }

    def compare_cells(self):
        """Each compare cell's text as this record's draft holds it (marks removed)."""
        cells = {key: without_marks(getattr(self, key)) for key in self.compare_texts}
        cells["to_think_about"] = " ".join(
            [cells["to_think_about"]]
            + [effect.name for effect in self.side_effects.all()]
        ).strip()
        cells["questions"] = " ".join(
            without_marks(question.text) for question in self.questions.all()
        )
        return cells

    def balance_warnings(self):
        """Where this option's compare column is out of balance with the others in
        its language: a cell empty where others are filled, or far longer."""
        others = [
            other.compare_cells()
            for other in Treatment.objects.filter(language=self.language)
            .exclude(pk=self.pk)
            .prefetch_related("side_effects", "questions")
        ]
        mine = self.compare_cells()
        warnings = []
        for key, label in self.COMPARE_CELLS.items():
            filled = [len(cells[key]) for cells in others if cells[key]]
            if not mine[key] and filled:
                warnings.append(
                    f"Compare is out of balance: “{label}” is empty for {self}, while "
                    f"{len(filled)} other option(s) fill it. Patients comparing them "
                    "read “Ask your care team” only here."
                )
            elif filled and len(mine[key]) > LONGER_THAN_THE_REST * max(filled):
                warnings.append(
                    f"Compare is out of balance: “{label}” for {self} is "
                    f"{len(mine[key])} characters, more than {LONGER_THAN_THE_REST} "
                    f"times the longest of the other options ({max(filled)}). A "
                    "longer cell can make one option look weightier."
                )
        return warnings

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
        return {
            "page": page,
            "content_html": rendered_with_terms(
                self.preview_template, page.revision, {"page": page}
            ),
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
