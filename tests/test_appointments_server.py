"""The appointment team's searches through the production stack (gunicorn with its access
log on, PostgreSQL, Redis): what staff type never reaches the server's log."""

import re
from urllib.parse import urlencode

import pytest

from . import servers
from .html_forms import form_values
from .servers import Browser, GunicornServer
from .test_appointments import PATIENT, leaked_values

QUEUE = "/admin/appointments/appointmentrequest/"


@pytest.fixture(scope="module")
def server():
    servers.require_services()
    servers.ensure_static_files()
    database = servers.create_demo_database()
    prefix = servers.cache_prefix("appointments")
    running = GunicornServer(
        servers.database_url(database),
        servers.REDIS_URL,
        prefix,
        workers=1,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        GUNICORN_ACCESS_LOG="-",
    )
    try:
        yield running.start()
    finally:
        servers.stop_all(running)
        servers.drop_database(database)
        servers.delete_cache_prefix(prefix)


def test_admin_searches_stay_out_of_the_access_log(server):
    base = server.base_url
    patient = Browser()
    form = patient.open(base + "/appointments/request/")
    data = {**form_values(form.text), **PATIENT}
    assert patient.open(base + "/appointments/request/", data).status == 302

    coordinator = Browser()
    coordinator.login(base, "demo-coordinator")
    for term in ("Quaxworth", "(555) 234-5678", "zebulon.quaxworth@example.org"):
        page = coordinator.open(base + QUEUE + "?" + urlencode({"q": term}))
        assert page.status == 200
        assert re.search(r"1 appointment request\b", page.text), term
    assert server.get("/search/?q=liver").status == 200

    log = server.log()
    assert f"GET {QUEUE} HTTP/1.1" in log  # the access log is on
    assert leaked_values(log) == []
    assert "/search/?q=liver" in log  # public URLs keep theirs
