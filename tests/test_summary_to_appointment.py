"""A summary for my appointment, sent with an appointment request: the summary's link
carries the options and questions in the address; the request form offers the list
and the patient's tumor answers as two separate opt-ins, both off; only what is
ticked is kept, and the retention rule removes it with the other details."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from appointments.models import AccessLogEntry, AppointmentRequest

from .kit import (
    FORM_URL,
    PATIENT,
    logged_in,
    make_request,
    open_form,
    parse_response,
    post_form,
    the_superuser,
)

A_SUMMARY = (
    "origin=gi&symptoms=yes&liver=yes"
    "&t=surgery&t=hormone-therapy"
    "&m-no-operation=a-lot&stage=thinking"
    "&q=surgery:1&q=hormone-therapy:2&own=Can+I+keep+working%3F&show=1"
)
# What the summary's link carries: options, questions and the explorer's answers
# (what matters and where they are in deciding stay on the summary).
CARRIED = (
    "t=surgery&t=hormone-therapy&q=surgery%3A1&q=hormone-therapy%3A2"
    "&own=Can+I+keep+working%3F&origin=gi&symptoms=yes&liver=yes"
)
FROM_SUMMARY = f"{FORM_URL}?from=/my-summary/&{CARRIED}"
THE_LIST = (
    "Options to talk about: Surgery; Hormone therapy\n"
    "Questions about Surgery:\n"
    "- Can my whole tumor be taken out?\n"
    "Questions about Hormone therapy:\n"
    "- Which of my symptoms might hormone therapy help with?\n"
    "My own questions:\n"
    "- Can I keep working?"
)
THE_TOLD = (
    "your care team said it started in the digestive (GI) tract; it is causing "
    "symptoms; it has spread to the liver."
)


def send_from_summary(client, ticked=(), path=FROM_SUMMARY):
    """Open the form from the summary's link and send it with the boxes `ticked`."""
    response, csrf, token = open_form(client, path)
    summary = parse_response(response).find("input", name="summary").attrs["value"]
    data = {**PATIENT, "summary": summary, **{name: "on" for name in ticked}}
    return post_form(client, data, csrf, token)


@pytest.fixture
def patient():
    return Client()


def test_the_summary_links_to_the_form_with_its_options_and_questions(
    site, module_client
):
    response = module_client.get(f"/my-summary/?{A_SUMMARY}")
    [link] = [
        a
        for a in parse_response(response)
        .find("div", class_="summary-keep")
        .find_all("a")
        if a.text == "Ask for an appointment"
    ]
    assert link.attrs["href"] == FROM_SUMMARY
    assert not response.cookies


def test_the_form_offers_each_part_unticked_and_shows_what_it_would_add(site, patient):
    response, _csrf, _token = open_form(patient, FROM_SUMMARY)
    page = parse_response(response)
    attach = page.find("fieldset", class_="summary-attach")
    boxes = {
        box.attrs["name"]: box.attrs.get("checked")
        for box in attach.find_all("input", type="checkbox")
    }
    assert boxes == {"add_summary_list": None, "add_summary_told": None}
    labels = [label.text for label in attach.find_all("label")]
    assert labels == [
        "Add my list of options and questions to this request",
        "Add what I told the guide about my tumor",
    ]
    shown = attach.find("div", class_="summary-attach-list")
    assert [item.text for item in shown.find_all("li")] == [
        "Can my whole tumor be taken out?",
        "Which of my symptoms might hormone therapy help with?",
        "Can I keep working?",
    ]
    assert attach.find("p", class_="summary-attach-told").text == THE_TOLD
    assert AppointmentRequest.objects.count() == 0


def test_nothing_from_the_summary_is_kept_when_no_box_is_ticked(site, patient):
    assert send_from_summary(patient).status_code == 302
    sent = AppointmentRequest.objects.get()
    assert (sent.summary_list, sent.summary_told) == ("", "")


def test_only_the_list_is_kept_when_only_the_list_is_ticked(site, patient):
    assert send_from_summary(patient, ["add_summary_list"]).status_code == 302
    sent = AppointmentRequest.objects.get()
    assert (sent.summary_list, sent.summary_told) == (THE_LIST, "")


def test_the_tumor_answers_are_kept_only_when_their_own_box_is_ticked(site, patient):
    sent = send_from_summary(patient, ["add_summary_list", "add_summary_told"])
    assert sent.status_code == 302
    kept = AppointmentRequest.objects.get()
    assert (kept.summary_list, kept.summary_told) == (THE_LIST, THE_TOLD)


def test_the_form_still_works_without_a_summary(site, patient):
    response, csrf, token = open_form(patient)
    assert parse_response(response).find_all("fieldset", class_="summary-attach") == []
    # A box ticked by hand, with no summary, adds nothing.
    sent = post_form(patient, {**PATIENT, "add_summary_list": "on"}, csrf, token)
    assert sent.status_code == 302
    kept = AppointmentRequest.objects.get()
    assert (kept.summary_list, kept.summary_told) == ("", "")


def test_a_summary_link_from_another_page_is_not_offered(site, patient):
    response, _csrf, _token = open_form(patient, f"{FORM_URL}?from=%2F&{CARRIED}")
    assert parse_response(response).find_all("fieldset", class_="summary-attach") == []


ERROR = (
    "We could not add your summary to this request: the link is broken or too long. "
    "You can still send the request, or go back to your summary and try again."
)


@pytest.mark.parametrize(
    "query",
    [
        "t=no-such-option",
        "q=surgery:99",
        "q=surgery",
        "origin=the-moon",
        "own=" + "x" * 301,
        "own=" + "%0A".join(["Why?"] * 21),
        "&".join(["q=surgery:1"] * 101),
        "own=a&own=b",
        "t=surgery&" + "x=" + "y" * 4000,
    ],
    ids=[
        "unknown option",
        "unknown question",
        "question without number",
        "unknown answer",
        "own question too long",
        "too many own questions",
        "too many questions",
        "own questions twice",
        "address too long",
    ],
)
def test_a_broken_or_oversized_summary_link_gets_a_clear_message(site, patient, query):
    response = patient.get(f"{FORM_URL}?from=%2Fmy-summary%2F&{query}")
    assert response.status_code == 400
    page = parse_response(response)
    assert page.find("p", id="summary-error").text.startswith(ERROR)
    assert page.find_all("fieldset", class_="summary-attach") == []
    # The form still sends, without the summary.
    csrf = page.find("input", name="csrfmiddlewaretoken").attrs["value"]
    token = page.find("input", name="submission_token").attrs["value"]
    sent = post_form(patient, {**PATIENT, "add_summary_list": "on"}, csrf, token)
    assert sent.status_code == 302
    assert AppointmentRequest.objects.get().summary_list == ""


@pytest.mark.parametrize(
    "edited",
    ["t=no-such-option", "q&" * 1500],
    ids=["unknown option", "1500 empty fields"],
)
def test_an_edited_summary_in_the_sent_form_is_refused_with_a_message(
    site, patient, edited
):
    _response, csrf, token = open_form(patient, FROM_SUMMARY)
    data = {**PATIENT, "summary": edited, "add_summary_list": "on"}
    response = post_form(patient, data, csrf, token)
    assert response.status_code == 200
    assert ERROR in [item.text for item in parse_response(response).find_all("li")]
    assert AppointmentRequest.objects.count() == 0


def test_the_team_sees_what_was_added_and_the_view_is_logged(site):
    item = make_request(summary_list=THE_LIST, summary_told=THE_TOLD)
    admin = the_superuser()
    client = logged_in(admin)
    response = client.get(f"/admin/appointments/appointmentrequest/{item.pk}/change/")
    text = response.content.decode()
    assert "Can my whole tumor be taken out?" in text
    assert "it has spread to the liver." in text
    assert list(
        AccessLogEntry.objects.filter(request_id=item.pk).values_list(
            "action", flat=True
        )
    ) == ["viewed"]


@pytest.mark.django_db
def test_the_retention_rule_removes_what_the_summary_added(settings):
    old = make_request(summary_list=THE_LIST, summary_told=THE_TOLD)
    recent = make_request(summary_list=THE_LIST, summary_told=THE_TOLD)
    days = settings.APPOINTMENT_OPEN_RETENTION_DAYS
    AppointmentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=days + 1)
    )
    call_command("purge_appointment_requests", stdout=StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.anonymised_at is not None
    assert (old.summary_list, old.summary_told) == ("", "")
    assert (recent.summary_list, recent.summary_told) == (THE_LIST, THE_TOLD)


def test_a_spanish_summary_link_offers_it_in_spanish(site, patient):
    summary = patient.get("/es/mi-resumen/?origin=gi&t=cirugia&q=cirugia:1&show=1")
    [link] = [
        a
        for a in parse_response(summary)
        .find("div", class_="summary-keep")
        .find_all("a")
        if a.text == "Pedir una cita"
    ]
    response = patient.get(link.attrs["href"])
    assert response.status_code == 200
    attach = parse_response(response).find("fieldset", class_="summary-attach")
    labels = [label.text for label in attach.find_all("label")]
    assert labels == [
        "Añadir mi lista de opciones y preguntas a esta solicitud",
        "Añadir lo que le dije a la guía sobre mi tumor",
    ]
    page = parse_response(response)
    csrf = page.find("input", name="csrfmiddlewaretoken").attrs["value"]
    token = page.find("input", name="submission_token").attrs["value"]
    summary_query = page.find("input", name="summary").attrs["value"]
    data = {**PATIENT, "summary": summary_query, "add_summary_list": "on"}
    sent = patient.post(
        "/es/citas/solicitar/",
        {"csrfmiddlewaretoken": csrf, "submission_token": token, **data},
    )
    assert sent.status_code == 302
    assert AppointmentRequest.objects.get().summary_list == (
        "Opciones para hablar: Cirugía\n"
        "Preguntas sobre Cirugía:\n"
        "- ¿Se puede sacar todo mi tumor?"
    )


def test_sent_again_with_the_summary_ticked_is_a_new_request(site, patient):
    assert send_from_summary(patient).status_code == 302
    patient.cookies.clear()  # another browser, or cookies blocked
    assert send_from_summary(patient, ["add_summary_list"]).status_code == 302
    assert sorted(
        AppointmentRequest.objects.values_list("summary_list", flat=True)
    ) == [
        "",
        THE_LIST,
    ]
