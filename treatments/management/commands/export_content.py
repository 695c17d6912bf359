from pathlib import Path

from editorial.management.dry_run import DryRunCommand

from ...content_files import write_content_dir
from ...content_sync import export_bundle


class Command(DryRunCommand):
    dry_run_help = "List the files, write nothing."
    help = "Write the database's content to DIR in the content/ file format."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("directory")

    def handle(self, directory, dry_run, verbosity, **options):
        bundle = export_bundle()
        if dry_run:
            count = bundle.file_count()
            self.stdout.write(f"Dry run: would write {count} files to {directory}")
            return
        paths = write_content_dir(Path(directory), bundle)
        if verbosity > 1:
            for path in paths:
                self.stdout.write(f"  wrote {path}")
        self.stdout.write(
            self.style.SUCCESS(f"Exported {len(paths)} files to {directory}")
        )
