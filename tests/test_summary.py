"""/my-summary/: what matters to me, where I am in deciding, and a one-page summary
for my appointment. It lives in the address only: no cookie, nothing stored."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .kit import parse_html, parse_response

A_FULL_SUMMARY = (
    "origin=gi&symptoms=yes&liver=yes"
    "&t=surgery&t=chemotherapy&t=hormone-therapy"
    "&m-no-operation=a-lot&m-ease-symptoms=a-lot&m-research=not-much"
    "&stage=thinking&with=family&with=care-team&lean=none"
    "&q=surgery:1&q=hormone-therapy:2&own=Can+I+keep+working%3F&show=1"
)


def summary_sheet(client, query):
    response = client.get(f"/my-summary/?{query}")
    assert response.status_code == 200, query
    sheets = parse_response(response).find_all("section", class_="summary-sheet")
    return response, (sheets[0] if sheets else None)


def test_the_summary_holds_what_the_patient_marked_beside_the_options(
    site, module_client
):
    _, sheet = summary_sheet(module_client, A_FULL_SUMMARY)
    today = datetime.date.today()
    assert sheet.find_all("p", class_="summary-date")[0].text == (
        f"Date: {today:%B} {today.day}, {today.year}"
    )
    assert sheet.find_all("p", class_="summary-told")[0].text == (
        "your care team said it started in the digestive (GI) tract; it is causing "
        "symptoms; it has spread to the liver."
    )
    options = sheet.find_all("ul", class_="summary-options")[0].find_all("strong")
    # The guide's order, whatever order the address names them in.
    assert [o.text for o in options] == ["Surgery", "Chemotherapy", "Hormone therapy"]
    assert [
        li.text
        for li in sheet.find_all("ul", class_="summary-matters")[0].find_all("li")
    ] == [
        "Avoiding an operation: A lot",
        "Easing my symptoms: A lot",
        "Taking part in research (a clinical trial): Not much",
    ]
    assert [
        li.text
        for li in sheet.find_all("ul", class_="summary-deciding")[0].find_all("li")
    ] == [
        "I am thinking about the options",
        "I want to decide with: My care team, My family",
        "I do not lean toward an option yet, or would rather not say.",
    ]
    assert [p.text for p in sheet.find_all("p", class_="summary-about")] == [
        "About Surgery:",
        "About Hormone therapy:",
        "My own questions:",
    ]
    assert [li.text for li in sheet.find_all("li") if li.parent.tag == "ol"] == [
        "Can my whole tumor be taken out?",
        "Which of my symptoms might hormone therapy help with?",
        "Can I keep working?",
    ]
    assert "To talk with NET Guide, call (888) 552-6760." in sheet.text
    assert "[[" not in sheet.text
    # Nothing ranks the options: no "best", no score.
    assert "best" not in sheet.text.lower()


def test_a_leaning_is_the_patients_own_words_about_one_option(site, module_client):
    _, sheet = summary_sheet(module_client, "t=surgery&lean=surgery&show=1")
    assert "I lean toward: Surgery" in sheet.text


def test_the_same_address_reopens_the_same_summary(site, module_client):
    first, _ = summary_sheet(module_client, A_FULL_SUMMARY)
    again, _ = summary_sheet(module_client, A_FULL_SUMMARY)
    assert first.content == again.content


def test_no_cookie_no_cache_and_nothing_written_on_the_server(site, client):
    counts = {model: model.objects.count() for model in apps.get_models()}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/my-summary/?{A_FULL_SUMMARY}")
    assert response.status_code == 200
    assert "Set-Cookie" not in str(response.serialize_headers())
    assert not response.cookies
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert {model: model.objects.count() for model in apps.get_models()} == counts
    # Neither our page cache nor a shared cache keeps one patient's summary.
    assert "X-Page-Cache" not in response
    assert "no-store" in response["Cache-Control"]
    assert (
        "private" in response["Cache-Control"]
        or "no-cache" in response["Cache-Control"]
    )


def test_the_explorer_and_compare_lead_to_the_summary_with_their_options(
    site, module_client
):
    root = parse_response(module_client.get("/explore/?liver=yes&hormones=yes"))
    links = {a.text: a.attrs["href"] for a in root.find_all("a")}
    assert links["What matters to me: make a summary for my appointment"] == (
        "/my-summary/?hormones=yes&liver=yes&t=surgery&t=chemotherapy"
        "&t=hormone-therapy&t=radiation-therapy&t=interventional-radiology"
    )
    compare = parse_response(module_client.get("/compare/?t=surgery&t=prrt"))
    links = {a.text: a.attrs["href"] for a in compare.find_all("a")}
    assert links["What matters to me: make a summary for my appointment"] == (
        "/my-summary/?t=surgery&t=prrt"
    )


def test_the_form_comes_prefilled_from_the_address(site, module_client):
    response = module_client.get("/my-summary/?liver=yes&t=surgery&t=prrt")
    root = parse_response(response)
    ticked = [
        box.attrs["value"]
        for box in root.find_all("input", type="checkbox")
        if box.attrs.get("name") == "t" and "checked" in box.attrs
    ]
    assert ticked == ["surgery", "prrt"]
    hidden = {
        (i.attrs["name"], i.attrs["value"])
        for i in root.find_all("input", type="hidden")
    }
    assert ("liver", "yes") in hidden
    matters = [
        f.find_all("legend")[0].text for f in root.find_all("fieldset", class_="matter")
    ]
    assert matters == [
        "Avoiding an operation",
        "Short or no hospital stays",
        "Easing my symptoms",
        "Slowing the tumor down",
        "Having fewer side effects",
        "Taking part in research (a clinical trial)",
    ]
    assert not root.find_all("section", class_="summary-sheet")


@pytest.mark.parametrize(
    "query",
    [
        "t=bogus&show=1",
        "stage=sideways&show=1",
        "m-no-operation=1000&show=1",
        "own=" + "x" * 5000 + "&show=1",
        "q=surgery:99&show=1",
        "liver=maybe&show=1",
    ],
)
def test_bad_input_gets_a_message_never_a_500(site, module_client, query):
    response = module_client.get(f"/my-summary/?{query}")
    assert response.status_code == 200
    root = parse_html(response.content.decode())
    assert not root.find_all("section", class_="summary-sheet") or "liver" in query
