from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from ...models import AppointmentRequest, retention_cutoffs


class Command(BaseCommand):
    help = (
        "Delete closed appointment requests older than APPOINTMENT_CLOSED_RETENTION_DAYS and "
        "remove personal details from open ones older than APPOINTMENT_OPEN_RETENTION_DAYS. "
        "Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report, change nothing."
        )

    def handle(self, dry_run, verbosity, **options):
        closed_cutoff, open_cutoff = retention_cutoffs()
        with transaction.atomic():
            closed = AppointmentRequest.objects.closed_before(closed_cutoff)
            stale = AppointmentRequest.objects.open_and_identifiable_before(open_cutoff)
            closed_count, stale_count = closed.count(), stale.count()
            if not dry_run:
                closed.delete()
                for item in stale:
                    item.anonymise()
        prefix = "Dry run, nothing changed: would have " if dry_run else ""
        self.stdout.write(
            f"{prefix}deleted {closed_count} closed request(s) older than "
            f"{settings.APPOINTMENT_CLOSED_RETENTION_DAYS} days and anonymised {stale_count} "
            f"open request(s) older than {settings.APPOINTMENT_OPEN_RETENTION_DAYS} days."
        )
