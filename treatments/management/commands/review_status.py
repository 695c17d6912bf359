from django.core.management.base import BaseCommand

from ...review import reviewable_models


class Command(BaseCommand):
    help = (
        "List published pages whose medical review is overdue or due within --days "
        "(default 30). Exits with status 1 when any is overdue, for cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, days, verbosity, **options):
        overdue, due_soon, behind = [], [], []
        for model in reviewable_models():
            overdue += list(model.objects.overdue())
            due_soon += list(model.objects.due_for_review(within_days=days))
            if getattr(model, "translatable", False):
                behind += list(model.objects.out_of_date())
        for label, records in (
            ("OVERDUE", overdue),
            (f"Due within {days} days", due_soon),
        ):
            for record in sorted(records, key=lambda r: r.next_review_due):
                due = record.next_review_due
                self.stdout.write(
                    f"{label}: {record} (review due {due:%B} {due.day}, {due.year})"
                )
        for record in behind:
            self.stdout.write(
                f"TRANSLATION OUT OF DATE: {record} ({record.get_language_display()}): "
                f"“{record.translation_of}” was updated after it was translated"
            )
        if behind:
            self.stdout.write(f"{len(behind)} translation(s) are behind their source.")
        if not overdue and not due_soon and not behind and verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"No page is overdue or due within {days} days.")
            )
        if overdue:
            self.stderr.write(f"{len(overdue)} page(s) are overdue for medical review.")
            raise SystemExit(1)
