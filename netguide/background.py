"""Background work: Django's tasks framework on the database (django-tasks-db).

Tasks are rows in the database, written in the caller's transaction, and run by
`manage.py worker` (docs/background-work.md). This module is what the project adds:

- the schedule: `tick` runs every minute, starts each job of settings.BACKGROUND_JOBS
  whose time has come (a run missed while no worker ran happens once), and is the
  worker's heartbeat;
- a few questions asked of the queue: what of a task is waiting (`waiting`), taking
  back a queued run (`cancel`), folding queued runs into this one (`take_queued`);
- the queue's health for /healthz and `check --deploy`, and each person's failures
  for the admin (by the queues settings.TASK_QUEUES says concern them).
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, router
from django.db.models import Max, Min
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

TICK = timedelta(minutes=1)
# A worker that has not started a task for this long is not there.
WORKER_ABSENT_AFTER = timedelta(minutes=5)
# A task still "running" after this long lost its worker (killed mid-task).
RUNNING_AT_MOST = timedelta(hours=1)
SUCCESSFUL_KEPT = timedelta(days=7)
FAILED_KEPT = timedelta(days=30)
# Any number, the same in every process: PostgreSQL's advisory lock for the schedule.
SCHEDULE_LOCK = 25_000_001


class WorkerLost(Exception):
    """A task whose worker stopped while running it."""


# The queue, as the project asks it ----------------------------------------------------


def results(task):
    """Every stored run of `task`."""
    return DBTaskResult.objects.filter(
        task_path=task.module_path, backend_name=task.backend
    )


def arguments(*args):
    """How a run's arguments are stored (what `enqueue(*args)` wrote)."""
    return {"args": list(args), "kwargs": {}}


def waiting(task, *args):
    """Runs of `task` (with these arguments, if given) queued or running now."""
    runs = results(task).filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    return runs.filter(args_kwargs=arguments(*args)) if args else runs


def cancel(task, *args):
    """Take back the queued runs of `task` with these arguments; one already running
    finishes. In the caller's transaction: a rollback keeps them."""
    return (
        results(task)
        .filter(status=TaskResultStatus.READY, args_kwargs=arguments(*args))
        .delete()[0]
    )


def take_queued(task, context):
    """The other queued runs of `task` that are due, folded into this one (`context`,
    the running task's): they are marked done by it, and their arguments returned.
    Several approvals landing together make one build this way."""
    taken = []
    with exclusive_transaction(router.db_for_write(DBTaskResult)):
        rows = (
            DBTaskResult.objects.ready()
            .filter(task_path=task.module_path, backend_name=task.backend)
            .select_for_update(skip_locked=True)
        )
        worker = context.task_result.worker_ids[-1]
        for row in rows:
            row.claim(worker)
            row.set_successful({"done_by": context.task_result.id})
            taken.append(row.args_kwargs)
    return taken


@contextmanager
def schedule_lock():
    """One worker at a time decides what to start: nothing is started twice."""
    alias = router.db_for_write(DBTaskResult)
    with exclusive_transaction(alias):  # SQLite: BEGIN EXCLUSIVE
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULE_LOCK])
        yield


# The schedule ------------------------------------------------------------------------


def last_slot(schedule, now):
    """The latest moment at or before `now` when a job on `schedule` should have
    started, or None for an interval (it counts from the last run)."""
    if isinstance(schedule, timedelta):
        return None
    slot = timezone.make_aware(
        datetime.combine(timezone.localtime(now).date(), schedule)
    )
    return slot if slot <= now else slot - timedelta(days=1)


def next_slot(schedule, now):
    if isinstance(schedule, timedelta):
        return now + schedule
    return last_slot(schedule, now) + timedelta(days=1)


def last_start(task):
    """When the latest run of `task` was to start: queued, running or finished, at
    its run_after or, without one, when it was queued. None if it never was."""
    runs = results(task)
    starts = [
        runs.filter(run_after=get_date_max()).aggregate(t=Max("enqueued_at"))["t"],
        runs.exclude(run_after=get_date_max()).aggregate(t=Max("run_after"))["t"],
    ]
    return max((t for t in starts if t is not None), default=None)


def start_due_jobs(now=None):
    """Enqueue each job of settings.BACKGROUND_JOBS whose time has come: none is
    queued, and its last run began before its latest slot, or an interval ago. A
    job that never ran is queued for its next slot. The paths started now."""
    now = now or timezone.now()
    started = []
    with schedule_lock():
        for path, schedule in settings.BACKGROUND_JOBS.items():
            job = import_string(path)
            if results(job).filter(status=TaskResultStatus.READY).exists():
                continue  # a run is queued: it is the one that catches up
            last = last_start(job)
            if last is None:
                job.using(run_after=next_slot(schedule, now)).enqueue()
            elif (
                last <= now - schedule
                if isinstance(schedule, timedelta)
                else last < last_slot(schedule, now)
            ):
                job.enqueue()
                started.append(path)
    return started


def start_schedule():
    """What the worker does first: make sure the tick is queued (now, if it is not)."""
    with schedule_lock():
        if not results(tick).filter(status=TaskResultStatus.READY).exists():
            tick.enqueue()


@task(queue_name="maintenance", takes_context=True)
def tick(context):
    """Every minute: queue the next tick, then start the jobs whose time has come.
    Its latest run is the worker's heartbeat; earlier ones are not kept."""
    now = timezone.now()
    with schedule_lock():
        if not results(tick).filter(status=TaskResultStatus.READY).exists():
            tick.using(run_after=now + TICK).enqueue()
    started = start_due_jobs(now)
    results(tick).filter(status=TaskResultStatus.SUCCESSFUL).exclude(
        id=context.task_result.id
    ).delete()
    return started


@task(queue_name="maintenance")
def prune_finished_tasks():
    """Daily: forget successful runs after a week and failures after a month; a run
    whose worker was lost (still "running" after an hour) is marked failed."""
    now = timezone.now()
    lost = 0
    for row in DBTaskResult.objects.running().filter(
        started_at__lt=now - RUNNING_AT_MOST
    ):
        row.set_failed(WorkerLost("The worker stopped while running it."))
        lost += 1
    successful, _ = (
        DBTaskResult.objects.successful()
        .filter(finished_at__lt=now - SUCCESSFUL_KEPT)
        .delete()
    )
    failed, _ = (
        DBTaskResult.objects.failed().filter(finished_at__lt=now - FAILED_KEPT).delete()
    )
    return {"lost": lost, "successful": successful, "failed": failed}


# Health --------------------------------------------------------------------------------


def worker_last_seen():
    """When a worker last started a task (the tick starts one every minute)."""
    return DBTaskResult.objects.aggregate(seen=Max("started_at"))["seen"]


def queue_health(now=None):
    """For operators: runs waiting now, the oldest one's wait, runs queued for later,
    running, failed, and seconds since a worker was seen (None: never)."""
    now = now or timezone.now()
    due = DBTaskResult.objects.ready()
    waiting_since = [
        due.filter(run_after=get_date_max()).aggregate(t=Min("enqueued_at"))["t"],
        due.exclude(run_after=get_date_max()).aggregate(t=Min("run_after"))["t"],
    ]
    oldest = min((t for t in waiting_since if t is not None), default=None)
    seen = worker_last_seen()
    counts = {
        "queued": due.count(),
        "oldest_queued_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "later": DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .filter(run_after__gt=now)
        .exclude(run_after=get_date_max())
        .count(),
        "running": DBTaskResult.objects.running().count(),
        "failed": DBTaskResult.objects.failed().count(),
        "worker_seen_seconds_ago": round((now - seen).total_seconds())
        if seen
        else None,
    }
    return counts


# Whose failures ----------------------------------------------------------------------


def queues_for(user):
    """The queues whose failures concern `user` (settings.TASK_QUEUES)."""
    if not user.is_active or not user.is_staff:
        return []
    return [
        queue
        for queue, permission in settings.TASK_QUEUES.items()
        if user.is_superuser or (permission and user.has_perm(permission))
    ]


def failures_for(user):
    """The failed runs `user` should know of, newest first."""
    return (
        DBTaskResult.objects.failed()
        .filter(queue_name__in=queues_for(user))
        .order_by("-finished_at")
    )
