"""Background work (netguide/background.py and the apps' tasks): the schedule and its
catch-up, scheduled go-lives queued and taken back, the daily jobs, failures shown to
the people they concern, the queue's health and the deployment checks.

In-process on the suite's database: the queued rows are run by the worker's own
run_task (kit.run_tasks), with the test clock. Real worker processes are in
tests/test_background_server.py.
"""

import json
from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.checks import Error, Warning
from django.tasks import TaskResultStatus
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.models import AppointmentRequest, Notification, Status
from appointments.tasks import (
    apply_retention_rules,
    resume_team_emails,
    send_team_email,
)
from editorial.golive import go_live
from editorial.models import ReviewState
from editorial.tasks import publish_overdue, remind_reviewers
from netguide import background, checks

from .kit import (
    admin_url,
    edit,
    logged_in,
    make_request,
    make_treatment,
    parse_response,
    queued_tasks,
    run_tasks,
    submit,
)

pytestmark = pytest.mark.django_db


def run_tasks_of(task):
    task.enqueue()
    return run_tasks()


def names(rows):
    return sorted(row.task_name for row in rows)


# The schedule ------------------------------------------------------------------------


def test_the_tick_starts_each_job_at_its_time_and_a_missed_run_happens_once(
    settings, clock
):
    settings.BACKGROUND_JOBS = {
        "appointments.tasks.apply_retention_rules": time(3, 0),
        "appointments.tasks.resume_team_emails": timedelta(minutes=5),
    }
    background.start_schedule()  # what `manage.py worker` does first
    background.start_schedule()  # a second worker starting: still one tick
    assert queued_tasks() == ["tick"]

    # Never run before: each is queued for its first slot (03:00 tomorrow; in 5
    # minutes).
    assert names(run_tasks()) == ["tick"]
    assert run_tasks() == []  # the next tick waits its minute
    clock.advance(minutes=1)
    assert names(run_tasks()) == ["tick"]
    clock.advance(minutes=4)
    assert names(run_tasks()) == ["resume_team_emails", "tick"]
    clock.advance(minutes=1)
    assert names(run_tasks()) == ["tick"]

    # No worker for three days: each job runs once when one is back, not once per
    # missed day or per missed five minutes.
    clock.advance(days=3)
    assert names(run_tasks()) == [
        "apply_retention_rules",
        "resume_team_emails",
        "tick",
    ]
    assert run_tasks() == []
    assert background.results(apply_retention_rules).count() == 1
    assert background.results(resume_team_emails).count() == 2
    # The tick keeps its latest run only: the worker's heartbeat.
    ticks = background.results(background.tick)
    assert ticks.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
    assert ticks.filter(status=TaskResultStatus.READY).count() == 1
    assert background.worker_last_seen() == clock.now


def test_a_daily_job_waits_for_its_local_time(settings, clock):
    """Wednesday 10:00 in New York; the job runs at 08:00 local time."""
    settings.BACKGROUND_JOBS = {"editorial.tasks.remind_reviewers": time(8, 0)}
    assert background.start_due_jobs() == []  # first queued for Thursday 08:00
    (queued,) = background.results(remind_reviewers)
    assert timezone.localtime(queued.run_after).isoformat() == (
        "2026-06-11T08:00:00-04:00"
    )
    queued.delete()
    remind_reviewers.enqueue()  # as if it ran today
    run_tasks()
    clock.advance(hours=21, minutes=59)  # Thursday 07:59
    assert background.start_due_jobs() == []
    clock.advance(minutes=1)  # 08:00
    assert background.start_due_jobs() == ["editorial.tasks.remind_reviewers"]


# Scheduled go-lives --------------------------------------------------------------------


def scheduled(editor, reviewer, clock, minutes=30):
    record = make_treatment(editor)
    submit(record, editor)
    record.schedule(
        reviewer,
        record.latest_revision.content_hash,
        clock.now + timedelta(minutes=minutes),
    )
    return record


def test_approving_for_later_queues_the_go_live_for_that_moment(
    editor, reviewer, clock
):
    record = scheduled(editor, reviewer, clock)

    (row,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert (row.task_name, row.args_kwargs["args"]) == (
        "go_live",
        ["treatments.Treatment", record.pk],
    )
    assert row.run_after == clock.now + timedelta(minutes=30)
    clock.advance(minutes=29)
    assert run_tasks() == []
    clock.advance(minutes=1)
    (ran,) = run_tasks()
    assert ran.return_value == "Published “Watchful waiting” revision 1."
    record.refresh_from_db()
    assert (record.review_state, record.live_revision.number) == (
        ReviewState.APPROVED,
        1,
    )


def test_an_edit_or_a_cancelled_schedule_takes_the_go_live_back(
    editor, reviewer, clock
):
    record = scheduled(editor, reviewer, clock)
    edit(record, editor, title="Watchful waiting, edited")
    assert queued_tasks() == []

    submit(record, editor)
    record.schedule(
        reviewer, record.latest_revision.content_hash, clock.now + timedelta(hours=1)
    )
    assert queued_tasks() == ["go_live"]
    record.cancel_schedule(reviewer)
    assert queued_tasks() == []


def test_a_stale_go_live_changes_nothing(editor, reviewer, clock):
    """A run already under way when the page was edited finds it changed."""
    record = scheduled(editor, reviewer, clock, minutes=1)
    clock.advance(minutes=2)
    edit(record, editor, title="Watchful waiting, edited")

    outcome = go_live.call("treatments.Treatment", record.pk)

    assert outcome == "Nothing to publish: changed, taken back or published since."
    record.refresh_from_db()
    assert record.live_revision_id is None and record.review_state == ReviewState.DRAFT


def test_a_go_live_whose_task_was_lost_is_published_by_the_safety_net_once(
    editor, reviewer, clock
):
    record = scheduled(editor, reviewer, clock, minutes=1)
    DBTaskResult.objects.all().delete()  # the worker died holding it
    clock.advance(minutes=1, seconds=30)
    assert publish_overdue.call() == {"published": []}  # its own task's minute
    clock.advance(minutes=1)

    assert publish_overdue.call() == {"published": [str(record)]}
    assert publish_overdue.call() == {"published": []}
    record.refresh_from_db()
    assert record.review_state == ReviewState.APPROVED
    assert record.audit_entries().filter(action="published").count() == 1


def test_the_desk_says_when_a_go_live_is_late(editor, reviewer, clock):
    record = scheduled(editor, reviewer, clock, minutes=1)
    clock.advance(minutes=10)  # and no worker ran

    page = logged_in(editor).get(admin_url(record, "change"))

    shown = [str(message) for message in page.context["messages"]]
    assert (
        "Revision 1 was due to go live on June 10, 2026 at 10:01: it goes live as "
        "soon as the background worker runs again. If this lasts, please tell the "
        "site's maintainer."
    ) in shown
    dashboard = logged_in(reviewer).get("/admin/review/").content.decode()
    assert "was due to go live on <strong>June 10, 2026, 10:01</strong>" in dashboard


# The team's email ------------------------------------------------------------------------


def test_a_repeated_email_task_sends_once(mailoutbox):
    notification = Notification.objects.create(request=make_request())
    assert send_team_email.call(notification.pk) == "Sent."
    assert send_team_email.call(notification.pk) == "Sent or tried already."
    assert len(mailoutbox) == 1


def test_an_email_whose_task_was_lost_is_tried_again_once(mailoutbox, clock):
    notification = Notification.objects.create(
        request=make_request(), next_try_at=clock.now
    )
    assert resume_team_emails.call() == {"resumed requests": []}
    clock.advance(minutes=6)
    assert resume_team_emails.call() == {"resumed requests": [notification.request_id]}
    assert resume_team_emails.call() == {"resumed requests": []}
    run_tasks()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert len(mailoutbox) == 1


# Daily jobs ------------------------------------------------------------------------------


def test_the_daily_retention_job_applies_the_rules(clock, settings):
    old = make_request(created_at=clock.now - timedelta(days=400))
    closed = make_request(status=Status.CLOSED)
    AppointmentRequest.objects.filter(pk=closed.pk).update(
        closed_at=clock.now - timedelta(days=91)
    )
    (ran,) = run_tasks_of(apply_retention_rules)

    assert ran.return_value == {
        "closed_deleted": 1,
        "anonymised": 1,
        "expired": 0,
        "log_entries_deleted": 0,
        "rate_limit_codes_deleted": 0,
    }
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.name == "(removed)"


def test_reviewers_are_reminded_of_reviews_falling_due(site, clock):
    from treatments.models import Treatment

    surgery = Treatment.objects.in_language("en").get(slug="surgery")
    Treatment.objects.filter(pk=surgery.pk).update(
        next_review_due=clock.now.date() - timedelta(days=1)
    )
    mail.outbox = []

    assert remind_reviewers.call() == {"reviewers told": 1}

    (message,) = mail.outbox
    assert message.to == ["reviewer@example.invalid"]
    assert message.subject == "NET Guide: pages are due for medical review"
    assert message.body.startswith("1 published page is overdue.")
    assert "/admin/review/" in message.body


def test_a_task_whose_worker_was_lost_is_marked_failed(clock):
    resume_team_emails.enqueue()
    row = DBTaskResult.objects.get()
    row.claim("a-worker-that-died")
    clock.advance(hours=2)

    assert background.prune_finished_tasks.call() == {
        "lost": 1,
        "successful": 0,
        "failed": 0,
    }
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.traceback.splitlines()[-1] == (
        "netguide.background.WorkerLost: The worker stopped while running it."
    )


# Failures, for the people they concern -----------------------------------------------


def fail(task, message):
    row = DBTaskResult.objects.get(id=task.enqueue().id)
    row.claim("worker")
    row.set_failed(RuntimeError(message))
    return row


def test_each_failure_shows_to_the_people_it_concerns(reviewer, coordinator, editor):
    fail(publish_overdue, "the editorial one")
    fail(resume_team_emails, "the appointments one")
    fail(background.prune_finished_tasks, "the maintenance one")
    url = "/admin/editorial/backgroundtask/"

    def errors(user):
        page = logged_in(user).get(url)
        if page.status_code != 200:
            return page.status_code
        cells = parse_response(page).find_all("td", class_="field-what_went_wrong")
        return sorted(cell.text for cell in cells)

    assert errors(reviewer) == ["RuntimeError: the editorial one"]
    assert errors(coordinator) == ["RuntimeError: the appointments one"]
    from .kit import the_superuser

    assert errors(the_superuser()) == [
        "RuntimeError: the appointments one",
        "RuntimeError: the editorial one",
        "RuntimeError: the maintenance one",
    ]
    assert errors(editor) == 403
    index = logged_in(coordinator).get("/admin/").content.decode()
    assert ">1 background task failed</a>" in index
    assert "background task" not in logged_in(editor).get("/admin/").content.decode()


# Health -----------------------------------------------------------------------------------


def test_healthz_tells_operators_how_the_queue_is(clock):
    Client().get("/healthz")  # nothing queued yet
    resume_team_emails.enqueue()
    resume_team_emails.using(run_after=clock.now + timedelta(hours=1)).enqueue()
    fail(publish_overdue, "broken")
    clock.advance(seconds=90)

    found = json.loads(Client().get("/healthz").content)

    assert found["status"] == "ok"
    assert found["background"] == {
        "queued": 1,
        "oldest_queued_seconds": 90,
        "later": 1,
        "running": 0,
        "failed": 1,
        "worker_seen_seconds_ago": 90,
    }


# Deployment checks ------------------------------------------------------------------------


def test_check_deploy_refuses_a_cache_each_process_keeps_to_itself(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    (found,) = checks.check_shared_cache(None)
    assert isinstance(found, Error) and found.id == "netguide.E010"

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": "/tmp/x",
        }
    }
    (found,) = checks.check_shared_cache(None)
    assert isinstance(found, Warning) and found.id == "netguide.W010"

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    }
    assert checks.check_shared_cache(None) == []


def test_check_deploy_warns_when_no_worker_was_seen_for_five_minutes(clock):
    (found,) = checks.check_worker_seen(None, databases=["default"])
    assert found.id == "netguide.W011" and "(never seen)" in found.msg

    background.start_schedule()
    run_tasks()  # the worker's first tick
    assert checks.check_worker_seen(None, databases=["default"]) == []
    clock.advance(minutes=5, seconds=1)
    (found,) = checks.check_worker_seen(None, databases=["default"])
    assert found.msg.startswith("No background worker has been seen for 5 minutes")
