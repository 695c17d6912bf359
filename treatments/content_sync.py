"""Moving content between the content/ files and the database.

Every type with a `content_file` is imported and exported the same way; a type says
how its records differ from the plain case by overriding InContentFolder's hooks.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from editorial.models import Action, Reviewable

from .content_files import ContentBundle, file_slug, file_types


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
        summary = (
            f"{self.counts['created']} created, {self.counts['updated']} updated, "
            f"{self.counts['unchanged']} unchanged"
        )
        if self.counts["conflict"]:
            conflicts = [
                label for _kind, outcome, label in self.changed if outcome == "conflict"
            ]
            summary += (
                f"; {self.counts['conflict']} not imported, because they were changed "
                f"in the admin since: {', '.join(conflicts)} (the files and the "
                "admin's versions both stay as they are)"
            )
        return summary


def sync_fields(instance, values: dict) -> bool:
    """Set fields on an instance; return True when any value differs."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


class InContentFolder:
    """What a model with a `content_file` (treatments/content_files.py) does on
    import and export. The plain case: each file key is a field of the same name;
    a Markdown record's text is its `body`; a translation names its source."""

    content_file = None
    # The type's folder must hold at least one record (each language's).
    content_file_needed = False
    # The order records are written in.
    content_file_order = ("slug",)

    # Reading (the content/ files) ----------------------------------------------

    @classmethod
    def checked_file_record(cls, path, record, raw, bundle):
        """A record read from `path`, checked beyond its keys' kinds; `raw` holds its
        nested tables, `bundle` the types read before it in the same folder."""
        return record

    @classmethod
    def file_name(cls, record):
        return f"{file_slug(record)}.md"

    @classmethod
    def nested_tables(cls, record):
        """The front matter's [[tables]] after the keys (TOML text)."""
        return ""

    # Importing ----------------------------------------------------------------------

    @classmethod
    def file_values(cls, record):
        """The record's field values, but its identity (slug, language, source)."""
        values = {
            key: value
            for key, value in record.items()
            if key not in ("slug", "translation_of", "path")
        }
        return values

    @classmethod
    def source_of(cls, record, language):
        """The source-language record a translation translates."""
        spec = cls.content_file
        source = cls.objects.filter(language=settings.LANGUAGE_CODE)
        if spec.is_single:
            return source.get()
        return source.get(slug=record[spec.translates_by])

    @classmethod
    def import_file_record(cls, record, language):
        """Create or update the record; return (instance, created, changed)."""
        values = cls.file_values(record)
        if language != settings.LANGUAGE_CODE:
            values["translation_of"] = cls.source_of(record, language)
        lookup = {"language": language}
        if not cls.content_file.is_single:
            lookup["slug"] = record["slug"]
        instance = cls.objects.filter(**lookup).first()
        created = instance is None
        if created:
            instance = cls(**lookup)
        changed = sync_fields(instance, values)
        if created or changed:
            instance.save()
        changed = instance.import_parts(record) or changed
        return instance, created, changed

    def import_parts(self, record):
        """After the record is saved: parts kept in other tables. True if any
        changed."""
        return False

    # Exporting ----------------------------------------------------------------------

    @classmethod
    def file_records(cls, language):
        records = cls.objects.filter(language=language)
        if not cls.content_file.is_single:
            records = records.order_by(*cls.content_file_order)
        return [record.file_record() for record in records]

    def file_record(self):
        """This record as its file holds it, keys in the file's order."""
        spec = self.content_file
        values = {}
        for key in spec.keys_for(self.language):
            if key == "translation_of":
                values[key] = self.translation_of.slug
            else:
                values[key] = self.file_value(key)
        if spec.markdown:
            values["body"] = self.body
        return values

    def file_value(self, key):
        return getattr(self, key)


def save_revision(record, user):
    """A new revision, in the importer's name and marked as imported, when the draft
    changed. A translation whose text changed is taken to say what its source's
    latest revision says (the files are written together); an unchanged translation
    keeps the source revision it had."""
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
    before = record.latest_revision_id
    revision = record.save_revision(user)
    if revision.pk != before:
        record.log(Action.IMPORTED, revision, user, note="From the content files.")
    return revision


class ConflictWithTheAdmin(Exception):
    """The file changes a record that was edited outside imports since."""


def edited_outside_imports(record):
    """Whether the record's draft or its public version came from somewhere other
    than an import (the admin, a restore): an import then leaves it alone. A shared
    record without revisions (a drug) counts as edited when a page showing it was."""
    if not isinstance(record, Reviewable):
        return any(edited_outside_imports(page) for page in record.pages_showing())
    revisions = {record.latest_revision_id, record.live_revision_id} - {None}
    imported = set(
        record.audit_entries()
        .filter(action=Action.IMPORTED, revision_id__in=revisions)
        .values_list("revision_id", flat=True)
    )
    return bool(revisions - imported)


@transaction.atomic
def import_bundle(bundle: ContentBundle, user) -> ImportReport:
    """Write a checked bundle and its translations to the database, in `user`'s
    name (who therefore cannot approve what it brings); all of it or (on error)
    none of it. It approves nothing, and never overwrites a record edited outside
    imports: that is reported as a conflict and both versions stay."""
    report = ImportReport()
    import_language(bundle, report, user)
    for translation in bundle.translations.values():
        import_language(translation, report, user)
    return report


def import_language(bundle, report, user):
    where = "" if bundle.language == settings.LANGUAGE_CODE else f" ({bundle.language})"
    for model, records in bundle.records.items():
        for record in records:
            label = record.get("slug", model._meta.verbose_name) + where
            kind = model._meta.verbose_name
            try:
                with transaction.atomic():  # undone on a conflict
                    instance, created, changed = model.import_file_record(
                        record, bundle.language
                    )
                    if changed and not created and edited_outside_imports(instance):
                        raise ConflictWithTheAdmin
            except ConflictWithTheAdmin:
                report.record(kind, "conflict", label)
                continue
            if isinstance(instance, Reviewable) and (
                changed or created or not edited_outside_imports(instance)
            ):
                save_revision(instance, user)
            outcome = "created" if created else "updated" if changed else "unchanged"
            report.record(kind, outcome, label)


def export_bundle() -> ContentBundle:
    """Read the database's editable content, every language, into a bundle for
    writing to files."""
    bundle = export_language(settings.LANGUAGE_CODE)
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE:
            translation = export_language(code)
            if any(translation.records.values()):
                bundle.translations[code] = translation
    return bundle


def export_language(language) -> ContentBundle:
    return ContentBundle(
        language=language,
        records={model: model.file_records(language) for model in file_types()},
    )
