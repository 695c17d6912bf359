"""/explore/: "find the options that may fit my situation", a GET form and its matching."""

import itertools
import random
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

from tests.html_tree import parse_html
from treatments.explore import QUESTIONS, SituationForm, match_treatments
from treatments.models import Modality

NOT_ADVICE = (
    "It is not medical advice, and only your care team can say what is right for you."
)
FALLBACK = "Your answers do not point to one treatment more than another."
ALSO_WORTH_ASKING = "Also worth asking about"

# Every question may be skipped (None) or given any of its choices: 4 ** 6 combinations.
ANSWERS = {
    name: [None, *(value for value, _ in choices)]
    for name, (_, choices) in QUESTIONS.items()
}
ALL_COMBINATIONS = [
    dict(zip(ANSWERS, values, strict=True))
    for values in itertools.product(*ANSWERS.values())
]
# Answers that say something concrete about the tumor; "no" and "not sure" do not.
CONCRETE_ANSWERS = {
    ("origin", "gi"),
    ("grade", "low"),
    ("hormones", "yes"),
    ("extent", "localized"),
    ("extent", "spread"),
    ("liver", "yes"),
    ("surgery", "yes"),
}
FOR_EVERYONE_SLUGS = {"any-net", "certain-types"}
INDICATION_LABELS = {
    item["slug"]: item["label"]
    for item in tomllib.loads(
        (Path(settings.CONTENT_DIR) / "indications.toml").read_text(encoding="utf-8")
    )["indications"]
}


@pytest.fixture(scope="module")
def client(module_client):
    return module_client


# Helpers ----------------------------------------------------------------------------


def query_of(combination):
    return {name: value for name, value in combination.items() if value is not None}


def get_explore(client, query):
    response = client.get("/explore/", query)
    assert response.status_code == 200, query
    return response.content.decode()


def published_pages():
    return [m.published_content() for m in Modality.objects.published()]


def slug_of(href):
    return href.removeprefix("/treatments/").strip("/")


def result_cards(root):
    """(slug, reasons, types text) of each card in the main results list, in order."""
    lists = root.find_all("ol", class_="results-list")
    if not lists:
        return []
    cards = []
    for card in lists[0].find_all("li", class_="card"):
        link = card.find_all("h3")[0].find_all("a")[0]
        reasons = [li.text for ul in card.find_all("ul") for li in ul.find_all("li")]
        types = [
            p.text
            for p in card.find_all("p")
            if p.text.startswith("Types that may fit")
        ]
        cards.append((slug_of(link.attrs["href"]), reasons, types[0] if types else ""))
    return cards


def also_worth_asking(root):
    """(slug, reason text) of each card under "Also worth asking about"."""
    headings = [h for h in root.find_all("h2") if h.text == ALSO_WORTH_ASKING]
    if not headings:
        return []
    section = headings[0].parent
    cards = []
    for ul in section.find_all("ul", class_="cards"):
        for card in ul.find_all("li", class_="card"):
            link = card.find_all("a")[0]
            why = card.find_all("p", class_="why")
            cards.append((slug_of(link.attrs["href"]), why[0].text if why else ""))
    return cards


def score(match):
    return len(match.reasons) + len(match.procedures)


# The form -----------------------------------------------------------------------------


def test_explore_is_a_get_form_so_the_answers_are_a_shareable_address(site, client):
    root = parse_html(get_explore(client, {}))
    forms = root.find_all("form", class_="situation-form")
    assert len(forms) == 1
    assert forms[0].attrs["method"] == "get"
    assert forms[0].attrs["action"] == "/explore/"
    radios = {
        (i.attrs["name"], i.attrs["value"])
        for i in forms[0].find_all("input", type="radio")
    }
    assert radios == {
        (name, value) for name, values in ANSWERS.items() for value in values if value
    }
    assert not root.find_all("section", class_="results")

    shared = parse_html(get_explore(client, {"grade": "low", "liver": "yes"}))
    checked = {
        (i.attrs["name"], i.attrs["value"])
        for i in shared.find_all("input", type="radio")
        if "checked" in i.attrs
    }
    assert checked == {("grade", "low"), ("liver", "yes")}


def test_the_form_always_says_it_is_not_medical_advice(site, client):
    assert NOT_ADVICE in get_explore(client, {})
    assert NOT_ADVICE in get_explore(client, {"grade": "low"})
    assert NOT_ADVICE in get_explore(client, {"grade": "bogus"})


# Every combination of answers, through the form and the matching directly -----------


def test_all_4096_combinations_of_answers_are_valid_and_point_somewhere(site):
    assert len(ALL_COMBINATIONS) == 4**6
    pages = published_pages()
    assert len(pages) == len(
        list((Path(settings.CONTENT_DIR) / "treatments").glob("*.md"))
    )
    indications_of = {
        p.content["slug"]: {i["slug"]: i["label"] for i in p.content["indications"]}
        for p in pages
    }
    for_everyone_pages = {
        slug for slug, own in indications_of.items() if set(own) & FOR_EVERYONE_SLUGS
    }
    assert {
        "clinical-trials",
        "targeted-therapy",
        "prrt",
        "theranostics",
    } <= for_everyone_pages

    for combination in ALL_COMBINATIONS:
        form = SituationForm(query_of(combination))
        assert form.is_valid(), (combination, form.errors)
        if not query_of(combination):
            assert not form.answered()
            continue
        assert form.answered(), combination
        matches, for_everyone = match_treatments(pages, form.indication_slugs())
        matched = [m.page.content["slug"] for m in matches]
        apart = [m.page.content["slug"] for m in for_everyone]

        # Never an empty page: a concrete answer always points to at least one
        # treatment; otherwise the page falls back to listing them all.
        concrete = any(item in CONCRETE_ANSWERS for item in combination.items())
        assert bool(matches) == concrete, combination
        # Each treatment is shown once, and treatments for everyone that the answers
        # do not point to are shown apart.
        assert len(matched + apart) == len(set(matched + apart)), combination
        assert set(apart) == for_everyone_pages - set(matched), combination
        assert "clinical-trials" in apart
        # Reasons are the treatment's own indication labels; best match first.
        for match in matches:
            own_labels = indications_of[match.page.content["slug"]].values()
            assert set(match.reasons) <= set(own_labels), combination
            assert match.reasons or match.procedures
        for match in for_everyone:
            assert match.reasons
            assert set(match.reasons) <= {
                INDICATION_LABELS[s] for s in FOR_EVERYONE_SLUGS
            }
        ranks = [(-score(m), m.page.content["order"]) for m in matches]
        assert ranks == sorted(ranks), combination

        if combination["liver"] == "yes":
            types = {m.page.content["slug"]: m.procedures for m in matches}
            assert "Embolization" in types["interventional-radiology"]
            assert {"TheraSphere", "SIR-Spheres"} <= set(types["radiation-therapy"])
            assert "Chemoembolization" in types["chemotherapy"]
        if combination["grade"] == "low":
            reasons = {m.page.content["slug"]: m.reasons for m in matches}
            assert INDICATION_LABELS["low-grade"] in reasons["active-surveillance"]


# A sample of combinations through the whole page ---------------------------------------


def sample_of_combinations():
    unanswered = dict.fromkeys(ANSWERS)
    fixed = [
        unanswered,
        dict.fromkeys(ANSWERS, "not-sure"),
        {**unanswered, "grade": "low"},
        {**unanswered, "liver": "yes"},
        dict(zip(ANSWERS, ["gi", "low", "yes", "spread", "yes", "yes"], strict=True)),
        dict(
            zip(
                ANSWERS,
                ["elsewhere", "faster", "no", "not-sure", "no", "no"],
                strict=True,
            )
        ),
    ]
    return fixed + random.Random(4096).sample(ALL_COMBINATIONS, 56)


def test_a_sample_of_answers_shows_matches_or_every_option_never_an_empty_page(
    site, client
):
    pages = published_pages()
    all_slugs = [p.content["slug"] for p in pages]
    for answers in sample_of_combinations():
        query = query_of(answers)
        html = get_explore(client, query)
        root = parse_html(html)
        assert NOT_ADVICE in html
        if not query:
            assert not root.find_all("section", class_="results"), query
            continue
        assert len(root.find_all("section", class_="results")) == 1, query
        form = SituationForm(query)
        assert form.is_valid()
        matches, for_everyone = match_treatments(pages, form.indication_slugs())

        cards = result_cards(root)
        assert [slug for slug, _, _ in cards] == [
            m.page.content["slug"] for m in matches
        ], query
        for (slug, reasons, types), match in zip(cards, matches, strict=True):
            assert reasons == match.reasons, (query, slug)
            assert set(reasons) <= set(INDICATION_LABELS.values())
            if match.procedures:
                assert (
                    types == "Types that may fit: " + ", ".join(match.procedures) + "."
                )
        if not cards:
            assert FALLBACK in html, query
            section = root.find_all("section", class_="results")[0]
            listed = [
                slug_of(a.attrs["href"])
                for a in section.find_all("a")
                if a.attrs["href"].startswith("/treatments/")
            ]
            assert (
                all_slugs == [s for s in listed if s in all_slugs][: len(all_slugs)]
            ), query
        else:
            assert FALLBACK not in html, query

        apart = also_worth_asking(root)
        assert [slug for slug, _ in apart] == [
            m.page.content["slug"] for m in for_everyone
        ], query
        assert "clinical-trials" in [slug for slug, _ in apart]
        assert not {slug for slug, _ in apart} & {slug for slug, _, _ in cards}
        for slug, why in apart:
            assert why in {
                INDICATION_LABELS["any-net"],
                INDICATION_LABELS["certain-types"],
            }, slug


def test_results_are_ordered_with_the_most_matching_reasons_first(site, client):
    root = parse_html(
        get_explore(
            client,
            {"origin": "gi", "hormones": "yes", "extent": "spread", "liver": "yes"},
        )
    )
    cards = result_cards(root)
    counts = [
        len(reasons) + (len(types.split(",")) if types else 0)
        for _, reasons, types in cards
    ]
    assert len(cards) >= 4
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > counts[-1]
    by_slug = {slug: (reasons, types) for slug, reasons, types in cards}
    assert set(by_slug["chemotherapy"][0]) == {
        INDICATION_LABELS["causes-symptoms"],
        INDICATION_LABELS["spread"],
    }


def test_treatments_for_everyone_are_shown_apart_with_their_reason(site, client):
    root = parse_html(get_explore(client, {"grade": "low"}))
    assert [slug for slug, _, _ in result_cards(root)] == ["active-surveillance"]
    assert dict(also_worth_asking(root)) == {
        "targeted-therapy": INDICATION_LABELS["certain-types"],
        "prrt": INDICATION_LABELS["certain-types"],
        "theranostics": INDICATION_LABELS["certain-types"],
        "clinical-trials": INDICATION_LABELS["any-net"],
    }


def test_the_reasons_shown_are_the_indication_labels(site, client):
    root = parse_html(get_explore(client, {"hormones": "yes"}))
    cards = {slug: reasons for slug, reasons, _ in result_cards(root)}
    assert cards == {
        "hormone-therapy": [
            INDICATION_LABELS["causes-symptoms"],
            INDICATION_LABELS["makes-hormones"],
        ],
        "chemotherapy": [INDICATION_LABELS["causes-symptoms"]],
        # Surgery fits through one of its types (cytoreductive surgery), not a reason of its own.
        "surgery": [],
    }


def test_liver_spread_lists_interventional_radiology_radiation_and_chemoembolization(
    site, client
):
    root = parse_html(get_explore(client, {"liver": "yes"}))
    cards = {slug: types for slug, _, types in result_cards(root)}
    assert {"interventional-radiology", "radiation-therapy", "chemotherapy"} <= set(
        cards
    )
    assert "Embolization" in cards["interventional-radiology"]
    assert "TheraSphere" in cards["radiation-therapy"]
    assert "SIR-Spheres" in cards["radiation-therapy"]
    assert "Chemoembolization" in cards["chemotherapy"]


@pytest.mark.parametrize(
    "query",
    [
        {"grade": "low"},
        {"grade": "low", "origin": "elsewhere", "hormones": "no"},
        {"grade": "low", "extent": "localized"},
    ],
    ids=["low-grade", "low-grade-and-nothing-else-concrete", "low-grade-and-localized"],
)
def test_a_low_grade_tumor_shows_active_surveillance_first(site, client, query):
    cards = result_cards(parse_html(get_explore(client, query)))
    assert cards[0][0] == "active-surveillance"
    assert cards[0][1] == [INDICATION_LABELS["low-grade"]]


def test_the_results_link_to_a_question_list_for_the_matches(site, client):
    root = parse_html(get_explore(client, {"liver": "yes"}))
    links = [a.attrs.get("href", "") for a in root.find_all("a")]
    chosen = [href for href in links if href.startswith("/my-questions/?")]
    assert len(chosen) == 1
    matched = [slug for slug, _, _ in result_cards(root)]
    query = chosen[0].split("?", 1)[1]
    assert [part.removeprefix("t=") for part in query.split("&") if part] == matched


# Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query_string", "field"),
    [
        ("grade=bogus", "grade"),
        ("origin=gi&grade=bogus", "grade"),
        ("hormones=YES", "hormones"),
        ("liver=%00", "liver"),
        ("extent=%ff%fe", "extent"),
        ("surgery=" + "x" * 5000, "surgery"),
        ("origin=%3Cscript%3E", "origin"),
    ],
    ids=[
        "bogus",
        "bogus-with-a-valid-answer",
        "wrong-case",
        "nul",
        "not-utf8",
        "very-long",
        "markup",
    ],
)
def test_an_invalid_answer_gets_an_error_summary_linking_to_the_question(
    site, client, query_string, field
):
    response = client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    html = response.content.decode()
    root = parse_html(html)
    summaries = root.find_all("div", class_="error-summary")
    assert len(summaries) == 1
    assert summaries[0].attrs["role"] == "alert"
    links = [a.attrs["href"] for a in summaries[0].find_all("a")]
    assert links == [f"#id_{field}_0"]
    targets = [e for e in root.iter() if e.attrs.get("id") == f"id_{field}_0"]
    assert len(targets) == 1 and targets[0].tag == "input"
    assert QUESTIONS[field][0] in summaries[0].text
    assert not root.find_all("section", class_="results")
    assert "<script>" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    "query_string",
    ["", "grade=", "unknown=1", "grade=low&grade=faster", "t=surgery"],
    ids=[
        "nothing",
        "blank-answer",
        "unknown-question",
        "repeated-answer",
        "other-page-parameter",
    ],
)
def test_odd_but_harmless_addresses_answer_without_errors(site, client, query_string):
    response = client.get(f"/explore/?{query_string}")
    assert response.status_code == 200
    root = parse_html(response.content.decode())
    assert not root.find_all("div", class_="error-summary")
    assert len(root.find_all("form", class_="situation-form")) == 1
