"""The appointment form under real concurrency, and over real HTTP with a mail server
that never answers.

Threads posting at once through Django's handler (each with its own database connection)
and the real counts in the database; pytest-django's live_server (a threaded WSGI
server) with real sockets for the hung mail server.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from appointments.models import AppointmentRequest, Notification
from appointments.throttle import take_slot

from .kit import PATIENT, form_values, run_tasks, someone
from .servers import Browser, SilentSMTPServer

FORM_PATH = "/appointments/request/"
SENT_PATH = "/appointments/request/sent/"

# serialized_rollback: the migrations' data (groups, content types) is put back after
# each test, as the other transactional test files expect.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def opened_form(base):
    """A visitor with the form open: (browser, the data it will send)."""
    browser = Browser()
    page = browser.open(base + FORM_PATH)
    assert page.status == 200, page
    data = form_values(page.text)
    data.update(PATIENT)
    return browser, data


@pytest.fixture
def silent_smtp(settings):
    server = SilentSMTPServer()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 3},
        }
    }
    yield server
    server.close()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database locks its tables under concurrent writes",
)
def test_concurrent_requests_from_one_address_never_pass_the_limit(settings):
    """64 posts from one address at the same moment, each in its own thread with its own
    database connection: exactly the limit get through."""
    limit = settings.APPOINTMENT_REQUESTS_PER_HOUR
    address = {"REMOTE_ADDR": "203.0.113.64"}
    visitors = []
    for number in range(64):  # 64 people (not one person 64 times: that is one request)
        client = Client(enforce_csrf_checks=True)
        page = client.get(FORM_PATH, **address)
        visitors.append(
            (client, {**form_values(page.content.decode()), **someone(number)})
        )
    start = threading.Barrier(len(visitors))

    def send(visitor):
        client, data = visitor
        # Connected first: the race is the requests', not 64 connections opening at
        # once (on a loaded machine some outlast the 2 s connect bound: a calm 503).
        connection.ensure_connection()
        start.wait()
        try:
            return client.post(FORM_PATH, data, **address).status_code
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(visitors)) as pool:
        statuses = list(pool.map(send, visitors))
    assert sorted(statuses) == [302] * limit + [429] * (len(visitors) - limit)
    assert AppointmentRequest.objects.count() == limit


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database locks its tables under concurrent writes",
)
def test_slots_are_handed_out_atomically(settings, rf):
    """64 threads asking for a slot at once, each with its own database connection:
    exactly the limit get one."""
    request = rf.post(FORM_PATH, REMOTE_ADDR="203.0.113.65")
    start = threading.Barrier(64)

    def ask(_):
        connection.ensure_connection()  # connected first, as above
        start.wait()
        try:
            return take_slot(request)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=64) as pool:
        granted = list(pool.map(ask, range(64)))
    assert granted.count(True) == settings.APPOINTMENT_REQUESTS_PER_HOUR


def test_the_confirmation_is_fast_when_the_mail_server_hangs(
    live_server, plain_http_cookies, silent_smtp
):
    browser, data = opened_form(live_server.url)
    started = time.monotonic()
    response = browser.open(live_server.url + FORM_PATH, data)
    redirected = time.monotonic() - started
    assert response.status == 302 and response.headers["Location"] == SENT_PATH
    sent = browser.open(live_server.url + SENT_PATH)
    confirmed = time.monotonic() - started
    assert sent.status == 200 and "We got your request" in sent.text
    print(
        f"redirect after {redirected:.3f} s, confirmation page after {confirmed:.3f} s"
    )
    assert confirmed < 1.0, f"the patient waited {confirmed:.2f} s"

    # The worker tries the email and, after the SMTP timeout, marks it as failed and
    # queues the next try.
    notification = Notification.objects.get()
    assert notification.status == "pending"
    (tried,) = run_tasks()
    assert tried.return_value.startswith("Failed")
    notification.refresh_from_db()
    assert notification.status == "failed"
    # smtplib reports the silent server as a timeout or as a dropped connection.
    assert notification.last_error in {"TimeoutError", "SMTPServerDisconnected"}
    assert time.monotonic() - started >= 3  # it really waited for the mail server
