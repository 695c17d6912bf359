"""Publish every approved public page as files for nginx (netguide/static_site.py)."""

from django.core.management.base import CommandError

from netguide import static_site

from ..dry_run import DryRunCommand


class Command(DryRunCommand):
    dry_run_help = "List the pages that would be published, and write nothing."
    help = (
        "Render every published public page, with .gz and .br copies, into a new "
        "build under NETGUIDE_PUBLISH_DIR and switch to it in one step. With --check, "
        "compare the published files with the approved content instead and exit 1 "
        "on any difference (for cron)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit 1 when a published file differs from the "
            "approved page, is missing, or was added by hand.",
        )

    def handle(self, *args, check=False, dry_run=False, verbosity=1, **options):
        if not static_site.enabled():
            raise CommandError(
                "Set NETGUIDE_PUBLISH_DIR to the directory nginx serves."
            )
        if dry_run:
            for page in static_site.site_files():
                self.stdout.write(f"{page.url} -> {page.file}")
            return
        if check:
            problems = static_site.check()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError(
                    f"{len(problems)} difference(s) between the published files "
                    "and the approved content.",
                    returncode=1,
                )
            if verbosity:
                self.stdout.write("The published files match the approved content.")
            return
        progress = self.stdout.write if verbosity else None
        try:
            outcome = static_site.publish(progress=progress)
        except static_site.PublishError as error:
            raise CommandError(
                f"Nothing was changed: the published files are as they were. {error}"
            ) from error
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Published: {outcome.summary()}."))
