"""Publish approvals scheduled to go live by now. Run it every minute from cron."""

from django.utils import timezone

from ...registry import due_records
from ..dry_run import DryRunCommand


class Command(DryRunCommand):
    dry_run_help = "List what is due without publishing anything."
    help = (
        "Publish every revision a reviewer approved to go live at a time that has "
        "come. Idempotent: run it every minute."
    )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        published = 0
        for record in due_records(now):
            label = record.scheduled_revision.label
            if dry_run:
                self.stdout.write(f"Would publish {label} (due {record.go_live_at}).")
            elif record.publish_if_due(now):  # one transaction per record
                published += 1
                if options["verbosity"] >= 1:
                    self.stdout.write(f"Published {label}.")
        if not dry_run and options["verbosity"] >= 1 and not published:
            self.stdout.write("Nothing is due.")
