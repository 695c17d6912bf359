"""Fewer clicks for the people who run the guide (issue 26): the save row that
submits, the lists that say what needs doing, who is signed in, each role's home,
and the appointment inbox (its open filter, due times, closing with a reason)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from appointments.models import (
    AccessLogEntry,
    AppointmentRequest,
    CloseReason,
    Status,
)
from editorial.models import ReviewState

from .kit import (
    ADMIN_LIST,
    HARD_BODY,
    form_values,
    logged_in,
    make_request,
    make_treatment,
    make_user,
    open_change_form,
    parse_response,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(text):
    """A moment on the team's clock (New York), from "Mon 2026-06-08 23:00"."""
    return datetime.strptime(text[4:], "%Y-%m-%d %H:%M").replace(tzinfo=NEW_YORK)


def on_team_clock(moment):
    return moment.astimezone(NEW_YORK).strftime("%a %Y-%m-%d %H:%M")


# The save row: "Save and submit for review" ------------------------------------------


def change_url(record):
    return reverse("admin:treatments_treatment_change", args=[record.pk])


def test_save_keeps_the_editor_on_the_record(db, editor):
    record = make_treatment(editor)
    client = logged_in(editor)
    data = open_change_form(client, record)
    response = client.post(change_url(record), {**data, "_save": "Save"})
    assert response.status_code == 302
    assert response["Location"] == change_url(record)
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT


def test_save_and_submit_saves_and_submits_with_the_summary_in_one_post(db, editor):
    record = make_treatment(editor)
    client = logged_in(editor)
    form = open_change_form(client, record)
    response = client.post(
        change_url(record),
        {
            **form,
            "summary": "A new summary.",
            "change_summary": "Clearer summary.",
            "_save_and_submit": "Save and submit for review",
        },
        follow=True,
    )
    assert response.redirect_chain == [(change_url(record), 302)]
    record.refresh_from_db()
    assert record.summary == "A new summary."
    assert record.review_state == ReviewState.SUBMITTED
    submitted = record.audit_entries().filter(action="submitted").first()
    assert (submitted.note, submitted.revision) == (
        "Clearer summary.",
        record.latest_revision,
    )
    messages = [str(m) for m in response.context["messages"]]
    saved = f"Saved as {record.latest_revision.label} and submitted for medical review."
    assert [m for m in messages if m.startswith("Saved as")] == [
        saved + " A reviewer who did not write or edit it signs it off before "
        "patients see it."
    ]


def test_save_and_submit_without_a_summary_saves_nothing_and_says_why(db, editor):
    record = make_treatment(editor)
    client = logged_in(editor)
    form = open_change_form(client, record)
    response = client.post(
        change_url(record),
        {**form, "summary": "Changed.", "_save_and_submit": "Save and submit"},
    )
    assert response.status_code == 200
    page = parse_response(response)
    error = page.find("div", class_="submit-for-review").find("ul", class_="errorlist")
    assert error.text == (
        "Say in one line what changed, for patients, to submit it for review."
    )
    record.refresh_from_db()
    assert record.summary != "Changed." and record.review_state == ReviewState.DRAFT


def test_a_reading_level_refusal_keeps_the_save_and_asks_for_the_reason(db, editor):
    record = make_treatment(editor)
    client = logged_in(editor)
    form = open_change_form(client, record)
    response = client.post(
        change_url(record),
        {
            **form,
            "body": HARD_BODY,
            "change_summary": "Longer text.",
            "_save_and_submit": "Save and submit for review",
        },
    )
    submit_url = reverse("admin:treatments_treatment_submit", args=[record.pk])
    assert response["Location"] == submit_url
    record.refresh_from_db()
    assert record.body == HARD_BODY and record.review_state == ReviewState.DRAFT


def test_the_save_row_offers_submitting_to_editors_only(db, editor, reviewer):
    record = make_treatment(editor)
    for user, offered in ((editor, True), (reviewer, False)):
        page = parse_response(logged_in(user).get(change_url(record)))
        buttons = [i.attrs.get("name") for i in page.find_all("input", type="submit")]
        assert ("_save_and_submit" in buttons) is offered, user
        assert "_continue" not in buttons and "_addanother" not in buttons


def test_the_change_message_leaves_out_the_workflow_fields(db, editor):
    from django.contrib.admin.models import LogEntry

    record = make_treatment(editor)
    client = logged_in(editor)
    form = open_change_form(client, record)
    client.post(
        change_url(record),
        {
            **form,
            "summary": "Another summary.",
            "change_summary": "Summary.",
            "_save_and_submit": "Save and submit for review",
        },
    )
    entry = LogEntry.objects.filter(object_id=str(record.pk)).latest("pk")
    assert entry.get_change_message() == "Changed Summary."


# The lists ----------------------------------------------------------------------------


def column_headers(client, url):
    """The list's columns, as the classes Django gives their headers."""
    page = parse_response(client.get(url))
    headers = [
        name
        for th in page.find_all("th", scope="col")
        for name in th.attrs.get("class", "").split()
        if name.startswith("column-")
    ]
    assert headers, f"{url} lists nothing"
    return headers


def test_every_content_list_shows_what_needs_doing_right_after_the_name(
    site, superuser
):
    client = logged_in(superuser)
    for model in ("treatment", "sideeffect", "page", "glossaryterm", "sitesettings"):
        headers = column_headers(client, f"/admin/treatments/{model}/")
        assert headers[1:4] == [
            "column-review_state",
            "column-is_live",
            "column-next_review_due",
        ], model
    assert column_headers(client, "/admin/treatments/treatment/") == [
        "column-title",
        "column-review_state",
        "column-is_live",
        "column-next_review_due",
        "column-language",
        "column-up_to_date",
        "column-order",
        "column-specialty",
    ]


# Who is signed in, and each role's home ---------------------------------------------


@pytest.mark.parametrize(
    "group, role",
    [
        ("Editors", "Editor"),
        ("Medical reviewers", "Medical reviewer"),
        ("Appointment coordinators", "Coordinator"),
        ("Privacy officers", "Privacy officer"),
    ],
)
def test_the_header_names_the_person_and_their_role(db, group, role):
    user = make_user("someone", group, first_name="Maria", last_name="Ortiz")
    page = parse_response(logged_in(user).get("/admin/password_change/"))
    signed_in = page.find("span", class_="signed-in-as")
    assert signed_in.text == f"Maria Ortiz, {role}"
    assert "Welcome" not in page.find("div", id="user-tools").text


def test_a_coordinators_home_starts_with_the_inbox_and_has_no_desk(db, coordinator):
    make_request()
    page = parse_response(logged_in(coordinator).get("/admin/"))
    content = page.find("div", id="content")
    assert content.find("h1").text == "Home"
    assert content.find("h2").text == "Appointment requests"
    assert "Editorial desk" not in content.text
    assert "Treatment guide content" not in page.text
    links = [
        a.attrs["href"]
        for a in page.find("ul", class_="queue-counts").iter()
        if a.tag == "a"
    ]
    assert ADMIN_LIST + "?state=open" in links


def test_an_editors_and_a_reviewers_home_start_with_their_queue(db, editor, reviewer):
    record = make_treatment(editor)
    editor_home = parse_response(logged_in(editor).get("/admin/"))
    first = editor_home.find("div", id="content").find("h2")
    assert first.text == "Your drafts, not yet submitted (1)"
    assert editor_home.find("section", class_="home-queue").find("a").attrs[
        "href"
    ] == change_url(record)

    record.submit(editor, "First version.")
    reviewer_home = parse_response(logged_in(reviewer).get("/admin/"))
    first = reviewer_home.find("div", id="content").find("h2")
    assert first.text == "Waiting for your review (1)"
    assert reviewer_home.find("section", class_="home-queue").find("a").attrs[
        "href"
    ] == reverse("admin:treatments_treatment_review", args=[record.pk])


# The appointment inbox -------------------------------------------------------------


def inbox_rows(client, query=""):
    page = parse_response(client.get(ADMIN_LIST + query))
    tables = page.find_all("table", id="result_list")
    if not tables:
        return []
    return [
        {
            td.attrs["class"].split()[0]: td.text
            for td in row.iter()
            if td.tag in ("td", "th") and td.attrs.get("class")
        }
        for row in tables[0].find("tbody").find_all("tr")
    ]


def test_the_open_filter_shows_new_and_contacted_requests_only(db, coordinator):
    new = make_request(name="New Person")
    contacted = make_request(name="Contacted Person", status=Status.CONTACTED)
    make_request(name="Closed Person", status=Status.CLOSED)
    rows = inbox_rows(logged_in(coordinator), "?state=open")
    assert [row["field-name"] for row in rows] == [new.name, contacted.name]


def test_an_inbox_row_says_who_when_in_what_language_about_what(
    db, coordinator, site, clock
):
    make_request(
        name="Maria Lopez",
        phone="+15552345678",
        best_time="morning",
        language="es",
        interpreter=True,
        treatment="hormone-therapy",
    )
    client = logged_in(coordinator)
    (row,) = inbox_rows(client)
    assert row["field-name"] == "Maria Lopez"
    assert row["field-due_column"] == "Thu 10:00"  # sent Wednesday 10:00
    assert row["field-best_time_column"] == "Morning"
    assert row["field-language_column"] == "Spanish"
    assert row["field-flags"] == "Interpreter"
    assert row["field-treatment_column"] == "Hormone therapy"
    assert row["field-phone_column"] == "(555) 234-5678"
    page = parse_response(client.get(ADMIN_LIST))
    phone = page.find("td", class_="field-phone_column").find("a")
    assert phone.attrs["href"] == "tel:+15552345678"


# Due times: business hours and the patient's best time to call ---------------------


@pytest.mark.parametrize(
    "sent, best_time, due",
    [
        # The case: "Morning" chosen at night is due the next morning.
        ("Mon 2026-06-08 23:00", "morning", "Tue 2026-06-09 12:00"),
        ("Thu 2026-06-11 23:46", "morning", "Fri 2026-06-12 12:00"),
        # In business hours and in the chosen time: a business day later.
        ("Mon 2026-06-08 10:30", "morning", "Tue 2026-06-09 10:30"),
        ("Mon 2026-06-08 10:30", "any", "Tue 2026-06-09 10:30"),
        # Late evening: due by the end of the next business day before the promise.
        ("Tue 2026-06-09 22:00", "any", "Wed 2026-06-10 19:00"),
        # Friday night: Monday, never the weekend.
        ("Fri 2026-06-12 22:00", "any", "Mon 2026-06-15 19:00"),
        ("Fri 2026-06-12 22:00", "afternoon", "Mon 2026-06-15 17:00"),
        # The weekend counts from Monday morning.
        ("Sat 2026-06-13 14:00", "any", "Tue 2026-06-16 09:00"),
        ("Sun 2026-06-14 09:00", "evening", "Mon 2026-06-15 19:00"),
        # Early morning, afternoon chosen: that afternoon keeps the promise.
        ("Mon 2026-06-08 07:00", "afternoon", "Mon 2026-06-08 17:00"),
        # Evening chosen at 18:30: the next evening, a business day later.
        ("Fri 2026-06-12 18:30", "evening", "Mon 2026-06-15 18:30"),
        # Across the change to winter time: still on the wall clock.
        ("Fri 2026-10-30 23:00", "morning", "Mon 2026-11-02 12:00"),
    ],
)
def test_a_request_is_due_in_business_hours_and_in_the_best_time_to_call(
    sent, best_time, due
):
    request = AppointmentRequest(created_at=at(sent), best_time=best_time)
    assert on_team_clock(request.promised_call_back()) == due


def test_a_best_time_outside_business_hours_leaves_business_hours(settings):
    settings.APPOINTMENT_BUSINESS_HOURS = "09:00-17:00"
    request = AppointmentRequest(
        created_at=at("Mon 2026-06-08 18:30"), best_time="evening"
    )
    assert on_team_clock(request.promised_call_back()) == "Tue 2026-06-09 17:00"
    request.best_time = "morning"
    request.created_at = at("Mon 2026-06-08 08:30")
    assert on_team_clock(request.promised_call_back()) == "Mon 2026-06-08 12:00"


def test_the_team_time_zone_sets_the_hours(settings):
    settings.APPOINTMENT_TEAM_TIME_ZONE = "America/Los_Angeles"
    request = AppointmentRequest(
        created_at=at("Mon 2026-06-08 23:00"), best_time="morning"
    )  # 20:00 in Los Angeles
    due = request.promised_call_back().astimezone(ZoneInfo("America/Los_Angeles"))
    assert due.strftime("%a %H:%M") == "Tue 12:00"


def test_the_due_time_is_stored_when_the_request_arrives(db):
    request = make_request(created_at=at("Mon 2026-06-08 23:00"), best_time="morning")
    assert on_team_clock(request.due_at) == "Tue 2026-06-09 12:00"


# Closing with a reason ------------------------------------------------------------


def close_form(client, item, **changes):
    page = client.get(item.get_admin_url())
    data = form_values(page.content.decode(), "appointmentrequest_form")
    return client.post(item.get_admin_url(), {**data, **changes, "_save": "Save"})


def test_closing_asks_for_a_reason_and_keeps_it(db, coordinator):
    item = make_request()
    client = logged_in(coordinator)
    response = close_form(client, item, status="closed")
    assert response.status_code == 200
    assert "Say why it is closed" in response.content.decode()
    item.refresh_from_db()
    assert item.status == Status.NEW

    response = close_form(client, item, status="closed", close_reason="asked-to-stop")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.close_reason) == (Status.CLOSED, "asked-to-stop")
    changed = AccessLogEntry.objects.filter(request_id=item.pk, action="changed")
    assert changed.get().detail == "Status: New → Closed; Closed: Asked us to stop"


def test_unreachable_after_one_no_answer_is_refused(db, coordinator, settings):
    settings.APPOINTMENT_UNREACHABLE_AFTER_TRIES = 3
    item = make_request()
    client = logged_in(coordinator)
    response = close_form(
        client,
        item,
        status="closed",
        close_reason="unreachable",
        **{"attempts-0-outcome": "no-answer"},
    )
    assert response.status_code == 200
    assert (
        "Not closed: 1 unanswered call so far. Try at least 3 times"
        in response.content.decode()
    )
    item.refresh_from_db()
    assert item.status == Status.NEW and item.attempts.count() == 0

    item.log_attempt(coordinator, "no-answer")
    item.log_attempt(coordinator, "voicemail")
    response = close_form(
        client,
        item,
        status="closed",
        close_reason="unreachable",
        **{"attempts-2-outcome": "no-answer"},  # the row after the two logged
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.close_reason) == (Status.CLOSED, "unreachable")
    assert item.unanswered_tries() == 3


def test_reopening_clears_the_reason(db, coordinator):
    item = make_request()
    item.close(CloseReason.REACHED)
    client = logged_in(coordinator)
    assert close_form(client, item, status="contacted").status_code == 302
    item.refresh_from_db()
    assert (item.status, item.close_reason, item.closed_at) == (
        Status.CONTACTED,
        "",
        None,
    )


def test_closing_in_bulk_as_unreachable_closes_only_those_tried_enough(
    db, coordinator, settings
):
    settings.APPOINTMENT_UNREACHABLE_AFTER_TRIES = 2
    tried, once = make_request(), make_request()
    for _ in range(2):
        tried.log_attempt(coordinator, "no-answer")
    once.log_attempt(coordinator, "no-answer")
    response = logged_in(coordinator).post(
        ADMIN_LIST,
        {
            "action": "close_unreachable",
            "_selected_action": [tried.pk, once.pk],
            "index": 0,
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "1 request(s) closed: Unreachable after several tries.",
        f"Request #{once.pk}: Not closed: 1 unanswered call so far. Try at least 2 "
        "times (at different times of day) before closing it as unreachable.",
    ]
    tried.refresh_from_db()
    once.refresh_from_db()
    assert (tried.status, once.status) == (Status.CLOSED, Status.NEW)


def test_a_request_that_is_not_tried_cannot_be_closed_as_unreachable(db):
    item = make_request()
    with pytest.raises(ValueError, match="0 unanswered calls so far"):
        item.close(CloseReason.UNREACHABLE)
