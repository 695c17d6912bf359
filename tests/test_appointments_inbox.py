"""The appointment team's inbox in the admin: the queue and its promise, the attempt log,
the access log, the team email that is never lost, retention, and the team's tools.

Real database, Django's test client, real email outbox or a real (refusing) SMTP port,
the real management commands. Time comes from the `clock` fixture.
"""

import re
import subprocess
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.test import Client

from appointments.models import (
    ANONYMISED,
    REDACTED,
    AccessLogEntry,
    AppointmentRequest,
    CallAttempt,
    Notification,
    Status,
    due_after,
)

from .kit import (
    ADMIN_LIST,
    PATIENT,
    form_target,
    form_values,
    leaked_values,
    logged_in,
    make_request,
    make_user,
    parse_response,
    request_appointment,
    run_tasks,
)
from .servers import PYTHON, ROOT, free_port, server_environment

ACCESS_LOG = "/admin/appointments/accesslogentry/"
FORM_ID = "appointmentrequest_form"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
NEW_YORK_10AM_WEDNESDAY = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)


def logged(request_id=None):
    """(username, action, detail) in the order they happened."""
    entries = AccessLogEntry.objects.order_by("at", "pk")
    if request_id is not None:
        entries = entries.filter(request_id=request_id)
    return [(e.username, e.action, e.detail) for e in entries]


def field_box(page, name):
    """The admin's box for one field of the change form."""
    boxes = [
        n
        for n in page.find_all("div")
        if n.has_class("form-row") and n.has_class(f"field-{name}")
    ]
    assert len(boxes) == 1, f"{len(boxes)} boxes for {name}"
    return boxes[0]


def change_form(client, item):
    response = client.get(item.get_admin_url())
    assert response.status_code == 200
    return form_values(response.content.decode(), FORM_ID)


def save_change(client, item, **changes):
    data = {**change_form(client, item), **changes, "_save": "Save"}
    response = client.post(item.get_admin_url(), data)
    assert response.status_code == 302, (
        parse_response(response).find("form").text[:2000]
    )
    item.refresh_from_db()
    return response


def run_action(client, action, *items, **extra):
    response = client.post(
        ADMIN_LIST,
        {
            "action": action,
            "_selected_action": [item.pk for item in items],
            "index": 0,
            **extra,
        },
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def queue_rows(client, query=""):
    response = client.get(ADMIN_LIST + query)
    assert response.status_code == 200
    tables = parse_response(response).find_all("table", id="result_list")
    if not tables:  # the admin shows no table for an empty result
        return []
    table = tables[0]
    return [
        (
            row.find_all("a")[0].text,
            row.find("td", class_="field-call_back").text,
        )
        for row in table.find("tbody").find_all("tr")
    ]


@pytest.fixture
def second_coordinator(django_user_model):
    return make_user("coordinator2", "Appointment coordinators")


@pytest.fixture
def privacy_officer(django_user_model):
    return make_user("privacy", "Privacy officers")


# The access log ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinators_view_is_in_the_access_log_and_an_editor_cannot_read_it(
    coordinator, editor, privacy_officer, superuser
):
    item = make_request(message="Diagnosed in May, record number 12345")
    client = logged_in(coordinator)
    assert client.get(item.get_admin_url()).status_code == 200
    assert logged(item.pk) == [("coordinator", "viewed", "")]

    for who, status in ((editor, 403), (coordinator, 403)):
        assert logged_in(who).get(ACCESS_LOG).status_code == status, who
    for who in (privacy_officer, superuser):
        page = logged_in(who).get(ACCESS_LOG)
        assert page.status_code == 200
        rows = (
            parse_response(page)
            .find("table", id="result_list")
            .find("tbody")
            .find_all("tr")
        )
        assert [row.find("td", class_="field-request_id").text for row in rows] == [
            str(item.pk)
        ]
        assert "coordinator" in rows[0].text and "Viewed the details" in rows[0].text
        # It holds no personal values.
        assert "12345" not in page.content.decode()
        assert "Ada Example" not in page.content.decode()

    # Append-only: nobody adds, changes or deletes an entry, superusers included.
    entry = AccessLogEntry.objects.get()
    root = logged_in(superuser)
    assert root.get(ACCESS_LOG + "add/").status_code == 403
    assert (
        root.post(ACCESS_LOG + f"{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert root.post(
        ACCESS_LOG + f"{entry.pk}/change/", {"action": "deleted"}
    ).status_code in (302, 403)
    assert logged(item.pk) == [("coordinator", "viewed", "")]


@pytest.mark.django_db
def test_search_results_are_logged_per_request_shown_and_the_term_is_not(coordinator):
    found = make_request(name="Zebulon Quaxworth")
    make_request(name="Someone Else")
    client = logged_in(coordinator)
    response = client.get(ADMIN_LIST, {"q": "Quaxworth"})
    assert [row[0] for row in queue_rows(client, "?q=Quaxworth")] == [str(found)]
    assert response.status_code == 200
    assert logged() == [("coordinator", "searched", "")] * 2  # two searches, one row
    assert all("Quaxworth" not in e.detail for e in AccessLogEntry.objects.all())
    # The list without a search shows names and numbers too: each row is a look.
    client.get(ADMIN_LIST)
    assert logged()[2:] == [("coordinator", "viewed", "Listed in the inbox")] * 2
    assert all("Quaxworth" not in e.detail for e in AccessLogEntry.objects.all())


def addresses_in(response):
    """Every address the page links to, loads or sends a form to."""
    return [
        value
        for node in parse_response(response).iter()
        for name, value in node.attrs.items()
        if name in ("href", "src", "action") and value
    ]


@pytest.mark.django_db
def test_the_search_term_is_sent_in_the_body_and_never_in_an_address(coordinator):
    """Addresses end up in logs (nginx's, when gunicorn is down, in the Referer of
    the next page): the search form posts, and the list's address carries a token
    that stands for the term in this session only."""
    found = make_request(name="Zebulon Quaxworth")
    make_request(name="Someone Else", status="closed")
    client = logged_in(coordinator, enforce_csrf_checks=True)
    queue = client.get(ADMIN_LIST + "?status__exact=new")
    assert form_target(queue.content.decode(), "changelist-search") == ("post", "")
    data = form_values(queue.content.decode(), "changelist-search")
    searched = client.post(
        ADMIN_LIST + "?status__exact=new", {**data, "q": "Zebulon Quaxworth"}
    )
    assert searched.status_code == 303
    location = searched["Location"]
    assert "Quaxworth" not in location and "Zebulon" not in location
    assert location.startswith(ADMIN_LIST + "?") and "status__exact=new" in location

    results = client.get(location)
    assert [row[0] for row in queue_rows(client, location[len(ADMIN_LIST) :])] == [
        str(found)
    ]
    page = parse_response(results)
    assert page.find("input", id="searchbar").attrs["value"] == "Zebulon Quaxworth"
    leaks = [a for a in addresses_in(results) if "Quaxworth" in a or "Zebulon" in a]
    assert leaks == []
    # The list before the search showed the one new request; each load of the
    # results shows the one it found.
    assert logged() == [
        ("coordinator", "viewed", "Listed in the inbox"),
        *[("coordinator", "searched", "")] * 2,
    ]

    # The token means nothing in another session: it finds nobody.
    other = logged_in(coordinator)
    elsewhere = other.get(location)
    assert elsewhere.status_code == 200
    assert queue_rows(other, location[len(ADMIN_LIST) :]) == []
    assert "search again" in elsewhere.content.decode()


@pytest.mark.django_db
def test_a_phone_number_searched_through_the_form_is_found_in_any_format(
    coordinator,
):
    found = make_request(phone="+15552345678")
    client = logged_in(coordinator, enforce_csrf_checks=True)
    data = form_values(client.get(ADMIN_LIST).content.decode(), "changelist-search")
    searched = client.post(ADMIN_LIST, {**data, "q": "(555) 234-5678"})
    # The address holds the token alone (its hex digits may well include "555").
    query = parse_qs(urlsplit(searched["Location"]).query)
    assert list(query) == ["q"]
    assert re.fullmatch(r"search:[0-9a-f]{32}", query["q"][0])
    rows = queue_rows(client, searched["Location"][len(ADMIN_LIST) :])
    assert [row[0] for row in rows] == [str(found)]


AUTOCOMPLETE = "/admin/autocomplete/"


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["callattempt", "notification"])
@pytest.mark.parametrize("term", ["Quaxworth", "555-234", "zebulon@"])
def test_autocomplete_never_searches_requests(coordinator, superuser, source, term):
    """The admin's autocomplete searches with the list's search fields but shows no
    list: it would say whose request is which without a line in the access log."""
    make_request(name="Zebulon Quaxworth", email="zebulon@example.org")
    for who in (coordinator, superuser):
        response = logged_in(who).get(
            AUTOCOMPLETE,
            {
                "app_label": "appointments",
                "model_name": source,
                "field_name": "request",
                "term": term,
            },
        )
        assert response.status_code == 403, (who, response.content[:300])
        assert b"Request #" not in response.content
    assert logged() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lookup",
    [
        "name__icontains=Quax",
        "name=Zebulon+Quaxworth",
        "phone__contains=5552",
        "email__startswith=zeb",
        "message__icontains=school",
        "attempts__note__icontains=voicemail",
        "notification__last_error__icontains=SMTP",
    ],
)
def test_the_queue_takes_no_filter_it_does_not_offer(coordinator, lookup):
    """Any field lookup in the address would be a search of patients' details that
    the access log does not see: refused."""
    make_request(name="Zebulon Quaxworth", message="After the school run")
    response = logged_in(coordinator).get(f"{ADMIN_LIST}?{lookup}")
    assert response.status_code == 400
    assert b"Quaxworth" not in response.content
    assert logged() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?due=overdue",
        "?due=soon",
        "?assigned=me",
        "?assigned=nobody",
        "?email=failed",
        "?duplicate=yes",
        "?status__exact=new",
        "?treatment=surgery",
        "?language__exact=es",
        "?site_language__exact=es",
        "?interpreter__exact=1",
        "?requester__exact=family",
        "?status__exact=new&o=2",
        "?_popup=1&_to_field=id",
    ],
)
def test_the_queues_own_filters_still_work(coordinator, query):
    make_request(treatment="surgery", language="es", interpreter=True)
    assert logged_in(coordinator).get(ADMIN_LIST + query).status_code == 200


@pytest.mark.django_db
def test_a_requests_history_and_delete_confirmations_are_logged(coordinator):
    item = make_request(name="Zebulon Quaxworth")
    other = make_request()
    client = logged_in(coordinator)
    assert client.get(f"{ADMIN_LIST}{item.pk}/history/").status_code == 200
    assert client.get(f"{ADMIN_LIST}{item.pk}/delete/").status_code == 200
    confirm = client.post(
        ADMIN_LIST,
        {"action": "delete_selected", "_selected_action": [item.pk, other.pk]},
    )
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    assert AppointmentRequest.objects.count() == 2
    assert logged(item.pk) == [
        ("coordinator", "viewed", "History"),
        ("coordinator", "viewed", "Delete confirmation"),
        ("coordinator", "viewed", "Delete confirmation"),
    ]
    assert logged(other.pk) == [("coordinator", "viewed", "Delete confirmation")]


@pytest.mark.django_db
def test_a_raw_id_popup_search_is_logged_like_the_list(coordinator):
    found = make_request(name="Zebulon Quaxworth")
    make_request()
    client = logged_in(coordinator)
    response = client.get(ADMIN_LIST, {"_popup": "1", "_to_field": "id", "q": "Quax"})
    assert response.status_code == 200
    assert logged() == [("coordinator", "searched", "")]
    assert logged(found.pk) == logged()


# The queue and its promise ------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, due",
    [
        # Wednesday 10:00 in New York: Thursday 10:00.
        (datetime(2026, 6, 10, 14, 0, tzinfo=UTC), "2026-06-11 10:00"),
        # Friday 16:30: Monday 16:30, not Saturday.
        (datetime(2026, 6, 12, 20, 30, tzinfo=UTC), "2026-06-15 16:30"),
        # Saturday night: the working day starts Monday 9:00, so Tuesday 9:00.
        (datetime(2026, 6, 14, 2, 0, tzinfo=UTC), "2026-06-16 09:00"),
        # Across the clock change in March: still 10:00 on the wall.
        (datetime(2026, 3, 6, 15, 0, tzinfo=UTC), "2026-03-09 10:00"),
    ],
)
def test_the_call_back_is_due_one_business_day_later_in_the_teams_time_zone(sent, due):
    from zoneinfo import ZoneInfo

    local = due_after(sent).astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%Y-%m-%d %H:%M") == due


@pytest.mark.django_db
def test_an_overdue_request_sorts_first_and_shows_as_overdue(coordinator, clock):
    start = clock.now  # Wednesday 10:00
    later = make_request(created_at=start)
    earlier = make_request(created_at=start - timedelta(hours=20))
    client = logged_in(coordinator)
    assert queue_rows(client) == [
        (str(earlier), "4 h 0 min left"),
        (str(later), "1 day 0 h left"),
    ]

    clock.advance(hours=6)  # Wednesday 16:00: the earlier one was due at 14:00
    client = logged_in(coordinator)  # the idle session ended meanwhile
    assert queue_rows(client) == [
        (str(earlier), "Overdue by 2 h 0 min"),
        (str(later), "18 h 0 min left"),
    ]
    page = parse_response(client.get(ADMIN_LIST))
    cell = page.find("td", class_="field-call_back")
    assert cell.find("strong", class_="overdue").text == "Overdue by 2 h 0 min"
    assert queue_rows(client, "?due=overdue") == [
        (str(earlier), "Overdue by 2 h 0 min")
    ]

    # The admin index shows the counts, linked to the filtered queue.
    index = parse_response(client.get("/admin/"))
    counts = index.find("ul", class_="queue-counts")
    assert [a.text for a in counts.find_all("a")] == [
        "1 overdue",
        "0 due within 4 hours",
        "2 unassigned",
        "2 open",
    ]
    assert counts.find("a").attrs["href"] == ADMIN_LIST + "?due=overdue"

    # Reaching the patient keeps the promise: it leaves the overdue view.
    earlier.log_attempt(coordinator, "reached")
    assert queue_rows(client, "?due=overdue") == []
    assert queue_rows(client)[1] == (str(earlier), "Contacted, open 1 day 2 h")


@pytest.mark.django_db
def test_filters_for_assignment_treatment_and_language(
    coordinator, second_coordinator, clock
):
    mine = make_request(treatment="surgery", language="es", interpreter=True)
    theirs = make_request(treatment="prrt")
    nobodys = make_request()
    client = logged_in(coordinator)
    messages = run_action(client, "assign_to_me", mine)
    assert messages == ["1 request(s) assigned to you."]
    save_change(client, theirs, assigned_to=str(second_coordinator.pk))

    def shown(query):
        return [row[0] for row in queue_rows(client, query)]

    assert shown("?assigned=me") == [str(mine)]
    assert shown("?assigned=nobody") == [str(nobodys)]
    assert shown("?treatment=surgery") == [str(mine)]
    assert shown("?language__exact=es") == [str(mine)]
    assert shown("?interpreter__exact=1") == [str(mine)]
    assert logged(theirs.pk)[-1] == (
        "coordinator",
        "changed",
        "Assigned to coordinator2",
    )
    page = parse_response(client.get(ADMIN_LIST))
    row = page.find("table", id="result_list").find("tbody").find_all("tr")[0]
    assert row.find("td", class_="field-treatment_column").text == "surgery"
    assert row.find("td", class_="field-language_column").text == "Spanish"


# Attempts and history -----------------------------------------------------------------


@pytest.mark.django_db
def test_two_call_attempts_both_survive(coordinator, second_coordinator, clock):
    item = make_request()
    first = logged_in(coordinator)
    save_change(
        first,
        item,
        **{
            "attempts-0-at_0": "2026-06-10",
            "attempts-0-at_1": "10:05:00",
            "attempts-0-outcome": "voicemail",
            "attempts-0-note": "Called 10:05, left voicemail.",
        },
    )
    assert item.status == Status.NEW  # a voicemail does not keep the promise

    second = logged_in(second_coordinator)
    data = change_form(second, item)
    assert data["attempts-TOTAL_FORMS"] == "2" and data["attempts-INITIAL_FORMS"] == "1"
    save_change(
        second,
        item,
        **{
            "attempts-1-at_0": "2026-06-10",
            "attempts-1-at_1": "14:00:00",
            "attempts-1-outcome": "reached",
            "attempts-1-note": "Called 14:00, booked for Thursday.",
        },
    )
    assert [
        (a.by.username, a.outcome, a.note, a.at.astimezone(UTC).hour)
        for a in item.attempts.all()
    ] == [
        ("coordinator", "voicemail", "Called 10:05, left voicemail.", 14),
        ("coordinator2", "reached", "Called 14:00, booked for Thursday.", 18),
    ]
    assert item.status == Status.CONTACTED

    # The earlier attempt is shown, not editable: a post cannot rewrite it.
    page = second.get(item.get_admin_url()).content.decode()
    assert "Called 10:05, left voicemail." in page
    assert 'name="attempts-0-note"' not in page
    history = [
        e.get_change_message()
        for e in LogEntry.objects.filter(object_id=str(item.pk)).order_by("pk")
    ]
    assert history == [
        "Logged 1 call attempt: Left a voicemail.",
        "Logged 1 call attempt: Reached the patient.",
    ]


@pytest.mark.django_db
def test_status_changes_keep_old_and_new_values_and_bulk_actions_are_recorded(
    coordinator, clock
):
    one, two = make_request(), make_request()
    client = logged_in(coordinator)
    messages = run_action(client, "close_reached", one, two)
    assert messages == ["2 request(s) closed: Reached: nothing more to do."]
    for item in (one, two):
        history = LogEntry.objects.get(object_id=str(item.pk))
        assert history.get_change_message() == (
            "Status: New → Closed: Reached: nothing more to do (bulk action)."
        )
        assert logged(item.pk) == [
            (
                "coordinator",
                "bulk",
                "Status: New → Closed: Reached: nothing more to do (bulk action)",
            ),
            ("coordinator", "viewed", "Listed in the inbox"),
        ]
    one.refresh_from_db()
    save_change(client, one, status="contacted")
    entry = LogEntry.objects.filter(object_id=str(one.pk)).latest("pk")
    assert entry.get_change_message() == "Status: Closed → Contacted."
    assert logged(one.pk)[-1] == (
        "coordinator",
        "changed",
        "Status: Closed → Contacted",
    )
    # Only the retention rule expires a request (it removes the details as well).
    select = parse_response(client.get(one.get_admin_url())).find(
        "select", name="status"
    )
    assert [o.attrs["value"] for o in select.find_all("option")] == [
        "new",
        "contacted",
        "closed",
    ]


@pytest.mark.django_db
def test_every_close_updates_the_close_date(coordinator, clock):
    item = make_request()
    item.mark(Status.CLOSED)
    first_close = item.closed_at
    clock.advance(days=30)
    item.mark(Status.CONTACTED)
    assert item.closed_at is None
    clock.advance(days=1)
    item.mark(Status.CLOSED)
    assert item.closed_at == first_close + timedelta(days=31)


# No lost request --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_team_email_is_visible_in_the_admin_and_retried(
    coordinator, settings, mailoutbox, clock
):
    closed_port = free_port()  # nothing listens: the connection is refused
    settings.MAILERS = {
        "default": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port, "timeout": 2},
        }
    }
    settings.APPOINTMENT_EMAIL_RETRY_SECONDS = [60, 300]
    response = request_appointment(Client())
    assert response.status_code == 302  # the patient is thanked all the same
    assert Client().get(response["Location"]).status_code == 200
    item = AppointmentRequest.objects.get()
    assert (item.notification.status, item.notification.attempts) == ("pending", 0)

    (first,) = run_tasks()  # the worker's first try
    assert first.return_value == "Failed (ConnectionRefusedError); try 2 is queued."
    item.notification.refresh_from_db()
    assert (item.notification.status, item.notification.attempts) == ("failed", 1)
    assert item.notification.last_error == "ConnectionRefusedError"
    assert item.notification.next_try_at == clock.now + timedelta(seconds=60)
    assert run_tasks() == []  # the next try waits its minute

    client = logged_in(coordinator)
    assert [row[0] for row in queue_rows(client, "?email=failed")] == [str(item)]
    cell = parse_response(client.get(ADMIN_LIST)).find("td", class_="field-flags")
    assert cell.text == "Team email failed (1 try)"
    index = parse_response(client.get("/admin/")).find("ul", class_="queue-counts")
    assert "1 team email failed" in index.text

    # Still down: tries 2 and 3 after 1 and 5 minutes; the last failure is final and
    # shows, with its error, to the coordinators among the background tasks.
    clock.advance(seconds=60)
    assert [row.status for row in run_tasks()] == ["SUCCESSFUL"]
    clock.advance(seconds=300)
    (last,) = run_tasks()
    assert last.status == "FAILED"
    item.notification.refresh_from_db()
    assert (item.notification.attempts, item.notification.next_try_at) == (3, None)
    tasks = parse_response(
        client.get("/admin/editorial/backgroundtask/?status__exact=FAILED")
    )
    assert [
        cell.text for cell in tasks.find_all("td", class_="field-what_went_wrong")
    ] == [
        "TeamEmailFailed: The team email for appointment request "
        f"#{item.pk} failed (3 tries, the last: ConnectionRefusedError). Send it "
        "again from the appointment requests list."
    ]
    assert leaked_values(tasks.find("main").text) == []

    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    out = StringIO()
    call_command("send_appointment_notifications", "--dry-run", stdout=out)
    assert out.getvalue() == "Dry run, nothing sent: 1 team email(s) to retry.\n"
    assert mailoutbox == []
    out = StringIO()
    call_command("send_appointment_notifications", stdout=out)
    assert out.getvalue() == "Sent 1 team email(s); 0 failed again.\n"
    item.notification.refresh_from_db()
    assert (item.notification.status, item.notification.attempts) == ("sent", 4)
    assert [m.subject for m in mailoutbox] == [
        f"NET Guide: appointment request #{item.pk}"
    ]
    assert leaked_values(mailoutbox[0].message().as_string()) == []
    # Idempotent: a second run finds nothing to send.
    out = StringIO()
    call_command("send_appointment_notifications", stdout=out)
    assert out.getvalue() == "Sent 0 team email(s); 0 failed again.\n"
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_each_email_subject_names_its_request(mailoutbox):
    for _ in range(2):
        assert request_appointment(Client()).status_code == 302
    run_tasks()
    numbers = list(
        AppointmentRequest.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert [m.subject for m in mailoutbox] == [
        f"NET Guide: appointment request #{n}" for n in numbers
    ]


@pytest.mark.django_db
def test_the_retry_button_in_the_admin_sends_a_failed_email(
    coordinator, settings, mailoutbox
):
    item = make_request()
    Notification.objects.create(request=item, status="failed", attempts=1)
    messages = run_action(logged_in(coordinator), "retry_team_email", item)
    assert messages == ["1 team email(s) sent."]
    assert len(mailoutbox) == 1


def check_deploy(**env):
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=server_environment(DJANGO_SECRET_KEY="k" * 60 + "-for-the-check", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    "env, error",
    [
        (
            {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "appointments.E002",
        ),
        ({"DJANGO_EMAIL_BACKEND": "no.such.Backend"}, "appointments.E001"),
        ({"NETGUIDE_APPOINTMENTS_EMAIL": "the team"}, "appointments.E003"),
        ({"DJANGO_EMAIL_TIMEOUT": "60"}, "appointments.E004"),
    ],
    ids=["console", "unimportable", "no-address", "no-timeout"],
)
def test_a_misconfigured_email_backend_fails_the_deploy_checks(env, error):
    code, output = check_deploy(**env)
    assert code != 0
    assert error in output


# Retention that ends ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymised_request_leaves_the_queue_and_is_deleted_later(
    coordinator, settings, clock
):
    open_days = settings.APPOINTMENT_OPEN_RETENTION_DAYS
    closed_days = settings.APPOINTMENT_CLOSED_RETENTION_DAYS
    old = make_request(created_at=clock.now - timedelta(days=open_days + 1))
    # From before this rule: anonymised, still "new" at the top of the queue.
    legacy = make_request(created_at=clock.now - timedelta(days=open_days + 30))
    AppointmentRequest.objects.filter(pk=legacy.pk).update(
        name=ANONYMISED, phone=ANONYMISED, anonymised_at=clock.now - timedelta(days=29)
    )
    fresh = make_request(created_at=clock.now - timedelta(hours=1))
    client = logged_in(coordinator)
    assert len(queue_rows(client, "?status__exact=new")) == 3

    out = StringIO()
    call_command("purge_appointment_requests", stdout=out)
    assert out.getvalue().splitlines() == [
        f"- deleted 0 closed request(s) older than {closed_days} days",
        f"- anonymised 1 open request(s) older than {open_days} days and closed them "
        "as expired",
        "- expired 1 open request(s) whose details were already removed",
        "- deleted 0 access log entries older than 2190 days",
        "- deleted 0 rate-limit code(s) older than an hour",
    ]
    assert queue_rows(client, "?status__exact=new") == [(str(fresh), "23 h 0 min left")]
    old.refresh_from_db()
    assert (old.status, old.name, old.closed_at) == (
        Status.EXPIRED,
        ANONYMISED,
        clock.now,
    )
    # Listed in the inbox (with its name) while open, then anonymised.
    assert [e[1] for e in logged(old.pk)] == ["viewed", "anonymised"]
    assert [e[1] for e in logged(legacy.pk)] == ["expired"]  # listed nameless

    clock.advance(days=closed_days + 1)
    out = StringIO()
    call_command("purge_appointment_requests", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        f"- deleted 2 closed request(s) older than {closed_days} days"
    )
    assert list(AppointmentRequest.objects.all()) == [fresh]
    assert [e[1] for e in logged(old.pk)] == ["viewed", "anonymised", "purged"]


@pytest.mark.django_db
def test_the_access_log_is_kept_for_its_stated_period(settings, clock):
    AccessLogEntry.record(None, 1, AccessLogEntry.Action.VIEWED)
    clock.advance(days=settings.APPOINTMENT_ACCESS_LOG_RETENTION_DAYS - 1)
    AccessLogEntry.record(None, 2, AccessLogEntry.Action.VIEWED)
    out = StringIO()
    call_command("purge_appointment_requests", "--dry-run", stdout=out)
    assert "deleted 0 access log entries" in out.getvalue()
    clock.advance(days=2)
    call_command("purge_appointment_requests", "--dry-run", stdout=out)
    assert "deleted 1 access log entry" in out.getvalue()
    assert AccessLogEntry.objects.count() == 2
    call_command("purge_appointment_requests", stdout=StringIO())
    assert [e.request_id for e in AccessLogEntry.objects.all()] == [2]


# The team's tools -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    ["(555) 234-5678", "555-234-5678", "+1 555 234 5678", "5552345678", "234-5678"],
)
def test_phone_search_finds_the_number_in_the_format_the_admin_shows(
    coordinator, typed
):
    found = make_request(phone="+15552345678")
    make_request(phone="+15559998888")
    client = logged_in(coordinator)
    assert [row[0] for row in queue_rows(client, "?" + _q(typed))] == [str(found)]


def _q(term):
    from urllib.parse import urlencode

    return urlencode({"q": term})


@pytest.mark.django_db
def test_the_phone_number_is_a_tap_to_call_link(coordinator):
    item = make_request()
    page = parse_response(logged_in(coordinator).get(item.get_admin_url()))
    link = field_box(page, "phone_link").find("a")
    assert (link.attrs["href"], link.text) == ("tel:+15552345678", "(555) 234-5678")


@pytest.mark.django_db
def test_redacting_the_message_removes_it_for_good_and_is_recorded(coordinator):
    item = make_request(message="I have a liver tumor, record number 12345.")
    client = logged_in(coordinator)
    save_change(client, item, redact_message="on")
    assert item.message == REDACTED and item.redacted_at is not None
    assert logged(item.pk) == [
        ("coordinator", "viewed", ""),
        ("coordinator", "redacted", ""),
    ]
    history = LogEntry.objects.get(object_id=str(item.pk)).get_change_message()
    assert history == "Message redacted."
    assert not AppointmentRequest.objects.filter(message__contains="12345").exists()
    assert "12345" not in client.get(item.get_admin_url()).content.decode()


@pytest.mark.django_db
def test_a_coordinator_deletes_a_request_on_the_patients_request_and_it_is_recorded(
    coordinator,
):
    item, other = make_request(), make_request()
    item.log_attempt(coordinator, "reached", "Asked us to delete her details.")
    client = logged_in(coordinator)
    url = item.get_admin_url().replace("change/", "delete/")
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert list(AppointmentRequest.objects.all()) == [other]
    assert [e[1] for e in logged(item.pk)] == ["attempt", "viewed", "deleted"]
    # In bulk too.
    messages = run_action(client, "delete_selected", other, post="yes")
    assert messages[-1] == "Successfully deleted 1 appointment request."
    assert [e[1:] for e in logged(other.pk)] == [
        ("deleted", "Deleted in the admin (bulk)")
    ]


@pytest.mark.django_db
def test_the_same_phone_within_a_week_is_flagged_as_a_possible_duplicate(
    coordinator, clock
):
    first = make_request(created_at=clock.now - timedelta(days=6))
    again = make_request(created_at=clock.now)
    long_ago = make_request(created_at=clock.now - timedelta(days=20))
    other = make_request(phone="+15559998888")
    client = logged_in(coordinator)
    assert sorted(r[0] for r in queue_rows(client, "?duplicate=yes")) == sorted(
        [str(first), str(again)]
    )
    page = parse_response(client.get(again.get_admin_url()))
    links = field_box(page, "other_requests").find_all("a")
    assert [a.text for a in links] == [str(first)]
    assert long_ago.pk and other.pk


@pytest.mark.django_db
def test_language_and_interpreter_are_asked_on_the_form_and_shown_to_the_team(
    coordinator,
):
    response = request_appointment(
        Client(), {**PATIENT, "language": "es", "interpreter": "on"}
    )
    assert response.status_code == 302
    item = AppointmentRequest.objects.get()
    assert (item.language, item.interpreter) == ("es", True)
    page = parse_response(logged_in(coordinator).get(item.get_admin_url()))
    assert field_box(page, "language").find("div", class_="readonly").text == (
        "Español (Spanish)"
    )


# Privacy ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rate_limit_key_is_a_keyed_hash_of_the_address(settings, rf):
    import hashlib

    from appointments.throttle import throttle_key

    request = rf.post("/", REMOTE_ADDR="203.0.113.7")
    key = throttle_key(request)
    assert hashlib.sha256(b"203.0.113.7").hexdigest() not in key
    assert "203.0.113.7" not in key
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert throttle_key(request) != key
    assert re.fullmatch(r"appointment-requests:[0-9a-f]{64}", key)


@pytest.mark.django_db
def test_the_privacy_notice_names_the_service_the_rights_and_what_is_kept(
    published_site,
):
    page = parse_response(Client().get("/privacy/")).find("main")
    headings = [h.text for h in page.find_all("h2")]
    for heading in ("Who we are", "Who sees your details", "Your rights"):
        assert heading in headings
    text = page.text
    for promise in (
        "NET Guide runs this site and its appointment team.",
        "ask for our privacy lead",
        "we use your internet address",
        "We keep the code for one hour",
        "So can a few site managers who keep the site running.",
        "we write down who did it and when",
        "Tell you what we hold about you",
        "Fix details that are wrong",
        "complain to the office that protects health privacy",
        "we keep only facts that do not say who you are",
    ):
        assert promise in text, promise
    assert "Only our appointment team can see your request." not in text


# Characters nobody sees ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_call_note_with_a_hidden_character_is_refused_and_named(coordinator):
    """Notes are the team's own words: refused, as in every text editors write."""
    item = make_request()
    client = logged_in(coordinator)
    data = {
        **change_form(client, item),
        "attempts-0-at_0": "2026-06-10",
        "attempts-0-at_1": "10:05:00",
        "attempts-0-outcome": "voicemail",
        "attempts-0-note": "Left a message \u202efor Ada.",
        "_save": "Save",
    }
    response = client.post(item.get_admin_url(), data)
    assert response.status_code == 200
    assert (
        "Remove the hidden character U+202E (right-to-left override)"
        in response.content.decode()
    )
    assert not CallAttempt.objects.exists()


@pytest.mark.django_db
def test_requests_sent_before_are_cleaned_of_hidden_characters():
    """The data migration, run again on rows written the way the old form wrote them."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "appointments.migrations.0006_drop_hidden_characters"
    )
    old = make_request(
        name="Zebu\u200blon \u202eQuaxworth",
        email="zebulon@exa\u200bmple.org",
        message="Call\u2066 me.\nThanks\u00ad.",
    )
    plain = make_request(name="Ada Example", message="Line\n\tone")
    attempt = CallAttempt.objects.create(
        request=old, outcome="voicemail", note="Left\u200f a message"
    )
    migration.drop_hidden_characters(apps, None)
    old.refresh_from_db()
    attempt.refresh_from_db()
    plain.refresh_from_db()
    assert (old.name, old.email, old.message) == (
        "Zebulon Quaxworth",
        "zebulon@example.org",
        "Call me.\nThanks.",
    )
    assert attempt.note == "Left a message"
    assert (plain.name, plain.message) == ("Ada Example", "Line\n\tone")
