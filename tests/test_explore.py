"""/explore/: "find the options that may fit my situation", judged on the rendered page.

What makes a treatment fit is reviewed content (fit rules in content/); these tests
check what a patient reads against the seed's facts, written out literally here.
"""

import itertools
import re

import pytest
from django.core.exceptions import ValidationError

from editorial.diffing import compare_snapshots
from treatments.explore import QuestionSet, match_treatments, matching_reasons
from treatments.models import SituationQuestions, Treatment

from .kit import TREATMENT_SLUGS, admin_url, logged_in, parse_html, parse_response

NOT_ADVICE = "This is not medical advice."
FALLBACK = "Your answers do not point to one treatment more than another."
EMPTY = "Please answer at least one question."
CONTRADICTION = (
    "You said it has not spread, and also that it has spread to the liver. "
    "Please check these two answers."
)

# How each answer reads back to the patient ("You said …"), as content/questions.toml
# says it, written out literally.
SAID = {
    ("origin", "gi"): "your care team said it started in the digestive (GI) tract",
    ("origin", "elsewhere"): "your care team said it started somewhere else",
    ("origin", "not-sure"): "you are not sure where it started",
    ("growth", "slow"): "it is growing slowly",
    ("growth", "faster"): "it is growing faster",
    ("growth", "not-sure"): "you are not sure how fast it is growing",
    ("grade", "low"): "it is low grade",
    ("grade", "higher"): "it is a higher grade",
    ("grade", "not-sure"): "you are not sure of its grade",
    ("hormones", "yes"): "your care team said it makes hormones",
    ("hormones", "no"): "your care team said it does not make hormones",
    ("hormones", "not-sure"): "you are not sure if it makes hormones",
    ("symptoms", "yes"): "it is causing symptoms",
    ("symptoms", "no"): "it is not causing symptoms",
    ("symptoms", "not-sure"): "you are not sure if it is causing symptoms",
    ("extent", "localized"): "it has not spread",
    ("extent", "spread"): "it has spread",
    ("extent", "not-sure"): "you are not sure if it has spread",
    ("liver", "yes"): "it has spread to the liver",
    ("liver", "no"): "it has not spread to the liver",
    ("liver", "not-sure"): "you are not sure if it has spread to the liver",
    (
        "location",
        "yes",
    ): "your care team said it is in a place that makes surgery hard",
    (
        "location",
        "no",
    ): "your care team has not said it is in a place that makes surgery hard",
    (
        "location",
        "not-sure",
    ): "you are not sure if it is in a place that makes surgery hard",
    (
        "removal",
        "yes",
    ): "your care team said surgery could not take out all of the tumor",
    (
        "removal",
        "no",
    ): "your care team has not said surgery could not take out all of the tumor",
    (
        "removal",
        "not-sure",
    ): "you are not sure if surgery could take out all of the tumor",
}
QUESTION_NAMES = [
    "origin",
    "growth",
    "grade",
    "hormones",
    "symptoms",
    "extent",
    "liver",
    "location",
    "removal",
]
LIVER_PROCEDURES = {
    "Liver transplant",
    "Chemoembolization",
    "Embolization",
    "TheraSphere",
    "SIR-Spheres",
}


def every_set_of_answers(questions):
    """Each approved question answered any way or left out (None): 4 ** 9 = 262,144
    sets with the questions approved today, and whatever they become."""
    return (
        dict(zip(questions.questions, values, strict=True))
        for values in itertools.product(
            *(
                [None, *(answer.value for answer in question.answers)]
                for question in questions.questions.values()
            )
        )
    )


def pairs_of_answers(questions):
    """Every two answers to two questions (and every one alone): what the rendered
    pages are checked on, since 262,144 pages would take an hour."""
    single = [
        {name: answer.value}
        for name, question in questions.questions.items()
        for answer in question.answers
    ]
    return single + [
        {**first, **second}
        for first, second in itertools.combinations(single, 2)
        if set(first) != set(second)
    ]


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
    lists = root.find_all("ul", class_="results-list")
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


def test_explore_is_a_get_form_so_the_answers_are_a_shareable_address(
    site, module_client
):
    root = get_explore(module_client, {})
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

    shared = get_explore(module_client, {"grade": "low", "liver": "yes"})
    checked = {
        (i.attrs["name"], i.attrs["value"])
        for i in shared.find_all("input", type="radio")
        if "checked" in i.attrs
    }
    assert checked == {("grade", "low"), ("liver", "yes")}
    assert shared.find_all("section", class_="results")


def test_results_come_first_with_a_summary_of_the_answers(site, module_client):
    root = get_explore(
        module_client, {"origin": "gi", "grade": "low", "liver": "no", "show": "1"}
    )
    main = root.find_all("main")[0]
    sections = [
        s.attrs.get("id") or s.attrs.get("class") for s in main.find_all("section")
    ]
    assert sections[0] == "results"
    assert sections[-1] == "change-answers"
    assert summary_of(root) == (
        "You told us: your care team said it started in the digestive (GI) tract; "
        "it is low grade; it has not spread to the liver."
    )
    assert NOT_ADVICE in root.text


# Every combination of answers, on the rendered page -------------------------------


def seed_problems(given, found):
    """What is wrong with these offers for these answers, by the seed's conditions
    as stated there. `found` is {slug: {"reasons": [(answers said, text)],
    "procedures": {name: [...]}}} in the order the patient reads them."""
    problems = []
    said = {SAID[pair] for pair in given.items()}
    if list(found) != [slug for slug in TREATMENT_SLUGS if slug in found]:
        problems.append(f"options are not in the guide's order: {list(found)}")
    procedures = {}
    for slug, offer in found.items():
        every_reason = offer["reasons"] + [
            reason for reasons in offer["procedures"].values() for reason in reasons
        ]
        if not every_reason:
            problems.append(f"{slug} is offered without a reason")
        for answers, text in every_reason:
            if not answers or not set(answers) <= said:
                problems.append(
                    f"{slug}: a reason rests on answers not given: {answers}"
                )
            if "[[" in text:
                problems.append(f"{slug}: an evidence mark reached the patient: {text}")
            # No question asks about size: a reason may state the seed's condition
            # ("for a small tumor"), never that the tumor is small.
            if re.search(r"\bsmall\b", text, re.IGNORECASE) and not (
                re.search(r"\bfor a small tumor\b", text)
            ):
                problems.append(f"{slug}: a reason claims a size: {text}")
        for name, reasons in offer["procedures"].items():
            if not reasons:
                problems.append(f"{slug}: {name} is offered without its own reason")
            procedures[name] = reasons

    def check(condition, message):
        if not condition:
            problems.append(message)

    gi = given.get("origin") == "gi"
    hormones = given.get("hormones") == "yes"
    symptoms = given.get("symptoms") == "yes"
    liver = given.get("liver") == "yes"
    removal = given.get("removal") == "yes"
    check(
        ("Cytoreductive surgery" in procedures) == (gi and (hormones or symptoms)),
        "cytoreductive surgery: GI NETs, to reduce hormones or ease symptoms, only",
    )
    check(
        ("Enucleation" in procedures) == (given.get("extent") == "localized"),
        "enucleation is offered exactly when the tumor has not spread",
    )
    for _answers, text in procedures.get("Enucleation", []):
        check("small" in text, "enucleation's reason keeps the seed's 'small'")
    check(
        ("Debulking surgery" in procedures) == removal,
        "debulking is for a tumor that cannot all be taken out",
    )
    check(
        ("Palliative surgery" in procedures) == (removal and symptoms),
        "palliative surgery: it cannot all be taken out, and it causes symptoms",
    )
    for name in LIVER_PROCEDURES:
        check(
            (name in procedures) == liver,
            f"{name} is offered exactly when it has spread to the liver",
        )
        for answers, text in procedures.get(name, []):
            check(
                "liver" in text and SAID[("liver", "yes")] in answers,
                f"{name}'s reason does not speak of the liver",
            )
    for _answers, text in procedures.get("Liver transplant", []):
        check("may be an option" in text, "a liver transplant 'may be an option'")
    check(
        ("interventional-radiology" in found) == liver,
        "interventional radiology is for NETs that spread to the liver",
    )
    check(
        ("active-surveillance" in found) == (given.get("grade") == "low"),
        "active surveillance is for low-grade NETs",
    )
    check(
        ("hormone-therapy" in found) == hormones,
        "hormone therapy is for the hormone-like substances a NET releases",
    )
    chemotherapy = found.get("chemotherapy", {"reasons": []})["reasons"]
    check(
        bool(chemotherapy) == (symptoms or given.get("extent") == "spread" or liver),
        "chemotherapy is tied to symptoms or spread",
    )
    for answers, _text in chemotherapy:
        check(
            SAID[("hormones", "yes")] not in answers,
            "chemotherapy's reason rests on hormones",
        )
    hard_place = [
        (answers, text)
        for answers, text in found.get("radiation-therapy", {"reasons": []})["reasons"]
        if "makes surgery hard" in text
    ]
    check(
        bool(hard_place) == (given.get("location") == "yes"),
        "radiation's 'hard place' reason is for a tumor in a hard place only",
    )
    surgery = found.get("surgery", {"reasons": []})["reasons"]
    for answers, text in surgery:
        if "has spread" in text:
            check(SAID[("symptoms", "yes")] in answers, "surgery when spread: symptoms")
    return problems


def found_from_matches(matches):
    """The engine's matches in the shape `seed_problems` reads."""
    return {
        match.page.content["slug"]: {
            "reasons": [(reason.said, reason.text) for reason in match.reasons],
            "procedures": {
                name: [(reason.said, reason.text) for reason in reasons]
                for name, reasons in match.procedures
            },
        }
        for match in matches
    }


# The sweeps do not depend on the database: CI runs them in one lane (see .ci/run).
@pytest.mark.exhaustive
def test_every_set_of_answers_to_the_approved_questions_gets_honest_options(site):
    """Every set of answers to the questions a reviewer approved (262,144 with
    today's nine), through the form and the fit rules the page uses: the options in
    the guide's order, each with reasons resting on the answers given, the seed's
    conditions kept, answers that contradict refused."""
    questions = SituationQuestions.public("en")
    assert list(questions.questions) == QUESTION_NAMES
    pages = Treatment.objects.published_pages("en")
    contradictions = [
        (("extent", "localized"), ("liver", "yes")),
    ]
    assert list(questions.contradictions) == contradictions
    problems, count = [], 0
    for combination in every_set_of_answers(questions):
        count += 1
        given = {name: value for name, value in combination.items() if value}
        if not given or any(
            given.get(a) == x and given.get(b) == y for (a, x), (b, y) in contradictions
        ):
            continue
        matches, also_ask = match_treatments(pages, given, questions)
        found = found_from_matches(matches)
        problems += [f"{given}: {p}" for p in seed_problems(given, found)]
        if {m.page.content["slug"] for m in matches} & {
            p.content["slug"] for p in also_ask
        }:
            problems.append(f"{given}: a treatment is listed twice")
        if len(problems) > 20:
            break
    assert count == 4**9
    assert problems == []


@pytest.mark.exhaustive
def test_every_pair_of_answers_gets_an_honest_rendered_page(site, module_client):
    """Every answer alone and every two answers together, as a patient submits them:
    a message for answers that contradict each other; otherwise the summary, the
    options in the guide's order with their reasons, and Compare taking them all."""
    questions = SituationQuestions.public("en")
    problems = []
    for given in pairs_of_answers(questions):
        root = get_main(module_client, {**given, "show": "1"})
        text = root.text
        results = root.find_all("section", class_="results")

        def problem(message, given=given):
            problems.append(f"{given}: {message}")

        if given.get("extent") == "localized" and given.get("liver") == "yes":
            if results or CONTRADICTION not in text:
                problem("contradictory answers were not pointed out")
            continue
        if not results or root.find_all("div", class_="error-summary"):
            problem("no results")
            continue
        expected_summary = "You told us: " + "; ".join(
            SAID[(name, given[name])] for name in QUESTION_NAMES if name in given
        )
        if summary_of(root) != expected_summary + ".":
            problem(f"summary reads {summary_of(root)!r}")
        found = offers(root)
        problems.extend(f"{given}: {p}" for p in seed_problems(given, found))
        listed = list(found) or [
            slug_of(a.attrs["href"])
            for a in root.find_all("ul", class_="option-list")[0].find_all("a")
        ]
        compare_all = [
            a.attrs["href"]
            for a in root.find_all("a")
            if a.text == "Compare all of these options"
        ]
        if compare_all != ["/compare/?" + "&".join(f"t={slug}" for slug in listed)]:
            problem(f"Compare does not take every option: {compare_all}")
        if not found and FALLBACK not in text:
            problem("neither options nor the fallback")
        if set(found) & set(also_asked(root)):
            problem("a treatment is listed twice")
        if len(problems) > 20:
            break
    assert problems == []


def test_options_for_everyone_are_shown_apart_with_their_reviewed_sentence(
    site, module_client
):
    root = get_explore(module_client, {"grade": "low"})
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


def test_liver_spread_offers_the_liver_procedures_with_their_own_reasons(
    site, module_client
):
    found = offers(get_explore(module_client, {"liver": "yes"}))
    # The guide's own order, however many reasons each has.
    assert list(found) == [
        "surgery",
        "chemotherapy",
        "radiation-therapy",
        "interventional-radiology",
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
                    "A liver transplant may be an option for a NET that has spread "
                    "to the liver.",
                )
            ]
        },
    }


def test_enucleation_keeps_the_seeds_small_and_localized(site, client):
    found = offers(get_explore(client, {"extent": "localized"}))
    assert found["surgery"]["procedures"]["Enucleation"] == [
        (
            [SAID[("extent", "localized")]],
            "Enucleation may be a choice for a small tumor that has not spread.",
        )
    ]


def test_reasons_that_say_the_same_thing_are_shown_once_on_all_their_answers(
    site, module_client
):
    found = offers(get_explore(module_client, {"extent": "spread", "liver": "yes"}))
    assert found["chemotherapy"]["reasons"] == [
        (
            [SAID[("extent", "spread")], SAID[("liver", "yes")]],
            "Chemotherapy is often used when a NET has spread.",
        )
    ]


def test_answers_that_fit_nothing_list_every_option(site, module_client):
    root = get_explore(module_client, {"origin": "elsewhere", "grade": "higher"})
    assert FALLBACK in root.text
    listed = root.find_all("ul", class_="option-list")[0].find_all("a")
    assert len(listed) == 11


def test_contradictory_answers_are_pointed_out_and_nothing_is_claimed(
    site, module_client
):
    root = get_explore(
        module_client, {"extent": "localized", "liver": "yes", "grade": "low"}
    )
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
def test_an_empty_submission_asks_for_at_least_one_answer(
    site, module_client, query_string
):
    response = module_client.get(f"/explore/?{query_string}")
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
        ("removal=%3Cscript%3Ealert(1)%3C/script%3E", "removal"),
        ("hormones=not-sure%00", "hormones"),
    ],
    ids=["unknown-value", "one-bad-among-good", "very-long", "markup", "nul-byte"],
)
def test_an_unknown_answer_gets_a_message_linking_to_the_question(
    site, module_client, query_string, field
):
    response = module_client.get(f"/explore/?{query_string}")
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
    site, module_client, query_string
):
    response = module_client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    root = parse_response(response)
    assert not root.find_all("div", class_="error-summary")
    assert not root.find_all("section", class_="results")
    assert len(root.find_all("form", class_="situation-form")) == 1


def test_the_same_answers_share_one_cache_entry_and_bad_answers_are_never_kept(
    site, module_client
):
    assert module_client.get("/explore/?origin=gi&liver=yes")["X-Page-Cache"] == "miss"
    for same in (
        "liver=yes&origin=gi",
        "show=1&origin=gi&liver=yes&utm_source=leaflet",
        "origin=gi&grade=&liver=yes",
        "origin=elsewhere&origin=gi&liver=yes",  # the last value counts, as in forms
    ):
        response = module_client.get(f"/explore/?{same}")
        assert (response.status_code, response["X-Page-Cache"]) == (200, "hit"), same
    for bad in (
        "origin=gi&liver=bogus",
        "origin=gi&liver=Yes",
        "show=1&grade=",
        "extent=localized&liver=yes",  # a contradiction
    ):
        for _ in range(2):  # neither looked up nor stored
            response = module_client.get(f"/explore/?{bad}")
            assert response.status_code == 200, bad
            assert "X-Page-Cache" not in response, bad
            assert "error-summary" in response.content.decode(), bad
    first_visit = module_client.get("/explore/?utm_source=leaflet&unknown=1")
    assert "error-summary" not in first_visit.content.decode()


def test_results_link_to_compare_and_to_a_question_list_in_one_tap(site, module_client):
    root = get_explore(module_client, {"liver": "yes", "hormones": "yes"})
    actions = {
        a.text: a.attrs["href"]
        for a in root.find_all("ul", class_="result-actions")[0].find_all("a")
    }
    offered = list(offers(root))
    assert len(offered) == 5
    # All of them: nothing is left out unless the patient unticks it.
    assert actions["Compare all of these options"] == "/compare/?" + "&".join(
        f"t={slug}" for slug in offered
    )
    assert actions["Choose which to compare"] == "#pick-compare-heading"
    pick = root.by_id("pick-compare-heading")[0].parent
    ticked = [
        box.attrs["value"]
        for box in pick.find_all("input", type="checkbox")
        if "checked" in box.attrs
    ]
    assert ticked == offered
    assert pick.find_all("form")[0].attrs["action"] == "/compare/"
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
    changed = compare_snapshots(before, after, Treatment).changed
    assert [field.label for field in changed] == ["When it may be used"]
    assert [(part.status, str(part.html)) for part in changed[0].parts][0] == (
        "changed",
        "When it may be used (if it has"
        '<del><span class="visually-hidden">removed: </span> not</del> spread): '
        "Surgery to take out the tumor is often the first step for a NET that has "
        "not spread. [[seed:20]]",
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
    site, fits, message
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
    assert [
        r.text for r in matching_reasons(rules, {"grade": "low"}, QuestionSet())
    ] == [
        "Slow and quiet.",
        "Slow.",
    ]
    assert [
        r.text
        for r in matching_reasons(
            rules, {"grade": "low", "hormones": "yes"}, QuestionSet()
        )
    ] == ["Slow."]


def test_not_sure_everywhere_gets_every_option_with_compare_and_a_question_list(
    site, module_client
):
    questions = SituationQuestions.public("en")
    root = get_explore(
        module_client, {name: "not-sure" for name in questions.questions}
    )
    assert FALLBACK in root.text
    assert summary_of(root).startswith(
        "You told us: you are not sure where it started; you are not sure how fast "
        "it is growing;"
    )
    every = "&".join(f"t={slug}" for slug in TREATMENT_SLUGS)
    actions = {
        a.text: a.attrs["href"]
        for a in root.find_all("ul", class_="result-actions")[0].find_all("a")
    }
    assert actions["Compare all of these options"] == f"/compare/?{every}"
    assert actions["Make a list of questions"] == f"/my-questions/?{every}"
    assert actions["What matters to me: make a summary for my appointment"].endswith(
        f"&{every}"
    )


def test_each_question_has_reviewed_help_and_origin_asks_what_the_team_called_it(
    site, module_client
):
    root = get_explore(module_client, {})
    origin = root.by_id("question-origin")[0]
    assert origin.find_all("legend")[0].text == (
        "What did your care team call the place where the tumor started?"
    )
    assert origin.find_all("p", class_="field-hint")[0].text == (
        "Your care team may have named the part of the body where it began. If you "
        "do not know, “I am not sure” is a fine answer."
    )
    hints = root.find_all("p", class_="field-hint")
    assert len(hints) == len(QUESTION_NAMES)
    assert not any("[[" in hint.text for hint in hints)


def test_the_spanish_explorer_asks_the_spanish_questions_with_no_lo_se(
    site, module_client
):
    response = module_client.get("/es/opciones/")
    root = parse_response(response)
    labels = [
        label.text for label in root.by_id("question-origin")[0].find_all("label")
    ]
    assert labels == [
        "El tubo digestivo: el estómago o el intestino",
        "En otro lugar",
        "No lo sé",
    ]


def test_a_changed_question_shows_in_the_reviewers_word_diff(site):
    record = SituationQuestions.objects.get(language="en")
    before = record.live_revision.snapshot
    after = {**before, "questions": [dict(q) for q in before["questions"]]}
    after["questions"][4] = {**after["questions"][4], "label": "Is it causing pain?"}
    changed = compare_snapshots(before, after, SituationQuestions).changed
    assert [field.label for field in changed] == ["Questions"]
    html = [str(part.html) for part in changed[0].parts if part.status == "changed"]
    assert html[0].startswith(
        'Question: Is it causing <del><span class="visually-hidden">removed: </span>'
        'symptoms</del><ins><span class="visually-hidden">added: </span>pain</ins>?'
    )


def test_the_reviewer_reads_the_questions_in_plain_words_on_the_review_screen(site):
    _, reviewer = site
    record = SituationQuestions.objects.get(language="en")
    response = logged_in(reviewer).get(admin_url(record, "review"))
    assert response.status_code == 200
    preview = parse_html(response.content.decode()).find_all(
        "div", class_="patient-preview"
    )[0]
    assert "Has your care team said it makes hormones?" in preview.text
    assert (
        "Yes, it makes hormones (reads back: “You said your care team said it makes "
        "hormones”)" in preview.text
    )
    # The preview is what patients read; the evidence is listed beside it.
    assert "[[" not in preview.text
    assert "Avoiding an operation" in preview.text
    evidence = parse_html(response.content.decode()).find(
        "section", class_="review-evidence"
    )
    assert "The grade tells how fast the tumor cells are dividing." in evidence.text
    assert "Its stage and grade (how fast the cells are dividing)" in evidence.text
