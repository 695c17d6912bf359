"""Appointment requests: the form a patient fills in, what is saved, who is told, who sees it.

Real database, Django's test client (with CSRF checks where CSRF matters), real email
outbox, real cache and real management command. Nothing is mocked.
"""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from appointments.models import (
    ANONYMISED,
    AccessLogEntry,
    AppointmentRequest,
    Status,
)

from .kit import (
    ADMIN_LIST,
    FORM_URL,
    PATIENT,
    PHONE_DIGITS,
    SENT_URL,
    form_values,
    leaked_values,
    logged_in,
    make_request,
    open_form,
    parse_response,
    post_form,
    request_appointment,
    run_tasks,
    someone,
)

PHONE_TEXT = "(888) 552-6760"
PHONE_HREF = "tel:+18885526760"

# Helpers -------------------------------------------------------------------------


def age(item, **fields):
    """Move a request's timestamps into the past, as time would."""
    AppointmentRequest.objects.filter(pk=item.pk).update(**fields)
    item.refresh_from_db()
    return item


@pytest.fixture
def patient_client():
    return Client(enforce_csrf_checks=True)


def csrf_from(response):
    return (
        parse_response(response)
        .find("input", name="csrfmiddlewaretoken")
        .attrs["value"]
    )


# The form page --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_page_explains_itself_and_prefills_the_treatment(
    published_site, patient_client
):
    response, _, _ = open_form(patient_client, FORM_URL + "?from=/treatments/surgery/")
    page = parse_response(response)
    form = page.find("form", class_="appointment-form")
    assert form.attrs["method"] == "post" and form.attrs["action"] == FORM_URL

    # Every field a person fills in has a label; radio groups have a legend too.
    labels = {label.attrs.get("for"): label.text for label in form.find_all("label")}
    fields = [
        n
        for n in form.iter()
        if n.tag in ("input", "select", "textarea")
        and n.attrs.get("type") != "hidden"
        and n.attrs.get("name") != "website"
    ]
    assert {f.attrs["name"] for f in fields} == {
        "name",
        "phone",
        "email",
        "requester",
        "best_time",
        "language",
        "interpreter",
        "treatment",
        "message",
        "consent",
    }
    for field in fields:
        assert labels.get(field.attrs.get("id")), f"{field.attrs} has no label"
        if field.attrs.get("type") == "radio":
            fieldset = next(a for a in field.ancestors() if a.tag == "fieldset")
            assert fieldset.find("legend").text
    assert labels["id_name"] == "Your name"
    assert labels["id_phone"] == "Phone number"
    assert labels["id_email"] == "Email (optional)"

    # The message: 500 characters at most, and no medical details.
    message = form.find("textarea", name="message")
    assert message.attrs["maxlength"] == "500"
    help_texts = " ".join(p.text for p in form.find_all("p") if p.has_class("help"))
    assert "Please do not include medical details." in help_texts
    assert "At most 500 characters." in help_texts

    # The emergency line and the phone number, before the form.
    main = page.find("main")
    assert "In an emergency, call 911 or your local emergency number." in main.text
    assert main.find("a", href=PHONE_HREF).text == PHONE_TEXT

    # The privacy notice is linked from the consent box and is a published page.
    privacy_link = form.find("a", href="/privacy/")
    assert privacy_link.text == "privacy notice"
    privacy = patient_client.get("/privacy/")
    assert privacy.status_code == 200
    assert "When you ask for an appointment" in privacy.content.decode()
    assert "How long we keep them" in privacy.content.decode()

    # The treatment page the patient came from is chosen already.
    select = form.find("select", name="treatment")
    selected = [o for o in select.find_all("option") if "selected" in o.attrs]
    assert [(o.attrs["value"], o.text) for o in selected] == [("surgery", "Surgery")]
    assert len(select.find_all("option")) > 5  # every published treatment is offered

    # Sent as it is, the request keeps the treatment.
    csrf = form.find("input", name="csrfmiddlewaretoken").attrs["value"]
    token = form.find("input", name="submission_token").attrs["value"]
    response = post_form(
        patient_client, {**PATIENT, "treatment": "surgery"}, csrf, token
    )
    assert response.status_code == 302
    assert AppointmentRequest.objects.get().treatment == "surgery"


@pytest.mark.django_db
def test_help_and_error_texts_are_tied_to_their_fields(patient_client):
    """aria-describedby on every field points at elements that exist on the page."""
    empty, csrf, token = open_form(patient_client)
    with_errors = post_form(
        patient_client,
        {**PATIENT, "name": "", "phone": "12", "message": "x" * 501},
        csrf,
        token,
    )
    assert with_errors.status_code == 200
    for response in (empty, with_errors):
        page = parse_response(response)
        ids = {n.attrs["id"] for n in page.iter() if n.attrs.get("id")}
        for node in page.iter():
            for ref in node.attrs.get("aria-describedby", "").split():
                assert ref in ids, (
                    f"<{node.tag} name={node.attrs.get('name')}> is described by #{ref}, "
                    f"which is not on the page"
                )
        phone = page.find("input", name="phone")
        described = " ".join(
            page.find(id=ref).text
            for ref in phone.attrs.get("aria-describedby", "").split()
        )
        assert "For example (555) 123-4567." in described


# A valid request ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_valid_request_is_saved_once_and_confirmed(
    patient_client, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = request_appointment(patient_client)
    assert response.status_code == 302
    assert response["Location"] == SENT_URL

    sent = patient_client.get(SENT_URL)
    assert sent.status_code == 200
    text = parse_response(sent).find("main").text
    assert "What happens next" in text
    assert "We call you on the number you gave us." in text
    assert (
        parse_response(sent).find("main").find("a", href=PHONE_HREF).text == PHONE_TEXT
    )
    assert "In an emergency, call 911" in text

    saved = AppointmentRequest.objects.get()
    assert saved.phone == "+15552345678"
    assert (saved.name, saved.email, saved.requester, saved.best_time) == (
        "Zebulon Quaxworth",
        "zebulon.quaxworth@example.org",
        "family",
        "morning",
    )
    assert saved.consent is True and saved.status == Status.NEW
    assert saved.message == PATIENT["message"]
    run_tasks()  # the worker sends the team's email
    assert len(mailoutbox) == 1

    admin = logged_in(coordinator, enforce_csrf_checks=True)
    change = admin.get(saved.get_admin_url())
    assert change.status_code == 200
    assert "(555) 234-5678" in change.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "(555) 234-5678",
        "555.234.5678",
        "5552345678",
        "+1 555 234 5678",
        "1-555-234-5678",
    ],
)
def test_phone_numbers_are_stored_in_one_form(patient_client, typed):
    assert (
        request_appointment(patient_client, {**PATIENT, "phone": typed}).status_code
        == 302
    )
    assert AppointmentRequest.objects.get().phone == "+15552345678"


# Characters nobody sees: a right-to-left override (U+202E) shows "Ann" as something
# else, a zero-width space (U+200B) or a soft hyphen (U+00AD) splits a name so that the
# team's search misses it; an isolate (U+2066), a byte-order mark, a bell (U+0007).
HIDDEN = ["\u202e", "\u200b", "\u00ad", "\u2066", "\ufeff", "\x07"]


def sprinkled(text):
    """`text` with every hidden character of HIDDEN between its first letters."""
    letters = zip(text, HIDDEN, strict=False)
    return "".join(a + b for a, b in letters) + text[len(HIDDEN) :]


@pytest.mark.django_db
def test_hidden_characters_are_dropped_from_every_free_text_field(
    patient_client, coordinator
):
    """A patient cannot see them to take them out: they are dropped, not refused."""
    from appointments.forms import AppointmentRequestForm

    free_text = [
        name
        for name, field in AppointmentRequestForm().fields.items()
        if getattr(field.widget, "input_type", "textarea")
        in ("text", "email", "tel", "textarea")
        and name not in ("website", "treatment")
    ]
    assert sorted(free_text) == ["email", "message", "name", "phone"]
    typed = {**PATIENT, **{name: sprinkled(PATIENT[name]) for name in free_text}}
    typed["message"] = "Line one\u202e,\u200b\r\n\tline two."
    assert request_appointment(patient_client, typed).status_code == 302
    saved = AppointmentRequest.objects.get()
    assert (saved.name, saved.phone, saved.email, saved.message) == (
        "Zebulon Quaxworth",
        "+15552345678",
        "zebulon.quaxworth@example.org",
        "Line one,\n\tline two.",  # line breaks and tabs are text
    )

    # The team finds the patient by the name as they would type it, and a name
    # pasted with a hidden character in it finds them too.
    admin = logged_in(coordinator, enforce_csrf_checks=True)
    for term in ("Zebulon Quaxworth", sprinkled("Zebulon")):
        listing = parse_response(admin.get(ADMIN_LIST, {"q": term}))
        rows = listing.find("table", id="result_list").find("tbody").find_all("tr")
        assert [row.find_all("a")[0].text for row in rows] == [str(saved)], term


@pytest.mark.django_db
def test_a_name_of_hidden_characters_only_is_no_name(patient_client):
    response = request_appointment(
        patient_client, {**PATIENT, "name": "\u200b\u202e\u200b"}
    )
    assert response.status_code == 200
    summary = parse_response(response).find("div", class_="error-summary")
    assert [a.text for a in summary.find_all("a")] == ["Please tell us your name."]
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.django_db
def test_refresh_or_double_submit_never_makes_two_requests(
    patient_client, mailoutbox, django_capture_on_commit_callbacks
):
    _, csrf, token = open_form(patient_client)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_form(patient_client, PATIENT, csrf, token)
        again = post_form(patient_client, PATIENT, csrf, token)  # double click
        changed = post_form(
            patient_client, {**PATIENT, "best_time": "evening"}, csrf, token
        )
    assert [r.status_code for r in (first, again, changed)] == [302, 302, 302]
    assert all(r["Location"] == SENT_URL for r in (first, again, changed))
    assert AppointmentRequest.objects.count() == 1
    assert AppointmentRequest.objects.get().best_time == "morning"
    run_tasks()  # the worker sends the team's email
    assert len(mailoutbox) == 1

    # "Send a different request", for somebody else, is a new request.
    other = request_appointment(patient_client, someone(1), path=FORM_URL + "?new=1")
    assert other.status_code == 302
    assert AppointmentRequest.objects.count() == 2


@pytest.mark.django_db
def test_each_visit_to_the_form_gets_its_own_token(patient_client):
    tokens = {open_form(patient_client)[2] for _ in range(3)}
    assert len(tokens) == 3


# Mistakes -------------------------------------------------------------------------

INVALID = [
    ("missing-name", {"name": ""}, "id_name", "Please tell us your name."),
    ("blank-name", {"name": "   "}, "id_name", "Please tell us your name."),
    (
        "phone-letters",
        {"phone": "555-CALL-NOW"},
        "id_phone",
        "Enter your phone number using only digits, like (555) 123-4567.",
    ),
    (
        "phone-too-short",
        {"phone": "234-5678"},
        "id_phone",
        "Your phone number is too short. Enter all 10 digits with the area code, "
        "like (555) 123-4567.",
    ),
    (
        "phone-six-digits",
        {"phone": "555-12"},
        "id_phone",
        "Your phone number is too short. Enter all 10 digits with the area code, "
        "like (555) 123-4567.",
    ),
    (
        "phone-missing",
        {"phone": ""},
        "id_phone",
        "Enter your phone number, so we can call you back.",
    ),
    (
        "phone-full-width-digits",
        {"phone": "５５５-２３４-５６７８"},
        "id_phone",
        "Enter your phone number using only digits, like (555) 123-4567.",
    ),
    (
        "phone-area-code-0",
        {"phone": "(055) 234-5678"},
        "id_phone",
        "The area code of your phone number cannot start with 0 or 1. "
        "Check the number, like (555) 123-4567.",
    ),
    (
        "phone-area-code-1",
        {"phone": "(155) 234-5678"},
        "id_phone",
        "The area code of your phone number cannot start with 0 or 1. "
        "Check the number, like (555) 123-4567.",
    ),
    (
        "phone-too-long",
        {"phone": "555 234 5678 9"},
        "id_phone",
        "Your phone number is too long. Enter 10 digits with the area code, "
        "like (555) 123-4567.",
    ),
    (
        "bad-email",
        {"email": "zebulon@"},
        "id_email",
        "Enter your email address like name@example.com, or leave it empty.",
    ),
    (
        "no-consent",
        {"consent": None},
        "id_consent",
        "Tick the box to agree that our appointment team may contact you.",
    ),
    (
        "long-message",
        {"message": "x" * 501},
        "id_message",
        "Please keep your message to 500 characters or fewer.",
    ),
    (
        "unknown-requester",
        {"requester": "lawyer"},
        "id_requester",
        "Choose who is asking from the list.",
    ),
    (
        "no-requester",
        {"requester": None},
        "id_requester",
        "Please tell us who is asking.",
    ),
    (
        "unknown-best-time",
        {"best_time": "midnight"},
        "id_best_time",
        "Choose the best time to call from the list.",
    ),
    (
        "no-best-time",
        {"best_time": None},
        "id_best_time",
        "Choose the best time to call.",
    ),
    (
        "unknown-treatment",
        {"treatment": "magic"},
        "id_treatment",
        "Choose a treatment page from the list, or None or not sure.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, field_id, error",
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_mistakes_are_explained_and_nothing_is_saved(
    patient_client,
    mailoutbox,
    django_capture_on_commit_callbacks,
    changes,
    field_id,
    error,
):
    data = {k: v for k, v in {**PATIENT, **changes}.items() if v is not None}
    with django_capture_on_commit_callbacks(execute=True):
        response = request_appointment(patient_client, data)
    assert response.status_code == 200
    page = parse_response(response)
    assert page.find("title").text.startswith("Error:")

    summary = page.find("div", class_="error-summary")
    assert summary.attrs["role"] == "alert"
    # Focused on load without JavaScript; its title says it is an error.
    assert summary.attrs["tabindex"] == "-1" and "autofocus" in summary.attrs
    assert summary.find("h2").text == "Error: please fix 1 thing below"
    links = summary.find_all("a")
    wrapper = page.find(id=f"{field_id}_field")
    # The link goes to the field itself (a radio group's first choice): following
    # it puts the focus there, ready to type (issue 26).
    first_control = f"{field_id}_0" if wrapper.tag == "fieldset" else field_id
    assert [a.attrs["href"] for a in links] == [f"#{first_control}"]
    assert page.find(id=first_control).tag in ("input", "select", "textarea")
    assert links[0].text == error
    assert wrapper.has_class("has-error")
    controls = [n for n in wrapper.iter() if n.tag in ("input", "select", "textarea")]
    assert controls and all(c.attrs.get("aria-invalid") == "true" for c in controls)
    assert wrapper.find("p", class_="field-error").text == f"Error: {error}"
    if wrapper.tag == "fieldset":  # a radio group: its error describes the group
        assert f"{field_id}_error" in wrapper.attrs["aria-describedby"].split()
    else:
        control = page.find(id=field_id)
        assert f"{field_id}_error" in control.attrs["aria-describedby"].split()

    assert AppointmentRequest.objects.count() == 0
    run_tasks()  # nothing was queued for it to send
    assert mailoutbox == []

    # What the patient typed is still there, so they fix one thing only.
    form = page.find("form", class_="appointment-form")
    for name in ("name", "phone", "email"):
        if data.get(name, "").strip() and name not in changes:
            assert form.find("input", name=name).attrs.get("value") == data[name]
    if "message" not in changes:
        assert form.find("textarea", name="message").text == data["message"]
    for name in ("requester", "best_time"):
        if name not in changes:
            checked = [
                r for r in form.find_all("input", name=name) if "checked" in r.attrs
            ]
            assert [r.attrs["value"] for r in checked] == [data[name]]
    if "consent" not in changes:
        assert "checked" in form.find("input", name="consent").attrs


@pytest.mark.django_db
def test_every_mistake_at_once_is_listed_with_links(patient_client):
    response = request_appointment(
        patient_client,
        {
            "name": "",
            "phone": "abc",
            "email": "x@",
            "message": "m" * 501,
            "best_time": "any",
        },
    )
    assert response.status_code == 200
    page = parse_response(response)
    summary = page.find("div", class_="error-summary")
    assert summary.find("h2").text == "Error: please fix 6 things below"
    links = summary.find_all("a")
    assert [(a.attrs["href"], a.text) for a in links] == [
        ("#id_name", "Please tell us your name."),
        (
            "#id_phone",
            "Enter your phone number using only digits, like (555) 123-4567.",
        ),
        (
            "#id_email",
            "Enter your email address like name@example.com, or leave it empty.",
        ),
        ("#id_requester_0", "Please tell us who is asking."),
        ("#id_message", "Please keep your message to 500 characters or fewer."),
        (
            "#id_consent",
            "Tick the box to agree that our appointment team may contact you.",
        ),
    ]
    for href, _ in [(a.attrs["href"], a) for a in links]:
        control = page.find(id=href[1:])
        assert any(a.has_class("has-error") for a in control.ancestors())
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.django_db
def test_the_error_summary_lists_mistakes_in_the_order_of_the_page(patient_client):
    response = request_appointment(
        patient_client, {**PATIENT, "requester": "x", "best_time": "y", "name": ""}
    )
    page = parse_response(response)
    hrefs = [
        a.attrs["href"][1:]
        for a in page.find("div", class_="error-summary").find_all("a")
    ]
    form = page.find("form", class_="appointment-form")
    page_order = [n.attrs["id"] for n in form.iter() if n.attrs.get("id") in hrefs]
    assert hrefs == page_order


@pytest.mark.django_db
def test_a_message_at_the_limit_with_line_breaks_is_accepted(patient_client):
    """Browsers count a line break as one character against maxlength=500 and send it
    as CR LF: a message the browser allowed must not be refused as too long."""
    lines = ["x" * 49] * 10
    message = "\r\n".join(lines) + "\r\n"  # 500 characters as the browser counts them
    assert len(message.replace("\r\n", "\n")) == 500
    response = request_appointment(patient_client, {**PATIENT, "message": message})
    assert response.status_code == 302, (
        parse_response(response).find("div", class_="error-summary").text
    )
    saved = AppointmentRequest.objects.get()
    assert len(saved.message) <= 500


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(patient_client):
    _, _, token = open_form(patient_client)
    response = patient_client.post(FORM_URL, {**PATIENT, "submission_token": token})
    assert response.status_code == 403
    assert AppointmentRequest.objects.count() == 0


# Bots and floods ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_filled_honeypot_gets_a_polite_page_and_nothing_is_saved(
    patient_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = request_appointment(
            patient_client, {**PATIENT, "website": "http://spam.example/"}
        )
    assert response.status_code == 200
    main = parse_response(response).find("main")
    assert "Please call us instead" in main.text
    assert main.find("a", href=PHONE_HREF).text == PHONE_TEXT
    assert AppointmentRequest.objects.count() == 0
    run_tasks()  # nothing was queued for it to send
    assert mailoutbox == []


@pytest.mark.django_db
def test_too_many_requests_from_one_address_are_refused_politely(
    patient_client, mailoutbox, django_capture_on_commit_callbacks
):
    limit = settings.APPOINTMENT_REQUESTS_PER_HOUR
    assert limit >= 1
    flood = {"REMOTE_ADDR": "203.0.113.7"}
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(limit):
            person = Client(enforce_csrf_checks=True)
            assert (
                request_appointment(person, someone(number), **flood).status_code == 302
            )
        assert AppointmentRequest.objects.count() == limit

        refused = request_appointment(patient_client, **flood)
        assert refused.status_code == 429
        main = parse_response(refused).find("main")
        assert "Please call us instead" in main.text
        assert "You can use the form again in about an hour." in main.text
        assert main.find("a", href=PHONE_HREF).text == PHONE_TEXT
        assert (
            "no-store" in refused["Cache-Control"]
            and "public" not in refused["Cache-Control"]
        )
        assert AppointmentRequest.objects.count() == limit

        # Leading X-Forwarded-For hops are the client's own words: they change nothing.
        spoofed = request_appointment(
            patient_client, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7", **flood
        )
        assert spoofed.status_code == 429
        assert AppointmentRequest.objects.count() == limit

        # Someone else is not affected.
        other = request_appointment(
            patient_client, someone(99), REMOTE_ADDR="203.0.113.8"
        )
        assert other.status_code == 302
    assert AppointmentRequest.objects.count() == limit + 1
    run_tasks()  # the worker sends the team's email
    assert len(mailoutbox) == limit + 1


@pytest.mark.django_db
def test_mistakes_and_repeats_do_not_use_up_the_limit(patient_client):
    limit = settings.APPOINTMENT_REQUESTS_PER_HOUR
    addr = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(limit + 2):
        assert (
            request_appointment(
                patient_client, {**PATIENT, "phone": "12"}, **addr
            ).status_code
            == 200
        )
    _, csrf, token = open_form(patient_client, **addr)
    for _ in range(limit + 2):
        assert (
            post_form(patient_client, PATIENT, csrf, token, **addr).status_code == 302
        )
    assert AppointmentRequest.objects.count() == 1
    different = request_appointment(
        patient_client, someone(1), path=FORM_URL + "?new=1", **addr
    )
    assert different.status_code == 302
    assert AppointmentRequest.objects.count() == 2


@pytest.mark.django_db
def test_after_the_limit_a_form_with_mistakes_still_gets_its_errors(clock):
    """Families and clinics share Wi-Fi: the limit counts only requests that would be
    saved, and says when the form can be used again."""
    limit = settings.APPOINTMENT_REQUESTS_PER_HOUR
    clinic = {"REMOTE_ADDR": "203.0.113.20"}
    for number in range(limit):
        person = Client(enforce_csrf_checks=True)
        assert request_appointment(person, someone(number), **clinic).status_code == 302
    clock.advance(minutes=20)

    late = Client(enforce_csrf_checks=True)
    mistake = request_appointment(late, {**someone(50), "phone": "555-12"}, **clinic)
    assert mistake.status_code == 200
    summary = parse_response(mistake).find("div", class_="error-summary")
    assert [a.text for a in summary.find_all("a")] == [
        "Your phone number is too short. Enter all 10 digits with the area code, "
        "like (555) 123-4567."
    ]

    refused = request_appointment(late, someone(50), **clinic)
    assert refused.status_code == 429
    main = parse_response(refused).find("main")
    assert "Please call us instead" in main.text
    assert "You can use the form again in about 40 minutes." in main.text
    assert main.find("a", href=PHONE_HREF).text == PHONE_TEXT
    assert AppointmentRequest.objects.count() == limit

    # The same request again from one of them is not a new one: not refused either.
    first_again = Client(enforce_csrf_checks=True)
    repeat = request_appointment(first_again, someone(0), **clinic)
    assert (repeat.status_code, repeat["Location"]) == (302, SENT_URL)
    assert AppointmentRequest.objects.count() == limit

    clock.advance(minutes=39)
    last = (
        parse_response(request_appointment(late, someone(50), **clinic))
        .find("main")
        .text
    )
    assert "You can use the form again in about 1 minute." in last


# The appointment team is told, without personal details ----------------------------


@pytest.mark.django_db
def test_one_email_per_request_with_a_link_and_no_personal_details(
    patient_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert request_appointment(patient_client).status_code == 302
    saved = AppointmentRequest.objects.get()
    run_tasks()  # the worker sends the team's email
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [settings.APPOINTMENTS_NOTIFY_EMAIL]
    link = (
        settings.SITE_URL.rstrip("/")
        + f"/admin/appointments/appointmentrequest/{saved.pk}/change/"
    )
    assert link in mail.body
    whole = "\n".join(
        [
            mail.subject,
            mail.body,
            mail.from_email,
            *mail.to,
            *mail.cc,
            *mail.bcc,
            *(str(v) for v in mail.extra_headers.values()),
            *(str(a) for a in mail.alternatives),
        ]
    )
    assert leaked_values(whole) == []
    assert leaked_values(mail.message().as_string()) == []


# Caching --------------------------------------------------------------


@pytest.mark.django_db
def test_form_and_confirmation_are_never_publicly_cached(patient_client):
    form, csrf, token = open_form(patient_client)
    invalid = post_form(patient_client, {**PATIENT, "name": ""}, csrf, token)
    valid = post_form(patient_client, PATIENT, csrf, token)
    sent = patient_client.get(SENT_URL)
    already = patient_client.get(FORM_URL)
    assert "You already sent a request" in parse_response(already).find("h1").text
    for label, response in (
        ("form", form),
        ("errors", invalid),
        ("post", valid),
        ("sent", sent),
        ("already sent", already),
    ):
        control = response.get("Cache-Control", "")
        assert "public" not in control, f"{label}: {control}"
        assert "no-store" in control or "private" in control, f"{label}: {control}"
        assert "X-Page-Cache" not in response, label
    # The second visit is not a stored copy of the first.
    again, _, second_token = open_form(patient_client, FORM_URL + "?new=1")
    assert second_token != token and "X-Page-Cache" not in again


# Logs -----------------------------------------------------------------------------


@pytest.fixture
def every_log_record(caplog):
    """caplog at DEBUG for the root and "django" loggers, plus every logger that does
    not propagate to the root (such as "netguide"), so no record escapes."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    added = []
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            added.append((logger, logger.level))
            logger.addHandler(caplog.handler)
            logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in added:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)


@pytest.mark.django_db
def test_no_submitted_value_reaches_the_logs(
    patient_client, every_log_record, mailoutbox, django_capture_on_commit_callbacks
):
    flood = {"REMOTE_ADDR": "203.0.113.50"}
    with django_capture_on_commit_callbacks(execute=True):
        failing = request_appointment(
            patient_client, {**PATIENT, "email": "zebulon.quaxworth@"}, **flood
        )
        assert failing.status_code == 200
        assert request_appointment(patient_client, **flood).status_code == 302
        for number in range(1, settings.APPOINTMENT_REQUESTS_PER_HOUR):
            person = Client(enforce_csrf_checks=True)
            assert (
                request_appointment(person, someone(number), **flood).status_code == 302
            )
        limited = request_appointment(Client(), someone(90), **flood)
        assert limited.status_code == 429
        bot = request_appointment(
            Client(), {**PATIENT, "website": "x"}, REMOTE_ADDR="203.0.113.51"
        )
        assert bot.status_code == 200
    records = every_log_record.records
    assert any(r.levelno >= logging.WARNING for r in records), (
        "the 429 should at least be logged by django.request: is logging captured?"
    )
    for record in records:
        text = record.getMessage() + " " + repr(record.args)
        assert leaked_values(text) == [], f"{record.name}: {text[:300]}"


# The appointment team's admin -----------------------------------------------------


@pytest.mark.django_db
def test_coordinators_see_waiting_requests_first(coordinator, clock):
    """New requests by the time they are due, overdue first; then contacted; then closed."""
    now = clock.now  # Wednesday 10:00 in New York
    old_new = make_request(created_at=now - timedelta(days=2))
    recent_new = make_request(created_at=now - timedelta(hours=3))
    contacted = make_request(
        status=Status.CONTACTED,
        created_at=now - timedelta(hours=2),
        contacted_at=now - timedelta(hours=1),
    )
    closed = make_request(
        status=Status.CLOSED,
        created_at=now - timedelta(minutes=30),
        closed_at=now - timedelta(minutes=5),
    )

    response = logged_in(coordinator, enforce_csrf_checks=True).get(ADMIN_LIST)
    assert response.status_code == 200
    page = parse_response(response)
    table = page.find("table", id="result_list")
    headers = [th.text.lower() for th in table.find("thead").find_all("th")]
    assert "call back" in headers
    rows = table.find("tbody").find_all("tr")
    shown = [row.find_all("a")[0].text for row in rows]
    assert shown == [str(x) for x in (old_new, recent_new, contacted, closed)], shown
    waiting = [row.find("td", class_="field-call_back").text for row in rows]
    assert waiting == [
        "Overdue by 1 day 0 h",
        "9 h 0 min left",  # sent at 07:00: due by 19:00, in business hours
        "Contacted, open 2 h 0 min",
        "-",
    ]
    # The list names who to call (issue 26), and the access log has each row shown.
    assert [row.find("td", class_="field-name").text for row in rows] == [
        "Ada Example"
    ] * 4
    listed = AccessLogEntry.objects.filter(detail="Listed in the inbox")
    assert sorted(listed.values_list("request_id", flat=True)) == sorted(
        x.pk for x in (old_new, recent_new, contacted, closed)
    )


@pytest.mark.django_db
def test_coordinators_mark_requests_contacted_and_closed(coordinator):
    first = make_request()
    second = make_request()
    client = logged_in(coordinator, enforce_csrf_checks=True)

    listing = client.get(ADMIN_LIST)
    response = client.post(
        ADMIN_LIST,
        {
            "csrfmiddlewaretoken": csrf_from(listing),
            "action": "mark_contacted",
            "_selected_action": [first.pk],
            "index": 0,
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CONTACTED and first.contacted_at is not None
    assert first.closed_at is None
    assert second.status == Status.NEW and second.contacted_at is None

    change = client.get(first.get_admin_url())
    assert change.status_code == 200
    assert "(555) 234-5678" in change.content.decode()
    data = form_values(change.content.decode(), "appointmentrequest_form")
    data.update(
        {
            "status": "closed",
            "close_reason": "reached",
            "attempts-0-outcome": "booked",
            "attempts-0-note": "Called back, booked for Monday.",
            "_save": "Save",
        }
    )
    response = client.post(first.get_admin_url(), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    first.refresh_from_db()
    assert first.status == Status.CLOSED
    assert first.closed_at is not None and first.contacted_at is not None
    assert [(a.outcome, a.note, a.by) for a in first.attempts.all()] == [
        ("booked", "Called back, booked for Monday.", coordinator)
    ]
    # What the patient sent cannot be changed in the admin.
    assert first.name == "Ada Example" and first.phone == "+15552345678"

    listing = client.get(ADMIN_LIST)
    client.post(
        ADMIN_LIST,
        {
            "csrfmiddlewaretoken": csrf_from(listing),
            "action": "close_reached",
            "_selected_action": [second.pk],
            "index": 0,
        },
    )
    second.refresh_from_db()
    assert second.status == Status.CLOSED and second.closed_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["editor", "reviewer", "anonymous"])
def test_only_coordinators_see_requests(request, who):
    item = make_request()
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in (ADMIN_LIST, item.get_admin_url(), "/admin/"):
        response = client.get(url)
        if who == "anonymous":
            assert (
                response.status_code == 302 and "/admin/login/" in response["Location"]
            )
        elif url == "/admin/":
            assert response.status_code == 200
            assert "appointmentrequest" not in response.content.decode().lower()
        else:
            assert response.status_code == 403, url
        assert "Ada Example" not in response.content.decode()
    response = client.post(item.get_admin_url(), {"status": "closed"})
    assert response.status_code in (302, 403)
    item.refresh_from_db()
    assert item.status == Status.NEW


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "superuser"])
def test_nobody_adds_a_request_in_the_admin(request, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(ADMIN_LIST + "add/").status_code == 403
    response = client.post(
        ADMIN_LIST + "add/",
        {
            "name": "Made Up",
            "phone": "+15552345678",
            "requester": "patient",
            "consent": "on",
        },
    )
    assert response.status_code == 403
    assert AppointmentRequest.objects.count() == 0
    listing = client.get(ADMIN_LIST)
    assert listing.status_code == 200
    assert ADMIN_LIST + "add/" not in listing.content.decode()


# Keeping personal data briefly ----------------------------------------------------


@pytest.mark.django_db
def test_purge_deletes_old_closed_and_anonymises_old_open_requests():
    now = timezone.now()
    closed_days = settings.APPOINTMENT_CLOSED_RETENTION_DAYS
    open_days = settings.APPOINTMENT_OPEN_RETENTION_DAYS
    old_closed = age(
        make_request(status=Status.CLOSED),
        created_at=now - timedelta(days=closed_days + 30),
        closed_at=now - timedelta(days=closed_days + 1),
    )
    recently_closed = age(
        make_request(status=Status.CLOSED),
        created_at=now - timedelta(days=open_days + 30),
        closed_at=now - timedelta(days=closed_days - 1),
    )
    old_new = age(
        make_request(email="ada@example.org", message="Call me"),
        created_at=now - timedelta(days=open_days + 1),
    )
    old_contacted = age(
        make_request(status=Status.CONTACTED, message="Mornings"),
        created_at=now - timedelta(days=open_days + 100),
        contacted_at=now - timedelta(days=open_days + 99),
    )
    recent_open = age(make_request(), created_at=now - timedelta(days=open_days - 1))
    fresh = make_request()

    def snapshot():
        return {
            item.pk: (
                item.name,
                item.phone,
                item.email,
                item.message,
                item.anonymised_at,
            )
            for item in AppointmentRequest.objects.all()
        }

    before = snapshot()
    out = StringIO()
    call_command("purge_appointment_requests", "--dry-run", stdout=out)
    assert snapshot() == before
    assert "Dry run, nothing changed" in out.getvalue()
    assert "deleted 1 closed request(s)" in out.getvalue()
    assert "anonymised 2 open request(s)" in out.getvalue()
    old_new.attempts.create(outcome="voicemail", note="Left a voicemail")

    out = StringIO()
    call_command("purge_appointment_requests", stdout=out)
    output = out.getvalue()
    assert "Dry run" not in output
    assert f"deleted 1 closed request(s) older than {closed_days} days" in output
    assert f"anonymised 2 open request(s) older than {open_days} days" in output

    remaining = {item.pk: item for item in AppointmentRequest.objects.all()}
    assert old_closed.pk not in remaining
    for item in (old_new, old_contacted):
        gone = remaining[item.pk]
        assert gone.name == ANONYMISED and gone.phone == ANONYMISED
        assert gone.email == "" and gone.message == ""
        assert [a.note for a in gone.attempts.all()] in ([], [""])
        assert gone.anonymised_at is not None
        # Nobody can call them back: they leave the queue, closed as expired.
        assert gone.status == Status.EXPIRED and gone.closed_at is not None
    for item in (recently_closed, recent_open, fresh):
        kept = remaining[item.pk]
        assert (kept.name, kept.phone, kept.anonymised_at) == (
            "Ada Example",
            "+15552345678",
            None,
        )

    # A second run finds nothing more to do.
    out = StringIO()
    call_command("purge_appointment_requests", stdout=out)
    assert "deleted 0 closed request(s)" in out.getvalue()
    assert "anonymised 0 open request(s)" in out.getvalue()


# Every page leads to the form -----------------------------------------------------


@pytest.mark.django_db
def test_every_page_links_to_the_form_and_only_the_form_sets_a_cookie(published_site):
    client = Client()
    for path in (
        "/",
        "/treatments/surgery/",
        "/treatments/prrt/",
        "/side-effects/",
        "/privacy/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        cta = parse_response(response).find("aside", class_="cta")
        links = [a.attrs["href"] for a in cta.find_all("a")]
        assert f"{FORM_URL}?from={path}" in links, (path, links)
        assert PHONE_HREF in links

    # Following it from a treatment page chooses that treatment.
    response = client.get(f"{FORM_URL}?from=/treatments/prrt/")
    select = parse_response(response).find("select", name="treatment")
    assert [
        o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs
    ] == ["prrt"]
    # From anywhere else, nothing is chosen.
    for origin in (
        "/",
        "/side-effects/",
        "/treatments/not-a-treatment/",
        "https://evil.example/",
    ):
        response = client.get(FORM_URL, {"from": origin})
        select = parse_response(response).find("select", name="treatment")
        assert not [
            o
            for o in select.find_all("option")
            if "selected" in o.attrs and o.attrs["value"]
        ]

    # Public pages set no cookie; the form sets the CSRF cookie only, and a strict one.
    client = Client()  # a new visitor, with no cookie yet
    for path in ("/", "/treatments/surgery/", "/treatments/prrt/", "/privacy/"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies, f"{path} set {list(response.cookies)}"

    response = client.get(FORM_URL + "?from=/treatments/surgery/")
    assert response.status_code == 200
    assert set(response.cookies) == {settings.CSRF_COOKIE_NAME} == {"csrftoken"}
    cookie = response.cookies["csrftoken"]
    assert settings.DEBUG is False and settings.CSRF_COOKIE_SECURE is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is True


# Sent once: Back, the same request again, the cookie that remembers ----------------


@pytest.mark.django_db
def test_after_sending_the_form_page_says_the_request_was_sent(patient_client, clock):
    """Back after sending fetches the form page again: it says the request went, at
    what time, and offers a different request instead of a refilled form."""
    assert request_appointment(patient_client).status_code == 302  # 10:00 in New York
    clock.advance(minutes=7)

    back = patient_client.get(FORM_URL)
    assert back.status_code == 200
    page = parse_response(back)
    main = page.find("main")
    assert main.find("h1").text == "You already sent a request"
    assert (
        "We got a request from this browser at 10 a.m. Eastern Time. "
        "You do not need to send it again." in main.text
    )
    assert not page.find_all("form", class_="appointment-form")
    assert not page.find_all("input", name="submission_token")
    assert main.find("a", href=PHONE_HREF).text == PHONE_TEXT
    different = main.find("a", href=FORM_URL + "?new=1")
    assert different.text == "Send a different request"
    assert "no-store" in back["Cache-Control"]

    form, _, _ = open_form(patient_client, FORM_URL + "?new=1")
    assert parse_response(form).find("h1").text == "Ask for an appointment"

    # Half an hour later the browser has forgotten: the form is the form again.
    clock.advance(minutes=24)
    assert (
        parse_response(patient_client.get(FORM_URL)).find("h1").text
        == "Ask for an appointment"
    )


@pytest.mark.django_db
def test_the_sent_cookie_is_strict_short_lived_and_holds_no_personal_data(
    patient_client,
):
    response = request_appointment(patient_client)
    assert response.status_code == 302
    assert set(response.cookies) == {"appointment_sent"}
    cookie = response.cookies["appointment_sent"]
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["max-age"] == 1800
    assert cookie["path"] == FORM_URL  # never sent with any other page
    assert leaked_values(cookie.value) == []
    saved = AppointmentRequest.objects.get()
    for value in (saved.submission_token, saved.phone, PHONE_DIGITS):
        assert value not in cookie.value
    # Nothing in it but the time it was sent, signed so it cannot be made up.
    patient_client.cookies["appointment_sent"] = "2026-06-10T14:00:00+00:00"
    assert (
        parse_response(patient_client.get(FORM_URL)).find("h1").text
        == "Ask for an appointment"
    )


@pytest.mark.django_db
def test_the_same_request_again_is_not_a_second_request(
    clock, mailoutbox, django_capture_on_commit_callbacks
):
    """A second identical request from the same person within 30 minutes (Back and
    Send, or another browser) is the same one: the same confirmation, no new record."""
    with django_capture_on_commit_callbacks(execute=True):
        assert request_appointment(Client(enforce_csrf_checks=True)).status_code == 302
        clock.advance(minutes=10)
        # Another browser, so no cookie; a new form, so a new one-time token.
        again = request_appointment(
            Client(enforce_csrf_checks=True),
            {**PATIENT, "name": "  zebulon   QUAXWORTH ", "phone": "(555) 234-5678"},
        )
    assert (again.status_code, again["Location"]) == (302, SENT_URL)
    assert again.cookies["appointment_sent"]["samesite"] == "Strict"
    assert AppointmentRequest.objects.count() == 1
    run_tasks()  # the worker sends the team's email
    assert len(mailoutbox) == 1

    # Something new to tell us is a new request, and so is the same one much later.
    changed = request_appointment(
        Client(enforce_csrf_checks=True), {**PATIENT, "message": "Evenings now."}
    )
    assert changed.status_code == 302
    assert AppointmentRequest.objects.count() == 2
    clock.advance(minutes=31)
    assert request_appointment(Client(enforce_csrf_checks=True)).status_code == 302
    assert AppointmentRequest.objects.count() == 3


# The phone field and the time zone --------------------------------------------------


@pytest.mark.django_db
def test_the_phone_field_is_a_tel_field_with_autocomplete(patient_client):
    phone = parse_response(open_form(patient_client)[0]).find("input", name="phone")
    assert phone.attrs["type"] == "tel"
    assert phone.attrs["autocomplete"] == "tel"
    assert "inputmode" not in phone.attrs


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone, name",
    [("America/New_York", "Eastern Time"), ("America/Chicago", "Central Time")],
)
def test_the_best_times_to_call_show_the_teams_time_zone(
    patient_client, settings, zone, name
):
    settings.APPOINTMENT_TEAM_TIME_ZONE = zone
    page = parse_response(open_form(patient_client)[0])
    fieldset = page.find(id="id_best_time_field")
    assert fieldset.find("legend").text == f"Best time to call ({name})"
    hint = page.find(id="id_best_time_helptext")
    assert hint.text == f"Times are {name}, where our appointment team works."
    assert fieldset.attrs["aria-describedby"] == "id_best_time_helptext"


# Every message names its question ---------------------------------------------------


def django_default_messages(field):
    messages = {}
    for cls in reversed(type(field).__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


@pytest.mark.django_db
def test_no_field_keeps_one_of_djangos_generic_error_messages():
    """A message read out of place ("This field is required.") says nothing: every
    message a patient can meet is our own and names its question."""
    from django import forms
    from django.core.validators import MaxLengthValidator

    from appointments.forms import AppointmentRequestForm

    form = AppointmentRequestForm(treatments=[("surgery", "Surgery")])
    for name in [f.name for f in form.visible_fields() if f.name != "website"]:
        field = form.fields[name]
        codes = {"required"} if field.required else set()
        if isinstance(field, forms.ChoiceField):
            codes.add("invalid_choice")
        if isinstance(field, forms.EmailField):
            codes.add("invalid")
        if any(isinstance(v, MaxLengthValidator) for v in field.validators):
            codes.add("max_length")
        defaults = django_default_messages(field)
        for code in codes:
            assert code in field.error_messages, (name, code)
            message = str(field.error_messages[code])
            assert message != str(defaults.get(code)), (name, code, message)
            assert "this field" not in message.lower(), (name, code, message)
