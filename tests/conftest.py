"""The suite's fixtures. The helpers they use, and tests use, are in kit.py."""

import fcntl
import hashlib
import os
import pickle
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import django
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone, translation

from .kit import (
    CONTENT_DIR,
    import_content,
    make_user,
    publish_site,
    the_editor,
    the_reviewer,
    the_superuser,
)
from .row_snapshot import RowSnapshot
from .servers import manage

# Room on the interpreter's data stack ---------------------------------------------
#
# CPython 3.12 keeps Python frames in 16 KB chunks and frees a chunk as soon as the
# call that needed it returns. A request in a test runs at a depth where template
# rendering crosses a chunk boundary hundreds of times, each time an mmap and an
# munmap: in the 4,096-answer sweep that was 2.2 million of each, a third of its
# time (CPython gh-142183; later 3.13 and 3.14 releases cache one chunk). Every test
# runs from one frame with 40,000 slots instead: its chunk is 512 KB, leaving about
# 180 KB of room above it, so the tests' own calls never need another chunk.


def _frame_with_room(slots):
    names = " = ".join(f"slot{number}" for number in range(slots))
    source = (
        "def call_with_room(function, *args, **kwargs):\n"
        f"    if False:\n        {names} = None\n"
        "    return function(*args, **kwargs)\n"
    )
    namespace = {}
    exec(compile(source, "<room on the data stack>", "exec"), namespace)
    return namespace["call_with_room"]


call_with_room = _frame_with_room(40_000)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """pytest's own test loop, called from the frame with room."""
    if getattr(session, "runs_with_room", False):
        return None  # the inner call: on to pytest's loop
    session.runs_with_room = True
    return call_with_room(session.config.hook.pytest_runtestloop, session=session)


# Tests that commit ---------------------------------------------------------------


def commits(item):
    """Whether a test commits: pytest-django then empties the database after it."""
    marker = item.get_closest_marker("django_db")
    marked = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    return bool(marked) or bool(
        {"transactional_db", "live_server"} & set(item.fixturenames)
    )


def uses_database(item):
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(item.fixturenames)
    )


MIXED_RUN = (
    "Tests that commit and tests that do not were selected for one run in several "
    "processes: select them apart (-m commits, -m 'not commits')."
)
MIXED_RUN_KEY = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Tests that commit are marked `commits` before -m selects: CI runs the few
    outside the browser tests in the server lane, one process (.ci/run).

    In several processes (pytest-xdist, CI's WORKERS), tests that commit never share
    a run with database tests that do not: one process alone orders them last, but
    a worker that ran one would hand its next module an emptied database (no roles,
    no content types). Every test of such a run fails, saying so."""
    for item in items:
        if commits(item):
            item.add_marker(pytest.mark.commits)
    yield  # -m selects; pytest-django orders
    if hasattr(config, "workerinput"):  # one of several processes
        kinds = {commits(item) for item in items if uses_database(item)}
        config.stash[MIXED_RUN_KEY] = len(kinds) > 1


@pytest.fixture(autouse=True)
def refuse_a_mixed_run(request):
    if request.config.stash.get(MIXED_RUN_KEY, False):
        pytest.fail(MIXED_RUN, pytrace=False)


@pytest.fixture(autouse=True)
def site_language():
    """Every test starts in the site's language: a test client request leaves the
    language of the page it asked for active in the thread (/es/ pages: Spanish)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: cached pages never leak between tests."""
    from treatments.models import SiteSettings

    cache.clear()
    SiteSettings.offline_copies.clear()  # the outage page's copies of the settings
    SiteSettings.shared_copies.clear()
    yield
    cache.clear()
    SiteSettings.offline_copies.clear()
    SiteSettings.shared_copies.clear()


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
    import_content()


@pytest.fixture
def editor(db):
    return the_editor()


@pytest.fixture
def second_editor(db):
    return make_user("editor2", "Editors")


@pytest.fixture
def reviewer(db):
    return the_reviewer()


@pytest.fixture
def superuser(db):
    return the_superuser()


@pytest.fixture
def coordinator(db):
    return make_user("coordinator", "Appointment coordinators")


# The test databases ----------------------------------------------------------------
#
# Migrating an empty database costs about 7 s of CPU (Django renders the models' state
# after each of some 70 migrations). On PostgreSQL every test database is instead a
# copy of one migrated template (CREATE DATABASE ... TEMPLATE, a file copy), named for
# the migrations it ran, so a changed migration makes a new one; Django's own migrate
# then finds nothing to do on the copy.

TEMPLATE_PREFIX = "netguide_template_"


def migrations_digest():
    """What a migrated database depends on: Django's version and every migration."""
    digest = hashlib.sha256(django.get_version().encode())
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        for path in sorted(Path(config.path).glob("migrations/*.py")):
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_template(database):
    """The name of a migrated database to copy, made once (under a lock, as test
    processes start together) with `manage.py migrate` on the test settings."""
    name = TEMPLATE_PREFIX + migrations_digest()
    maintenance = psycopg.connect(
        dbname="postgres",
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        autocommit=True,
    )
    with maintenance:
        maintenance.execute("SELECT pg_advisory_lock(hashtext(%s))", [TEMPLATE_PREFIX])
        made = maintenance.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not made:
            # Built under another name and renamed when done: a run stopped halfway
            # leaves nothing that looks finished.
            building = f"{name}_building"
            maintenance.execute(f'DROP DATABASE IF EXISTS "{building}"')
            maintenance.execute(f'CREATE DATABASE "{building}"')
            url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{building}")
            manage(
                "migrate",
                "--noinput",
                "-v0",
                env={**os.environ, "DATABASE_URL": url.geturl()},
            )
            maintenance.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" and (
        "DATABASE_URL" in os.environ
    ):
        database.setdefault("TEST", {})["TEMPLATE"] = migrated_template(database)


# Built once for all of CI's test processes ------------------------------------------


def shared_between_processes(name, build):
    """`build()`'s value, built by the first test process that asks and read from a
    file by the others, when NETGUIDE_TEST_SHARED_DIR names a folder for this run
    (.ci/run makes a new one for each run); otherwise built here."""
    folder = os.environ.get("NETGUIDE_TEST_SHARED_DIR")
    if not folder:
        return build()
    path = Path(folder) / f"{name}.pickle"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = build()
        path.with_suffix(".part").write_bytes(pickle.dumps(value))
        path.with_suffix(".part").rename(path)
        return value


# The published site ----------------------------------------------------------------


@pytest.fixture(scope="session")
def published_rows(django_db_setup, django_db_blocker):
    """The published site, built once by the real import and workflow, as the rows
    it added (then rolled back): (snapshot, editor's pk, reviewer's pk).

    The rows are the same in every test database made from the same migrations on
    the same kind of database, so CI's test processes share one build."""
    database = connections["default"]
    template = database.settings_dict.get("TEST", {}).get("TEMPLATE", "")
    return shared_between_processes(
        f"published-site-{database.vendor}-{template}",
        lambda: build_published_rows(database, django_db_blocker),
    )


def build_published_rows(database, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        # A test that committed may have run first and left the database emptied
        # (pytest-django flushes after it; the browser tests all commit): the build
        # starts from what the migrations made, put back as serialized_rollback does
        # (saving over rows still there), and rolled back with it.
        if hasattr(database, "_test_serialized_contents"):
            database.creation.deserialize_db_from_string(
                database._test_serialized_contents
            )
        snapshot, (editor, reviewer) = RowSnapshot.of(publish_site)
        transaction.set_rollback(True)
    return snapshot, editor.pk, reviewer.pk


def restore_published_site(published_rows):
    """The published site's rows, copied back: (editor, reviewer)."""
    snapshot, editor_pk, reviewer_pk = published_rows
    with transaction.atomic():
        snapshot.restore()
    users = get_user_model()
    return users.objects.get(pk=editor_pk), users.objects.get(pk=reviewer_pk)


@pytest.fixture
def published_site(published_rows, db):
    """The published site, for this test alone: for tests that commit (a live
    server). The others use `site`."""
    return restore_published_site(published_rows)


@pytest.fixture(scope="module")
def published_once(published_rows, django_db_blocker):
    """The published site for a module, in a transaction that is rolled back when
    the module ends. Each test still runs in its own rolled-back savepoint
    (pytest-django's `db`), so tests cannot see each other's changes."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield restore_published_site(published_rows)
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def site(published_once, db):
    """The site of `published_once`, with an empty page cache: (editor, reviewer)."""
    cache.clear()
    return published_once


@pytest.fixture(scope="module")
def module_client():
    """One test client per module: WhiteNoise indexes every static file when it starts."""
    return Client()


@pytest.fixture
def plain_http_cookies(settings):
    """The live server speaks plain http, and a browser never sends a Secure cookie back
    over http: with the production flags the CSRF check would refuse every post. Only
    tests against the live server relax the flags; tests/test_appointments.py checks
    that they are set (Secure, HttpOnly, SameSite=Lax) everywhere else."""
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False


# The browser: pytest-playwright's fixtures (browser, context, page) on Debian's Chromium.

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright cannot download its own browser here: it drives Debian's Chromium.
    Without it, browser tests fail under CI and are skipped elsewhere."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def serialized_test_databases():
    """What serialized_rollback restores, as the test databases hold it now."""
    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session")
def playwright(serialized_test_databases, playwright):
    """Playwright's sync API keeps an event loop going in this thread for the rest of
    the session. The ORM must still work in it (pytest-django's live_server and the
    tests' own queries), and Django then keeps its connections in context-local
    storage: new connection objects, which need the snapshot serialized_rollback
    restores if the test databases were set up before."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    for alias, snapshot in serialized_test_databases.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = snapshot
    return playwright


@pytest.fixture(scope="session")
def axe_script():
    """axe-core, from the axe-playwright-python package; tests inject it with
    page.evaluate (a <script> tag would be blocked by the Content Security Policy)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
