"""The treatment guide's content: what editors write and patients read.

Every public page reads its content through `published_content()` on the
record it shows (the one seam the medical review workflow hooks into).
"""

from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from markdownx.models import MarkdownxField

from .collaboration import EditingMark  # noqa: F401  (a model Django must see)
from .explore import validate_fit_rules
from .markdown import render_markdown, validate_markdown
from .review import (  # noqa: F401  (models Django must see)
    AuditEntry,
    Reviewable,
    ReviewableQuerySet,
    ReviewerProfile,
    Revision,
    Specialty,
)
from .sharing import ShareLink  # noqa: F401  (a model Django must see)
from .validators import PlainTextMixin, normalize_phone_number, phone_href


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


class SiteSettings(PlainTextMixin, Reviewable):
    """Site-wide text: there is exactly one row (pk=1)."""

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
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self):
        return "Site settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """The saved settings, or the defaults when none are saved (without writing)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @classmethod
    def public(cls):
        """What every page shows: the approved settings, else the built-in defaults."""
        settings = cls.objects.published().filter(pk=1).first()
        if settings is not None:
            return cls.keep_offline_copy(settings.live_revision.snapshot)
        return cls(pk=1).snapshot()

    # The outage page shows the approved phone number without a query: the cache holds
    # the approved copy for every process, and each process keeps the one it last read
    # for when the cache is away too.
    OFFLINE_COPY_KEY = "site-settings:approved"
    offline_copy = None

    @classmethod
    def keep_offline_copy(cls, snapshot, always=False):
        if always or snapshot != SiteSettings.offline_copy:
            SiteSettings.offline_copy = snapshot
            try:
                cache.set(cls.OFFLINE_COPY_KEY, snapshot, None)
            except Exception:
                pass  # the page cache logs cache outages; this copy is a nicety
        return snapshot

    @classmethod
    def offline(cls):
        """The approved settings without a database query, else the defaults."""
        try:
            found = cache.get(cls.OFFLINE_COPY_KEY)
        except Exception:
            found = None
        return found or SiteSettings.offline_copy or cls(pk=1).snapshot()

    def after_publish(self):
        super().after_publish()
        snapshot = self.live_revision.snapshot
        transaction.on_commit(lambda: self.keep_offline_copy(snapshot, always=True))

    def get_absolute_url(self):
        return reverse("treatments:home")

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


class Page(PlainTextMixin, Reviewable):
    """A standalone text page: the home page overview and the policy page."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=120)
    summary = models.CharField(
        max_length=200, help_text="One plain sentence, used as the page description."
    )
    body = MarkdownxField(
        help_text="Markdown. Use ## for headings; the title is the page's only h1.",
        validators=[validate_markdown],
    )
    body_html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    @property
    def reviewed_by_label(self):
        # The policy and privacy pages say how we work, not what medicine says.
        if self.public_slug in ("policy", "privacy"):
            return "Reviewed for accuracy by"
        return super().reviewed_by_label

    def get_absolute_url(self):
        if self.public_slug in ("policy", "privacy"):
            return reverse(f"treatments:{self.public_slug}")
        return reverse("treatments:home")

    def snapshot(self):
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "body_html": self.body_html,
        }


class SideEffect(SharedRecord, Reviewable):
    """A possible side effect, shared by every treatment that can cause it."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(help_text="What it means, in everyday words.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:side-effect", args=[self.public_slug])

    def pages_showing(self):
        return self.treatments.all()

    def snapshot(self):
        return {"slug": self.slug, "name": self.name, "description": self.description}


class GlossaryTerm(PlainTextMixin, Reviewable):
    """A hard word our pages use, with a plain definition."""

    slug = models.SlugField(unique=True)
    term = models.CharField(max_length=80)
    also_matches = models.JSONField(
        default=list,
        blank=True,
        help_text="Other forms of the word that should link here, e.g. “metastatic”.",
    )
    definition = models.TextField(help_text="One or two plain sentences.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("treatments:glossary") + f"#term-{self.public_slug}"

    def snapshot(self):
        return {
            "slug": self.slug,
            "term": self.term,
            "also_matches": list(self.also_matches),
            "definition": self.definition,
        }


class Drug(SharedRecord):
    slug = models.SlugField(unique=True)
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


class TreatmentQuerySet(ReviewableQuerySet):
    def with_parts(self):
        return self.prefetch_related(
            "procedures",
            "questions",
            "drugs",
            "side_effects",
        )


class Treatment(PlainTextMixin, Reviewable):
    """One treatment option, e.g. surgery or hormone therapy."""

    slug = models.SlugField(
        unique=True, help_text="The page address: /treatments/<slug>/."
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
    updated_at = models.DateTimeField(auto_now=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name = "treatment"
        verbose_name_plural = "treatments"

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
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


class SearchEntryQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(kind=record._meta.model_name, object_id=record.pk)


class SearchEntry(models.Model):
    """Published content, flattened for search. Rebuilt when a record is published."""

    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
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
