"""Two app servers, one database, one cache: what one server publishes, the other shows
at once, and nothing that matters (sessions, page cache, login throttle) lives in
one server's memory. Real HTTP to two gunicorn processes; the admin is driven like a
browser (cookies, CSRF tokens, the real forms)."""

import re
import secrets
import socket
import time

import pytest

from . import servers
from .kit import csrf_token, form_values
from .servers import Browser

NEW_SUMMARY = "An operation to remove the tumor, with words approved on server A."

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def pair():
    key = secrets.token_urlsafe(50)  # every server of one site shares its secret key
    # Workflow emails go to the log (the default SMTP mailer is misconfigured: see
    # test_resilience.test_an_editorial_step_never_fails_on_email).
    mail = "django.core.mail.backends.console.EmailBackend"
    with servers.DemoSite("scaling") as site:
        a = site.gunicorn(secret_key=key, DJANGO_EMAIL_BACKEND=mail)
        b = site.gunicorn(secret_key=key, DJANGO_EMAIL_BACKEND=mail)
        a.start()
        b.start()
        yield a, b, site.database


def errors_in(html):
    return re.findall(
        r'<(?:p|ul) class="errornote[^"]*">(.*?)</(?:p|ul)>|<ul class="errorlist[^"]*">(.*?)</ul>',
        html,
        re.S,
    )


def test_an_approval_on_one_server_shows_at_once_on_the_other(pair):
    a, b, database = pair
    (surgery_id,) = servers.query(
        database, "SELECT id FROM treatments_treatment WHERE slug = 'surgery'"
    )[0]
    for server in (a, b):
        for path in ("/treatments/surgery/", "/"):
            server.get(path)
            response = server.get(path)
            assert (response.status, response.headers["X-Page-Cache"]) == (
                200,
                "hit",
            ), (server.port, path)
            assert NEW_SUMMARY not in response.text

    # The editor changes the summary through the admin's change form on server A.
    editor = Browser()
    editor.login(a.base_url, "demo-editor")
    change_url = f"{a.base_url}/admin/treatments/treatment/{surgery_id}/change/"
    page = editor.open(change_url)
    assert page.status == 200
    data = form_values(page.text, "treatment_form")
    assert data.get("base_revision") and "questions-TOTAL_FORMS" in data, sorted(data)
    data.update(summary=NEW_SUMMARY, _save="Save")
    saved = editor.open(change_url, data)
    assert saved.status == 302, (
        f"the change form did not save: {errors_in(saved.text)}\n{a.log()[-3000:]}"
    )

    submit_url = f"{a.base_url}/admin/treatments/treatment/{surgery_id}/submit/"
    page = editor.open(submit_url)
    submitted = editor.open(
        submit_url,
        {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "change_summary": "Clearer summary.",
            "reading_level_reason": "Medical words are needed here.",
        },
    )
    assert submitted.status == 302, (
        f"submit failed: {errors_in(submitted.text)}\n{a.log()[-3000:]}"
    )
    # The reviewers' email is queued for the background worker.
    assert servers.query(
        database,
        "SELECT status FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = 'editorial.tasks.tell_reviewers_submitted'",
    ) == [("READY",)], "the reviewers were not told"

    # The reviewer approves it on server A, with the content hash of what they read.
    reviewer = Browser()
    reviewer.login(a.base_url, "demo-reviewer")
    review_url = f"{a.base_url}/admin/treatments/treatment/{surgery_id}/review/"
    page = reviewer.open(review_url)
    assert page.status == 200 and NEW_SUMMARY in page.text
    content_hash = form_values(page.text)["content_hash"]
    approved = reviewer.open(
        review_url,
        {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "content_hash": content_hash,
            "note": "",
            "decision": "approve",
        },
    )
    assert approved.status == 302, (
        f"approval failed: {errors_in(approved.text)}\n{a.log()[-3000:]}"
    )
    assert servers.query(
        database,
        "SELECT status FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = 'editorial.tasks.tell_editors_decided'",
    ) == [("READY",)], "the editor was not told"

    # Server B, at once: no stale page from its cache.
    treatment = b.get("/treatments/surgery/")
    assert treatment.status == 200
    assert NEW_SUMMARY in treatment.text, "server B still shows the old summary"
    assert treatment.headers["X-Page-Cache"] == "miss"
    home = b.get("/")
    assert NEW_SUMMARY in home.text, (
        "server B's home page card still shows the old summary"
    )
    # ...and the page it rebuilt is shared: server A's next request is a hit.
    assert a.get("/treatments/surgery/").headers["X-Page-Cache"] == "hit"


def test_sessions_and_the_login_throttle_are_shared_by_every_server(pair):
    a, b, _ = pair
    editor = Browser()
    editor.login(a.base_url, "demo-editor")
    on_b = editor.open(f"{b.base_url}/admin/")  # the same cookies, the other server
    assert on_b.status == 200, (
        f"a session from server A is not valid on server B ({on_b.status})"
    )
    assert "demo-editor" in on_b.text or "Demo" in on_b.text
    # Logging out on B ends the session on A too.
    page = editor.open(f"{b.base_url}/admin/")
    logout = editor.open(
        f"{b.base_url}/admin/logout/", {"csrfmiddlewaretoken": csrf_token(page.text)}
    )
    assert logout.status in {200, 302}
    assert editor.open(f"{a.base_url}/admin/").status == 302

    # Failed logins add up across servers: the limit is per site, not per process.
    attempts = 0
    while attempts < 5:
        for server in (a, b):
            guesser = Browser()
            page = guesser.open(f"{server.base_url}/admin/login/")
            response = guesser.open(
                f"{server.base_url}/admin/login/",
                {
                    "csrfmiddlewaretoken": csrf_token(page.text),
                    "username": "demo-admin",
                    "password": f"guess-{attempts}",
                },
            )
            attempts += 1
            if attempts <= 4:
                assert response.status == 200, attempts
    for server in (a, b):
        guesser = Browser()
        page = guesser.open(f"{server.base_url}/admin/login/")
        response = guesser.open(
            f"{server.base_url}/admin/login/",
            {
                "csrfmiddlewaretoken": csrf_token(page.text),
                "username": "demo-admin",
                "password": servers.DEMO_PASSWORD,
            },
        )
        assert response.status == 429, (
            f"server {server.port} did not see the failures counted on the other"
        )


def test_an_oversized_body_is_refused_before_it_is_sent(pair):
    a, _, _ = pair
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as sock:
        sock.sendall(
            b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 50000000\r\nConnection: close\r\n\r\n"
        )
        started = time.monotonic()
        reply = sock.recv(4096)
        assert time.monotonic() - started < 3, "the server waited for the body"
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
