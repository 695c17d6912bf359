"""Deploy checks for what every process and server shares: the database's
connections (docs/database-connections.md), the cache and a background worker
(docs/background-work.md)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connection
from django.utils import timezone

from . import background


@register(deploy=True)
def check_database_connections(app_configs, **kwargs):
    if connection.vendor != "postgresql" or not settings.DATABASE_POOL_SIZE:
        return []  # SQLite has no such limit; PgBouncer's own pool bounds its clients
    servers, workers = settings.APP_SERVERS, settings.WEB_WORKERS
    size, reserved = settings.DATABASE_POOL_SIZE, settings.DATABASE_RESERVED_CONNECTIONS
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            most_allowed = int(cursor.fetchone()[0])
    except DatabaseError as error:
        return [
            Warning(
                f"PostgreSQL's max_connections could not be read ({error}), so the "
                "app servers' connection pools were not checked against it.",
                hint="Run the deploy check where the database answers.",
                id="netguide.W002",
            )
        ]
    most_used = servers * workers * size
    room = most_allowed - reserved
    if most_used <= room:
        return []
    return [
        Warning(
            f"The app servers may open {most_used} connections to PostgreSQL "
            f"({servers} servers x {workers} workers x a pool of {size}), more than "
            f"its max_connections of {most_allowed} less the {reserved} kept for "
            f"migrations, cron commands and admins ({room}).",
            hint="Lower NETGUIDE_DATABASE_CONNECTIONS_PER_SERVER (each server's "
            "share), raise max_connections, or put PgBouncer in front "
            "(docs/database-connections.md). NETGUIDE_APP_SERVERS says how many "
            "servers share the database.",
            id="netguide.W001",
        )
    ]


# Each process has its own: an approval in one never reaches the others.
PER_PROCESS = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
ONE_MACHINE = {"django.core.cache.backends.filebased.FileBasedCache"}


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PER_PROCESS:
        return [
            Error(
                f"The cache ({backend}) is each process's own: a page approved in one "
                "process stays stale in the others.",
                hint="Set REDIS_URL (one Redis every app server and worker shares).",
                id="netguide.E010",
            )
        ]
    if backend in ONE_MACHINE:
        return [
            Warning(
                "The cache is a folder of files: every process of this machine shares "
                "it, but a second machine would not see an approval made here.",
                hint="Set REDIS_URL (one Redis every app server and worker shares).",
                id="netguide.W010",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def check_worker_seen(app_configs, databases=None, **kwargs):
    """Run with `check --deploy --database default`: it reads the task table."""
    if not databases:
        return []
    try:
        seen = background.worker_last_seen()
    except DatabaseError as error:
        return [
            Warning(
                f"Could not read the background tasks: {error}",
                hint="Run `manage.py migrate`, then start `manage.py worker`.",
                id="netguide.W012",
            )
        ]
    if seen is None or timezone.now() - seen > background.WORKER_ABSENT_AFTER:
        when = (
            "never seen"
            if seen is None
            else f"last seen {timezone.localtime(seen):%Y-%m-%d %H:%M}"
        )
        minutes = int(background.WORKER_ABSENT_AFTER.total_seconds() // 60)
        return [
            Warning(
                f"No background worker has been seen for {minutes} minutes "
                f"({when}): approvals are not published as files, scheduled pages "
                "do not go live and the team's emails are not sent.",
                hint="Run `python manage.py worker` beside the web servers "
                "(docs/background-work.md).",
                id="netguide.W011",
            )
        ]
    return []
