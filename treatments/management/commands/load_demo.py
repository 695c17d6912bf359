from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction

from editorial.management.dry_run import DryRunCommand
from editorial.models import ReviewState
from editorial.registry import reviewable_models

from ...content_files import load_content_dir
from ...content_sync import import_bundle
from ...models import ReviewerProfile, Source

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


class Command(DryRunCommand):
    dry_run_help = "Say what would happen."
    help = (
        "Only into an empty database, and only for a demo (DJANGO_DEBUG=1, or "
        "NETGUIDE_DEMO=1 for `make serve`): create the demo editor, reviewer, "
        "appointment coordinator and admin, import content/ as the demo editor, and "
        "have the demo editor submit and the demo reviewer approve it, so the demo site "
        "is browsable. Into a database that holds anything, it does nothing: it never "
        "touches real work or writes an approval again."
    )

    def handle(self, dry_run, verbosity, **options):
        if not (settings.DEBUG or settings.DEMO):
            raise CommandError(
                "load_demo creates accounts with a published password and approvals by "
                "a demo reviewer: it runs only for a demo (DJANGO_DEBUG=1, or "
                "NETGUIDE_DEMO=1), never in production."
            )
        users = get_user_model().objects
        if users.filter(username=DEMO_ACCOUNTS[0][0]).exists():
            self.stdout.write("The demo data is already here: nothing was changed.")
            return
        if users.exists() or any(m.objects.exists() for m in reviewable_models()):
            self.stdout.write(
                "This database already holds accounts or content: the demo data is "
                "only ever loaded into an empty one. Nothing was changed."
            )
            return
        with transaction.atomic():
            accounts = {
                username: self.demo_user(username, *rest)
                for username, *rest in DEMO_ACCOUNTS
            }
            editor, reviewer = accounts["demo-editor"], accounts["demo-reviewer"]
            import_bundle(load_content_dir(settings.CONTENT_DIR), editor)
            # The administrator sets up who reviews; the reviewer signs it off.
            admin = accounts["demo-admin"]
            profile = ReviewerProfile.objects.create(
                user=reviewer, **DEMO_REVIEWER_PROFILE
            )
            profile.save_revision(admin)
            translation = ReviewerProfile.objects.create(
                translation_of=profile,
                source_revision=profile.latest_revision,
                **DEMO_REVIEWER_PROFILE_ES,
            )
            translation.save_revision(admin)
            published = self.publish_drafts(editor, reviewer)
            if dry_run:
                transaction.set_rollback(True)
        if verbosity:
            prefix = "Dry run, nothing saved. " if dry_run else ""
            self.stdout.write(f"{prefix}Demo approvals: {published} page(s) published.")
            self.stdout.write("Demo logins for http://127.0.0.1:8000/admin/ :")
            for username, *_ in DEMO_ACCOUNTS:
                self.stdout.write(f"  {username:<15} password: {DEMO_PASSWORD}")

    def demo_user(self, username, last_name, group_name, is_superuser):
        user = get_user_model().objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name="Demo",
            last_name=last_name,
            email=f"{username}@example.invalid",
            is_staff=True,
            is_superuser=is_superuser,
        )
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        return user

    def publish_drafts(self, editor, reviewer):
        """The demo editor submits and the demo reviewer approves each unpublished draft."""
        published = 0
        # Profiles first: each page's sign-off names the reviewer from them; then the
        # sources: every statement's approval needs the passages it cites approved.
        models = sorted(
            reviewable_models(),
            key=lambda m: (m is not ReviewerProfile, m is not Source),
        )
        for model in models:
            for record in model.objects.exclude(latest_revision=None):
                if record.latest_revision_id == record.live_revision_id:
                    continue
                if record.review_state != ReviewState.SUBMITTED:
                    record.submit(
                        editor, FIRST_VERSION[record.latest_revision.language]
                    )
                record.approve(
                    reviewer, record.latest_revision.content_hash, "Demo approval."
                )
                published += 1
        return published
