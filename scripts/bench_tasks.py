"""Benchmark of background work (`make bench-tasks`, see docs/background-work.md).

On a fresh demo database in PostgreSQL, with production settings, through real
processes (the suite's helpers in tests/servers.py):

- enqueue cost: a task queued from a web process, against the ceiling of one plain
  INSERT of a row on the same connection;
- pickup latency: queued until a waiting worker (`manage.py worker`, the default
  one-second poll) starts it, read from the task's own timestamps;
- throughput: 1,000 small tasks (one query each) run by one worker, then by two;
- an approval through gunicorn: how long the reviewer's request takes, how long the
  worker's build of the published files takes, and when nginx-ready files follow;
- a page-cache hit's cache reads (the versions and the page): the shared file cache
  (the default without Redis) against Redis and each process's own memory.
"""

import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-tasks-"))
WORK.chmod(0o755)  # nginx-ready files, read by others
DATABASE = f"netguide_bench_tasks_{secrets.token_hex(4)}"
# This process is a web process of the benchmark's site: its settings, its database.
os.environ.update(
    DJANGO_SETTINGS_MODULE="netguide.settings",
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    NETGUIDE_PUBLISH_DIR=str(WORK / "publish"),
    REDIS_URL="redis://127.0.0.1:6379/0",
    NETGUIDE_CACHE_PREFIX=f"bench-tasks-{secrets.token_hex(4)}",
)
django.setup()

from tests import servers  # noqa: E402  (the suite's process helpers)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
SUMMARY = "An operation to take the tumor out, benchmark edit {}."


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {ms(statistics.median(ordered))}, p95 {ms(p95)}, "
        f"max {ms(ordered[-1])} (n={len(ordered)})"
    )


def enqueue_cost():
    from django.db import connection

    from appointments.tasks import resume_team_emails

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_row (id serial, note text)")
    enqueue, insert = [], []
    for _ in range(ROUNDS * 10):  # interleaved
        started = time.perf_counter()
        resume_team_emails.enqueue()
        enqueue.append(time.perf_counter() - started)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_row (note) VALUES (%s)", ["x"])
        insert.append(time.perf_counter() - started)
    ratio = statistics.median(enqueue) / statistics.median(insert)
    print(f"enqueue: {summary(enqueue)}")
    print(f"  ceiling, one plain INSERT: {summary(insert)}; enqueue is {ratio:.1f}x")
    clear_tasks()


def clear_tasks():
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()


def pickup_latency(env):
    import random

    from django_tasks_db.models import DBTaskResult

    from appointments.tasks import resume_team_emails

    worker = servers.WorkerProcess(env)
    worker.INTERVAL = "1"  # the production default
    worker.start()
    time.sleep(4)  # its start and its first tick
    samples = []
    for _ in range(ROUNDS):
        time.sleep(random.uniform(0.2, 1.3))  # land anywhere in its poll
        result = resume_team_emails.enqueue()
        row = servers.wait_for(
            lambda result=result: DBTaskResult.objects.filter(
                id=result.id, started_at__isnull=False
            ).first(),
            10,
            step=0.02,
        )
        samples.append((row.started_at - row.enqueued_at).total_seconds())
    worker.close()
    print(f"pickup latency (1 s poll): {summary(samples)}")
    clear_tasks()


def throughput(env):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from appointments.tasks import resume_team_emails

    count = 1000
    for workers in (1, 2):
        for _ in range(count):
            resume_team_emails.enqueue()
        started = time.monotonic()
        running = [servers.WorkerProcess(env).start() for _ in range(workers)]
        done = servers.wait_for(
            lambda: (
                not DBTaskResult.objects.filter(
                    task_path="appointments.tasks.resume_team_emails",
                    status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
                ).exists()
            ),
            300,
            step=0.05,
        )
        elapsed = time.monotonic() - started
        for worker in running:
            worker.close()
        assert done, "the workers did not finish"
        print(
            f"throughput, {workers} worker(s): {count} tasks in {elapsed:.1f} s "
            f"(worker start included): {count / elapsed:.0f} tasks/s"
        )
        clear_tasks()


def approvals(gunicorn, publish_dir):
    from django_tasks_db.models import DBTaskResult

    servers.manage("publish_site", "-v0", env=gunicorn.env)
    worker = servers.WorkerProcess(gunicorn.env).start()
    (surgery_id,) = servers.query(
        DATABASE, "SELECT id FROM treatments_treatment WHERE slug = 'surgery'"
    )[0]
    editor = servers.signed_in(gunicorn, "demo-editor")
    reviewer = servers.signed_in(gunicorn, "demo-reviewer")
    page = publish_dir / "current" / "site" / "treatments" / "surgery" / "index.html"
    answered, followed = [], []
    for number in range(5):
        words = SUMMARY.format(number)
        servers.submit_change(gunicorn, editor, "treatment", surgery_id, summary=words)
        review = reviewer.open(servers.review_url(gunicorn, "treatment", surgery_id))
        started = time.perf_counter()
        response = servers.approve(
            gunicorn, reviewer, "treatment", surgery_id, page=review
        )
        answered.append(time.perf_counter() - started)
        assert response.status == 302, response
        assert servers.wait_for(
            lambda words=words: words in page.read_text(), 30, step=0.02
        )
        followed.append(time.perf_counter() - started)
    worker.close()  # after the task it is finishing
    builds = [
        (row.finished_at - row.started_at).total_seconds()
        for row in DBTaskResult.objects.filter(
            task_path="netguide.static_site.rebuild_published_files",
            status="SUCCESSFUL",
        )
        if isinstance(row.return_value, str)  # a build, not one it took along
    ]
    print(f"approval request (reviewer waits): {summary(answered)}")
    print(f"build of the published files (the worker): {summary(builds)}")
    print(f"approval to new file on disk: {summary(followed)}")


def cache_hits(cache_dir):
    """What a page-cache hit reads from each cache: the versions and the page."""
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache

    from netguide.cache import ReusingRedisCache

    caches = {
        "file (default without Redis)": FileBasedCache(str(cache_dir), {}),
        "Redis": ReusingRedisCache(
            servers.REDIS_URL, {"KEY_PREFIX": f"bench-{secrets.token_hex(4)}"}
        ),
        "local memory (per process)": LocMemCache("bench", {}),
    }
    keys = ["content-version:treatments", "content-version:glossary"]
    keys += ["content-version:site", "page:x"]
    page = {"versions": [1, 2, 3], "content": b"x" * 12_000, "status": 200}
    timings = {name: [] for name in caches}
    for cache in caches.values():
        cache.set_many({**dict.fromkeys(keys[:3], "v"), "page:x": page}, None)
    for _ in range(ROUNDS * 50):
        for name, cache in caches.items():  # interleaved
            started = time.perf_counter()
            found = cache.get_many(keys)
            timings[name].append(time.perf_counter() - started)
            assert len(found) == 4
    redis = statistics.median(timings["Redis"])
    for name, samples in timings.items():
        median = statistics.median(samples)
        print(
            f"page-cache hit, {name}: {median * 1e6:.0f} µs "
            f"({median / redis:.2f}x Redis)"
        )
    caches["Redis"].delete_many(keys)


def main():
    servers.require_services()
    servers.ensure_static_files()
    template = servers.demo_template_database()
    with servers._admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{template}"')
    gunicorn = servers.GunicornServer(
        servers.database_url(DATABASE),
        servers.REDIS_URL,
        os.environ["NETGUIDE_CACHE_PREFIX"],
        NETGUIDE_PUBLISH_DIR=str(WORK / "publish"),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    try:
        gunicorn.start()
        parts = sys.argv[1:] or [
            "enqueue",
            "pickup",
            "throughput",
            "approvals",
            "cache",
        ]
        if "enqueue" in parts:
            enqueue_cost()
        if "pickup" in parts:
            pickup_latency(gunicorn.env)
        if "throughput" in parts:
            throughput(gunicorn.env)
        if "approvals" in parts:
            approvals(gunicorn, WORK / "publish")
        if "cache" in parts:
            cache_hits(WORK / "cache")
    finally:
        gunicorn.stop()
        from django.db import connections

        connections.close_all()
        servers.drop_database(DATABASE)
        servers.drop_template_database()
        servers.delete_cache_prefix(os.environ["NETGUIDE_CACHE_PREFIX"])


if __name__ == "__main__":
    main()
