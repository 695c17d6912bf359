from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from ...models import (
    AccessLogEntry,
    AppointmentRequest,
    access_log_cutoff,
    retention_cutoffs,
)


class Command(BaseCommand):
    help = (
        "Apply the retention rules to appointment requests and report per rule: delete "
        "closed and expired requests closed more than APPOINTMENT_CLOSED_RETENTION_DAYS "
        "ago; remove personal details from open requests older than "
        "APPOINTMENT_OPEN_RETENTION_DAYS and close them as expired; expire open requests "
        "whose details are already gone; delete access log entries older than "
        "APPOINTMENT_ACCESS_LOG_RETENTION_DAYS. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report, change nothing."
        )

    def handle(self, dry_run, verbosity, **options):
        closed_cutoff, open_cutoff = retention_cutoffs()
        requests = AppointmentRequest.objects
        with transaction.atomic():
            closed = requests.closed_before(closed_cutoff)
            stale = requests.open_and_identifiable_before(open_cutoff)
            nameless = requests.open_and_anonymised()
            old_log = AccessLogEntry.objects.older_than(access_log_cutoff())
            closed_ids = list(closed.values_list("pk", flat=True))
            stale_items, nameless_items = list(stale), list(nameless)
            log_count = old_log.count()
            if not dry_run:
                # The log is trimmed first, so today's entries about this run stay.
                old_log.delete()
                requests.filter(pk__in=closed_ids).delete()
                AccessLogEntry.record_many(
                    None, closed_ids, AccessLogEntry.Action.PURGED
                )
                for item in stale_items:
                    item.anonymise()
                    AccessLogEntry.record(None, item, AccessLogEntry.Action.ANONYMISED)
                for item in nameless_items:
                    item.expire()
                    AccessLogEntry.record(None, item, AccessLogEntry.Action.EXPIRED)
        prefix = "Dry run, nothing changed. Would have: " if dry_run else ""
        days = settings.APPOINTMENT_CLOSED_RETENTION_DAYS
        open_days = settings.APPOINTMENT_OPEN_RETENTION_DAYS
        log_days = settings.APPOINTMENT_ACCESS_LOG_RETENTION_DAYS
        lines = [
            f"deleted {len(closed_ids)} closed request(s) older than {days} days",
            f"anonymised {len(stale_items)} open request(s) older than {open_days} days "
            "and closed them as expired",
            f"expired {len(nameless_items)} open request(s) whose details were "
            "already removed",
            f"deleted {log_count} access log entr{'y' if log_count == 1 else 'ies'} "
            f"older than {log_days} days",
        ]
        self.stdout.write(prefix + "\n".join(f"- {line}" for line in lines))
