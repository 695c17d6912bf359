from pathlib import Path

from django.core.management.base import BaseCommand

from ...content_files import write_content_dir
from ...content_sync import export_bundle


class Command(BaseCommand):
    help = "Write the database's content to DIR in the content/ file format."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--dry-run", action="store_true", help="List the files, write nothing."
        )

    def handle(self, directory, dry_run, verbosity, **options):
        bundle = export_bundle()
        if dry_run:
            count = sum(
                4 + len(each.pages) + len(each.treatments)
                for each in (bundle, *bundle.translations.values())
            )
            self.stdout.write(f"Dry run: would write {count} files to {directory}")
            return
        paths = write_content_dir(Path(directory), bundle)
        if verbosity > 1:
            for path in paths:
                self.stdout.write(f"  wrote {path}")
        self.stdout.write(
            self.style.SUCCESS(f"Exported {len(paths)} files to {directory}")
        )
