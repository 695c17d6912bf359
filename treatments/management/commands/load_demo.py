from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...models import ReviewerProfile
from ...review import ReviewState, reviewable_models

DEMO_PASSWORD = "demo-password-not-secret"
DEMO_ACCOUNTS = (
    # username, last name, group, is_superuser
    ("demo-editor", "Editor (demo account)", "Editors", False),
    ("demo-reviewer", "Reviewer (demo account)", "Medical reviewers", False),
    (
        "demo-coordinator",
        "Appointment coordinator (demo account)",
        "Appointment coordinators",
        False,
    ),
    ("demo-admin", "Administrator (demo account)", None, True),
)
DEMO_REVIEWER_PROFILE = {
    "display_name": "Demo Reviewer (demo account, not a real person)",
    "credentials": "MD (demo)",
    "title": "Demo medical reviewer",
    "specialties": [
        "surgery",
        "medical-oncology",
        "radiation-oncology",
        "interventional-radiology",
        "nuclear-medicine",
        "gastroenterology",
    ],
    "conflict_of_interest": "This is a demo account for trying NET Guide. It has no interests to declare.",
    # Signs off the English pages and their Spanish translations.
    "languages": ["en", "es"],
}
# How Spanish pages name the demo reviewer (a translation, reviewed like any other).
DEMO_REVIEWER_PROFILE_ES = {
    "language": "es",
    "display_name": "Revisor de demostración (cuenta de prueba, no es una persona real)",
    "credentials": "MD (demo)",
    "title": "Revisor médico de demostración",
    "conflict_of_interest": "Esta es una cuenta de prueba para conocer NET Guide. "
    "No tiene intereses que declarar.",
    "languages": [],
}


# The change summary patients read under "Changes to this page", per language.
FIRST_VERSION = {
    "en": "First version of this page, written for NET Guide.",
    "es": "Primera versión de esta página, escrita para NET Guide.",
}


class Command(BaseCommand):
    help = (
        "For local development only (DEBUG): create the demo editor, reviewer, appointment "
        "coordinator and admin, then "
        "have the demo editor submit and the demo reviewer approve any imported drafts, so "
        "the demo site is browsable. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would happen."
        )

    def handle(self, dry_run, verbosity, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates accounts with a published password and approves content "
                "with a demo reviewer: it only runs with DJANGO_DEBUG=1, never in production."
            )
        with transaction.atomic():
            users = {
                username: self.demo_user(username, *rest)
                for username, *rest in DEMO_ACCOUNTS
            }
            profile, _ = ReviewerProfile.objects.update_or_create(
                user=users["demo-reviewer"], defaults=DEMO_REVIEWER_PROFILE
            )
            profile.save_revision()  # approved below with the demo pages
            translation, _ = ReviewerProfile.objects.update_or_create(
                translation_of=profile,
                language="es",
                defaults={
                    **DEMO_REVIEWER_PROFILE_ES,
                    "source_revision": profile.latest_revision,
                },
            )
            translation.save_revision()
            published = self.publish_drafts(
                users["demo-editor"], users["demo-reviewer"]
            )
            if dry_run:
                transaction.set_rollback(True)
        if verbosity:
            prefix = "Dry run, nothing saved. " if dry_run else ""
            self.stdout.write(f"{prefix}Demo approvals: {published} page(s) published.")
            self.stdout.write("Demo logins for http://127.0.0.1:8000/admin/ :")
            for username, *_ in DEMO_ACCOUNTS:
                self.stdout.write(f"  {username:<15} password: {DEMO_PASSWORD}")

    def demo_user(self, username, last_name, group_name, is_superuser):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": "Demo",
                "last_name": last_name,
                "email": f"{username}@example.invalid",
                "is_staff": True,
                "is_superuser": is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        return user

    def publish_drafts(self, editor, reviewer):
        """The demo editor submits and the demo reviewer approves each unpublished draft."""
        published = 0
        # Profiles first: each page's sign-off names the reviewer from them.
        models = sorted(reviewable_models(), key=lambda m: m is not ReviewerProfile)
        for model in models:
            for record in model.objects.exclude(latest_revision=None):
                if record.latest_revision_id == record.live_revision_id:
                    continue
                if record.review_state != ReviewState.SUBMITTED:
                    record.submit(editor, FIRST_VERSION[record.language])
                record.approve(
                    reviewer, record.latest_revision.content_hash, "Demo approval."
                )
                published += 1
        return published
