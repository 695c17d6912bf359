"""The base of every command people run by hand: `--dry-run` says what it would do
and changes nothing, the same flag in each."""

from django.core.management.base import BaseCommand


class DryRunCommand(BaseCommand):
    dry_run_help = "Say what would happen; change nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=self.dry_run_help)
