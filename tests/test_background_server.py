"""Background work through real processes: `manage.py worker` beside gunicorn on
PostgreSQL, a real SMTP server that refuses, gunicorn without Redis, and `make run`
itself (runserver and the worker on SQLite, no cron).

- a worker killed before a scheduled go-live: nothing happens while it is away, the
  desk says so, and the go-live runs once when a worker is back;
- a team email the mail server refuses: tried again after each wait, then failed,
  with its error in the admin for the coordinators;
- two gunicorn processes without Redis: after an approval, no read is stale;
- `make run`: a scheduled approval goes live at its time, the development server
  shows it at once, and Ctrl-C stops both processes.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email import message_from_string
from pathlib import Path

import pytest

from . import servers
from .kit import PATIENT, form_values
from .servers import (
    Browser,
    GunicornServer,
    RefusingSMTPServer,
    approve,
    signed_in,
    submit_change,
    wait_for,
)

pytestmark = pytest.mark.server

SCHEDULED_WORDS = "Feeling very tired, in words approved to go live later."


@pytest.fixture(scope="module")
def site():
    """gunicorn (one process) on a demo database with Redis, sending the team's
    email to a mail server that refuses it, retried after 1 s and 1 s."""
    mail = RefusingSMTPServer()
    try:
        with servers.DemoSite("background") as demo:
            gunicorn = demo.gunicorn(
                workers=1,
                DJANGO_EMAIL_HOST="127.0.0.1",
                DJANGO_EMAIL_PORT=str(mail.port),
                NETGUIDE_EMAIL_RETRY_SECONDS="1,1",
            ).start()
            yield demo, gunicorn, mail
    finally:
        mail.close()


def side_effect_id(database, slug="fatigue"):
    return servers.query(
        database,
        "SELECT id FROM treatments_sideeffect WHERE slug = %s AND language = 'en'",
        (slug,),
    )[0][0]


def test_a_killed_workers_scheduled_go_live_runs_once_when_it_is_back(site):
    demo, gunicorn, _ = site
    worker = demo.worker(gunicorn).start()
    pk = side_effect_id(demo.database)
    editor = signed_in(gunicorn, "demo-editor")
    submit_change(
        gunicorn,
        editor,
        "sideeffect",
        pk,
        description=f"{SCHEDULED_WORDS} [[explains]]",
    )
    reviewer = signed_in(gunicorn, "demo-reviewer")
    go_live_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    scheduled = approve(gunicorn, reviewer, "sideeffect", pk, go_live_at=go_live_at)
    assert scheduled.status == 302, gunicorn.log()[-3000:]

    worker.kill()  # before its time
    time.sleep(max(0, (go_live_at - datetime.now(UTC)).total_seconds()) + 2)
    assert SCHEDULED_WORDS not in gunicorn.get("/side-effects/fatigue/").text
    desk = editor.open(f"{gunicorn.base_url}/admin/treatments/sideeffect/{pk}/change/")
    assert "goes live as soon as the background worker runs again" in desk.text

    worker.start()  # back: the go-live it missed runs now
    page = wait_for(
        lambda: SCHEDULED_WORDS in gunicorn.get("/side-effects/fatigue/").text, 90
    )
    assert page, worker.log()[-3000:]
    published = servers.query(
        demo.database,
        "SELECT count(*) FROM treatments_auditentry a"
        " JOIN django_content_type t ON t.id = a.content_type_id"
        " WHERE t.model = 'sideeffect' AND a.object_id = %s AND a.action = 'published'"
        " AND a.note = 'Published as scheduled.'",
        (pk,),
    )
    assert published == [(1,)]
    runs = servers.query(
        demo.database,
        "SELECT status, return_value FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = 'editorial.golive.go_live'",
    )
    assert runs == [("SUCCESSFUL", "Published “Fatigue” revision 2.")]


def test_a_refused_team_email_is_retried_then_shown_to_the_coordinators(site):
    demo, gunicorn, mail = site
    if not demo.workers or demo.workers[-1].process is None:
        demo.worker(gunicorn).start()
    patient = Browser()
    form = patient.open(gunicorn.base_url + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT}
    started = time.monotonic()
    assert (
        patient.open(gunicorn.base_url + "/appointments/request/", data).status == 302
    )
    assert time.monotonic() - started < 1.0  # the patient never waits for mail

    def given_up():
        # The third try is claimed (attempts = 3) before it is sent; no next try
        # planned means it was made and failed.
        rows = servers.query(
            demo.database,
            "SELECT status, attempts, next_try_at IS NULL FROM appointments_notification",
        )
        return rows if rows == [("failed", 3, True)] else None

    assert wait_for(given_up, 90), servers.query(
        demo.database, "SELECT * FROM appointments_notification"
    )
    subjects = [message_from_string(m)["Subject"] for m in mail.refused]
    team_emails = [
        s for s in subjects if s.startswith("NET Guide: appointment request")
    ]
    # The first try and two retries, a second apart.
    assert len(team_emails) == 3, (subjects, demo.workers[-1].log()[-3000:])
    (request_id,) = servers.query(
        demo.database, "SELECT id FROM appointments_appointmentrequest"
    )[0]

    coordinator = signed_in(gunicorn, "demo-coordinator")
    failures = coordinator.open(
        gunicorn.base_url + "/admin/editorial/backgroundtask/?status__exact=FAILED"
    )
    assert (
        "TeamEmailFailed: The team email for appointment request "
        f"#{request_id} failed (3 tries, the last: SMTPDataError)."
    ) in failures.text
    inbox = coordinator.open(
        gunicorn.base_url + "/admin/appointments/appointmentrequest/"
    )
    assert "Team email failed (3 tries)" in inbox.text
    editor = signed_in(gunicorn, "demo-editor")  # not theirs to see
    assert (
        editor.open(
            failures_url := gunicorn.base_url + "/admin/editorial/backgroundtask/"
        ).status
        == 403
    ), failures_url

    mail.refusing = False  # the mail server is back: the next request's email goes
    other = Browser()
    form = other.open(gunicorn.base_url + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT, "message": "Another request."}
    assert other.open(gunicorn.base_url + "/appointments/request/", data).status == 302
    assert wait_for(lambda: mail.received, 90)
    assert "appointment request #" in mail.received[0]


def test_two_processes_without_redis_never_serve_a_page_older_than_the_approval(
    site, tmp_path
):
    demo, _, _ = site
    gunicorn = GunicornServer(
        demo.database_url,
        None,  # no Redis: the cache is a folder both processes share
        demo.prefix,
        workers=2,
        NETGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    demo.gunicorns.append(gunicorn)
    gunicorn.start()
    path = "/side-effects/nausea/"
    words = "Feeling sick to your stomach, in words both processes must show."
    # Each process renders and keeps the page (many connections reach both).
    hits = {gunicorn.get(path).headers["X-Page-Cache"] for _ in range(40)}
    assert hits == {"miss", "hit"}

    pk = side_effect_id(demo.database, "nausea")
    submit_change(
        gunicorn,
        signed_in(gunicorn, "demo-editor"),
        "sideeffect",
        pk,
        description=f"{words} [[explains]]",
    )
    assert (
        approve(gunicorn, signed_in(gunicorn, "demo-reviewer"), "sideeffect", pk).status
        == 302
    )

    stale = [number for number in range(40) if words not in gunicorn.get(path).text]
    assert stale == [], f"{len(stale)} of 40 reads served the page from before"


# make run ---------------------------------------------------------------------------


def test_make_run_publishes_a_scheduled_approval_at_its_time_and_stops_on_ctrl_c(
    tmp_path,
):
    port = servers.free_port()
    database = tmp_path / "db.sqlite3"
    env = servers.server_environment(
        DATABASE_URL=f"sqlite:///{database}",
        NETGUIDE_CACHE_DIR=str(tmp_path / "cache"),
    )
    env.pop("DJANGO_SETTINGS_MODULE")
    log = tempfile.NamedTemporaryFile(prefix="make-run-", suffix=".log", delete=False)
    make = subprocess.Popen(
        [*AS_FROM_A_TERMINAL, "make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=servers.ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Site(f"http://127.0.0.1:{port}")
    try:
        # The first run migrates, imports content/ and makes the demo accounts.
        assert wait_for(server.healthy, 180, step=0.5), Path(log.name).read_text()
        with sqlite3.connect(database) as connection:
            (pk,) = connection.execute(
                "SELECT id FROM treatments_sideeffect"
                " WHERE slug = 'fatigue' AND language = 'en'"
            ).fetchone()
        submit_change(
            server,
            signed_in(server, "demo-editor"),
            "sideeffect",
            pk,
            description=f"{SCHEDULED_WORDS} [[explains]]",
        )
        go_live_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
        reviewer = signed_in(server, "demo-reviewer")
        assert (
            approve(server, reviewer, "sideeffect", pk, go_live_at=go_live_at).status
            == 302
        )
        before = [server.get("/side-effects/fatigue/") for _ in range(2)]
        assert all(SCHEDULED_WORDS not in page.text for page in before)
        assert before[1].headers["X-Page-Cache"] == "hit"  # kept by runserver

        # The worker publishes it at its time; the development server, another
        # process, shows it at once (its cached page is gone).
        shown = wait_for(
            lambda: SCHEDULED_WORDS in server.get("/side-effects/fatigue/").text,
            90,
        )
        seen_at = datetime.now(UTC)
        assert shown, Path(log.name).read_text()[-4000:]
        assert seen_at >= go_live_at
        print(
            f"went live {(seen_at - go_live_at).total_seconds():.2f} s after its time"
        )
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal
        interrupted_at = time.monotonic()
        try:
            # Under a second alone; the worker first finishes a task it is running,
            # and four other CI lanes share the two cores.
            make.wait(timeout=90)
            print(f"stopped {time.monotonic() - interrupted_at:.1f} s after Ctrl-C")
        except subprocess.TimeoutExpired:
            still = subprocess.run(
                ["ps", "-o", "pid,stat,etime,args", "-g", str(make.pid)],
                capture_output=True,
                text=True,
            ).stdout
            tail = Path(log.name).read_text()[-6000:]
            pytest.fail(
                f"make run did not stop within 90 s of Ctrl-C; still running:\n"
                f"{still}\nits log:\n{tail}"
            )
        finally:
            alive = wait_for(lambda: not group_alive(make.pid), 10)
            if not alive:
                os.killpg(make.pid, signal.SIGKILL)
            output = Path(log.name).read_text()
            Path(log.name).unlink(missing_ok=True)
    assert alive, "a process of make run outlived Ctrl-C"
    assert "Starting worker" in output


# Started as a terminal starts it, with Ctrl-C's default action: a shell that ran the
# suite as a background job leaves SIGINT ignored (POSIX shells do, with no job
# control), ignored signals are inherited, and runserver would then never hear Ctrl-C.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGQUIT, signal.SIG_DFL); "
    "os.execvp(sys.argv[1], sys.argv[1:])",
]


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Site:
    """A server at `base_url`, for the kit's HTTP helpers."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.port = int(base_url.rsplit(":", 1)[1])

    request = GunicornServer.request
    get = GunicornServer.get

    def healthy(self):
        try:
            return self.get("/healthz", timeout=2).status == 200
        except OSError:
            return False
