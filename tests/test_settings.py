import json
import sqlite3
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from .servers import server_environment

pytestmark = pytest.mark.embedded

# Prints the settings a fresh process gets from netguide/settings.py. (A full
# django.setup() would read the same module and cost a second per process.)
PROBE = """
import json
import sqlite3
from django.conf import settings

print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "NAME": str(settings.DATABASES["default"]["NAME"]),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECRET_KEY": settings.SECRET_KEY,
}))
"""


def run_python(*args, **env):
    """Run the venv's python in BASE_DIR with a clean environment plus env."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=server_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(**env):
    """The settings a fresh process started with env sees."""
    result = run_python("-c", PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


KEY = "a-key-for-this-test"


@pytest.mark.parametrize("debug", [None, "0", "false"])
def test_without_a_secret_key_outside_debug_the_project_refuses_to_start(debug):
    env = {} if debug is None else {"DJANGO_DEBUG": debug}
    result = run_python("manage.py", "check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_by_default_and_the_database_is_sqlite():
    found = settings_under(DJANGO_SECRET_KEY=KEY)
    assert found["DEBUG"] is False
    assert found["SECRET_KEY"] == KEY
    assert found["ENGINE"] == "django.db.backends.sqlite3"
    assert found["NAME"] == str(settings.BASE_DIR / "db.sqlite3")
    assert found["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]


def test_debug_flag_turns_debug_on_and_allows_the_development_key():
    found = settings_under(DJANGO_DEBUG="1")
    assert found["DEBUG"] is True
    assert found["SECRET_KEY"]


def test_database_url_and_allowed_hosts_come_from_the_environment():
    found = settings_under(
        DJANGO_SECRET_KEY=KEY,
        DATABASE_URL="postgres://guide:pw@db.internal:5432/netguide",
        DJANGO_ALLOWED_HOSTS="netguide.example, www.netguide.example,,",
    )
    assert found["ENGINE"] == "netguide.db"
    assert found["NAME"] == "netguide"
    assert found["ALLOWED_HOSTS"] == ["netguide.example", "www.netguide.example"]


# load_demo ---------------------------------------------------------------------


@pytest.fixture
def debug_on(db, settings):
    settings.DEBUG = True
    # The real hasher takes a second for three accounts; these tests are not about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def accounts():
    users = get_user_model().objects.order_by("pk")
    return list(users.values("pk", "username", "password", "is_superuser"))


def run_load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        run_load_demo()
    assert not get_user_model().objects.exists()


def test_load_demo_creates_accounts_that_say_they_are_demos(debug_on):
    run_load_demo()
    users = get_user_model().objects.all()
    assert users.count() >= 1
    for user in users:
        assert "demo" in user.username
        assert "demo" in user.get_full_name().lower()
        assert user.is_staff


def test_load_demo_run_twice_creates_nothing_new(debug_on):
    run_load_demo()
    before = accounts()
    run_load_demo()
    assert accounts() == before


# One side of two processes writing to the embedded database at once, as the web
# server and the worker do under `make run`: it reads, (the editor) lets the worker
# write meanwhile, then writes what it read plus one, in one transaction.
WRITER = """
import os, sys, time
from pathlib import Path
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "netguide.settings"
django.setup()
from django.db import connection, transaction

role, folder = sys.argv[1], Path(sys.argv[2])


def wait_for(name, seconds):
    deadline = time.monotonic() + seconds
    while not (folder / name).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


if role == "worker":  # it starts writing once the editor's transaction has read
    wait_for("editor-read", 30)
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM ledger")
    if role == "editor":
        (folder / "editor-read").touch()
        wait_for("worker-wrote", 2)
    cursor.execute("INSERT INTO ledger (who) VALUES (%s)", [role])
    if role == "worker":
        (folder / "worker-wrote").touch()
        time.sleep(0.3)
print("saved")
"""


def test_two_processes_writing_the_embedded_database_at_once_both_save(tmp_path):
    """SQLite refuses a write at once ("database is locked") to a transaction that
    read before another process wrote, whatever its timeout; a transaction that
    takes the write lock when it begins waits its turn instead."""
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE ledger (who TEXT)")
    env = server_environment(DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{database}")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, role, str(tmp_path)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("editor", "worker")
    ]
    outcomes = [writer.communicate(timeout=60) for writer in writers]
    assert [out for out, _ in outcomes] == ["saved\n", "saved\n"], outcomes
    with sqlite3.connect(database) as connection:
        saved = sorted(who for (who,) in connection.execute("SELECT who FROM ledger"))
    assert saved == ["editor", "worker"]
