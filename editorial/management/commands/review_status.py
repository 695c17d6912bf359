from django.core.management.base import BaseCommand

from ...evidence import evidence_required
from ...evidence_review import pages_with_changed_evidence, published_without_support
from ...registry import reviewable_models


class Command(BaseCommand):
    help = (
        "List published pages whose medical review is overdue or due within --days "
        "(default 30), pages citing a source passage changed since their last "
        "review, and how many published statements have no evidence (each one with "
        "--statements). Exits with status 1 when any page is overdue, for cron (and, "
        "once NETGUIDE_EVIDENCE_REQUIRED is on, when a statement has no evidence)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument(
            "--statements",
            action="store_true",
            help="List each published statement without evidence.",
        )

    def handle(self, days, statements, verbosity, **options):
        overdue, due_soon, behind = [], [], []
        for model in reviewable_models():
            overdue += list(model.objects.overdue())
            due_soon += list(model.objects.due_for_review(within_days=days))
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
        changed = pages_with_changed_evidence()
        for record, changes in changed:
            reasons = " ".join(change.reason for change in changes)
            self.stdout.write(f"SOURCE CHANGED: {record}: {reasons}")
        for record in behind:
            # Only translations are ever behind (TranslatableMixin).
            self.stdout.write(
                f"TRANSLATION OUT OF DATE: {record} ({record.get_language_display()}): "
                f"“{record.translation_of}” was updated after it was translated"
            )
        if behind:
            self.stdout.write(f"{len(behind)} translation(s) are behind their source.")
        unsupported = published_without_support()
        self.report_unsupported(unsupported, statements or evidence_required())
        if not overdue and not due_soon and not behind and not changed and verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"No page is overdue or due within {days} days.")
            )
        if overdue:
            self.stderr.write(f"{len(overdue)} page(s) are overdue for medical review.")
        if unsupported and evidence_required():
            self.stderr.write("Published statements have no evidence (see above).")
        if overdue or (unsupported and evidence_required()):
            raise SystemExit(1)

    def report_unsupported(self, unsupported, each):
        count = sum(len(found) for _record, found in unsupported)
        if each:
            for record, found in unsupported:
                language = getattr(record, "language", "")
                for statement in found:
                    self.stdout.write(
                        f"WITHOUT EVIDENCE: {record} ({language}) {statement.where}: "
                        f"“{statement.text}”"
                    )
        if count:
            self.stdout.write(
                f"{count} published statement(s) on {len(unsupported)} page(s) cite "
                "no approved passage and are not marked as an explanation"
                + ("." if each else "; list them with --statements.")
            )
        else:
            self.stdout.write(
                "Every published statement cites an approved passage or is a "
                "confirmed explanation."
            )
