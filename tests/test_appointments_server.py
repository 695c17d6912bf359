"""The appointment form and the team's searches through the production stack (gunicorn
with its access log on, PostgreSQL, Redis, SMTP to a mail server that never answers):
the patient is not kept waiting, and what staff type never reaches the server's log."""

import re
import time
from urllib.parse import urlencode

import pytest

from . import servers
from .kit import ADMIN_LIST, PATIENT, form_values, leaked_values
from .servers import Browser, SilentSMTPServer

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server():
    mail = SilentSMTPServer()
    try:
        with servers.DemoSite("appointments") as site:
            running = site.gunicorn(
                workers=1,
                DJANGO_EMAIL_HOST="127.0.0.1",
                DJANGO_EMAIL_PORT=str(mail.port),
                GUNICORN_ACCESS_LOG="-",
            ).start()
            running.database = site.database
            yield running
    finally:
        mail.close()


def test_the_patient_is_thanked_at_once_while_the_mail_server_hangs(server):
    base = server.base_url
    patient = Browser()
    form = patient.open(base + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT}
    started = time.monotonic()
    response = patient.open(base + "/appointments/request/", data)
    assert response.status == 302
    page = patient.open(base + response.headers["Location"])
    waited = time.monotonic() - started
    assert page.status == 200 and "We got your request" in page.text
    print(f"confirmation page after {waited:.3f} s with a hung mail server")
    assert waited < 1.0, f"the patient waited {waited:.2f} s"

    # The team email is the worker's (tests/test_background_server.py: a mail server
    # that refuses); here it waits, queued with the request.
    assert servers.query(
        server.database, "SELECT status FROM appointments_notification"
    ) == [("pending",)]
    assert servers.query(
        server.database,
        "SELECT status FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = 'appointments.tasks.send_team_email'",
    ) == [("READY",)]


def test_admin_searches_stay_out_of_the_access_log(server):
    base = server.base_url
    patient = Browser()
    form = patient.open(base + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT}
    assert patient.open(base + "/appointments/request/", data).status == 302

    coordinator = Browser()
    coordinator.login(base, "demo-coordinator")
    # Every request in this server's database came from the same patient.
    (count,) = servers.query(
        server.database, "SELECT count(*) FROM appointments_appointmentrequest"
    )[0]
    for term in ("Quaxworth", "(555) 234-5678", "zebulon.quaxworth@example.org"):
        page = coordinator.open(base + ADMIN_LIST + "?" + urlencode({"q": term}))
        assert page.status == 200
        found = re.search(r"(\d+) appointment requests?\b", page.text)
        assert found and int(found.group(1)) == count, term
    assert server.get("/search/?q=Zorblaxine+liver").status == 200

    # gunicorn writes the access line after the response: wait for it, not a clock.
    deadline = time.monotonic() + 10
    while "GET /search/ " not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log()
    assert f"GET {ADMIN_LIST} HTTP/1.1" in log  # the access log is on
    assert leaked_values(log) == []
    # Nor what a patient searched for: no address is logged with its query string.
    assert '"GET /search/ HTTP/1.1"' in log and "Zorblaxine" not in log


def send_request(base, **changes):
    patient = Browser()
    form = patient.open(base + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT, **changes}
    response = patient.open(base + "/appointments/request/", data)
    assert response.status == 302, response.text[:2000]


def access_log(database):
    return servers.query(
        database, "SELECT username, action, detail FROM appointments_accesslogentry"
    )


def test_no_admin_side_door_returns_a_request_unlogged(server):
    """The admin's autocomplete searched requests by name and phone (through a call
    attempt's or a team email's link to its request) and a field lookup in the list's
    address filtered them, and neither wrote a line in the access log."""
    base = server.base_url
    send_request(base)
    coordinator = Browser()
    coordinator.login(base, "demo-coordinator")
    before = access_log(server.database)
    for model_name in ("callattempt", "notification"):
        for term in ("Quaxworth", "555-234-5678"):
            query = urlencode(
                {
                    "app_label": "appointments",
                    "model_name": model_name,
                    "field_name": "request",
                    "term": term,
                }
            )
            answer = coordinator.open(f"{base}/admin/autocomplete/?{query}")
            assert answer.status == 403, (model_name, term, answer.text[:300])
            assert "Request #" not in answer.text
    for lookup in ("name__icontains=Quax", "phone__contains=5552345678"):
        answer = coordinator.open(f"{base}{ADMIN_LIST}?{lookup}")
        assert answer.status == 400, lookup
        assert "Request #" not in answer.text
    assert access_log(server.database) == before


def test_hidden_characters_never_reach_the_team(server):
    """A right-to-left override and zero-width spaces typed into the form are dropped:
    the team reads the name as it is and finds it by its letters."""
    base = server.base_url
    send_request(
        base,
        name="Zebu\u200blon \u202eQuaxworth",
        phone="555\u200b-234-5678",
        message="Please call\u2066 after the school run, ask for Zebulon.",
    )
    (row,) = servers.query(
        server.database,
        "SELECT name, phone, message FROM appointments_appointmentrequest"
        " ORDER BY id DESC LIMIT 1",
    )
    assert row == (
        "Zebulon Quaxworth",
        "+15552345678",
        "Please call after the school run, ask for Zebulon.",
    )
    coordinator = Browser()
    coordinator.login(base, "demo-coordinator")
    page = coordinator.open(
        base + ADMIN_LIST + "?" + urlencode({"q": "Zebulon Quaxworth"})
    )
    found = re.search(r"(\d+) appointment requests?\b", page.text)
    assert found and int(found.group(1)) >= 1
