import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

CONTENT_DIR = Path(settings.CONTENT_DIR)
SEED_DIR = Path(settings.BASE_DIR).parent / "shared" / "seed"


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


@pytest.fixture
def published_site(imported):
    """content/ imported and visible on the public site."""
