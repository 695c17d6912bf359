from django.db import transaction

from editorial.management.dry_run import DryRunCommand

from ...models import Notification


class Command(DryRunCommand):
    dry_run_help = "Report, send nothing."
    help = (
        "Send again the team emails that failed, and those left unsent by a crash. "
        "Run it every few minutes; a second run at once finds nothing to do."
    )

    def handle(self, dry_run, verbosity, **options):
        waiting = Notification.objects.due_for_retry().order_by("pk")
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing sent: {waiting.count()} team email(s) to retry."
            )
            return
        sent = failed = 0
        for pk in list(waiting.values_list("pk", flat=True)):
            # One row at a time, locked, so two runs never send the same email twice.
            with transaction.atomic():
                notification = (
                    Notification.objects.due_for_retry()
                    .select_for_update(skip_locked=True)
                    .select_related("request")
                    .filter(pk=pk)
                    .first()
                )
                if notification is None:
                    continue
                if notification.send():
                    sent += 1
                else:
                    failed += 1
        self.stdout.write(f"Sent {sent} team email(s); {failed} failed again.")
        if failed:
            self.stderr.write(
                f"{failed} team email(s) still failing: see the admin's team email filter."
            )
