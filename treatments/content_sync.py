"""Moving content between the content/ files and the database."""

from collections import Counter
from dataclasses import dataclass, field

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


def upsert(model, slug, values):
    """Return (instance, outcome) after creating or updating the record for slug."""
    instance = model.objects.filter(slug=slug).first()
    if instance is None:
        return model.objects.create(slug=slug, **values), "created"
    if sync_fields(instance, values):
        instance.save()
        return instance, "updated"
    return instance, "unchanged"


def without(record, *keys):
    return {key: value for key, value in record.items() if key not in keys}


@transaction.atomic
def import_bundle(bundle: ContentBundle, user=None) -> ImportReport:
    """Write a checked bundle to the database; all of it or (on error) none of it."""
    report = ImportReport()

    site = SiteSettings.load()
    existed = SiteSettings.objects.filter(pk=1).exists()
    if sync_fields(site, bundle.site) or not existed:
        site.save()
        report.record("site settings", "updated" if existed else "created", "site")
    else:
        report.record("site settings", "unchanged", "site")
    site.save_revision(user)

    by_kind = {}
    for model, records in (
        (SideEffect, bundle.side_effects),
        (Drug, bundle.drugs),
    ):
        by_kind[model] = {}
        for record in records:
            instance, outcome = upsert(model, record["slug"], without(record, "slug"))
            by_kind[model][record["slug"]] = instance
            report.record(model._meta.verbose_name, outcome, record["slug"])
    for side_effect in by_kind[SideEffect].values():
        side_effect.save_revision(user)

    for record in bundle.glossary:
        term, outcome = upsert(GlossaryTerm, record["slug"], without(record, "slug"))
        term.save_revision(user)
        report.record("glossary term", outcome, record["slug"])

    for record in bundle.pages:
        page, outcome = upsert(Page, record["slug"], without(record, "slug", "path"))
        page.save_revision(user)
        report.record("page", outcome, record["slug"])

    for record in bundle.treatments:
        report.record(
            "treatment", import_treatment(record, by_kind, user), record["slug"]
        )
    return report


def import_treatment(record, by_kind, user) -> str:
    treatment = Treatment.objects.filter(slug=record["slug"]).first()
    before = treatment.snapshot() if treatment else None
    previous_specialty = treatment.review_specialty if treatment else None
    fields = without(
        record,
        "slug",
        "path",
        "specialty",
        "drugs",
        "side_effects",
        "questions",
        "procedures",
    )
    fields["review_specialty"] = record["specialty"]
    if treatment is None:
        treatment = Treatment(slug=record["slug"])
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
    treatment.save_revision(user)
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
    """Read the database's editable content into a bundle for writing to files."""
    site = SiteSettings.load()
    bundle = ContentBundle(
        site={
            "site_name": site.site_name,
            "phone_number": site.phone_number,
            "cta_heading": site.cta_heading,
            "cta_text": site.cta_text,
            "review_interval_months": site.review_interval_months,
        }
    )
    bundle.pages = [
        {"slug": p.slug, "title": p.title, "summary": p.summary, "body": p.body}
        for p in Page.objects.order_by("slug")
    ]
    bundle.side_effects = [
        {"slug": s.slug, "name": s.name, "description": s.description}
        for s in SideEffect.objects.order_by("slug")
    ]
    bundle.drugs = [without(d.snapshot()) for d in Drug.objects.order_by("slug")]
    bundle.glossary = [
        without(t.snapshot()) for t in GlossaryTerm.objects.order_by("slug")
    ]
    for treatment in Treatment.objects.with_parts().order_by("order", "slug"):
        bundle.treatments.append(
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
            }
        )
    return bundle
