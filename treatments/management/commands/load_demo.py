from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "demo-password-not-secret"
DEMO_ACCOUNTS = (
    # username, first name, last name, is_superuser
    ("demo-editor", "Demo", "Editor (demo account)", False),
    ("demo-reviewer", "Demo", "Reviewer (demo account)", False),
    ("demo-admin", "Demo", "Administrator (demo account)", True),
)


class Command(BaseCommand):
    help = (
        "Create the demo accounts for local development (DEBUG only). "
        "Safe to run again: existing accounts are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be created.")

    @transaction.atomic
    def handle(self, dry_run, verbosity, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates accounts with a published password: it only runs with "
                "DJANGO_DEBUG=1, never in production."
            )
        users = get_user_model()
        for username, first_name, last_name, is_superuser in DEMO_ACCOUNTS:
            exists = users.objects.filter(username=username).exists()
            if not exists and not dry_run:
                user = users(
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{username}@example.invalid",
                    is_staff=True,
                    is_superuser=is_superuser,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
            if verbosity:
                state = "exists" if exists else ("would create" if dry_run else "created")
                self.stdout.write(f"  {username:<15} password: {DEMO_PASSWORD}  ({state})")
        if verbosity:
            self.stdout.write("Demo logins for http://127.0.0.1:8000/admin/ are listed above.")
