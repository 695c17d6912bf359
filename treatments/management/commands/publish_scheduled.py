"""Publish approvals scheduled to go live by now. Run it every minute from cron."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...scheduling import due_records, publish_if_due


class Command(BaseCommand):
    help = (
        "Publish every revision a reviewer approved to go live at a time that has "
        "come. Idempotent: run it every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what is due without publishing anything.",
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        published = 0
        for record in due_records(now):
            label = record.scheduled_revision.label
            if dry_run:
                self.stdout.write(f"Would publish {label} (due {record.go_live_at}).")
            elif publish_if_due(record, now):  # one transaction per record
                published += 1
                if options["verbosity"] >= 1:
                    self.stdout.write(f"Published {label}.")
        if not dry_run and options["verbosity"] >= 1 and not published:
            self.stdout.write("Nothing is due.")
