"""/explore/: "find the options that may fit my situation", judged on the rendered page.

What makes a treatment fit is reviewed content (fit rules in content/); these tests
check what a patient reads against the seed's facts, written out literally here.
"""

import itertools
import re

import pytest
from django.core.exceptions import ValidationError

from tests.html_tree import parse_html, parse_response
from treatments.diffing import changed_fields
from treatments.explore import matching_reasons
from treatments.models import Treatment

NOT_ADVICE = "This is not medical advice."
FALLBACK = "Your answers do not point to one treatment more than another."
EMPTY = "Please answer at least one question."
CONTRADICTION = (
    "You said it has not spread, and also that it has spread to the liver. "
    "Please check these two answers."
)

# How each answer reads back to the patient ("You said …"), written out literally.
SAID = {
    ("origin", "gi"): "it started in the digestive (GI) tract",
    ("origin", "elsewhere"): "it started somewhere else",
    ("origin", "not-sure"): "you are not sure where it started",
    ("grade", "low"): "it grows slowly (low grade)",
    ("grade", "faster"): "it grows faster (higher grade)",
    ("grade", "not-sure"): "you are not sure how fast it grows",
    ("hormones", "yes"): "it makes hormones that cause symptoms",
    ("hormones", "no"): "it does not make hormones that cause symptoms",
    (
        "hormones",
        "not-sure",
    ): "you are not sure if it makes hormones that cause symptoms",
    ("extent", "localized"): "it has not spread",
    ("extent", "spread"): "it has spread",
    ("extent", "not-sure"): "you are not sure if it has spread",
    ("liver", "yes"): "it has spread to the liver",
    ("liver", "no"): "it has not spread to the liver",
    ("liver", "not-sure"): "you are not sure if it has spread to the liver",
    (
        "surgery",
        "yes",
    ): "your care team said surgery would be hard, or could not take out all of the tumor",
    ("surgery", "no"): "your care team has not said that surgery would be hard",
    ("surgery", "not-sure"): "you are not sure what your care team said about surgery",
}
QUESTION_NAMES = ["origin", "grade", "hormones", "extent", "liver", "surgery"]
# Each question answered any way or left out (None): 4 ** 6 = 4,096 sets of answers.
ALL_COMBINATIONS = [
    dict(zip(QUESTION_NAMES, values, strict=True))
    for values in itertools.product(
        *(
            [None, *(value for (q, value) in SAID if q == name)]
            for name in QUESTION_NAMES
        )
    )
]
LIVER_PROCEDURES = {
    "Liver transplant",
    "Chemoembolization",
    "Embolization",
    "TheraSphere",
    "SIR-Spheres",
}


@pytest.fixture(scope="module")
def client(module_client):
    return module_client


# Reading the page ---------------------------------------------------------------------


def query_of(combination):
    return {name: value for name, value in combination.items() if value is not None}


def get_explore(client, query):
    response = client.get("/explore/", query)
    assert response.status_code == 200, query
    return parse_response(response)


def get_main(client, query):
    """Only the page's <main>, for the 4,096 pages: parsing the rest would double the time."""
    response = client.get("/explore/", query)
    assert response.status_code == 200, query
    html = response.content.decode()
    return parse_html(html[html.index("<main") : html.index("</main>") + 7])


def slug_of(href):
    return href.removeprefix("/treatments/").strip("/")


def reasons_in(element):
    """(the answers it rests on, its text) of each reason directly in this list."""
    return [
        (
            [span.text for span in li.find_all("span", class_="said")],
            li.find_all("span", class_="reason-text")[0].text,
        )
        for li in element.find_all("li", class_="reason")
    ]


def offers(root):
    """{treatment slug: {"reasons": [...], "procedures": {name: [...]}}} in page order."""
    lists = root.find_all("ol", class_="results-list")
    found = {}
    for card in lists[0].find_all("li", class_="card") if lists else []:
        slug = slug_of(card.find_all("h3")[0].find_all("a")[0].attrs["href"])
        own = card.find_all("ul", class_="reasons")
        procedures = {}
        for holder in card.find_all("ul", class_="procedure-reasons"):
            for item in holder.children:
                if getattr(item, "tag", None) == "li":
                    name = item.find_all("strong", class_="procedure-name")[0].text
                    procedures[name] = reasons_in(item)
        own_reasons = [
            reason
            for reason in (reasons_in(own[0]) if own else [])
            if own and own[0].parent is card
        ]
        found[slug] = {"reasons": own_reasons, "procedures": procedures}
    return found


def also_asked(root):
    sections = root.find_all("section", class_="also-ask")
    if not sections:
        return {}
    return {
        slug_of(card.find_all("a")[0].attrs["href"]): card.find_all("p")[0].text
        for card in sections[0].find_all("li", class_="card")
    }


def summary_of(root):
    lines = root.find_all("p", class_="answer-summary")
    return lines[0].text if lines else None


# The form -----------------------------------------------------------------------------


def test_explore_is_a_get_form_so_the_answers_are_a_shareable_address(site, client):
    root = get_explore(client, {})
    forms = root.find_all("form", class_="situation-form")
    assert len(forms) == 1
    assert forms[0].attrs["method"] == "get"
    # After submitting, the browser lands on the results, not the top of the page.
    assert forms[0].attrs["action"] == "/explore/#results"
    radios = {
        (i.attrs["name"], i.attrs["value"])
        for i in forms[0].find_all("input", type="radio")
    }
    assert radios == set(SAID)
    assert not root.find_all("section", class_="results")
    assert not root.find_all("div", class_="error-summary")

    shared = get_explore(client, {"grade": "low", "liver": "yes"})
    checked = {
        (i.attrs["name"], i.attrs["value"])
        for i in shared.find_all("input", type="radio")
        if "checked" in i.attrs
    }
    assert checked == {("grade", "low"), ("liver", "yes")}
    assert shared.find_all("section", class_="results")


def test_results_come_first_with_a_summary_of_the_answers(site, client):
    root = get_explore(
        client, {"origin": "gi", "grade": "low", "liver": "no", "show": "1"}
    )
    main = root.find_all("main")[0]
    sections = [
        s.attrs.get("id") or s.attrs.get("class") for s in main.find_all("section")
    ]
    assert sections[0] == "results"
    assert sections[-1] == "change-answers"
    assert summary_of(root) == (
        "You told us: it started in the digestive (GI) tract; "
        "it grows slowly (low grade); it has not spread to the liver."
    )
    assert NOT_ADVICE in root.text


# Every combination of answers, on the rendered page -------------------------------


# The sweep does not depend on the database: CI runs it in one lane (see .ci/run).
@pytest.mark.exhaustive
def test_every_one_of_the_4096_sets_of_answers_gets_an_honest_page(site, client):
    """Each set of answers, as a patient submits it: a message for none or for answers
    that contradict each other; otherwise every offer has a reason, every reason rests
    on answers the patient gave, and the seed's conditions hold."""
    assert len(ALL_COMBINATIONS) == 4096
    problems = []
    for combination in ALL_COMBINATIONS:
        given = query_of(combination)
        root = get_main(client, {**given, "show": "1"})
        text = root.text
        results = root.find_all("section", class_="results")

        def problem(message, given=given):
            problems.append(f"{given}: {message}")

        if not given:
            if results or EMPTY not in text:
                problem("an empty submission did not ask for an answer")
            continue
        if given.get("extent") == "localized" and given.get("liver") == "yes":
            if results or CONTRADICTION not in text:
                problem("contradictory answers were not pointed out")
            continue
        if not results or root.find_all("div", class_="error-summary"):
            problem("no results")
            continue

        said = {SAID[pair] for pair in given.items()}
        expected_summary = "You told us: " + "; ".join(
            SAID[(name, given[name])] for name in QUESTION_NAMES if name in given
        )
        if summary_of(root) != expected_summary + ".":
            problem(f"summary reads {summary_of(root)!r}")

        found = offers(root)
        if not found and FALLBACK not in text:
            problem("neither options nor the fallback")
        offered_procedures = {}
        for slug, offer in found.items():
            every_reason = offer["reasons"] + [
                reason for reasons in offer["procedures"].values() for reason in reasons
            ]
            if not every_reason:
                problem(f"{slug} is offered without a reason")
            for answers, reason_text in every_reason:
                if not answers or not set(answers) <= said:
                    problem(f"{slug}: a reason rests on answers not given: {answers}")
                if re.search(r"\bsmall\b", reason_text, re.IGNORECASE):
                    problem(f"{slug}: a reason claims a size: {reason_text}")
            for name, reasons in offer["procedures"].items():
                if not reasons:
                    problem(f"{slug}: {name} is offered without its own reason")
                offered_procedures[name] = reasons

        # The seed's conditions, as stated there.
        if ("Cytoreductive surgery" in offered_procedures) != (
            given.get("origin") == "gi"
        ):
            problem("cytoreductive surgery is for NETs in the GI tract, and only those")
        if ("Enucleation" in offered_procedures) != (
            given.get("extent") == "localized"
        ):
            problem("enucleation is offered exactly when the tumor has not spread")
        for name in LIVER_PROCEDURES:
            if (name in offered_procedures) != (given.get("liver") == "yes"):
                problem(f"{name} is offered exactly when it has spread to the liver")
            for answers, reason_text in offered_procedures.get(name, []):
                if "liver" not in reason_text or SAID[("liver", "yes")] not in answers:
                    problem(f"{name}'s reason does not speak of the liver")
        if ("interventional-radiology" in found) != (given.get("liver") == "yes"):
            problem("interventional radiology is for NETs that spread to the liver")
        if ("active-surveillance" in found) != (given.get("grade") == "low"):
            problem("active surveillance is for low-grade NETs")
        if ("hormone-therapy" in found) != (given.get("hormones") == "yes"):
            problem("hormone therapy is for symptoms from hormone-like substances")
        if set(found) & set(also_asked(root)):
            problem("a treatment is listed twice")
        if len(problems) > 20:
            break
    assert problems == []


def test_options_for_everyone_are_shown_apart_with_their_reviewed_sentence(
    site, client
):
    root = get_explore(client, {"grade": "low"})
    assert also_asked(root) == {
        "targeted-therapy": "The right targeted therapy depends on the tumor itself. "
        "Your care team may run extra tests to find it.",
        "prrt": "PRRT may be used for certain NETs. Your care team can tell you if "
        "yours is one of them.",
        "theranostics": "The FDA has approved Lutathera for some types of NETs. Your "
        "care team can tell you if it may fit yours.",
        "clinical-trials": "Your care team can help you look into clinical trials. "
        "They test new treatments.",
    }


def test_liver_spread_offers_the_liver_procedures_with_their_own_reasons(site, client):
    found = offers(get_explore(client, {"liver": "yes"}))
    # Most reasons first; equal ones in the home page's order.
    assert list(found) == [
        "radiation-therapy",
        "chemotherapy",
        "interventional-radiology",
        "surgery",
    ]
    liver = [SAID[("liver", "yes")]]
    assert found["radiation-therapy"]["procedures"] == {
        "TheraSphere": [
            (liver, "TheraSphere may be a choice when a NET has spread to the liver.")
        ],
        "SIR-Spheres": [
            (liver, "SIR-Spheres may be a choice when a NET has spread to the liver.")
        ],
    }
    assert found["surgery"] == {
        "reasons": [],
        "procedures": {
            "Liver transplant": [
                (
                    liver,
                    "A liver transplant may be a choice for a NET that has spread to "
                    "the liver.",
                )
            ]
        },
    }


def test_reasons_that_say_the_same_thing_are_shown_once_on_all_their_answers(
    site, client
):
    found = offers(get_explore(client, {"extent": "spread", "liver": "yes"}))
    assert found["chemotherapy"]["reasons"] == [
        (
            [SAID[("extent", "spread")], SAID[("liver", "yes")]],
            "Chemotherapy is often used when a NET has spread.",
        )
    ]


def test_answers_that_fit_nothing_list_every_option(site, client):
    root = get_explore(client, {"origin": "elsewhere", "grade": "faster"})
    assert FALLBACK in root.text
    listed = root.find_all("ul", class_="option-list")[0].find_all("a")
    assert len(listed) == 11


def test_contradictory_answers_are_pointed_out_and_nothing_is_claimed(site, client):
    root = get_explore(client, {"extent": "localized", "liver": "yes", "grade": "low"})
    summary = root.find_all("div", class_="error-summary")[0]
    assert summary.find_all("h2")[0].text == "Error: please check your answers"
    links = {a.attrs["href"]: a.text for a in summary.find_all("a")}
    assert links == {
        "#question-extent": f"Has it spread? {CONTRADICTION}",
        "#question-liver": f"Has it spread to the liver? {CONTRADICTION}",
    }
    assert not root.find_all("section", class_="results")
    assert summary_of(root) is None


@pytest.mark.parametrize("query_string", ["show=1", "grade=", "show=1&origin="])
def test_an_empty_submission_asks_for_at_least_one_answer(site, client, query_string):
    response = client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    summary = parse_response(response).find_all("div", class_="error-summary")
    assert len(summary) == 1
    assert EMPTY in summary[0].text


@pytest.mark.parametrize(
    "query_string, field",
    [
        ("grade=bogus", "grade"),
        ("liver=yes&extent=sideways", "extent"),
        ("origin=" + "x" * 5000, "origin"),
        ("surgery=%3Cscript%3Ealert(1)%3C/script%3E", "surgery"),
        ("hormones=not-sure%00", "hormones"),
    ],
    ids=["unknown-value", "one-bad-among-good", "very-long", "markup", "nul-byte"],
)
def test_an_unknown_answer_gets_a_message_linking_to_the_question(
    site, client, query_string, field
):
    response = client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    html = response.content.decode()
    root = parse_html(html)
    summaries = root.find_all("div", class_="error-summary")
    assert len(summaries) == 1
    links = [a.attrs["href"] for a in summaries[0].find_all("a")]
    assert links == [f"#question-{field}"]
    fieldset = root.by_id(f"question-{field}")[0]
    assert fieldset.tag == "fieldset"
    assert fieldset.attrs["aria-describedby"] == f"id_{field}_error"
    assert "Please choose one of the answers shown." in summaries[0].text
    assert not root.find_all("section", class_="results")
    assert "<script>" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    "query_string",
    ["", "unknown=1", "t=surgery", "utm_source=newsletter"],
    ids=["nothing", "unknown-question", "other-page-parameter", "tracking"],
)
def test_addresses_without_answers_show_the_first_visit_page(
    site, client, query_string
):
    response = client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    root = parse_response(response)
    assert not root.find_all("div", class_="error-summary")
    assert not root.find_all("section", class_="results")
    assert len(root.find_all("form", class_="situation-form")) == 1


def test_results_link_to_compare_and_to_a_question_list_in_one_tap(site, client):
    root = get_explore(client, {"liver": "yes", "hormones": "yes"})
    actions = {
        a.text: a.attrs["href"]
        for a in root.find_all("ul", class_="result-actions")[0].find_all("a")
    }
    offered = list(offers(root))
    assert len(offered) == 5
    assert actions["Compare these options"] == "/compare/?" + "&".join(
        f"t={slug}" for slug in offered[:4]
    )
    assert actions["Make a list of questions"] == "/my-questions/?" + "&".join(
        f"t={slug}" for slug in offered
    )
    assert actions["Change my answers"] == "#change-heading"


# Fit rules are reviewed content ----------------------------------------------------


def test_a_changed_fit_rule_shows_in_the_review_diff(site):
    surgery = Treatment.objects.in_language("en").get(slug="surgery")
    before = surgery.live_revision.snapshot
    after = {
        **before,
        "fits": [{**before["fits"][0], "when": ["extent=spread"]}, *before["fits"][1:]],
    }
    changed = changed_fields(before, after, Treatment.field_labels)
    assert [field.label for field in changed] == ["When it may be used"]
    assert [(part.status, str(part.html)) for part in changed[0].parts][0] == (
        "changed",
        "When it may be used (if it has"
        '<del><span class="visually-hidden">removed: </span> not</del> spread): '
        "Surgery to take out the tumor is often the first step for a NET that has "
        "not spread.",
    )


@pytest.mark.parametrize(
    "fits, message",
    [
        (
            [{"when": ["extent=far"], "reason": "x"}],
            "'far' is not an answer to 'extent'",
        ),
        ([{"when": ["size=small"], "reason": "x"}], "unknown question 'size'"),
        ([{"when": ["grade=not-sure"], "reason": "x"}], "'not-sure' is not an answer"),
        ([{"when": [], "reason": "x"}], "needs at least one answer in 'when'"),
        ([{"when": ["grade=low"]}], "needs a 'reason' in plain words"),
        ([{"when": ["grade=low"], "reason": "x", "if": []}], "unknown field(s): if"),
    ],
)
def test_a_fit_rule_an_editor_gets_wrong_is_refused_with_a_clear_message(
    db, fits, message
):
    record = Treatment(slug="x", title="X", summary="X.", body="X.", fits=fits)
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert message in str(error.value.message_dict["fits"])


def test_an_unless_answer_keeps_a_rule_from_applying():
    rules = [
        {
            "when": ["grade=low"],
            "unless": ["hormones=yes"],
            "reason": "Slow and quiet.",
        },
        {"when": ["grade=low"], "reason": "Slow."},
    ]
    assert [r.text for r in matching_reasons(rules, {"grade": "low"})] == [
        "Slow and quiet.",
        "Slow.",
    ]
    assert [
        r.text for r in matching_reasons(rules, {"grade": "low", "hormones": "yes"})
    ] == ["Slow."]
