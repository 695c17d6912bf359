from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction

from editorial.management.dry_run import DryRunCommand

from ...content_files import ContentError, load_content_dir
from ...content_sync import import_bundle


class Command(DryRunCommand):
    dry_run_help = "Check and report, but write nothing."
    help = (
        "Import the content folder (default: content/) into the database as drafts, "
        "in the name of the person running it (--as), who then cannot approve what it "
        "brings. It approves nothing, and leaves a record changed in the admin since "
        "as it is (reported as a conflict). Idempotent and atomic: a malformed file "
        "stops the import and nothing is written."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("directory", nargs="?", default=str(settings.CONTENT_DIR))
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The account of the person importing: the drafts are theirs.",
        )

    def handle(self, directory, username, dry_run, verbosity, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"Nothing was imported: there is no account '{username}'. Import as "
                "the person running the import (they cannot approve what it brings)."
            )
        try:
            bundle = load_content_dir(Path(directory))
        except ContentError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        with transaction.atomic():
            report = import_bundle(bundle, user)
            if verbosity > 1:
                for kind, outcome, label in report.changed:
                    self.stdout.write(f"  {outcome}: {kind} {label}")
            if dry_run:
                transaction.set_rollback(True)
        prefix = "Dry run, nothing written: " if dry_run else "Imported content: "
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
