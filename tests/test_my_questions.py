"""/my-questions/: a printable list of questions for the treatments a patient picks."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from editorial.evidence import without_marks_in
from treatments.models import Treatment

from .kit import TREATMENT_SLUGS, Element, parse_response

PHONE = "(888) 552-6760"
PROMPT = "Tick one or more treatments above"
STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "site.css"


# Helpers ----------------------------------------------------------------------------


def get_questions(client, query_string=""):
    response = client.get(
        f"/my-questions/?{query_string}" if query_string else "/my-questions/"
    )
    assert response.status_code == 200, query_string
    return response, parse_response(response)


def sheets(root):
    """{slug: (title, questions, side effects, has notes)} for each question sheet, in order."""
    found = {}
    for section in root.find_all("section", class_="question-sheet"):
        heading = section.find_all("h2")[0]
        lists = {
            h3.text: [li.text for li in sibling_after(h3).find_all("li")]
            for h3 in section.find_all("h3")
            if h3.text != "My notes"
        }
        notes = "My notes" in [h3.text for h3 in section.find_all("h3")] and bool(
            section.find_all("div", class_="notes")
        )
        found[heading.attrs["id"].removeprefix("sheet-")] = (
            heading.text,
            lists.get("Questions to ask", []),
            lists.get("Side effects to ask about", []),
            notes,
        )
    return found


def sibling_after(element):
    siblings = [c for c in element.parent.children if isinstance(c, Element)]
    return siblings[siblings.index(element) + 1]


def published(slug):
    """A treatment's approved content as patients read it (no evidence marks)."""
    return without_marks_in(
        Treatment.objects.in_language("en").get(slug=slug).live_revision.snapshot
    )


def as_read(questions):
    """Questions as a patient reads them: without their evidence marks."""
    return [re.sub(r" \[\[[^\]]*\]\]", "", question) for question in questions]


def css_blocks(css, prelude):
    """The bodies of every `prelude { ... }` block, braces balanced."""
    bodies = []
    for match in re.finditer(re.escape(prelude) + r"\s*\{", css):
        depth, start = 1, match.end()
        for index in range(start, len(css)):
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            if depth == 0:
                bodies.append(css[start:index])
                break
    return bodies


def css_rules(block):
    """(selectors, declarations) for each rule in a block without nested blocks."""
    block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.replace("!important", "").strip()
        rules.append(({s.strip() for s in selectors.split(",")}, declarations))
    return rules


# The list ------------------------------------------------------------------------------


def test_the_choice_lives_in_the_address_and_sets_no_cookie(site, module_client):
    response, root = get_questions(module_client, "t=surgery&t=chemotherapy")
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert not module_client.cookies
    form = root.find_all("form", class_="pick-treatments")[0]
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/my-questions/"
    checked = [
        i.attrs["value"]
        for i in form.find_all("input", type="checkbox")
        if "checked" in i.attrs
    ]
    assert sorted(checked) == ["chemotherapy", "surgery"]
    assert [
        i.attrs["value"] for i in form.find_all("input", type="checkbox")
    ] == TREATMENT_SLUGS
    assert all(i.attrs["name"] == "t" for i in form.find_all("input", type="checkbox"))


def test_the_list_shows_each_chosen_treatments_questions_side_effects_and_notes(
    site, module_client
):
    _, root = get_questions(module_client, "t=surgery&t=chemotherapy")
    found = sheets(root)
    assert set(found) == {"surgery", "chemotherapy"}
    for slug, (title, questions, side_effects, notes) in found.items():
        content = published(slug)
        assert title == content["title"]
        assert questions == as_read(content["questions"])
        assert side_effects == [effect["name"] for effect in content["side_effects"]]
        assert notes, slug
    # It does not assume chemotherapy was suggested (issue 23).
    assert found["chemotherapy"][1][0] == (
        "Is chemotherapy a choice for me now? Why or why not?"
    )
    assert found["chemotherapy"][2] == [
        "Diarrhea",
        "Fatigue",
        "Hair loss",
        "Nausea",
        "Poor appetite",
        "Vomiting",
    ]
    assert len(found["surgery"][1]) == 5
    assert root.find_all("h1")[0].text == "My questions for my care team"
    assert PHONE in root.find_all("p", class_="sheet-phone")[0].text


@pytest.mark.parametrize("slug", TREATMENT_SLUGS)
def test_every_treatment_has_a_question_sheet(site, module_client, slug):
    _, root = get_questions(module_client, f"t={slug}")
    found = sheets(root)
    assert list(found) == [slug]
    assert found[slug][1] == as_read(published(slug)["questions"])
    assert not any("[[" in question for question in found[slug][1])
    assert len(found[slug][1]) >= 4


def test_the_list_shows_the_approved_questions_not_a_draft(site, module_client):
    editor, _ = site
    surgery = Treatment.objects.in_language("en").get(slug="surgery")
    question = surgery.questions.first()
    question.text = "An unreviewed draft question?"
    question.save()
    surgery.save_revision(editor)
    response, root = get_questions(module_client, "t=surgery")
    assert "An unreviewed draft question?" not in response.content.decode()
    assert sheets(root)["surgery"][1] == as_read(published("surgery")["questions"])


@pytest.mark.parametrize(
    "query_string",
    [
        "t=surgery&t=no-such-treatment",
        "t=surgery&t=",
        "t=surgery&t=%3Cscript%3E",
        "t=surgery&t=%ff%fe",
        "t=surgery&t=surgery",
        "t=SURGERY&t=surgery",
        "t=surgery&t=../admin/",
        "t=surgery&t=" + "x" * 3000,
    ],
    ids=[
        "unknown",
        "blank",
        "markup",
        "not-utf8",
        "repeated",
        "wrong-case",
        "path",
        "very-long",
    ],
)
def test_unknown_treatments_in_the_address_are_ignored(
    site, module_client, query_string
):
    response, root = get_questions(module_client, query_string)
    assert list(sheets(root)) == ["surgery"]
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    "query_string",
    ["", "t=", "t=no-such-treatment", "x=surgery", "t=%00"],
    ids=["nothing", "blank", "unknown", "other-parameter", "nul"],
)
def test_with_nothing_chosen_the_page_explains_what_to_do(
    site, module_client, query_string
):
    response, root = get_questions(module_client, query_string)
    assert sheets(root) == {}
    assert PROMPT in root.find_all("main")[0].text
    assert root.find_all("h1")[0].text == "Prepare questions for your appointment"
    assert [a.attrs["href"] for a in root.find_all("main")[0].find_all("a")] == [
        "/explore/"
    ]
    assert len(root.find_all("input", type="checkbox")) == len(TREATMENT_SLUGS)
    assert not response.cookies


@pytest.mark.parametrize("slug", TREATMENT_SLUGS)
def test_each_treatment_page_links_to_its_question_list(site, module_client, slug):
    response = module_client.get(f"/treatments/{slug}/")
    assert response.status_code == 200
    links = [a.attrs.get("href") for a in parse_response(response).find_all("a")]
    assert f"/my-questions/?t={slug}" in links


# Printing -----------------------------------------------------------------------------------


def test_the_page_uses_the_stylesheet_with_the_print_rules(site, module_client):
    _, root = get_questions(module_client, "t=surgery")
    stylesheets = [
        link.attrs["href"] for link in root.find_all("link", rel="stylesheet")
    ]
    assert stylesheets == ["/static/css/site.css"]
    assert STYLESHEET.is_file()


def test_printing_hides_navigation_and_starts_each_treatment_on_a_new_page(
    site, module_client
):
    print_rules = [
        rule
        for block in css_blocks(STYLESHEET.read_text(encoding="utf-8"), "@media print")
        for rule in css_rules(block)
    ]
    assert print_rules, "site.css has no @media print rules"
    breaks = [
        d.get("break-before")
        for selectors, d in print_rules
        if ".question-sheet" in selectors
    ]
    assert "page" in breaks
    hidden = set().union(*(s for s, d in print_rules if d.get("display") == "none"))
    assert any(selector.split()[-1] == ".site-nav" for selector in hidden), hidden
    assert ".no-print" in hidden

    # What the print rules hide on this page: the picking form and the navigation.
    _, root = get_questions(module_client, "t=surgery&t=chemotherapy")
    assert (
        "no-print"
        in root.find_all("form", class_="pick-treatments")[0].attrs["class"].split()
    )
    assert root.find_all("nav", class_="site-nav")
    assert len(root.find_all("section", class_="question-sheet")) == 2


def test_the_css_helpers_read_print_rules():
    css = (
        "a{color:red}@media print{.x,.y{display:none}.q{break-before: page !important}}"
    )
    rules = [r for block in css_blocks(css, "@media print") for r in css_rules(block)]
    assert rules == [
        ({".x", ".y"}, {"display": "none"}),
        ({".q"}, {"break-before": "page"}),
    ]
