from django.conf import settings

from editorial.management.dry_run import DryRunCommand

from ...models import apply_retention
from ...throttle import WINDOW_SECONDS


class Command(DryRunCommand):
    dry_run_help = "Report, change nothing."
    help = (
        "Apply the retention rules to appointment requests and report per rule: delete "
        "closed and expired requests closed more than APPOINTMENT_CLOSED_RETENTION_DAYS "
        "ago; remove personal details from open requests older than "
        "APPOINTMENT_OPEN_RETENTION_DAYS and close them as expired; expire open requests "
        "whose details are already gone; delete access log entries older than "
        "APPOINTMENT_ACCESS_LOG_RETENTION_DAYS; delete the form's rate-limit codes "
        "older than an hour (each request deletes them too). The worker runs it "
        "daily (appointments.tasks.apply_retention_rules)."
    )

    def handle(self, dry_run, verbosity, **options):
        outcome = apply_retention(WINDOW_SECONDS, dry_run=dry_run)
        prefix = "Dry run, nothing changed. Would have: " if dry_run else ""
        days = settings.APPOINTMENT_CLOSED_RETENTION_DAYS
        open_days = settings.APPOINTMENT_OPEN_RETENTION_DAYS
        log_days = settings.APPOINTMENT_ACCESS_LOG_RETENTION_DAYS
        log_count = outcome.log_entries_deleted
        lines = [
            f"deleted {outcome.closed_deleted} closed request(s) older than {days} days",
            f"anonymised {outcome.anonymised} open request(s) older than {open_days} "
            "days and closed them as expired",
            f"expired {outcome.expired} open request(s) whose details were "
            "already removed",
            f"deleted {log_count} access log entr{'y' if log_count == 1 else 'ies'} "
            f"older than {log_days} days",
            f"deleted {outcome.rate_limit_codes_deleted} rate-limit code(s) older "
            "than an hour",
        ]
        self.stdout.write(prefix + "\n".join(f"- {line}" for line in lines))
