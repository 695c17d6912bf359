"""Moving content between the content/ files and the database."""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from .content_files import ContentBundle
from .models import (
    Drug,
    GlossaryTerm,
    Page,
    Procedure,
    Question,
    SideEffect,
    SiteSettings,
    Treatment,
)


@dataclass
class ImportReport:
    """What an import did, per kind of record: created / updated / unchanged."""

    counts: Counter = field(default_factory=Counter)
    changed: list = field(default_factory=list)

    def record(self, kind, outcome, label):
        self.counts[outcome] += 1
        if outcome != "unchanged":
            self.changed.append((kind, outcome, label))

    def summary(self):
        return (
            f"{self.counts['created']} created, {self.counts['updated']} updated, "
            f"{self.counts['unchanged']} unchanged"
        )


def sync_fields(instance, values: dict) -> bool:
    """Set fields on an instance; return True when any value differs."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def upsert(model, language, slug, values):
    """Return (instance, outcome) after creating or updating the record for slug."""
    instance = model.objects.filter(language=language, slug=slug).first()
    if instance is None:
        return (
            model.objects.create(language=language, slug=slug, **values),
            "created",
        )
    if sync_fields(instance, values):
        instance.save()
        return instance, "updated"
    return instance, "unchanged"


def save_revision(record, user):
    """A new revision when the draft changed. A translation whose text changed is
    taken to say what its source's latest revision says (the files are written
    together); an unchanged translation keeps the source revision it had."""
    if record.is_translation:
        latest = record.latest_revision
        unchanged = latest is not None and all(
            latest.snapshot.get(key) == value
            for key, value in record.snapshot().items()
        )
        if not unchanged or record.source_revision_id is None:
            source = type(record).objects.get(pk=record.translation_of_id)
            record.source_revision_id = source.latest_revision_id
            type(record).objects.filter(pk=record.pk).update(
                source_revision_id=record.source_revision_id
            )
    return record.save_revision(user)


def without(record, *keys):
    return {key: value for key, value in record.items() if key not in keys}


@transaction.atomic
def import_bundle(bundle: ContentBundle, user=None) -> ImportReport:
    """Write a checked bundle and its translations to the database; all of it or
    (on error) none of it."""
    report = ImportReport()
    import_language(bundle, settings.LANGUAGE_CODE, report, user)
    for code, translation in bundle.translations.items():
        import_language(translation, code, report, user)
    return report


def source_of(model, language, slug):
    """The source-language record a translation translates (None for the source)."""
    if language == settings.LANGUAGE_CODE:
        return None
    return model.objects.get(language=settings.LANGUAGE_CODE, slug=slug)


def import_language(bundle, language, report, user):
    where = "" if language == settings.LANGUAGE_CODE else f" ({language})"
    site = SiteSettings.load(language)
    existed = site.pk is not None
    values = dict(bundle.site)
    if language != settings.LANGUAGE_CODE:
        values["translation_of"] = SiteSettings.load(settings.LANGUAGE_CODE)
    if sync_fields(site, values) or not existed:
        site.save()
        outcome = "updated" if existed else "created"
        report.record("site settings", outcome, "site" + where)
    else:
        report.record("site settings", "unchanged", "site" + where)
    save_revision(site, user)

    by_kind = {}
    for model, records in (
        (SideEffect, bundle.side_effects),
        (Drug, bundle.drugs),
    ):
        by_kind[model] = {}
        for record in records:
            values = without(record, "slug")
            if language != settings.LANGUAGE_CODE:
                values["translation_of"] = source_of(model, language, record["slug"])
            instance, outcome = upsert(model, language, record["slug"], values)
            by_kind[model][record["slug"]] = instance
            report.record(model._meta.verbose_name, outcome, record["slug"] + where)
    for side_effect in by_kind[SideEffect].values():
        save_revision(side_effect, user)

    for record in bundle.glossary:
        values = without(record, "slug")
        if language != settings.LANGUAGE_CODE:
            values["translation_of"] = source_of(GlossaryTerm, language, record["slug"])
        term, outcome = upsert(GlossaryTerm, language, record["slug"], values)
        save_revision(term, user)
        report.record("glossary term", outcome, record["slug"] + where)

    for record in bundle.pages:
        values = without(record, "slug", "path")
        if "translation_of" in record:
            values["translation_of"] = source_of(
                Page, language, record["translation_of"]
            )
        page, outcome = upsert(Page, language, record["slug"], values)
        save_revision(page, user)
        report.record("page", outcome, record["slug"] + where)

    for record in bundle.treatments:
        report.record(
            "treatment",
            import_treatment(record, language, by_kind, user),
            record["slug"] + where,
        )


def import_treatment(record, language, by_kind, user) -> str:
    treatment = Treatment.objects.filter(language=language, slug=record["slug"]).first()
    before = treatment.snapshot() if treatment else None
    previous_specialty = treatment.review_specialty if treatment else None
    fields = without(
        record,
        "slug",
        "translation_of",
        "path",
        "specialty",
        "drugs",
        "side_effects",
        "questions",
        "procedures",
    )
    fields["review_specialty"] = record["specialty"]
    if "translation_of" in record:
        fields["translation_of"] = source_of(
            Treatment, language, record["translation_of"]
        )
    if treatment is None:
        treatment = Treatment(language=language, slug=record["slug"])
    sync_fields(treatment, fields)
    treatment.save()
    treatment.drugs.set([by_kind[Drug][slug] for slug in record["drugs"]])
    treatment.side_effects.set(
        [by_kind[SideEffect][slug] for slug in record["side_effects"]]
    )

    treatment.questions.all().delete()
    Question.objects.bulk_create(
        Question(treatment=treatment, text=text, order=n)
        for n, text in enumerate(record["questions"])
    )
    treatment.procedures.all().delete()
    Procedure.objects.bulk_create(
        Procedure(
            treatment=treatment,
            name=item["name"],
            description=item["description"],
            fits=item["fits"],
            order=n,
        )
        for n, item in enumerate(record["procedures"])
    )

    treatment = Treatment.objects.get(pk=treatment.pk)
    after = treatment.snapshot()
    save_revision(treatment, user)
    if before is None:
        return "created"
    changed = after != before or treatment.review_specialty != previous_specialty
    return "updated" if changed else "unchanged"


def slugs(related):
    return sorted(item.slug for item in related.all())


def with_unless(fit):
    return {
        "when": fit["when"],
        "unless": fit.get("unless", []),
        "reason": fit["reason"],
    }


def export_bundle() -> ContentBundle:
    """Read the database's editable content, every language, into a bundle for
    writing to files."""
    bundle = export_language(settings.LANGUAGE_CODE)
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE and Treatment.objects.filter(language=code):
            bundle.translations[code] = export_language(code)
    return bundle


def translation(record, values):
    """The record's file fields, `translation_of` second, for a translation."""
    if not record.is_translation:
        return values
    slug, *rest = values.items()
    return dict([slug, ("translation_of", record.translation_of.slug), *rest])


def export_language(language) -> ContentBundle:
    site = SiteSettings.load(language)
    bundle = ContentBundle(
        language=language,
        site={
            "site_name": site.site_name,
            "phone_number": site.phone_number,
            "cta_heading": site.cta_heading,
            "cta_text": site.cta_text,
            "review_interval_months": site.review_interval_months,
        },
    )
    bundle.pages = [
        translation(
            p, {"slug": p.slug, "title": p.title, "summary": p.summary, "body": p.body}
        )
        for p in Page.objects.filter(language=language).order_by("slug")
    ]
    bundle.side_effects = [
        {"slug": s.slug, "name": s.name, "description": s.description}
        for s in SideEffect.objects.filter(language=language).order_by("slug")
    ]
    bundle.drugs = [
        without(d.snapshot())
        for d in Drug.objects.filter(language=language).order_by("slug")
    ]
    bundle.glossary = [
        without(t.snapshot())
        for t in GlossaryTerm.objects.filter(language=language).order_by("slug")
    ]
    treatments = Treatment.objects.filter(language=language).with_parts()
    for treatment in treatments.order_by("order", "slug"):
        bundle.treatments.append(
            translation(
                treatment,
                {
                    "slug": treatment.slug,
                    "title": treatment.title,
                    "summary": treatment.summary,
                    "order": treatment.order,
                    "specialty": treatment.review_specialty,
                    "key_points": treatment.key_points,
                    "aims": treatment.aims,
                    "how_given": treatment.how_given,
                    "hospital_stay": treatment.hospital_stay,
                    "also_ask": treatment.also_ask,
                    "fits": [with_unless(fit) for fit in treatment.fits],
                    "drugs": slugs(treatment.drugs),
                    "side_effects": slugs(treatment.side_effects),
                    "questions": [q.text for q in treatment.questions.all()],
                    "procedures": [
                        {
                            "name": p.name,
                            "description": p.description,
                            "fits": [with_unless(fit) for fit in p.fits],
                        }
                        for p in treatment.procedures.all()
                    ],
                    "body": treatment.body,
                },
            )
        )
    return bundle
