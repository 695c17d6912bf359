import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from treatments.management.commands.load_demo import Command as LoadDemo
from treatments.models import ReviewerProfile
from treatments.review import ReviewState

CONTENT_DIR = Path(settings.CONTENT_DIR)
SEED_DIR = Path(settings.BASE_DIR).parent / "shared" / "seed"


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: cached pages never leak between tests."""
    from treatments.models import SiteSettings

    cache.clear()
    SiteSettings.offline_copies.clear()  # the outage page's copies of the settings
    yield
    cache.clear()
    SiteSettings.offline_copies.clear()


class Clock:
    """The time as tests set it: timezone.now() returns `now` until moved."""

    def __init__(self, now):
        self.now = now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A test clock, starting on Wednesday 10 June 2026, 10:00 in New York."""
    clock = Clock(datetime(2026, 6, 10, 14, 0, tzinfo=UTC))
    real_now = timezone.now

    def now():
        return clock.now

    monkeypatch.setattr(timezone, "now", now)
    # Fields declared with default=timezone.now hold the real function: point them here.
    for model in apps.get_models():
        for field in model._meta.fields:
            if field.default is real_now:
                # Field caches the default's callable as _get_default.
                monkeypatch.setitem(field.__dict__, "_get_default", now)
    return clock


@pytest.fixture
def content_copy(tmp_path):
    """A scratch copy of content/ that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


@pytest.fixture
def imported(db):
    """The database with content/ imported."""
    call_command("import_content", str(CONTENT_DIR), verbosity=0)


def make_staff(django_user_model, username="staff", **extra):
    return django_user_model.objects.create_user(
        username=username, password="pw-for-tests", is_staff=True, **extra
    )


def make_user(django_user_model, username, group=None, **extra):
    user = django_user_model.objects.create_user(
        username=username,
        password="pw-for-tests",
        email=f"{username}@example.invalid",
        is_staff=True,
        **extra,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return make_user(
        django_user_model, "editor", "Editors", first_name="Test", last_name="Editor"
    )


@pytest.fixture
def second_editor(django_user_model):
    return make_user(django_user_model, "editor2", "Editors")


def make_reviewer_profile(user, **fields):
    """A reviewer's profile as patients see it: published, as if signed off before.
    Unless told otherwise, the reviewer reads every language of the site."""
    fields.setdefault("languages", [code for code, _name in settings.LANGUAGES])
    profile = ReviewerProfile.objects.create(user=user, **fields)
    profile.save_revision(None)
    profile.live_revision = profile.latest_revision
    profile.review_state = ReviewState.APPROVED
    profile.save_review_fields()
    return profile


@pytest.fixture
def reviewer(django_user_model):
    user = make_user(django_user_model, "reviewer", "Medical reviewers")
    make_reviewer_profile(
        user=user,
        display_name="Test Reviewer",
        credentials="MD",
        title="Test medical oncologist",
        specialties=["medical-oncology"],
    )
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="pw-for-tests", email="root@example.invalid"
    )


@pytest.fixture
def published_site(imported, editor, reviewer):
    """content/ imported, submitted by an editor and approved by a reviewer."""
    LoadDemo().publish_drafts(editor, reviewer)


@pytest.fixture(scope="module")
def published_once(django_db_setup, django_db_blocker):
    """content/ imported, submitted and approved once per module: (editor, reviewer).

    For modules of read-only tests: each test runs in a savepoint and rolls back to it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        users = get_user_model()
        editor = make_user(users, "module-editor", "Editors")
        reviewer = make_user(users, "module-reviewer", "Medical reviewers")
        make_reviewer_profile(
            user=reviewer,
            display_name="Test Reviewer",
            credentials="MD",
            title="Medical reviewer",
        )
        call_command("import_content", str(CONTENT_DIR), verbosity=0)
        LoadDemo().publish_drafts(editor, reviewer)
        try:
            yield editor, reviewer
        finally:
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_client():
    """One test client per module: WhiteNoise indexes every static file when it starts."""
    return Client()


@pytest.fixture
def site(published_once, db):
    """The published site of `published_once`, with an empty page cache."""
    cache.clear()
    return published_once
