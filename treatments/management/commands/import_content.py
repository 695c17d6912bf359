from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...content_files import ContentError, load_content_dir
from ...content_sync import import_bundle


class Command(BaseCommand):
    help = (
        "Import the content folder (default: content/) into the database as drafts. "
        "Idempotent and atomic: a malformed file stops the import and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(settings.CONTENT_DIR))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and report, but write nothing.",
        )

    def handle(self, directory, dry_run, verbosity, **options):
        try:
            bundle = load_content_dir(Path(directory))
        except ContentError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        with transaction.atomic():
            report = import_bundle(bundle)
            if verbosity > 1:
                for kind, outcome, label in report.changed:
                    self.stdout.write(f"  {outcome}: {kind} {label}")
            if dry_run:
                transaction.set_rollback(True)
        prefix = "Dry run, nothing written: " if dry_run else "Imported content: "
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
